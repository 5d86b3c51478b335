"""A job's live progress as Server-Sent Events, read from the event log with the engine's
``follow_events``: ``id:`` is the event's number in its job, ``event:`` its kind, ``data:``
``serialize.event_to_dict``. A client that reconnects with ``Last-Event-ID`` gets every later
event exactly once, in order; the stream ends with the job's final event.

``follow_events`` polls the store, so it runs in a thread of its own and hands events to the
response through a queue; the client going away (or the server stopping) ends that thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import threading
from collections.abc import AsyncIterator

from vacate.api.services import Services
from vacate.domain.events import Event
from vacate.domain.model import JobId
from vacate.engine.follow import follow_events
from vacate.serialize import event_to_dict

log = logging.getLogger("vacate.api.events")

#: A comment line this often keeps proxies from closing a quiet stream (seconds).
HEARTBEAT_S = 15.0
#: What a browser waits before reconnecting (milliseconds).
RETRY_MS = 1000


def sse_frame(event: Event) -> bytes:
    data = json.dumps(event_to_dict(event), separators=(",", ":"), default=str)
    return f"id: {event.seq}\nevent: {event.kind.value}\ndata: {data}\n\n".encode()


async def event_stream(svc: Services, job_id: JobId, after_seq: int) -> AsyncIterator[bytes]:
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[Event | None] = asyncio.Queue()
    gone = threading.Event()

    def deliver(item: Event | None) -> None:
        with contextlib.suppress(RuntimeError):  # the loop closed: nobody is listening
            loop.call_soon_threadsafe(queue.put_nowait, item)

    def pause(seconds: float) -> None:
        gone.wait(seconds)

    def over() -> bool:
        return gone.is_set() or svc.stopping.is_set()

    def pump() -> None:
        try:
            for event in follow_events(
                svc.ctx.store, job_id, after_seq=after_seq, sleep=pause, is_over=over
            ):
                if gone.is_set():
                    return
                deliver(event)
        except Exception:
            log.exception("event stream of job %s broke off", job_id)
        finally:
            deliver(None)

    thread = threading.Thread(target=pump, name=f"sse-{job_id}", daemon=True)
    thread.start()
    try:
        yield f"retry: {RETRY_MS}\n\n".encode()
        while True:
            try:
                item = await asyncio.wait_for(queue.get(), timeout=HEARTBEAT_S)
            except TimeoutError:
                yield b": keep-alive\n\n"
                continue
            if item is None:
                return
            yield sse_frame(item)
    finally:
        gone.set()
