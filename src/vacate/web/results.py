"""A job as data for the page's script (``live.json``: every task with its progress, the live
bytes of the migrations in flight) and its results as downloads (CSV and JSON)."""

from __future__ import annotations

import csv
import io
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse, Response

from vacate.api.answers import job_detail
from vacate.api.policy import Caller
from vacate.api.services import Services, services
from vacate.domain.actors import Role
from vacate.domain.errors import NotFound
from vacate.domain.jobs import Job, Method, TaskStatus
from vacate.domain.model import JobId
from vacate.engine.context import Context
from vacate.web.access import page

router = APIRouter(include_in_schema=False)
Svc = Annotated[Services, Depends(services)]

_IN_FLIGHT = (TaskStatus.STARTING, TaskStatus.MIGRATING, TaskStatus.CONFIRMING)


def live_view(ctx: Context, job: Job) -> dict[str, Any]:
    """The job with every task's progress: for a live migration in flight, the bytes the
    cloud reports; else what the task recorded."""
    data = job_detail(ctx, job)
    for task, row in zip(job.tasks, data["tasks"], strict=True):
        row["progress"] = (
            1.0 if task.outcome is not None and task.outcome.value == "moved" else (task.progress)
        )
        row["bytes_total"] = None
        if task.status in _IN_FLIGHT and task.migration_id and task.method is Method.LIVE:
            try:
                migration = ctx.cloud.get_migration(task.migration_id)
            except NotFound:
                continue
            row["bytes_sent"] = task.bytes_sent + migration.memory_processed_bytes
            row["bytes_total"] = migration.memory_total_bytes or None
            row["paused"] = migration.paused
    data["now"] = ctx.clock.now()
    data["last_seq"] = max((e.seq for e in ctx.store.list_events(job.id)), default=0)
    return data


@router.get("/jobs/{job_id}/live.json")
def live(
    job_id: str, caller: Annotated[Caller, page(Role.READER, "web.job.live")], svc: Svc
) -> JSONResponse:
    ctx = svc.read_ctx()
    return JSONResponse(live_view(ctx, ctx.store.get_job(JobId(job_id))))


COLUMNS = (
    "instance_name",
    "instance_id",
    "outcome",
    "reason",
    "method",
    "source",
    "destination",
    "start",
    "end",
    "duration_s",
    "downtime_s",
    "bytes_sent",
    "attempts",
    "escalations",
)


def results_csv(detail: dict[str, Any]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for task in detail["tasks"]:
        row = dict(task)
        row["escalations"] = " ".join(s["action"] for s in task["escalations"])
        writer.writerow(["" if row[c] is None else row[c] for c in COLUMNS])
    return out.getvalue()


def _download(job_id: str, suffix: str) -> dict[str, str]:
    return {"Content-Disposition": f'attachment; filename="vacate-job-{job_id}.{suffix}"'}


@router.get("/jobs/{job_id}/results.csv")
def download_csv(
    job_id: str, caller: Annotated[Caller, page(Role.READER, "web.job.results")], svc: Svc
) -> Response:
    job = svc.ctx.store.get_job(JobId(job_id))
    body = results_csv(job_detail(svc.read_ctx(), job))
    return Response(body, media_type="text/csv; charset=utf-8", headers=_download(job.id, "csv"))


@router.get("/jobs/{job_id}/results.json")
def download_json(
    job_id: str, caller: Annotated[Caller, page(Role.READER, "web.job.results")], svc: Svc
) -> JSONResponse:
    job = svc.ctx.store.get_job(JobId(job_id))
    return JSONResponse(job_detail(svc.read_ctx(), job), headers=_download(job.id, "json"))
