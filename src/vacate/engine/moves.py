"""Run a job's moves: start them within the concurrency limits, watch them, escalate, record.

Each call of ``tick`` reads the durable tasks, looks at the cloud's truth and does the next
idempotent thing. A task is marked ``starting`` *before* the cloud is asked to move it; a worker
that dies between the two finds, on restart, either the migration the cloud accepted (and adopts
it) or none (and asks again) — so an instance is never moved twice nor forgotten.
"""

from __future__ import annotations

import contextlib
from collections import Counter
from dataclasses import replace

from vacate.domain.errors import Conflict, NotFound, PermanentError, TemporaryError
from vacate.domain.jobs import EscalationStep, Job, Method, Outcome, Task, TaskStatus
from vacate.domain.maintenance import MaintenanceState
from vacate.domain.model import HostName, Instance, InstanceId, MigrationId, VmState
from vacate.engine.context import Context
from vacate.engine.placement import choose
from vacate.planning.escalation import Action, Capabilities, MigrationProgress, next_step
from vacate.planning.filters import group_hosts
from vacate.planning.hoststate import build_host_states
from vacate.ports.cloud import Migration, MigrationStatus

ACTIVE_STATUSES = (TaskStatus.STARTING, TaskStatus.MIGRATING, TaskStatus.CONFIRMING)


def _gib(n: float) -> str:
    return f"{n / 1024**3:.2f} GiB"


