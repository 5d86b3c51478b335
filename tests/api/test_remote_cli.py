"""The CLI against a server (``--url``, ``VACATE_TOKEN``): the same tables, the same JSON and
the same exit codes as on the server's own machine.

One ``vacate serve`` runs on a copy of the API tests' cloud; each command is run twice on that
one database — in-process, and through the server — and the two runs' stdout and exit codes
(and, for errors, stderr) must be equal.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .conftest import Tokens
from .server import VACATE, Home, Server, free_port, running

pytestmark = pytest.mark.slow

SKIP_HARD = ("--policy", "error=skip", "--policy", "suspended=skip")


class Twin:
    """The CLI on one home, run locally or through the server."""

    def __init__(self, home: Home, server: Server, token: str) -> None:
        self.home = home
        self.server = server
        self.token = token

    def run(
        self, *args: str, remote: bool, token: str | None = None, url: str | None = None
    ) -> subprocess.CompletedProcess[str]:
        env = self.home.env()
        prefix: list[str] = []
        if remote:
            prefix = ["--url", url or self.server.url]
            env["VACATE_TOKEN"] = token if token is not None else self.token
        return subprocess.run(
            [str(VACATE), *prefix, *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            stdin=subprocess.DEVNULL,
        )

    def local(self, *args: str) -> subprocess.CompletedProcess[str]:
        return self.run(*args, remote=False)

    def remote(self, *args: str, **kwargs: Any) -> subprocess.CompletedProcess[str]:
        return self.run(*args, remote=True, **kwargs)

    def both(self, *args: str) -> tuple[subprocess.CompletedProcess[str], ...]:
        return self.local(*args), self.remote(*args)


def show(proc: subprocess.CompletedProcess[str]) -> str:
    return (
        f"`{' '.join(proc.args[1:])}` exited {proc.returncode}\n--- stdout ---\n"
        f"{proc.stdout[-3000:]}\n--- stderr ---\n{proc.stderr[-3000:]}"
    )


def assert_same(
    local: subprocess.CompletedProcess[str],
    remote: subprocess.CompletedProcess[str],
    *,
    stderr: bool = False,
) -> None:
    assert (local.returncode, local.stdout) == (remote.returncode, remote.stdout), (
        f"local and remote differ\n{show(local)}\n{show(remote)}"
    )
    if stderr:
        assert local.stderr == remote.stderr, f"stderr differs\n{show(local)}\n{show(remote)}"


@pytest.fixture(scope="module")
def twin(template: tuple[Path, Tokens], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Twin]:
    path = tmp_path_factory.mktemp("remote-cli") / "home"
    shutil.copytree(template[0], path)
    home = Home(path)
    with running(home) as server:
        yield Twin(home, server, template[1].admin)


@pytest.fixture(scope="module")
def drained(twin: Twin) -> dict[str, Any]:
    """c05 put into maintenance through the server, to its end (the job document)."""
    proc = twin.remote("host", "maintenance", "enable", "c05", "--reason", "disk", *SKIP_HARD)
    assert proc.returncode == 0, show(proc)
    job = twin.remote("job", "list", "--host", "c05", "-f", "json")
    assert job.returncode == 0, show(job)
    latest: dict[str, Any] = json.loads(job.stdout)[0]
    return latest


READS = [
    ("host", "list"),
    ("host", "show", "c05"),
    ("instance", "list", "--host", "c02"),
    ("instance", "show", "inst-00001"),
    ("plan", "c03"),
    ("plan", "c03", *SKIP_HARD),
    ("job", "list"),
    ("audit", "list", "--action", "token.create"),
]


@pytest.mark.parametrize("fmt", ["table", "json"])
@pytest.mark.parametrize("command", READS, ids=" ".join)
def test_a_read_prints_the_same_locally_and_through_the_server(
    twin: Twin, drained: dict[str, Any], command: tuple[str, ...], fmt: str
) -> None:
    local, remote = twin.both(*command, "-f", fmt)
    assert local.stdout.strip(), show(local)
    assert_same(local, remote)


@pytest.mark.parametrize("fmt", ["table", "json"])
def test_a_job_shows_the_same_with_its_tasks_summary_and_events(
    twin: Twin, drained: dict[str, Any], fmt: str
) -> None:
    local, remote = twin.both("job", "show", drained["id"], "--events", "-f", fmt)
    assert_same(local, remote)
    if fmt == "json":
        shown = json.loads(remote.stdout)
        assert shown["status"] == "succeeded"
        assert shown["summary"]["moved"] == len(
            [t for t in shown["tasks"] if t["outcome"] == "moved"]
        )
        assert shown["events"][-1]["kind"] == "job.succeeded"


def test_a_job_started_through_the_server_is_run_by_the_server_for_the_token(
    twin: Twin, drained: dict[str, Any]
) -> None:
    assert drained["status"] == "succeeded"
    assert drained["created_by"] == "ops-admin"  # the token's name, not the local user
    shown = twin.remote("job", "show", drained["id"], "--events", "-f", "json")
    started = [e for e in json.loads(shown.stdout)["events"] if e["kind"] == "job.started"]
    assert started and started[0]["message"].endswith("/worker"), started  # the server's worker


ERRORS = [
    (("host", "show", "no-such-host"), 3),
    (("host", "maintenance", "enable", "c05", "--reason", "again"), 4),  # c05: in maintenance
    (("host", "maintenance", "enable", "c03", "--reason", "x"), 1),  # its plan is blocked
    (("host", "migrate-instances", "c04", "--target", "c04"), 2),
    (("host-update", "c05", "--status", "enable"), 4),
    (("job", "show", "0123456789ab"), 3),
    (("job", "cancel", "0123456789ab"), 3),
    (("instance", "list", "--host", "c0"), 3),  # exact names: no prefix matching
]


@pytest.mark.parametrize("fmt", ["table", "json"])
@pytest.mark.parametrize(
    ("command", "code"), ERRORS, ids=lambda v: " ".join(v) if isinstance(v, tuple) else str(v)
)
def test_an_error_exits_with_the_same_code_and_words_locally_and_through_the_server(
    twin: Twin, drained: dict[str, Any], command: tuple[str, ...], code: int, fmt: str
) -> None:
    args = command if command[0] == "host-update" else (*command, "-f", fmt)
    local, remote = twin.both(*args)
    assert local.returncode == code, show(local)
    assert_same(local, remote, stderr=True)
    assert len(remote.stderr.strip().splitlines()) >= 1
    if fmt == "json" and command[0] != "host-update":
        error = json.loads(remote.stdout)["error"]
        assert error["code"] and error["message"] in " ".join(remote.stderr.split())


def test_job_watch_follows_the_servers_event_stream_to_the_jobs_end(
    template: tuple[Path, Tokens], tmp_path: Path
) -> None:
    """A server that runs no jobs itself: the job stays queued until a worker is started, after
    ``job watch`` began following it — so the watch must follow it to its end."""
    shutil.copytree(template[0], tmp_path / "home")
    home = Home(tmp_path / "home")
    with running(home, args=("--no-worker",)) as server:
        twin = Twin(home, server, template[1].admin)
        queued = twin.remote(
            "host", "migrate-instances", "c06", "--no-wait", *SKIP_HARD, "-f", "json"
        )
        assert queued.returncode == 0, show(queued)
        job_id = json.loads(queued.stdout)["id"]
        env = home.env({"VACATE_TOKEN": twin.token})
        watch = subprocess.Popen(
            [str(VACATE), "--url", server.url, "job", "watch", job_id, "-f", "json"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            time.sleep(3.0)  # not a timing assertion: only lets the watch start first
            assert watch.poll() is None, "job watch ended while the job was still queued"
            home.cli("worker", "--until-idle")
            out, errors = watch.communicate(timeout=120)
        finally:
            if watch.poll() is None:
                watch.kill()
        assert watch.returncode == 0, errors
        assert json.loads(out)["status"] == "succeeded"
        assert twin.local("job", "show", job_id, "-f", "json").stdout == out
        with server.client(twin.token) as http:
            metrics = http.get("/metrics").text
    streamed = [
        line
        for line in metrics.splitlines()
        if line.startswith("vacate_api_requests_total")
        and 'route="/v1/jobs/{job_id}/events"' in line
        and 'code="200"' in line
    ]
    assert streamed, "job watch did not follow the event stream"


def test_a_missing_token_is_refused_with_exit_6_and_says_what_to_set(twin: Twin) -> None:
    proc = twin.remote("host", "list", token="")
    assert proc.returncode == 6, show(proc)
    assert "VACATE_TOKEN" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1


def test_a_reader_token_reads_but_cannot_act(twin: Twin, tokens: Tokens) -> None:
    assert twin.remote("host", "list", token=tokens.reader).returncode == 0
    proc = twin.remote("job", "cancel", "0123456789ab", "-f", "json", token=tokens.reader)
    assert proc.returncode == 6, show(proc)
    assert json.loads(proc.stdout)["error"]["code"] == "forbidden"
    assert "admin" in proc.stderr


def test_a_revoked_token_is_refused_and_never_printed(twin: Twin, tokens: Tokens) -> None:
    proc = twin.remote("host", "list", "-f", "json", token=tokens.revoked)
    assert proc.returncode == 6, show(proc)
    assert tokens.revoked not in proc.stdout + proc.stderr


def test_a_server_that_does_not_answer_is_one_line_naming_its_url_and_exit_5(twin: Twin) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    proc = twin.remote("host", "list", url=url)
    assert proc.returncode == 5, show(proc)
    assert url in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
    assert "Traceback" not in proc.stderr


@pytest.mark.parametrize(
    "command",
    [("sim", "boot", "--flavor", "m1.small"), ("token", "list"), ("worker", "--until-idle")],
    ids=" ".join,
)
def test_a_local_only_command_refuses_a_server_and_says_so(
    twin: Twin, command: tuple[str, ...]
) -> None:
    proc = twin.remote(*command)
    assert proc.returncode == 2, show(proc)
    assert "no remote mode" in proc.stderr and twin.server.url in proc.stderr
