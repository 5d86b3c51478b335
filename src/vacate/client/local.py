"""The client in this process: the engine's service layer on the local database and cloud.

Answers are built with ``vacate.serialize``, exactly as the API's routes build them, and a job
is run here to its end (or followed while another worker runs it) with the engine's
``run_or_follow``.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import asdict

from vacate import bootstrap
from vacate.client.base import Doc, Say, Watch
from vacate.domain.actors import Actor
from vacate.domain.jobs import Job, JobOptions, JobStatus
from vacate.domain.model import JobId
from vacate.engine import commands, hostdown
from vacate.engine.context import Context
from vacate.engine.follow import run_or_follow
from vacate.engine.summary import job_summary
from vacate.engine.views import group_names, host_views, os_host
from vacate.ports.auth import AuditQuery
from vacate.serialize import (
    event_to_dict,
    host_to_dict,
    instance_to_dict,
    job_brief_to_dict,
    job_detail_to_dict,
    job_to_dict,
    migration_to_dict,
    plan_to_dict,
    server_group_to_dict,
)

#: A watcher hears a running job at most this often (wall seconds), and always at its end.
WATCH_EVERY_S = 0.1


class LocalClient:
    def __init__(self, app: bootstrap.App, actor: Actor) -> None:
        self.app = app
        self.actor = actor
        self.where = "this machine"

    @property
    def _ctx(self) -> Context:
        return self.app.ctx

    # -- hosts and instances --
    def hosts(self) -> list[Doc]:
        return [host_to_dict(v) for v in host_views(self._ctx)]

    def host(self, name: str) -> Doc:
        ctx = self._ctx
        view = host_views(ctx, only=name)[0]
        data = host_to_dict(view)
        data["instances"] = [
            instance_to_dict(i, groups=group_names(ctx)) for i in ctx.cloud.list_instances(name)
        ]
        data["jobs"] = [
            {"id": j.id, "kind": j.kind.value, "status": j.status.value}
            for j in ctx.store.list_jobs(host=view.host.name, limit=5)
        ]
        return data

    def os_host(self, name: str) -> Doc:
        return os_host(host_views(self._ctx, only=name)[0])

    def instances(self, host: str | None = None) -> list[Doc]:
        ctx = self._ctx
        name = None if host is None else commands.exact_host(ctx, host)
        groups = group_names(ctx)
        return [instance_to_dict(i, groups=groups) for i in ctx.cloud.list_instances(name)]

    def instance(self, instance_id: str) -> Doc:
        ctx = self._ctx
        cloud = ctx.cloud
        inst = commands.exact_instance(ctx, instance_id)
        data = instance_to_dict(inst, groups=group_names(ctx))
        data["migrations"] = [
            migration_to_dict(m) for m in cloud.list_migrations(instance_id=inst.id)
        ]
        return data

    def server_groups(self) -> list[Doc]:
        return [server_group_to_dict(g) for g in self._ctx.cloud.list_server_groups()]

    def plan(self, host: str, options: JobOptions) -> Doc:
        return plan_to_dict(commands.preflight(self._ctx, host, options))

    # -- actions --
    def enter_maintenance(self, host: str, options: JobOptions) -> Doc:
        return job_to_dict(commands.enter_maintenance(self._ctx, host, options, actor=self.actor))

    def exit_maintenance(self, host: str, *, restore: bool = False) -> Doc:
        job = commands.exit_maintenance(self._ctx, host, restore=restore, actor=self.actor)
        return job_to_dict(job)

    def migrate_instances(self, host: str, options: JobOptions) -> Doc:
        return job_to_dict(commands.migrate_instances(self._ctx, host, options, actor=self.actor))

    def set_service(self, host: str, *, enabled: bool, reason: str) -> Doc:
        job = commands.set_service(
            self._ctx, host, enabled=enabled, reason=reason, actor=self.actor
        )
        return job_to_dict(job)

    def cancel(self, job_id: str) -> Doc:
        return job_to_dict(commands.cancel(self._ctx, job_id, actor=self.actor))

    def report_down(
        self,
        host: str,
        *,
        fenced: bool,
        evacuate: bool,
        reason: str,
        reserved: Sequence[str],
    ) -> Doc:
        job = hostdown.report_down(
            self._ctx,
            host,
            fenced=fenced,
            evacuate=evacuate,
            reason=reason,
            reserved=list(reserved),
            actor=self.actor,
        )
        return job_to_dict(job)

    def recover(self, host: str) -> Doc:
        return job_to_dict(hostdown.recover(self._ctx, host, actor=self.actor))

    # -- jobs --
    def jobs(
        self, *, host: str | None = None, status: JobStatus | None = None, limit: int = 50
    ) -> list[Doc]:
        found = self._ctx.store.list_jobs(host=host, status=status, limit=limit)
        return [job_brief_to_dict(j) for j in found]

    def job(self, job_id: str) -> Doc:
        return self._detail(self._ctx.store.get_job(JobId(job_id)))

    def _detail(self, job: Job) -> Doc:
        return job_detail_to_dict(job, job_summary(self._ctx.cloud, job))

    def events(self, job_id: str) -> list[Doc]:
        store = self._ctx.store
        return [event_to_dict(e) for e in store.list_events(store.get_job(JobId(job_id)).id)]

    def follow(self, job_id: str, *, watch: Watch | None = None, say: Say | None = None) -> Doc:
        job = self._ctx.store.get_job(JobId(job_id))
        observer = None if watch is None else _Throttled(watch)
        finished = run_or_follow(self._ctx, job.id, observer=observer, say=say)
        return self._detail(self._ctx.store.get_job(finished.id))

    # -- audit --
    def audit(self, query: AuditQuery) -> list[Doc]:
        from vacate.store.auth import auth_store_for

        entries = auth_store_for(self._ctx.store).audit(query)
        return [asdict(e) for e in entries]


class _Throttled:
    """The engine's observer, as a watcher of job documents: encoding a job after every step
    of a fast drain would cost more than drawing it; the screen refreshes ten times a second."""

    def __init__(self, watch: Watch) -> None:
        self._watch = watch
        self._last = 0.0

    def __call__(self, job: Job) -> None:
        now = time.monotonic()
        if job.status.is_active and now - self._last < WATCH_EVERY_S:
            return
        self._last = now
        self._watch(job_to_dict(job))
