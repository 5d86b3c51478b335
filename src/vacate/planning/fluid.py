"""The fluid model the drain schedule plays a stream count through: moves start in order as
slots free up (at most ``streams`` at once, ``max_per_destination`` into one host), each runs
its setup, sends its bytes sharing the source and destination NICs max-min fairly (each stream
held to its ceiling), then holds its slot through the switch-over."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from vacate.planning.sharing import Flow, allocate

if TYPE_CHECKING:
    from vacate.planning.schedule import LinkModel, MoveSpec


@dataclass
class _Flight:
    """A move in the play: its setup, then its bytes, then its switch-over (a slot held)."""

    spec: MoveSpec
    setup_left: float
    bytes_left: float
    tail_left: float
    started: float

    @property
    def sending(self) -> bool:
        return self.setup_left <= 0 < self.bytes_left

    @property
    def done(self) -> bool:
        return self.setup_left <= 0 and self.bytes_left <= 0 and self.tail_left <= 0


def play(
    moves: Sequence[MoveSpec],
    work: dict[str, tuple[float, float, float]],
    streams: int,
    link: LinkModel,
    *,
    max_per_destination: int,
) -> dict[str, tuple[float, float]]:
    """(start, end) of every move when ``streams`` run at once, in order, on the fluid model.

    ``work`` gives each move its (setup seconds, bytes to send, stream ceiling).
    """
    queue = list(moves)
    flying: list[_Flight] = []
    times: dict[str, tuple[float, float]] = {}
    now = 0.0
    shared: tuple[tuple[str, ...], dict[str, float]] = ((), {})
    while queue or flying:
        per_dest: dict[str, int] = {}
        for f in flying:
            per_dest[f.spec.dest] = per_dest.get(f.spec.dest, 0) + 1
        for spec in list(queue) if len(flying) < streams else ():
            if len(flying) >= streams:
                break
            if per_dest.get(spec.dest, 0) >= max_per_destination:
                continue
            setup, size, _ = work[spec.key]
            flying.append(_Flight(spec, setup, size, link.switchover_s, now))
            per_dest[spec.dest] = per_dest.get(spec.dest, 0) + 1
            queue.remove(spec)
        sending = [f for f in flying if f.sending]
        keys = tuple(f.spec.key for f in sending)
        if keys != shared[0]:  # the rates change only when the set of senders does
            shared = (keys, _rates(sending, work, link))
        rates = shared[1]
        steps = [f.setup_left for f in flying if f.setup_left > 0]
        steps += [f.bytes_left / rates[f.spec.key] for f in sending if rates[f.spec.key] > 0]
        steps += [f.tail_left for f in flying if f.setup_left <= 0 and f.bytes_left <= 0]
        if not steps:  # nothing can progress (a zero-capacity link): stop rather than spin
            break
        dt = max(0.0, min(steps))
        now += dt
        for f in flying:
            if f.setup_left > 0:
                f.setup_left = _settle(f.setup_left - dt, 1e-9)
            elif f.bytes_left > 0:
                f.bytes_left = _settle(f.bytes_left - rates[f.spec.key] * dt, 1e-3)
            else:
                f.tail_left = _settle(f.tail_left - dt, 1e-9)
        for f in [f for f in flying if f.done]:
            times[f.spec.key] = (f.started, now)
            flying.remove(f)
    return times


def _rates(
    sending: list[_Flight], work: dict[str, tuple[float, float, float]], link: LinkModel
) -> dict[str, float]:
    """Max-min fair rates of the senders over the source NIC and their destinations' NICs."""
    capacity = {("src", "out"): link.source_nic_bytes_per_s}
    for f in sending:
        capacity[(f.spec.dest, "in")] = f.spec.dest_nic_bytes_per_s
    flows = [
        Flow(f.spec.key, (("src", "out"), (f.spec.dest, "in")), work[f.spec.key][2])
        for f in sending
    ]
    return allocate(flows, capacity)


def _settle(left: float, dust: float) -> float:
    """What is left of a countdown, with float dust counted as done."""
    return 0.0 if left <= dust else left
