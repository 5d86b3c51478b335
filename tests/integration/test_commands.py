"""The service layer the CLI, the API and the dashboard share: validation and undo."""

from __future__ import annotations

from pathlib import Path

import pytest

from vacate.clouds.sim.cloud import SimCloud
from vacate.clouds.sim.generate import from_mapping
from vacate.clouds.sim.state import MemoryState
from vacate.domain.actors import Actor
from vacate.domain.errors import Conflict, IllegalTransition, NotFound, PermanentError
from vacate.domain.jobs import JobOptions, JobStatus, Outcome, Task
from vacate.domain.maintenance import MaintenanceState
from vacate.domain.model import HostName, InstanceId
from vacate.engine import commands
from vacate.engine.context import Context
from vacate.engine.runner import run_one
from vacate.engine.views import host_views
from vacate.serialize import host_to_dict
from vacate.store import open_store

TESTER = Actor(name="tester", origin="test")

CLOUD = {
    "hosts": [{"name": "a"}, {"name": "b"}, {"name": "ab"}],
    "instances": [
        {"id": "i1", "name": "one", "host": "a", "flavor": "m1.medium"},
        {"id": "i2", "name": "two", "host": "a", "flavor": "m1.small", "vm_state": "stopped"},
    ],
}


@pytest.fixture
def ctx(tmp_path: Path) -> Context:
    cloud = SimCloud(MemoryState(from_mapping(CLOUD)), speed=None)
    store = open_store(f"sqlite:///{tmp_path / 'v.db'}")
    return Context(cloud=cloud, store=store, clock=cloud.clock, owner="t", poll_s=1.0)


def state_of(ctx: Context, host: str) -> MaintenanceState:
    return ctx.store.get_maintenance(HostName(host)).state


def test_a_queued_drain_cancelled_before_it_starts_leaves_the_host_operational(
    ctx: Context,
) -> None:
    job = commands.enter_maintenance(ctx, "a", JobOptions(reason="fw"), actor=TESTER)
    assert state_of(ctx, "a") is MaintenanceState.ENTERING
    cancelled = commands.cancel(ctx, job.id, actor=Actor(name="tester"))
    assert cancelled.status is JobStatus.CANCELLED
    assert state_of(ctx, "a") is MaintenanceState.OPERATIONAL
    assert ctx.cloud.get_host("a").is_enabled
    again = commands.enter_maintenance(ctx, "a", JobOptions(reason="fw"), actor=TESTER)
    assert again.status is JobStatus.QUEUED


def test_a_queued_exit_cancelled_before_it_starts_leaves_the_host_in_maintenance(
    ctx: Context,
) -> None:
    job = commands.enter_maintenance(ctx, "a", JobOptions(reason="fw"), actor=TESTER)
    assert run_one(ctx, job.id) is not None
    assert state_of(ctx, "a") is MaintenanceState.MAINTENANCE
    exit_job = commands.exit_maintenance(ctx, "a", actor=TESTER)
    commands.cancel(ctx, exit_job.id, actor=Actor(name="tester"))
    assert state_of(ctx, "a") is MaintenanceState.MAINTENANCE
    assert not ctx.cloud.get_host("a").is_enabled


def test_host_names_match_exactly_never_by_prefix(ctx: Context) -> None:
    with pytest.raises(NotFound, match="'a1'"):
        commands.enter_maintenance(ctx, "a1", JobOptions(), actor=TESTER)
    job = commands.enter_maintenance(ctx, "a", JobOptions(), actor=TESTER)
    assert job.host == "a"  # not "ab"


def test_entering_twice_is_refused_naming_the_current_state(ctx: Context) -> None:
    commands.enter_maintenance(ctx, "a", JobOptions(), actor=TESTER)
    with pytest.raises(IllegalTransition, match="'entering'"):
        commands.enter_maintenance(ctx, "a", JobOptions(), actor=TESTER)


def test_migrate_instances_on_a_host_with_an_active_job_names_that_job(ctx: Context) -> None:
    job = commands.enter_maintenance(ctx, "a", JobOptions(), actor=TESTER)
    with pytest.raises(Conflict, match=job.id):
        commands.migrate_instances(ctx, "a", JobOptions(), actor=TESTER)


def test_the_preflight_changes_nothing(ctx: Context) -> None:
    plan = commands.preflight(ctx, "a", JobOptions())
    assert {i.verdict.value for i in plan.items} == {"live", "cold"}
    assert ctx.cloud.get_host("a").is_enabled
    assert ctx.store.list_jobs() == []
    assert state_of(ctx, "a") is MaintenanceState.OPERATIONAL


def test_host_views_count_what_runs_on_each_host(ctx: Context) -> None:
    views = {v.host.name: host_to_dict(v) for v in host_views(ctx)}
    assert views["a"]["instance_count"] == 2
    assert views["a"]["ram_mb_used"] == 4096 + 2048
    assert views["b"]["instance_count"] == 0
    assert views["a"]["vcpus_capacity"] == 32 * 4


