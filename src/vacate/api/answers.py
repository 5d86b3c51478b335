"""Answers built from ``vacate.serialize``: a job in a list, a job with its summary, and the
``202 Accepted`` of a request that queued a job."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse

from vacate.api import audit
from vacate.api.idempotency import Started
from vacate.domain.jobs import Job
from vacate.engine.context import Context
from vacate.engine.summary import job_summary
from vacate.serialize import job_brief_to_dict, job_detail_to_dict, job_to_dict


def job_in_list(job: Job) -> dict[str, Any]:
    return job_brief_to_dict(job)


def job_detail(ctx: Context, job: Job) -> dict[str, Any]:
    return job_detail_to_dict(job, job_summary(ctx.cloud, job))


def job_url(job: Job) -> str:
    return f"/v1/jobs/{job.id}"


def accepted(request: Request, started: Started) -> JSONResponse:
    """202, the job, where to follow it; a repeated Idempotency-Key says so."""
    job = started.job
    audit.set_job(request, job.id, job.host)
    headers = {"Location": job_url(job)}
    if started.replayed:
        headers["Idempotent-Replayed"] = "true"
    return JSONResponse(job_to_dict(job), status_code=202, headers=headers)


def ok(data: Any) -> JSONResponse:
    return JSONResponse(data)
