"""The SQL store against the Store contract, on SQLite and PostgreSQL alike.

The concurrency tests race real threads (and processes) against one database, because the
guarantees they check (one active job per host, one lease holder, compare-and-set of maintenance
states) are the database's to keep, not Python's.
"""

from __future__ import annotations

import multiprocessing
import threading
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from vacate.domain.actors import Actor
from vacate.domain.changes import Changes, JobChange
from vacate.domain.errors import Conflict, NotFound
from vacate.domain.events import EventKind, TaskEnded
from vacate.domain.jobs import (
    EscalationStep,
    Job,
    JobKind,
    JobOptions,
    JobPhase,
    JobStatus,
    Method,
    Outcome,
    Task,
    TaskStatus,
    Verdict,
)
from vacate.domain.maintenance import MaintenanceState
from vacate.domain.model import HostName, InstanceId, JobId, MigrationId
from vacate.store import SqlStore, open_store
from vacate.store.migrate import alembic_config, current_revision, head_revision
from vacate.store.tables import Base

H1 = HostName("c1")
H2 = HostName("c2")

RICH_OPTIONS = JobOptions(
    reason="firmware upgrade",
    max_parallel=7,
    max_per_source=5,
    max_per_destination=1,
    rollback_on_error=True,
    force_method=Method.COLD,
    target=HostName("c9"),
    restore=True,
    allow_post_copy=False,
    allow_cold_fallback=True,
    allow_locked=True,
    state_policy=(("paused", "skip"), ("stopped", "cold")),
    max_attempts=5,
    dry_run=True,
)


def new_job(store: SqlStore, host: HostName = H1, *, at: float = 100.0, **kw: Any) -> Job:
    return store.create_job(
        kind=kw.pop("kind", JobKind.ENTER_MAINTENANCE),
        host=host,
        options=kw.pop("options", JobOptions()),
        created_at=at,
        **kw,
    )


def plain_task(job_id: JobId, instance: str, *, order: int = 0, name: str | None = None) -> Task:
    """A task as the planner makes it: every optional field left at its default."""
    return Task(
        job_id=job_id,
        instance_id=InstanceId(instance),
        instance_name=name or f"vm-{instance}",
        state_before="active",
        verdict=Verdict.LIVE,
        source=H1,
        order=order,
    )


def full_task(job_id: JobId, instance: str) -> Task:
    """A task with every field set to a non-default value."""
    return Task(
        job_id=job_id,
        instance_id=InstanceId(instance),
        instance_name=f"db-{instance}",
        state_before="paused",
        verdict=Verdict.COLD,
        source=H1,
        order=3,
        planned_destination=HostName("c5"),
        status=TaskStatus.DONE,
        method=Method.COLD,
        destination=HostName("c6"),
        migration_id=MigrationId("mig-42"),
        attempt=2,
        started_at=1000.25,
        ended_at=1090.5,
        downtime_s=0.125,
        bytes_sent=8.5e9,
        progress=1.0,
        escalations=(
            EscalationStep(action="raise_downtime", at=1010.0, detail="to 1s"),
            EscalationStep(action="post_copy", at=1020.0),
        ),
        outcome=Outcome.MOVED,
        reason="moved to c6 (planned c5)",
    )


def race(n: int, action: Callable[[int], Any]) -> list[Any]:
    """Run ``action(i)`` in ``n`` threads released at the same instant; results or exceptions."""
    barrier = threading.Barrier(n)
    results: list[Any] = [None] * n

    def run(i: int) -> None:
        barrier.wait()
        try:
            results[i] = action(i)
        except Exception as exc:
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


# -- jobs and tasks --


def test_a_job_with_options_and_tasks_reads_back_exactly_as_written(store: SqlStore) -> None:
    job = new_job(store, options=RICH_OPTIONS, actor=Actor(name="alice"))
    tasks = [full_task(job.id, "i-full"), plain_task(job.id, "i-plain", order=1)]
    store.put_tasks(job.id, tasks)

    expected = replace(job, tasks=(tasks[1], tasks[0]))  # order 1 before order 3
    assert store.get_job(job.id) == expected
    assert store.list_jobs() == [expected]
    assert job.status is JobStatus.QUEUED and job.phase is JobPhase.PREFLIGHT
    assert job.options == RICH_OPTIONS and job.created_by == "alice"


