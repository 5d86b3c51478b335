"""Host down end to end with a real BMC: the ``vacate`` CLI in subprocesses, the simulated
cloud at full speed, and sushy-tools' emulator as the hosts' Redfish BMCs.

The fencing gate must power the failed host off through its BMC and read back ``Off`` before
anything moves; a host already off counts as fenced with no reset sent; a BMC that refuses or
hangs parks the job in ``awaiting_fence`` with a message a person can act on (and never the
password), a worker keeps retrying it with back-off, and ``--fenced`` lets it go on.
"""

from __future__ import annotations

import json
import re
import subprocess
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from e2e.conftest import VACATE, Vacate, by_name, describe, one_line

from .conftest import PASSWORD, USERNAME, Emulator, StartEmulator, system, uuid_of

pytestmark = pytest.mark.slow

HOSTS = ("c01", "c02", "c03", "c04")
#: The fake driver applies a reset 1-11 s after it is asked; the gate polls until then.
RESET = "ComputerSystem.Reset"
#: A report that does not end (or park) within this has hung: sushy's defaults against a
#: hung BMC would keep one call busy for ten minutes.
REPORT_BOUND_S = 60.0


@pytest.fixture
def cloud(tmp_path: Path) -> Vacate:
    """A fresh VACATE_HOME with a simulated cloud of four hosts, c01 holding six instances."""
    vacate = Vacate(tmp_path / "home")
    vacate.home.mkdir()
    vacate("sim", "init", "--hosts", "4", "--instances", "12", "--seed", "1", check=0)
    return vacate


def fence_with(
    vacate: Vacate,
    emulator: Emulator,
    *,
    password: str = PASSWORD,
    timeout_s: int = 5,
) -> None:
    """``$VACATE_HOME/fencing.toml``: one ``[[bmc]]`` per sim host, on the emulator's system
    of the same name (by its UUID, as a real BMC's system id is rarely the host's name)."""
    secret = vacate.home / "bmc-password"
    secret.write_text(password + "\n")
    secret.chmod(0o600)
    entries = "".join(
        f'[[bmc]]\nhost = "{h}"\naddress = "{emulator.url}"\nsystem = "{uuid_of(h)}"\n'
        for h in HOSTS
    )
    (vacate.home / "fencing.toml").write_text(
        "[defaults]\n"
        f'username = "{USERNAME}"\n'
        'password_file = "bmc-password"\n'
        f"connect_timeout = {timeout_s}\n"
        f"read_timeout = {timeout_s}\n"
        "attempts = 1\n" + entries
    )


def emulate(bmc: StartEmulator, c01: str = "On", **options: Any) -> Emulator:
    return bmc([system(h, c01 if h == "c01" else "On") for h in HOSTS], **options)


def instances(vacate: Vacate) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = vacate.json("instance", "list", "-f", "json")
    return found


def job_with_events(vacate: Vacate, job_id: str) -> dict[str, Any]:
    found: dict[str, Any] = vacate.json("job", "show", job_id, "--events", "-f", "json")
    return found


def events_of(job: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [e for e in job["events"] if e["kind"] == kind]


def report(vacate: Vacate, *args: str) -> subprocess.CompletedProcess[str]:
    """``vacate host down c01 ARGS``, failing the test if it neither ends nor parks in time."""
    return subprocess.run(
        [str(VACATE), "host", "down", "c01", *args],
        env=vacate.env(),
        capture_output=True,
        text=True,
        timeout=REPORT_BOUND_S,
        stdin=subprocess.DEVNULL,
    )


def assert_evacuated_once(vacate: Vacate, before: list[dict[str, Any]]) -> None:
    """Every instance that was there still exists, exactly once, and none is left on c01."""
    after = instances(vacate)
    counts = Counter(i["id"] for i in after)
    assert counts == Counter(i["id"] for i in before), "an instance was lost or duplicated"
    left = [i["name"] for i in after if i["host"] == "c01"]
    assert not left, f"left on the failed host: {left}"
    assert {i["host"] for i in after} <= set(HOSTS) - {"c01"}


def on_c01(vacate: Vacate) -> list[dict[str, Any]]:
    before = instances(vacate)
    assert sum(i["host"] == "c01" for i in before) >= 5, "the cloud gives c01 something to move"
    return before


def test_a_failed_host_is_powered_off_through_its_bmc_then_every_instance_is_evacuated(
    cloud: Vacate, bmc: StartEmulator
) -> None:
    emulator = emulate(bmc)
    fence_with(cloud, emulator)
    before = on_c01(cloud)
    cloud("sim", "kill-host", "c01", check=0)

    done = report(cloud, "-f", "json")

    assert done.returncode == 0, describe(done, "host down with a BMC")
    job = job_with_events(cloud, json.loads(done.stdout)["id"])
    assert job["status"] == "succeeded", job["message"]
    assert emulator.power_state(uuid_of("c01")) == "Off"
    assert emulator.power_state(uuid_of("c02")) == "On", "only the failed host is fenced"
    resets = [line for line in emulator.access_log().splitlines() if RESET in line]
    assert len(resets) == 1 and uuid_of("c01") in resets[0], resets
    fenced = events_of(job, "host.fenced")
    assert [e["message"] for e in fenced] == ["c01 is fenced: its BMC reads the power off"]
    waiting = [e["message"] for e in events_of(job, "host.fence-waiting")]
    assert any("powering c01 off through its BMC" in m for m in waiting), waiting
    # Nothing moved before the BMC read off: the first evacuation comes after the fence.
    moves = [e["seq"] for e in events_of(job, "task.moved")]
    assert len(moves) == len([i for i in before if i["host"] == "c01"])
    assert min(moves) > fenced[0]["seq"]
    assert_evacuated_once(cloud, before)
    assert by_name(cloud.json("host", "list", "-f", "json"))["c01"]["maintenance_state"] == "down"
