"""``Idempotency-Key`` on a request that starts a job: the same key again (from the same token)
answers with the same job instead of queueing a second one.

The key is reserved before the job is queued (a primary key, so of two requests racing with
one key exactly one reserves it), bound to the job once queued, and released if queueing
failed — the client may then retry with the same key. A request that finds the key reserved
but not yet bound waits briefly for the first one to finish.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from vacate.api.errors import ApiError
from vacate.api.policy import Caller
from vacate.api.services import Services
from vacate.domain.jobs import Job
from vacate.domain.model import JobId

#: How long a repeat waits for the first request with its key to queue the job (seconds).
WAIT_FOR_FIRST_S = 10.0
_POLL_S = 0.05


@dataclass(frozen=True)
class Started:
    job: Job
    #: True when the key had been seen: the job is the one the first request queued.
    replayed: bool


def fingerprint(method: str, path: str, body: Any) -> str:
    text = json.dumps([method, path, body], sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def start_once(
    svc: Services,
    caller: Caller,
    key: str | None,
    request_fingerprint: str,
    start: Callable[[], Job],
) -> Started:
    if key is None:
        return Started(start(), replayed=False)
    held = svc.auth.reserve_key(caller.name, key, fingerprint=request_fingerprint, at=svc.wall())
    if held is None:
        try:
            job = start()
        except BaseException:
            svc.auth.release_key(caller.name, key)
            raise
        svc.auth.bind_key(caller.name, key, job.id)
        return Started(job, replayed=False)
    if held.fingerprint != request_fingerprint:
        raise ApiError(422, "Idempotency-Key: this key was used for a different request")
    deadline = time.monotonic() + WAIT_FOR_FIRST_S
    while True:
        record = svc.auth.get_key(caller.name, key)
        if record is None:  # the first request failed and let the key go: this one tries
            return start_once(svc, caller, key, request_fingerprint, start)
        if record.job_id is not None:
            return Started(svc.ctx.store.get_job(JobId(record.job_id)), replayed=True)
        if time.monotonic() > deadline:
            raise ApiError(409, "Idempotency-Key: the first request with this key is still running")
        time.sleep(_POLL_S)
