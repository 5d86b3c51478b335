"""The simulated cloud's database: what one process writes another sees, a session writes only
what it changed, a failed session changes nothing, and a cloud of the old format is migrated."""

from __future__ import annotations

import gc
import sqlite3
import weakref
from dataclasses import replace
from pathlib import Path

import pytest

from vacate.clouds.sim.cloud import SimCloud
from vacate.clouds.sim.generate import generate, make_host
from vacate.clouds.sim.legacy import JsonFileState
from vacate.clouds.sim.state import FileState, SimState
from vacate.domain.errors import SetupError
from vacate.domain.model import HostName, InstanceId, ServiceStatus, VmState


def _generation(path: Path) -> int:
    with sqlite3.connect(path) as db:
        return int(db.execute("SELECT value FROM meta WHERE key = 'generation'").fetchone()[0])


def _docs(path: Path, table: str) -> dict[str, str]:
    with sqlite3.connect(path) as db:
        return dict(db.execute(f"SELECT * FROM {table}").fetchall())


def test_a_change_made_through_one_holder_is_seen_through_another(tmp_path: Path) -> None:
    path = tmp_path / "sim.db"
    FileState(path).write(generate(hosts=4, instances=10, seed=2))
    reader, writer = FileState(path), FileState(path)
    with reader.session() as state:
        host = sorted(state.hosts)[0]
        assert state.hosts[host].service_status is ServiceStatus.ENABLED
    with writer.session() as state:
        state.hosts[host] = replace(state.hosts[host], service_status=ServiceStatus.DISABLED)
    with reader.session() as state:
        assert state.hosts[host].service_status is ServiceStatus.DISABLED


def test_a_session_that_changes_nothing_writes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "sim.db"
    FileState(path).write(generate(hosts=4, instances=10, seed=2))
    before = _generation(path)
    holder = FileState(path)
    for _ in range(3):
        with holder.session() as state:
            assert state.hosts
    assert _generation(path) == before


def test_a_session_rewrites_only_the_records_it_changed(tmp_path: Path) -> None:
    path = tmp_path / "sim.db"
    FileState(path).write(generate(hosts=4, instances=10, seed=2))
    before = _docs(path, "instances")
    cloud = SimCloud(FileState(path), speed=None)
    moved = next(i for i in cloud.list_instances() if i.vm_state is VmState.ACTIVE)
    cloud.live_migrate(moved.id, None)
    after = _docs(path, "instances")
    assert {k for k in after if after[k] != before[k]} == {moved.id}
    assert len(_docs(path, "transfers")) == 1


def test_a_migration_that_progresses_in_place_is_written_back(tmp_path: Path) -> None:
    path = tmp_path / "sim.db"
    FileState(path).write(generate(hosts=4, instances=10, seed=2))
    cloud = SimCloud(FileState(path), speed=None)
    moved = next(i for i in cloud.list_instances() if i.vm_state is VmState.ACTIVE)
    mid = cloud.live_migrate(moved.id, None)
    cloud.clock.sleep(3600)
    fresh = SimCloud(FileState(path), speed=None)
    assert fresh.get_migration(mid).status.is_terminal
    assert fresh.get_instance(moved.id).host != moved.host


def test_a_session_that_fails_keeps_nothing_of_what_it_did(tmp_path: Path) -> None:
    path = tmp_path / "sim.db"
    FileState(path).write(generate(hosts=4, instances=10, seed=2))
    holder = FileState(path)
    with holder.session() as state:
        host = sorted(state.hosts)[0]
    with pytest.raises(RuntimeError), holder.session() as state:
        state.hosts[host] = replace(state.hosts[host], service_status=ServiceStatus.DISABLED)
        raise RuntimeError("the call failed half-way")
    for seen in (holder, FileState(path)):
        with seen.session() as state:
            assert state.hosts[HostName(host)].service_status is ServiceStatus.ENABLED


