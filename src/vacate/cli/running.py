"""Run a job to its end from the terminal (or follow the worker that has it), and report it."""

from __future__ import annotations

from vacate import bootstrap
from vacate.cli import render
from vacate.cli.apps import (
    EXIT_FAILED,
    EXIT_OK,
    Format,
    console,
    emit_json,
    err,
)
from vacate.cli.progress import JobProgress
from vacate.domain.jobs import Job, JobStatus
from vacate.domain.model import JobId
from vacate.engine.follow import run_or_follow
from vacate.engine.summary import job_summary
from vacate.serialize import (
    job_to_dict,
    summary_to_dict,
)


# --------------------------------------------------------------- job runs
def finish(a: bootstrap.App, job: Job, fmt: Format, *, wait: bool) -> int:
    """Run (or follow) the job to its end, print the results; the exit code says how it went."""
    if not wait:
        if fmt is Format.JSON:
            emit_json(job_to_dict(job))
        else:
            console.print(
                f"queued job [bold]{job.id}[/] ({job.kind.value} {job.host}); "
                "run `vacate worker` to execute it"
            )
        return EXIT_OK
    return report(a, run_here(a, job.id, fmt), fmt)


def run_here(a: bootstrap.App, job_id: JobId, fmt: Format) -> Job:
    """Run the job here, or follow the worker that has it (taking over if it dies)."""
    if fmt is Format.TABLE:
        with JobProgress(console) as progress:
            return run_or_follow(a.ctx, job_id, observer=progress.update, say=say)
    return run_or_follow(a.ctx, job_id, say=say)


def say(text: str) -> None:
    err.print(text, markup=False)


def report(a: bootstrap.App, job: Job, fmt: Format) -> int:
    job = a.ctx.store.get_job(job.id)
    summary = job_summary(a.ctx.cloud, job)
    if fmt is Format.JSON:
        data = job_to_dict(job)
        data["summary"] = summary_to_dict(summary)
        emit_json(data)
    else:
        console.print(render.results_table(job))
        render.print_summary(console, summary)
        console.print(f"[bold]{job.status.value}[/]: {job.message}")
    return EXIT_OK if job.status is JobStatus.SUCCEEDED else EXIT_FAILED
