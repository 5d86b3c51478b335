"""The client over HTTP: the same interface, answered by a ``vacate serve`` (``/v1``).

Documents come back as the server built them (``vacate.serialize`` there), so nothing is
re-encoded on the way. An error answer becomes ``RemoteError`` with the API's code and message
— except a drain refused because its plan is not ready, which becomes the engine's own
``PlanNotReady`` with the plan's blocked instances, exactly as in-process. A job is followed
on the server's event stream (``GET /v1/jobs/{id}/events`` as ``text/event-stream``), resumed
after ``Last-Event-ID`` if the connection breaks.

This module talks HTTP only: it imports no engine, store or cloud (an import contract keeps
it so), so a machine with nothing but the CLI reaches a server.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import quote

import httpx

from vacate.client.base import Doc, Say, Watch
from vacate.client.errors import RemoteError, Unreachable
from vacate.client.stream import Follower
from vacate.domain.errors import PlanNotReady
from vacate.domain.jobs import JobOptions, JobStatus
from vacate.ports.auth import AuditQuery

#: Seconds to wait for an answer; a stream's keep-alives come every 15 s.
TIMEOUT_S = 30.0
STREAM_READ_S = 60.0

_ACTIVE = (JobStatus.QUEUED.value, JobStatus.RUNNING.value)


def _seg(text: str) -> str:
    """One path segment, exactly as given (a ``/`` or ``?`` in a name stays part of it)."""
    return quote(text, safe="")


def move_body(options: JobOptions) -> Doc:
    """``JobOptions`` as the API's ``MoveOptions`` body."""
    return {
        "method": options.force_method.value if options.force_method else None,
        "target": options.target,
        "max_parallel": options.max_parallel,
        "max_per_source": options.max_per_source,
        "max_per_destination": options.max_per_destination,
        "policy": dict(options.state_policy),
        "allow_locked": options.allow_locked,
        "cold_fallback": options.allow_cold_fallback,
        "post_copy": options.allow_post_copy,
        "allow_partial": options.allow_partial,
        "allow_skip_running": options.allow_skip_running,
        "fixed_limits": options.fixed_limits,
        "max_downtime_ms": options.max_downtime_ms,
    }


