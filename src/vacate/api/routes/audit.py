"""The audit log: who did what through the API (and the CLI's token commands), newest first."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import JSONResponse

from vacate.api.answers import ok
from vacate.api.policy import Caller, policy
from vacate.api.routes.params import READ_ERRORS, PageLimit
from vacate.api.schemas import AuditPage
from vacate.api.services import Services, services
from vacate.domain.actors import Role
from vacate.ports.auth import AuditQuery

router = APIRouter(prefix="/v1", tags=["audit"])
Svc = Annotated[Services, Depends(services)]
Filter = Annotated[str | None, Query(min_length=1, max_length=255)]


@router.get("/audit", response_model=AuditPage, responses=READ_ERRORS)
def list_audit(
    caller: Annotated[Caller, policy(Role.READER, "audit.list")],
    svc: Svc,
    actor: Filter = None,
    action: Filter = None,
    host: Filter = None,
    job_id: Filter = None,
    outcome: Literal["allowed", "denied", "failed"] | None = None,
    since: Annotated[float | None, Query(description="Unix time, inclusive")] = None,
    until: Annotated[float | None, Query(description="Unix time, exclusive")] = None,
    before: Annotated[int | None, Query(ge=1, description="next_before of the last page")] = (None),
    limit: PageLimit = 100,
) -> JSONResponse:
    """Filters combine; ``next_before`` gives the next (older) page."""
    query = AuditQuery(
        actor=actor,
        action=action,
        host=host,
        job_id=job_id,
        outcome=outcome,
        since=since,
        until=until,
        before=before,
        limit=limit + 1,
    )
    entries = svc.auth.audit(query)
    page = entries[:limit]
    more = len(entries) > limit
    return ok(
        {
            "items": [asdict(e) for e in page],
            "next_before": page[-1].seq if more and page else None,
        }
    )
