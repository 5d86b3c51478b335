"""``vacate serve`` as an operator runs it: HTTPS with a certificate of its own, JSON logs with
no token in them, a graceful SIGTERM mid-drain whose job the next server resumes, and the
token commands of the CLI."""

from __future__ import annotations

import json
import shutil
import signal
import socket
import ssl
import time
from collections import Counter
from pathlib import Path

import httpx
import pytest

from tlscerts import self_signed

from .conftest import Tokens
from .server import Home, Server, running, wait_for_job

SKIP_HARD = {"suspended": "skip", "error": "skip"}


def test_https_with_a_self_signed_certificate(home: Home, tokens: Tokens, tmp_path: Path) -> None:
    cert, key = self_signed(tmp_path)
    with running(home, tls=(cert, key)) as server:
        assert server.url.startswith("https://")
        with server.client(tokens.reader) as reader:
            assert len(reader.get("/v1/hosts").json()) == 8
        with pytest.raises(httpx.ConnectError):  # an unknown certificate is refused
            httpx.get(f"{server.url}/healthz", verify=ssl.create_default_context())
        with pytest.raises(httpx.TransportError):  # and plain HTTP is not spoken
            httpx.get(server.url.replace("https", "http") + "/healthz")


def test_a_mismatched_certificate_and_key_stop_the_server_with_one_line(
    home: Home, tmp_path: Path
) -> None:
    cert, _ = self_signed(tmp_path)
    (tmp_path / "other").mkdir()
    _, other_key = self_signed(tmp_path / "other")
    proc = home.cli("serve", "--tls-cert", str(cert), "--tls-key", str(other_key), check=5)
    assert "TLS certificate" in proc.stderr


def test_a_port_already_taken_stops_the_server_with_one_line_before_anything_starts(
    home: Home,
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        proc = home.cli("serve", "--bind", f"127.0.0.1:{port}", check=5)
    lines = proc.stderr.strip().splitlines()
    assert f"cannot listen on 127.0.0.1:{port}" in lines[-1], proc.stderr
    assert "worker started" not in proc.stderr and "Traceback" not in proc.stderr


def test_json_logs_and_the_audit_log_never_hold_a_token(home: Home, tokens: Tokens) -> None:
    with running(home, args=("--log-format", "json")) as server:
        for token in tokens.all():
            for header in ("bearer", "x-auth-token"):
                with server.client(token, header=header) as client:
                    client.get("/v1/hosts/c01")
                    client.post("/v1/hosts/c02/plan", json={"policy": SKIP_HARD})
                    client.post("/v1/hosts/nowhere/maintenance", json={"reason": "x"})
                    client.put("/v2.1/os-hosts/nowhere", json={"host": {"status": "disable"}})
                    client.get(f"/v1/jobs/{token}")  # a token where an id belongs
                    client.get("/v1/hosts", params={"az": token})
        with server.client(tokens.admin) as admin:
            job = admin.post("/v1/hosts/c02/maintenance", json={"reason": "r", "policy": SKIP_HARD})
            wait_for_job(admin, job.json()["id"])
            audit = admin.get("/v1/audit", params={"limit": 1000}).text
            answers = admin.get("/v1/jobs").text + admin.get(f"/v1/jobs/{job.json()['id']}").text
        server.terminate()
        log = server.log()
    cli_audit = home.cli("audit", "list", "--limit", "1000", "-f", "json").stdout
    tokens_list = home.cli("token", "list", "-f", "json").stdout
    for text in (log, audit, answers, cli_audit, tokens_list):
        for token in tokens.all():
            assert token not in text
            assert token.split(".")[1] not in text  # not even the secret half
    lines = [line for line in log.splitlines() if line.strip()]
    records = [json.loads(line) for line in lines]  # every line is one JSON object
    access = [r for r in records if r["logger"] == "vacate.api.access"]
    assert len(access) >= 8 * 6
    assert {"route", "status", "ms", "actor", "address"} <= access[0].keys()
    assert any(r["logger"] == "vacate.worker" and "succeeded" in r["message"] for r in records)
    assert len(json.loads(cli_audit)) >= 8 * 4


def test_sigterm_mid_drain_hands_the_job_back_and_the_next_server_finishes_it(
    tmp_path: Path, template: tuple[Path, Tokens], tokens: Tokens
) -> None:
    shutil.copytree(template[0], tmp_path / "home")
    # Leases far longer than the test: only a released lease lets the next server in at once.
    home = Home(
        tmp_path / "home",
        speed="4",
        extra={"VACATE_LEASE_SECONDS": "300", "VACATE_POLL_SECONDS": "1"},
    )
    first = Server(home, name="first").wait_ready()
    try:
        with first.client(tokens.admin) as admin:
            job_id = admin.post(
                "/v1/hosts/c04/maintenance", json={"reason": "term", "policy": SKIP_HARD}
            ).json()["id"]
            wait_until_moving(admin, job_id)
        # uvicorn ends by re-raising the signal, as the default handler would have.
        assert first.terminate(timeout_s=20) in (0, -signal.SIGTERM)
    finally:
        first.kill()
    assert "stopping: no new job is claimed" in first.log()
    assert f"job {job_id} handed back" in first.log()
    stopped = home.cli_json("job", "show", job_id)
    assert stopped["status"] == "running"
    assert stopped["owner"] is None  # handed back, not left to expire

    with running(home, name="second") as second, second.client(tokens.admin) as admin:
        done = wait_for_job(admin, job_id, timeout_s=90)
        events = admin.get(f"/v1/jobs/{job_id}/events").json()
    assert done["status"] == "succeeded", done["message"]
    assert [e["seq"] for e in events] == list(range(1, len(events) + 1))
    moved = Counter(e["instance_id"] for e in events if e["kind"] == "task.moved")
    assert moved and max(moved.values()) == 1
    assert sum(1 for t in done["tasks"] if t["outcome"] == "moved") == len(moved)
    assert [e["kind"] for e in events].count("job.started") == 1


def wait_until_moving(client: httpx.Client, job_id: str) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        kinds = [e["kind"] for e in client.get(f"/v1/jobs/{job_id}/events").json()]
        if "task.started" in kinds:
            assert "job.succeeded" not in kinds
            return
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} never started moving")


def test_tokens_on_the_command_line(home: Home) -> None:
    made = home.cli("token", "create", "--role", "reader", "--name", "dash", "--expires", "2h")
    token = made.stdout.strip()
    assert token.startswith("vct_") and "shown this once" in made.stderr
    listed = home.cli_json("token", "list")
    dash = next(t for t in listed if t["name"] == "dash")
    assert dash["role"] == "reader" and dash["state"] == "active"
    assert 7100 < dash["expires_at"] - dash["created_at"] < 7300
    assert {t["name"]: t["state"] for t in listed}["ops-revoked"] == "revoked"
    assert home.cli("token", "create", "--role", "admin", "--name", "dash", check=4)
    assert (
        "never reused"
        in home.cli("token", "create", "--role", "admin", "--name", "dash", check=4).stderr
    )
    assert home.cli(
        "token", "create", "--role", "admin", "--name", "x", "--expires", "soon", check=2
    )
    assert home.cli("token", "revoke", "nobody", check=3)
    home.cli("token", "revoke", "dash")
    assert {t["name"]: t["state"] for t in home.cli_json("token", "list")}["dash"] == "revoked"
    actions = [
        e["action"] for e in home.cli_json("audit", "list", "--actor", listed[0]["created_by"])
    ]
    assert actions[:2] == ["token.revoke", "token.create"]
    assert token not in home.cli("audit", "list").stdout
