"""The live-migration model against closed forms (DESIGN §5).

Every expected figure here is computed from the model's definition — geometric pass sizes,
bytes over bandwidth — not read back from the code under test.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Mapping
from dataclasses import fields

import pytest

from vacate.clouds.sim import transfer as tr
from vacate.clouds.sim.params import ModelParams
from vacate.domain.model import GIB, MIB, Workload
from vacate.ports.cloud import MigrationKind, MigrationStatus

P = ModelParams()
SETUP = P.live_setup_s
SWITCH = P.switchover_s
LIMIT_S = P.default_downtime_limit_ms / 1000
#: A source NIC slower than the stream cap, so the allocated bandwidth b is the NIC speed.
B = 1.0 * GIB
NIC = {"src": B, "dst": 10 * GIB, "dst2": 10 * GIB}


def live(
    touched: float,
    dirty: float,
    wss: float,
    *,
    id: str = "m1",
    source: str = "src",
    dest: str = "dst",
    now: float = 0.0,
    fail_at_fraction: float | None = None,
) -> tr.Transfer:
    return tr.new_live(
        id=id,
        instance_id=f"i-{id}",
        source=source,
        dest=dest,
        workload=Workload(touched_bytes=touched, dirty_rate=dirty, wss_bytes=wss),
        now=now,
        params=P,
        fail_at_fraction=fail_at_fraction,
    )


def run(
    transfers: list[tr.Transfer], until: float, nic: Mapping[str, float] | None = None
) -> list[tr.Transfer]:
    finished: list[tr.Transfer] = []
    tr.advance(transfers, nic or NIC, 0.0, until, P, on_finish=finished.append)
    return finished


# -- pre-copy ---------------------------------------------------------------------------------


def test_a_calm_guest_sends_the_geometric_series_and_finishes_on_time() -> None:
    z, d = 8 * GIB, 0.35 * GIB
    ratio = d / B
    # Pass i sends z·ratio^i; the pass after which pending z·ratio^(n+1) <= B·limit is the last.
    n = math.ceil(math.log(B * LIMIT_S / z) / math.log(ratio)) - 1
    precopy = z * (1 - ratio ** (n + 1)) / (1 - ratio)
    pending = z * ratio ** (n + 1)
    expected_time = SETUP + precopy / B + pending / B + SWITCH
    expected_bytes = precopy + pending

    t = live(z, d, wss=8 * GIB)
    finished = run([t], 100.0)

    assert finished == [t]
    assert t.status == MigrationStatus.COMPLETED
    assert t.pass_index == n
    assert t.finished_at == pytest.approx(expected_time, rel=0.01)
    assert t.bytes_sent == pytest.approx(expected_bytes, rel=0.01)
    assert t.downtime_s == pytest.approx(pending / B + SWITCH, rel=0.01)


def test_a_zero_downtime_limit_still_finishes_once_less_than_a_page_is_pending() -> None:
    z, ratio = 4 * GIB, 0.3
    # Pending after pass i is z·ratio^(i+1); the first below one page ends the pre-copy.
    n = math.floor(math.log(P.page_bytes / z) / math.log(ratio))
    assert z * ratio ** (n + 1) < P.page_bytes <= z * ratio**n

    t = tr.new_live(
        id="m",
        instance_id="i",
        source="src",
        dest="dst",
        workload=Workload(touched_bytes=z, dirty_rate=ratio * B, wss_bytes=z),
        now=0.0,
        params=P,
        downtime_limit_ms=0.0,
    )
    run([t], 100.0)

    assert t.status == MigrationStatus.COMPLETED
    assert t.pass_index == n
    assert t.finished_at == pytest.approx(SETUP + z / (1 - ratio) / B + SWITCH, rel=1e-6)


def test_a_single_stream_is_held_to_the_stream_cap_on_a_fast_link() -> None:
    nic = {"a": 10 * GIB, "b": 10 * GIB}
    t = live(4 * GIB, 0.0, 0.0, source="a", dest="b")
    run([t], 60.0, nic)
    assert t.finished_at == pytest.approx(SETUP + 4 * GIB / P.stream_cap_bytes_per_s + SWITCH)


def test_a_guest_dirtying_faster_than_the_link_never_converges_nor_gives_up() -> None:
    wss = 512 * MIB
    t = live(2 * GIB, 2 * B, wss)
    started = time.perf_counter()
    for horizon in range(100, 2001, 100):  # look at it every 100 s
        tr.advance([t], NIC, horizon - 100.0, float(horizon), P)
        assert t.status == MigrationStatus.RUNNING
        assert tr.view(t).memory_remaining_bytes >= wss * (1 - 1e-9)
    elapsed = time.perf_counter() - started

    # Pass 0 takes 2 s, every later pass wss / B = 0.5 s, each ending with wss pending.
    expected_passes = (2000 - SETUP - 2 * GIB / B) / (wss / B)
    assert t.pass_index == pytest.approx(expected_passes, abs=1)
    assert min(t.pass_remaining) == pytest.approx(wss)
    assert len(t.pass_remaining) == P.pass_history
    assert elapsed < 1.0


def test_raising_the_downtime_limit_lets_a_stuck_guest_finish_at_the_next_pass() -> None:
    wss = 512 * MIB  # 0.5 s at B: above 300 ms, below 600 ms
    t = live(2 * GIB, 2 * B, wss)
    run([t], 20.0)
    assert t.status == MigrationStatus.RUNNING
    tr.set_downtime_limit(t, 600.0)
    tr.advance([t], NIC, 20.0, 40.0, P)
    # Passes end at SETUP + 2 s + k·0.5 s; the first one after 20 s ends at 20.0 s + 0.5 s.
    next_pass_end = SETUP + 2.0 + math.ceil((20.0 - SETUP - 2.0) / 0.5 + 1e-9) * 0.5
    assert t.status == MigrationStatus.COMPLETED
    assert t.downtime_s == pytest.approx(wss / B + SWITCH)
    assert t.finished_at == pytest.approx(next_pass_end + wss / B + SWITCH)


def expected_auto_converge(
    z: float, d: float, wss: float, b: float
) -> tuple[float, float, float, int]:
    """QEMU's auto-converge rule on a constant link: (finish time, throttle, bytes, passes)."""
    size, now, sent, throttle, high, passes = z, SETUP, 0.0, 0.0, 0, 0
    while True:
        duration = size / b
        share = P.throttled_dirty_share if throttle else 1.0
        dirtied = min(wss, d * (1 - throttle) * share * duration)
        now, sent = now + duration, sent + size
        if dirtied > 0.5 * size:
            high += 1
            if high % 2 == 0:
                throttle = 0.2 if high == 2 else min(0.99, throttle + 0.1)
        if dirtied <= b * LIMIT_S:
            return now + dirtied / b + SWITCH, throttle, sent + dirtied, passes
        size, passes = dirtied, passes + 1


