"""The dashboard's session: a signed cookie that names a token by its public key id, never the
token itself, and a CSRF token bound to it.

The cookie is ``<key id>.<expires>.<nonce>.<signature>``; the signature is an HMAC with the
server's session key over those fields *and the token's stored hash*, so a session dies with
its token (revoked, expired, or replaced) and a copied database alone forges none. The key is
made when the server starts: a restart signs everyone out, which is the safe default.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass

from vacate.ports.auth import StoredToken

COOKIE = "vacate_session"
#: The sign-in form's double-submit cookie (there is no session yet to bind a CSRF token to).
SIGNIN_COOKIE = "vacate_signin"
#: A session lasts a working day, or less if its token expires first.
LIFETIME_S = 8 * 3600


@dataclass(frozen=True)
class Session:
    key_id: str
    expires: int
    nonce: str
    token: StoredToken


class Sessions:
    """Issue and check session cookies and their CSRF tokens with one process-wide key."""

    def __init__(self, key: bytes | None = None) -> None:
        self._key = key or secrets.token_bytes(32)

    def _sign(self, key_id: str, expires: int, nonce: str, secret_hash: str) -> str:
        message = f"{key_id}.{expires}.{nonce}.{secret_hash}".encode()
        return hmac.new(self._key, message, hashlib.sha256).hexdigest()

    def issue(self, token: StoredToken, *, now: float) -> tuple[str, int]:
        """The cookie value and its lifetime in seconds."""
        lifetime = LIFETIME_S
        if token.expires_at is not None:
            lifetime = max(1, min(lifetime, int(token.expires_at - now)))
        expires = int(now) + lifetime
        nonce = secrets.token_urlsafe(16)
        signature = self._sign(token.key_id, expires, nonce, token.secret_hash)
        return f"{token.key_id}.{expires}.{nonce}.{signature}", lifetime

    def read(
        self, cookie: str, lookup: Callable[[str], StoredToken | None], *, now: float
    ) -> Session | None:
        """The session, or None if the cookie is malformed, forged, expired or its token is no
        longer usable."""
        parts = cookie.split(".")
        if len(parts) != 4 or not parts[1].isdigit():
            return None
        key_id, expires_text, nonce, signature = parts
        expires = int(expires_text)
        if expires <= now:
            return None
        token = lookup(key_id)
        if token is None or not token.usable(now):
            return None
        expected = self._sign(key_id, expires, nonce, token.secret_hash)
        if not hmac.compare_digest(expected, signature):
            return None
        return Session(key_id=key_id, expires=expires, nonce=nonce, token=token)

    def csrf(self, session: Session) -> str:
        """The CSRF token of every form of this session."""
        return hmac.new(self._key, f"csrf.{session.nonce}".encode(), hashlib.sha256).hexdigest()

    def csrf_matches(self, session: Session, given: str) -> bool:
        return hmac.compare_digest(self.csrf(session), given)


def new_signin_nonce() -> str:
    return secrets.token_urlsafe(24)
