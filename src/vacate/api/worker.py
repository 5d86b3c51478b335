"""The server's own worker: a thread that runs queued jobs with the engine's leased runner, so
``vacate serve`` both answers and drains. Several servers and ``vacate worker`` processes on
one database share the queue; the leases make sure each job is run by exactly one.

Stopping (SIGTERM) claims nothing new and stops the running job after the step it is in has
been committed: its lease is released at once, so the next process resumes it where it was.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import replace

from vacate.api.metrics import JobWatcher
from vacate.domain.errors import LeaseLost, SetupError
from vacate.domain.jobs import Job
from vacate.engine.context import Context
from vacate.engine.runner import run_one

log = logging.getLogger("vacate.worker")

#: How long an idle worker waits before looking for work again (wall seconds).
IDLE_S = 0.5


class Worker:
    def __init__(
        self,
        ctx: Context,
        watcher: JobWatcher,
        *,
        stop: threading.Event | None = None,
        idle_s: float = IDLE_S,
    ) -> None:
        #: Shared with the server: a signal sets it, and the worker stops at once.
        self._stop = stop or threading.Event()
        self._watcher = watcher
        self._idle_s = idle_s
        # Its own context: the observer, and the wall sleeps that a stop cuts short.
        self._ctx = replace(ctx, observer=self._observe, sleep_wall=self._pause)
        self._thread = threading.Thread(target=self._loop, name="vacate-worker", daemon=True)

    @property
    def owner(self) -> str:
        return self._ctx.owner

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout_s: float = 30.0) -> None:
        """Claim nothing new; end the running job after its current step; wait for that."""
        self._stop.set()
        self._thread.join(timeout_s)
        if self._thread.is_alive():
            log.warning("worker still busy after %.0f s; its lease will expire", timeout_s)

    def _pause(self, seconds: float) -> None:
        self._stop.wait(seconds)

    def _observe(self, job: Job) -> None:
        self._watcher.observe(job)
        if self._stop.is_set():
            # The step is committed; this hands the job back (the runner releases the lease).
            raise LeaseLost(job.id)

    def _loop(self) -> None:
        log.info("worker %s started", self.owner)
        while not self._stop.is_set():
            try:
                ran = self._run_next()
            except SetupError as exc:  # the database went away: wait for it to come back
                log.error("worker: %s", exc)
                ran = False
            except Exception:
                log.exception("worker: unexpected error; carrying on")
                ran = False
            if not ran:
                self._stop.wait(self._idle_s)
        log.info("worker %s stopped", self.owner)

    def _run_next(self) -> bool:
        ctx = self._ctx
        job = ctx.store.claim_next(
            ctx.owner, ttl_s=ctx.lease_ttl_s, now=ctx.wall(), at=ctx.clock.now()
        )
        if job is None:
            return False
        if self._stop.is_set():
            ctx.store.release_lease(job.id, ctx.owner)
            return False
        log.info("job %s %s %s: running", job.id, job.kind.value, job.host)
        self._watcher.seed(job)
        finished = run_one(ctx, job.id)
        if finished is None:
            log.info("job %s handed back (stopping, or another worker holds it)", job.id)
            return True
        self._watcher.observe(finished)
        log.info(
            "job %s %s %s: %s — %s",
            finished.id,
            finished.kind.value,
            finished.host,
            finished.status.value,
            finished.message,
        )
        return True
