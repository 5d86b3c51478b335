"""What the emulator cannot show: transitional states, 403 and a host that goes off in a race.

The sushy client is replaced at the fencer's client seam by a system that reports what a
real BMC may report; everything from there on (mapping, messages) is the fencer's own code.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import requests
import sushy
from sushy import exceptions as sushy_errors

from vacate.fencing.config import Bmc, FencingConfig, load_fencing_file
from vacate.fencing.redfish import RedfishFencer
from vacate.ports.fence import FenceError, FenceFailure, PowerState

SECRET = "Another-s3cret"


class StubSystem:
    def __init__(self, states: list[sushy.PowerState | None], reset_error: int = 0) -> None:
        self.states = states
        self.power_state = states.pop(0)
        self.reset_error = reset_error
        self.resets: list[object] = []

    def refresh(self, force: bool = True) -> None:
        self.power_state = self.states.pop(0)

    def reset_system(self, value: object) -> None:
        self.resets.append(value)
        if self.reset_error:
            raise sushy_errors.BadRequestError("POST", "/reset", answer(self.reset_error))


class StubClient:
    def __init__(self, system: StubSystem | None = None, error: Exception | None = None) -> None:
        self.system, self.error = system, error
        self.asked: list[str | None] = []

    def get_system(self, identity: str | None) -> StubSystem:
        self.asked.append(identity)
        if self.error is not None:
            raise self.error
        assert self.system is not None
        return self.system


def answer(status: int, message: str = "nope") -> requests.Response:
    response = requests.Response()
    response.status_code = status
    response._content = json.dumps({"error": {"message": message}}).encode()
    return response


def config(tmp_path: Path) -> FencingConfig:
    path = tmp_path / "fencing.toml"
    path.write_text(
        '[[bmc]]\npattern = "c*"\naddress = "https://bmc-{host}"\nsystem = "{host}"\n'
        f'username = "u"\npassword = "{SECRET}"\n'
    )
    path.chmod(0o600)
    return load_fencing_file(path)


def fencer(tmp_path: Path, client: StubClient) -> RedfishFencer:
    def factory(bmc: Bmc, address: str) -> StubClient:
        assert address == "https://bmc-c01" or address == "https://bmc-c02"
        return client

    return RedfishFencer(config(tmp_path), client=factory)


def test_powering_on_or_off_and_unknown_states_read_as_transitioning(tmp_path: Path) -> None:
    for reported in (sushy.PowerState.POWERING_ON, sushy.PowerState.POWERING_OFF, None):
        client = StubClient(StubSystem([reported]))
        assert fencer(tmp_path, client).power_state("c01") is PowerState.TRANSITIONING
        assert client.asked == ["/redfish/v1/Systems/c01"]


def test_a_host_already_powering_off_is_not_reset_again(tmp_path: Path) -> None:
    system = StubSystem([sushy.PowerState.POWERING_OFF])
    fencer(tmp_path, StubClient(system)).power_off("c01")
    assert system.resets == []


def test_a_refused_reset_of_a_host_that_went_off_meanwhile_counts_as_fenced(
    tmp_path: Path,
) -> None:
    system = StubSystem([sushy.PowerState.ON, sushy.PowerState.OFF], reset_error=400)
    fencer(tmp_path, StubClient(system)).power_off("c01")
    assert system.resets == [sushy.ResetType.FORCE_OFF]


def test_a_refused_reset_of_a_host_still_on_is_an_error(tmp_path: Path) -> None:
    system = StubSystem([sushy.PowerState.ON, sushy.PowerState.ON], reset_error=409)
    with pytest.raises(FenceError) as caught:
        fencer(tmp_path, StubClient(system)).power_off("c01")
    assert caught.value.failure is FenceFailure.ERROR and "409" in str(caught.value)


def test_403_is_refused_and_a_bmc_echoing_the_password_is_scrubbed(tmp_path: Path) -> None:
    echo = sushy_errors.AccessError("GET", "/x", answer(403, f"bad password {SECRET}"))
    refused = StubClient(error=echo)
    with pytest.raises(FenceError) as caught:
        fencer(tmp_path, refused).power_state("c02")
    assert caught.value.failure is FenceFailure.REFUSED and "403" in str(caught.value)
    assert "https://bmc-c02" in str(caught.value) and SECRET not in str(caught.value)
    chatty = sushy_errors.HTTPError("GET", "/x", answer(500, f"pw was {SECRET}"))
    with pytest.raises(FenceError) as caught:
        fencer(tmp_path, StubClient(error=chatty)).power_state("c02")
    assert caught.value.failure is FenceFailure.ERROR and "***" in str(caught.value)
    assert SECRET not in str(caught.value)
