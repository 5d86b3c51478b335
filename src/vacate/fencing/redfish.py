"""The Fence port over Redfish, with sushy: read a host's power state, force it off.

sushy's defaults suit a patient operator, not a gate in front of an evacuation: ten tries and a
60 s read timeout keep a call on a dead BMC busy for minutes. Every client here is built with
the fencing file's short connect and read timeouts and its few attempts, so a call fails in
seconds, and every failure becomes a ``FenceError`` whose kind tells the engine what happened
and whose message tells a person what to do. Messages name the host, the BMC's address and
the fencing file, never a credential; any text that comes back from the BMC is scrubbed of the
password before it is shown.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import requests
import sushy
from sushy import exceptions as sushy_errors

from vacate.fencing.config import Bmc, FencingConfig
from vacate.ports.fence import FenceError, FenceFailure, PowerState

LOG = logging.getLogger(__name__)

#: Seconds between tries when a BMC entry allows more than one attempt.
RETRY_DELAY_S = 1

_STATES = {
    sushy.PowerState.ON: PowerState.ON,
    sushy.PowerState.OFF: PowerState.OFF,
}

#: Builds a sushy client for a BMC entry and its address (a seam for a client with extras).
ClientFactory = Callable[[Bmc, str], Any]


def sushy_client(bmc: Bmc, address: str) -> Any:
    return sushy.Sushy(
        address,
        username=bmc.username,
        password=bmc.password.reveal() if bmc.password is not None else None,
        verify=bmc.verify,
        connect_timeout=bmc.connect_timeout_s,
        read_timeout=bmc.read_timeout_s,
        server_side_retries=bmc.attempts,
        server_side_retries_delay=RETRY_DELAY_S,
    )


class RedfishFencer:
    """One short-lived sushy client per call: BMC sessions expire, and a fresh one each time
    means a BMC that was rebooted or re-keyed never leaves a stale client behind."""

    def __init__(self, config: FencingConfig, client: ClientFactory = sushy_client) -> None:
        self._config = config
        self._client = client

    def __repr__(self) -> str:
        return f"RedfishFencer({str(self._config.path)!r})"

    def configured(self, host: str) -> bool:
        return self._config.bmc_for(host) is not None

    def power_state(self, host: str) -> PowerState:
        with self._system(host, "reading the power state") as system:
            return _STATES.get(system.power_state, PowerState.TRANSITIONING)

    def power_off(self, host: str) -> None:
        with self._system(host, "powering off") as system:
            if system.power_state in (sushy.PowerState.OFF, sushy.PowerState.POWERING_OFF):
                LOG.info("fencing %s: already %s, nothing to do", host, system.power_state)
                return
            LOG.info("fencing %s: forcing it off through its BMC", host)
            try:
                system.reset_system(sushy.ResetType.FORCE_OFF)
            except sushy_errors.HTTPError:
                # Some BMCs refuse ForceOff on a host that went off since we looked: if it is
                # off now, the host is fenced and the refusal does not matter.
                system.refresh(force=True)
                if system.power_state != sushy.PowerState.OFF:
                    raise

    @contextmanager
    def _system(self, host: str, doing: str) -> Iterator[Any]:
        bmc = self._config.bmc_for(host)
        if bmc is None:
            raise FenceError(
                FenceFailure.UNCONFIGURED,
                f"no BMC is configured for host {host} in {self._config.path}; add one, "
                f"or assert the host is off with `vacate host down {host} --fenced`",
            )
        try:
            address, system_id = bmc.address_for(host), bmc.system_for(host)
        except ValueError as exc:
            raise FenceError(FenceFailure.ERROR, f"{exc} ({self._config.path})") from None
        try:
            client = self._client(bmc, address)
            yield client.get_system(system_id)
        except FenceError:
            raise
        except (sushy_errors.SushyError, requests.RequestException) as exc:
            error = self._translate(exc, host, address, system_id, bmc, doing)
            LOG.warning("%s", error)
            raise error from None

    def _translate(
        self,
        exc: Exception,
        host: str,
        address: str,
        system_id: str | None,
        bmc: Bmc,
        doing: str,
    ) -> FenceError:
        where = f"BMC of {host} at {address}"
        assert_it = f"or assert the host is off with `vacate host down {host} --fenced`"
        fix_file = f"fix its entry ({bmc.match}) in {self._config.path}"
        failure, text = FenceFailure.ERROR, f"{doing} failed ({type(exc).__name__})"
        if isinstance(exc, sushy_errors.AccessError):
            failure = FenceFailure.REFUSED
            text = f"credentials refused ({exc.status_code}); {fix_file}, {assert_it}"
        elif isinstance(exc, sushy_errors.ResourceNotFoundError):
            text = (
                f"no system {system_id or 'listed'} (404); set `system` right in "
                f"{self._config.path}, {assert_it}"
            )
        elif isinstance(exc, sushy_errors.HTTPError):
            detail = f": {exc.detail}" if exc.detail else ""
            text = f"{doing} failed ({exc.status_code}{detail}); check the BMC, {assert_it}"
        elif isinstance(exc, sushy_errors.UnknownDefaultError):
            text = f"it does not list exactly one system; set `system` in {self._config.path}"
        elif isinstance(exc, sushy_errors.InvalidParameterValueError):
            text = f"it does not offer a forced power-off; {assert_it}"
        elif isinstance(exc, sushy_errors.ConnectionError | requests.RequestException):
            failure, text = _connection_failure(exc, bmc, assert_it)
        message = f"{where}: {text}"
        if bmc.password is not None:
            message = bmc.password.scrub(message)
        return FenceError(failure, message)


def _connection_failure(exc: Exception, bmc: Bmc, assert_it: str) -> tuple[FenceFailure, str]:
    """sushy wraps every transport failure in one ``ConnectionError``; the requests error it
    was raised from (its context) tells a hang from a refusal from a TLS mistake."""
    cause = exc if isinstance(exc, requests.RequestException) else exc.__context__
    tries = f" after {bmc.attempts} attempts" if bmc.attempts > 1 else ""
    if isinstance(cause, requests.ConnectTimeout):
        return FenceFailure.TIMEOUT, (
            f"no connection within {bmc.connect_timeout_s:g} s{tries}; "
            f"check that the BMC is powered and reachable, {assert_it}"
        )
    if isinstance(cause, requests.Timeout):
        return FenceFailure.TIMEOUT, (
            f"no answer within {bmc.read_timeout_s:g} s{tries}; the BMC hangs or is "
            f"overloaded, {assert_it}"
        )
    if isinstance(cause, requests.exceptions.SSLError):
        return FenceFailure.UNREACHABLE, (
            "TLS failed (certificate not trusted?); set `verify` to the BMC's CA bundle, "
            f"{assert_it}"
        )
    return FenceFailure.UNREACHABLE, (
        f"cannot connect{tries} (refused or no route); check the address, {assert_it}"
    )
