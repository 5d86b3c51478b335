"""The simulated cloud as the Cloud port: its clock, its scheduler, its failures, its file."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from vacate.clouds.sim.cloud import SimCloud
from vacate.clouds.sim.generate import FLAVORS, from_mapping, generate
from vacate.clouds.sim.state import FileState, MemoryState, SimState
from vacate.config import load_settings, parse_speed
from vacate.domain.errors import Conflict, NotFound, PermanentError, SetupError
from vacate.domain.model import HostName, InstanceId, ServiceStatus, VmState
from vacate.ports.cloud import MigrationStatus

SMALL = {
    "hosts": [{"name": "a"}, {"name": "b"}, {"name": "c"}],
    "instances": [
        {
            "id": "i-run",
            "name": "run",
            "host": "a",
            "flavor": "m1.medium",
            "workload": {"touched_mb": 1024, "dirty_mb_s": 10, "wss_mb": 64},
        },
        {"id": "i-stop", "name": "stop", "host": "a", "flavor": "m1.small", "vm_state": "stopped"},
    ],
}


class FakeWall:
    """Wall time the test moves by hand."""

    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


def test_simulated_time_keeps_passing_between_processes_at_real_speed(tmp_path: Path) -> None:
    wall = FakeWall()
    holder = FileState(tmp_path / "sim.json")
    holder.write(from_mapping(SMALL))
    first = SimCloud(holder, speed=10.0, wall=wall)
    mig = first.live_migrate(InstanceId("i-run"), HostName("b"))
    started = first.get_migration(mig).created_at
    del first  # "the process exits"
    wall.t += 30.0  # 30 s of wall time = 300 s of simulated time pass with no process
    second = SimCloud(FileState(tmp_path / "sim.json"), speed=10.0, wall=wall)
    migration = second.get_migration(mig)
    assert migration.status is MigrationStatus.COMPLETED
    assert second.clock.now() == pytest.approx(started + 300.0)
    assert second.get_instance(InstanceId("i-run")).host == "b"


def test_a_new_speed_re_anchors_without_jumping_back_in_time(tmp_path: Path) -> None:
    wall = FakeWall()
    holder = FileState(tmp_path / "sim.json")
    holder.write(from_mapping(SMALL))
    slow = SimCloud(holder, speed=2.0, wall=wall)
    slow.list_hosts()
    wall.t += 10.0
    before = slow.clock.now()
    fast = SimCloud(holder, speed=100.0, wall=wall)
    assert fast.clock.now() == pytest.approx(before)
    wall.t += 1.0
    assert fast.clock.now() == pytest.approx(before + 100.0)


def test_virtual_time_moves_only_when_someone_sleeps() -> None:
    cloud = SimCloud(MemoryState(from_mapping(SMALL)), speed=None)
    t0 = cloud.clock.now()
    cloud.list_hosts()
    assert cloud.clock.now() == t0
    cloud.clock.sleep(7.5)
    assert cloud.clock.now() == pytest.approx(t0 + 7.5)


def test_a_virtual_sleep_wakes_when_a_migration_ends() -> None:
    cloud = SimCloud(MemoryState(from_mapping(SMALL)), speed=None)
    mig = cloud.live_migrate(InstanceId("i-run"), HostName("b"))
    cloud.clock.sleep(3600.0)
    migration = cloud.get_migration(mig)
    assert migration.status is MigrationStatus.COMPLETED
    assert migration.finished_at is not None
    assert cloud.clock.now() - migration.finished_at < 1.0


def test_the_scheduler_never_boots_onto_a_disabled_or_down_host() -> None:
    cloud = SimCloud(MemoryState(from_mapping(SMALL)), speed=None)
    cloud.disable_service("a", "vacate: test")
    cloud.force_down("b", True)
    booted = [cloud.boot(f"n{i}", FLAVORS["m1.small"]) for i in range(6)]
    assert {i.host for i in booted} == {"c"}


def test_booting_with_no_valid_host_says_which_filter_removed_them() -> None:
    cloud = SimCloud(MemoryState(from_mapping(SMALL)), speed=None)
    for name in ("a", "b", "c"):
        cloud.disable_service(name, "full")
    with pytest.raises(PermanentError, match="ComputeFilter"):
        cloud.boot("nowhere", FLAVORS["m1.small"])


def test_a_stopped_instance_cannot_be_live_migrated_but_can_be_cold_migrated() -> None:
    cloud = SimCloud(MemoryState(from_mapping(SMALL)), speed=None)
    with pytest.raises(Conflict, match="stopped"):
        cloud.live_migrate(InstanceId("i-stop"), HostName("b"))
    mig = cloud.cold_migrate(InstanceId("i-stop"), HostName("b"))
    cloud.clock.sleep(600)
    assert cloud.get_migration(mig).status is MigrationStatus.FINISHED
    assert cloud.get_instance(InstanceId("i-stop")).vm_state is VmState.RESIZED
    cloud.confirm_resize(InstanceId("i-stop"))
    after = cloud.get_instance(InstanceId("i-stop"))
    assert (after.host, after.vm_state) == ("b", VmState.STOPPED)
    assert cloud.get_migration(mig).status is MigrationStatus.COMPLETED


def test_moving_to_a_disabled_host_or_to_the_same_host_is_refused() -> None:
    cloud = SimCloud(MemoryState(from_mapping(SMALL)), speed=None)
    cloud.disable_service("b", "vacate: test")
    with pytest.raises(Conflict, match="ComputeFilter"):
        cloud.live_migrate(InstanceId("i-run"), HostName("b"))
    with pytest.raises(Conflict, match="SourceHostFilter"):
        cloud.live_migrate(InstanceId("i-run"), HostName("a"))
    with pytest.raises(NotFound, match="'nope'"):
        cloud.get_host("nope")


def test_an_injected_failure_fails_the_migration_and_leaves_the_guest_at_home() -> None:
    cloud = SimCloud(MemoryState(from_mapping(SMALL)), speed=None)
    cloud.inject_migration_failure(InstanceId("i-run"), count=1, at_fraction=0.5)
    mig = cloud.live_migrate(InstanceId("i-run"), HostName("b"))
    cloud.clock.sleep(600)
    migration = cloud.get_migration(mig)
    assert migration.status is MigrationStatus.FAILED
    inst = cloud.get_instance(InstanceId("i-run"))
    assert (inst.host, inst.task_state) == ("a", None)
    second = cloud.live_migrate(InstanceId("i-run"), HostName("b"))  # the failure was one-shot
    cloud.clock.sleep(600)
    assert cloud.get_migration(second).status is MigrationStatus.COMPLETED


def test_a_destination_that_dies_fails_its_incoming_migrations() -> None:
    cloud = SimCloud(MemoryState(from_mapping(SMALL)), speed=None)
    mig = cloud.live_migrate(InstanceId("i-run"), HostName("b"))
    cloud.schedule_host_death("b", after_s=5.5)  # mid-copy: setup ends at 5 s
    cloud.clock.sleep(600)
    migration = cloud.get_migration(mig)
    assert migration.status is MigrationStatus.FAILED
    assert "destination host b died" in (migration.error or "")
    assert not cloud.get_host("b").is_up
    assert cloud.get_instance(InstanceId("i-run")).host == "a"


def test_capacity_held_by_a_move_in_flight_is_not_offered_twice() -> None:
    spec = {
        "hosts": [{"name": "a"}, {"name": "b", "ram_mb": 6144}],
        "instances": [
            {
                "id": f"i{n}",
                "name": f"v{n}",
                "host": "a",
                "flavor": "m1.medium",
                "workload": {"touched_mb": 3000, "dirty_mb_s": 5, "wss_mb": 64},
            }
            for n in range(2)
        ],
    }
    cloud = SimCloud(MemoryState(from_mapping(spec)), speed=None)
    cloud.live_migrate(InstanceId("i0"), HostName("b"))
    with pytest.raises(Conflict, match="RamFilter"):
        cloud.live_migrate(InstanceId("i1"), HostName("b"))


def test_the_state_file_round_trips_a_generated_cloud_exactly(tmp_path: Path) -> None:
    state = generate(hosts=5, instances=30, seed=4)
    holder = FileState(tmp_path / "sim.json")
    holder.write(state)
    with holder.session() as loaded:
        assert loaded.to_dict() == state.to_dict()


def test_a_generated_cloud_is_valid_and_seeded() -> None:
    one, two = generate(hosts=6, instances=40, seed=9), generate(hosts=6, instances=40, seed=9)
    assert one.to_dict() == two.to_dict()
    web = [i.host for i in one.instances.values() if "grp-web" in i.server_groups]
    assert len(web) == len(set(web)) == 3
    db = {i.host for i in one.instances.values() if "grp-db" in i.server_groups}
    assert len(db) == 1


@pytest.mark.parametrize(
    ("mapping", "message"),
    [
        ({"hosts": [{"name": "a"}], "instances": [{"host": "zz"}]}, "unknown host 'zz'"),
        (
            {"hosts": [{"name": "a"}], "instances": [{"host": "a", "flavor": "huge"}]},
            "unknown flavor 'huge'",
        ),
    ],
    ids=["an unknown host is named", "an unknown flavor is named"],
)
def test_a_bad_cloud_description_is_refused_with_the_culprit_named(
    mapping: dict[str, object], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        from_mapping(mapping)  # type: ignore[arg-type]


def test_a_disabled_reason_in_yaml_disables_the_host() -> None:
    state = from_mapping({"hosts": [{"name": "a", "disabled_reason": "AUTO: down"}]})
    assert state.hosts["a"].service_status is ServiceStatus.DISABLED


def test_an_unsupported_state_version_is_refused() -> None:
    data = SimState().to_dict()
    data["version"] = 99
    with pytest.raises(ValueError, match="version 99"):
        SimState.from_dict(data)


@pytest.mark.parametrize(("text", "speed"), [("max", None), ("10", 10.0), (" 2.5 ", 2.5)])
def test_the_speed_setting_parses_numbers_and_max(text: str, speed: float | None) -> None:
    assert parse_speed(text) == speed


@pytest.mark.parametrize("text", ["0", "-3", "fast", "inf", "nan", "-inf", "1e999", ""])
def test_a_bad_speed_setting_is_refused(text: str) -> None:
    with pytest.raises(SetupError, match="VACATE_SIM_SPEED must be a finite number above 0"):
        parse_speed(text)


def test_settings_put_the_database_and_the_cloud_under_vacate_home(tmp_path: Path) -> None:
    settings = load_settings({"VACATE_HOME": str(tmp_path), "VACATE_SIM_SPEED": "max"})
    assert settings.db_url == f"sqlite:///{tmp_path / 'vacate.db'}"
    assert settings.sim_path.parent == tmp_path
    assert settings.sim_speed is None


def test_the_instance_addresses_never_change_when_it_moves() -> None:
    cloud = SimCloud(MemoryState(from_mapping(SMALL)), speed=None)
    before = cloud.get_instance(InstanceId("i-run"))
    cloud.live_migrate(InstanceId("i-run"), HostName("c"))
    cloud.clock.sleep(600)
    after = cloud.get_instance(InstanceId("i-run"))
    assert after.host == "c"
    assert replace(after, host=before.host) == before


def test_a_missing_cloud_is_an_environment_problem_that_says_how_to_make_one(
    tmp_path: Path,
) -> None:
    cloud = SimCloud(FileState(tmp_path / "sim.json"), speed=None)
    with pytest.raises(
        SetupError, match=r"no simulated cloud at .*sim\.json: run `vacate sim init`"
    ):
        cloud.list_hosts()


def test_a_move_to_a_full_host_is_refused_naming_the_filter_that_rejects_it() -> None:
    """No --target was given: the hosts that are not the destination asked for are no reason."""
    cloud = SimCloud(
        MemoryState(
            from_mapping(
                {
                    "hosts": [{"name": "a"}, {"name": "b", "ram_mb": 4096}, {"name": "c"}],
                    "instances": [
                        {"id": "i-big", "name": "big", "host": "a", "flavor": "m1.large"}
                    ],
                }
            )
        ),
        speed=None,
    )
    with pytest.raises(Conflict) as refused:
        cloud.live_migrate(InstanceId("i-big"), HostName("b"))
    assert "RamFilter" in str(refused.value)
    assert "TargetHostFilter" not in str(refused.value)