def test_job_ids_are_short_distinct_hex_strings(store: SqlStore) -> None:
    ids = [new_job(store, HostName(f"h{i}")).id for i in range(5)]
    assert len(set(ids)) == 5
    for job_id in ids:
        assert len(job_id) == 12
        int(job_id, 16)


def test_get_job_of_an_unknown_id_raises_not_found(store: SqlStore) -> None:
    with pytest.raises(NotFound, match="nope"):
        store.get_job(JobId("nope"))


def test_save_task_overwrites_every_field_including_back_to_none(store: SqlStore) -> None:
    job = new_job(store)
    store.put_tasks(job.id, [plain_task(job.id, "i1")])

    full = replace(full_task(job.id, "i1"), instance_name="vm-i1")
    store.save_task(full)
    assert store.get_job(job.id).tasks == (full,)

    plain = plain_task(job.id, "i1")
    store.save_task(plain)
    assert store.get_job(job.id).tasks == (plain,)


def test_save_task_of_a_task_never_put_raises_not_found(store: SqlStore) -> None:
    job = new_job(store)
    with pytest.raises(NotFound):
        store.save_task(plain_task(job.id, "ghost"))


def test_put_tasks_again_neither_duplicates_nor_overwrites(store: SqlStore) -> None:
    job = new_job(store)
    store.put_tasks(job.id, [plain_task(job.id, "i1"), plain_task(job.id, "i2")])
    progressed = replace(plain_task(job.id, "i1"), status=TaskStatus.MIGRATING, progress=0.5)
    store.save_task(progressed)

    store.put_tasks(job.id, [plain_task(job.id, "i1"), plain_task(job.id, "i3")])

    tasks = store.get_job(job.id).tasks
    assert [t.instance_id for t in tasks] == ["i1", "i2", "i3"]
    assert tasks[0] == progressed


def test_put_tasks_for_an_unknown_job_raises_not_found(store: SqlStore) -> None:
    with pytest.raises(NotFound):
        store.put_tasks(JobId("nope"), [plain_task(JobId("nope"), "i1")])


def test_tasks_come_back_ordered_by_order_then_instance_name(store: SqlStore) -> None:
    job = new_job(store)
    store.put_tasks(
        job.id,
        [
            plain_task(job.id, "a", order=2, name="alpha"),
            plain_task(job.id, "b", order=1, name="zulu"),
            plain_task(job.id, "c", order=1, name="mike"),
            plain_task(job.id, "d", order=0, name="yankee"),
        ],
    )
    assert [t.instance_name for t in store.get_job(job.id).tasks] == [
        "yankee",
        "mike",
        "zulu",
        "alpha",
    ]


def test_list_jobs_is_newest_first_and_filters_by_host_status_and_limit(store: SqlStore) -> None:
    old = new_job(store, H1, at=10.0)
    store.update_job(old.id, status=JobStatus.SUCCEEDED, finished_at=20.0)
    same_time_first = new_job(store, H2, at=50.0)
    same_time_second = new_job(store, HostName("c3"), at=50.0)
    newest = new_job(store, H1, at=60.0)

    assert [j.id for j in store.list_jobs()] == [
        newest.id,
        same_time_second.id,
        same_time_first.id,
        old.id,
    ]
    assert [j.id for j in store.list_jobs(host=H1)] == [newest.id, old.id]
    assert [j.id for j in store.list_jobs(status=JobStatus.SUCCEEDED)] == [old.id]
    assert [j.id for j in store.list_jobs(host=H2, status=JobStatus.SUCCEEDED)] == []
    assert [j.id for j in store.list_jobs(limit=2)] == [newest.id, same_time_second.id]


