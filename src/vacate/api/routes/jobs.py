"""Jobs: list, show with every task and the summary, cancel, and the event log — as JSON, or
live as Server-Sent Events."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.responses import JSONResponse, StreamingResponse
from starlette.responses import Response

from vacate.api.answers import job_detail, job_in_list, ok
from vacate.api.events import event_stream
from vacate.api.policy import Caller, policy
from vacate.api.routes.params import (
    ACTION_ERRORS,
    HOST_READ_ERRORS,
    READ_ERRORS,
    JobPath,
    Offset,
    PageLimit,
)
from vacate.api.schemas import EventOut, JobDetail, JobOut, JobPage
from vacate.api.services import Services, services
from vacate.domain.actors import Role
from vacate.domain.jobs import JobKind, JobStatus
from vacate.domain.model import JobId
from vacate.engine import commands
from vacate.serialize import event_to_dict, job_to_dict

router = APIRouter(prefix="/v1", tags=["jobs"])
Svc = Annotated[Services, Depends(services)]

#: With a kind filter the store cannot count for us: look at this many jobs at most.
_SCAN = 100_000


@router.get("/jobs", response_model=JobPage, responses=READ_ERRORS)
def list_jobs(
    caller: Annotated[Caller, policy(Role.READER, "jobs.list")],
    svc: Svc,
    host: Annotated[str | None, Query(min_length=1, max_length=255)] = None,
    status: JobStatus | None = None,
    kind: JobKind | None = None,
    limit: PageLimit = 50,
    offset: Offset = 0,
) -> JSONResponse:
    """Newest first; ``next_offset`` gives the next page."""
    want = _SCAN if kind is not None else offset + limit + 1
    jobs = svc.ctx.store.list_jobs(host=host, status=status, limit=want)
    if kind is not None:
        jobs = [j for j in jobs if j.kind is kind]
    page = jobs[offset : offset + limit]
    more = len(jobs) > offset + limit
    return ok(
        {"items": [job_in_list(j) for j in page], "next_offset": offset + limit if more else None}
    )


@router.get("/jobs/{job_id}", response_model=JobDetail, responses=HOST_READ_ERRORS)
def show_job(
    job_id: JobPath, caller: Annotated[Caller, policy(Role.READER, "jobs.show")], svc: Svc
) -> JSONResponse:
    """A job with every instance's task and the drain summary."""
    job = svc.ctx.store.get_job(JobId(job_id))
    return ok(job_detail(svc.read_ctx(), job))


@router.post(
    "/jobs/{job_id}/cancel", status_code=202, response_model=JobOut, responses=ACTION_ERRORS
)
def cancel_job(
    job_id: JobPath,
    caller: Annotated[Caller, policy(Role.ADMIN, "job.cancel")],
    svc: Svc,
) -> JSONResponse:
    """A queued job ends at once (its host goes back); a running one at its next step."""
    job = commands.cancel(svc.ctx, job_id, actor=caller.actor())
    return JSONResponse(job_to_dict(job), status_code=202)


_SSE = "text/event-stream"


@router.get(
    "/jobs/{job_id}/events",
    response_model=list[EventOut],
    responses={
        **HOST_READ_ERRORS,
        200: {
            "description": "The events as JSON, or a live stream with Accept: text/event-stream",
            "content": {_SSE: {"schema": {"type": "string"}}},
        },
    },
)
def job_events(
    job_id: JobPath,
    request: Request,
    caller: Annotated[Caller, policy(Role.READER, "jobs.events")],
    svc: Svc,
    after: Annotated[int, Query(ge=0, description="Only events numbered after this")] = 0,
    last_event_id: Annotated[
        int | None, Header(alias="Last-Event-ID", ge=0, description="SSE reconnection")
    ] = None,
) -> Response:
    """Every event of the job after ``after`` (or ``Last-Event-ID``), in order. Ask for
    ``text/event-stream`` to follow them live until the job ends."""
    job = svc.ctx.store.get_job(JobId(job_id))
    start = last_event_id if last_event_id is not None else after
    if _SSE in request.headers.get("accept", ""):
        return StreamingResponse(
            event_stream(svc, job.id, start),
            media_type=_SSE,
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )
    return ok([event_to_dict(e) for e in svc.ctx.store.list_events(job.id, after_seq=start)])
