"""Nova's migration records as the port's ``Migration``.

Identity: Nova numbers a migration (``id``) and addresses its controls under the server
(``/servers/{server}/migrations/{id}``), so a Vacate migration id is ``"<server>/<id>"``.
A move whose record Nova has not written yet (its conductor works asynchronously) is
``"<server>/after-<newest id before the call>@<epoch>:<kind>"`` until the record appears.

Completion: a record's status alone is not enough — during an evacuation Nova briefly shows
the server ACTIVE on the old host, and a live migration's server moves before its record says
``completed``. A move is reported done only when the record has finished AND the server's host
is the destination; until then it is still running.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from datetime import UTC, datetime

from vacate.clouds.openstack.api import Json
from vacate.domain.errors import NotFound
from vacate.domain.model import HostName, InstanceId, MigrationId
from vacate.ports.cloud import Migration, MigrationKind, MigrationStatus

NOVA_TYPES = {
    MigrationKind.LIVE: "live-migration",
    MigrationKind.COLD: "migration",
    MigrationKind.EVACUATION: "evacuation",
}
KINDS = {
    "live-migration": MigrationKind.LIVE,
    "migration": MigrationKind.COLD,
    "resize": MigrationKind.COLD,
    "evacuation": MigrationKind.EVACUATION,
}

_S = MigrationStatus
STATUSES: dict[MigrationKind, dict[str, MigrationStatus]] = {
    MigrationKind.LIVE: {
        "accepted": _S.QUEUED,
        "queued": _S.QUEUED,
        "preparing": _S.PREPARING,
        "running": _S.RUNNING,
        "running (post-copy)": _S.POST_COPY,
        # The guest runs on the destination; the source is being cleaned up.
        "post-migrating": _S.POST_COPY,
        "completed": _S.COMPLETED,
        "cancelled": _S.CANCELLED,
        "failed": _S.FAILED,
        "error": _S.FAILED,
    },
    MigrationKind.COLD: {
        "accepted": _S.QUEUED,
        "pre-migrating": _S.PREPARING,
        "migrating": _S.RUNNING,
        "post-migrating": _S.RUNNING,
        "finished": _S.FINISHED,
        "confirming": _S.FINISHED,
        "confirmed": _S.COMPLETED,
        "reverting": _S.RUNNING,
        "reverted": _S.CANCELLED,
        "failed": _S.FAILED,
        "error": _S.FAILED,
    },
    MigrationKind.EVACUATION: {
        "accepted": _S.QUEUED,
        "pre-migrating": _S.PREPARING,
        "rebuilding": _S.RUNNING,
        "done": _S.COMPLETED,
        "completed": _S.COMPLETED,
        "failed": _S.FAILED,
        "error": _S.FAILED,
    },
}
#: Statuses in which Nova's conductor is still scheduling (a NoValidHost comes next).
SCHEDULING = {"accepted", "pre-migrating"}
#: A record whose move seems done while the server has not reached its destination.
_NOT_THERE_YET = {
    MigrationKind.LIVE: _S.POST_COPY,
    MigrationKind.COLD: _S.RUNNING,
    MigrationKind.EVACUATION: _S.RUNNING,
}
_REF = re.compile(
    r"^(?P<server>[^/]+)/(?:(?P<id>\d+)|after-(?P<after>\d+)@(?P<since>\d+):(?P<kind>[a-z]+))$"
)


@dataclass(frozen=True, kw_only=True)
class Ref:
    """Where a Vacate migration id points: a Nova record, or one that is still to appear."""

    server: InstanceId
    nova_id: int | None = None
    after: int = 0
    since: int = 0
    kind: MigrationKind = MigrationKind.LIVE

    @property
    def text(self) -> MigrationId:
        if self.nova_id is not None:
            return MigrationId(f"{self.server}/{self.nova_id}")
        return MigrationId(f"{self.server}/after-{self.after}@{self.since}:{self.kind.value}")

    @classmethod
    def parse(cls, text: str) -> Ref:
        match = _REF.match(text)
        if match is None:
            raise NotFound("migration", text)
        if match["id"] is not None:
            return cls(server=InstanceId(match["server"]), nova_id=int(match["id"]))
        try:
            kind = MigrationKind(match["kind"])
        except ValueError:
            raise NotFound("migration", text) from None
        return cls(
            server=InstanceId(match["server"]),
            after=int(match["after"]),
            since=int(match["since"]),
            kind=kind,
        )


def timestamp(text: str | None) -> float | None:
    """Nova's naive UTC timestamps as epoch seconds."""
    if not text:
        return None
    value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.timestamp()


def kind_of(record: Json) -> MigrationKind:
    return KINDS.get(str(record.get("migration_type")), MigrationKind.COLD)


def status_of(record: Json, server_host: str | None) -> MigrationStatus:
    """The port's status, with the done-only-when-there rule applied."""
    kind = kind_of(record)
    status = STATUSES[kind].get(str(record.get("status")), _S.RUNNING)
    dest = record.get("dest_compute")
    arrived = (
        server_host is not None
        and server_host == dest
        and server_host != record.get("source_compute")
    )
    if status in (_S.COMPLETED, _S.FINISHED) and not arrived:
        return _NOT_THERE_YET[kind]
    return status


class PassTracker:
    """Pre-copy passes inferred from successive looks at ``memory_remaining_bytes``.

    Nova reports no pass counter; each pass ends when libvirt recounts the dirty pages, which
    shows as a rise of the remaining bytes. Kept per process, for the ladder's stall test.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._seen: dict[str, tuple[float, list[float]]] = {}

    def observe(self, key: str, remaining: float) -> tuple[int, tuple[float, ...]]:
        with self._lock:
            last, ends = self._seen.get(key, (remaining, []))
            if remaining > last * 1.02 and last > 0:
                ends = [*ends, last]
            self._seen[key] = (remaining, ends)
            return len(ends), tuple(ends)


def to_migration(
    record: Json,
    *,
    server_host: str | None,
    progress: Json | None = None,
    passes: tuple[int, tuple[float, ...]] = (0, ()),
    error: str | None = None,
) -> Migration:
    status = status_of(record, server_host)
    created = timestamp(record.get("created_at")) or 0.0
    finished = timestamp(record.get("updated_at")) if status.is_terminal else None
    figures = progress or {}
    dest = record.get("dest_compute")
    return Migration(
        id=Ref(server=InstanceId(str(record["instance_uuid"])), nova_id=int(record["id"])).text,
        instance_id=InstanceId(str(record["instance_uuid"])),
        kind=kind_of(record),
        source=HostName(str(record.get("source_compute") or "")),
        dest=HostName(str(dest)) if dest else None,
        status=status,
        created_at=created,
        finished_at=finished,
        memory_total_bytes=float(figures.get("memory_total_bytes") or 0),
        memory_processed_bytes=float(figures.get("memory_processed_bytes") or 0),
        memory_remaining_bytes=float(figures.get("memory_remaining_bytes") or 0),
        passes=passes[0],
        pass_remaining=passes[1],
        error=error if status is _S.FAILED else None,
    )
