"""A migration as the simulated cloud stores it (``Transfer``), how it starts, and how the
Cloud port reports it (``view``).

Every field is a plain JSON value so that ``from_dict(to_dict(t)) == t`` exactly; the clock
(``clock.advance``) and the controls (``controls``) mutate it in place.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any

from vacate.clouds.sim.params import ModelParams
from vacate.domain.model import HostName, InstanceId, MigrationId, Workload
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
    #: Auto-converge's first throttle for this migration (``None``: ``params``' default).
    throttle_initial: float | None = None
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
