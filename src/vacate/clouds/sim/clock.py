"""The event-driven clock that moves every migration in flight (DESIGN §5).

Between two events (a pass ends, a setup ends, a migration starts or stops sending) every rate
is constant, so each transfer's bytes and dirtied memory are exact linear functions of time.
``advance`` jumps from event to event and recomputes the max-min allocation only when the set
of sending flows changes; a non-converging guest costs one cheap event per pass.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping

from vacate.clouds.sim.params import ModelParams
from vacate.clouds.sim.record import (
    _COLD,
    _COMPLETED,
    _DONE,
    _EVACUATION,
    _FAILED,
    _FINISHED,
    _POST_COPY,
    _PREPARING,
    _RUNNING,
    INJECTED_FAILURE,
    Transfer,
)
from vacate.planning.sharing import Flow, Link, allocate

#: Events closer than this (seconds) to the earliest one happen together with it ...
_TIME_EPS = 1e-9
#: ... plus this much relative to the clock's value (float resolution of a large ``now``).
_REL_EPS = 1e-12

# Phases: what a transfer does between two events. Every phase that moves bytes takes a share
# of the links; "stopcopy" and "pull" are not held to the stream cap.

_SETUP = "setup"  # live/cold preparing, or an evacuation running: a countdown, no bytes
_PRECOPY = "precopy"
_STOPCOPY = "stopcopy"  # the guest is stopped: the final pending set goes
_HANDOVER = "handover"  # the fixed switch-over after the final copy: no bytes
_SWITCH = "switch"  # post-copy switch: no bytes
_PULL = "pull"  # post-copy pulls, held to max-postcopy-bandwidth only
_COPY = "copy"  # cold copy
_IDLE = "idle"
_SHARING = frozenset({_PRECOPY, _STOPCOPY, _COPY, _PULL})

_FAIL = "fail"


def _phase(t: Transfer) -> str:
    if t.status == _PREPARING or (t.kind == _EVACUATION and t.status == _RUNNING):
        return _SETUP
    if t.status == _POST_COPY:
        # downtime_s is set the moment the switch completes and the guest runs on the dest.
        return _SWITCH if t.downtime_s is None else _PULL
    if t.status == _RUNNING:
        if t.kind == _COLD:
            return _COPY
        if t.stopcopy_until is not None:
            return _HANDOVER
        return _PRECOPY if t.stopcopy_started_at is None else _STOPCOPY
    return _IDLE


def _nic(nic_bytes_per_s: Mapping[str, float], host: str | None) -> float:
    if host is None:
        raise ValueError("a migration that moves bytes needs a destination host")
    speed = nic_bytes_per_s.get(host)
    if speed is None:
        raise ValueError(f"no NIC speed for host {host!r}")
    if not (speed > 0 and math.isfinite(speed)):
        raise ValueError(f"NIC speed of host {host!r} must be finite and > 0, not {speed}")
    return speed


def _allocate(
    sending: list[tuple[Transfer, str]], nic_bytes_per_s: Mapping[str, float], params: ModelParams
) -> dict[str, float]:
    flows: list[Flow] = []
    capacity: dict[Link, float] = {}
    for t, phase in sending:
        out_speed, in_speed = _nic(nic_bytes_per_s, t.source), _nic(nic_bytes_per_s, t.dest)
        assert t.dest is not None  # _nic raised otherwise
        out_link, in_link = (t.source, "out"), (t.dest, "in")
        capacity[out_link], capacity[in_link] = out_speed, in_speed
        if phase == _PULL:
            cap = params.postcopy_cap_bytes_per_s
        elif phase == _STOPCOPY:
            cap = math.inf
        else:
            cap = params.stream_cap_bytes_per_s
        flows.append(Flow(t.id, (out_link, in_link), cap))
    return allocate(flows, capacity)


def _total_bytes(t: Transfer) -> float:
    return t.cold_bytes if t.kind == _COLD else t.touched_bytes


def _next_event(t: Transfer, phase: str, rate: float, now: float, params: ModelParams) -> float:
    """Seconds from ``now`` to this transfer's next event (math.inf if none)."""
    if phase == _SETUP:
        return t.setup_left_s
    if phase == _SWITCH:
        assert t.postcopy_started_at is not None
        return max(0.0, t.postcopy_started_at + params.postcopy_switch_s - now)
    if phase == _HANDOVER:
        assert t.stopcopy_until is not None
        return max(0.0, t.stopcopy_until - now)
    if phase in (_PRECOPY, _STOPCOPY, _COPY):
        return t.pass_left / rate if rate > 0 else math.inf
    if phase == _PULL:
        return t.postcopy_left / rate if rate > 0 else math.inf
    return math.inf


