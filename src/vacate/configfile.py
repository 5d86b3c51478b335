"""The configuration file: ``$VACATE_CONFIG``, else ``/etc/vacate/vacate.toml`` when it exists.

TOML, read with the standard library. Every key is declared here with its type and the
environment variable that overrides it (``vacate.config`` applies the precedence: a command
line option, then the variable, then the file, then the default). A file Vacate cannot read,
that is not TOML, or that holds an unknown key or a value of the wrong type is refused with
one line naming the file and the key: a misspelt ``db_url`` must never quietly fall back to
another database.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from vacate.domain.errors import SetupError

DEFAULT_PATH = Path("/etc/vacate/vacate.toml")


@dataclass(frozen=True)
class Key:
    """One setting of the file: its TOML type(s), its variable, and what it means."""

    types: tuple[type, ...]
    env: str | None
    help: str
    default: str = ""


#: Every key the file may hold, by ``section.name`` (top-level keys have no section).
KEYS: dict[str, Key] = {
    "home": Key((str,), "VACATE_HOME", "The embedded database and the simulated cloud's state",
                "the per-user data directory"),
    "db_url": Key((str,), "VACATE_DB_URL", "The store: sqlite:///path or postgresql+psycopg://…",
                  "sqlite:///HOME/vacate.db"),
    "cloud": Key((str,), "VACATE_CLOUD", "The backend: simulated or openstack", "simulated"),
    "sim_speed": Key((str, int, float), "VACATE_SIM_SPEED",
                     "Simulated time over real time, or \"max\" (virtual time)", "1"),
    "lease_seconds": Key((int, float), "VACATE_LEASE_SECONDS",
                         "How long a worker's hold on a job lasts without renewal", "15"),
    "poll_seconds": Key((int, float), "VACATE_POLL_SECONDS",
                        "How often a running job looks at the cloud", "2"),
    "server.bind": Key((str,), None, "`vacate serve --bind`: HOST:PORT", "127.0.0.1:8779"),
    "server.tls_cert": Key((str,), None, "`--tls-cert`: PEM certificate (chain)", "none: HTTP"),
    "server.tls_key": Key((str,), None, "`--tls-key`: PEM private key", "none"),
    "server.log_format": Key((str,), None, "`--log-format`: text or json", "text"),
    "server.worker": Key((bool,), None, "Run queued jobs in the server (false: `--no-worker`)",
                         "true"),
    "server.forwarded_allow_ips": Key((str,), None,
                                      "`--forwarded-allow-ips`: proxies believed", "127.0.0.1"),
    "server.read_cache": Key((int, float), None,
                             "`--read-cache`: seconds a cloud read may serve reads", "0"),
    "client.url": Key((str,), "VACATE_URL", "The server the CLI works with (`--url`)",
                      "none: this machine"),
    "client.token_file": Key((str,), "VACATE_TOKEN_FILE",
                             "A file holding the API token (VACATE_TOKEN holds the token itself)",
                             "none"),
    "client.ca_file": Key((str,), "VACATE_CA_FILE",
                          "PEM CA bundle to trust for an https:// server", "the system's"),
}  # fmt: skip

SECTIONS = ("server", "client")


@dataclass(frozen=True)
class ConfigFile:
    """The file's values by ``section.name``; ``path`` None when there is no file."""

    path: Path | None
    values: Mapping[str, Any]

    def get(self, key: str) -> Any:
        return self.values.get(key)

    def where(self, key: str) -> str:
        return f"{self.path}: {key}"


NO_FILE = ConfigFile(None, {})


def config_path(env: Mapping[str, str]) -> Path | None:
    """``$VACATE_CONFIG`` (which must exist), else the default file if it exists."""
    given = env.get("VACATE_CONFIG")
    if given:
        return Path(given).expanduser()
    return DEFAULT_PATH if DEFAULT_PATH.is_file() else None


def _flatten(path: Path, data: dict[str, Any]) -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for name, value in data.items():
        if name in SECTIONS:
            if not isinstance(value, dict):
                raise SetupError(f"{path}: {name} must be a table ([{name}])")
            for inner, item in value.items():
                flat[f"{name}.{inner}"] = item
        else:
            flat[name] = value
    return flat


def _check(path: Path, key: str, value: Any) -> None:
    spec = KEYS.get(key)
    if spec is None:
        known = ", ".join(KEYS)
        raise SetupError(f"{path}: unknown key {key!r} (known: {known})")
    # TOML booleans are ints to Python: a boolean is only where one is declared.
    if isinstance(value, bool) and bool not in spec.types:
        ok = False
    else:
        ok = isinstance(value, spec.types)
    if not ok:
        wanted = " or ".join({"str": "a string", "int": "a number", "float": "a number",
                              "bool": "true or false"}[t.__name__] for t in spec.types)  # fmt: skip
        raise SetupError(f"{path}: {key} must be {wanted}, not {value!r}")


def read_config(env: Mapping[str, str] | None = None) -> ConfigFile:
    env = os.environ if env is None else env
    path = config_path(env)
    if path is None:
        return NO_FILE
    try:
        text = path.read_bytes()
    except OSError as exc:
        raise SetupError(f"VACATE_CONFIG {path}: {exc.strerror or exc}") from None
    try:
        data = tomllib.loads(text.decode("utf-8"))
    except UnicodeDecodeError:
        raise SetupError(f"{path}: not UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        raise SetupError(f"{path}: not valid TOML: {exc}") from None
    values = _flatten(path, data)
    for key, value in values.items():
        _check(path, key, value)
    return ConfigFile(path, values)