def test_update_job_changes_only_the_fields_given(store: SqlStore) -> None:
    job = new_job(store)
    running = store.update_job(
        job.id, status=JobStatus.RUNNING, phase=JobPhase.MOVE, started_at=101.0, message="moving"
    )
    assert running == replace(
        job, status=JobStatus.RUNNING, phase=JobPhase.MOVE, started_at=101.0, message="moving"
    )
    finished = store.update_job(job.id, status=JobStatus.SUCCEEDED, finished_at=150.0)
    assert finished == replace(running, status=JobStatus.SUCCEEDED, finished_at=150.0)
    assert store.get_job(job.id) == finished
    with pytest.raises(NotFound):
        store.update_job(JobId("nope"), message="x")


# -- one active job per host --


def test_a_host_with_an_active_job_refuses_another_naming_the_active_one(store: SqlStore) -> None:
    first = new_job(store, H1)
    with pytest.raises(Conflict, match=rf"'c1'.*{first.id} \(enter_maintenance, queued\)"):
        new_job(store, H1, kind=JobKind.EXIT_MAINTENANCE)

    store.update_job(first.id, status=JobStatus.RUNNING)
    with pytest.raises(Conflict, match=rf"{first.id} \(enter_maintenance, running\)"):
        new_job(store, H1)

    assert new_job(store, H2).host == H2  # other hosts are not affected
    assert [j.id for j in store.list_jobs(host=H1)] == [first.id]


@pytest.mark.parametrize("end", [JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.CANCELLED])
def test_a_host_accepts_a_new_job_once_the_active_one_finished(
    store: SqlStore, end: JobStatus
) -> None:
    first = new_job(store, H1)
    store.update_job(first.id, status=end, finished_at=110.0)
    second = new_job(store, H1, at=120.0)
    assert second.id != first.id
    assert [j.id for j in store.list_jobs(host=H1)] == [second.id, first.id]


def test_reactivating_a_finished_job_on_a_taken_host_is_a_conflict(store: SqlStore) -> None:
    first = new_job(store, H1)
    store.update_job(first.id, status=JobStatus.FAILED)
    second = new_job(store, H1)
    with pytest.raises(Conflict, match=second.id):
        store.update_job(first.id, status=JobStatus.QUEUED)


def test_racing_create_job_for_one_host_lets_exactly_one_win(store: SqlStore) -> None:
    results = race(8, lambda i: new_job(store, H1, at=float(i)))
    winners = [r for r in results if isinstance(r, Job)]
    losers = [r for r in results if isinstance(r, Conflict)]
    assert len(winners) == 1, results
    assert len(losers) == 7, results
    assert all(winners[0].id in str(c) for c in losers)
    assert [j.id for j in store.list_jobs(host=H1)] == [winners[0].id]


def _create_in_a_new_process(url: str, barrier: Any, index: int) -> None:
    """Child process: open the (possibly not yet migrated) store and race for host c1."""
    barrier.wait()
    store = open_store(url)
    try:
        new_job(store, H1, at=float(index))
    except Conflict:
        raise SystemExit(3) from None
    finally:
        store.close()


@pytest.mark.slow
def test_processes_opening_a_fresh_database_together_migrate_once_and_one_job_wins(
    db_url: str,
) -> None:
    # forkserver: one clean server process imports the store once, children fork from it.
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(["vacate.store"])
    barrier = ctx.Barrier(4)
    procs = [
        ctx.Process(target=_create_in_a_new_process, args=(db_url, barrier, i)) for i in range(4)
    ]
    for proc in procs:
        proc.start()
    try:
        for proc in procs:
            proc.join(timeout=60)
    finally:
        for proc in procs:
            if proc.is_alive():
                proc.kill()
    codes = [proc.exitcode for proc in procs]
    assert sorted(c for c in codes if c is not None) == [0, 3, 3, 3], codes
    store = open_store(db_url)
    try:
        assert len(store.list_jobs(host=H1)) == 1
    finally:
        store.close()


# -- cancellation --


def test_request_cancel_cancels_a_queued_job_at_once(store: SqlStore) -> None:
    job = new_job(store)
    cancelled = store.request_cancel(job.id)
    assert cancelled.status is JobStatus.CANCELLED
    assert cancelled.message == "cancelled before it started"
    assert store.get_job(job.id) == cancelled
    assert new_job(store, H1).status is JobStatus.QUEUED  # the host is free again


