"""Checks of single values in the fencing file, each refusing with the key path it read.

Messages never repeat a value: the value may be a password typed into the wrong key.
"""

from __future__ import annotations

import fnmatch
import math
import re
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from vacate.fencing.secret import Secret

MAX_TIMEOUT_S = 300.0
MAX_ATTEMPTS = 10


class Problem(Exception):
    """One mistake at one key path; turned into a ``SetupError`` naming the file."""

    def __init__(self, key: str, message: str) -> None:
        super().__init__(f"{key}: {message}")


def beside(path: Path, name: str) -> Path:
    """``name`` as written (``~`` expanded), relative names taken from the fencing file's
    directory, so a file and its secrets can move together."""
    return path.parent / Path(name).expanduser()


def known(table: dict[str, Any], allowed: tuple[str, ...], prefix: str) -> None:
    for name in table:
        if name not in allowed:
            raise Problem(f"{prefix}{name}", f"unknown key (known: {', '.join(allowed)})")


def string(table: dict[str, Any], name: str, where: str) -> str:
    value = table[name]
    if not isinstance(value, str) or not value.strip():
        raise Problem(where, "must be a non-empty string")
    return value


def template(table: dict[str, Any], name: str, where: str) -> str:
    value = string(table, name, where)
    if "{" in value.replace("{host}", "") or "}" in value.replace("{host}", ""):
        raise Problem(where, "only {host} may be templated")
    return value


def address(text: str, where: str) -> str:
    if "{" in text.replace("{host}", "") or "}" in text.replace("{host}", ""):
        raise Problem(where, "only {host} may be templated")
    parts = urlsplit(text.replace("{host}", "host"))
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise Problem(where, "must be an https:// (or http://) address of the BMC")
    if parts.username is not None or parts.password is not None:
        raise Problem(where, "must not hold credentials: use username and password_file")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise Problem(where, "must be the BMC's scheme and host only (no path)")
    return text


def password_file(path: Path, text: str, where: str, warnings: list[str]) -> Secret:
    file = beside(path, text)
    try:
        value = file.read_text(encoding="utf-8").rstrip("\r\n")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
        raise Problem(where, f"cannot read {file} ({reason})") from None
    if not value:
        raise Problem(where, f"{file} is empty")
    if world_readable(file):
        warnings.append(f"password file {file} can be read by every user: chmod 600 {file}")
    return Secret(value)


def verify(path: Path, value: object, where: str) -> bool | str:
    if isinstance(value, bool):
        return value
    if not isinstance(value, str) or not value.strip():
        raise Problem(where, "must be true, false or the path of a CA bundle")
    bundle = beside(path, value)
    if not bundle.exists():
        raise Problem(where, f"CA bundle {bundle} does not exist")
    return str(bundle)


def seconds(table: dict[str, Any], name: str, key: Callable[[str], str], default: float) -> float:
    value = table.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise Problem(key(name), "must be a number of seconds")
    if not math.isfinite(value) or not 0 < value <= MAX_TIMEOUT_S:
        raise Problem(key(name), f"must be above 0 and at most {MAX_TIMEOUT_S:g} seconds")
    return float(value)


def attempts(value: object, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_ATTEMPTS:
        raise Problem(where, f"must be a whole number from 1 to {MAX_ATTEMPTS}")
    return value


def glob(text: str) -> Callable[[str], bool]:
    return lambda host: fnmatch.fnmatchcase(host, text)


def regex(text: str, where: str) -> Callable[[str], bool]:
    try:
        compiled = re.compile(text)
    except re.error as exc:
        raise Problem(where, f"not a regular expression ({exc})") from None
    return lambda host: compiled.fullmatch(host) is not None


def world_readable(file: Path) -> bool:
    try:
        return bool(file.stat().st_mode & stat.S_IROTH)
    except OSError:
        return False
