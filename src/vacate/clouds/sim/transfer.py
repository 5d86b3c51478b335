"""One migration's state machine and the event-driven clock that moves all of them (DESIGN §5).

Why event-driven: between two events (a pass ends, a setup ends, a migration starts or stops
sending) every rate is constant, so each transfer's bytes and dirtied memory are exact linear
functions of time (dirtied memory clamped at the working set, which ``min`` composes exactly).
``advance`` therefore jumps from event to event and recomputes the max-min allocation only when
the set of sending flows changes; a non-converging guest costs one cheap event per pass.

The live model is QEMU's: pass 0 sends the touched bytes, each later pass what the guest dirtied
during the previous one (at most its working set); a pass that ends with
``pending <= measured_bandwidth × downtime_limit`` is followed by a stop-and-copy and a fixed
switch-over. The stop-and-copy is not held to the stream cap (``max-bandwidth``) but it shares the
links with every other stream on them, as does post-copy's pull (held to
``max-postcopy-bandwidth`` when set). Auto-converge, post-copy, force-complete (pause) and abort
are the controls.

Mid-pass, the pending set is the *union* of the pass's unsent pages and the pages dirtied since
it began, not their sum: both lie in the same memory, so a page that is unsent and dirtied again
is still one page. That union is what a post-copy switch pulls, what a paused guest still owes
and what ``remaining`` reports; a running guest's next pass still re-sends every page dirtied
during this one (the dirty log is read once per pass).

A ``Transfer`` is a mutable record that the simulated cloud persists as JSON; every field is a
plain JSON value so that ``from_dict(to_dict(t)) == t`` exactly.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from typing import Any

from vacate.clouds.sim.params import ModelParams
from vacate.domain.model import HostName, InstanceId, MigrationId, Workload
from vacate.planning.sharing import Flow, Link, allocate
from vacate.ports.cloud import Migration, MigrationKind, MigrationStatus

_LIVE = MigrationKind.LIVE.value
_COLD = MigrationKind.COLD.value
_EVACUATION = MigrationKind.EVACUATION.value

_PREPARING = MigrationStatus.PREPARING.value
_RUNNING = MigrationStatus.RUNNING.value
_POST_COPY = MigrationStatus.POST_COPY.value
_FINISHED = MigrationStatus.FINISHED.value
_COMPLETED = MigrationStatus.COMPLETED.value
_FAILED = MigrationStatus.FAILED.value
_CANCELLED = MigrationStatus.CANCELLED.value
_DONE = frozenset({_FINISHED, _COMPLETED, _FAILED, _CANCELLED})

INJECTED_FAILURE = "injected migration failure"

#: Events closer than this (seconds) to the earliest one happen together with it ...
_TIME_EPS = 1e-9
#: ... plus this much relative to the clock's value (float resolution of a large ``now``).
_REL_EPS = 1e-12


@dataclass(kw_only=True)
class Transfer:
    """A migration in flight, as the simulated cloud stores it. Mutated by ``advance``."""

    id: str
    instance_id: str
    kind: str  # MigrationKind value
    source: str
    dest: str | None
    status: str  # MigrationStatus value
    created_at: float
    finished_at: float | None = None
    # -- what the guest does (live) or what must be copied (cold) --
    touched_bytes: float = 0.0
    dirty_rate: float = 0.0
    wss_bytes: float = 0.0
    cold_bytes: float = 0.0
    # -- fixed-time phases --
    #: Seconds left of ``preparing`` (live, cold) or of an evacuation's ``running``.
    setup_left_s: float = 0.0
    # -- pre-copy passes (a cold copy uses pass_bytes / pass_left for its single copy) --
    pass_index: int = 0
    pass_bytes: float = 0.0
    pass_left: float = 0.0
    pass_started_at: float = 0.0
    #: Bytes dirtied since this pass started, at most ``wss_bytes``.
    dirtied: float = 0.0
    bytes_sent: float = 0.0
    #: Pending bytes at the end of each finished pass that led to another pass (newest last).
    pass_remaining: list[float] = field(default_factory=list)
    # -- controls --
    downtime_limit_ms: float = 0.0
    throttle: float = 0.0
    auto_converge: bool = False
    high_dirty_passes: int = 0
    paused: bool = False
    paused_at: float | None = None
    postcopy: bool = False
    #: When post-copy was started; pages flow ``params.postcopy_switch_s`` later.
    postcopy_started_at: float | None = None
    postcopy_left: float = 0.0
    #: When the guest stopped for the final stop-and-copy; None before it.
    stopcopy_started_at: float | None = None
    #: When the switch-over after the final copy ends; None until its last byte is sent.
    stopcopy_until: float | None = None
    downtime_s: float | None = None
    error: str | None = None
    #: Failure injection: fail once ``bytes_sent >= fail_at_fraction × total``; None = never.
    fail_at_fraction: float | None = None

    def to_dict(self) -> dict[str, Any]:
        # Field by field (``asdict`` deep-copies each value): saving a state calls this often.
        d = {name: getattr(self, name) for name in _FIELD_NAMES}
        d["pass_remaining"] = list(self.pass_remaining)
        return d

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Transfer:
        known = {f.name for f in fields(cls)}
        unknown = set(d) - known
        if unknown:
            raise ValueError(f"unknown Transfer fields: {', '.join(sorted(unknown))}")
        values = dict(d)
        values["pass_remaining"] = [float(x) for x in values.get("pass_remaining", [])]
        return cls(**values)


_FIELD_NAMES = tuple(f.name for f in fields(Transfer))


# -- constructors -----------------------------------------------------------------------------


def new_live(
    *,
    id: str,
    instance_id: str,
    source: str,
    dest: str,
    workload: Workload,
    now: float,
    params: ModelParams,
    downtime_limit_ms: float | None = None,
    fail_at_fraction: float | None = None,
) -> Transfer:
    """A live migration, ``preparing`` for ``params.live_setup_s`` before pass 0."""
    limit = params.default_downtime_limit_ms if downtime_limit_ms is None else downtime_limit_ms
    _check_limit(limit)
    _check_fraction(fail_at_fraction)
    for name in ("touched_bytes", "dirty_rate", "wss_bytes"):
        if not getattr(workload, name) >= 0:
            raise ValueError(f"workload {name} must be >= 0")
    return Transfer(
        id=id,
        instance_id=instance_id,
        kind=_LIVE,
        source=source,
        dest=dest,
        status=_PREPARING,
        created_at=now,
        touched_bytes=workload.touched_bytes,
        dirty_rate=workload.dirty_rate,
        wss_bytes=workload.wss_bytes,
        setup_left_s=params.live_setup_s,
        downtime_limit_ms=limit,
        fail_at_fraction=fail_at_fraction,
    )


def new_cold(
    *,
    id: str,
    instance_id: str,
    source: str,
    dest: str,
    cold_bytes: float,
    now: float,
    params: ModelParams,
    fail_at_fraction: float | None = None,
) -> Transfer:
    """A cold migration: ``preparing``, then a copy of ``cold_bytes``, then ``finished``."""
    if not cold_bytes >= 0:
        raise ValueError("cold_bytes must be >= 0")
    _check_fraction(fail_at_fraction)
    return Transfer(
        id=id,
        instance_id=instance_id,
        kind=_COLD,
        source=source,
        dest=dest,
        status=_PREPARING,
        created_at=now,
        cold_bytes=cold_bytes,
        setup_left_s=params.cold_setup_s,
        fail_at_fraction=fail_at_fraction,
    )


def new_evacuation(
    *,
    id: str,
    instance_id: str,
    source: str,
    dest: str | None,
    now: float,
    params: ModelParams,
    fail_at_fraction: float | None = None,
) -> Transfer:
    """An evacuation: ``running`` for ``params.evacuation_s``, no network.

    With ``fail_at_fraction`` set it fails after that fraction of ``evacuation_s``.
    """
    _check_fraction(fail_at_fraction)
    left = params.evacuation_s
    if fail_at_fraction is not None:
        left = params.evacuation_s * min(1.0, fail_at_fraction)
    return Transfer(
        id=id,
        instance_id=instance_id,
        kind=_EVACUATION,
        source=source,
        dest=dest,
        status=_RUNNING,
        created_at=now,
        setup_left_s=left,
        fail_at_fraction=fail_at_fraction,
    )


def _check_limit(ms: float) -> None:
    if not (ms >= 0 and math.isfinite(ms)):
        raise ValueError(f"downtime limit must be a finite number of milliseconds >= 0, not {ms}")


def _check_fraction(fraction: float | None) -> None:
    if fraction is not None and not fraction >= 0:
        raise ValueError(f"fail_at_fraction must be >= 0 or None, not {fraction}")


# -- the view ---------------------------------------------------------------------------------


def pending_union(unsent: float, dirtied: float, universe: float) -> float:
    """The expected size of the union of a pass's unsent pages and the pages dirtied since.

    Why a union: both sets lie in the guest's memory, and nothing ties where the guest writes to
    the order in which pages are sent, so the dirtied pages fall among the unsent ones in
    proportion ``unsent / universe``. ``universe`` is the larger of the pass and the writable
    working set (the set that holds both); the result is at most ``universe``.
    """
    if universe <= 0:
        return unsent + dirtied
    return unsent + dirtied - unsent * dirtied / universe


def _pending(t: Transfer) -> float:
    return pending_union(t.pass_left, t.dirtied, max(t.pass_bytes, t.wss_bytes))


def remaining_bytes(t: Transfer) -> float:
    """What is left to send: the pending set (pre-copy) or what post-copy has yet to pull."""
    if t.status in (_COMPLETED, _FINISHED):
        return 0.0
    if t.postcopy:
        return t.postcopy_left
    return _pending(t)


def view(t: Transfer) -> Migration:
    """The migration as the Cloud port reports it.

    For a cold migration the ``memory_*`` figures describe its copy (``cold_bytes``).
    """
    return Migration(
        id=MigrationId(t.id),
        instance_id=InstanceId(t.instance_id),
        kind=MigrationKind(t.kind),
        source=HostName(t.source),
        dest=None if t.dest is None else HostName(t.dest),
        status=MigrationStatus(t.status),
        created_at=t.created_at,
        finished_at=t.finished_at,
        memory_total_bytes=t.cold_bytes if t.kind == _COLD else t.touched_bytes,
        memory_processed_bytes=t.bytes_sent,
        memory_remaining_bytes=remaining_bytes(t),
        passes=t.pass_index,
        pass_remaining=tuple(t.pass_remaining),
        downtime_limit_ms=t.downtime_limit_ms,
        throttle=t.throttle,
        auto_converge=t.auto_converge,
        paused=t.paused,
        downtime_s=t.downtime_s,
        error=t.error,
    )


# -- controls ---------------------------------------------------------------------------------
# Each one expects the transfer to have been advanced to ``now``. Asking for a state the
# migration is already in changes nothing (a retried control is harmless); a control that does
# not apply raises ValueError saying why.


def _require_live(t: Transfer, action: str) -> None:
    if t.kind != _LIVE:
        raise ValueError(f"cannot {action}: migration {t.id} is a {t.kind} migration, not live")
    if t.status in _DONE:
        raise ValueError(f"cannot {action}: migration {t.id} is already {t.status}")


def _require_precopy(t: Transfer, action: str) -> None:
    _require_live(t, action)
    if t.status != _RUNNING:
        raise ValueError(f"cannot {action}: migration {t.id} is {t.status}, not running")
    if t.stopcopy_started_at is not None:
        raise ValueError(f"cannot {action}: migration {t.id} is in its final stop-and-copy")


def set_downtime_limit(t: Transfer, ms: float) -> None:
    """Change the stop rule's downtime budget (preparing or pre-copy)."""
    _require_live(t, "set the downtime limit")
    if t.postcopy:
        raise ValueError(f"cannot set the downtime limit: migration {t.id} is in post-copy")
    _check_limit(ms)
    t.downtime_limit_ms = float(ms)


