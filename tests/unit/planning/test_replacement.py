"""Re-placement and the cloud's own check of a destination: when the destination chosen earlier
no longer fits, the reason names the filters that rejected it, never ``TargetHostFilter`` for
the hosts it set aside when the operator gave no ``--target``."""

from __future__ import annotations

from dataclasses import replace

from vacate.domain.model import HostName
from vacate.planning.replacement import choose
from vacate.planning.scheduler import select_destination

from .builders import host, spec, states, vm

#: c2 (the planned destination) has filled up since the plan; c3 is full too.
FULL = states(
    [host("c1"), host("c2", ram_mb=16384), host("c3", ram_mb=16384)],
    [vm("big2", on="c2", ram_mb=14336), vm("big3", on="c3", ram_mb=14336)],
)


def test_a_planned_destination_that_no_longer_fits_is_explained_by_the_filter_that_rejects_it():
    inst = vm("a", ram_mb=8192)
    placement = choose(
        inst,
        source=HostName("c1"),
        planned=HostName("c2"),
        target=None,
        states=FULL,
        groups={},
        hosts_of_groups={},
    )
    assert placement.host is None
    assert "RamFilter" in placement.reason
    assert "TargetHostFilter" not in placement.reason


def test_a_destination_asked_of_the_cloud_is_not_blamed_on_target_host_filter() -> None:
    asked = replace(spec(vm("a", ram_mb=8192), target="c2"), target_requested=False)
    placement = select_destination(asked, FULL)
    assert placement.host is None
    assert "RamFilter removed 1 host (needs 8192 MB" in placement.reason
    assert "TargetHostFilter" not in placement.reason


def test_an_operators_target_that_does_not_fit_still_says_the_others_were_not_the_target():
    placement = select_destination(spec(vm("a", ram_mb=8192), target="c2"), FULL)
    assert placement.host is None
    assert "TargetHostFilter removed 1 host" in placement.reason
    assert "RamFilter removed 1 host" in placement.reason


def test_an_unknown_destination_is_still_explained_by_target_host_filter() -> None:
    asked = replace(spec(vm("a"), target="c9"), target_requested=False)
    placement = select_destination(asked, FULL)
    assert placement.host is None
    assert "TargetHostFilter" in placement.reason and "c9" in placement.reason
