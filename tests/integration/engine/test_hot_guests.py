"""Guests that dirty memory faster than the link sends it: the engine climbs the ladder.

Each test checks both sides: the steps recorded on the task, and that the engine really applied
them (and only them) to the migration in the cloud. Which rungs a given guest needs depends on
the ladder's tuning, so the tests pin what must hold whatever the tuning: the order of the
rungs, their patience, the rungs a backend or the options rule out, and the outcome. The drains
run with ``fixed_limits``: the schedule would take post-copy or auto-converge up front, and
these tests are the ladder's, the safety net under any plan (the schedule's own are in
``test_schedule.py``).
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from vacate.domain.jobs import JobStatus, Method, Outcome, Task
from vacate.domain.maintenance import MaintenanceState
from vacate.domain.model import HostName, VmState
from vacate.planning.escalation import LadderPolicy
from vacate.ports.cloud import Migration, MigrationKind, MigrationStatus

from .rig import Rig, RigFactory, cloud_of, completed, hot_vm

LADDER = ["raise-downtime", "auto-converge", "post-copy", "force-complete", "abort"]


def actions(task: Task) -> list[str]:
    return [s.action for s in task.escalations]


def assert_ladder_climbed_and_applied(rig: Rig, task: Task, migration: Migration) -> None:
    """The steps on the task are rungs of the ladder in order, each after the previous one's
    patience, and the cloud's migration shows exactly the controls those steps stand for."""
    taken = actions(task)
    assert taken, "a guest that cannot converge alone needs at least one step"
    assert taken == [a for a in LADDER if a in taken], f"out of order or repeated: {taken}"
    assert all(s.detail for s in task.escalations)
    ladder = rig.ctx.ladder
    patience = {
        "auto-converge": ladder.auto_converge_patience_s,
        "force-complete": ladder.force_complete_patience_s,
    }
    for before, after in zip(task.escalations, task.escalations[1:], strict=False):
        wait = patience.get(before.action, ladder.patience_s)
        assert after.at - before.at >= wait, f"{after.action} came too soon after {before.action}"
    assert migration.created_at <= task.escalations[0].at
    raised = "raise-downtime" in taken
    default_limit = rig.cloud.params.default_downtime_limit_ms
    assert migration.downtime_limit_ms == (ladder.max_downtime_ms if raised else default_limit)
    assert migration.auto_converge is ("auto-converge" in taken)
    assert migration.paused is ("force-complete" in taken)
    assert (migration.status is MigrationStatus.CANCELLED) is ("abort" in taken)


def test_hot_guests_are_moved_thanks_to_the_escalation_steps_recorded_on_their_tasks(
    make_rig: RigFactory,
) -> None:
    rig = make_rig(cloud_of([hot_vm("hot-1"), hot_vm("hot-2")]))
    job = rig.drain("src", fixed_limits=True)

    assert job.status is JobStatus.SUCCEEDED, job.message
    assert rig.on("src") == []
    for task in job.tasks:
        assert task.outcome is Outcome.MOVED, task.reason
        (migration,) = rig.migrations(task.instance_id)
        assert migration.status is MigrationStatus.COMPLETED
        assert_ladder_climbed_and_applied(rig, task, migration)
        assert "abort" not in actions(task)
        assert f"after {', '.join(actions(task))}" in task.reason
        assert migration.passes > rig.ctx.ladder.stall_passes, "pre-copy had stalled first"
    events = [e for e in rig.store.list_events(job.id) if e.kind == "task.escalated"]
    assert len(events) == sum(len(t.escalations) for t in job.tasks)


def test_without_post_copy_a_hot_guest_still_finishes_by_auto_converge_or_pausing(
    make_rig: RigFactory,
) -> None:
    rig = make_rig(cloud_of([hot_vm("hot")]))
    rig.set_capabilities(post_copy=False)
    job = rig.drain("src", allow_post_copy=False, fixed_limits=True)

    (task,) = job.tasks
    assert task.outcome is Outcome.MOVED, task.reason
    assert "post-copy" not in actions(task)
    assert {"auto-converge", "force-complete"} & set(actions(task))
    (migration,) = rig.migrations(task.instance_id)
    assert_ladder_climbed_and_applied(rig, task, migration)
    assert rig.cloud.get_instance(task.instance_id).host == task.destination


def test_without_auto_converge_or_post_copy_a_hot_guest_is_paused_to_finish(
    make_rig: RigFactory,
) -> None:
    rig = make_rig(cloud_of([hot_vm("hot")]))
    rig.set_capabilities(auto_converge=False, post_copy=False)
    job = rig.drain("src", allow_post_copy=False, fixed_limits=True)

    (task,) = job.tasks
    assert task.outcome is Outcome.MOVED, task.reason
    assert actions(task)[-1] == "force-complete"
    (migration,) = completed(rig.migrations(task.instance_id))
    assert_ladder_climbed_and_applied(rig, task, migration)
    # Pausing costs real downtime: what is left divided by the link, far above the 500 ms limit.
    assert task.downtime_s == pytest.approx(migration.downtime_s)
    assert task.downtime_s is not None and task.downtime_s > 1.0


