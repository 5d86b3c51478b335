"""Who asked: every command carries an actor, recorded on its job and events for the audit log."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    ADMIN = "admin"  # acts
    READER = "reader"  # reads
    SYSTEM = "system"  # Vacate itself (a worker, a monitor's report)


@dataclass(frozen=True, kw_only=True)
class Actor:
    name: str
    role: Role = Role.ADMIN
    #: Where the request came from: ``cli``, ``api 10.0.0.5``, ``worker host:pid`` …
    origin: str = ""

    def __str__(self) -> str:
        where = f", {self.origin}" if self.origin else ""
        return f"{self.name} ({self.role.value}{where})"


#: For code paths that have no person behind them (tests, internal maintenance).
SYSTEM = Actor(name="vacate", role=Role.SYSTEM, origin="internal")
