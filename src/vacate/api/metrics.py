"""``/metrics`` for Prometheus.

Two kinds of figures. Counts of the whole database (jobs by kind and status, finished tasks by
outcome and method, migrations in flight) are read at scrape time, so every process reports
the same truth. What happens in this process — migrations its worker saw end (duration,
downtime, bytes), escalations it took, API requests it answered — are counters and histograms
that Prometheus sums across processes.
"""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client import CollectorRegistry, Counter, Histogram, disable_created_metrics
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from vacate.domain.jobs import Job, Method, Outcome
from vacate.ports.auth import AuthStore

# One series per counter, not two: the ``_created`` timestamps only double the scrape.
disable_created_metrics()  # type: ignore[no-untyped-call]

_DURATION_BUCKETS = (1, 5, 10, 30, 60, 120, 300, 600, 1800, 3600)
_DOWNTIME_BUCKETS = (0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30)
_BYTES_BUCKETS = tuple(float(2**n) for n in range(26, 40, 2))  # 64 MiB … 256 GiB


class _StoreCounts(Collector):
    """Gauges read from the database at each scrape."""

    def __init__(self, auth: AuthStore) -> None:
        self._auth = auth

    def collect(self) -> Iterator[GaugeMetricFamily]:
        counts = self._auth.work_counts()
        jobs = GaugeMetricFamily(
            "vacate_jobs", "Jobs by kind and status", labels=["kind", "status"]
        )
        for (kind, status), n in sorted(counts.jobs.items()):
            jobs.add_metric([kind, status], n)
        yield jobs
        tasks = GaugeMetricFamily(
            "vacate_tasks", "Finished tasks by outcome and method", labels=["outcome", "method"]
        )
        for (outcome, method), n in sorted(counts.tasks.items()):
            tasks.add_metric([outcome, method], n)
        yield tasks
        yield GaugeMetricFamily(
            "vacate_migrations_in_flight", "Migrations under way", value=counts.in_flight
        )


class ApiMetrics:
    """One registry per application, so tests can build several."""

    def __init__(self, auth: AuthStore) -> None:
        self.registry = CollectorRegistry()
        self.registry.register(_StoreCounts(auth))
        r = self.registry
        self.requests = Counter(
            "vacate_api_requests", "API requests", ["route", "method", "code"], registry=r
        )
        self.latency = Histogram(
            "vacate_api_request_seconds", "API answer time", ["route"], registry=r
        )
        self.jobs_run = Counter(
            "vacate_worker_jobs", "Jobs this process's worker ended", ["kind", "status"], registry=r
        )
        self.duration = Histogram(
            "vacate_migration_duration_seconds",
            "Moves ended, from start to end",
            ["method"],
            buckets=_DURATION_BUCKETS,
            registry=r,
        )
        self.downtime = Histogram(
            "vacate_migration_downtime_seconds",
            "Guest downtime of live migrations",
            buckets=_DOWNTIME_BUCKETS,
            registry=r,
        )
        self.bytes = Histogram(
            "vacate_migration_bytes", "Bytes sent per move", buckets=_BYTES_BUCKETS, registry=r
        )
        self.escalations = Counter(
            "vacate_escalations", "Escalation steps taken", ["action"], registry=r
        )

    def watcher(self) -> JobWatcher:
        return JobWatcher(self)


class JobWatcher:
    """Turns the worker's view of a job after each tick into observations, each task and each
    escalation step counted once however often the job is seen."""

    def __init__(self, metrics: ApiMetrics) -> None:
        self._m = metrics
        self._done: set[tuple[str, str]] = set()
        self._steps: dict[tuple[str, str], int] = {}

    def seed(self, job: Job) -> None:
        """What was already done when this process took the job: not this process's work."""
        for task in job.tasks:
            key = (job.id, task.instance_id)
            self._steps[key] = len(task.escalations)
            if task.is_done:
                self._done.add(key)

    def observe(self, job: Job) -> None:
        for task in job.tasks:
            key = (job.id, task.instance_id)
            seen = self._steps.get(key, 0)
            for step in task.escalations[seen:]:
                self._m.escalations.labels(action=step.action).inc()
            self._steps[key] = len(task.escalations)
            if not task.is_done or key in self._done:
                continue
            self._done.add(key)
            if task.outcome is not Outcome.MOVED:
                continue
            method = task.method.value if task.method else "none"
            if task.duration_s is not None:
                self._m.duration.labels(method=method).observe(task.duration_s)
            if task.method is Method.LIVE and task.downtime_s is not None:
                self._m.downtime.observe(task.downtime_s)
            self._m.bytes.observe(task.bytes_sent)
        if not job.status.is_active:
            self._m.jobs_run.labels(kind=job.kind.value, status=job.status.value).inc()
            self._forget(job.id)

    def _forget(self, job_id: str) -> None:
        self._done = {k for k in self._done if k[0] != job_id}
        self._steps = {k: v for k, v in self._steps.items() if k[0] != job_id}
