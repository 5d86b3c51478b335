"""Where Vacate keeps its state, how fast simulated time runs, how the server listens and which
server the CLI talks to: read from the environment over the configuration file
(``vacate.configfile``: ``$VACATE_CONFIG``, else ``/etc/vacate/vacate.toml``).

A command line option beats its variable, a variable beats the file, the file beats the
default; a bad value is refused with a message naming where it came from (the variable, or the
file and its key).

``VACATE_HOME`` holds the SQLite database and the simulated cloud (default: the per-user data
directory). ``VACATE_DB_URL`` points the store elsewhere (e.g. PostgreSQL).
``VACATE_SIM_SPEED`` is the simulated cloud's speed over real time (``10`` = ten times faster) or
``max`` for virtual time that jumps ahead whenever Vacate waits.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import platformdirs

from vacate.configfile import ConfigFile, read_config
from vacate.domain.errors import SetupError

DEFAULT_SPEED = "1"


@dataclass(frozen=True, kw_only=True)
class ServerSettings:
    """``vacate serve``'s defaults (its options override them)."""

    bind: str = "127.0.0.1:8779"
    tls_cert: Path | None = None
    tls_key: Path | None = None
    log_format: str = "text"
    worker: bool = True
    forwarded_allow_ips: str = "127.0.0.1"
    read_cache: float = 0.0


@dataclass(frozen=True, kw_only=True)
class ClientSettings:
    """The server the CLI works with; no ``url``: this machine. The token is never shown."""

    url: str | None = None
    token: str | None = field(default=None, repr=False)
    ca_file: Path | None = None
    #: Where ``url`` came from, for messages: ``--url``, ``VACATE_URL`` or the file's key.
    source: str = ""


@dataclass(frozen=True, kw_only=True)
class Settings:
    home: Path
    db_url: str
    sim_speed: float | None  # None = "max": virtual time
    lease_ttl_s: float
    poll_s: float
    #: Which backend: ``simulated`` (the built-in cloud) or ``openstack``.
    cloud: str = "simulated"
    #: Alertmanager labels that name a failed host, first found wins (VACATE_ALERT_HOST_LABELS).
    alert_host_labels: tuple[str, ...] = ("host", "instance", "nodename")
    server: ServerSettings = field(default_factory=ServerSettings)
    #: The configuration file read, if any.
    config_path: Path | None = None

    @property
    def sim_path(self) -> Path:
        return self.home / "sim-cloud.db"


def parse_speed(text: str, name: str = "VACATE_SIM_SPEED") -> float | None:
    """``max`` → None (virtual time); a positive number → that factor over real time."""
    text = text.strip().lower()
    if text == "max":
        return None
    return positive(name, text, also="or 'max'")


def positive(name: str, text: str, *, also: str = "") -> float:
    """A finite number above zero, or a ``SetupError`` naming the variable: one bad variable
    must never reach the simulated cloud's clock (``inf`` or ``nan`` would stay there)."""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value <= 0:
        allowed = f"a finite number above 0{' ' + also if also else ''}"
        raise SetupError(f"{name} must be {allowed}, not {text.strip()!r}")
    return value


_BACKENDS = ("sqlite", "postgresql", "postgres")


def database_url(text: str, name: str = "VACATE_DB_URL") -> str:
    """``VACATE_DB_URL`` must name a backend Vacate supports (checked without connecting)."""
    scheme = text.split(":", 1)[0].split("+", 1)[0].lower() if ":" in text else ""
    if scheme not in _BACKENDS:
        raise SetupError(
            f"{name} must be a sqlite:/// or postgresql:// URL, not one starting "
            f"'{text.split('://', 1)[0]}://'"
        )
    if (scheme == "sqlite" and text.rstrip("/").lower() in ("sqlite:", "sqlite:/")) or (
        scheme == "sqlite" and ":memory:" in text
    ):
        raise SetupError(
            f"{name} points at an in-memory SQLite database, which keeps nothing: "
            "give a file, sqlite:///path/to/vacate.db"
        )
    return text


class _Sources:
    """Each setting from the environment, else the file: its text and where it came from."""

    def __init__(self, env: Mapping[str, str], config: ConfigFile) -> None:
        self.env = env
        self.config = config

    def get(self, key: str, var: str, default: str) -> tuple[str, str]:
        value = self.env.get(var)
        if value:
            return value, var
        found = self.config.get(key)
        if found is not None:
            return str(found), self.config.where(key)
        return default, var

    def file(self, key: str, default: Any) -> Any:
        found = self.config.get(key)
        return default if found is None else found


def _server(config: ConfigFile) -> ServerSettings:
    def path(key: str) -> Path | None:
        value = config.get(key)
        return None if not value else Path(value).expanduser()

    fmt = config.get("server.log_format")
    if fmt is not None and fmt not in ("text", "json"):
        raise SetupError(f"{config.where('server.log_format')} must be text or json, not {fmt!r}")
    cache = config.get("server.read_cache")
    if cache is not None and not (math.isfinite(cache) and cache >= 0):
        raise SetupError(f"{config.where('server.read_cache')} must be 0 or more, not {cache!r}")
    defaults = ServerSettings()
    return ServerSettings(
        bind=config.get("server.bind") or defaults.bind,
        tls_cert=path("server.tls_cert"),
        tls_key=path("server.tls_key"),
        log_format=fmt or defaults.log_format,
        worker=defaults.worker
        if config.get("server.worker") is None
        else config.get("server.worker"),
        forwarded_allow_ips=config.get("server.forwarded_allow_ips")
        or defaults.forwarded_allow_ips,
        read_cache=float(cache) if cache is not None else defaults.read_cache,
    )


