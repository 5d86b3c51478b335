"""Operations: liveness, readiness (the database answers) and Prometheus metrics."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from vacate.api.errors import error_json, error_responses
from vacate.api.policy import Caller, policy, public
from vacate.api.schemas import Health, Ready
from vacate.api.services import Services, services
from vacate.domain.actors import Role
from vacate.domain.errors import SetupError

router = APIRouter(tags=["operations"])
Svc = Annotated[Services, Depends(services)]


@router.get("/healthz", response_model=Health)
def healthz(caller: Annotated[Caller, public("healthz")]) -> JSONResponse:
    """The process answers."""
    return JSONResponse({"status": "ok"})


@router.get("/readyz", response_model=Ready, responses=error_responses(503))
def readyz(caller: Annotated[Caller, public("readyz")], svc: Svc) -> JSONResponse:
    """The database is reachable: this process can take requests and run jobs."""
    try:
        svc.auth.ping()
    except SetupError as exc:
        return error_json(503, str(exc), code="unavailable")
    return JSONResponse({"status": "ready", "database": "reachable"})


@router.get(
    "/metrics",
    response_class=Response,
    responses={
        200: {"content": {CONTENT_TYPE_LATEST: {"schema": {"type": "string"}}}},
        **error_responses(401),
    },
)
def metrics(caller: Annotated[Caller, policy(Role.READER, "metrics")], svc: Svc) -> Response:
    """Prometheus text format (a reader token: ``authorization`` in the scrape config)."""
    return Response(generate_latest(svc.metrics.registry), media_type=CONTENT_TYPE_LATEST)
