"""The constants of the simulated cloud's migration model (DESIGN §5).

The defaults reproduce the facts measured on real QEMU 7.2 migrations and Nova: a per-stream
ceiling of ~1.1 GiB/s without multifd, ~5 s of Nova pre-live-migration work, QEMU's 300 ms
default downtime limit, and auto-converge's 20 % → +10 % throttle steps. They live in one frozen
value so that a scenario, a test or the planner can change one figure without touching the model.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from vacate.domain.model import GIB


@dataclass(frozen=True, kw_only=True)
class ModelParams:
    #: Per-migration throughput ceiling in bytes/s (QEMU ``max-bandwidth``; one stream without
    #: multifd). Pre-copy passes and cold copies are held to it; the final stop-and-copy and
    #: post-copy are not (they still share the links with everything else on them).
    stream_cap_bytes_per_s: float = 1.1 * GIB
    #: Post-copy's pull-rate ceiling in bytes/s (QEMU ``max-postcopy-bandwidth``); 0 = unlimited.
    postcopy_bandwidth_bytes_per_s: float = 0.0
    #: Seconds of Nova pre-live-migration work before the first byte moves.
    live_setup_s: float = 5.0
    #: Seconds before a cold migration starts copying.
    cold_setup_s: float = 10.0
    #: Fixed switch-over cost in seconds, added to every stop-and-copy downtime.
    switchover_s: float = 0.05
    #: QEMU's default downtime limit (the stop rule's budget), in milliseconds.
    default_downtime_limit_ms: float = 300.0
    #: Seconds a post-copy switch takes before the destination starts pulling pages.
    postcopy_switch_s: float = 0.2
    #: Auto-converge: first throttle, step per second high-dirty pass, and ceiling.
    autoconverge_initial: float = 0.20
    autoconverge_step: float = 0.10
    autoconverge_max: float = 0.99
    #: A pass is high-dirty when it dirtied more than this share of the bytes it sent (QEMU
    #: ``throttle-trigger-threshold``, 50 %).
    autoconverge_trigger: float = 0.50
    #: A throttled guest dirties ``(1 − throttle) × throttled_dirty_share`` of its rate: each
    #: throttle sleep costs the vCPU more than its length. 0.8 reproduces QEMU's auto-converged
    #: hot guest (96 s and 3.0 GiB sent; the bare ``1 − throttle`` gives 111 s and 3.5 GiB).
    throttled_dirty_share: float = 0.8
    #: Seconds an evacuation (rebuild on another host from shared storage) takes.
    evacuation_s: float = 30.0
    #: How many per-pass remaining figures a migration keeps (the newest ones).
    pass_history: int = 64
    #: Dirty memory is tracked in pages: a pending set smaller than one page always satisfies
    #: the stop rule. Without it a 0 ms downtime limit would make passes shrink geometrically
    #: forever (infinitely many events in finite time).
    page_bytes: float = 4096.0

    def __post_init__(self) -> None:
        if not self.stream_cap_bytes_per_s > 0:
            raise ValueError("stream_cap_bytes_per_s must be > 0")
        if not self.postcopy_bandwidth_bytes_per_s >= 0:
            raise ValueError("postcopy_bandwidth_bytes_per_s must be >= 0 (0 = unlimited)")
        for name in (
            "live_setup_s",
            "cold_setup_s",
            "switchover_s",
            "default_downtime_limit_ms",
            "postcopy_switch_s",
            "evacuation_s",
        ):
            if not getattr(self, name) >= 0:
                raise ValueError(f"{name} must be >= 0")
        for name in (
            "autoconverge_initial",
            "autoconverge_step",
            "autoconverge_max",
            "autoconverge_trigger",
        ):
            if not 0 <= getattr(self, name) <= 1:
                raise ValueError(f"{name} must be within [0, 1]")
        if not 0 < self.throttled_dirty_share <= 1:
            raise ValueError("throttled_dirty_share must be within (0, 1]")
        if self.pass_history < 0:
            raise ValueError("pass_history must be >= 0")
        if not self.page_bytes > 0:
            raise ValueError("page_bytes must be > 0")

    @property
    def postcopy_cap_bytes_per_s(self) -> float:
        """The pull-rate ceiling as a number: ``math.inf`` when unlimited (0)."""
        return self.postcopy_bandwidth_bytes_per_s or math.inf