class HttpClient:
    def __init__(
        self,
        url: str,
        *,
        token: str | None = None,
        verify: bool | str = True,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.url = url.rstrip("/")
        self.where = self.url
        headers = {"Accept": "application/json", "User-Agent": "vacate-cli"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        self._http = httpx.Client(
            base_url=self.url,
            headers=headers,
            verify=verify,
            timeout=TIMEOUT_S,
            transport=transport,
        )

    # ------------------------------------------------------------ transport
    def unreachable(self, exc: Exception) -> Unreachable:
        reason = str(exc).strip() or type(exc).__name__
        if isinstance(exc, httpx.TimeoutException):
            reason = f"no answer within {TIMEOUT_S:g} s"
        return Unreachable(f"cannot reach the Vacate server at {self.url}: {reason}")

    def _send(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        body: Doc | None = None,
    ) -> Any:
        try:
            response = self._http.request(
                method,
                path,
                params={k: v for k, v in (params or {}).items() if v is not None},
                json=body,
            )
        except httpx.HTTPError as exc:
            raise self.unreachable(exc) from None
        return self.answer(response)

    def answer(self, response: httpx.Response) -> Any:
        try:
            data = response.json()
        except ValueError:
            data = None
        if response.is_success and data is not None:
            return data
        error = data.get("error") if isinstance(data, dict) else None
        if not isinstance(error, dict) or "message" not in error:
            raise Unreachable(
                f"{self.url} did not answer as a Vacate server "
                f"(HTTP {response.status_code} {response.reason_phrase}, "
                f"{response.headers.get('content-type', 'no content type')})"
            )
        raise RemoteError(
            response.status_code, str(error.get("code", "error")), str(error["message"])
        )

    def _drain(self, host: str, options: JobOptions, path: str, body: Doc) -> Doc:
        """Start a drain; a plan that is not ready is the engine's ``PlanNotReady``."""
        try:
            job: Doc = self._send("POST", path, body=body)
        except RemoteError as exc:
            if exc.code != "not_ready":
                raise
            plan = self.plan(host, options)
            blocked = [
                (i["instance_name"], i["reason"])
                for i in plan["items"]
                if i["verdict"] == "blocked"
            ]
            if not blocked:
                raise
            raise PlanNotReady(plan["host"], blocked) from None
        return job

    # ------------------------------------------------------------ reads
    def hosts(self) -> list[Doc]:
        found: list[Doc] = self._send("GET", "/v1/hosts")
        return found

    def host(self, name: str) -> Doc:
        found: Doc = self._send("GET", f"/v1/hosts/{_seg(name)}")
        return found

    def os_host(self, name: str) -> Doc:
        found: Doc = self._send("GET", f"/v2.1/os-hosts/{_seg(name)}")["host"]
        return found

    def instances(self, host: str | None = None) -> list[Doc]:
        found: list[Doc] = self._send("GET", "/v1/instances", params={"host": host})
        return found

    def instance(self, instance_id: str) -> Doc:
        found: Doc = self._send("GET", f"/v1/instances/{_seg(instance_id)}")
        return found

    def server_groups(self) -> list[Doc]:
        found: list[Doc] = self._send("GET", "/v1/server-groups")
        return found

    def plan(self, host: str, options: JobOptions) -> Doc:
        found: Doc = self._send("POST", f"/v1/hosts/{_seg(host)}/plan", body=move_body(options))
        return found

    # ------------------------------------------------------------ actions
    def enter_maintenance(self, host: str, options: JobOptions) -> Doc:
        body = move_body(options)
        body.update(reason=options.reason, rollback_on_error=options.rollback_on_error)
        return self._drain(host, options, f"/v1/hosts/{_seg(host)}/maintenance", body)

    def exit_maintenance(self, host: str, *, restore: bool = False) -> Doc:
        path = f"/v1/hosts/{_seg(host)}/maintenance"
        found: Doc = self._send("DELETE", path, params={"restore": str(restore).lower()})
        return found

    def migrate_instances(self, host: str, options: JobOptions) -> Doc:
        path = f"/v1/hosts/{_seg(host)}/migrate-instances"
        return self._drain(host, options, path, move_body(options))

    def set_service(self, host: str, *, enabled: bool, reason: str) -> Doc:
        body = {"status": "enabled" if enabled else "disabled", "reason": reason}
        found: Doc = self._send("PUT", f"/v1/hosts/{_seg(host)}/service", body=body)
        return found

    def cancel(self, job_id: str) -> Doc:
        found: Doc = self._send("POST", f"/v1/jobs/{_seg(job_id)}/cancel")
        return found

    def report_down(
        self,
        host: str,
        *,
        fenced: bool,
        evacuate: bool,
        reason: str,
        reserved: Sequence[str],
    ) -> Doc:
        body = {
            "fenced": fenced,
            "evacuate": evacuate,
            "reason": reason,
            "reserved_hosts": list(reserved),
        }
        found: Doc = self._send("POST", f"/v1/hosts/{_seg(host)}/down", body=body)
        return found

    def recover(self, host: str) -> Doc:
        found: Doc = self._send("POST", f"/v1/hosts/{_seg(host)}/recover")
        return found

    # ------------------------------------------------------------ jobs
    def jobs(
        self, *, host: str | None = None, status: JobStatus | None = None, limit: int = 50
    ) -> list[Doc]:
        params = {"host": host, "status": status.value if status else None, "limit": limit}
        found: list[Doc] = self._send("GET", "/v1/jobs", params=params)["items"]
        return found

    def job(self, job_id: str) -> Doc:
        found: Doc = self._send("GET", f"/v1/jobs/{_seg(job_id)}")
        return found

    def events(self, job_id: str) -> list[Doc]:
        found: list[Doc] = self._send("GET", f"/v1/jobs/{_seg(job_id)}/events")
        return found

    def follow(self, job_id: str, *, watch: Watch | None = None, say: Say | None = None) -> Doc:
        job = self.job(job_id)
        if watch is not None:
            watch(job)
        if job["status"] not in _ACTIVE:
            return job
        Follower(self, job["id"], watch).run()
        final = self.job(job["id"])
        if watch is not None:
            watch(final)
        return final

    def stream_lines(self, job_id: str, after: int) -> Any:
        """The open event stream after event ``after`` (a context manager of a response)."""
        headers = {"Accept": "text/event-stream", "Last-Event-ID": str(after)}
        return self._http.stream(
            "GET",
            f"/v1/jobs/{_seg(job_id)}/events",
            headers=headers,
            timeout=httpx.Timeout(TIMEOUT_S, read=STREAM_READ_S),
        )

    # ------------------------------------------------------------ audit
    def audit(self, query: AuditQuery) -> list[Doc]:
        params = {
            "actor": query.actor,
            "action": query.action,
            "host": query.host,
            "job_id": query.job_id,
            "outcome": query.outcome,
            "since": query.since,
            "limit": query.limit,
        }
        found: list[Doc] = self._send("GET", "/v1/audit", params=params)["items"]
        return found
