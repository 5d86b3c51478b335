"""Enter and exit maintenance end to end: the host, its service, its instances and the record.

Runs on the simulated cloud (virtual time) and a SQLite store; asserts on the cloud's truth and
on what the store recorded, never on what the test itself set up.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import replace

import pytest

from vacate.clouds.sim.generate import generate
from vacate.domain.actors import Actor
from vacate.domain.errors import Conflict, IllegalTransition, NotFound
from vacate.domain.jobs import JobKind, JobOptions, JobStatus, Method, Outcome, Verdict
from vacate.domain.maintenance import MaintenanceState
from vacate.domain.model import HostName, InstanceId, PowerState, ServiceStatus, VmState
from vacate.domain.prediction import Approach
from vacate.engine import commands
from vacate.engine.runner import run_until_idle
from vacate.ports.cloud import MigrationKind, MigrationStatus
from vacate.serialize import job_to_dict

from .rig import RigFactory, cloud_of, completed, hot_vm, vm

TESTER = Actor(name="tester", origin="test")

#: A generated cloud whose host c02 holds running, stopped and memory-hot guests and members
#: of every kind of server group, and nothing that policy blocks.
SEED, HOST = 16, "c02"


def test_entering_maintenance_on_a_generated_cloud_empties_disables_and_marks_the_host(
    make_rig: RigFactory,
) -> None:
    rig = make_rig(generate(hosts=4, instances=30, seed=SEED))
    before = rig.instances()
    leaving = {i.id for i in rig.on(HOST)}
    states = Counter(before[i].vm_state for i in leaving)
    assert len(leaving) >= 6 and states[VmState.STOPPED] and states[VmState.ACTIVE]

    job = rig.drain(HOST, reason="kernel 6.9")

    assert job.status is JobStatus.SUCCEEDED, job.message
    assert rig.on(HOST) == []
    host = rig.cloud.get_host(HOST)
    assert host.service_status is ServiceStatus.DISABLED
    assert host.disabled_reason is not None and host.disabled_reason.startswith("vacate:")
    assert "kernel 6.9" in host.disabled_reason
    record = rig.store.get_maintenance(HostName(HOST))
    assert record.state is MaintenanceState.MAINTENANCE
    assert record.job_id == job.id
    after = rig.instances()
    assert set(after) == set(before)
    for iid in leaving:
        assert after[iid].host not in (None, HOST)
        assert after[iid].vm_state is before[iid].vm_state
        assert after[iid].addresses == before[iid].addresses
    assert {i: after[i].host for i in set(before) - leaving} == {
        i: before[i].host for i in set(before) - leaving
    }, "instances on other hosts must not move"
    assert [e.kind for e in rig.store.list_events(job.id)][-1] == "job.succeeded"


def test_every_moved_task_records_its_full_result(make_rig: RigFactory) -> None:
    rig = make_rig(generate(hosts=4, instances=30, seed=SEED))
    job = rig.drain(HOST)
    assert job.status is JobStatus.SUCCEEDED, job.message
    assert {t.instance_id for t in job.tasks} == {
        i.id
        for i in generate(hosts=4, instances=30, seed=SEED).instances.values()
        if i.host == HOST
    }
    methods = Counter(t.method for t in job.tasks)
    assert methods[Method.LIVE] and methods[Method.COLD]
    for task in job.tasks:
        inst = rig.cloud.get_instance(task.instance_id)
        assert task.outcome is Outcome.MOVED, task.reason
        assert task.source == HOST
        assert task.destination == inst.host != HOST
        assert task.method is (Method.LIVE if task.verdict is Verdict.LIVE else Method.COLD)
        assert task.started_at is not None and task.ended_at is not None
        assert task.duration_s == pytest.approx(task.ended_at - task.started_at)
        assert task.duration_s > 0
        assert task.bytes_sent > 0
        assert task.destination in task.reason
        migrations = rig.migrations(task.instance_id)
        done = completed(migrations)
        assert len(done) == 1
        kind = MigrationKind.LIVE if task.method is Method.LIVE else MigrationKind.COLD
        assert done[0].kind is kind and done[0].dest == task.destination
        assert task.started_at <= done[0].created_at
        assert done[0].finished_at is not None and done[0].finished_at <= task.ended_at
        assert task.bytes_sent == pytest.approx(sum(m.memory_processed_bytes for m in migrations))
        if task.method is Method.LIVE:
            assert task.downtime_s is not None and 0 < task.downtime_s < 5
            assert task.downtime_s == pytest.approx(done[0].downtime_s)
        elif task.state_before == VmState.STOPPED.value:
            assert task.downtime_s is None, "a stopped guest has no downtime"
    shown = job_to_dict(rig.store.get_job(job.id))["tasks"]
    for row in shown:
        for key in ("method", "source", "destination", "start", "end", "duration_s",
                    "downtime_s", "bytes_sent", "outcome", "reason"):  # fmt: skip
            assert key in row
        assert row["outcome"] == "moved" and row["duration_s"] > 0


BLOCKED_CLOUD = [
    vm("web-1"),
    vm("web-2", vm_state="stopped"),
    vm("frozen", vm_state="suspended"),
]


def test_a_suspended_instance_blocks_the_drain_and_the_host_ends_in_error_saying_why(
    make_rig: RigFactory,
) -> None:
    rig = make_rig(cloud_of(BLOCKED_CLOUD))
    job = rig.drain("src", reason="disk swap")

    assert job.status is JobStatus.FAILED
    frozen = job.task("frozen")  # type: ignore[arg-type]
    assert frozen.outcome is Outcome.BLOCKED
    assert "suspended instances cannot be migrated" in frozen.reason
    assert rig.migrations("frozen") == []
    assert [i.name for i in rig.on("src")] == ["frozen"]
    for name in ("web-1", "web-2"):
        assert job.task(name).outcome is Outcome.MOVED  # type: ignore[arg-type]
    record = rig.store.get_maintenance(HostName("src"))
    assert record.state is MaintenanceState.ERROR
    assert "frozen" in record.reason and "suspended" in record.reason
    assert "frozen" in job.message
    host = rig.cloud.get_host("src")
    assert host.service_status is ServiceStatus.DISABLED, "an error host stays disabled"
    assert host.disabled_reason == "vacate: disk swap"


def test_with_rollback_on_error_a_blocked_drain_leaves_the_host_enabled_and_operational(
    make_rig: RigFactory,
) -> None:
    rig = make_rig(cloud_of(BLOCKED_CLOUD))
    job = rig.drain("src", reason="disk swap", rollback_on_error=True)

    assert job.status is JobStatus.FAILED
    assert "rolled back" in job.message and "frozen" in job.message
    host = rig.cloud.get_host("src")
    assert host.service_status is ServiceStatus.ENABLED
    assert host.disabled_reason is None
    record = rig.store.get_maintenance(HostName("src"))
    assert record.state is MaintenanceState.OPERATIONAL
    assert "frozen" in record.reason
    assert [i.name for i in rig.on("src")] == ["frozen"]


def test_a_skip_policy_leaves_the_instance_and_still_reaches_maintenance(
    make_rig: RigFactory,
) -> None:
    rig = make_rig(cloud_of(BLOCKED_CLOUD))
    job = rig.drain("src", state_policy=(("suspended", "skip"),))

    assert job.status is JobStatus.SUCCEEDED, job.message
    frozen = job.task("frozen")  # type: ignore[arg-type]
    assert frozen.outcome is Outcome.SKIPPED and "suspended=skip" in frozen.reason
    assert [i.name for i in rig.on("src")] == ["frozen"]
    assert rig.store.get_maintenance(HostName("src")).state is MaintenanceState.MAINTENANCE


def test_a_host_in_error_can_be_entered_again_once_the_blocker_is_gone(
    make_rig: RigFactory,
) -> None:
    rig = make_rig(cloud_of(BLOCKED_CLOUD))
    assert rig.drain("src").status is JobStatus.FAILED
    with rig.cloud.session() as state:  # the owner resumes the guest
        frozen = state.instances["frozen"]
        state.instances["frozen"] = replace(
            frozen, vm_state=VmState.ACTIVE, power_state=PowerState.RUNNING
        )

    again = rig.drain("src")

    assert again.status is JobStatus.SUCCEEDED, again.message
    assert rig.on("src") == []
    assert rig.store.get_maintenance(HostName("src")).state is MaintenanceState.MAINTENANCE


def test_exit_maintenance_with_restore_moves_the_instances_back_and_enables_the_host(
    make_rig: RigFactory,
) -> None:
    rig = make_rig(cloud_of([vm("a"), vm("b", vm_state="stopped"), vm("c", vm_state="paused")]))
    drained = rig.drain("src")
    assert drained.status is JobStatus.SUCCEEDED, drained.message
    away = rig.hosts_of()
    assert "src" not in away.values()

    back = rig.run(rig.exit("src", restore=True))

    assert back.kind is JobKind.EXIT_MAINTENANCE
    assert back.status is JobStatus.SUCCEEDED, back.message
    assert rig.hosts_of() == {"a": "src", "b": "src", "c": "src"}
    states = {i.id: i.vm_state for i in rig.cloud.list_instances()}
    assert states == {"a": VmState.ACTIVE, "b": VmState.STOPPED, "c": VmState.PAUSED}
    for task in back.tasks:
        assert task.outcome is Outcome.MOVED and task.source == away[task.instance_id]
        migrations = completed(rig.migrations(task.instance_id))
        assert [m.dest for m in migrations] == [away[task.instance_id], "src"]
    host = rig.cloud.get_host("src")
    assert host.service_status is ServiceStatus.ENABLED and host.disabled_reason is None
    assert rig.store.get_maintenance(HostName("src")).state is MaintenanceState.OPERATIONAL


def test_moving_back_obeys_the_constraints_the_drain_ran_under(make_rig: RigFactory) -> None:
    """``--no-post-copy`` and ``--max-downtime`` forbade post-copy and long pauses on the way
    out: the restore must not do either on the way back."""
    rig = make_rig(cloud_of([hot_vm("hot"), vm("a")]))
    drained = rig.drain("src", allow_post_copy=False, max_downtime_ms=150.0, max_parallel=2)
    assert drained.status is JobStatus.SUCCEEDED, drained.message

    back = rig.run(rig.exit("src", restore=True))

    assert back.status is JobStatus.SUCCEEDED, back.message
    opts = back.options
    assert (opts.allow_post_copy, opts.max_downtime_ms, opts.max_parallel) == (False, 150.0, 2)
    assert {t.instance_name: t.outcome for t in back.tasks} == {
        "hot": Outcome.MOVED,
        "a": Outcome.MOVED,
    }
    for task in back.tasks:
        assert "post-copy" not in [s.action for s in task.escalations]
        (home,) = [m for m in completed(rig.migrations(task.instance_id)) if m.dest == "src"]
        assert home.downtime_s is not None and home.downtime_s <= 0.150, task
    # The moves back are scheduled like the drain: the hot guest throttled from the start.
    (hot,) = [t for t in back.tasks if t.instance_name == "hot"]
    assert hot.prediction is not None and hot.prediction.approach is Approach.AUTO_CONVERGE
    assert hot.prediction.throttle_initial is not None
    assert [s.action for s in hot.escalations][:1] == ["auto-converge"]
    assert hot.escalations[0].detail.startswith("planned")


def test_moving_back_a_hot_guest_goes_post_copy_at_once_where_allowed(
    make_rig: RigFactory,
) -> None:
    rig = make_rig(cloud_of([hot_vm("hot"), vm("a")]))
    assert rig.drain("src").status is JobStatus.SUCCEEDED

    back = rig.run(rig.exit("src", restore=True))

    assert back.status is JobStatus.SUCCEEDED, back.message
    (hot,) = [t for t in back.tasks if t.instance_name == "hot"]
    assert hot.prediction is not None and hot.prediction.approach is Approach.POST_COPY
    assert [s.action for s in hot.escalations] == ["post-copy"]
    (home,) = [m for m in completed(rig.migrations(hot.instance_id)) if m.dest == "src"]
    assert home.passes == 0, "no pre-copy pass was re-sent on the way back"


def test_exit_maintenance_without_restore_leaves_the_instances_where_they_are(
    make_rig: RigFactory,
) -> None:
    rig = make_rig(cloud_of([vm("a"), vm("b")]))
    assert rig.drain("src").status is JobStatus.SUCCEEDED
    away = rig.hosts_of()

    back = rig.run(rig.exit("src"))

    assert back.status is JobStatus.SUCCEEDED, back.message
    assert back.tasks == ()
    assert rig.hosts_of() == away
    assert rig.cloud.get_host("src").service_status is ServiceStatus.ENABLED
    assert rig.store.get_maintenance(HostName("src")).state is MaintenanceState.OPERATIONAL


def test_a_host_has_one_active_job_at_a_time(make_rig: RigFactory) -> None:
    rig = make_rig(cloud_of([vm("a")]))
    first = rig.enter("src")

    with pytest.raises(Conflict) as again:
        rig.enter("src")
    assert "'entering'" in str(again.value)
    with pytest.raises(Conflict) as other:
        commands.migrate_instances(rig.ctx, "src", JobOptions(), actor=TESTER)
    assert first.id in str(other.value)

    assert [j.id for j in rig.store.list_jobs(host="src")] == [first.id]
    record = rig.store.get_maintenance(HostName("src"))
    assert record.state is MaintenanceState.ENTERING and record.job_id == first.id
    assert rig.run(first).status is JobStatus.SUCCEEDED


@pytest.mark.parametrize(
    ("prepare", "command", "state", "allowed"),
    [
        pytest.param(None, "exit", "operational", "vacate host maintenance enable src",
                     id="exiting a host that is not in maintenance"),
        pytest.param("drain", "enter", "maintenance", "vacate host maintenance disable src",
                     id="entering a host already in maintenance"),
        pytest.param("queue", "exit", "entering", None,
                     id="exiting a host while it is still entering"),
    ],
)  # fmt: skip
def test_an_illegal_transition_is_refused_naming_the_state_and_nothing_is_queued(
    make_rig: RigFactory, prepare: str | None, command: str, state: str, allowed: str | None
) -> None:
    rig = make_rig(cloud_of([vm("a")]))
    if prepare == "drain":
        assert rig.drain("src").status is JobStatus.SUCCEEDED
    elif prepare == "queue":
        rig.enter("src")
    jobs_before = [j.id for j in rig.store.list_jobs(host="src")]
    record_before = rig.store.get_maintenance(HostName("src"))
    service_before = rig.cloud.get_host("src")

    with pytest.raises(IllegalTransition) as refused:
        rig.exit("src") if command == "exit" else rig.enter("src")

    assert isinstance(refused.value, Conflict)
    assert f"is '{state}'" in str(refused.value)
    if allowed is None:  # a job holds the host: name it and what the operator can do
        assert "is active on it; follow it with `vacate job watch" in str(refused.value)
        assert "`vacate job cancel" in str(refused.value)
    else:  # what the operator can do next, not the state machine's edges
        assert f"is '{state}'" in str(refused.value) and allowed in str(refused.value)
        assert "allowed from" not in str(refused.value)
    assert [j.id for j in rig.store.list_jobs(host="src")] == jobs_before
    assert rig.store.get_maintenance(HostName("src")) == record_before
    assert rig.cloud.get_host("src") == service_before


def test_a_host_is_found_by_its_exact_name_only(make_rig: RigFactory) -> None:
    rig = make_rig(cloud_of([vm("a")], source="c01", destinations=("c010", "c02")))
    with pytest.raises(NotFound):
        rig.enter("c0")
    with pytest.raises(NotFound):
        rig.enter("c01 ")
    assert rig.store.list_jobs() == []
    assert rig.cloud.get_host("c01").service_status is ServiceStatus.ENABLED


def test_migrate_instances_empties_the_host_without_touching_its_service_or_state(
    make_rig: RigFactory,
) -> None:
    rig = make_rig(cloud_of([vm("a"), vm("b", vm_state="stopped")]))
    job = rig.run(commands.migrate_instances(rig.ctx, "src", JobOptions(), actor=TESTER))

    assert job.status is JobStatus.SUCCEEDED, job.message
    assert rig.on("src") == []
    assert rig.cloud.get_host("src").service_status is ServiceStatus.ENABLED
    assert rig.store.get_maintenance(HostName("src")).state is MaintenanceState.OPERATIONAL
    assert all(m.status is MigrationStatus.COMPLETED for m in rig.migrations())


def test_a_rollback_leaves_a_service_that_another_tool_disabled_disabled(
    make_rig: RigFactory,
) -> None:
    rig = make_rig(cloud_of(BLOCKED_CLOUD))
    rig.cloud.disable_service("src", "AUTO: Connection to libvirt lost")

    job = rig.drain("src", rollback_on_error=True)

    assert job.status is JobStatus.FAILED
    host = rig.cloud.get_host("src")
    assert host.service_status is ServiceStatus.DISABLED
    assert host.disabled_reason == "AUTO: Connection to libvirt lost"


def test_two_hosts_drained_one_after_the_other_never_swap_instances(
    make_rig: RigFactory,
) -> None:
    rig = make_rig(
        cloud_of(
            [vm("a1", host="h1"), vm("a2", host="h1"), vm("b1", host="h2"), vm("b2", host="h2")],
            source="h1",
            destinations=("h2", "h3", "h4"),
        )
    )
    first, second = rig.enter("h1"), rig.enter("h2")

    done = run_until_idle(rig.ctx)

    assert [j.id for j in done] == [first.id, second.id]
    assert all(j.status is JobStatus.SUCCEEDED for j in done), [j.message for j in done]
    hosts = rig.hosts_of()
    assert set(hosts.values()) <= {"h3", "h4"}, hosts
    for job in done:
        for task in job.tasks:
            assert task.destination not in ("h1", "h2")


def test_restore_after_a_failed_drain_brings_back_what_that_drain_moved_and_nothing_else(
    make_rig: RigFactory,
) -> None:
    rig = make_rig(cloud_of([vm("a"), vm("b")]))
    assert rig.drain("src").status is JobStatus.SUCCEEDED
    assert rig.run(rig.exit("src")).status is JobStatus.SUCCEEDED  # a and b stay away
    long_gone = rig.hosts_of()
    with rig.cloud.session() as state:  # weeks later the host holds new guests
        a = state.instances["a"]
        state.instances["c"] = replace(a, id="c", name="c", host="src", addresses=("10.9.0.3",))
        state.instances["frozen"] = replace(
            a,
            id="frozen",
            name="frozen",
            host="src",
            vm_state=VmState.SUSPENDED,
            power_state=PowerState.SUSPENDED,
            addresses=("10.9.0.4",),
        )
    failed = rig.drain("src")
    assert failed.status is JobStatus.FAILED
    c_moved_to = rig.cloud.get_instance("c").host  # type: ignore[arg-type]
    assert c_moved_to != "src"

    back = rig.run(rig.exit("src", restore=True))

    hosts = rig.hosts_of()
    assert hosts["c"] == "src", "the instance this maintenance moved did not come back"
    assert (hosts["a"], hosts["b"]) == (long_gone["a"], long_gone["b"])
    assert {t.instance_id for t in back.tasks} == {"c"}


def test_a_guest_moved_or_deleted_since_the_drain_gets_its_line_in_the_restore(
    make_rig: RigFactory,
) -> None:
    """Every instance the drain moved gets a final line: one someone moved on since, or
    deleted, is left where it is and the restore says so, by name."""
    rig = make_rig(cloud_of([vm("stay"), vm("wander"), vm("gone")]))
    drained = rig.drain("src")
    assert drained.status is JobStatus.SUCCEEDED, drained.message
    first = rig.hosts_of()[InstanceId("wander")]
    elsewhere = next(h for h in rig.cloud.list_hosts() if h.name not in ("src", first))
    rig.cloud.live_migrate(InstanceId("wander"), elsewhere.name)
    rig.cloud.delete_instance(InstanceId("gone"))
    rig.cloud.advance_by(600.0)  # the move elsewhere completes

    back = rig.run(rig.exit("src", restore=True))

    assert back.status is JobStatus.SUCCEEDED, back.message
    by_name = {t.instance_name: t for t in back.tasks}
    assert by_name["stay"].outcome is Outcome.MOVED
    assert by_name["wander"].outcome is Outcome.SKIPPED
    assert f"now on {elsewhere.name}" in by_name["wander"].reason
    assert by_name["gone"].outcome is Outcome.SKIPPED
    assert "deleted" in by_name["gone"].reason
    assert "2 left where they are" in back.message and "wander" in back.message
    assert rig.hosts_of()[InstanceId("wander")] == elsewhere.name