@pytest.mark.parametrize("dirty_over_bandwidth", [1.3, 1.6, 2.0])
def test_auto_converge_makes_a_hot_guest_finish_at_a_high_throttle(
    dirty_over_bandwidth: float,
) -> None:
    z = wss = 1 * GIB
    d = dirty_over_bandwidth * B
    finish, throttle, sent, passes = expected_auto_converge(z, d, wss, B)

    t = live(z, d, wss)
    tr.enable_auto_converge(t)
    run([t], 1000.0)

    assert t.status == MigrationStatus.COMPLETED
    assert t.throttle == pytest.approx(throttle)
    assert d * (1 - t.throttle) * P.throttled_dirty_share < B
    assert t.pass_index == passes
    assert t.finished_at == pytest.approx(finish, rel=0.01)
    assert t.bytes_sent == pytest.approx(sent, rel=0.01)
    assert t.bytes_sent > 4 * z


def test_auto_converge_throttles_only_after_two_passes_dirtying_over_half_their_bytes() -> None:
    # Dirtying 0.55 of each pass: passes 0 and 1 count, so the throttle becomes 20 %; then the
    # guest dirties 0.55 × 0.8 × the throttled share (under half) of each pass and it stays there.
    z = wss = 8 * GIB
    finish, throttle, _, passes = expected_auto_converge(z, 0.55 * B, wss, B)
    assert throttle == 0.2

    t = live(z, 0.55 * B, wss)
    tr.enable_auto_converge(t)
    run([t], 1000.0)

    assert t.throttle == pytest.approx(0.2)
    assert t.pass_index == passes
    assert t.finished_at == pytest.approx(finish, rel=0.01)


