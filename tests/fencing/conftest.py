"""A real Redfish BMC for the fencing tests: sushy-tools' emulator with its fake driver.

Each test starts its own ``sushy-emulator`` on a free loopback port with a fresh state
directory (the fake driver keeps power states across restarts), waits until it answers, and
kills it afterwards. The fake driver applies a power change 1-11 s after it is asked, as a real
BMC takes its time, so tests poll for ``Off``.
"""

from __future__ import annotations

import base64
import json
import os
import signal
import socket
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import bcrypt
import pytest

EMULATOR = Path(sys.executable).with_name("sushy-emulator")
USERNAME = "fence-operator"
PASSWORD = "Corr3ct-h0rse-battery"
#: The tests' own view of an emulator trusts whatever certificate it shows.
_TRUST_ANY = ssl._create_unverified_context()


@dataclass
class Emulator:
    url: str
    process: subprocess.Popen[bytes]
    log: Path

    def access_log(self) -> str:
        return self.log.read_text(errors="replace")

    def power_state(self, uuid: str) -> str:
        """The emulator's own view of a system, read without sushy (with the right password,
        which a BMC without an auth file ignores)."""
        request = urllib.request.Request(f"{self.url}/redfish/v1/Systems/{uuid}")
        token = base64.b64encode(f"{USERNAME}:{PASSWORD}".encode()).decode()
        request.add_header("Authorization", f"Basic {token}")
        with urllib.request.urlopen(request, timeout=5, context=_TRUST_ANY) as answer:
            state: str = json.load(answer)["PowerState"]
        return state

    def freeze(self) -> None:
        os.kill(self.process.pid, signal.SIGSTOP)

    def thaw(self) -> None:
        os.kill(self.process.pid, signal.SIGCONT)


def uuid_of(name: str) -> str:
    return f"{name}-0000-4000-8000-000000000000"


def system(name: str, power_state: str) -> dict[str, object]:
    return {
        "uuid": uuid_of(name),
        "name": name,
        "power_state": power_state,
        "nics": [{"mac": "00:5c:52:31:3a:9c", "ip": "172.22.0.100"}],
    }


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


StartEmulator = Callable[..., Emulator]


@pytest.fixture
def bmc(tmp_path: Path) -> Iterator[StartEmulator]:
    """Start an emulator: ``bmc(systems, auth=False, disable_power_off=False, tls=None)``,
    ``tls`` being a certificate and its key to serve HTTPS with."""
    if not EMULATOR.exists():
        pytest.fail(f"{EMULATOR} is missing: run `make install` (sushy-tools is a dev extra)")
    started: list[Emulator] = []

    def start(
        systems: list[dict[str, object]],
        *,
        auth: bool = False,
        disable_power_off: bool = False,
        tls: tuple[Path, Path] | None = None,
    ) -> Emulator:
        home = tmp_path / f"emulator-{len(started)}"
        (home / "state").mkdir(parents=True)
        port = free_port()
        lines = [
            "SUSHY_EMULATOR_FAKE_DRIVER = True",
            "SUSHY_EMULATOR_LISTEN_IP = '127.0.0.1'",
            f"SUSHY_EMULATOR_LISTEN_PORT = {port}",
            f"SUSHY_EMULATOR_STATE_DIR = {str(home / 'state')!r}",
            f"SUSHY_EMULATOR_FAKE_SYSTEMS = {systems!r}",
            f"SUSHY_EMULATOR_DISABLE_POWER_OFF = {disable_power_off!r}",
        ]
        if auth:
            digest = bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt(rounds=4)).decode()
            (home / "htpasswd").write_text(f"{USERNAME}:{digest}\n")
            lines.append(f"SUSHY_EMULATOR_AUTH_FILE = {str(home / 'htpasswd')!r}")
        if tls is not None:
            lines.append(f"SUSHY_EMULATOR_SSL_CERT = {str(tls[0])!r}")
            lines.append(f"SUSHY_EMULATOR_SSL_KEY = {str(tls[1])!r}")
        config = home / "emulator.conf"
        config.write_text("\n".join(lines) + "\n")
        log = home / "emulator.log"
        with log.open("wb") as out:
            process = subprocess.Popen(
                [str(EMULATOR), "--config", str(config)], stdout=out, stderr=subprocess.STDOUT
            )
        scheme = "https" if tls is not None else "http"
        emulator = Emulator(f"{scheme}://127.0.0.1:{port}", process, log)
        started.append(emulator)
        _wait_until_it_answers(emulator)
        return emulator

    yield start
    for emulator in started:
        emulator.thaw()
        emulator.process.kill()
        emulator.process.wait(timeout=10)


def _wait_until_it_answers(emulator: Emulator) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if emulator.process.poll() is not None:
            pytest.fail(f"sushy-emulator exited at start:\n{emulator.access_log()}")
        try:
            url = f"{emulator.url}/redfish/v1/"
            with urllib.request.urlopen(url, timeout=1, context=_TRUST_ANY):
                return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.1)
    pytest.fail(f"sushy-emulator did not answer within 30 s:\n{emulator.access_log()}")
