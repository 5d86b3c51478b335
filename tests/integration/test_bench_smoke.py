"""The benchmark still runs, and its figures obey the physics it reports against."""

from __future__ import annotations

from pathlib import Path

from benches import load_bench


def test_every_strategy_drains_the_calm_scenario_no_faster_than_the_lower_bound(
    tmp_path: Path,
) -> None:
    bench = load_bench("drain")
    spec = bench.scenario("calm", 11)
    for strategy in bench.strategies(len(spec["instances"])):
        result = bench.run(spec, strategy, tmp_path)
        assert result.moved == len(spec["instances"]), strategy.name
        assert result.failed == 0
        assert result.makespan_s >= result.lower_bound_s > 0
        assert 0 < result.max_downtime_s < 1.0


def test_the_host_down_benchmark_marks_every_instance_of_its_host(tmp_path: Path) -> None:
    module = load_bench("hostdown")
    for on_file in (False, True):
        report, baseline = module.one_run(12, on_file=on_file)  # asserts the marks itself
        assert report > 0 and baseline > 0


def test_without_post_copy_the_hot_drain_stays_under_its_pre_copy_ceiling(tmp_path: Path) -> None:
    """The pre-copy ceiling is physics: no drain without post-copy passes it, and the bound it
    comes from counts more than the touched bytes for guests that outpace their stream."""
    bench = load_bench("drain")
    spec = bench.scenario("hot", 13)
    (strategy,) = [s for s in bench.strategies(len(spec["instances"])) if "no-post" in s.name]
    result = bench.run(spec, strategy, tmp_path)
    assert result.moved == len(spec["instances"])
    assert result.precopy_bound_s > result.lower_bound_s
    assert 0 < result.efficiency <= result.precopy_ceiling < 1
