"""``vacate audit list``: who did what, from this machine's database or from a server."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Annotated

import typer

from vacate.cli.apps import Format, FormatOpt, app, console, emit_json, open_client

audit_app = typer.Typer(no_args_is_help=True, help="The audit log of the API.")
app.add_typer(audit_app, name="audit")


def when(at: float | None) -> str:
    if at is None:
        return "—"
    return datetime.fromtimestamp(at, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


@audit_app.command("list")
def audit_list(
    actor: Annotated[str | None, typer.Option("--actor", help="Token name (or CLI user).")] = None,
    action: Annotated[str | None, typer.Option("--action", help="e.g. maintenance.enter")] = None,
    host: Annotated[str | None, typer.Option("--host")] = None,
    job: Annotated[str | None, typer.Option("--job")] = None,
    outcome: Annotated[
        str | None, typer.Option("--outcome", help="allowed, denied or failed")
    ] = None,
    since: Annotated[str | None, typer.Option("--since", help="Only the last 1h, 7d, …")] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, max=1000)] = 50,
    fmt: FormatOpt = Format.TABLE,
) -> None:
    """Who did what, newest first."""
    from rich.table import Table

    from vacate.api.tokens import parse_duration
    from vacate.cli.render import safe
    from vacate.client import decode
    from vacate.ports.auth import AuditQuery

    query = AuditQuery(
        actor=actor,
        action=action,
        host=host,
        job_id=job,
        outcome=outcome,
        since=time.time() - parse_duration(since, option="--since") if since else None,
        limit=limit,
    )
    entries = open_client().audit(query)
    if fmt is Format.JSON:
        emit_json(entries)
        return
    table = Table(title="Audit log")
    for column in ("#", "when", "who", "from", "action", "host", "job", "outcome", "detail"):
        table.add_column(column)
    for e in map(decode.audit_entry, entries):
        table.add_row(
            str(e.seq),
            when(e.at),
            safe(e.actor),
            safe(e.origin),
            safe(e.action),
            safe(e.host or ""),
            safe(e.job_id or ""),
            f"{e.outcome} {e.status}" if e.status else e.outcome,
            safe(e.detail),
        )
    console.print(table)