def test_post_copy_finishes_a_stuck_guest_at_the_uncapped_link_speed() -> None:
    link = 4 * GIB  # faster than the 1.1 GiB/s stream cap
    nic = {"a": link, "b": link}
    t = live(2 * GIB, 2 * GIB, 1 * GIB, source="a", dest="b")
    tr.advance([t], nic, 0.0, 30.0, P)
    assert t.status == MigrationStatus.RUNNING
    remaining = tr.view(t).memory_remaining_bytes
    sent_before = t.bytes_sent

    tr.start_post_copy(t, 30.0)
    assert tr.view(t).status == MigrationStatus.POST_COPY
    tr.advance([t], nic, 30.0, 60.0, P)

    assert t.status == MigrationStatus.COMPLETED
    assert t.finished_at == pytest.approx(30.0 + P.postcopy_switch_s + remaining / link)
    assert t.bytes_sent - sent_before == pytest.approx(remaining)
    assert t.downtime_s is not None and t.downtime_s < 0.1


def test_force_complete_pauses_the_guest_and_downtime_is_remaining_over_bandwidth() -> None:
    t = live(4 * GIB, 2 * B, 4 * GIB)
    tr.advance([t], NIC, 0.0, 20.3, P)
    remaining = tr.view(t).memory_remaining_bytes
    assert remaining > 2 * GIB

    tr.force_complete(t, 20.3)
    tr.advance([t], NIC, 20.3, 60.0, P)

    assert t.status == MigrationStatus.COMPLETED
    assert tr.view(t).paused
    assert t.downtime_s == pytest.approx(remaining / B, rel=0.05)
    assert t.finished_at == pytest.approx(20.3 + remaining / B, rel=0.05)


def hot_mid_pass() -> tuple[tr.Transfer, float, float]:
    """A guest half-way through pass 1, with (unsent, dirtied) known in closed form.

    Pass 0 sends 2 GiB in 2 s and dirties the whole 1 GiB working set; 0.5 s into pass 1 half
    of it is unsent and 0.25 GiB has been dirtied again.
    """
    t = live(2 * GIB, 0.5 * B, 1 * GIB)
    at = SETUP + 2.0 + 0.5
    tr.advance([t], NIC, 0.0, at, P)
    assert t.pass_index == 1
    return t, at, 0.5 * GIB + 0.25 * GIB - 0.5 * 0.25 * GIB


def test_post_copy_pulls_the_union_of_the_unsent_pass_and_the_pages_dirtied_since() -> None:
    t, at, union = hot_mid_pass()
    assert tr.view(t).memory_remaining_bytes == pytest.approx(union)
    sent_before = t.bytes_sent

    tr.start_post_copy(t, at)
    tr.advance([t], NIC, at, 60.0, P)

    assert t.bytes_sent - sent_before == pytest.approx(union)
    assert t.finished_at == pytest.approx(at + P.postcopy_switch_s + union / B)


