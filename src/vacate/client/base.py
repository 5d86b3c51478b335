"""The client interface: one method per thing a CLI command reads or does.

Every answer is the JSON document the REST API answers for it (``Doc``), so ``-f json`` prints
the same bytes whichever implementation answered. Errors are the engine's own
(``NotFound``, ``Conflict``, ``PlanNotReady``, ``ValueError``, ``SetupError``) or, from a
server, ``vacate.client.errors.RemoteError`` with the API's code and message.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol

from vacate.domain.jobs import JobOptions, JobStatus
from vacate.ports.auth import AuditQuery

Doc = dict[str, Any]
#: Hears each new snapshot of a job (a job document) while it runs.
Watch = Callable[[Doc], None]
#: Hears what a person should know while a job runs (who runs it, a take-over).
Say = Callable[[str], None]


class Client(Protocol):
    """Where the commands' answers come from: this process, or a server."""

    #: Shown in messages: ``this machine`` or the server's URL.
    where: str

    # -- hosts and instances --
    def hosts(self) -> list[Doc]:
        """Every host (``GET /v1/hosts``)."""
        ...

    def host(self, name: str) -> Doc:
        """One host with its instances and five latest jobs (``GET /v1/hosts/{name}``)."""
        ...

    def os_host(self, name: str) -> Doc:
        """``{"host", "status", "maintenance_mode"}`` (``GET /v2.1/os-hosts/{name}``)."""
        ...

    def instances(self, host: str | None = None) -> list[Doc]:
        """Every instance, or one host's (an unknown host is ``NotFound``)."""
        ...

    def instance(self, instance_id: str) -> Doc:
        """One instance with its migrations."""
        ...

    def server_groups(self) -> list[Doc]:
        """``{"id", "name", "policy"}`` of every server group."""
        ...

    def plan(self, host: str, options: JobOptions) -> Doc:
        """The preflight alone: nothing changes."""
        ...

    # -- actions: each queues a job and answers it --
    def enter_maintenance(self, host: str, options: JobOptions) -> Doc: ...

    def exit_maintenance(self, host: str, *, restore: bool = False) -> Doc: ...

    def migrate_instances(self, host: str, options: JobOptions) -> Doc: ...

    def set_service(self, host: str, *, enabled: bool, reason: str) -> Doc: ...

    def cancel(self, job_id: str) -> Doc: ...

    def report_down(
        self,
        host: str,
        *,
        fenced: bool,
        evacuate: bool,
        reason: str,
        reserved: Sequence[str],
    ) -> Doc:
        """Report a failed host (or assert the fence on the report waiting at the gate)."""
        ...

    def recover(self, host: str) -> Doc: ...

    # -- jobs --
    def jobs(
        self, *, host: str | None = None, status: JobStatus | None = None, limit: int = 50
    ) -> list[Doc]:
        """Newest first, each with its tasks counted (``task_count``), not listed."""
        ...

    def job(self, job_id: str) -> Doc:
        """A job with every task and the drain summary."""
        ...

    def events(self, job_id: str) -> list[Doc]:
        """The job's event log, in order."""
        ...

    def follow(self, job_id: str, *, watch: Watch | None = None, say: Say | None = None) -> Doc:
        """Wait for the job's end — locally by running it (or following the worker that has
        it), remotely by following the server's event stream — and answer ``job(job_id)``."""
        ...

    # -- audit --
    def audit(self, query: AuditQuery) -> list[Doc]:
        """Audit entries, newest first."""
        ...
