"""Run a job to its end from the terminal (or follow whoever runs it), and report it: the same
for a job on this machine and a job on a server (``vacate.client``).

The tables, the progress display and the decoders are imported when a job is reported, not
when the commands are registered (``vacate --help`` does not load them).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from vacate.cli.apps import EXIT_FAILED, EXIT_OK, Format, console, emit_json, err
from vacate.domain.jobs import JobStatus

if TYPE_CHECKING:
    from vacate.client.base import Client, Doc


def finish(client: Client, job: Doc, fmt: Format, *, wait: bool) -> int:
    """Run (or follow) the job to its end, print the results; the exit code says how it went."""
    if not wait:
        if fmt is Format.JSON:
            emit_json(job)
        else:
            from vacate.cli import render

            console.print(
                f"queued job [bold]{job['id']}[/] ({job['kind']} {render.safe(job['host'])}); "
                f"a worker runs it: `vacate job watch {job['id']}` follows it"
            )
        return EXIT_OK
    return report(follow(client, job["id"], fmt), fmt)


def follow(client: Client, job_id: str, fmt: Format) -> Doc:
    """Follow the job to its end, with a progress display on a table-format terminal."""
    if fmt is Format.TABLE:
        from vacate.cli.progress import JobProgress
        from vacate.client import decode

        with JobProgress(console) as progress:
            return client.follow(
                job_id, watch=lambda doc: progress.update(decode.job(doc)), say=say
            )
    return client.follow(job_id, say=say)


def say(text: str) -> None:
    err.print(text, markup=False)


def exit_code(job: Doc) -> int:
    return EXIT_OK if job["status"] == JobStatus.SUCCEEDED.value else EXIT_FAILED


def report(job: Doc, fmt: Format) -> int:
    """The results table and the summary (or the job document with its summary)."""
    if fmt is Format.JSON:
        emit_json(job)
    else:
        from vacate.cli import render
        from vacate.client import decode

        console.print(render.results_table(decode.job(job)))
        render.print_summary(console, decode.summary(job["summary"]))
        console.print(f"[bold]{job['status']}[/]: {render.safe(job['message'])}")
    return exit_code(job)
