"""The move step's pure decisions: concurrency slots and the retry policy, table-driven."""

from __future__ import annotations

import pytest

from vacate.domain.model import HostName
from vacate.planning.retry import DELETED, Next, Refusal, after_failure, after_refusal
from vacate.planning.slots import Limits, Slots

A, B, C = HostName("a"), HostName("b"), HostName("c")


def slots(active: int = 0, flights: list[tuple[HostName, HostName | None]] | None = None) -> Slots:
    return Slots.counting(
        Limits(max_parallel=3, max_per_source=2, max_per_destination=1),
        active=active,
        flights=flights or [],
    )


def test_moves_of_other_jobs_count_against_the_source_and_destination_limits() -> None:
    s = slots(flights=[(A, B), (A, None)])
    assert not s.source_free(A) and s.source_free(C)
    assert not s.dest_free(B) and s.dest_free(C)
    assert not s.full, "other jobs' moves do not fill this job's overall limit"


def test_taking_a_slot_fills_the_limits_one_move_at_a_time() -> None:
    s = slots(active=2)
    s.take(A, C)
    assert s.full and not s.dest_free(C) and s.per_source[A] == 1


@pytest.mark.parametrize(
    ("refusal", "attempt", "expected", "delay"),
    [
        (Refusal.TEMPORARY, 1, Next.RETRY, 30.0),
        (Refusal.TEMPORARY, 2, Next.FAIL, 0.0),
        (Refusal.CONFLICT, 1, Next.RETRY, 0.0),
        (Refusal.CONFLICT, 2, Next.FAIL, 0.0),
        (Refusal.PERMANENT, 1, Next.FAIL, 0.0),
        (Refusal.GONE, 1, Next.SKIP, 0.0),
    ],
)
def test_a_refused_start_is_retried_within_the_attempts_or_ends(
    refusal: Refusal, attempt: int, expected: Next, delay: float
) -> None:
    decision = after_refusal(
        refusal, attempt=attempt, max_attempts=2, message="busy", method="live", delay_s=30.0
    )
    assert decision.next is expected and decision.delay_s == delay
    if expected is Next.FAIL:
        assert "busy" in decision.reason and "live migration" in decision.reason
    if expected is Next.SKIP:
        assert decision.reason == DELETED


def failure(**overrides: object) -> Next:
    args: dict[str, object] = {
        "error": "boom",
        "instance_in_error": False,
        "aborted_by_us": False,
        "cancelled": False,
        "live": True,
        "cold_fallback": False,
        "escalations": (),
        "attempt": 1,
        "max_attempts": 2,
        "where": "a",
    }
    args.update(overrides)
    return after_failure(**args).next  # type: ignore[arg-type]


def test_failed_migrations_are_decided_by_who_stopped_them_and_the_attempts_left() -> None:
    assert failure() is Next.RETRY
    assert failure(attempt=2) is Next.FAIL
    assert failure(instance_in_error=True) is Next.FAIL
    assert failure(aborted_by_us=True, cancelled=True) is Next.SKIP
    assert failure(aborted_by_us=True, cold_fallback=True) is Next.FALLBACK_COLD
    assert failure(aborted_by_us=True, cold_fallback=True, live=False) is Next.FAIL
    assert failure(aborted_by_us=True) is Next.FAIL