def test_max_postcopy_bandwidth_holds_the_pull_to_its_rate() -> None:
    slow = ModelParams(postcopy_bandwidth_bytes_per_s=0.25 * GIB)
    t, at, union = hot_mid_pass()
    tr.start_post_copy(t, at)
    tr.advance([t], NIC, at, 60.0, slow)
    assert t.finished_at == pytest.approx(at + slow.postcopy_switch_s + union / (0.25 * GIB))


def test_force_complete_sends_the_pending_set_once() -> None:
    t, at, union = hot_mid_pass()
    sent_before = t.bytes_sent
    tr.force_complete(t, at)
    tr.advance([t], NIC, at, 60.0, P)
    assert t.bytes_sent - sent_before == pytest.approx(union)
    assert t.downtime_s == pytest.approx(union / B + SWITCH)


def test_the_pending_set_never_exceeds_the_working_set_mid_pass() -> None:
    wss = 512 * MIB
    t = live(2 * GIB, 2 * B, wss)
    now = 0.0
    for _ in range(400):
        tr.advance([t], NIC, now, now + 0.037, P)
        now += 0.037
        if t.pass_index > 0:
            remaining = tr.view(t).memory_remaining_bytes
            assert max(t.pass_left, t.dirtied) <= remaining * (1 + 1e-12)
            assert remaining <= wss * (1 + 1e-12)


# -- sharing ----------------------------------------------------------------------------------


def test_two_migrations_sharing_a_source_nic_each_take_twice_as_long() -> None:
    z = 2 * GIB
    alone = live(z, 0.0, 0.0)
    run([alone], 60.0)
    a = live(z, 0.0, 0.0, id="a")
    b = live(z, 0.0, 0.0, id="b", dest="dst2")
    run([a, b], 60.0)

    assert alone.finished_at == pytest.approx(SETUP + z / B + SWITCH)
    for t in (a, b):
        assert t.finished_at == pytest.approx(SETUP + 2 * z / B + SWITCH)
        assert t.finished_at is not None and alone.finished_at is not None
        assert (t.finished_at - SETUP) / (alone.finished_at - SETUP) == pytest.approx(2, rel=0.03)


def test_when_one_sharer_finishes_the_other_gets_the_whole_link() -> None:
    small = live(2 * GIB, 0.0, 0.0, id="small")
    big = live(4 * GIB, 0.0, 0.0, id="big", dest="dst2")
    finished = run([small, big], 60.0)
    # Half the link each until small has sent 2 GiB (4 s); big then sends its last 2 GiB alone.
    assert small.finished_at == pytest.approx(SETUP + 4.0 + SWITCH)
    assert big.finished_at == pytest.approx(SETUP + 6.0 + SWITCH)
    assert finished == [small, big]


def test_a_migration_in_setup_takes_no_share_of_the_link() -> None:
    first = live(4 * GIB, 0.0, 0.0, id="first")
    late = live(4 * GIB, 0.0, 0.0, id="late", dest="dst2", now=2.0)
    tr.advance([first], NIC, 0.0, 2.0, P)
    tr.advance([first, late], NIC, 2.0, 60.0, P)
    # first sends alone from 5 s to 7 s (2 GiB); both share from 7 s, first's last 2 GiB at
    # half speed ends at 11 s; late then has 2 GiB left, alone: 13 s.
    assert first.finished_at == pytest.approx(11.0 + SWITCH)
    assert late.finished_at == pytest.approx(13.0 + SWITCH)


def test_two_stop_and_copies_at_once_share_the_link() -> None:
    # Each gets B/2: pass 0 sends 2 GiB in 4 s dirtying 0.4 GiB; pass 1 takes 0.8 s and leaves
    # 0.08 GiB, under the 0.15 GiB that B/2 × 300 ms allows; both copy it at B/2 together.
    a = live(2 * GIB, 0.1 * GIB, 8 * GIB, id="a")
    b = live(2 * GIB, 0.1 * GIB, 8 * GIB, id="b", dest="dst2")
    run([a, b], 60.0)
    final = 0.1 * GIB * 0.8
    for t in (a, b):
        assert t.downtime_s == pytest.approx(final / (B / 2) + SWITCH)
        assert t.finished_at == pytest.approx(SETUP + 4.0 + 0.8 + final / (B / 2) + SWITCH)