def _fail_event(t: Transfer, phase: str, rate: float) -> float:
    """Seconds until injected failure strikes in this phase (math.inf if not in it)."""
    if t.fail_at_fraction is None or phase not in (_PRECOPY, _COPY, _PULL, _STOPCOPY):
        return math.inf
    gap = t.fail_at_fraction * _total_bytes(t) - t.bytes_sent
    if gap <= 0:
        return 0.0
    left = t.postcopy_left if phase == _PULL else t.pass_left
    if rate <= 0 or gap > left:
        return math.inf  # not reached before this phase's own event
    return gap / rate


def _dirty_rate(t: Transfer, params: ModelParams) -> float:
    """Bytes/s the guest dirties now: none when paused, less under auto-converge's throttle."""
    if t.paused:
        return 0.0
    if t.throttle <= 0:
        return t.dirty_rate
    return t.dirty_rate * (1.0 - t.throttle) * params.throttled_dirty_share


def _integrate(t: Transfer, phase: str, rate: float, dt: float, params: ModelParams) -> None:
    """Move ``t`` forward by ``dt`` seconds at constant ``rate`` (no event inside)."""
    if dt <= 0:
        return
    if phase == _SETUP:
        t.setup_left_s = max(0.0, t.setup_left_s - dt)
    elif phase in (_PRECOPY, _COPY, _STOPCOPY):
        sent = min(t.pass_left, rate * dt)
        t.pass_left -= sent
        t.bytes_sent += sent
        if phase == _PRECOPY:
            t.dirtied = min(t.wss_bytes, t.dirtied + _dirty_rate(t, params) * dt)
    elif phase == _PULL:
        sent = min(t.postcopy_left, rate * dt)
        t.postcopy_left -= sent
        t.bytes_sent += sent


def _end_pass(t: Transfer, now: float, params: ModelParams) -> None:
    """A pre-copy pass has sent its last byte: apply auto-converge, then the stop rule."""
    pending = t.dirtied
    duration = now - t.pass_started_at
    if t.auto_converge and t.dirtied > params.autoconverge_trigger * t.pass_bytes:
        t.high_dirty_passes += 1
        if t.high_dirty_passes % 2 == 0:
            first = t.high_dirty_passes == 2
            initial = (
                params.autoconverge_initial if t.throttle_initial is None else t.throttle_initial
            )
            step = initial if first else t.throttle + params.autoconverge_step
            t.throttle = min(params.autoconverge_max, step)
    budget = t.downtime_limit_ms / 1000.0
    # QEMU's rule, with the bandwidth measured over this pass (unbounded for an instant pass).
    converged = pending <= t.pass_bytes / duration * budget if duration > 0 else budget > 0
    if pending < params.page_bytes or converged:
        t.pass_left = pending
        t.dirtied = 0.0
        t.stopcopy_started_at = now
        return
    t.pass_index += 1
    t.pass_remaining.append(pending)
    if len(t.pass_remaining) > params.pass_history:
        del t.pass_remaining[: len(t.pass_remaining) - params.pass_history]
    t.pass_bytes = pending
    t.pass_left = pending
    t.dirtied = 0.0
    t.pass_started_at = now


