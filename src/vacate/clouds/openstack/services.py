"""Compute services, always found by their exact host name.

Nova's ``host`` filter on ``/os-services`` is an exact match, and the answer is checked again
here: ``compute-1`` must never act on ``compute-10``. Changes use the 2.53 forms, by the
service's id: ``PUT /os-services/{id}`` with ``status``/``disabled_reason`` or ``forced_down``.
"""

from __future__ import annotations

from dataclasses import dataclass

from vacate.clouds.openstack.api import Api, Json
from vacate.domain.errors import Conflict, NotFound, PermanentError
from vacate.domain.model import HostName, ServiceState, ServiceStatus

BINARY = "nova-compute"
#: Nova's refusal to force a host up before its compute has cleaned up evacuated servers.
_EVACUATED = "evacuation migration records remain"


@dataclass(frozen=True, kw_only=True)
class Service:
    id: str
    host: HostName
    zone: str
    status: ServiceStatus
    state: ServiceState
    disabled_reason: str | None
    forced_down: bool


def parse(data: Json) -> Service:
    return Service(
        id=str(data["id"]),
        host=HostName(str(data["host"])),
        zone=str(data.get("zone") or "nova"),
        status=ServiceStatus(data.get("status", "enabled")),
        state=ServiceState(data.get("state", "down")),
        disabled_reason=data.get("disabled_reason") or None,
        forced_down=bool(data.get("forced_down", False)),
    )


class Services:
    def __init__(self, api: Api) -> None:
        self._api = api

    def list(self) -> list[Service]:
        """Every compute service: one call."""
        data = self._api.get("/os-services", kind="services", name=BINARY, query={"binary": BINARY})
        return [parse(s) for s in data.get("services", []) if s.get("binary") == BINARY]

    def find(self, host: str) -> Service:
        """The compute service of exactly ``host``."""
        data = self._api.get(
            "/os-services", kind="host", name=host, query={"binary": BINARY, "host": host}
        )
        found = [
            parse(s)
            for s in data.get("services", [])
            if s.get("host") == host and s.get("binary") == BINARY
        ]
        if not found:
            raise NotFound("host", host)
        if len(found) > 1:
            raise PermanentError(f"host {host!r} has {len(found)} compute services; expected one")
        return found[0]

    def _update(self, host: str, body: Json) -> Service:
        service = self.find(host)
        data = self._api.request(
            "PUT", f"/os-services/{service.id}", kind="host", name=host, body=body
        )
        return parse(data["service"]) if "service" in data else service

    def disable(self, host: str, reason: str) -> Service:
        return self._update(host, {"status": "disabled", "disabled_reason": reason[:255]})

    def enable(self, host: str) -> Service:
        return self._update(host, {"status": "enabled"})

    def force_down(self, host: str, down: bool) -> Service:
        """Force the service down (or up again). Nova refuses to un-force a host that has
        evacuations recorded ``done`` against it: only its compute service, restarting, cleans
        up the evacuated servers there (the guard against running them twice)."""
        try:
            return self._update(host, {"forced_down": down})
        except PermanentError as exc:
            if down or _EVACUATED not in str(exc):
                raise
            raise Conflict(
                f"Nova will not un-force {host} yet: evacuations from it are still recorded "
                "`done`; restart its nova-compute (which removes the evacuated servers from "
                "the host), then try again"
            ) from exc
