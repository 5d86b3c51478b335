"""``vacate``: every verb of the product on the command line.

Exit codes: 0 done, 1 job failed or partial, 2 usage, 3 not found, 4 conflict, 5 set-up problem
(a setting, file or database Vacate cannot use, a server it cannot reach), 6 refused by the
server (no valid token, or a reader's token for an action).

Each group of commands lives in its own module and registers itself on the command tree of
``vacate.cli.apps`` when imported here. Every command that reads or acts works on this machine
or, with ``--url``, on a server (``vacate.client``).
"""

from __future__ import annotations

import sys

import typer
from rich.markup import escape

from vacate.cli import audit_cmds, down_cmds, host_cmds, job_cmds, sim_cmds  # noqa: F401  (registration)
from vacate.cli.apps import EXIT_USAGE, app, emit_json, err
from vacate.cli.failures import Failure, classify, wants_json
from vacate.cli.server_cmds import register as register_server_commands

try:  # Typer ≥ 0.24 carries its own copy of Click; the exceptions are that copy's
    from typer._click import exceptions as click_exc
except ImportError:  # pragma: no cover - older Typer on the real Click
    from click import exceptions as click_exc  # type: ignore[no-redef]

__all__ = ["app", "main"]

register_server_commands(app)  # serve, token (vacate.cli.server_cmds)


def _fail(failure: Failure, as_json: bool) -> None:
    err.print(f"[red]{failure.label}:[/] {escape(failure.message)}")
    for line in failure.details:
        err.print(escape(line), soft_wrap=True)
    if as_json:
        emit_json(failure.as_json())
    sys.exit(failure.exit)


def main() -> None:
    """Entry point: map Vacate's errors to exit codes and one clear line on stderr (and, under
    ``-f json``, the error object on stdout)."""
    as_json = wants_json(sys.argv[1:])
    try:
        code = app(standalone_mode=False)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        err.print("aborted")
        sys.exit(1)
    except click_exc.ClickException as exc:  # usage: a missing or malformed option
        exc.show()
        if as_json:
            emit_json({"error": {"code": "invalid", "message": exc.format_message()}})
        sys.exit(exc.exit_code if exc.exit_code else EXIT_USAGE)
    except Exception as exc:
        failure = classify(exc)
        if failure is None:
            raise
        _fail(failure, as_json)
    sys.exit(code if isinstance(code, int) else 0)
