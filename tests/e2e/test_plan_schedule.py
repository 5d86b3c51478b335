"""``vacate plan`` shows the drain schedule, and the options that shape it are checked."""

from __future__ import annotations

import pytest

from .conftest import Vacate, one_line, parse_json


def test_the_plan_carries_the_schedule_and_fixed_limits_turn_it_off(vacate: Vacate) -> None:
    vacate("sim", "init", "--hosts", "6", "--instances", "30", "--seed", "3", check=0)
    hosts = parse_json(vacate("host", "list", "-f", "json", check=0))
    busiest = max(hosts, key=lambda h: h["instance_count"])["name"]

    plan = parse_json(vacate("plan", busiest, "-f", "json", "--max-parallel", "4"))
    assert 1 <= plan["streams"] <= 4
    movers = [i for i in plan["items"] if i["destination"]]
    assert movers and all(i["prediction"] for i in movers)
    assert plan["makespan_s"] == max(
        i["prediction"]["start_s"] + i["prediction"]["duration_s"] for i in movers
    )
    approaches = {i["prediction"]["approach"] for i in movers}
    assert approaches <= {"pre-copy", "post-copy", "auto-converge", "cold"}

    table = vacate("plan", busiest, check=0).stdout
    assert "schedule:" in table and "expected makespan" in table

    fixed = parse_json(vacate("plan", busiest, "-f", "json", "--fixed-limits"))
    assert fixed["streams"] is None and fixed["makespan_s"] is None
    assert all(i["prediction"] is None for i in fixed["items"])

    no_pc = parse_json(vacate("plan", busiest, "-f", "json", "--no-post-copy"))
    assert all(
        i["prediction"]["approach"] != "post-copy" for i in no_pc["items"] if i["prediction"]
    )


@pytest.mark.parametrize("ms", ["10", "50", "99", "60001"])
def test_a_max_downtime_out_of_range_is_refused_naming_the_option(vacate: Vacate, ms: str) -> None:
    # Under 100 ms the switch-over's own ~50 ms leaves the final copy no room: not holdable.
    vacate("sim", "init", "--hosts", "3", "--instances", "4", "--seed", "1", check=0)
    proc = vacate("host", "migrate-instances", "c01", "--max-downtime", ms, check=2)
    assert "--max-downtime" in one_line(proc.stderr) or "--max-downtime" in proc.stderr
