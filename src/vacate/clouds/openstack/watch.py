"""Watching moves on Nova: its migration records as the port's migrations.

A listing takes the records as Nova states them (one call). Watching one migration adds what
only a closer look gives: the live figures (``/servers/{id}/migrations/{id}`` while it runs;
Nova drops them once it ends, so the last ones seen are kept), the pre-copy passes counted
from them, the done-only-when-there check against the server's host, and the reason of a
failure from the instance actions.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from dataclasses import replace

from vacate.clouds.openstack import actions
from vacate.clouds.openstack.api import Api, Json
from vacate.clouds.openstack.migrations import PassTracker, Ref, kind_of, timestamp, to_migration
from vacate.clouds.openstack.moves import records
from vacate.clouds.openstack.servers import Servers
from vacate.domain.errors import NotFound, PermanentError
from vacate.domain.model import HostName, InstanceId, MigrationId
from vacate.ports.cloud import Migration, MigrationKind, MigrationStatus

#: ``list()`` without an instance looks back this far (the engine counts moves in flight;
#: older records are history).
RECENT_S = 24 * 3600.0
#: A move whose record never appeared is reported failed after this long.
UNRECORDED_S = 120.0


class Watch:
    def __init__(self, compute: Api, *, wall: Callable[[], float] = time.time) -> None:
        self.compute = compute
        self._servers = Servers(compute)
        self._passes = PassTracker()
        self._reasons: dict[str, str | None] = {}
        #: The last live figures seen per migration: Nova drops them once it ends.
        self._figures: dict[str, Json] = {}
        self._wall = wall

    def _server_host(self, server_id: str) -> str | None:
        try:
            host = self._servers.get(server_id).get("OS-EXT-SRV-ATTR:host")
        except NotFound:
            return None
        return str(host) if host else None

    def _reason(self, record: Json) -> str:
        key = f"{record['instance_uuid']}/{record['id']}"
        if key not in self._reasons:
            created = timestamp(record.get("created_at")) or 0.0
            try:
                reason = actions.failure_reason(
                    self.compute, str(record["instance_uuid"]), kind_of(record), created
                )
            except (NotFound, PermanentError):
                reason = None
            self._reasons[key] = reason
        reason = self._reasons[key]
        status = record.get("status")
        what = f"{kind_of(record).value} migration {status} on Nova"
        return f"{what}: {reason}" if reason else f"{what} (Nova gave no reason)"

    def _progress(self, record: Json) -> Json | None:
        """The live figures, which only ``/servers/{id}/migrations`` has while it runs."""
        if kind_of(record) is not MigrationKind.LIVE or record.get("status") not in (
            "queued",
            "preparing",
            "running",
            "running (post-copy)",
            "post-migrating",
        ):
            return None
        with contextlib.suppress(NotFound):
            data = self.compute.get(
                f"/servers/{record['instance_uuid']}/migrations/{record['id']}",
                kind="migration",
                name=str(record["id"]),
            )
            return dict(data.get("migration") or {})
        return None

    def view(self, record: Json, *, detailed: bool) -> Migration:
        """A record as the port's migration. ``detailed`` (watching one migration) adds the
        live figures, the done-only-when-there check and the failure reason; a listing takes
        the records as Nova states them, so that it stays one call."""
        if not detailed:
            mig = to_migration(record, server_host=record.get("dest_compute"))
            if mig.status is MigrationStatus.FAILED:
                mig = replace(
                    mig, error=f"{mig.kind.value} migration {record.get('status')} on Nova"
                )
            return mig
        key = f"{record['instance_uuid']}/{record['id']}"
        progress = self._progress(record)
        passes: tuple[int, tuple[float, ...]] = (0, ())
        if progress and progress.get("memory_remaining_bytes") is not None:
            passes = self._passes.observe(key, float(progress["memory_remaining_bytes"]))
        if progress:
            self._figures[key] = progress
        else:
            progress = self._figures.get(key)
        host = self._server_host(str(record["instance_uuid"]))
        mig = to_migration(record, server_host=host, progress=progress, passes=passes)
        if mig.status is MigrationStatus.FAILED:
            mig = replace(mig, error=self._reason(record))
        return mig

    def get(self, migration_id: MigrationId) -> Migration:
        ref = Ref.parse(migration_id)
        found = records(self.compute, ref.server)
        if ref.nova_id is None:
            later = [r for r in found if int(r["id"]) > ref.after]
            if not later:
                return self._unrecorded(ref, migration_id)
            record = later[0]
        else:
            matches = [r for r in found if int(r["id"]) == ref.nova_id]
            if not matches:
                raise NotFound("migration", migration_id)
            record = matches[0]
        return self.view(record, detailed=True)

    def _unrecorded(self, ref: Ref, migration_id: MigrationId) -> Migration:
        late = self._wall() - ref.since > UNRECORDED_S
        host = self._server_host(ref.server)
        return Migration(
            id=migration_id,
            instance_id=ref.server,
            kind=ref.kind,
            source=HostName(host or ""),
            dest=None,
            status=MigrationStatus.FAILED if late else MigrationStatus.QUEUED,
            created_at=float(ref.since),
            finished_at=self._wall() if late else None,
            error="Nova accepted the move but never recorded it" if late else None,
        )

    def list(self, *, instance_id: InstanceId | None = None) -> list[Migration]:
        if instance_id is not None:
            found = records(self.compute, instance_id)
        else:
            since = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(self._wall() - RECENT_S))
            data = self.compute.get(
                "/os-migrations", kind="migrations", name="recent", query={"changes-since": since}
            )
            found = sorted(data.get("migrations", []), key=lambda r: int(r["id"]))
        views = [self.view(r, detailed=False) for r in found]
        return sorted(views, key=lambda m: (m.created_at, m.id))
