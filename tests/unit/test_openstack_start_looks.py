"""How a move's start reads Nova's answer while the conductor is still writing it.

The real proof runs against Nova (tests/openstack/test_openstack_errors.py); this seam replays
the one ordering a real conductor produces only under load: the migration record is marked
``error`` a moment before the action's event carries the NoValidHost reason.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

import pytest

from vacate.clouds.openstack.api import Api, Json
from vacate.clouds.openstack.moves import LOOKS_S, Mover
from vacate.domain.errors import PermanentError
from vacate.domain.model import HostName, InstanceId
from vacate.ports.cloud import MigrationKind

SERVER = InstanceId("srv-1")
CREATED = "2026-12-02T10:00:00.000000"


class ConductorReplay:
    """Answers like Nova's API: one migration record, and the reason from look ``reason_at``."""

    def __init__(self, *, reason: str | None, reason_at: int) -> None:
        self.reason = reason
        self.reason_at = reason_at
        self.looks = 0

    def get(
        self, path: str, *, kind: str, name: str, query: Mapping[str, Any] | None = None
    ) -> Json:
        return self.request("GET", path, kind=kind, name=name, query=query)

    def request(self, method: str, path: str, **_: Any) -> Json:
        if method == "POST":
            return {}
        if path == "/os-migrations":
            self.looks += 1
            if self.looks == 1:  # the look before the action is sent
                return {"migrations": []}
            record = {
                "id": 7,
                "status": "error",
                "migration_type": "migration",
                "created_at": CREATED,
            }
            return {"migrations": [record]}
        if path.endswith("/os-instance-actions"):
            action = {"action": "migrate", "request_id": "req-1", "start_time": CREATED}
            return {"instanceActions": [action]}
        written = self.reason is not None and self.looks - 1 >= self.reason_at
        event = {
            "result": "Error" if written else None,
            "details": self.reason if written else None,
        }
        return {"instanceAction": {"events": [event]}}


def start(nova: ConductorReplay) -> str:
    mover = Mover(cast(Api, nova), sleep=lambda _s: None, wall=lambda: 0.0)
    return mover.start(SERVER, MigrationKind.COLD, HostName("compute-3"))


def test_a_no_valid_host_written_after_the_record_failed_is_still_a_refusal() -> None:
    nova = ConductorReplay(
        reason="No valid host was found. There are not enough hosts", reason_at=3
    )
    with pytest.raises(PermanentError, match="No valid host was found"):
        start(nova)
    assert nova.looks - 1 == 3


def test_another_failure_is_the_migrations_own_once_its_reason_is_written() -> None:
    nova = ConductorReplay(reason="the destination's disk is on fire", reason_at=2)
    assert start(nova) == f"{SERVER}/7"
    assert nova.looks - 1 == 2


def test_a_failure_nova_never_explains_ends_the_looks_with_the_record() -> None:
    nova = ConductorReplay(reason=None, reason_at=0)
    assert start(nova) == f"{SERVER}/7"
    assert nova.looks - 1 == len(LOOKS_S)