def test_a_stop_and_copy_is_not_held_to_the_stream_cap_but_leaves_a_neighbour_its_share() -> None:
    link = 4 * GIB
    nic = {"a": link, "b": link, "c": link}
    cap = P.stream_cap_bytes_per_s
    # Pass 0 sends cap bytes in 1 s dirtying cap/2; pass 1 takes 0.5 s and leaves cap/4, under
    # the 0.3 × cap the stop rule allows. The idle neighbour keeps its capped share meanwhile.
    calm = live(cap, cap / 2, 8 * GIB, id="calm", source="a", dest="b")
    idle = live(20 * GIB, 0.0, 0.0, id="idle", source="a", dest="c")
    run([calm, idle], 5.0 + 3.0, nic)
    assert calm.downtime_s == pytest.approx((cap / 4) / (link - cap) + SWITCH)


# -- controls and failures --------------------------------------------------------------------


def test_abort_cancels_at_once_and_nothing_moves_afterwards() -> None:
    t = live(4 * GIB, 0.0, 0.0)
    tr.advance([t], NIC, 0.0, 6.0, P)
    tr.abort(t, 6.0)
    sent = t.bytes_sent
    finished = run([t], 60.0)
    assert t.status == MigrationStatus.CANCELLED
    assert t.finished_at == 6.0
    assert sent == pytest.approx(1 * GIB)
    assert t.bytes_sent == sent
    assert finished == []
    with pytest.raises(ValueError, match="already cancelled"):
        tr.abort(t, 7.0)


def test_post_copy_cannot_be_aborted() -> None:
    t = live(2 * GIB, 2 * B, 1 * GIB)
    tr.advance([t], NIC, 0.0, 10.0, P)
    tr.start_post_copy(t, 10.0)
    with pytest.raises(ValueError, match="post-copy"):
        tr.abort(t, 10.0)


def test_an_injected_failure_strikes_at_its_fraction_of_the_bytes() -> None:
    t = live(4 * GIB, 0.0, 0.0, fail_at_fraction=0.5)
    finished = run([t], 60.0)
    assert finished == [t]
    assert t.status == MigrationStatus.FAILED
    assert t.error == "injected migration failure"
    assert t.finished_at == pytest.approx(SETUP + 2 * GIB / B)
    assert t.bytes_sent == pytest.approx(2 * GIB)


def test_controls_that_do_not_apply_say_why() -> None:
    t = live(4 * GIB, 0.0, 0.0)
    with pytest.raises(ValueError, match="preparing, not running"):
        tr.force_complete(t, 0.0)
    with pytest.raises(ValueError, match="preparing, not running"):
        tr.start_post_copy(t, 0.0)
    with pytest.raises(ValueError, match="downtime limit"):
        tr.set_downtime_limit(t, -1.0)
    cold = tr.new_cold(
        id="c", instance_id="i", source="src", dest="dst", cold_bytes=GIB, now=0.0, params=P
    )
    with pytest.raises(ValueError, match="cold migration, not live"):
        tr.enable_auto_converge(cold)
    with pytest.raises(ValueError, match="not finished"):
        tr.confirm(cold, 0.0)


def test_a_missing_nic_speed_is_a_clear_error() -> None:
    t = live(GIB, 0.0, 0.0)
    with pytest.raises(ValueError, match="no NIC speed for host 'src'"):
        tr.advance([t], {"dst": GIB}, 0.0, 10.0, P)


