"""Time, injected: the simulated cloud and tests run on virtual time, the demo on scaled time."""

from __future__ import annotations

import time
from typing import Protocol


class Clock(Protocol):
    def now(self) -> float:
        """Seconds since an arbitrary, fixed origin."""
        ...

    def sleep(self, seconds: float) -> None:
        """Let ``seconds`` of this clock's time pass."""
        ...


class WallClock:
    """Real time, for a real cloud."""

    def now(self) -> float:
        return time.time()

    def sleep(self, seconds: float) -> None:
        time.sleep(max(0.0, seconds))
