"""The AuthStore port: API tokens (their hashes only), the audit log and idempotency keys, plus
the few counts ``/metrics`` reads, on the database the jobs live in.

The audit log is the answer to "who did that": every action through the API — allowed or
refused — and every token created or revoked lands here, with the actor's name and never a
token.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from vacate.domain.actors import Role


@dataclass(frozen=True, kw_only=True)
class StoredToken:
    """What is kept of a token: its public key id and the hash of its secret."""

    name: str
    key_id: str
    secret_hash: str
    role: Role
    created_at: float
    created_by: str
    expires_at: float | None = None
    revoked_at: float | None = None

    def usable(self, now: float) -> bool:
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)


@dataclass(frozen=True, kw_only=True)
class NewAuditEntry:
    at: float
    actor: str
    role: str
    origin: str
    action: str
    outcome: str
    status: int
    host: str | None = None
    job_id: str | None = None
    detail: str = ""


@dataclass(frozen=True, kw_only=True)
class AuditEntry(NewAuditEntry):
    seq: int


@dataclass(frozen=True, kw_only=True)
class AuditQuery:
    """Filters of the audit log; newest first, ``before`` a sequence number for the next page."""

    actor: str | None = None
    action: str | None = None
    host: str | None = None
    job_id: str | None = None
    outcome: str | None = None
    since: float | None = None
    until: float | None = None
    before: int | None = None
    limit: int = 100


@dataclass(frozen=True, kw_only=True)
class IdempotencyRecord:
    actor: str
    key: str
    fingerprint: str
    job_id: str | None
    created_at: float


@dataclass(frozen=True, kw_only=True)
class WorkCounts:
    """What ``/metrics`` reports of the whole database (every process sees the same)."""

    jobs: dict[tuple[str, str], int]  # (kind, status) → count
    tasks: dict[tuple[str, str], int]  # (outcome, method) → count of finished tasks
    in_flight: int  # tasks of running jobs whose migration is under way


class AuthStore(Protocol):
    # -- tokens --
    def add_token(self, token: StoredToken) -> None:
        """Raises ``Conflict`` if the name was ever used."""
        ...

    def token_by_key(self, key_id: str) -> StoredToken | None: ...

    def list_tokens(self) -> list[StoredToken]: ...

    def revoke_token(self, name: str, *, at: float) -> StoredToken:
        """Raises ``NotFound`` naming an unknown token; revoking twice keeps the first time."""
        ...

    # -- audit log --
    def record(self, entry: NewAuditEntry) -> None: ...

    def audit(self, query: AuditQuery) -> list[AuditEntry]: ...

    # -- idempotency keys --
    def reserve_key(
        self, actor: str, key: str, *, fingerprint: str, at: float
    ) -> IdempotencyRecord | None:
        """None if this call reserved the key; else the record that already holds it."""
        ...

    def bind_key(self, actor: str, key: str, job_id: str) -> None: ...

    def release_key(self, actor: str, key: str) -> None:
        """Forget a reservation whose request failed, so the client may retry with the key."""
        ...

    def get_key(self, actor: str, key: str) -> IdempotencyRecord | None: ...

    # -- operations --
    def ping(self) -> None:
        """Raises ``SetupError`` if the database cannot be reached."""
        ...

    def work_counts(self) -> WorkCounts: ...