def enable_auto_converge(t: Transfer) -> None:
    """Throttle the guest from the next qualifying pass on (preparing or pre-copy)."""
    _require_live(t, "enable auto-converge")
    if t.postcopy:
        raise ValueError(f"cannot enable auto-converge: migration {t.id} is in post-copy")
    t.auto_converge = True


def start_post_copy(t: Transfer, now: float) -> None:
    """Switch the guest to the destination and pull the pending set there.

    The pull is held to ``max-postcopy-bandwidth`` (when set), not to the stream cap.
    """
    if t.postcopy and t.status == _POST_COPY:
        return
    _require_precopy(t, "start post-copy")
    t.postcopy = True
    t.status = _POST_COPY
    t.postcopy_left = _pending(t)
    t.pass_left = 0.0
    t.dirtied = 0.0
    t.postcopy_started_at = now


def force_complete(t: Transfer, now: float) -> None:
    """Pause the guest: dirtying stops, so the passes converge; downtime counts from now.

    The unsent pages now go with their final content, so only the pages dirtied after they
    were sent are still owed: what is left is the pending set, once.
    """
    if t.paused and t.status == _RUNNING:
        return
    _require_precopy(t, "force completion")
    t.dirtied = max(0.0, _pending(t) - t.pass_left)
    t.paused = True
    t.paused_at = now


def abort(t: Transfer, now: float) -> None:
    """Cancel at once; the guest stays on the source."""
    if t.status in _DONE:
        raise ValueError(f"cannot abort: migration {t.id} is already {t.status}")
    if t.status == _POST_COPY:
        raise ValueError(
            f"cannot abort: migration {t.id} is in post-copy (the guest already runs on the "
            "destination)"
        )
    t.status = _CANCELLED
    t.finished_at = now


def fail(t: Transfer, now: float, reason: str) -> None:
    """End in failure with ``reason`` (e.g. the source or destination went down)."""
    if t.status in _DONE - {_FINISHED}:
        raise ValueError(f"cannot fail: migration {t.id} is already {t.status}")
    t.status = _FAILED
    t.finished_at = now
    t.error = reason


def confirm(t: Transfer, now: float) -> None:
    """Confirm a ``finished`` cold migration (Nova's confirm-resize): it becomes completed."""
    if t.status != _FINISHED:
        raise ValueError(f"cannot confirm: migration {t.id} is {t.status}, not finished")
    t.status = _COMPLETED
    t.finished_at = now


# -- the clock --------------------------------------------------------------------------------
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
            step = params.autoconverge_initial if first else t.throttle + params.autoconverge_step
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
