"""HTTP to Nova and Placement through openstacksdk's authenticated adapters.

Vacate speaks the compute API at one microversion (negotiated once, ``MICROVERSION`` at most)
so that every answer has the same shape on every cloud, and reads JSON as plain dicts. Every
call goes through ``request``, which owns the two things a flaky control plane needs:

* retries with exponential back-off and jitter, bounded (``attempts``): reads are
  retried on any 5xx and on timeouts; changes only when they certainly did not happen
  (connection refused, 503), because a timed-out POST may have been accepted;
* the mapping of refusals onto the classified errors (``errors.classify``).
"""

from __future__ import annotations

import contextlib
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from keystoneauth1 import exceptions as ks_exc

from vacate.clouds.openstack.errors import SERVER_ERROR_DELAY_S, classify, message_of
from vacate.domain.errors import Conflict, TemporaryError, VacateError

#: The newest compute microversion Vacate asks for (see docs/openstack.md).
MICROVERSION = (2, 94)
#: Evacuations only: from 2.95 Nova leaves an evacuated server SHUTOFF on its new host, and
#: Vacate starts the ones that ran (a host-down workflow decides, not Nova).
EVACUATE_MICROVERSION = (2, 95)
#: The oldest one whose answers Vacate can read (server-group ``policy``, Rocky).
MIN_MICROVERSION = (2, 64)
#: Placement: inventories with allocation ratios exist since 1.0; 1.14 is Queens.
PLACEMENT_MICROVERSION = "1.14"

Json = dict[str, Any]


def version_text(version: tuple[int, int]) -> str:
    return f"{version[0]}.{version[1]}"


@dataclass
class Retry:
    """Bounded retries: ``attempts`` tries in all, waits of up to ``base_s`` · 2ⁿ (≤ ``cap_s``)."""

    attempts: int = 4
    base_s: float = 0.5
    cap_s: float = 4.0
    sleep: Callable[[float], None] = time.sleep
    rng: random.Random = field(default_factory=random.Random)

    def wait(self, attempt: int, retry_after: str | None) -> None:
        delay = min(self.cap_s, self.base_s * 2**attempt)
        if retry_after is not None:
            with contextlib.suppress(ValueError):
                delay = min(self.cap_s, max(delay, float(retry_after)))
        self.sleep(self.rng.uniform(delay / 2, delay))


class Api:
    """One service (compute or placement) of one cloud, as JSON in and out."""

    def __init__(self, adapter: Any, *, microversion: str, retry: Retry | None = None) -> None:
        self._adapter = adapter
        self.microversion = microversion
        self.retry = retry or Retry()

    def get(
        self, path: str, *, kind: str, name: str, query: Mapping[str, Any] | None = None
    ) -> Json:
        return self.request("GET", path, kind=kind, name=name, query=query)

    def request(
        self,
        method: str,
        path: str,
        *,
        kind: str,
        name: str,
        body: Json | None = None,
        query: Mapping[str, Any] | None = None,
        microversion: str | None = None,
        conflict_on_400: bool = False,
    ) -> Json:
        """Send, retry what may be retried, and return the answer's JSON ({} when empty).

        ``conflict_on_400``: for controls Nova refuses with 400 when the target is in the wrong
        state (a migration no longer running): a ``Conflict``, not a permanent error."""
        idempotent = method in ("GET", "HEAD")
        last: TemporaryError | None = None
        retry_after: str | None = None
        for attempt in range(self.retry.attempts):
            if attempt:
                self.retry.wait(attempt - 1, retry_after)
            retry_after = None
            try:
                response = self._adapter.request(
                    path,
                    method,
                    json=body,
                    params=dict(query or {}),
                    microversion=microversion or self.microversion,
                    raise_exc=False,
                    connect_retries=0,
                )
            except (ks_exc.ConnectFailure, ks_exc.DiscoveryFailure) as exc:
                # never reached the API (or its version document): safe to resend
                last = TemporaryError(
                    f"cannot reach the cloud for {kind} {name}: {_reason(exc)}",
                    delay=SERVER_ERROR_DELAY_S,
                )
                continue
            except ks_exc.ConnectTimeout as exc:  # may have been accepted: resend reads only
                last = TemporaryError(
                    f"the cloud did not answer in time for {kind} {name}",
                    delay=SERVER_ERROR_DELAY_S,
                )
                if idempotent:
                    continue
                raise last from exc
            status = int(response.status_code)
            if status < 400:
                return _json(response)
            message = message_of(response.content, status)
            error: VacateError = (
                Conflict(message)
                if conflict_on_400 and status == 400
                else classify(status, message, kind=kind, name=name)
            )
            retriable = status >= 500 and (idempotent or status == 503)
            if isinstance(error, TemporaryError) and retriable:
                last = error
                retry_after = response.headers.get("Retry-After")
                continue
            raise error
        assert last is not None
        raise last


def _json(response: Any) -> Json:
    if not response.content:
        return {}
    data = response.json()
    return data if isinstance(data, dict) else {"value": data}


def _reason(exc: Exception) -> str:
    """A short reason without the URL's query (which could carry a secret)."""
    text = str(exc).split("?")[0]
    return " ".join(text.split())[:200]
