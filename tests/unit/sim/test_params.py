"""The model's constants refuse figures that make no sense, and say which one."""

from __future__ import annotations

import math

import pytest

from vacate.clouds.sim.params import ModelParams


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("postcopy_bandwidth_bytes_per_s", -1.0),
        ("postcopy_bandwidth_bytes_per_s", math.nan),
        ("throttled_dirty_share", 0.0),
        ("throttled_dirty_share", 1.5),
        ("autoconverge_trigger", 1.5),
    ],
)
def test_an_impossible_figure_is_refused_by_name(field: str, value: float) -> None:
    with pytest.raises(ValueError, match=field):
        ModelParams(**{field: value})


def test_a_zero_postcopy_bandwidth_means_unlimited() -> None:
    assert ModelParams().postcopy_cap_bytes_per_s == math.inf
    assert ModelParams(postcopy_bandwidth_bytes_per_s=5.0).postcopy_cap_bytes_per_s == 5.0
