"""Starting and stopping servers (``os-start`` / ``os-stop``), idempotently.

Nova answers 409 to a start of a server that already runs (and a stop of one already off);
a retried call must not fail on that, so such a refusal is checked against the server's state
and ignored when the server is already where it was asked to be. Nova has no call that sets a
server's ``vm_state`` without a hypervisor: a server on a failed host is not "marked" stopped;
once its compute service is forced down it reports ``host_status: DOWN`` (2.16+), and that is
what Vacate shows.
"""

from __future__ import annotations

from vacate.clouds.openstack.api import Api
from vacate.domain.errors import Conflict
from vacate.domain.model import InstanceId

_ACTIONS = {"os-start": "ACTIVE", "os-stop": "SHUTOFF"}


class Power:
    def __init__(self, api: Api) -> None:
        self._api = api

    def _act(self, server_id: InstanceId, action: str) -> None:
        try:
            self._api.request(
                "POST",
                f"/servers/{server_id}/action",
                kind="instance",
                name=server_id,
                body={action: None},
            )
        except Conflict:
            server = self._api.get(f"/servers/{server_id}", kind="instance", name=server_id)
            data = server.get("server") or {}
            if data.get("status") == _ACTIONS[action] and not data.get("OS-EXT-STS:task_state"):
                return  # already there: a retried call
            raise

    def start(self, server_id: InstanceId) -> None:
        self._act(server_id, "os-start")

    def stop(self, server_id: InstanceId) -> None:
        self._act(server_id, "os-stop")
