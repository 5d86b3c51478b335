"""Which destination a move sends to the cloud: Vacate's planned host, or none (the cloud's
scheduler chooses). Pure: the job's options and the cloud's default decide."""

from __future__ import annotations

from vacate.domain.jobs import JobOptions, Placement
from vacate.domain.model import HostName


def effective(options: JobOptions, default: Placement) -> Placement:
    return options.placement or default


def sent_destination(
    options: JobOptions, default: Placement, planned: HostName | None
) -> HostName | None:
    """``planned`` unless the cloud's scheduler is to choose. A pinned destination (the job's
    ``target``: ``--target``, or the host that moving back on exit returns to) is always
    sent, since anywhere else would be wrong."""
    if options.target is not None:
        return planned
    if effective(options, default) is Placement.NOVA:
        return None
    return planned
