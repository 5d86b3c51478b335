"""How the CLI ends on an error: the same code, exit and label for an error raised here and the
same error answered by a server; ``-f json`` found in the arguments however it is written."""

from __future__ import annotations

import pytest

from vacate.cli.failures import classify, wants_json
from vacate.client.errors import RemoteError, Unreachable
from vacate.client.sse import frames
from vacate.domain.errors import Conflict, IllegalTransition, NotFound, PlanNotReady, SetupError


@pytest.mark.parametrize(
    ("local", "status", "code"),
    [
        (NotFound("host", "c9"), 404, "not_found"),
        (Conflict("busy"), 409, "conflict"),
        (IllegalTransition("c1", "entering", "entering", ()), 409, "conflict"),
        (PlanNotReady("c1", [("vm", "why")]), 409, "not_ready"),
        (ValueError("bad"), 422, "invalid"),
        (SetupError("db"), 503, "unavailable"),
    ],
)
def test_an_error_here_and_the_servers_answer_for_it_end_the_same_way(
    local: Exception, status: int, code: str
) -> None:
    here = classify(local)
    there = classify(RemoteError(status, code, str(local)))
    assert here is not None and there is not None
    assert (here.code, here.exit, here.label, here.message) == (
        there.code,
        there.exit,
        there.label,
        there.message,
    )
    assert here.as_json() == {"error": {"code": code, "message": str(local)}}


def test_refusals_by_the_server_have_their_own_exit_code_and_say_what_to_set() -> None:
    unauthorized = classify(RemoteError(401, "unauthorized", "a token is required"))
    forbidden = classify(RemoteError(403, "forbidden", "needs an admin token"))
    assert unauthorized is not None and forbidden is not None
    assert unauthorized.exit == forbidden.exit == 6
    assert "VACATE_TOKEN" in unauthorized.message


def test_an_unreachable_server_is_a_set_up_problem() -> None:
    failure = classify(Unreachable("cannot reach the Vacate server at http://x:1: refused"))
    assert failure is not None and (failure.exit, failure.code) == (5, "unreachable")


def test_a_plan_not_ready_lists_each_blocked_instance_under_its_line() -> None:
    failure = classify(PlanNotReady("c1", [("vm-1", "error state"), ("vm-2", "no room")]))
    assert failure is not None and failure.details == ("  vm-1: error state", "  vm-2: no room")


def test_something_that_is_not_vacates_error_is_left_to_propagate() -> None:
    assert classify(KeyError("x")) is None


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["host", "list", "-f", "json"], True),
        (["host", "list", "--format", "JSON"], True),
        (["host", "list", "--format=json"], True),
        (["host", "list", "-fjson"], True),
        (["host", "list", "-f", "table"], False),
        (["host", "show", "json"], False),
        (["host", "list", "-f"], False),
    ],
)
def test_json_output_is_recognised_in_the_arguments(argv: list[str], expected: bool) -> None:
    assert wants_json(argv) is expected


def test_the_event_stream_reader_skips_comments_and_joins_data_lines() -> None:
    lines = ["retry: 1000", "", ": keep-alive", "", "id: 3", "event: task.moved"]
    lines += ["data: {", "data: }", "", "id: 4", "data: x", ""]
    got = list(frames(lines))
    assert [(f.id, f.event, f.data) for f in got] == [
        ("3", "task.moved", "{\n}"),
        ("4", "message", "x"),
    ]