def test_request_cancel_of_a_running_job_only_flags_it(store: SqlStore) -> None:
    job = new_job(store)
    store.update_job(job.id, status=JobStatus.RUNNING)
    flagged = store.request_cancel(job.id)
    assert flagged.status is JobStatus.RUNNING
    assert flagged.cancel_requested is True
    assert store.request_cancel(job.id) == flagged  # asking twice is harmless


@pytest.mark.parametrize("end", [JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.CANCELLED])
def test_request_cancel_of_a_finished_job_is_a_conflict_naming_its_status(
    store: SqlStore, end: JobStatus
) -> None:
    job = new_job(store)
    store.update_job(job.id, status=end)
    with pytest.raises(Conflict, match=end.value):
        store.request_cancel(job.id)
    assert store.get_job(job.id).cancel_requested is False


def test_request_cancel_of_an_unknown_job_raises_not_found(store: SqlStore) -> None:
    with pytest.raises(NotFound, match="nope"):
        store.request_cancel(JobId("nope"))


# -- leases --


def test_a_lease_keeps_other_owners_out_until_it_expires(store: SqlStore) -> None:
    job = new_job(store)
    assert store.acquire_lease(job.id, "A", ttl_s=30, now=100)  # A holds until 130
    assert not store.acquire_lease(job.id, "B", ttl_s=30, now=110)
    assert store.acquire_lease(job.id, "A", ttl_s=30, now=120)  # renewed until 150
    assert not store.acquire_lease(job.id, "B", ttl_s=30, now=140)
    assert store.acquire_lease(job.id, "B", ttl_s=30, now=151)  # expired: B takes over
    assert not store.acquire_lease(job.id, "A", ttl_s=30, now=152)


def test_release_lease_frees_the_job_only_for_its_owner(store: SqlStore) -> None:
    job = new_job(store)
    assert store.acquire_lease(job.id, "A", ttl_s=30, now=100)
    store.release_lease(job.id, "B")  # not B's to release
    assert not store.acquire_lease(job.id, "B", ttl_s=30, now=101)
    store.release_lease(job.id, "A")
    assert store.acquire_lease(job.id, "B", ttl_s=30, now=102)


@pytest.mark.parametrize("end", [JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.CANCELLED])
def test_the_commit_that_finishes_a_job_releases_its_lease_with_it(
    store: SqlStore, end: JobStatus
) -> None:
    job = new_job(store)
    assert store.acquire_lease(job.id, "A", ttl_s=30, now=100)
    running = store.commit(
        job.id, Changes(job=JobChange(status=JobStatus.RUNNING)), at=101, owner="A"
    )
    assert running.owner == "A"  # a step that does not finish the job keeps the lease
    finished = store.commit(job.id, Changes(job=JobChange(status=end)), at=102, owner="A")
    assert finished.owner is None  # no window where a finished job still names a worker
    assert store.get_job(job.id).owner is None


def test_claim_next_takes_the_oldest_queued_job_and_skips_leased_ones(store: SqlStore) -> None:
    older = new_job(store, H1, at=10.0)
    newer = new_job(store, H2, at=20.0)

    first = store.claim_next("w1", ttl_s=30, now=100)
    assert first is not None and first.id == older.id
    second = store.claim_next("w2", ttl_s=30, now=101)
    assert second is not None and second.id == newer.id
    assert store.claim_next("w3", ttl_s=30, now=102) is None
    assert not store.acquire_lease(older.id, "w3", ttl_s=30, now=103)  # w1 holds it


def test_claim_next_takes_an_expired_running_job_and_never_a_finished_one(
    store: SqlStore,
) -> None:
    for i, end in enumerate([JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.CANCELLED]):
        done = new_job(store, HostName(f"done{i}"), at=float(i))
        store.update_job(done.id, status=end)
    live = new_job(store, HostName("live"), at=5.0)
    store.update_job(live.id, status=JobStatus.RUNNING)
    assert store.acquire_lease(live.id, "w1", ttl_s=60, now=100)  # live until 160
    orphan = new_job(store, HostName("orphan"), at=6.0)
    store.update_job(orphan.id, status=JobStatus.RUNNING)
    assert store.acquire_lease(orphan.id, "dead", ttl_s=10, now=100)  # expired at 110

    claimed = store.claim_next("w2", ttl_s=30, now=120)
    assert claimed is not None
    assert claimed.id == orphan.id and claimed.status is JobStatus.RUNNING
    assert not store.acquire_lease(orphan.id, "dead", ttl_s=10, now=121)
    assert store.claim_next("w2", ttl_s=30, now=121) is None


