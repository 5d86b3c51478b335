"""The test session's Nova: started once, in a subprocess, and driven through its API.

``NovaProcess.start`` runs ``nova_server.py`` with the Python of the Nova environment
(``VACATE_NOVA_PYTHON``, which ``make test`` sets; else the cache path ``make nova-env``
builds) and waits for its ``READY <port>`` line. ``Nova`` wraps what the tests do to the cloud
besides Vacate's own calls: boot servers where they must be, change their state, steer the
fake hypervisor (slow or failing live migrations), inject 503s and count requests.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import openstack

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
PINS = ROOT / "constraints" / "openstack.txt"
#: One nova-compute per host; compute-1 beside compute-10 for the exact-name tests,
#: compute-4 for evacuations (its service is restarted afterwards).
HOSTS = ("compute-1", "compute-2", "compute-3", "compute-4", "compute-10")
CLOUD = "vacate-test"
VACATE = Path(sys.executable).parent / "vacate"
MICROVERSION = "2.94"
START_TIMEOUT_S = 180.0


class NovaUnavailable(Exception):
    """The Nova environment is missing or Nova did not start: the message says which."""


def nova_python() -> Path:
    """Where ``make nova-env`` puts the environment for the current pins."""
    given = os.environ.get("VACATE_NOVA_PYTHON")
    if given:
        return Path(given)
    key = hashlib.sha256(PINS.read_bytes()).hexdigest()[:16]
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return cache / "vacate" / f"nova-{key}" / "bin" / "python"


@dataclass
class NovaProcess:
    process: subprocess.Popen[str]
    port: int
    log: Path

    @classmethod
    def start(cls, log: Path, hosts: tuple[str, ...] = HOSTS) -> NovaProcess:
        python = nova_python()
        if not python.exists():
            raise NovaUnavailable(f"no Nova environment at {python}: run `make nova-env`")
        err = log.open("w")
        process = subprocess.Popen(
            [str(python), str(HERE / "nova_server.py"), "--hosts", ",".join(hosts)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=err,
            text=True,
            cwd=str(log.parent),
        )
        line: list[str] = []
        reader = threading.Thread(
            target=lambda: line.append(process.stdout.readline() if process.stdout else ""),
            daemon=True,
        )
        reader.start()
        reader.join(START_TIMEOUT_S)
        if not line or not line[0].startswith("READY "):
            process.kill()
            tail = log.read_text(errors="replace")[-3000:]
            raise NovaUnavailable(f"Nova did not start (log {log}):\n{tail}")
        return cls(process=process, port=int(line[0].split()[1]), log=log)

    def stop(self) -> None:
        if self.process.stdin:
            self.process.stdin.close()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(10)


def clouds_yaml(path: Path, port: int) -> Path:
    base = f"http://127.0.0.1:{port}"
    path.write_text(
        "clouds:\n"
        f"  {CLOUD}:\n"
        "    auth_type: none\n"
        f"    compute_endpoint_override: {base}/v2.1\n"
        f"    placement_endpoint_override: {base}/placement\n"
    )
    return path


def wait_for(what: str, check: Callable[[], Any], timeout: float = 30.0, every: float = 0.2) -> Any:
    """Poll ``check`` until it returns something truthy."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(every)


