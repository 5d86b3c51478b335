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
