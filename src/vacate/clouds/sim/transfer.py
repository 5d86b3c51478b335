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

This module is the model's one entry point: the record and its constructors (``record``), the
controls (``controls``) and the clock (``clock``) each live in a module of their own.
"""

from vacate.clouds.sim.clock import advance
from vacate.clouds.sim.controls import (
    abort,
    confirm,
    enable_auto_converge,
    fail,
    force_complete,
    set_downtime_limit,
    start_post_copy,
)
from vacate.clouds.sim.record import (
    INJECTED_FAILURE,
    Transfer,
    new_cold,
    new_evacuation,
    new_live,
    pending_union,
    remaining_bytes,
    view,
)

__all__ = [
    "INJECTED_FAILURE",
    "Transfer",
    "abort",
    "advance",
    "confirm",
    "enable_auto_converge",
    "fail",
    "force_complete",
    "new_cold",
    "new_evacuation",
    "new_live",
    "pending_union",
    "remaining_bytes",
    "set_downtime_limit",
    "start_post_copy",
    "view",
]
