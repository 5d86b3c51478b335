"""The ``os-hosts`` compatibility call with the bodies of the design document, sent as a Nova
client sends them: plain httpx, ``X-Auth-Token``, a tenant in the path."""

from __future__ import annotations

import time

import httpx
import pytest

from .conftest import Tokens
from .server import Server


@pytest.fixture
def nova(server: Server, tokens: Tokens) -> httpx.Client:
    return httpx.Client(
        base_url=f"{server.url}/v2.1/65c5d5b7e3bd44308e67fc50f362aee6",
        headers={"X-Auth-Token": tokens.admin},
        timeout=30,
    )


def settle(client: httpx.Client, host: str, mode: str, timeout_s: float = 60) -> dict[str, str]:
    deadline = time.monotonic() + timeout_s
    while True:
        answer: dict[str, str] = client.get(f"/os-hosts/{host}").json()["host"]
        if answer["maintenance_mode"] == mode:
            return answer
        assert answer["maintenance_mode"] != "error", answer
        assert time.monotonic() < deadline, answer
        time.sleep(0.1)


def test_the_documents_request_for_a_host_still_up_is_refused_and_changes_nothing(
    nova: httpx.Client,
) -> None:
    """The design document's body (its commas restored): c01's service still reports up, so
    evacuating it could run its instances twice (tests/api/test_host_down.py reports a dead
    host with the same body)."""
    body = {
        "host": {"status": "enable", "maintenance_mode": "enable", "host_down_reported": "true"}
    }
    answer = nova.put("/os-hosts/c01", json=body)
    assert answer.status_code == 409, answer.text
    assert answer.json()["error"]["code"] == "conflict"
    assert "twice" in answer.json()["error"]["message"]
    assert nova.put("/os-hosts/c01", json={"host": {"host_down_reported": True}}).status_code == 409
    assert nova.get("/os-hosts/c01").json()["host"]["maintenance_mode"] == "off_maintenance"


def test_disable_and_enter_maintenance_then_leave_it(nova: httpx.Client) -> None:
    """c04's instances can all move under the default policy (c03 has a suspended one)."""
    answer = nova.put(
        "/os-hosts/c04", json={"host": {"status": "disable", "maintenance_mode": "enable"}}
    )
    assert answer.status_code == 200, answer.text
    assert answer.json() == {
        "host": {"host": "c04", "status": "disabled", "maintenance_mode": "entering"}
    }
    assert settle(nova, "c04", "on_maintenance")["status"] == "disabled"
    listed = {h["host"]: h for h in nova.get("/os-hosts").json()["hosts"]}
    assert listed["c04"]["maintenance_mode"] == "on_maintenance"
    assert listed["c01"] == {
        "host": "c01",
        "status": "enabled",
        "maintenance_mode": "off_maintenance",
    }

    back = nova.put(
        "/os-hosts/c04",
        json={"host": {"maintenance_mode": "disable", "host_down_reported": "false"}},
    )
    assert back.status_code == 200, back.text
    assert back.json()["host"]["maintenance_mode"] == "exiting"
    assert settle(nova, "c04", "off_maintenance")["status"] == "enabled"


def test_status_alone_runs_to_its_end_and_true_is_as_good_as_enable(nova: httpx.Client) -> None:
    off = nova.put("/os-hosts/c05", json={"host": {"status": "disable"}})
    assert off.json() == {
        "host": {"host": "c05", "status": "disabled", "maintenance_mode": "off_maintenance"}
    }
    on = nova.put("/os-hosts/c05", json={"host": {"status": "true"}})
    assert on.json()["host"]["status"] == "enabled"
    off = nova.put("/os-hosts/c05", json={"host": {"status": False}})
    assert off.json()["host"]["status"] == "disabled"
    on = nova.put("/os-hosts/c05", json={"host": {"status": True}})
    assert on.json()["host"]["status"] == "enabled"


def test_without_a_tenant_and_with_errors_in_the_one_shape(server: Server, tokens: Tokens) -> None:
    with server.client(tokens.admin, header="x-auth-token") as admin:
        assert admin.get("/v2.1/os-hosts/c02").json()["host"]["host"] == "c02"
        missing = admin.put("/v2.1/os-hosts/c99", json={"host": {"status": "disable"}})
        assert missing.status_code == 404
        assert missing.json()["error"]["message"] == "host 'c99' not found"
        empty = admin.put("/v2.1/os-hosts/c02", json={"host": {}})
        assert empty.status_code == 422
        wrong = admin.put("/v2.1/os-hosts/c02", json={"host": {"status": "maybe"}})
        assert wrong.status_code == 422 and wrong.json()["error"]["message"].startswith(
            "host.status"
        )
    with server.client(tokens.reader, header="x-auth-token") as reader:
        refused = reader.put("/v2.1/os-hosts/c02", json={"host": {"status": "disable"}})
        assert refused.status_code == 403
    assert httpx.get(f"{server.url}/v2.1/os-hosts").status_code == 401