def test_a_plan_saved_just_before_a_crash_never_moves_a_blocked_instance(tmp_path: Path) -> None:
    """The worker died after storing the plan's tasks, before closing the blocked ones."""
    spec = {
        "hosts": [{"name": "a"}, {"name": "b"}],
        "instances": [
            {"id": "ok", "name": "ok", "host": "a", "flavor": "m1.small"},
            {"id": "zz", "name": "zz", "host": "a", "flavor": "m1.small", "vm_state": "suspended"},
        ],
    }
    cloud = SimCloud(MemoryState(from_mapping(spec)), speed=None)
    store = open_store(f"sqlite:///{tmp_path / 'v.db'}")
    ctx = Context(cloud=cloud, store=store, clock=cloud.clock, owner="t", poll_s=1.0)
    job = commands.migrate_instances(ctx, "a", JobOptions(allow_partial=True), actor=TESTER)
    plan = commands.preflight(ctx, "a", JobOptions())
    store.put_tasks(
        job.id,
        [
            Task(
                job_id=job.id,
                instance_id=item.instance.id,
                instance_name=item.instance.name,
                state_before=item.instance.vm_state.value,
                verdict=item.verdict,
                source=HostName("a"),
                planned_destination=item.destination,
                reason=item.reason,
            )
            for item in plan.items
        ],
    )
    finished = run_one(ctx, job.id)
    assert finished is not None
    blocked = store.get_job(job.id).task(InstanceId("zz"))
    assert blocked.outcome is Outcome.BLOCKED
    assert "suspended" in blocked.reason
    assert cloud.list_migrations(instance_id=InstanceId("zz")) == []
    assert cloud.get_instance(InstanceId("ok")).host == "b"


class RefusingCloud(SimCloud):
    """A cloud whose compute API refuses to disable services (a unit-test seam)."""

    def disable_service(self, host: str, reason: str) -> None:
        raise PermanentError(f"policy does not allow disabling {host}")


def test_a_step_the_cloud_refuses_for_good_fails_the_job_and_says_why(tmp_path: Path) -> None:
    cloud = RefusingCloud(MemoryState(from_mapping(CLOUD)), speed=None)
    store = open_store(f"sqlite:///{tmp_path / 'v.db'}")
    ctx = Context(cloud=cloud, store=store, clock=cloud.clock, owner="t", poll_s=1.0)
    job = commands.enter_maintenance(ctx, "a", JobOptions(reason="fw"), actor=TESTER)
    finished = run_one(ctx, job.id)
    assert finished is not None
    assert finished.status is JobStatus.FAILED
    assert "policy does not allow disabling a" in finished.message
    record = store.get_maintenance(HostName("a"))
    assert record.state is MaintenanceState.ERROR
    assert "policy does not allow" in record.reason
    assert cloud.list_migrations() == []


def test_an_override_the_policy_table_forbids_is_refused_before_anything_is_queued(
    ctx: Context,
) -> None:
    with pytest.raises(ValueError, match="suspended=live is not possible"):
        commands.enter_maintenance(
            ctx, "a", JobOptions(state_policy=(("suspended", "live"),)), actor=TESTER
        )
    assert ctx.store.list_jobs() == []
    assert state_of(ctx, "a") is MaintenanceState.OPERATIONAL


def test_an_unknown_target_is_refused_by_name_before_anything_is_queued(ctx: Context) -> None:
    with pytest.raises(NotFound, match="'nowhere'"):
        commands.enter_maintenance(ctx, "a", JobOptions(target=HostName("nowhere")), actor=TESTER)
    with pytest.raises(ValueError, match="host being drained"):
        commands.migrate_instances(ctx, "a", JobOptions(target=HostName("a")), actor=TESTER)
    assert ctx.store.list_jobs() == []


def test_a_busy_planned_destination_gives_way_to_the_next_best_free_one(tmp_path: Path) -> None:
    spec = {
        "hosts": [{"name": "a"}, {"name": "big", "ram_mb": 262144}, {"name": "small"}],
        "instances": [
            {"id": f"i{n}", "name": f"v{n}", "host": "a", "flavor": "m1.small"} for n in range(2)
        ],
    }
    cloud = SimCloud(MemoryState(from_mapping(spec)), speed=None)
    store = open_store(f"sqlite:///{tmp_path / 'v.db'}")
    ctx = Context(cloud=cloud, store=store, clock=cloud.clock, owner="t", poll_s=1.0)
    options = JobOptions(max_per_destination=1, fixed_limits=True)
    plan = commands.preflight(ctx, "a", options)
    assert {i.destination for i in plan.items} == {"big"}  # the spread weigher's choice
    job = commands.migrate_instances(ctx, "a", options, actor=TESTER)
    assert run_one(ctx, job.id) is not None
    migrations = cloud.list_migrations()
    assert {m.dest for m in migrations} == {"big", "small"}
    assert {m.created_at for m in migrations} == {0.0}  # neither waited for the other