def test_a_cold_migration_prepares_copies_and_waits_for_confirmation() -> None:
    size = 20 * GIB
    t = tr.new_cold(
        id="c", instance_id="i", source="src", dest="dst", cold_bytes=size, now=0.0, params=P
    )
    statuses: list[str] = []
    finished: list[tr.Transfer] = []
    for start, end in ((0.0, 5.0), (5.0, 15.0), (15.0, 60.0)):
        tr.advance([t], NIC, start, end, P, on_finish=finished.append)
        statuses.append(t.status)
    assert statuses == ["preparing", "running", "finished"]
    assert finished == [t]
    assert t.kind == MigrationKind.COLD
    assert t.finished_at == pytest.approx(P.cold_setup_s + size / B)
    assert tr.view(t).memory_processed_bytes == pytest.approx(size)
    tr.confirm(t, 70.0)
    assert t.status == MigrationStatus.COMPLETED


def test_an_evacuation_runs_for_its_fixed_time_without_the_network() -> None:
    t = tr.new_evacuation(id="e", instance_id="i", source="dead", dest="dst", now=3.0, params=P)
    finished: list[tr.Transfer] = []
    tr.advance([t], {}, 3.0, 100.0, P, on_finish=finished.append)
    assert finished == [t]
    assert t.status == MigrationStatus.COMPLETED
    assert t.finished_at == pytest.approx(3.0 + P.evacuation_s)


# -- persistence ------------------------------------------------------------------------------


def test_a_transfer_saved_mid_flight_continues_exactly_as_one_that_was_not() -> None:
    def fleet() -> list[tr.Transfer]:
        hot = live(1 * GIB, 1.6 * B, 1 * GIB, id="hot")
        tr.enable_auto_converge(hot)
        calm = live(8 * GIB, 0.2 * B, 2 * GIB, id="calm", dest="dst2")
        return [hot, calm]

    whole = fleet()
    tr.advance(whole, NIC, 0.0, 200.0, P)

    split = fleet()
    tr.advance(split, NIC, 0.0, 17.123, P)
    assert all(t.status == MigrationStatus.RUNNING for t in split)
    restored = [tr.Transfer.from_dict(json.loads(json.dumps(t.to_dict()))) for t in split]
    assert restored == split
    tr.advance(restored, NIC, 17.123, 200.0, P)

    for a, b in zip(whole, restored, strict=True):
        assert a.status == b.status == MigrationStatus.COMPLETED
        for f in fields(tr.Transfer):
            x, y = getattr(a, f.name), getattr(b, f.name)
            if isinstance(x, float):
                assert y == pytest.approx(x, rel=1e-6, abs=1e-9), f.name
            elif isinstance(x, list):
                assert y == pytest.approx(x, rel=1e-6), f.name
            else:
                assert x == y, f.name


def test_a_first_throttle_of_the_callers_choosing_comes_first_and_ends_the_passes_sooner() -> None:
    # A guest dirtying 1.6× what its stream sends: from QEMU's 20 % the throttle must climb
    # through many stalled passes; started at 90 % the passes stop soon after it bites.
    z = wss = 1 * GIB
    default, chosen = live(z, 1.6 * B, wss, id="m1"), live(z, 1.6 * B, wss, id="m2")
    tr.enable_auto_converge(default)
    tr.enable_auto_converge(chosen, 0.9)
    run([default], 1000.0)
    run([chosen], 1000.0)

    assert chosen.status == default.status == MigrationStatus.COMPLETED
    assert chosen.throttle == pytest.approx(0.9)  # the first step, nothing added after it
    assert default.throttle > 0.2
    assert chosen.bytes_sent < default.bytes_sent
    assert chosen.finished_at is not None and default.finished_at is not None
    assert chosen.finished_at < default.finished_at


@pytest.mark.parametrize("initial", [0.0, 1.0, -0.5, 1.5])
def test_a_first_throttle_outside_what_qemu_takes_is_refused(initial: float) -> None:
    t = live(1 * GIB, B, 1 * GIB)
    with pytest.raises(ValueError, match="initial throttle"):
        tr.enable_auto_converge(t, initial)
    assert not t.auto_converge
