"""Following a job on a server's event stream to its end: the stream read frame by frame, the
job refetched for a watcher now and then, a broken connection resumed after the last event
seen (``Last-Event-ID``), so no event is missed and none is seen twice."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import httpx

from vacate.client.base import Watch
from vacate.client.sse import frames
from vacate.domain.jobs import JobStatus

if TYPE_CHECKING:
    from vacate.client.http import HttpClient

#: A watcher refetches the job at most this often (wall seconds) while events arrive.
WATCH_EVERY_S = 0.2
#: A broken stream is reopened this many times in a row, this long apart, before giving up.
RECONNECTS = 5
RECONNECT_PAUSE_S = 1.0
#: The event kinds that end a job (the stream closes after one).
_ENDS = ("job.succeeded", "job.failed", "job.cancelled")
_ACTIVE = (JobStatus.QUEUED.value, JobStatus.RUNNING.value)


class Follower:
    """Follows one job's event stream to the job's final event, refetching the job for the
    watcher now and then; a broken connection is resumed after the last event seen."""

    def __init__(self, client: HttpClient, job_id: str, watch: Watch | None) -> None:
        self._client = client
        self._job_id = job_id
        self._watch = watch
        self._last_seq = 0
        self._last_watch = 0.0

    def run(self) -> None:
        failures = 0
        while True:
            try:
                if self._stream():
                    return
                failures = 0  # the stream ended without the job's end: reopen it
            except httpx.HTTPError as exc:
                failures += 1
                if failures > RECONNECTS:
                    raise self._client.unreachable(exc) from None
            if self._client.job(self._job_id)["status"] not in _ACTIVE:
                return
            time.sleep(RECONNECT_PAUSE_S if failures else 0.2)

    def _stream(self) -> bool:
        """Read the stream until it closes; True once the job's final event was seen."""
        with self._client.stream_lines(self._job_id, self._last_seq) as response:
            if not response.is_success:
                response.read()
                self._client.answer(response)  # raises the server's error
            for frame in frames(response.iter_lines()):
                if frame.id.isdigit():
                    self._last_seq = int(frame.id)
                self._tick()
                if frame.event in _ENDS:
                    return True
        return False

    def _tick(self) -> None:
        if self._watch is None:
            return
        now = time.monotonic()
        if now - self._last_watch < WATCH_EVERY_S:
            return
        self._last_watch = now
        self._watch(self._client.job(self._job_id))