def test_racing_claim_next_hands_each_job_to_exactly_one_worker(store: SqlStore) -> None:
    jobs = [new_job(store, HostName(f"h{i}"), at=float(i)) for i in range(4)]
    results = race(8, lambda i: store.claim_next(f"w{i}", ttl_s=60, now=100))
    claimed = [r.id for r in results if isinstance(r, Job)]
    assert sorted(claimed) == sorted(j.id for j in jobs), results
    assert sum(r is None for r in results) == 4, results


# -- events --


def test_events_come_back_in_order_and_after_a_given_seq(store: SqlStore) -> None:
    a = new_job(store, H1)
    b = new_job(store, H2)
    written = []
    for i in range(3):
        written.append(
            store.append_event(a.id, at=float(i), kind=EventKind.JOB_RETRY, message=f"a{i}")
        )
        store.append_event(b.id, at=float(i), kind=EventKind.JOB_RETRY, message=f"b{i}")
    last = store.append_event(
        a.id,
        at=9.0,
        kind=EventKind.TASK_MOVED,
        message="moved",
        instance_id=InstanceId("i1"),
        payload=TaskEnded(outcome="moved", destination="c2", downtime_s=0.5, bytes_sent=1.5),
    )
    written.append(last)

    events = store.list_events(a.id)
    assert events == written
    seqs = [e.seq for e in events]
    assert seqs == [1, 2, 3, 4], "events are numbered per job, from 1"
    assert events[-1].payload == TaskEnded(
        outcome="moved", destination="c2", downtime_s=0.5, bytes_sent=1.5
    )
    assert events[-1].instance_id == "i1" and events[0].instance_id is None
    assert store.list_events(a.id, after_seq=seqs[1]) == written[2:]
    assert store.list_events(a.id, after_seq=seqs[-1]) == []
    assert [e.message for e in store.list_events(b.id)] == ["b0", "b1", "b2"]


def test_append_event_to_an_unknown_job_raises_not_found(store: SqlStore) -> None:
    with pytest.raises(NotFound):
        store.append_event(JobId("nope"), at=1.0, kind=EventKind.JOB_RETRY, message="y")


# -- maintenance states --


def test_a_host_never_seen_is_operational(store: SqlStore) -> None:
    record = store.get_maintenance(H1)
    assert record.host == H1 and record.state is MaintenanceState.OPERATIONAL
    assert record.job_id is None
    assert store.list_maintenance() == []


def test_set_maintenance_with_the_expected_state_stores_it(store: SqlStore) -> None:
    job = new_job(store)
    entering = store.set_maintenance(
        H1,
        MaintenanceState.ENTERING,
        reason="firmware",
        at=10.0,
        job_id=job.id,
        expected=MaintenanceState.OPERATIONAL,
    )
    assert store.get_maintenance(H1) == entering
    assert entering.reason == "firmware" and entering.updated_at == 10.0
    assert entering.job_id == job.id

    done = store.set_maintenance(
        H1, MaintenanceState.MAINTENANCE, reason="", at=20.0, expected=MaintenanceState.ENTERING
    )
    assert store.get_maintenance(H1) == done
    assert store.list_maintenance() == [done]


def test_set_maintenance_with_a_stale_expected_state_is_a_conflict_naming_the_current_one(
    store: SqlStore,
) -> None:
    with pytest.raises(Conflict, match="operational"):
        store.set_maintenance(
            H1, MaintenanceState.EXITING, reason="", at=1.0, expected=MaintenanceState.MAINTENANCE
        )
    assert store.list_maintenance() == []  # no row was created by the failed attempt

    store.set_maintenance(H1, MaintenanceState.DOWN, reason="host down", at=2.0)
    with pytest.raises(Conflict, match="'down'"):
        store.set_maintenance(
            H1, MaintenanceState.ENTERING, reason="", at=3.0, expected=MaintenanceState.OPERATIONAL
        )
    assert store.get_maintenance(H1).state is MaintenanceState.DOWN