def test_a_replaced_cloud_is_seen_by_a_holder_that_read_the_old_one(tmp_path: Path) -> None:
    path = tmp_path / "sim.db"
    FileState(path).write(generate(hosts=4, instances=10, seed=2))
    holder = FileState(path)
    with holder.session() as state:
        assert len(state.hosts) == 4
    FileState(path).write(generate(hosts=6, instances=10, seed=2))
    with holder.session() as state:
        assert len(state.hosts) == 6


def test_a_cloud_of_the_old_format_is_migrated_once_and_kept_aside(tmp_path: Path) -> None:
    original = generate(hosts=5, instances=30, seed=4)
    JsonFileState(tmp_path / "sim-cloud.json").write(original)
    holder = FileState(tmp_path / "sim-cloud.db")
    with holder.session() as state:
        assert state.to_dict() == original.to_dict()
    assert not (tmp_path / "sim-cloud.json").exists()
    assert (tmp_path / "sim-cloud.json.migrated").exists()
    with FileState(tmp_path / "sim-cloud.db").session() as state:
        assert state.to_dict() == original.to_dict()


def test_a_file_that_is_not_a_cloud_database_is_refused_by_name_and_kept(tmp_path: Path) -> None:
    path = tmp_path / "sim-cloud.db"
    path.write_text("hello")
    with pytest.raises(SetupError, match=r"sim-cloud\.db is damaged"), FileState(path).session():
        pass
    assert path.read_text() == "hello"


def test_a_database_of_another_version_is_refused_by_name(tmp_path: Path) -> None:
    path = tmp_path / "sim-cloud.db"
    FileState(path).write(generate(hosts=3, instances=2, seed=1))
    with sqlite3.connect(path) as db:
        db.execute("UPDATE meta SET value = '7' WHERE key = 'version'")
    with pytest.raises(SetupError, match=r"sim-cloud\.db .*version 7"), FileState(path).session():
        pass


def test_an_instance_deleted_in_a_session_is_gone_from_the_file(tmp_path: Path) -> None:
    path = tmp_path / "sim.db"
    FileState(path).write(generate(hosts=4, instances=10, seed=2))
    cloud = SimCloud(FileState(path), speed=None)
    gone = cloud.list_instances()[0].id
    cloud.delete_instance(InstanceId(gone))
    assert gone not in _docs(path, "instances")


def test_threads_sharing_one_holder_take_turns_and_every_change_lands(tmp_path: Path) -> None:
    import threading

    path = tmp_path / "sim.db"
    FileState(path).write(generate(hosts=4, instances=10, seed=2))
    holder = FileState(path)
    errors: list[BaseException] = []

    def bump() -> None:
        try:
            for _ in range(50):
                with holder.session() as state:
                    state.next_id += 1
        except BaseException as exc:  # pragma: no cover - what the test looks for
            errors.append(exc)

    with FileState(path).session() as state:
        start = state.next_id
    threads = [threading.Thread(target=bump) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with FileState(path).session() as state:
        assert state.next_id == start + 200


def test_a_large_cloud_loaded_out_of_the_collectors_walks_is_still_freed_when_replaced(
    tmp_path: Path,
) -> None:
    """A large load is frozen out of the cyclic collector (its walks grew a host list faster
    than the cloud); it must still be freed by reference counting once another process's write
    replaces it — else every reload in a server would keep the old cloud for good."""
    path = tmp_path / "sim.db"
    big = SimState()
    for n in range(20_000):
        host = make_host(f"c{n:05d}")
        big.hosts[host.name] = host
    FileState(path).write(big)
    reader, writer = FileState(path), FileState(path)
    gc.collect()
    frozen_before = gc.get_freeze_count()
    with reader.session() as s:
        first = weakref.ref(s)
        assert len(s.hosts) + len(s.instances) >= 20_000
    assert gc.get_freeze_count() > frozen_before  # the load was frozen
    with writer.session() as s:
        host = next(iter(s.hosts.values()))
        s.hosts[host.name] = replace(host, disabled_reason="x")
    with reader.session() as s:  # another process wrote: a fresh load replaces the first
        assert s is not first()
    assert first() is None
