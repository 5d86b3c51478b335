"""``vacate``: every verb of the product on the command line.

Exit codes: 0 done, 1 job failed or partial, 2 usage, 3 not found, 4 conflict, 5 set-up problem
(a setting, file or database Vacate cannot use).

Each group of commands lives in its own module and registers itself on the command tree of
``vacate.cli.apps`` when imported here.
"""

from __future__ import annotations

import sys

from rich.markup import escape

from vacate.cli import down_cmds, host_cmds, job_cmds, sim_cmds  # noqa: F401  (registration)
from vacate.cli.apps import (
    EXIT_CONFLICT,
    EXIT_FAILED,
    EXIT_NOT_FOUND,
    EXIT_SETUP,
    EXIT_USAGE,
    app,
    err,
)
from vacate.cli.server_cmds import register as register_server_commands
from vacate.domain.errors import Conflict, NotFound, PlanNotReady, SetupError, VacateError

__all__ = ["app", "main"]

register_server_commands(app)  # serve, token, audit (vacate.cli.server_cmds)


def main() -> None:
    """Entry point: map Vacate's errors to exit codes and one clear line on stderr."""
    try:
        app(standalone_mode=True)
    except NotFound as exc:
        err.print(f"[red]error:[/] {escape(str(exc))}")
        sys.exit(EXIT_NOT_FOUND)
    except Conflict as exc:
        err.print(f"[red]conflict:[/] {escape(str(exc))}")
        sys.exit(EXIT_CONFLICT)
    except PlanNotReady as exc:
        err.print(f"[red]not ready:[/] {escape(str(exc))}")
        for name, reason in exc.blocked:
            err.print(f"  {escape(name)}: {escape(reason)}", soft_wrap=True)
        sys.exit(EXIT_FAILED)
    except SetupError as exc:
        err.print(f"[red]error:[/] {escape(str(exc))}")
        sys.exit(EXIT_SETUP)
    except ValueError as exc:
        err.print(f"[red]error:[/] {escape(str(exc))}")
        sys.exit(EXIT_USAGE)
    except VacateError as exc:
        err.print(f"[red]error:[/] {escape(str(exc))}")
        sys.exit(EXIT_FAILED)
