"""Host down and recover on the command line: `vacate host down`, `vacate host recover`, and
the simulated cloud's `vacate sim revive-host` (a failed host coming back)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from vacate.cli.apps import (
    EXIT_FAILED,
    EXIT_OK,
    Format,
    FormatOpt,
    console,
    emit_json,
    host_app,
    open_app,
    open_client,
    sim_app,
)
from vacate.cli.options import WaitOpt, check_reason
from vacate.cli.running import finish, report, say

if TYPE_CHECKING:
    from vacate.client.base import Client, Doc

FencedOpt = Annotated[
    bool,
    typer.Option(
        "--fenced",
        help="Assert the host is powered off (no BMC needed); lets a waiting report go on.",
    ),
]
NoEvacuateOpt = Annotated[
    bool, typer.Option("--no-evacuate", help="Force down and mark stopped only.")
]
ReservedOpt = Annotated[
    list[str] | None,
    typer.Option("--reserved-host", help="Try this host first for evacuated instances (repeat)."),
]


class _Parked(Exception):
    """The job waits at the fencing gate for a person: stop following it here."""

    def __init__(self, job: Doc) -> None:
        super().__init__(job["message"])
        self.job = job


def _stop_at_gate(doc: Doc) -> None:
    from vacate.client import decode
    from vacate.engine import hostdown

    if hostdown.parked(decode.job(doc)):
        raise _Parked(doc)


def run_report(client: Client, job: Doc, fmt: Format, *, wait: bool) -> int:
    """Run (or follow) the host-down job until it ends, or until it waits at the fencing gate
    (then say what a person must do; exit 1: nothing has been evacuated yet)."""
    if not wait:
        return finish(client, job, fmt, wait=False)
    try:
        done = client.follow(job["id"], watch=_stop_at_gate, say=say)
    except _Parked as parked:
        if fmt is Format.JSON:
            emit_json(client.job(parked.job["id"]))
        else:
            console.print(
                f"job [bold]{parked.job['id']}[/] waits at the fencing gate: "
                f"{escape(parked.job['message'])}"
            )
        return EXIT_FAILED
    return report(done, fmt)


def report_host_down(
    host: str,
    *,
    fenced: bool,
    evacuate: bool = True,
    reason: str = "host down",
    reserved: list[str] | None = None,
    fmt: Format = Format.TABLE,
    wait: bool = True,
) -> int:
    """The one way every CLI entry (`host down`, `host-update --report-host-down`) reports."""
    client = open_client()
    job = client.report_down(
        host,
        fenced=fenced,
        evacuate=evacuate,
        reason=check_reason(reason),
        reserved=reserved or [],
    )
    return run_report(client, job, fmt, wait=wait)


@host_app.command("down")
def host_down(
    host: str,
    fenced: FencedOpt = False,
    no_evacuate: NoEvacuateOpt = False,
    reason: Annotated[str, typer.Option("--reason", help="Why (shown on the host).")] = (
        "host down"
    ),
    reserved: ReservedOpt = None,
    no_wait: WaitOpt = False,
    fmt: FormatOpt = Format.TABLE,
) -> None:
    """Report a failed host: force its service down, mark its instances stopped at once, and
    evacuate them once it is fenced (--fenced, or its BMC reads off). Refused for a host whose
    service still reports up unless --fenced: it would run its instances twice."""
    raise typer.Exit(
        report_host_down(
            host,
            fenced=fenced,
            evacuate=not no_evacuate,
            reason=reason,
            reserved=reserved,
            fmt=fmt,
            wait=not no_wait,
        )
    )


@host_app.command("recover")
def host_recover(host: str, no_wait: WaitOpt = False, fmt: FormatOpt = Format.TABLE) -> None:
    """Bring a repaired host back: no longer forced down, still disabled, in maintenance.
    Refused (exit 4, naming them) while an instance evacuated from it still runs there."""
    client = open_client()
    job = client.recover(host)
    raise typer.Exit(finish(client, job, fmt, wait=not no_wait))


@sim_app.command("revive-host")
def sim_revive_host(
    host: str,
    keep_stale: Annotated[
        bool,
        typer.Option(
            "--keep-stale",
            help="The host was never really off: its copies of evacuated guests keep running.",
        ),
    ] = False,
) -> None:
    """A failed host comes back: its compute service reports up again (it stays forced down
    and disabled until `vacate host recover`)."""
    back = open_app().simulator().revive_host(host, clean=not keep_stale)
    stale = "; its stale guests keep running" if keep_stale else ""
    console.print(f"host {escape(back.name)} is back: its service reports up{stale}")
    raise typer.Exit(EXIT_OK)
