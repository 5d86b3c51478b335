"""Starting moves and steering running ones, the Nova way.

Every move is a server action that Nova answers 202 to; its record is written by the API
(evacuation) or the conductor (live and cold migration). ``start`` sends the action and then
looks, gently and for a bounded time, for the new record until Nova's conductor has scheduled
the move: a NoValidHost arrives within that moment and is raised here as ``PermanentError``
with Nova's reason; any other failure is the migration's, seen by whoever watches it.

Live migrations go to the planned host *without* ``force`` (Nova's scheduler still checks it)
or to ``None`` (the scheduler picks), with ``block_migration: auto``. Evacuations are sent at
2.95 where Nova has it: the server then ends SHUTOFF on its new host, and starting the ones that
ran is Vacate's decision, made after the evacuation is recorded, not Nova's.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from vacate.clouds.openstack import actions
from vacate.clouds.openstack.api import Api, Json
from vacate.clouds.openstack.migrations import NOVA_TYPES, SCHEDULING, Ref, kind_of, timestamp
from vacate.domain.errors import Conflict, PermanentError
from vacate.domain.model import HostName, InstanceId, MigrationId
from vacate.ports.cloud import MigrationKind

#: Waits between looks for a new migration record, about twelve seconds in all: a busy
#: conductor can take more than five to schedule (or refuse) a move. The looks end as soon as
#: the record leaves scheduling, so only a slow conductor makes a start wait this long.
LOOKS_S = (0.1, 0.2, 0.3, 0.4, 0.5, 0.75, 1.0, 1.0, 1.0, 2.0, 2.0, 3.0)
_NO_VALID_HOST = "No valid host"


def records(api: Api, server_id: str, kind: MigrationKind | None = None) -> list[Json]:
    """The server's migration records, oldest first."""
    query = {"instance_uuid": server_id}
    if kind is not None:
        query["migration_type"] = NOVA_TYPES[kind]
    data = api.get("/os-migrations", kind="migrations of", name=server_id, query=query)
    return sorted(data.get("migrations", []), key=lambda r: int(r["id"]))


def action_body(kind: MigrationKind, dest: HostName | None) -> Json:
    if kind is MigrationKind.LIVE:
        return {"os-migrateLive": {"host": dest, "block_migration": "auto"}}
    if kind is MigrationKind.COLD:
        return {"migrate": {"host": dest} if dest else None}
    return {"evacuate": {"host": dest} if dest else {}}


class Mover:
    def __init__(
        self,
        api: Api,
        *,
        sleep: Callable[[float], None] = time.sleep,
        wall: Callable[[], float] = time.time,
        evacuate_microversion: str | None = None,
    ) -> None:
        self._api = api
        self._sleep = sleep
        self._wall = wall
        self._evacuate_microversion = evacuate_microversion

    def start(
        self, server_id: InstanceId, kind: MigrationKind, dest: HostName | None
    ) -> MigrationId:
        before = records(self._api, server_id, kind)
        newest = int(before[-1]["id"]) if before else 0
        since = int(self._wall())
        self._api.request(
            "POST",
            f"/servers/{server_id}/action",
            kind="instance",
            name=server_id,
            body=action_body(kind, dest),
            microversion=self._evacuate_microversion if kind is MigrationKind.EVACUATION else None,
        )
        pending = Ref(server=server_id, after=newest, since=since, kind=kind)
        for wait in LOOKS_S:
            self._sleep(wait)
            fresh = [r for r in records(self._api, server_id, kind) if int(r["id"]) > newest]
            if not fresh:
                continue
            record = fresh[-1]
            status = str(record.get("status"))
            pending = Ref(server=server_id, nova_id=int(record["id"]))
            if status in ("error", "failed"):
                if self._refused_for(server_id, record) is None:
                    continue
                return pending.text
            if status not in SCHEDULING:
                return pending.text
        return pending.text

    def _refused_for(self, server_id: str, record: Json) -> str | None:
        """Why the failed move failed, or ``None`` while Nova has not written it yet.

        NoValidHost is a refusal of the request itself and is raised. The conductor marks the
        record ``error`` a moment *before* it closes the action's event with the reason, so a
        failure without a reason is looked at again rather than taken for the migration's own.
        Any other failure is the migration's, reported (with its reason) to whoever watches it.
        """
        created = timestamp(record.get("created_at")) or 0.0
        reason = actions.failure_reason(self._api, server_id, kind_of(record), created)
        if reason and _NO_VALID_HOST in reason:
            raise PermanentError(reason)
        return reason

    # ------------------------------------------------------------ controls
    def _on_migration(self, migration_id: str, verb: str) -> Ref:
        ref = Ref.parse(migration_id)
        if ref.nova_id is None:
            found = [r for r in records(self._api, ref.server) if int(r["id"]) > ref.after]
            if not found:
                raise Conflict(f"cannot {verb} migration {migration_id}: Nova has not started it")
            ref = Ref(server=ref.server, nova_id=int(found[0]["id"]))
        return ref

    def force_complete(self, migration_id: MigrationId) -> None:
        ref = self._on_migration(migration_id, "force-complete")
        self._api.request(
            "POST",
            f"/servers/{ref.server}/migrations/{ref.nova_id}/action",
            kind="migration",
            name=ref.text,
            body={"force_complete": None},
            conflict_on_400=True,
        )

    def abort(self, migration_id: MigrationId) -> None:
        ref = self._on_migration(migration_id, "abort")
        self._api.request(
            "DELETE",
            f"/servers/{ref.server}/migrations/{ref.nova_id}",
            kind="migration",
            name=ref.text,
            conflict_on_400=True,
        )

    def confirm(self, server_id: InstanceId) -> None:
        self._api.request(
            "POST",
            f"/servers/{server_id}/action",
            kind="instance",
            name=server_id,
            body={"confirmResize": None},
            conflict_on_400=True,
        )

    def revert(self, server_id: InstanceId) -> None:
        self._api.request(
            "POST",
            f"/servers/{server_id}/action",
            kind="instance",
            name=server_id,
            body={"revertResize": None},
            conflict_on_400=True,
        )
