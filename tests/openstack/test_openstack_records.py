"""Reading Nova's records and errors (pure: no Nova needed)."""

from __future__ import annotations

import pytest

from vacate.clouds.openstack.errors import classify, message_of
from vacate.clouds.openstack.migrations import PassTracker, Ref, status_of, to_migration
from vacate.domain.errors import Conflict, NotFound, PermanentError, TemporaryError
from vacate.ports.cloud import MigrationKind, MigrationStatus


def record(status: str, kind: str = "live-migration", dest: str | None = "compute-2") -> dict:
    return {
        "id": 7,
        "instance_uuid": "a1",
        "migration_type": kind,
        "status": status,
        "source_compute": "compute-1",
        "dest_compute": dest,
        "created_at": "2026-01-02T03:04:05.500000",
        "updated_at": "2026-01-02T03:04:09.000000",
    }


@pytest.mark.parametrize(
    ("kind", "status"),
    [("live-migration", "completed"), ("evacuation", "done"), ("migration", "confirmed")],
)
def test_a_move_is_done_only_when_the_server_is_on_the_destination(kind: str, status: str) -> None:
    assert status_of(record(status, kind), "compute-1") not in (
        MigrationStatus.COMPLETED,
        MigrationStatus.FINISHED,
    )
    assert status_of(record(status, kind), None).is_terminal is False
    assert status_of(record(status, kind), "compute-2") is MigrationStatus.COMPLETED


def test_an_active_server_on_the_old_host_is_not_a_finished_evacuation() -> None:
    assert status_of(record("done", "evacuation"), "compute-1") is MigrationStatus.RUNNING


def test_nova_statuses_map_onto_the_ports() -> None:
    assert status_of(record("running (post-copy)"), "compute-1") is MigrationStatus.POST_COPY
    assert status_of(record("error"), "compute-1") is MigrationStatus.FAILED
    assert status_of(record("cancelled"), "compute-1") is MigrationStatus.CANCELLED
    assert status_of(record("finished", "migration"), "compute-2") is MigrationStatus.FINISHED
    assert status_of(record("accepted", dest=None), "compute-1") is MigrationStatus.QUEUED


def test_migration_ids_round_trip() -> None:
    assert Ref.parse("a1/7") == Ref(server="a1", nova_id=7)  # type: ignore[arg-type]
    pending = Ref(server="a1", after=6, since=1700000000, kind=MigrationKind.COLD)  # type: ignore[arg-type]
    assert Ref.parse(pending.text) == pending
    with pytest.raises(NotFound):
        Ref.parse("no-slash")
    mig = to_migration(record("completed"), server_host="compute-2")
    assert mig.id == "a1/7" and mig.created_at == pytest.approx(1767323045.5)
    assert mig.finished_at == pytest.approx(1767323049.0)


def test_passes_are_counted_from_rises_of_the_remaining_bytes() -> None:
    tracker = PassTracker()
    looks = [100.0, 60.0, 30.0, 90.0, 50.0, 80.0, 40.0]
    results = [tracker.observe("m", r) for r in looks]
    assert results[-1] == (2, (30.0, 50.0))


def test_errors_are_classified_by_status_and_message() -> None:
    busy = "Cannot 'os-migrateLive' instance x while it is in task_state migrating"
    assert isinstance(classify(409, busy, kind="instance", name="x"), TemporaryError)
    state = "Cannot 'os-migrateLive' instance x while it is in vm_state stopped"
    assert type(classify(409, state, kind="instance", name="x")) is Conflict
    assert isinstance(classify(404, "gone", kind="instance", name="x"), NotFound)
    assert isinstance(classify(400, "No valid host was found.", kind="i", name="x"), PermanentError)
    assert isinstance(classify(403, "Policy", kind="host", name="h"), PermanentError)
    assert isinstance(classify(502, "bad gateway", kind="host", name="h"), TemporaryError)


def test_error_messages_are_read_from_nova_and_placement_bodies() -> None:
    nova = b'{"conflictingRequest": {"code": 409, "message": "Cannot \\n do it"}}'
    assert message_of(nova, 409) == "Cannot do it"
    placement = b'{"errors": [{"status": 404, "detail": "No resource provider"}]}'
    assert message_of(placement, 404) == "No resource provider"
    assert message_of(b"<html>proxy error</html>", 502) == "HTTP 502"
