"""The controls of a migration in flight: downtime limit, auto-converge, post-copy,
force-complete (pause), abort; and the ends the cloud imposes (fail, confirm).

Each one expects the transfer to have been advanced to ``now``. Asking for a state the
migration is already in changes nothing (a retried control is harmless); a control that does
not apply raises ValueError saying why.
"""

from __future__ import annotations

from vacate.clouds.sim.record import (
    _CANCELLED,
    _COMPLETED,
    _DONE,
    _FAILED,
    _FINISHED,
    _LIVE,
    _POST_COPY,
    _RUNNING,
    Transfer,
    _check_limit,
    _pending,
)

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


def enable_auto_converge(t: Transfer, initial: float | None = None) -> None:
    """Throttle the guest from the next qualifying pass on (preparing or pre-copy), the first
    time at ``initial`` (QEMU ``cpu-throttle-initial``) instead of the model's default."""
    _require_live(t, "enable auto-converge")
    if t.postcopy:
        raise ValueError(f"cannot enable auto-converge: migration {t.id} is in post-copy")
    if initial is not None and not 0.01 <= initial <= 0.99:
        raise ValueError(f"initial throttle must be within [0.01, 0.99], not {initial}")
    t.auto_converge = True
    if initial is not None:
        t.throttle_initial = initial


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