def _apply_event(t: Transfer, phase: str, now: float, params: ModelParams) -> bool:
    """Apply ``t``'s due event; return True if it just ended (terminal or cold ``finished``)."""
    if phase == _FAIL:
        t.status = _FAILED
        t.error = INJECTED_FAILURE
        t.finished_at = now
        return True
    if phase == _SETUP:
        t.setup_left_s = 0.0
        if t.kind == _EVACUATION:
            if t.fail_at_fraction is not None:
                t.status, t.error = _FAILED, INJECTED_FAILURE
            else:
                t.status = _COMPLETED
            t.finished_at = now
            return True
        t.status = _RUNNING
        t.pass_index = 0
        t.pass_bytes = t.pass_left = _total_bytes(t)
        t.pass_started_at = now
        t.dirtied = 0.0
        return False
    if phase == _SWITCH:
        t.downtime_s = params.switchover_s
        return False
    if phase == _PULL:
        t.bytes_sent += t.postcopy_left
        t.postcopy_left = 0.0
        t.status = _COMPLETED
        t.finished_at = now
        return True
    # The rest end a byte phase: what is left of it is float dust.
    t.bytes_sent += t.pass_left
    t.pass_left = 0.0
    if phase == _COPY:
        t.status = _FINISHED
        t.finished_at = now
        return True
    if phase == _STOPCOPY:
        t.stopcopy_until = now + params.switchover_s
        return False
    if phase == _HANDOVER:
        stopped_at = t.paused_at if t.paused_at is not None else t.stopcopy_started_at
        if stopped_at is not None:
            t.downtime_s = now - stopped_at
        t.status = _COMPLETED
        t.finished_at = now
        return True
    _end_pass(t, now, params)
    return False


def advance(
    transfers: list[Transfer],
    nic_bytes_per_s: Mapping[str, float],
    start: float,
    end: float,
    params: ModelParams,
    *,
    on_finish: Callable[[Transfer], None] | None = None,
) -> None:
    """Move every unfinished transfer from ``start`` to ``end``, event by event.

    ``nic_bytes_per_s`` gives each host's NIC speed (full duplex: the same figure ``out`` and
    ``in``). ``on_finish(t)`` is called once, in event order, when ``t`` becomes completed,
    failed, cancelled or (cold) finished during this call.
    """
    if not end >= start:
        raise ValueError(f"cannot advance backwards: start {start} > end {end}")
    now = start
    active = [t for t in transfers if t.status not in _DONE]
    key: tuple[tuple[str, str], ...] | None = None
    rates: dict[str, float] = {}
    # Each transfer has only a few instantaneous events in a row (setup → pass → stop → done);
    # many more without time moving would be a bug in this module: fail loudly, never hang.
    max_still = 100 + 10 * len(active)
    still = 0
    while active:
        phases = [_phase(t) for t in active]
        sending = [(t, p) for t, p in zip(active, phases, strict=True) if p in _SHARING]
        new_key = tuple((t.id, p) for t, p in sending)
        if new_key != key:
            rates = _allocate(sending, nic_bytes_per_s, params)
            key = new_key
        steps: list[tuple[Transfer, str, float, float]] = []  # transfer, phase, rate, dt
        for t, p in zip(active, phases, strict=True):
            rate = rates.get(t.id, 0.0)
            steps.append((t, p, rate, _next_event(t, p, rate, now, params)))
        first = min(s[3] for s in steps)
        fail_first = min(_fail_event(t, p, r) for t, p, r, _ in steps)
        first = min(first, fail_first)
        horizon = end - now
        tol = _TIME_EPS + _REL_EPS * abs(now)
        if first > horizon + tol:
            for t, p, r, _ in steps:
                _integrate(t, p, r, horizon, params)
            return
        dt = max(0.0, min(first, horizon))
        still = still + 1 if dt == 0 else 0
        if still > max_still:
            raise RuntimeError(f"migration model stuck at t={now}: no event moves time forward")
        for t, p, r, _ in steps:
            _integrate(t, p, r, dt, params)
        now = end if dt == horizon else now + dt
        ended = False
        for t, p, r, t_dt in steps:
            label = _FAIL if _fail_event(t, p, r) <= tol else p
            if label != _FAIL and t_dt > dt + tol:
                continue
            if _apply_event(t, label, now, params):
                ended = True
                if on_finish is not None:
                    on_finish(t)
        if ended:
            active = [t for t in active if t.status not in _DONE]
