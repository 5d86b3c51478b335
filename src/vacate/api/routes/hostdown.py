"""Host down and recover over REST: report a failed host (evacuated once it is fenced) and
bring a repaired one back (refused while an instance evacuated from it still runs there)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from vacate.api.answers import accepted
from vacate.api.idempotency import fingerprint, start_once
from vacate.api.policy import Caller, policy
from vacate.api.routes.params import ACTION_ERRORS, BODY_ERRORS, HostPath, IdempotencyKey
from vacate.api.schemas import JobOut, Reason
from vacate.api.services import Services, services
from vacate.domain.actors import Role
from vacate.engine import hostdown

router = APIRouter(prefix="/v1", tags=["host down"])
Svc = Annotated[Services, Depends(services)]
Name = Annotated[
    str, StringConstraints(min_length=1, max_length=255, pattern=r"^[^\x00-\x1f\x7f/]+$")
]


class HostDownRequest(BaseModel):
    """``vacate host down``: all optional."""

    model_config = ConfigDict(extra="forbid")
    fenced: bool = Field(
        default=False,
        description="The host is known to be powered off (needed while its service reports up)",
    )
    evacuate: bool = Field(default=True, description="False: force down and mark stopped only")
    reason: Reason = "host down"
    reserved_hosts: list[Name] = Field(
        default_factory=list, max_length=100, description="Tried first for evacuated instances"
    )


@router.post(
    "/hosts/{host}/down",
    status_code=202,
    response_model=JobOut,
    responses={**ACTION_ERRORS, **BODY_ERRORS},
)
def report_down(
    host: HostPath,
    request: Request,
    caller: Annotated[Caller, policy(Role.ADMIN, "host.down")],
    svc: Svc,
    body: HostDownRequest | None = None,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """Force the service down and mark the instances stopped at once; evacuate them once the
    host is fenced. 409 for a host whose service still reports up, unless ``fenced``: it
    would run its instances twice. With ``fenced`` on a report waiting at the fencing gate,
    that job goes on."""
    want = body or HostDownRequest()
    started = start_once(
        svc,
        caller,
        idempotency_key,
        fingerprint("POST", request.url.path, want.model_dump(mode="json")),
        lambda: hostdown.report_down(
            svc.ctx,
            host,
            fenced=want.fenced,
            evacuate=want.evacuate,
            reason=want.reason,
            reserved=want.reserved_hosts,
            actor=caller.actor(),
        ),
    )
    return accepted(request, started)


@router.post(
    "/hosts/{host}/recover", status_code=202, response_model=JobOut, responses=ACTION_ERRORS
)
def recover(
    host: HostPath,
    request: Request,
    caller: Annotated[Caller, policy(Role.ADMIN, "host.recover")],
    svc: Svc,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """A repaired host: no longer forced down, still disabled, ``maintenance``. 409 naming
    them while an instance evacuated from it still runs there."""
    started = start_once(
        svc,
        caller,
        idempotency_key,
        fingerprint("POST", request.url.path, {}),
        lambda: hostdown.recover(svc.ctx, host, actor=caller.actor()),
    )
    return accepted(request, started)
