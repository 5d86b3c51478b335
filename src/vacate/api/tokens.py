"""API tokens: a public key id to find the row, and a high-entropy secret of which only a
hash is ever stored. ``vct_<key id>.<secret>`` is shown once, when the token is created."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

from vacate.domain.actors import Role
from vacate.ports.auth import StoredToken

PREFIX = "vct_"
_TOKEN = re.compile(r"^vct_([0-9a-f]{16})\.([A-Za-z0-9_-]{43})$")
_DURATION = re.compile(r"^\s*(\d+)\s*([smhdw])\s*$")
_UNIT_S = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
#: Compared against when no token has the key id, so a miss costs what a hit costs.
_DUMMY_HASH = hashlib.sha256(b"no such token").hexdigest()
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$")


@dataclass(frozen=True)
class NewToken:
    """A freshly made token: ``text`` goes to the person once, ``stored`` to the database."""

    text: str
    stored: StoredToken


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def make_token(
    name: str, role: Role, *, now: float, expires_in_s: float | None, created_by: str
) -> NewToken:
    if not NAME.match(name):
        raise ValueError(
            f"token name {name!r}: letters, digits and . _ @ - only, at most 64 characters"
        )
    if role not in (Role.ADMIN, Role.READER):
        raise ValueError(f"role {role.value!r}: a token is admin or reader")
    key_id = secrets.token_hex(8)
    secret = secrets.token_urlsafe(32)
    stored = StoredToken(
        name=name,
        key_id=key_id,
        secret_hash=hash_secret(secret),
        role=role,
        created_at=now,
        created_by=created_by,
        expires_at=None if expires_in_s is None else now + expires_in_s,
    )
    return NewToken(text=f"{PREFIX}{key_id}.{secret}", stored=stored)


def split_token(text: str) -> tuple[str, str] | None:
    """(key id, secret), or None for anything that is not shaped like a Vacate token."""
    match = _TOKEN.match(text.strip())
    return None if match is None else (match.group(1), match.group(2))


def secret_matches(secret: str, stored: StoredToken | None) -> bool:
    """Constant time on the hashes, whether or not a token was found."""
    expected = stored.secret_hash if stored is not None else _DUMMY_HASH
    same = hmac.compare_digest(hash_secret(secret), expected)
    return same and stored is not None


def parse_duration(text: str, *, option: str = "--expires") -> float:
    """``30d``, ``12h``, ``90m``, ``2w``, ``45s`` → seconds."""
    match = _DURATION.match(text)
    if match is None or int(match.group(1)) == 0:
        raise ValueError(f"{option} {text!r}: a positive number and a unit s, m, h, d or w")
    return float(int(match.group(1)) * _UNIT_S[match.group(2)])
