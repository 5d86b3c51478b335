"""Host down end to end with a real BMC: the ``vacate`` CLI in subprocesses, the simulated
cloud at full speed, and sushy-tools' emulator as the hosts' Redfish BMCs.

The fencing gate must power the failed host off through its BMC and read back ``Off`` before
anything moves; a host already off counts as fenced with no reset sent; a BMC that refuses or
hangs parks the job in ``awaiting_fence`` with a message a person can act on (and never the
password), a worker keeps retrying it with back-off, and ``--fenced`` lets it go on.
"""

from __future__ import annotations

import json
import subprocess
import time
from collections import Counter
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
    log = emulator.access_log().splitlines()
    resets = [n for n, line in enumerate(log) if RESET in line]
    assert len(resets) == 1 and uuid_of("c01") in log[resets[0]], resets
    read_back = f"GET /redfish/v1/Systems/{uuid_of('c01')} "
    assert any(read_back in line for line in log[resets[0] + 1 :]), "it polled after the reset"
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


def test_a_host_whose_bmc_already_reads_off_is_fenced_without_a_reset(
    cloud: Vacate, bmc: StartEmulator
) -> None:
    emulator = emulate(bmc, c01="Off")
    fence_with(cloud, emulator)
    before = on_c01(cloud)
    cloud("sim", "kill-host", "c01", check=0)

    done = report(cloud, "-f", "json")

    assert done.returncode == 0, describe(done, "host down, its BMC already off")
    job = job_with_events(cloud, json.loads(done.stdout)["id"])
    assert job["status"] == "succeeded", job["message"]
    log = emulator.access_log()
    assert RESET not in log, "a host already off is not reset"
    assert f"GET /redfish/v1/Systems/{uuid_of('c01')}" in log, "its BMC was asked"
    assert emulator.power_state(uuid_of("c01")) == "Off"
    fenced = [e["message"] for e in events_of(job, "host.fenced")]
    assert fenced == ["c01 is fenced: its BMC reads the power off"]
    assert_evacuated_once(cloud, before)


def tries_on(emulator: Emulator) -> int:
    """How many times Vacate asked the BMC about c01 (each try reads the system first)."""
    return emulator.access_log().count(f"GET /redfish/v1/Systems/{uuid_of('c01')} ")


def no_secret_in(home: Path, secret: str, *texts: str) -> None:
    """``secret`` is in none of ``texts`` and in no file Vacate wrote under ``home`` (its
    databases, the worker's log), the password file itself aside."""
    for text in texts:
        assert secret not in text
    for path in home.rglob("*"):
        if path.is_file() and path.name != "bmc-password":
            assert secret.encode() not in path.read_bytes(), f"the password is in {path}"


def waiting_job(vacate: Vacate) -> dict[str, Any]:
    (job,) = vacate.json("job", "list", "-f", "json")
    return job_with_events(vacate, job["id"])


def test_a_bmc_that_refuses_parks_the_job_a_worker_retries_it_and_fenced_lets_it_go_on(
    cloud: Vacate, bmc: StartEmulator
) -> None:
    emulator = emulate(bmc, auth=True)
    wrong = "Wr0ng-but-s3cret-pa55"
    fence_with(cloud, emulator, password=wrong)
    before = on_c01(cloud)
    cloud("sim", "kill-host", "c01", check=0)

    parked = report(cloud)

    assert parked.returncode == 1, describe(parked, "a refused BMC parks the report")
    said = one_line(parked.stdout)
    assert "waits at the fencing gate" in said, said
    assert "credentials refused (401)" in said and emulator.url in said
    assert str(cloud.home / "fencing.toml") in said, "it names the file to fix"
    assert "vacate host down c01 --fenced" in said, "it says how to go on"
    job = waiting_job(cloud)
    assert job["status"] == "running" and job["phase"] == "awaiting_fence"
    assert job["summary"]["evacuated"] == 0
    assert all(
        i["host"] == "c01"
        for i in instances(cloud)
        if i["id"] in {b["id"] for b in before if b["host"] == "c01"}
    ), "nothing moved while the host is not fenced"
    by_cli = tries_on(emulator)
    assert by_cli > 0

    # A worker takes the parked job over and keeps trying the BMC, backing off between tries.
    worker = cloud.popen("worker", "--until-idle")
    try:
        deadline = time.monotonic() + 60
        while tries_on(emulator) < by_cli + 4 and time.monotonic() < deadline:
            assert worker.poll() is None, "the worker left a parked job"
            time.sleep(0.5)
        assert tries_on(emulator) >= by_cli + 4, "the worker does not retry the BMC"

        going = report(cloud, "--fenced", "-f", "json")

        assert going.returncode == 0, describe(going, "--fenced after a refusal")
        assert worker.wait(timeout=60) == 0
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()
    done = job_with_events(cloud, job["id"])
    assert done["status"] == "succeeded", done["message"]
    asserted = events_of(done, "host.fenced")[0]
    assert "asserts c01 is off" in asserted["message"]
    # Back-off, in the cloud's time: the worker's tries, from the report parking to the
    # operator's assertion, came much further apart than the 2 s poll between its ticks.
    by_worker = tries_on(emulator) - by_cli
    span = asserted["at"] - events_of(done, "host.fence-waiting")[-1]["at"]
    assert span / by_worker > 10, f"{by_worker} tries in {span:.0f} s"
    assert emulator.power_state(uuid_of("c01")) == "On", "the refusing BMC never reset it"
    assert_evacuated_once(cloud, before)
    logs = "".join(p.read_text() for p in (cloud.home / "logs").iterdir())
    no_secret_in(
        cloud.home,
        wrong,
        parked.stdout,
        parked.stderr,
        going.stdout,
        going.stderr,
        logs,
        json.dumps(job),
        json.dumps(done),
    )


def test_a_hung_bmc_parks_the_job_with_a_timeout_in_seconds_then_fenced_lets_it_go_on(
    cloud: Vacate, bmc: StartEmulator
) -> None:
    emulator = emulate(bmc)
    fence_with(cloud, emulator, timeout_s=1)
    before = on_c01(cloud)
    cloud("sim", "kill-host", "c01", check=0)
    emulator.freeze()
    try:
        parked = report(cloud, "-f", "json")

        assert parked.returncode == 1, describe(parked, "a hung BMC parks the report")
        job = json.loads(parked.stdout)
        assert job["status"] == "running" and job["phase"] == "awaiting_fence"
        message = job["message"]
        assert "no answer within 1 s" in message and emulator.url in message, message
        assert "vacate host down c01 --fenced" in message
        assert job["summary"]["evacuated"] == 0

        going = report(cloud, "--fenced", "-f", "json")

        assert going.returncode == 0, describe(going, "--fenced with the BMC still hung")
    finally:
        emulator.thaw()
    done = job_with_events(cloud, job["id"])
    assert done["status"] == "succeeded", done["message"]
    waits = [e["message"] for e in events_of(done, "host.fence-waiting")]
    assert any("no answer within 1 s" in m for m in waits), waits
    assert_evacuated_once(cloud, before)
