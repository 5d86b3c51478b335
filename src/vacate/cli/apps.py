"""The command tree, the consoles and what every command shares (output format, the app,
the actor)."""

from __future__ import annotations

import json
import socket
import sys
from enum import StrEnum
from typing import Annotated, Any

import typer
from rich.console import Console

from vacate import bootstrap
from vacate.domain.actors import Actor, Role

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_NOT_FOUND, EXIT_CONFLICT, EXIT_SETUP = 0, 1, 2, 3, 4, 5

# Not a terminal (a pipe, CI): wide enough that the results table stays readable.
console = Console(width=None if sys.stdout.isatty() else 160)
err = Console(stderr=True, soft_wrap=True)  # one error, one line: scripts grep it

app = typer.Typer(
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    help="Take compute hosts out of service without hurting the instances on them.",
)
host_app = typer.Typer(
    no_args_is_help=True, help="Hosts: list, show, maintenance, migrate instances."
)
maint_app = typer.Typer(
    no_args_is_help=True, help="Put a host into maintenance, or back in service."
)
instance_app = typer.Typer(no_args_is_help=True, help="Instances.")
job_app = typer.Typer(no_args_is_help=True, help="Jobs: list, show, watch, cancel.")
sim_app = typer.Typer(no_args_is_help=True, help="The built-in simulated cloud.")
app.add_typer(host_app, name="host")
host_app.add_typer(maint_app, name="maintenance")
app.add_typer(instance_app, name="instance")
app.add_typer(job_app, name="job")
app.add_typer(sim_app, name="sim")


class Format(StrEnum):
    TABLE = "table"
    JSON = "json"


FormatOpt = Annotated[Format, typer.Option("--format", "-f", help="table or json")]


def emit_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, default=str) + "\n")


def open_app() -> bootstrap.App:
    return bootstrap.build()


def cli_actor() -> Actor:
    """The person at the terminal: the CLI acts as an admin of the local database."""
    import getpass

    try:
        name = getpass.getuser()
    except Exception:
        name = "unknown"
    return Actor(name=name, role=Role.ADMIN, origin=f"cli {socket.gethostname()}")