class Mover:
    """One pass over a job's tasks per ``tick``; ``done`` when every task has an outcome."""

    def __init__(self, ctx: Context, job: Job) -> None:
        self.ctx = ctx
        self.job = job
        #: Last (time, bytes processed) seen per migration, and the throughput since then:
        #: the ladder uses it to skip a rung that cannot help.
        self._seen: dict[MigrationId, tuple[float, float]] = {}
        self._rates: dict[MigrationId, float] = {}

    # ------------------------------------------------------------ recording
    def _save(self, task: Task) -> Task:
        self.ctx.store.save_task(task, owner=self.ctx.owner)
        return task

    def _event(self, kind: str, message: str, task: Task | None = None, **data: object) -> None:
        self.ctx.store.append_event(
            self.job.id,
            at=self.ctx.clock.now(),
            kind=kind,
            message=message,
            instance_id=task.instance_id if task else None,
            data=dict(data),
        )

    def _finish(
        self, task: Task, outcome: Outcome, reason: str, *, at: float | None = None
    ) -> Task:
        """Record the outcome; ``at`` is when the cloud says it ended (else now)."""
        when = at if at is not None else self.ctx.clock.now()
        done = self._save(task.finish(outcome, reason, at=when))
        self._event(f"task.{outcome.value}", f"{task.instance_name}: {reason}", done)
        return done

    # ----------------------------------------------------------------- tick
    def tick(self) -> bool:
        """Advance every task one step; True when all are done."""
        job = self.job = self.ctx.store.get_job(self.job.id)
        tasks = [t for t in job.tasks if not t.is_done]
        for task in tasks:
            if task.status in ACTIVE_STATUSES:
                self._reconcile(task)
        job = self.job = self.ctx.store.get_job(self.job.id)
        if job.cancel_requested:
            self._cancel(job)
        else:
            self._start_more(job)
        job = self.job = self.ctx.store.get_job(self.job.id)
        return all(t.is_done for t in job.tasks)

    def _cancel(self, job: Job) -> None:
        for task in job.tasks:
            if task.status is TaskStatus.PENDING:
                self._finish(task, Outcome.SKIPPED, "not started: the job was cancelled")
            elif (
                task.status is TaskStatus.MIGRATING
                and task.migration_id
                and task.method is Method.LIVE
                and not any(s.action == Action.ABORT.value for s in task.escalations)
            ):
                # Recorded, then sent: if it does not take, _abort_undelivered sends it again.
                with contextlib.suppress(Conflict, NotFound):
                    migration = self.ctx.cloud.get_migration(task.migration_id)
                    if (
                        not migration.status.is_terminal
                        and migration.status is not MigrationStatus.POST_COPY
                    ):
                        step = EscalationStep(
                            action=Action.ABORT.value,
                            at=self.ctx.clock.now(),
                            detail="job cancelled",
                        )
                        self._save(task.with_step(step))
                        self.ctx.cloud.abort_migration(task.migration_id)

    # ------------------------------------------------------------- starting
    def _start_more(self, job: Job) -> None:
        opts = job.options
        active = [t for t in job.tasks if t.status in ACTIVE_STATUSES]
        pending = sorted(
            (t for t in job.tasks if t.status is TaskStatus.PENDING and t.verdict.moves),
            key=lambda t: (t.order, t.instance_name),
        )
        if not pending or len(active) >= opts.max_parallel:
            return
        # The limits protect hosts and links, so they count every move in flight in the
        # cloud (other jobs' too), plus this job's moves the cloud has not accepted yet.
        flying = [
            m
            for m in self.ctx.cloud.list_migrations()
            if not m.status.is_terminal and m.status is not MigrationStatus.FINISHED
        ]
        unaccepted = [t for t in active if t.status is TaskStatus.STARTING]
        per_source = Counter([m.source for m in flying] + [t.source for t in unaccepted])
        per_dest = Counter(
            [m.dest for m in flying if m.dest]
            + [t.destination for t in unaccepted if t.destination]
        )

        hosts = self.ctx.cloud.list_hosts()
        instances = self.ctx.cloud.list_instances()
        by_id = {i.id: i for i in instances}
        groups = {g.id: g for g in self.ctx.cloud.list_server_groups()}
        maintenance: dict[str, MaintenanceState] = {
            m.host: m.state for m in self.ctx.store.list_maintenance()
        }
        inflight: dict[InstanceId, HostName] = {
            t.instance_id: t.destination for t in active if t.destination is not None
        }
        for task in pending:
            if len(active) >= opts.max_parallel:
                break
            if per_source[task.source] >= opts.max_per_source:
                continue
            inst = by_id.get(task.instance_id)
            if inst is None or inst.is_gone:
                self._finish(task, Outcome.SKIPPED, "the instance no longer exists")
                continue
            if inst.host != task.source:
                self._finish(
                    task, Outcome.SKIPPED, f"already off {task.source} (now on {inst.host})"
                )
                continue
            states = build_host_states(hosts, instances, maintenance, inflight=inflight)
            placement = choose(
                inst,
                source=task.source,
                planned=task.planned_destination,
                target=opts.target,
                states=states,
                groups=groups,
                hosts_of_groups=group_hosts(inst, instances, source=task.source, inflight=inflight),
            )
            if placement.host is None:
                if not active:
                    self._finish(task, Outcome.BLOCKED, placement.reason)
                continue  # room may free up when running moves finish
            if per_dest[placement.host] >= opts.max_per_destination:
                if opts.target is not None:
                    continue  # pinned: wait for a slot there
                # The planned host is busy: the next best one with a free slot beats waiting.
                placement = choose(
                    inst,
                    source=task.source,
                    planned=None,
                    target=None,
                    states={
                        n: s for n, s in states.items() if per_dest[n] < opts.max_per_destination
                    },
                    groups=groups,
                    hosts_of_groups=group_hosts(
                        inst, instances, source=task.source, inflight=inflight
                    ),
                )
            dest = placement.host
            if dest is None:
                continue
            started = self._begin(task, inst, self._method(task, inst), dest)
            if started is not None:
                active.append(started)
                per_source[started.source] += 1
                per_dest[dest] += 1
                inflight[started.instance_id] = dest

    @staticmethod
    def _method(task: Task, inst: Instance) -> Method:
        if task.method is not None:
            return task.method
        return Method.LIVE if task.verdict.value == "live" else Method.COLD

    def _begin(self, task: Task, inst: Instance, method: Method, dest: HostName) -> Task | None:
        now = self.ctx.clock.now()
        task = self._save(
            replace(
                task,
                status=TaskStatus.STARTING,
                method=method,
                destination=dest,
                attempt=task.attempt + 1,
                started_at=task.started_at if task.started_at is not None else now,
                reason="",
            )
        )
        return self._call_cloud(task, since=now)

    def _call_cloud(self, task: Task, *, since: float) -> Task | None:
        assert task.destination is not None and task.method is not None
        method = task.method
        try:
            if method is Method.LIVE:
                mig = self.ctx.cloud.live_migrate(task.instance_id, task.destination)
            else:
                mig = self.ctx.cloud.cold_migrate(task.instance_id, task.destination)
        except TemporaryError as exc:
            self._save(replace(task, status=TaskStatus.PENDING, reason=str(exc)))
            return None
        except (Conflict, PermanentError, NotFound) as exc:
            if task.attempt < self.job.options.max_attempts and isinstance(exc, Conflict):
                self._event("task.retry", f"{task.instance_name}: {exc}", task)
                self._save(
                    replace(
                        task,
                        status=TaskStatus.PENDING,
                        destination=None,
                        planned_destination=None,
                        reason=str(exc),
                    )
                )
                return None
            self._finish(
                task, Outcome.FAILED, f"the cloud refused the {method.value} migration: {exc}"
            )
            return None
        task = self._save(replace(task, status=TaskStatus.MIGRATING, migration_id=mig))
        self._event(
            "task.started",
            f"{task.instance_name}: {method.value} migration to {task.destination} started",
            task,
            migration_id=mig,
            destination=task.destination,
        )
        return task

    # ---------------------------------------------------------- reconciling
    def _reconcile(self, task: Task) -> None:
        if task.status is TaskStatus.STARTING:
            self._resume_starting(task)
            return
        assert task.migration_id is not None
        try:
            migration = self.ctx.cloud.get_migration(task.migration_id)
        except NotFound:
            self._finish(
                task, Outcome.FAILED, f"migration {task.migration_id} vanished from the cloud"
            )
            return
        self._track(migration)
        if task.status is TaskStatus.CONFIRMING or migration.status is MigrationStatus.FINISHED:
            self._confirm(task, migration)
        elif migration.status is MigrationStatus.COMPLETED:
            self._completed(task, migration)
        elif migration.status in (MigrationStatus.FAILED, MigrationStatus.CANCELLED):
            self._failed(task, migration)
        else:
            self._watch(task, migration)

    def _track(self, migration: Migration) -> None:
        """Measure the migration's throughput since the last look."""
        now = self.ctx.clock.now()
        before = self._seen.get(migration.id)
        self._seen[migration.id] = (now, migration.memory_processed_bytes)
        if migration.status is not MigrationStatus.RUNNING:
            return
        if before is None:  # first look: a lower bound, since the setup time is included
            before = (migration.created_at, 0.0)
        elapsed = now - before[0]
        if elapsed > 0 and migration.memory_processed_bytes > before[1]:
            self._rates[migration.id] = (migration.memory_processed_bytes - before[1]) / elapsed

    def _resume_starting(self, task: Task) -> None:
        """A worker died between recording the intent and recording the cloud's answer."""
        since = task.started_at or 0.0
        # A failed or cancelled migration belongs to an earlier attempt: this one's is live
        # (or done), or the cloud never got the call.
        accepted = [
            m
            for m in self.ctx.cloud.list_migrations(instance_id=task.instance_id)
            if m.created_at >= since
            and m.source == task.source
            and m.status not in (MigrationStatus.FAILED, MigrationStatus.CANCELLED)
        ]
        if accepted:
            mig = accepted[-1]
            adopted = self._save(
                replace(
                    task, status=TaskStatus.MIGRATING, migration_id=mig.id, destination=mig.dest
                )
            )
            self._event("task.adopted", f"{task.instance_name}: resumed watching {mig.id}", adopted)
            return
        self._call_cloud(task, since=since)

    def _confirm(self, task: Task, migration: Migration) -> None:
        task = self._save(replace(task, status=TaskStatus.CONFIRMING))
        inst = self.ctx.cloud.get_instance(task.instance_id)
        if inst.vm_state is VmState.RESIZED:
            self.ctx.cloud.confirm_resize(task.instance_id)
        self._completed(task, self.ctx.cloud.get_migration(migration.id))

    def _completed(self, task: Task, migration: Migration) -> None:
        inst = self.ctx.cloud.get_instance(task.instance_id)
        if inst.host != migration.dest:
            self._finish(
                task,
                Outcome.FAILED,
                f"migration reported complete but the instance is on {inst.host}",
            )
            return
        end = migration.finished_at if migration.finished_at is not None else self.ctx.clock.now()
        downtime = migration.downtime_s
        if task.method is Method.COLD:
            was_running = task.state_before in (VmState.ACTIVE.value, VmState.PAUSED.value)
            # The guest stops when the cold migration starts, not when an aborted live
            # attempt before it did.
            downtime = (end - migration.created_at) if was_running else None
        done = replace(
            task,
            destination=HostName(migration.dest) if migration.dest else task.destination,
            downtime_s=downtime,
            bytes_sent=task.bytes_sent + migration.memory_processed_bytes,
            progress=1.0,
        )
        method = task.method.value if task.method else "?"
        steps = (
            f" after {', '.join(s.action for s in task.escalations)}" if task.escalations else ""
        )
        dt = f", {downtime:.2f} s downtime" if downtime is not None else ""
        self._finish(
            done, Outcome.MOVED, f"{method}-migrated to {migration.dest}{steps}{dt}", at=end
        )

    def _failed(self, task: Task, migration: Migration) -> None:
        opts = self.job.options
        aborted_by_us = any(s.action == Action.ABORT.value for s in task.escalations)
        sent = task.bytes_sent + migration.memory_processed_bytes
        inst = self.ctx.cloud.get_instance(task.instance_id)
        if inst.vm_state is VmState.ERROR:
            self._finish(
                replace(task, bytes_sent=sent),
                Outcome.FAILED,
                f"{migration.error or 'migration failed'}; "
                f"the instance is now in error on {inst.host}: "
                "check it before retrying",
            )
            return
        if aborted_by_us and self.job.cancel_requested:
            self._finish(
                replace(task, bytes_sent=sent), Outcome.SKIPPED, "aborted: the job was cancelled"
            )
            return
        if aborted_by_us:
            if opts.allow_cold_fallback and task.method is Method.LIVE:
                self._event(
                    "task.fallback",
                    f"{task.instance_name}: live migration aborted, cold-migrating",
                    task,
                )
                self._save(
                    replace(
                        task,
                        status=TaskStatus.PENDING,
                        method=Method.COLD,
                        bytes_sent=sent,
                        migration_id=None,
                    )
                )
                return
            steps = ", ".join(s.action for s in task.escalations)
            self._finish(
                replace(task, bytes_sent=sent),
                Outcome.FAILED,
                f"live migration did not converge ({steps}); "
                "pass --cold-fallback to cold-migrate it "
                "(the guest restarts), or lower its memory load and retry",
            )
            return
        if task.attempt < opts.max_attempts:
            self._event(
                "task.retry",
                f"{task.instance_name}: {migration.error or migration.status.value}; retrying",
                task,
            )
            self._save(
                replace(
                    task,
                    status=TaskStatus.PENDING,
                    bytes_sent=sent,
                    migration_id=None,
                    planned_destination=None,
                )
            )
            return
        self._finish(
            replace(task, bytes_sent=sent),
            Outcome.FAILED,
            f"{migration.error or 'migration ' + migration.status.value} "
            f"(after {task.attempt} attempts); it is still on {inst.host}",
        )

    def _abort_undelivered(self, task: Task, migration: Migration) -> bool:
        """An abort decided earlier that has not taken effect (refused, or its worker died
        between recording and sending it) is sent again: a decision is only done when it is
        done. True if the task has an abort on record."""
        aborts = [s.at for s in task.escalations if s.action == Action.ABORT.value]
        if not aborts or migration.created_at > max(aborts):
            return False
        self._save(task)
        if self.ctx.clock.now() - max(aborts) >= self.ctx.ladder.patience_s:
            with contextlib.suppress(Conflict, NotFound):
                self.ctx.cloud.abort_migration(migration.id)
                self._event("task.abort-resent", f"{task.instance_name}: abort sent again", task)
        return True

    def _watch(self, task: Task, migration: Migration) -> None:
        total = max(migration.memory_total_bytes, 1.0)
        progress = min(
            0.99, migration.memory_processed_bytes / (total + migration.memory_remaining_bytes)
        )
        task = replace(task, progress=progress)
        if task.method is not Method.LIVE or migration.status in (
            MigrationStatus.QUEUED,
            MigrationStatus.PREPARING,
        ):
            self._save(task)
            return
        if self._abort_undelivered(task, migration):
            return
        caps = self.ctx.cloud.capabilities
        step = next_step(
            MigrationProgress(
                started_at=migration.created_at,
                now=self.ctx.clock.now(),
                running=migration.status is MigrationStatus.RUNNING,
                post_copy=migration.status is MigrationStatus.POST_COPY,
                passes=migration.passes,
                pass_remaining=migration.pass_remaining,
                remaining_bytes=migration.memory_remaining_bytes,
                memory_bytes=migration.memory_total_bytes,
                downtime_limit_ms=migration.downtime_limit_ms,
                bandwidth=self._rates.get(migration.id),
            ),
            [s for s in task.escalations if s.at >= migration.created_at],
            Capabilities(
                downtime_control=caps.downtime_control,
                auto_converge=caps.auto_converge,
                post_copy=caps.post_copy and self.job.options.allow_post_copy,
                force_complete=caps.force_complete,
                abort=caps.abort,
            ),
            self.ctx.ladder,
        )
        if step is None:
            self._save(task)
            return
        action, detail = step
        task = self._save(
            task.with_step(
                EscalationStep(action=action.value, at=self.ctx.clock.now(), detail=detail)
            )
        )
        self._event(
            "task.escalated",
            f"{task.instance_name}: {action.value} — {detail}",
            task,
            action=action.value,
        )
        mig: MigrationId = migration.id
        try:
            if action is Action.RAISE_DOWNTIME:
                self.ctx.cloud.set_downtime_limit(mig, self.ctx.ladder.max_downtime_ms)
            elif action is Action.AUTO_CONVERGE:
                self.ctx.cloud.enable_auto_converge(mig)
            elif action is Action.POST_COPY:
                self.ctx.cloud.start_post_copy(mig)
            elif action is Action.FORCE_COMPLETE:
                self.ctx.cloud.force_complete(mig)
            else:
                self.ctx.cloud.abort_migration(mig)
        except (Conflict, NotFound) as exc:
            self._event(
                "task.escalation-refused",
                f"{task.instance_name}: {action.value} refused: {exc}",
                task,
            )
