"""The command tree, the consoles and what every command shares: the output format, the client
(this machine, or a server with ``--url``), the actor.

Importing this (and the command modules) costs Typer and Rich only: the database, the clouds,
the engine and the server are imported by the commands that use them, when they run, so
``vacate --help`` and a command's start do not pay for them.
"""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console

if TYPE_CHECKING:
    from vacate import bootstrap
    from vacate.client.base import Client
    from vacate.config import ClientSettings
    from vacate.domain.actors import Actor

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_NOT_FOUND, EXIT_CONFLICT, EXIT_SETUP = 0, 1, 2, 3, 4, 5
#: The server refused the token (missing, unknown, expired, revoked) or its role (a reader).
EXIT_DENIED = 6

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
    """A record indented; a listing as an array of one record per line, each encoded by the
    json module's C encoder (an indented listing of 100,000 hosts took 4 s of pure-Python
    encoding, most of a ``host list -f json``)."""
    if isinstance(data, list) and data:
        rows = ",\n".join("  " + json.dumps(item, default=str) for item in data)
        sys.stdout.write("[\n" + rows + "\n]\n")
    else:
        sys.stdout.write(json.dumps(data, indent=2, default=str) + "\n")


#: Commands (top-level names) that work on this machine's database or simulated cloud only: a
#: server given on the command line or in VACATE_URL makes them refuse; the config file's
#: ``client.url`` does not apply to them (nor to ``serve``), so a server's own machine can keep
#: one for its operators.
LOCAL_ONLY = {
    "sim": "controls the simulated cloud on this machine",
    "demo": "builds its own simulated cloud on this machine",
    "token": "manages the tokens in the server's database: run it on the server",
    "worker": "runs jobs from the database it opens",
}


class LocalOnly(ValueError):
    """A local-only command was given a server to talk to (exit 2)."""


class _Session:
    """What the root options chose, for the commands of this one invocation."""

    url_option: str | None = None
    client: ClientSettings | None = None


SESSION = _Session()


@app.callback()
def _root(
    ctx: typer.Context,
    url: Annotated[
        str | None,
        typer.Option(
            "--url",
            metavar="URL",
            help="A `vacate serve` to work with (also VACATE_URL or the config file's "
            "client.url); its token comes from VACATE_TOKEN or client.token_file.",
        ),
    ] = None,
) -> None:
    """Take compute hosts out of service without hurting the instances on them."""
    from vacate.config import load_client_settings

    SESSION.url_option = url
    settings = load_client_settings(url_option=url, read_token=False)  # a bad file: exit 5
    why = LOCAL_ONLY.get(ctx.invoked_subcommand or "")
    if settings.url and why and settings.source in ("--url", "VACATE_URL"):
        raise LocalOnly(
            f"`vacate {ctx.invoked_subcommand}` {why}; it has no remote mode, but "
            f"{settings.source} points at {settings.url} (leave it out)"
        )


def client_settings() -> ClientSettings:
    """The server (and its token) chosen for this invocation; read once."""
    from vacate.config import load_client_settings

    if SESSION.client is None:
        SESSION.client = load_client_settings(url_option=SESSION.url_option)
    return SESSION.client


def open_client() -> Client:
    """The server given by ``--url`` (or the settings), else this machine's engine."""
    settings = client_settings()
    if settings.url:
        from vacate.client.http import HttpClient

        ca = str(settings.ca_file) if settings.ca_file else True
        return HttpClient(settings.url, token=settings.token, verify=ca)
    from vacate.client.local import LocalClient

    return LocalClient(open_app(), cli_actor())


def open_app() -> bootstrap.App:
    """This machine's database and cloud (local-only commands, and the local client)."""
    from vacate import bootstrap

    return bootstrap.build()


def cli_actor() -> Actor:
    """The person at the terminal: the CLI acts as an admin of the local database."""
    import getpass
    import socket

    from vacate.domain.actors import Actor, Role

    try:
        name = getpass.getuser()
    except Exception:
        name = "unknown"
    return Actor(name=name, role=Role.ADMIN, origin=f"cli {socket.gethostname()}")