def test_set_maintenance_without_expected_overwrites_whatever_is_stored(store: SqlStore) -> None:
    store.set_maintenance(H1, MaintenanceState.ERROR, reason="stuck", at=1.0)
    back = store.set_maintenance(H1, MaintenanceState.OPERATIONAL, reason="", at=2.0)
    assert store.get_maintenance(H1) == back


@pytest.mark.parametrize("start", [None, MaintenanceState.MAINTENANCE])
def test_racing_set_maintenance_from_one_state_lets_exactly_one_win(
    store: SqlStore, start: MaintenanceState | None
) -> None:
    """``None``: the host has no row yet (operational), so the race is on inserting it."""
    expected = start or MaintenanceState.OPERATIONAL
    if start is not None:
        store.set_maintenance(H1, start, reason="", at=0.0)

    results = race(
        8,
        lambda i: store.set_maintenance(
            H1, MaintenanceState.DOWN, reason=f"writer {i}", at=float(i), expected=expected
        ),
    )
    winners = [r for r in results if not isinstance(r, Exception)]
    assert len(winners) == 1, results
    assert all(isinstance(r, Conflict) for r in results if r not in winners), results
    assert store.get_maintenance(H1) == winners[0]


# -- schema and migrations --


def test_a_fresh_database_is_migrated_to_the_head_revision(db_url: str) -> None:
    store = open_store(db_url)
    try:
        with store.engine.connect() as conn:
            assert current_revision(conn) == head_revision()
        tables = set(inspect(store.engine).get_table_names())
        assert {"jobs", "tasks", "events", "host_maintenance", "alembic_version"} <= tables
    finally:
        store.close()


def test_the_head_revision_builds_exactly_the_declared_tables(store: SqlStore) -> None:
    with store.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diffs = compare_metadata(context, Base.metadata)
    assert diffs == []


def test_the_one_active_job_index_is_partial_in_the_database(store: SqlStore) -> None:
    indexes = {ix["name"]: ix for ix in inspect(store.engine).get_indexes("jobs")}
    index = indexes["uq_jobs_one_active_per_host"]
    assert index["unique"] and index["column_names"] == ["host"]
    where = next(v for k, v in index.get("dialect_options", {}).items() if k.endswith("_where"))
    assert "queued" in str(where) and "running" in str(where)


def test_opening_an_existing_database_again_keeps_its_data(db_url: str) -> None:
    first = open_store(db_url)
    try:
        job = new_job(first, options=RICH_OPTIONS)
        first.put_tasks(job.id, [full_task(job.id, "i1")])
        first.append_event(job.id, at=1.0, kind=EventKind.JOB_RETRY, message="m")
        first.set_maintenance(H1, MaintenanceState.ENTERING, reason="r", at=1.0, job_id=job.id)
        before = (first.get_job(job.id), first.list_events(job.id), first.list_maintenance())
    finally:
        first.close()

    again = open_store(db_url)
    try:
        after = (again.get_job(job.id), again.list_events(job.id), again.list_maintenance())
        assert after == before
        with again.engine.connect() as conn:
            assert current_revision(conn) == head_revision()
    finally:
        again.close()


def test_the_initial_revision_downgrades_to_nothing_and_upgrades_again(db_url: str) -> None:
    store = open_store(db_url)
    try:
        with store.engine.begin() as conn:
            command.downgrade(alembic_config(conn), "base")
        assert set(inspect(store.engine).get_table_names()) <= {"alembic_version"}
        with store.engine.begin() as conn:
            command.upgrade(alembic_config(conn), "head")
        assert new_job(store).status is JobStatus.QUEUED
    finally:
        store.close()


def test_sqlite_connections_use_wal_a_busy_timeout_and_foreign_keys(tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'vacate.db'}")
    try:
        with store.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30_000
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    finally:
        store.close()
