"""The scale benchmark runs, and what it compares is the same work done two ways."""

from __future__ import annotations

from pathlib import Path

from benches import load_bench
from rich.console import Console

from vacate.clouds.sim.legacy import JsonFileState
from vacate.clouds.sim.state import FileState
from vacate.domain.jobs import JobOptions
from vacate.engine import commands
from vacate.engine.views import host_views


def test_the_database_and_the_old_json_file_show_the_same_hosts_and_plan(tmp_path: Path) -> None:
    bench = load_bench("scale")
    state = bench.cloud(30, on_source=12)
    views, plans = [], []
    for holder in (FileState(tmp_path / "c.db"), JsonFileState(tmp_path / "c.json")):
        holder.write(state)
        ctx = bench.context(holder, tmp_path, type(holder).__name__)
        views.append(host_views(ctx))
        plans.append(commands.preflight(ctx, bench.SOURCE, JobOptions(reason="bench")))
    assert views[0] == views[1]
    assert plans[0] == plans[1]
    assert len(views[0]) == 30 and plans[0].ok and len(plans[0].movable) == 12


def test_a_drain_in_the_scale_benchmark_moves_every_instance_it_asks_to(tmp_path: Path) -> None:
    bench = load_bench("scale")
    per_moved, moved = bench.drain(bench.cloud(20, on_source=8), tmp_path, 5, legacy=False)
    assert moved == 5 and per_moved > 0
    placer, every_host = bench.placements(bench.cloud(20, on_source=8), 4)
    assert placer > 0 and every_host > 0


def test_the_benchmark_times_a_drain_apart_from_its_preflight_and_judges_every_target(
    tmp_path: Path,
) -> None:
    bench = load_bench("scale")
    db = tmp_path / "cloud.db"
    FileState(db).write(bench.cloud(20, on_source=8))
    took = bench.drain_from(bench.copy_of(db, tmp_path, "d"), tmp_path, 4)
    assert took.moved == 4 and took.setup > 0
    assert 0 < took.plan < took.run and took.moving > 0
    figures = {
        n: {"cli_list": 0.1 * k, "cli_plan": 0.2 * k, "drain": 0.04, "drain_move": 0.03 * k}
        for n, k in ((1000, 1), (10_000, 2))
    }
    console = Console(record=True, width=200)
    bench.judge(console, [1000, 10_000], figures)
    text = console.export_text()
    # The moving part doubled: not flat (the whole run is judged only on its budget).
    assert text.count("ok ") == 5 and text.count("over ") == 1
    assert "moving part" in text
