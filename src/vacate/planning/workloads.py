"""What the planner assumes a guest does with its memory when the cloud does not say."""

from __future__ import annotations

from vacate.domain.model import MIB, Instance, Workload


def workload_of(instance: Instance) -> Workload:
    """A guest without a known workload is assumed idle with all its RAM touched."""
    return instance.workload or Workload(
        touched_bytes=instance.flavor.ram_mb * MIB, dirty_rate=0.0, wss_bytes=0.0
    )