def test_post_copy_not_allowed_is_skipped_even_when_the_cloud_offers_it(
    make_rig: RigFactory,
) -> None:
    rig = make_rig(cloud_of([hot_vm("hot")]))
    rig.set_capabilities(auto_converge=False)
    job = rig.drain("src", allow_post_copy=False, fixed_limits=True)

    (task,) = job.tasks
    assert task.outcome is Outcome.MOVED, task.reason
    assert "post-copy" not in actions(task)
    assert actions(task)[-1] == "force-complete"
    (migration,) = rig.migrations(task.instance_id)
    assert_ladder_climbed_and_applied(rig, task, migration)


def test_with_post_copy_allowed_a_hot_guest_switches_over_with_tiny_downtime(
    make_rig: RigFactory,
) -> None:
    rig = make_rig(cloud_of([hot_vm("hot")]))
    rig.set_capabilities(auto_converge=False)
    job = rig.drain("src", fixed_limits=True)

    (task,) = job.tasks
    assert task.outcome is Outcome.MOVED, task.reason
    assert actions(task)[-1] == "post-copy"
    (migration,) = rig.migrations(task.instance_id)
    assert_ladder_climbed_and_applied(rig, task, migration)
    assert task.downtime_s is not None and task.downtime_s < 0.2
    assert rig.cloud.get_instance(task.instance_id).vm_state is VmState.ACTIVE


def test_a_hot_guest_with_no_way_to_converge_fails_with_a_reason_naming_the_steps(
    make_rig: RigFactory,
) -> None:
    rig = make_rig(cloud_of([hot_vm("hot")]))
    rig.set_capabilities(auto_converge=False, post_copy=False, force_complete=False)
    job = rig.drain("src", fixed_limits=True)

    assert job.status is JobStatus.FAILED
    (task,) = job.tasks
    assert task.outcome is Outcome.FAILED
    assert actions(task)[-1] == "abort"
    assert f"did not converge ({', '.join(actions(task))})" in task.reason
    assert "--cold-fallback" in task.reason
    assert task.bytes_sent > 0
    (migration,) = rig.migrations(task.instance_id)
    assert migration.status is MigrationStatus.CANCELLED, "the engine aborted it in the cloud"
    assert_ladder_climbed_and_applied(rig, task, migration)
    assert [i.name for i in rig.on("src")] == ["hot"]
    assert rig.cloud.get_instance(task.instance_id).vm_state is VmState.ACTIVE
    record = rig.store.get_maintenance(HostName("src"))
    assert record.state is MaintenanceState.ERROR and "did not converge" in record.reason


def test_with_cold_fallback_a_live_migration_that_cannot_converge_is_cold_migrated(
    make_rig: RigFactory,
) -> None:
    rig = make_rig(cloud_of([hot_vm("hot")]))
    rig.set_capabilities(auto_converge=False, post_copy=False, force_complete=False)
    job = rig.drain("src", allow_cold_fallback=True, fixed_limits=True)

    assert job.status is JobStatus.SUCCEEDED, job.message
    (task,) = job.tasks
    assert task.outcome is Outcome.MOVED and task.method is Method.COLD
    assert actions(task)[-1] == "abort"
    kinds = [(m.kind, m.status) for m in rig.migrations(task.instance_id)]
    assert kinds == [
        (MigrationKind.LIVE, MigrationStatus.CANCELLED),
        (MigrationKind.COLD, MigrationStatus.COMPLETED),
    ]
    inst = rig.cloud.get_instance(task.instance_id)
    assert inst.host == task.destination != "src"
    assert inst.vm_state is VmState.ACTIVE, "the confirmed resize brings the guest back up"


def test_the_downtime_of_a_cold_fallback_is_the_cold_migration_alone(
    make_rig: RigFactory,
) -> None:
    rig = make_rig(cloud_of([hot_vm("hot")]))
    rig.set_capabilities(auto_converge=False, post_copy=False, force_complete=False)
    job = rig.drain("src", allow_cold_fallback=True, fixed_limits=True)

    (task,) = job.tasks
    live, cold = rig.migrations(task.instance_id)
    assert live.finished_at is not None and cold.finished_at is not None
    assert task.downtime_s is not None
    # The guest kept running until the live migration was aborted; it stopped for the cold one.
    assert task.downtime_s <= cold.finished_at - live.finished_at + 1e-6


def test_nova_defaults_never_climb_but_abort_at_the_completion_timeout(
    make_rig: RigFactory,
) -> None:
    ladder = replace(LadderPolicy.nova_defaults(), completion_timeout_s_per_gib=10.0)
    rig = make_rig(cloud_of([hot_vm("hot")]), ladder=ladder)
    job = rig.drain("src", fixed_limits=True)

    assert job.status is JobStatus.FAILED
    (task,) = job.tasks
    assert actions(task) == ["abort"]
    assert "completion timeout" in task.escalations[0].detail
    assert task.outcome is Outcome.FAILED and "did not converge (abort)" in task.reason
    (migration,) = rig.migrations(task.instance_id)
    assert migration.status is MigrationStatus.CANCELLED
    assert migration.downtime_limit_ms == rig.cloud.params.default_downtime_limit_ms
    assert not migration.auto_converge and not migration.paused
    touched_gib = 6000 / 1024
    assert migration.finished_at is not None
    elapsed = migration.finished_at - migration.created_at
    assert 10.0 * touched_gib < elapsed <= 10.0 * touched_gib + 2 * rig.ctx.poll_s