@dataclass
class Nova:
    """The test's own handle on the cloud (admin, through openstacksdk like an operator)."""

    port: int
    conn: Any = None
    created: list[str] = field(default_factory=list)
    flavors: list[str] = field(default_factory=list)
    info: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        base = f"http://127.0.0.1:{self.port}"
        self.conn = openstack.connect(
            auth_type="none",
            compute_endpoint_override=f"{base}/v2.1",
            placement_endpoint_override=f"{base}/placement",
        )
        self.info = self.control("GET", "/info")

    # ---------------------------------------------------------- control
    def control(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.port}/_vacate{path}",
            data=data,
            method=method,
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=60) as answer:
            return json.loads(answer.read() or b"{}")

    def plan_live_migration(self, server: str, **plan: Any) -> None:
        """seconds=…, converge=False (never ends alone), fail="precheck"|"during", reason=…"""
        self.control("POST", "/migration", {"server": server, **plan})

    def unavailable(self, count: int) -> None:
        self.control("POST", "/unavailable", {"count": count})

    def actions(self, server: str) -> list[dict[str, Any]]:
        """The bodies of every action POSTed for ``server``, oldest first."""
        return [a["body"] for a in self.control("GET", "/actions") if a["server"] == server]

    def requests(self, *, reset: bool = False) -> dict[str, int]:
        return dict(self.control("DELETE" if reset else "GET", "/requests"))

    def restart(self, host: str) -> None:
        """A fresh nova-compute for ``host`` (after ``kill`` too); it keeps the hypervisor's
        guests and, starting, cleans up the servers evacuated from it."""
        self.control("POST", "/restart", {"host": host})

    def kill(self, host: str) -> None:
        """``host``'s nova-compute dies: Nova reports its service ``down``."""
        self.control("POST", "/kill", {"host": host})

    # ------------------------------------------------------------ compute
    def api(
        self, method: str, path: str, body: Any = None, ok: tuple[int, ...] = (200, 202, 204)
    ) -> Any:
        response = self.conn.compute.request(path, method, json=body, microversion=MICROVERSION)
        assert response.status_code in ok, (
            f"{method} {path}: {response.status_code} {response.text}"
        )
        return response.json() if response.content else {}

    def server(self, server_id: str) -> dict[str, Any]:
        return dict(self.api("GET", f"/servers/{server_id}")["server"])

    def boot(
        self,
        name: str,
        host: str,
        *,
        flavor: str = "1",
        group: str | None = None,
        wait: bool = True,
    ) -> str:
        """A server on exactly ``host`` (the admin's ``nova:<host>`` zone bypasses filters)."""
        body: dict[str, Any] = {
            "server": {
                "name": name,
                "imageRef": self.info["image"],
                "flavorRef": flavor,
                "networks": [{"uuid": self.info["network"]}],
                "availability_zone": f"nova:{host}",
            }
        }
        if group is not None:
            body["os:scheduler_hints"] = {"group": group}
        server_id = str(self.api("POST", "/servers", body)["server"]["id"])
        self.created.append(server_id)
        if wait:
            self.wait_status(server_id, "ACTIVE")
        return server_id

    def wait_status(self, server_id: str, status: str, timeout: float = 30.0) -> dict[str, Any]:
        def check() -> dict[str, Any] | None:
            server = self.server(server_id)
            if server["status"] == "ERROR" and status != "ERROR":
                raise AssertionError(f"server {server_id} went to ERROR: {server.get('fault')}")
            idle = server.get("OS-EXT-STS:task_state") is None
            return server if server["status"] == status and idle else None

        return dict(wait_for(f"{server_id} {status}", check, timeout))

    def act(self, server_id: str, action: dict[str, Any]) -> None:
        self.api("POST", f"/servers/{server_id}/action", action)

    def group(self, name: str, policy: str, rules: dict[str, Any] | None = None) -> str:
        body: dict[str, Any] = {"server_group": {"name": name, "policy": policy}}
        if rules:
            body["server_group"]["rules"] = rules
        return str(self.api("POST", "/os-server-groups", body)["server_group"]["id"])

    def migrations_of(self, server_id: str) -> list[dict[str, Any]]:
        found = self.api("GET", f"/os-migrations?instance_uuid={server_id}")["migrations"]
        return sorted(found, key=lambda m: int(m["id"]))

    # ---------------------------------------------------------- placement
    def placement(self, method: str, path: str, body: Any = None) -> Any:
        response = self.conn.placement.request(
            path, method, json=body, microversion="1.39", raise_exc=False
        )
        assert response.status_code < 400, f"{method} {path}: {response.text}"
        return response.json() if response.content else {}

    def provider(self, host: str) -> str:
        """The resource provider (compute node) of ``host``."""
        found = self.api("GET", f"/os-hypervisors?hypervisor_hostname_pattern={host}")
        (hyp,) = [h for h in found["hypervisors"] if h["hypervisor_hostname"] == host]
        return str(hyp["id"])

    def add_trait(self, host: str, trait: str) -> None:
        self.placement("PUT", f"/traits/{trait}")
        rp = self.provider(host)
        now = self.placement("GET", f"/resource_providers/{rp}/traits")
        body = {
            "traits": sorted({*now["traits"], trait}),
            "resource_provider_generation": now["resource_provider_generation"],
        }
        self.placement("PUT", f"/resource_providers/{rp}/traits", body)

    def flavor(self, name: str, extra_specs: dict[str, str]) -> str:
        """A 1-vCPU, 512 MB flavor with ``extra_specs``; deleted by ``cleanup``."""
        body = {"flavor": {"name": name, "vcpus": 1, "ram": 512, "disk": 1}}
        flavor_id = str(self.api("POST", "/flavors", body)["flavor"]["id"])
        self.flavors.append(flavor_id)
        self.api("POST", f"/flavors/{flavor_id}/os-extra_specs", {"extra_specs": extra_specs})
        return flavor_id

    def service_id(self, host: str) -> str:
        services = self.api("GET", f"/os-services?binary=nova-compute&host={host}")["services"]
        return str(services[0]["id"])

    def set_service(self, host: str, **body: Any) -> None:
        self.api("PUT", f"/os-services/{self.service_id(host)}", body)

    def cleanup(self) -> None:
        for server_id in self.created:
            self.api("DELETE", f"/servers/{server_id}", ok=(204, 404))
        self.created.clear()
        for flavor_id in self.flavors:
            self.api("DELETE", f"/flavors/{flavor_id}", ok=(202, 204, 404))
        self.flavors.clear()


@dataclass
class Vacate:
    """The ``vacate`` command line against the session's Nova, as an operator runs it
    (``VACATE_CLOUD=openstack``, ``OS_CLOUD`` from clouds.yaml), with its own home."""

    env: dict[str, str]

    @classmethod
    def for_cloud(cls, clouds_file: Path, home: Path) -> Vacate:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("VACATE_", "OS_"))}
        env.update(
            VACATE_CLOUD="openstack",
            VACATE_HOME=str(home),
            VACATE_POLL_SECONDS="0.5",
            OS_CLIENT_CONFIG_FILE=str(clouds_file),
            OS_CLOUD=CLOUD,
        )
        return cls(env=env)

    def __call__(self, *args: str, check: int = 0, timeout: float = 180.0) -> Any:
        """Run a command with ``-f json``; its answer, parsed."""
        done = subprocess.run(
            [str(VACATE), *args, "-f", "json"],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        assert done.returncode == check, f"{args}: exit {done.returncode}\n{done.stderr}"
        return json.loads(done.stdout) if done.stdout.strip() else None

    def worker(self, *args: str, **env: str) -> subprocess.Popen[str]:
        """``vacate worker`` in the background."""
        return subprocess.Popen(
            [str(VACATE), "worker", *args],
            env={**self.env, **env},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )


def outcomes(job: dict[str, Any]) -> dict[str, tuple[str, str]]:
    """Each task's outcome and reason, by instance name."""
    return {t["instance_name"]: (t["outcome"], t["reason"]) for t in job["tasks"]}


def log_line(message: str) -> None:
    print(message, file=sys.stderr)
