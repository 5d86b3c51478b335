"""What the plan expects of one move, kept with its task so results can be held against it.

The drain schedule (``vacate.planning.schedule``) decides per instance how it moves (pre-copy,
auto-converge from the start, post-copy after the first pass, or cold) and predicts when it
starts, how long it takes and its downtime, with the number of moves it runs at once. The
engine follows the approach and the stream count; the results show the prediction beside what
happened.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class Approach(StrEnum):
    #: Plain pre-copy: the passes converge on their own (the ladder still watches).
    PRE_COPY = "pre-copy"
    #: Throttle the guest from the first pass: pre-copy converges only with it.
    AUTO_CONVERGE = "auto-converge"
    #: Switch to post-copy once the first pass has sent the guest's memory: pre-copy would not
    #: converge, or would re-send too much.
    POST_COPY = "post-copy"
    COLD = "cold"


@dataclass(frozen=True, kw_only=True)
class Prediction:
    approach: Approach
    #: Seconds after the drain's first start.
    start_s: float
    duration_s: float
    #: Live moves only (a cold move's guest is not running).
    downtime_s: float | None
    sent_bytes: float
    #: Moves the plan runs at once on the source (the job's limits are ceilings over it).
    streams: int
    #: Why this approach, in a few words (shown by ``vacate plan``).
    why: str = ""
    #: The downtime limit the pre-copy is set to at its start (``None``: the backend's own).
    downtime_limit_ms: float | None = None
    #: Auto-converge's first throttle (a fraction), when the plan sets it for this guest.
    throttle_initial: float | None = None

    @property
    def end_s(self) -> float:
        return self.start_s + self.duration_s

    def to_dict(self) -> dict[str, Any]:
        return {
            "approach": self.approach.value,
            "start_s": self.start_s,
            "duration_s": self.duration_s,
            "downtime_s": self.downtime_s,
            "sent_bytes": self.sent_bytes,
            "streams": self.streams,
            "why": self.why,
            "downtime_limit_ms": self.downtime_limit_ms,
            "throttle_initial": self.throttle_initial,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Prediction:
        downtime = data.get("downtime_s")
        limit = data.get("downtime_limit_ms")
        throttle = data.get("throttle_initial")
        return cls(
            approach=Approach(str(data["approach"])),
            start_s=float(data["start_s"]),
            duration_s=float(data["duration_s"]),
            downtime_s=None if downtime is None else float(downtime),
            sent_bytes=float(data.get("sent_bytes", 0.0)),
            streams=int(data.get("streams", 1)),
            why=str(data.get("why", "")),
            downtime_limit_ms=None if limit is None else float(limit),
            throttle_initial=None if throttle is None else float(throttle),
        )
