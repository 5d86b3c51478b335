"""The live event stream of a job: ids are the job's event numbers, a client that drops off
mid-drain and comes back with Last-Event-ID gets every event exactly once, in order, and the
stream ends with the job."""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from .conftest import Tokens
from .server import Home, Server, running, wait_for_job
from .sse import Frame, frames, stream

#: Slow enough that a drain lasts seconds of wall time: there is a "mid-drain" to drop off in.
SPEED = "4"


@pytest.fixture(scope="module")
def slow_server(
    template: tuple[Path, Tokens], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    path = tmp_path_factory.mktemp("slow") / "home"
    shutil.copytree(template[0], path)
    home = Home(path, speed=SPEED, extra={"VACATE_POLL_SECONDS": "1"})
    with running(home) as served:
        yield served


def test_a_client_that_drops_off_mid_drain_and_resumes_gets_every_event_once_in_order(
    slow_server: Server, tokens: Tokens
) -> None:
    with slow_server.client(tokens.reader) as reader, slow_server.client(tokens.admin) as admin:
        job_id = admin.post(
            "/v1/hosts/c03/maintenance",
            json={"reason": "sse", "policy": {"suspended": "skip", "error": "skip"}},
        ).json()["id"]

        first: list[Frame] = []
        with stream(reader, job_id) as response:
            assert response.status_code == 200
            assert response.headers["content-type"].startswith("text/event-stream")
            for frame in frames(response):
                first.append(frame)
                if frame.event == "task.started" and len(first) >= 4:
                    break  # hang up in the middle of the drain
        assert reader.get(f"/v1/jobs/{job_id}").json()["status"] == "running"

        time.sleep(1.0)  # events keep coming while nobody listens
        second: list[Frame] = []
        with stream(reader, job_id, last_event_id=first[-1].id) as response:
            second = list(frames(response))

        log = reader.get(f"/v1/jobs/{job_id}/events").json()
    got = first + second
    assert [f.id for f in got] == list(range(1, len(log) + 1))
    assert [f.data for f in got] == log
    assert [f.event for f in got] == [e["kind"] for e in log]
    assert got[-1].event == "job.succeeded"
    assert len(second) > 1


def test_the_stream_of_a_finished_job_replays_and_ends(slow_server: Server, tokens: Tokens) -> None:
    with slow_server.client(tokens.admin) as admin:
        job_id = admin.post(
            "/v1/hosts/c06/migrate-instances", json={"policy": {"suspended": "skip"}}
        ).json()["id"]
        wait_for_job(admin, job_id)
        log = admin.get(f"/v1/jobs/{job_id}/events").json()
        with stream(admin, job_id) as response:
            assert [f.data for f in frames(response)] == log
        with stream(admin, job_id, last_event_id=len(log)) as response:
            assert list(frames(response)) == []
        later = admin.get(f"/v1/jobs/{job_id}/events", params={"after": 3}).json()
        assert later == log[3:]


def test_the_stream_of_an_unknown_job_is_404_json(slow_server: Server, tokens: Tokens) -> None:
    with slow_server.client(tokens.reader) as reader, stream(reader, "feedbeef0000") as response:
        assert response.status_code == 404
        response.read()
        assert response.json()["error"]["message"] == "job 'feedbeef0000' not found"
