"""The Redfish fencer against a real BMC emulator: off, already off, refused, failing, hung."""

from __future__ import annotations

import logging
import time
from pathlib import Path

import pytest

from tlscerts import self_signed
from vacate.config import load_settings
from vacate.fencing import open_fencer
from vacate.ports.fence import FenceError, FenceFailure, Fencer, PowerState

from .conftest import (
    PASSWORD,
    USERNAME,
    Emulator,
    StartEmulator,
    free_port,
    system,
    uuid_of,
)

pytestmark = pytest.mark.slow

#: The fake driver applies a change 1-11 s after the request.
OFF_DEADLINE_S = 30


def fencer_for(tmp_path: Path, address: str, extra: str = "", password: str = PASSWORD) -> Fencer:
    secret = tmp_path / "bmc-password"
    secret.write_text(password + "\n")
    secret.chmod(0o600)
    (tmp_path / "fencing.toml").write_text(
        "[defaults]\n"
        f'username = "{USERNAME}"\n'
        'password_file = "bmc-password"\n'
        "connect_timeout = 2\n"
        "read_timeout = 2\n"
        "[[bmc]]\n"
        'pattern = "c0*"\n'
        f'address = "{address}"\n'
        'system = "{host}"\n' + extra
    )
    return open_fencer(load_settings({"VACATE_HOME": str(tmp_path)}), env={})


def wait_until_off(fencer: Fencer, host: str) -> PowerState:
    deadline = time.monotonic() + OFF_DEADLINE_S
    state = fencer.power_state(host)
    while state is not PowerState.OFF and time.monotonic() < deadline:
        time.sleep(0.5)
        state = fencer.power_state(host)
    return state


def failure_of(call: object) -> FenceError:
    assert callable(call)
    with pytest.raises(FenceError) as caught:
        call()
    return caught.value


def test_a_running_host_is_forced_off_and_reads_back_off(
    tmp_path: Path, bmc: StartEmulator
) -> None:
    emulator = bmc([system("c01", "On"), system("c02", "On")])
    fencer = fencer_for(tmp_path, emulator.url)
    assert fencer.power_state("c01") is PowerState.ON

    fencer.power_off("c01")

    assert wait_until_off(fencer, "c01") is PowerState.OFF
    assert emulator.power_state(uuid_of("c01")) == "Off"
    assert fencer.power_state("c02") is PowerState.ON, "only the named host is fenced"


def test_a_host_already_off_is_fenced_without_a_reset(tmp_path: Path, bmc: StartEmulator) -> None:
    emulator = bmc([system("c01", "On"), system("c02", "Off")])
    fencer = fencer_for(tmp_path, emulator.url)

    fencer.power_off("c02")
    fencer.power_off("c02")

    assert fencer.power_state("c02") is PowerState.OFF
    assert "ComputerSystem.Reset" not in emulator.access_log()
    assert "GET /redfish/v1/Systems/c02" in emulator.access_log()


def test_refused_credentials_are_reported_without_the_password(
    tmp_path: Path, bmc: StartEmulator, caplog: pytest.LogCaptureFixture
) -> None:
    emulator = bmc([system("c01", "On")], auth=True)
    wrong = "Wr0ng-but-secret-pass"
    caplog.set_level(logging.DEBUG)
    fencer = fencer_for(tmp_path, emulator.url, password=wrong)

    error = failure_of(lambda: fencer.power_off("c01"))

    assert error.failure is FenceFailure.REFUSED
    assert "c01" in str(error) and emulator.url in str(error) and "401" in str(error)
    assert "--fenced" in str(error) and str(tmp_path / "fencing.toml") in str(error)
    assert wrong not in str(error) and wrong not in repr(error)
    assert wrong not in caplog.text and wrong not in repr(fencer)
    assert emulator.power_state(uuid_of("c01")) != "Off"


def test_the_right_credentials_pass_a_bmc_that_demands_them(
    tmp_path: Path, bmc: StartEmulator
) -> None:
    emulator = bmc([system("c01", "Off")], auth=True)

    assert fencer_for(tmp_path, emulator.url).power_state("c01") is PowerState.OFF


def test_a_bmc_that_refuses_to_power_off_gives_an_error_with_its_reason(
    tmp_path: Path, bmc: StartEmulator
) -> None:
    emulator = bmc([system("c01", "On")], disable_power_off=True)
    fencer = fencer_for(tmp_path, emulator.url)

    error = failure_of(lambda: fencer.power_off("c01"))

    assert error.failure is FenceFailure.ERROR
    assert "400" in str(error) and "powering off" in str(error) and "--fenced" in str(error)
    assert fencer.power_state("c01") is PowerState.ON


def test_a_hung_bmc_times_out_in_seconds_not_minutes(tmp_path: Path, bmc: StartEmulator) -> None:
    emulator = bmc([system("c01", "On")])
    fencer = fencer_for(tmp_path, emulator.url)
    emulator.freeze()
    try:
        started = time.monotonic()
        error = failure_of(lambda: fencer.power_off("c01"))
        waited = time.monotonic() - started
    finally:
        emulator.thaw()

    assert error.failure is FenceFailure.TIMEOUT
    assert "no answer within 2 s" in str(error)
    # sushy's defaults would wait 10 x 60 s; one attempt with a 2 s read timeout ends the call
    # after about 2 s (the margin is for a loaded machine, not a speed target).
    assert waited < 2 * 2 + 1
    assert fencer.power_state("c01") is PowerState.ON, "the BMC answers again once thawed"


def test_a_bmc_nobody_listens_at_is_unreachable(tmp_path: Path) -> None:
    fencer = fencer_for(tmp_path, f"http://127.0.0.1:{free_port()}")

    error = failure_of(lambda: fencer.power_state("c01"))

    assert error.failure is FenceFailure.UNREACHABLE
    assert "cannot connect" in str(error) and "c01" in str(error)


def test_a_system_the_bmc_does_not_have_is_an_error_naming_it(
    tmp_path: Path, bmc: StartEmulator
) -> None:
    emulator = bmc([system("c01", "On")])
    fencer = fencer_for(tmp_path, emulator.url)

    error = failure_of(lambda: fencer.power_state("c09"))

    assert error.failure is FenceFailure.ERROR
    assert "/redfish/v1/Systems/c09" in str(error) and "404" in str(error)


def test_a_host_no_entry_matches_is_unconfigured(tmp_path: Path, bmc: StartEmulator) -> None:
    emulator: Emulator = bmc([system("c01", "On")])
    fencer = fencer_for(tmp_path, emulator.url)

    assert fencer.configured("c01") and not fencer.configured("d01")
    error = failure_of(lambda: fencer.power_off("d01"))
    assert error.failure is FenceFailure.UNCONFIGURED and "d01" in str(error)


def test_a_bmc_certificate_is_checked_against_the_configured_ca(
    tmp_path: Path, bmc: StartEmulator
) -> None:
    cert, key = self_signed(tmp_path, "test BMC")
    emulator = bmc([system("c01", "On")], tls=(cert, key))
    assert emulator.url.startswith("https://")

    untrusted = failure_of(lambda: fencer_for(tmp_path, emulator.url).power_state("c01"))
    assert untrusted.failure is FenceFailure.UNREACHABLE and "TLS" in str(untrusted)

    trusting = fencer_for(tmp_path, emulator.url, extra=f'verify = "{cert.name}"\n')
    assert trusting.power_state("c01") is PowerState.ON