def _check_file_values(config: ConfigFile) -> None:
    """Every value the file holds is checked, even one a variable overrides today: a file that
    is refused only once its variable is unset is a trap for the next person."""
    checks: dict[str, Callable[[str, str], object]] = {
        "db_url": lambda text, where: database_url(text, where),
        "sim_speed": lambda text, where: parse_speed(text, where),
        "lease_seconds": lambda text, where: positive(where, text),
        "poll_seconds": lambda text, where: positive(where, text),
        "cloud": lambda text, where: parse_cloud(text, where),
    }
    for key, check in checks.items():
        value = config.get(key)
        if value is not None:
            check(str(value), config.where(key))


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    env = dict(os.environ) if env is None else env
    config = read_config(env)
    _check_file_values(config)
    src = _Sources(env, config)
    home_text, home_from = src.get("home", "VACATE_HOME", "")
    home = Path(home_text or platformdirs.user_data_dir("vacate")).expanduser()
    if home.exists() and not home.is_dir():
        raise SetupError(f"{home_from} {home} is a file, not a directory")
    db_text, db_from = src.get("db_url", "VACATE_DB_URL", f"sqlite:///{home / 'vacate.db'}")
    speed, speed_from = src.get("sim_speed", "VACATE_SIM_SPEED", DEFAULT_SPEED)
    if "VACATE_SIM_SPEED" in env and not env["VACATE_SIM_SPEED"]:
        speed, speed_from = "", "VACATE_SIM_SPEED"  # set but empty: refused, not defaulted
    lease, lease_from = src.get("lease_seconds", "VACATE_LEASE_SECONDS", "15")
    poll, poll_from = src.get("poll_seconds", "VACATE_POLL_SECONDS", "2")
    cloud, cloud_from = src.get("cloud", "VACATE_CLOUD", "simulated")
    return Settings(
        home=home,
        db_url=database_url(db_text, db_from),
        sim_speed=parse_speed(speed, speed_from),
        lease_ttl_s=positive(lease_from, lease),
        poll_s=positive(poll_from, poll),
        cloud=parse_cloud(cloud, cloud_from),
        server=_server(config),
        config_path=config.path,
        alert_host_labels=tuple(
            x.strip()
            for x in env.get("VACATE_ALERT_HOST_LABELS", "host,instance,nodename").split(",")
            if x.strip()
        ),
    )


def _url(text: str, source: str) -> str:
    url = text.strip()
    if not url.lower().startswith(("http://", "https://")) or len(url.split("://", 1)[1]) == 0:
        raise SetupError(f"{source} must be an http:// or https:// URL, not {text!r}")
    return url.rstrip("/")


def _token_file(path: Path, source: str) -> str:
    try:
        token = path.read_text().strip()
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else "unreadable"
        raise SetupError(f"{source} {path}: {reason}") from None
    if not token:
        raise SetupError(
            f"{source} {path} is empty: put the token from `vacate token create` in it"
        )
    return token


def load_client_settings(
    env: Mapping[str, str] | None = None,
    *,
    url_option: str | None = None,
    read_token: bool = True,
) -> ClientSettings:
    """The server to talk to: ``--url``, else ``VACATE_URL``, else the file's ``client.url``
    (``VACATE_URL=`` set but empty means this machine, whatever the file says). The token is
    read only when there is a server to send it to (and ``read_token``: a command that will
    not talk to it needs no token file)."""
    env = dict(os.environ) if env is None else env
    config = read_config(env)
    if url_option is not None:
        if not url_option.strip():
            return ClientSettings()
        try:
            url, source = _url(url_option, "--url"), "--url"
        except SetupError as exc:
            raise ValueError(str(exc)) from None
    elif "VACATE_URL" in env:
        if not env["VACATE_URL"].strip():
            return ClientSettings()
        url, source = _url(env["VACATE_URL"], "VACATE_URL"), "VACATE_URL"
    elif config.get("client.url"):
        source = config.where("client.url")
        url = _url(config.get("client.url"), source)
    else:
        return ClientSettings()
    token = env.get("VACATE_TOKEN") or None
    if token is None and read_token:
        if env.get("VACATE_TOKEN_FILE"):
            token = _token_file(Path(env["VACATE_TOKEN_FILE"]).expanduser(), "VACATE_TOKEN_FILE")
        elif config.get("client.token_file"):
            where = config.where("client.token_file")
            token = _token_file(Path(config.get("client.token_file")).expanduser(), where)
    ca_text = env.get("VACATE_CA_FILE") or config.get("client.ca_file")
    ca_file = Path(ca_text).expanduser() if ca_text else None
    if ca_file is not None and not ca_file.is_file():
        where = "VACATE_CA_FILE" if env.get("VACATE_CA_FILE") else config.where("client.ca_file")
        raise SetupError(f"{where} {ca_file}: no such file")
    return ClientSettings(url=url, token=token, ca_file=ca_file, source=source)


CLOUDS = ("simulated", "openstack")


def parse_cloud(text: str, name: str = "VACATE_CLOUD") -> str:
    value = text.strip().lower() or "simulated"
    if value not in CLOUDS:
        raise SetupError(f"{name} must be one of {', '.join(CLOUDS)}, not {text!r}")
    return value
