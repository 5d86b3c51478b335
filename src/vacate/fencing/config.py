"""The fencing file: which BMC powers each host off, read once and checked whole.

A TOML file (``$VACATE_FENCING_FILE``, default ``$VACATE_HOME/fencing.toml``) with optional
``[defaults]`` and one ``[[bmc]]`` table per host, glob pattern or regular expression. An exact
host name wins over every pattern; among patterns the first in the file wins, so a file reads
top to bottom like a firewall. Every mistake is refused at load with one line naming the file
and the key path (``bmc[2].pasword``, tables counted from 1), because a typo found only when a
host has died would leave its instances stranded. Passwords live in ``Secret`` so no repr,
log line or error message can show one.
"""

from __future__ import annotations

import logging
import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from vacate.domain.errors import SetupError
from vacate.fencing import values
from vacate.fencing.secret import Secret

LOG = logging.getLogger(__name__)

MATCH_KEYS = ("host", "pattern", "regex")
ENTRY_KEYS = (
    "address",
    "system",
    "username",
    "password",
    "password_file",
    "verify",
    "connect_timeout",
    "read_timeout",
    "attempts",
)
DEFAULT_CONNECT_TIMEOUT_S = 5.0
DEFAULT_READ_TIMEOUT_S = 10.0
DEFAULT_ATTEMPTS = 1
#: Host names that may be put into an address or system template.
_SAFE_HOST = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")


@dataclass(frozen=True, kw_only=True)
class Bmc:
    """How to reach one host's BMC. ``address`` and ``system`` may hold ``{host}``."""

    match: str  # the host, pattern or regex as written, for messages
    address: str
    system: str | None  # a Systems member id or path; None = the BMC's only system
    username: str | None
    password: Secret | None = field(repr=False)
    verify: bool | str  # True, False or the path of a CA bundle
    connect_timeout_s: float = DEFAULT_CONNECT_TIMEOUT_S
    read_timeout_s: float = DEFAULT_READ_TIMEOUT_S
    attempts: int = DEFAULT_ATTEMPTS

    def address_for(self, host: str) -> str:
        return _fill(self.address, host).rstrip("/")

    def system_for(self, host: str) -> str | None:
        if self.system is None:
            return None
        system = _fill(self.system, host)
        return system if system.startswith("/") else f"/redfish/v1/Systems/{system}"


def _fill(template: str, host: str) -> str:
    if "{host}" in template and not _SAFE_HOST.fullmatch(host):
        raise ValueError(f"host name {host!r} cannot be put into the template {template!r}")
    return template.replace("{host}", host)


@dataclass(frozen=True)
class _Pattern:
    text: str
    matches: Callable[[str], bool]
    bmc: Bmc


@dataclass(frozen=True, kw_only=True)
class FencingConfig:
    path: Path
    exact: Mapping[str, Bmc]
    patterns: tuple[_Pattern, ...]
    #: Things worth an operator's attention that do not stop fencing (file permissions).
    warnings: tuple[str, ...] = ()

    def bmc_for(self, host: str) -> Bmc | None:
        if host in self.exact:
            return self.exact[host]
        return next((p.bmc for p in self.patterns if p.matches(host)), None)


def load_fencing_file(path: Path) -> FencingConfig:
    """Read and check the whole file; raises ``SetupError`` with one line for the first
    mistake. Never echoes a value that might be a password."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise SetupError(f"fencing file {path}: cannot read it ({exc.strerror})") from None
    try:
        document = tomllib.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        # tomllib's message names line and column, never the value.
        raise SetupError(f"fencing file {path}: not valid TOML ({exc})") from None
    warnings: list[str] = []
    try:
        config = _parse(path, document, warnings)
    except values.Problem as exc:
        raise SetupError(f"fencing file {path}: {exc}") from None
    for warning in config.warnings:
        LOG.warning("%s", warning)
    return config


def _parse(path: Path, document: dict[str, Any], warnings: list[str]) -> FencingConfig:
    values.known(document, ("defaults", "bmc"), "")
    defaults = document.get("defaults", {})
    if not isinstance(defaults, dict):
        raise values.Problem("defaults", "must be a table: [defaults]")
    values.known(defaults, ENTRY_KEYS, "defaults.")
    tables = document.get("bmc", [])
    if not isinstance(tables, list) or not all(isinstance(t, dict) for t in tables):
        raise values.Problem("bmc", "must be a list of tables: [[bmc]]")
    exact: dict[str, Bmc] = {}
    patterns: list[_Pattern] = []
    inline_password = "password" in defaults
    for number, table in enumerate(tables, start=1):
        where = f"bmc[{number}]"
        values.known(table, MATCH_KEYS + ENTRY_KEYS, f"{where}.")
        given = [key for key in MATCH_KEYS if key in table]
        if len(given) != 1:
            raise values.Problem(where, "needs exactly one of host, pattern or regex")
        kind = given[0]
        text = values.string(table, kind, f"{where}.{kind}")
        inline_password = inline_password or "password" in table
        bmc = _bmc(path, text, defaults, table, where, warnings)
        if kind == "host":
            if text in exact:
                raise values.Problem(f"{where}.host", f"{text!r} is already configured above")
            exact[text] = bmc
        elif kind == "pattern":
            patterns.append(_Pattern(text, values.glob(text), bmc))
        else:
            patterns.append(_Pattern(text, values.regex(text, f"{where}.regex"), bmc))
    if inline_password and values.world_readable(path):
        warnings.append(
            f"fencing file {path} holds a password and every user can read it: "
            f"chmod 600 {path}, or move the password to a password_file"
        )
    unique = tuple(dict.fromkeys(warnings))
    return FencingConfig(path=path, exact=exact, patterns=tuple(patterns), warnings=unique)


def _bmc(
    path: Path,
    match: str,
    defaults: dict[str, Any],
    table: dict[str, Any],
    where: str,
    warnings: list[str],
) -> Bmc:
    def key(name: str) -> str:
        return f"{where}.{name}" if name in table else f"defaults.{name}"

    merged = {**defaults, **table}
    if "address" not in merged:
        raise values.Problem(f"{where}.address", "missing: the BMC's https:// address")
    address = values.address(values.string(merged, "address", key("address")), key("address"))
    system = values.template(merged, "system", key("system")) if "system" in merged else None
    username = values.string(merged, "username", key("username")) if "username" in merged else None
    # The entry's own password (inline or file) replaces the default one as a whole.
    own = "password" in table or "password_file" in table
    source, prefix = (table, where) if own else (defaults, "defaults")
    if "password" in source and "password_file" in source:
        raise values.Problem(prefix, "give password or password_file, not both")
    password: Secret | None = None
    if "password" in source:
        password = Secret(values.string(source, "password", f"{prefix}.password"))
    elif "password_file" in source:
        name = f"{prefix}.password_file"
        password = values.password_file(
            path, values.string(source, "password_file", name), name, warnings
        )
    if (username is None) != (password is None):
        raise values.Problem(where, "username and a password (or password_file) go together")
    return Bmc(
        match=match,
        address=address,
        system=system,
        username=username,
        password=password,
        verify=values.verify(path, merged.get("verify", True), key("verify")),
        connect_timeout_s=values.seconds(merged, "connect_timeout", key, DEFAULT_CONNECT_TIMEOUT_S),
        read_timeout_s=values.seconds(merged, "read_timeout", key, DEFAULT_READ_TIMEOUT_S),
        attempts=values.attempts(merged.get("attempts", DEFAULT_ATTEMPTS), key("attempts")),
    )
