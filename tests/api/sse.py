"""A small Server-Sent Events reader over httpx, as a browser's EventSource reads a stream."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx


@dataclass(frozen=True)
class Frame:
    id: int
    event: str
    data: dict[str, Any]


def frames(response: httpx.Response) -> Iterator[Frame]:
    """Each event of the stream; comments and ``retry:`` lines are skipped."""
    fields: dict[str, str] = {}
    for line in response.iter_lines():
        if line == "":
            if "data" in fields:
                yield Frame(int(fields["id"]), fields["event"], json.loads(fields["data"]))
            fields = {}
            continue
        if line.startswith(":"):
            continue
        name, _, value = line.partition(":")
        fields[name] = value.removeprefix(" ")


@contextmanager
def stream(
    client: httpx.Client, job_id: str, *, last_event_id: int | None = None
) -> Iterator[httpx.Response]:
    """The job's event stream, open; leaving the block hangs up."""
    headers = {"Accept": "text/event-stream"}
    if last_event_id is not None:
        headers["Last-Event-ID"] = str(last_event_id)
    with client.stream("GET", f"/v1/jobs/{job_id}/events", headers=headers) as response:
        yield response
