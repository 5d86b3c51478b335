"""Which instance of a failed host is evacuated first: its ``vacate:priority`` metadata."""

from __future__ import annotations

from vacate.domain.model import Instance

#: The metadata key an owner sets on an instance (higher goes first; absent or bad is 0).
PRIORITY_KEY = "vacate:priority"


def priority(inst: Instance) -> int:
    for key, value in inst.metadata:
        if key == PRIORITY_KEY:
            try:
                return int(value.strip())
            except ValueError:
                return 0
    return 0
