"""Python's cyclic garbage collector paused around work that builds many small acyclic records.

Loading a large cloud, building every host's state for a plan, or a view per host allocates
hundreds of thousands of records that hold no reference cycles; the collector would walk them
again and again while they pile up (a fifth of a plan's CPU at 100,000 hosts, and what made it
grow faster than the cloud). Reference counting still frees them; any cycle made meanwhile is
collected once the collector runs again. Process-wide: with threads, a pause may end early (the
collector is back on when any pause that found it on ends), never late.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator


@contextlib.contextmanager
def paused() -> Iterator[None]:
    """The cyclic collector off for the block, as it was after."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()
