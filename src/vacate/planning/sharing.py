"""Max-min fair bandwidth sharing by progressive filling (DESIGN §5).

Concurrent migrations share each link — a host NIC's ``out`` side at the source, its ``in`` side
at the destination — max-min fairly, and each stream is also held to its own ceiling. Progressive
filling raises every unfrozen flow's rate together; a flow freezes when one of its links is full
or it reaches its ceiling. The level at which the next group freezes is computed directly (not by
small increments), so the result is exact up to float rounding and independent of flow order.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

Link = tuple[str, str]

#: Relative tolerance under which a link counts as full or a flow as at its ceiling.
_REL_EPS = 1e-12


@dataclass(frozen=True)
class Flow:
    """One stream: the links it crosses (e.g. ``(("h1", "out"), ("h2", "in"))``) and its ceiling."""

    id: str
    links: tuple[Link, ...]
    cap: float = math.inf


def allocate(flows: Sequence[Flow], capacity: Mapping[Link, float]) -> dict[str, float]:
    """Return each flow's max-min fair rate, by id.

    A link missing from ``capacity`` does not constrain. A flow constrained by neither a link
    nor a ceiling gets ``math.inf``. Capacities and ceilings below zero count as zero.
    """
    ids = [f.id for f in flows]
    if len(set(ids)) != len(ids):
        raise ValueError("flow ids must be unique")
    rates: dict[str, float] = {}
    unfrozen = list(flows)
    used: dict[Link, float] = {}
    while unfrozen:
        counts: dict[Link, int] = {}
        for f in unfrozen:
            for link in set(f.links):
                if link in capacity:
                    counts[link] = counts.get(link, 0) + 1
        # The level every unfrozen flow reaches before the next one freezes.
        link_level = {
            link: max(0.0, capacity[link] - used.get(link, 0.0)) / n for link, n in counts.items()
        }
        level = min(
            [max(0.0, f.cap) for f in unfrozen] + list(link_level.values()), default=math.inf
        )
        tol = _REL_EPS * max(1.0, level) if math.isfinite(level) else 0.0
        full = {link for link, v in link_level.items() if v <= level + tol}
        still: list[Flow] = []
        for f in unfrozen:
            if f.cap <= level + tol or not full.isdisjoint(f.links) or math.isinf(level):
                rate = max(0.0, min(f.cap, level))
                rates[f.id] = rate
                for link in set(f.links):
                    used[link] = used.get(link, 0.0) + rate
            else:
                still.append(f)
        unfrozen = still
    return {f.id: rates[f.id] for f in flows}
