"""A real ``vacate serve`` in a subprocess, on a free loopback port, against a private
VACATE_HOME — and the ``vacate`` CLI on that same home.

Nothing of the HTTP layer is faked: requests go through a socket to uvicorn. ``VACATE_*``
variables of the calling environment never leak in.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

VACATE = Path(sys.executable).parent / "vacate"
CALL_TIMEOUT_S = 120.0
#: Time a server gets to answer /healthz after starting (imports, migrations, bind).
START_TIMEOUT_S = 30.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class Home:
    """One VACATE_HOME (and optionally a PostgreSQL URL), for the CLI and for servers."""

    def __init__(self, path: Path, *, speed: str = "max", extra: dict[str, str] | None = None):
        self.path = path
        self.speed = speed
        self.extra = dict(extra or {})
        path.mkdir(parents=True, exist_ok=True)

    def env(self, more: dict[str, str] | None = None) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("VACATE_")}
        env.update(VACATE_HOME=str(self.path), VACATE_SIM_SPEED=self.speed)
        env.update(self.extra)
        env.update(more or {})
        return env

    def cli(self, *args: str, check: int | None = 0) -> subprocess.CompletedProcess[str]:
        proc = subprocess.run(
            [str(VACATE), *args],
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=CALL_TIMEOUT_S,
            stdin=subprocess.DEVNULL,
        )
        if check is not None:
            assert proc.returncode == check, (
                f"`vacate {' '.join(args)}` exited {proc.returncode}, expected {check}\n"
                f"--- stdout ---\n{proc.stdout[-3000:]}\n--- stderr ---\n{proc.stderr[-3000:]}"
            )
        return proc

    def cli_json(self, *args: str) -> Any:
        return json.loads(self.cli(*args, "-f", "json").stdout)

    def token(self, name: str, role: str, *extra: str) -> str:
        made = self.cli_json("token", "create", "--role", role, "--name", name, *extra)
        text: str = made["token"]
        return text


class Server:
    """``vacate serve`` as a child process; its log goes to a file the tests can read."""

    def __init__(
        self,
        home: Home,
        *,
        tls: tuple[Path, Path] | None = None,
        args: tuple[str, ...] = (),
        env: dict[str, str] | None = None,
        name: str = "serve",
    ) -> None:
        self.home = home
        self.port = free_port()
        self.tls = tls
        scheme = "https" if tls else "http"
        self.url = f"{scheme}://127.0.0.1:{self.port}"
        self.log_path = home.path / f"{name}-{self.port}.log"
        command = [str(VACATE), "serve", "--bind", f"127.0.0.1:{self.port}", *args]
        if tls:
            command += ["--tls-cert", str(tls[0]), "--tls-key", str(tls[1])]
        with open(self.log_path, "w") as log:
            self.proc = subprocess.Popen(
                command,
                env=home.env(env),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    @property
    def pid(self) -> int:
        return self.proc.pid

    def log(self) -> str:
        return self.log_path.read_text()

    def verify(self) -> ssl.SSLContext | bool:
        """Trust exactly the server's own certificate (HTTPS), or the system's (HTTP)."""
        return ssl.create_default_context(cafile=str(self.tls[0])) if self.tls else True

    def wait_ready(self) -> Server:
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"vacate serve exited {self.proc.returncode}:\n{self.log()}")
            try:
                if httpx.get(f"{self.url}/healthz", verify=self.verify(), timeout=2).is_success:
                    return self
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        raise AssertionError(f"vacate serve did not answer in {START_TIMEOUT_S} s:\n{self.log()}")

    def client(self, token: str | None = None, *, header: str = "bearer") -> httpx.Client:
        headers = {}
        if token is not None:
            headers = (
                {"Authorization": f"Bearer {token}"}
                if header == "bearer"
                else {"X-Auth-Token": token}
            )
        return httpx.Client(base_url=self.url, headers=headers, verify=self.verify(), timeout=30)

    def terminate(self, timeout_s: float = 30.0) -> int:
        """SIGTERM and wait: the graceful stop."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout=timeout_s)

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(timeout=10)


@contextmanager
def running(home: Home, **kwargs: Any) -> Iterator[Server]:
    server = Server(home, **kwargs)
    try:
        yield server.wait_ready()
    finally:
        server.kill()


def wait_for_job(client: httpx.Client, job_id: str, timeout_s: float = 60.0) -> dict[str, Any]:
    """Poll the job until it is no longer queued or running."""
    deadline = time.monotonic() + timeout_s
    while True:
        job: dict[str, Any] = client.get(f"/v1/jobs/{job_id}").raise_for_status().json()
        if job["status"] not in ("queued", "running"):
            return job
        assert time.monotonic() < deadline, f"job {job_id} still {job['status']}"
        time.sleep(0.1)
