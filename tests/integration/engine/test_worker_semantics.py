"""The worker's documented semantics: an instance deleted mid-move, temporary refusals with a
delay, bugs that surface as crashes, and what a tick asks of the cloud."""

from __future__ import annotations

from typing import Any

import pytest

from vacate.domain.errors import TemporaryError
from vacate.domain.jobs import JobStatus, Outcome, TaskStatus
from vacate.domain.model import HostName, InstanceId, MigrationId
from vacate.planning.retry import DELETED

from .rig import RigFactory, cloud_of, vm


def test_an_instance_deleted_during_its_move_is_skipped_with_the_reason(
    make_rig: RigFactory,
) -> None:
    rig = make_rig(cloud_of([vm("doomed"), vm("other")]))
    deleted: list[str] = []

    def delete_once_moving(job: Any) -> None:
        task = job.task(InstanceId("doomed"))
        if task.status is TaskStatus.MIGRATING and not deleted:
            rig.cloud.delete_instance(InstanceId("doomed"))
            deleted.append(task.migration_id)

    rig.observers.append(delete_once_moving)
    job = rig.drain("src")

    assert deleted, "the instance was never seen migrating"
    task = job.task(InstanceId("doomed"))
    assert task.outcome is Outcome.SKIPPED and task.reason == DELETED
    assert job.task(InstanceId("other")).outcome is Outcome.MOVED
    assert job.status is JobStatus.SUCCEEDED, job.message


def test_a_temporary_refusal_waits_its_delay_and_counts_as_an_attempt(
    make_rig: RigFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    rig = make_rig(cloud_of([vm("busy")]))
    real = rig.cloud.live_migrate
    calls: list[float] = []

    def throttled_once(instance_id: InstanceId, dest: HostName | None, **kw: Any) -> MigrationId:
        calls.append(rig.cloud.clock.now())
        if len(calls) == 1:
            raise TemporaryError("API rate limit", delay=120.0)
        return real(instance_id, dest, **kw)

    monkeypatch.setattr(rig.cloud, "live_migrate", throttled_once)
    job = rig.drain("src")

    assert job.status is JobStatus.SUCCEEDED, job.message
    assert len(calls) == 2 and calls[1] - calls[0] >= 120.0
    assert job.task(InstanceId("busy")).attempt == 2


def test_temporary_refusals_end_the_task_once_the_attempts_are_spent(
    make_rig: RigFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    rig = make_rig(cloud_of([vm("busy")]))

    def always_throttled(instance_id: InstanceId, dest: HostName | None, **kw: Any) -> MigrationId:
        raise TemporaryError("API rate limit", delay=5.0)

    monkeypatch.setattr(rig.cloud, "live_migrate", always_throttled)
    job = rig.drain("src", max_attempts=3)

    task = job.task(InstanceId("busy"))
    assert task.outcome is Outcome.FAILED and task.attempt == 3
    assert "API rate limit" in task.reason and "after 3 attempts" in task.reason
    assert job.status is JobStatus.FAILED


def test_a_bug_in_a_step_is_a_crash_with_its_traceback_not_a_failed_job(
    make_rig: RigFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    rig = make_rig(cloud_of([vm("a")]))

    def broken(*args: Any, **kwargs: Any) -> None:
        raise ValueError("a bug")

    monkeypatch.setattr(rig.cloud, "disable_service", broken)
    job = rig.enter("src")
    with pytest.raises(ValueError, match="a bug"):
        rig.run(job)
    assert rig.store.get_job(job.id).status is JobStatus.RUNNING, "resumable, not failed"
