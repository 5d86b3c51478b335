"""``vacate serve`` and ``vacate token …``: the API server and what it needs on the command
line (``vacate audit list`` is in ``vacate.cli.audit_cmds``). ``register(app)`` adds them to the
main Typer app. ``serve``'s options default to the configuration file's ``[server]`` keys.

The server's libraries (FastAPI, uvicorn) are imported by ``serve`` only, and the database by
the token commands when they run: every other command of the CLI, and ``--help``, starts without
paying for them.
"""

from __future__ import annotations

import json
import sys
import time
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console

if TYPE_CHECKING:
    from vacate.ports.auth import AuthStore, StoredToken

console = Console(width=None if sys.stdout.isatty() else 160)
err = Console(stderr=True, soft_wrap=True)

token_app = typer.Typer(no_args_is_help=True, help="API tokens: create, list, revoke.")


class Format(StrEnum):
    TABLE = "table"
    JSON = "json"


class TokenRole(StrEnum):
    ADMIN = "admin"
    READER = "reader"


class LogFormat(StrEnum):
    TEXT = "text"
    JSON = "json"


FormatOpt = Annotated[Format, typer.Option("--format", "-f", help="table or json")]


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)
    app.add_typer(token_app, name="token")


def _auth() -> AuthStore:
    from vacate import bootstrap
    from vacate.store.auth import auth_store_for

    return auth_store_for(bootstrap.build(need_cloud=False).ctx.store)


def _me() -> tuple[str, str]:
    import getpass
    import socket

    try:
        name = getpass.getuser()
    except Exception:
        name = "unknown"
    return name, f"cli {socket.gethostname()}"


def _when(at: float | None) -> str:
    if at is None:
        return "—"
    return datetime.fromtimestamp(at, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, default=str) + "\n")


def _note(auth: AuthStore, action: str, detail: str) -> None:
    """The CLI's token commands are actions too: they go in the audit log."""
    from vacate.domain.actors import Role
    from vacate.ports.auth import NewAuditEntry

    name, origin = _me()
    auth.record(
        NewAuditEntry(
            at=time.time(),
            actor=name,
            role=Role.ADMIN.value,
            origin=origin,
            action=action,
            outcome="allowed",
            status=0,
            detail=detail,
        )
    )


# ------------------------------------------------------------------ serve
def serve(
    bind: Annotated[
        str | None, typer.Option("--bind", help="HOST:PORT to listen on [default: 127.0.0.1:8779]")
    ] = None,
    tls_cert: Annotated[
        Path | None, typer.Option("--tls-cert", help="PEM certificate (chain) for HTTPS.")
    ] = None,
    tls_key: Annotated[Path | None, typer.Option("--tls-key", help="PEM private key.")] = None,
    log_format: Annotated[
        LogFormat | None,
        typer.Option("--log-format", help="text, or json: one object per line [default: text]"),
    ] = None,
    no_worker: Annotated[
        bool, typer.Option("--no-worker", help="Answer only; leave jobs to `vacate worker`.")
    ] = False,
    forwarded_allow_ips: Annotated[
        str | None,
        typer.Option(
            "--forwarded-allow-ips",
            help="Proxies whose X-Forwarded-For is believed (comma list) [default: 127.0.0.1]",
        ),
    ] = None,
    read_cache: Annotated[
        float | None,
        typer.Option(
            "--read-cache",
            min=0.0,
            help="Seconds a cloud read may serve read requests (0: only reads in flight) "
            "[default: 0]",
        ),
    ] = None,
) -> None:
    """Serve the REST API and run queued jobs in the same process; SIGTERM stops gracefully.
    Options left out come from the configuration file's server table."""
    from vacate.api import logs, server, wiring
    from vacate.config import load_settings

    settings = load_settings()
    conf = settings.server
    host, port = server.parse_bind(bind if bind is not None else conf.bind)
    logs.configure(log_format.value if log_format is not None else conf.log_format)
    run_worker = conf.worker and not no_worker
    cert, key = (tls_cert, tls_key) if tls_cert or tls_key else (conf.tls_cert, conf.tls_key)
    options = server.ServeOptions(
        host=host,
        port=port,
        tls_cert=cert,
        tls_key=key,
        run_worker=run_worker,
        forwarded_allow_ips=forwarded_allow_ips or conf.forwarded_allow_ips,
    )
    cache = read_cache if read_cache is not None else conf.read_cache
    svc = wiring.api_services(settings, read_cache_s=cache)
    server.serve(svc, wiring.worker_context(settings) if run_worker else None, options)


# ------------------------------------------------------------------ tokens
@token_app.command("create")
def token_create(
    role: Annotated[TokenRole, typer.Option("--role", help="admin acts; reader reads.")],
    name: Annotated[str, typer.Option("--name", help="Who or what uses it (unique, for good).")],
    expires: Annotated[
        str | None, typer.Option("--expires", help="Lifetime: 30d, 12h, 90m, 2w (default never).")
    ] = None,
    fmt: FormatOpt = Format.TABLE,
) -> None:
    """Make a token and print it once: only its hash is kept."""
    from vacate.api.tokens import make_token, parse_duration
    from vacate.domain.actors import Role

    lifetime = parse_duration(expires) if expires else None
    auth = _auth()
    made = make_token(
        name, Role(role.value), now=time.time(), expires_in_s=lifetime, created_by=_me()[0]
    )
    auth.add_token(made.stored)
    _note(auth, "token.create", f"{name} ({role.value})")
    if fmt is Format.JSON:
        data = _token_dict(made.stored)
        data["token"] = made.text
        _json(data)
        return
    sys.stdout.write(made.text + "\n")
    err.print(
        f"token {name} ({role.value}, expires {_when(made.stored.expires_at)}): "
        "shown this once — keep it now",
        markup=False,
    )


def _state(token: StoredToken, now: float) -> str:
    if token.revoked_at is not None:
        return "revoked"
    return "active" if token.usable(now) else "expired"


def _token_dict(token: StoredToken) -> dict[str, Any]:
    return {
        "name": token.name,
        "role": token.role.value,
        "state": _state(token, time.time()),
        "created_at": token.created_at,
        "created_by": token.created_by,
        "expires_at": token.expires_at,
        "revoked_at": token.revoked_at,
    }


@token_app.command("list")
def token_list(fmt: FormatOpt = Format.TABLE) -> None:
    """Every token ever made, with its state; never the token itself."""
    from rich.table import Table

    tokens = _auth().list_tokens()
    if fmt is Format.JSON:
        _json([_token_dict(t) for t in tokens])
        return
    table = Table(title="API tokens")
    for column in ("name", "role", "state", "created", "by", "expires", "revoked"):
        table.add_column(column)
    now = time.time()
    for t in tokens:
        table.add_row(
            t.name,
            t.role.value,
            _state(t, now),
            _when(t.created_at),
            t.created_by,
            _when(t.expires_at),
            _when(t.revoked_at),
        )
    console.print(table)


@token_app.command("revoke")
def token_revoke(name: str) -> None:
    """Revoke a token at once: the next request with it is refused."""
    auth = _auth()
    token = auth.revoke_token(name, at=time.time())
    _note(auth, "token.revoke", name)
    console.print(f"token {token.name}: revoked {_when(token.revoked_at)}")
