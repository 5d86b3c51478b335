"""Drain benchmark: Vacate against the ways clouds drain hosts today, on four seeded scenarios.

For each scenario (calm, mixed, hot, and a large one: 64 guests, destinations with 10 and 25
Gbit NICs) the same simulated cloud is drained by every strategy, in this process, on virtual
time:

- ``vacate``: the drain schedule (per guest the approach up front, the stream count computed
  from the model, longest first) with the ladder as the safety net (post-copy allowed);
- ``vacate --no-post-copy``: the same without post-copy (auto-converge up front instead);
- ``nova default``: ``max_concurrent_live_migrations = 1``, no ladder, Nova's completion timeout
  (800 s per GiB, then abort);
- ``nova tuned``: one at a time with ``live_migration_permit_post_copy``: post-copy once a pass
  after the second shrinks the pending set by under 10 %, and ``live_migration_timeout_action =
  force_complete`` at the timeout;
- ``watcher-like``: Watcher's host-maintenance strategy, 2 migrations at a time, Nova underneath;
- ``kubevirt-like``: 2 outbound per node, 5 per cluster, ``allowPostCopy`` (post-copy at the
  150 s/GiB completion timeout);
- ``all-at-once``: ``nova host-evacuate-live``: every migration fired together, no ladder.

It prints per strategy the makespan, the efficiency (the lower bound over the makespan: the
bound counts one setup and each guest's touched bytes sent once through the source NIC, the
largest through one stream; ``estimate.drain_lower_bound``), total and worst downtime, bytes
sent over bytes touched; and per scenario Vacate's makespan over the best baseline's (the
fastest of those that moved the most), each against its target. Exit status 1 if Vacate is
slower than the best baseline in any scenario.

Without post-copy a guest that dirties faster than its stream sends must re-send memory, however
it is scheduled: QEMU throttles it only after two passes that dirtied over half of what they
sent. So each scenario also prints the pre-copy ceiling: the bound over the same bound counting
for each live guest the least any pre-copy sends (alone on the source NIC at the stream cap,
QEMU's 300 ms downtime limit, the strongest first throttle), the efficiency no ``--no-post-copy``
drain can pass, and how much of it Vacate reaches.
"""

from __future__ import annotations

import random
import sys
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from vacate.clouds.sim.cloud import SimCloud
from vacate.clouds.sim.generate import from_mapping
from vacate.clouds.sim.state import MemoryState
from vacate.domain.actors import Actor
from vacate.domain.jobs import JobOptions, Method, Outcome
from vacate.domain.model import Workload
from vacate.engine import commands
from vacate.engine.context import Context
from vacate.engine.runner import run_one
from vacate.planning.escalation import LadderPolicy
from vacate.planning.estimate import (
    AutoConverge,
    Controls,
    Network,
    drain_lower_bound,
    estimate_live,
)
from vacate.planning.schedule import THROTTLES, cold_copy_bytes
from vacate.store import open_store

TESTER = Actor(name="tester", origin="test")

SOURCE = "src"


SCENARIOS = ("calm", "mixed", "hot", "large")


def scenario(name: str, seed: int) -> dict[str, Any]:
    """A source host full of guests and roomy destinations (five; eight for ``large``, half of
    them on 10 Gbit)."""
    rng = random.Random(seed)
    if name == "large":
        hosts = [{"name": SOURCE, "nic_gbit": 25, "ram_mb": 1 << 20, "vcpus": 256}] + [
            {"name": f"dst{i}", "nic_gbit": 10 if i % 2 else 25, "ram_mb": 262144, "vcpus": 128}
            for i in range(8)
        ]
    else:
        hosts = [{"name": SOURCE, "nic_gbit": 25}] + [
            {"name": f"dst{i}", "nic_gbit": 25} for i in range(5)
        ]
    instances: list[dict[str, Any]] = []

    def guest(kind: str, n: int) -> dict[str, Any]:
        ram = rng.choice((4096, 8192, 16384))
        if kind == "calm":
            work = {
                "touched_mb": ram * rng.uniform(0.2, 0.6),
                "dirty_mb_s": rng.uniform(5, 80),
                "wss_mb": ram * 0.05,
            }
        elif kind == "busy":
            work = {
                "touched_mb": ram * rng.uniform(0.5, 0.8),
                "dirty_mb_s": rng.uniform(300, 700),
                "wss_mb": ram * 0.2,
            }
        else:  # hot: dirties faster than one stream sends
            work = {
                "touched_mb": ram * rng.uniform(0.6, 0.9),
                "dirty_mb_s": rng.uniform(1500, 2200),
                "wss_mb": min(ram * 0.5, rng.uniform(600, 1500)),
            }
        flavor = {4096: "m1.medium", 8192: "m1.large", 16384: "m1.xlarge"}[ram]
        return {"name": f"{kind}-{n:02d}", "host": SOURCE, "flavor": flavor, "workload": work}

    mix = {
        "calm": ["calm"] * 14,
        "mixed": ["calm"] * 8 + ["busy"] * 3 + ["hot"] * 2 + ["stopped"] * 2,
        "hot": ["busy"] * 4 + ["hot"] * 4,
        "large": ["calm"] * 44 + ["busy"] * 10 + ["hot"] * 6 + ["stopped"] * 4,
    }[name]
    for n, kind in enumerate(mix):
        if kind == "stopped":
            g = guest("calm", n)
            g["vm_state"] = "stopped"
        else:
            g = guest(kind, n)
        instances.append(g)
    return {"hosts": hosts, "instances": instances}


@dataclass(frozen=True)
class Strategy:
    name: str
    options: JobOptions
    ladder: LadderPolicy
    poll_s: float


BASELINES = ("nova default", "nova tuned", "watcher-like", "kubevirt-like", "all-at-once")


def _fixed(parallel: int, per_source: int, per_destination: int) -> JobOptions:
    """A baseline runs exactly its limits: no schedule, no approach chosen up front."""
    return JobOptions(
        reason="bench",
        max_parallel=parallel,
        max_per_source=per_source,
        max_per_destination=per_destination,
        fixed_limits=True,
    )


def strategies(count: int) -> list[Strategy]:
    nova, tuned = LadderPolicy.nova_defaults(), LadderPolicy.nova_tuned()
    return [
        Strategy("vacate", JobOptions(reason="bench"), LadderPolicy(), 2.0),
        Strategy(
            "vacate --no-post-copy",
            JobOptions(reason="bench", allow_post_copy=False),
            LadderPolicy(post_copy_allowed=False),
            2.0,
        ),
        Strategy("nova default", _fixed(1, 1, 1), nova, 5.0),
        Strategy("nova tuned", _fixed(1, 1, 1), tuned, 5.0),
        Strategy("watcher-like", _fixed(2, 2, 2), nova, 5.0),
        # parallelMigrationsPerCluster 5, parallelOutboundMigrationsPerNode 2, allowPostCopy.
        Strategy("kubevirt-like", _fixed(5, 2, count), LadderPolicy.kubevirt(), 5.0),
        Strategy("all-at-once", _fixed(count, count, count), nova, 5.0),
    ]


@dataclass(frozen=True)
class Result:
    makespan_s: float
    lower_bound_s: float
    total_downtime_s: float
    max_downtime_s: float
    moved: int
    failed: int
    sent_bytes: float = 0.0
    touched_bytes: float = 0.0
    #: The bound with each live guest's least pre-copy bytes instead of its touched bytes.
    precopy_bound_s: float = 0.0

    @property
    def precopy_ceiling(self) -> float:
        """The efficiency no drain without post-copy can pass (the two bounds' ratio)."""
        return self.lower_bound_s / self.precopy_bound_s if self.precopy_bound_s else 0.0

    @property
    def efficiency(self) -> float:
        return self.lower_bound_s / self.makespan_s if self.makespan_s > 0 else 0.0

    @property
    def resent(self) -> float:
        """Bytes sent over bytes touched (1 = every byte once)."""
        return self.sent_bytes / self.touched_bytes if self.touched_bytes else 0.0


def least_precopy_bytes(workload: Workload, nic: float, cap: float) -> float:
    """The fewest bytes a pre-copy of ``workload`` sends: alone on the NIC at the stream cap,
    QEMU's 300 ms downtime limit, plain or with any first throttle (no post-copy, no pause)."""
    network = Network(source_nic_bytes_per_s=nic, streams=1, stream_cap_bytes_per_s=cap)
    tries = [Controls()] + [Controls(auto_converge=AutoConverge(initial=t)) for t in THROTTLES]
    sent = [estimate_live(workload, network, c).sent_bytes for c in tries]
    return min((b for b in sent if b is not None), default=float("inf"))


def run(spec: dict[str, Any], strategy: Strategy, workdir: Path) -> Result:
    cloud = SimCloud(MemoryState(from_mapping(spec)), speed=None)
    store = open_store(f"sqlite:///{workdir / (strategy.name + '.db')}")
    ctx = Context(
        cloud=cloud,
        store=store,
        clock=cloud.clock,
        owner="bench",
        poll_s=strategy.poll_s,
        ladder=strategy.ladder,
    )
    job = commands.migrate_instances(ctx, SOURCE, strategy.options, actor=TESTER)
    finished = run_one(ctx, job.id)
    assert finished is not None
    job = store.get_job(job.id)
    starts = [t.started_at for t in job.tasks if t.started_at is not None]
    ends = [t.ended_at for t in job.tasks if t.ended_at is not None]
    live = [t for t in job.tasks if t.method is Method.LIVE and t.downtime_s is not None]
    workloads = [
        i.workload
        for i in cloud.list_instances()
        if i.workload is not None
        and any(t.instance_id == i.id and t.verdict.value == "live" for t in job.tasks)
    ]
    source = cloud.get_host(SOURCE)
    cold_ids = {t.instance_id for t in job.tasks if t.verdict.value == "cold"}
    nic, cap = source.nic_bytes_per_s, cloud.params.stream_cap_bytes_per_s
    cold = [cold_copy_bytes(i.flavor.disk_gb) for i in cloud.list_instances() if i.id in cold_ids]

    def bound_of(sent_once: list[Workload]) -> float:
        return drain_lower_bound(
            sent_once, nic, cap, setup_s=cloud.params.live_setup_s, cold_bytes=cold
        )

    bound = bound_of(workloads)
    # The same bound, each live guest sending the fewest bytes any pre-copy of it can.
    precopy_bound = bound_of(
        [replace(w, touched_bytes=least_precopy_bytes(w, nic, cap)) for w in workloads]
    )
    live_ids = {t.instance_id for t in live}
    completed = [
        m
        for m in cloud.list_migrations()
        if m.instance_id in live_ids and m.status.value == "completed"
    ]
    touched = {i.id: i.workload.touched_bytes for i in cloud.list_instances() if i.workload}
    return Result(
        makespan_s=max(ends) - min(starts),
        lower_bound_s=bound,
        total_downtime_s=sum(t.downtime_s or 0.0 for t in live),
        max_downtime_s=max((t.downtime_s or 0.0 for t in live), default=0.0),
        moved=sum(1 for t in job.tasks if t.outcome is Outcome.MOVED),
        failed=sum(1 for t in job.tasks if t.outcome is Outcome.FAILED),
        # What the completed live migrations sent, over what their guests had touched.
        sent_bytes=sum(m.memory_processed_bytes for m in completed),
        touched_bytes=sum(touched.get(m.instance_id, 0.0) for m in completed),
        precopy_bound_s=precopy_bound,
    )


#: The targets ``make bench`` reports against (issue figures; see README "Performance").
EFFICIENCY_TARGET = {"vacate": 0.90, "vacate --no-post-copy": 0.70}
SPEEDUP_TARGET = {"calm": 1.0, "mixed": 0.6, "hot": 0.6, "large": 1.0}


@dataclass(frozen=True)
class Verdict:
    scenario: str
    best_baseline: str
    ratio: float
    lines: tuple[str, ...]
    ok: bool


def judge(name: str, results: dict[str, Result]) -> Verdict:
    """Vacate against the targets and the best baseline (the fastest that moved the most)."""
    ours = results["vacate"]
    most_moved = max(results[b].moved for b in BASELINES)
    fair = [b for b in BASELINES if results[b].moved == most_moved]
    best = min(fair, key=lambda b: results[b].makespan_s)
    ratio = ours.makespan_s / results[best].makespan_s
    lines = [f"Vacate makespan = {ratio:.2f} × {best} (target ≤ {SPEEDUP_TARGET[name]:.1f})"]
    checks = [ratio <= SPEEDUP_TARGET[name] * 1.0001, ours.moved >= most_moved]
    for strategy, target in EFFICIENCY_TARGET.items():
        eff = results[strategy].efficiency
        checks.append(eff >= target)
        lines.append(f"{strategy} efficiency {eff:.2f} (target ≥ {target:.2f})")
    no_pc = results["vacate --no-post-copy"]
    lines.append(
        f"without post-copy the bound rises ×{no_pc.precopy_bound_s / no_pc.lower_bound_s:.2f}"
        " (a pre-copy re-sends what its guest dirties before QEMU's throttle bites), so no "
        f"drain passes efficiency {no_pc.precopy_ceiling:.2f}; --no-post-copy reaches "
        f"{no_pc.efficiency / no_pc.precopy_ceiling:.2f} of that"
    )
    worst = results[best].max_downtime_s
    checks.append(ours.max_downtime_s <= worst * 1.0001)
    lines.append(f"worst downtime {ours.max_downtime_s:.3f} s, {best} {worst:.3f} s")
    return Verdict(name, best, ratio, tuple(lines), all(checks))


def main() -> int:
    console = Console(width=None if sys.stdout.isatty() else 150)
    table = Table(title="Drain benchmark (simulated cloud, virtual time)")
    for col in (
        "scenario",
        "strategy",
        "makespan s",
        "efficiency",
        "downtime total s",
        "downtime max s",
        "sent ÷ touched",
        "moved",
        "failed",
    ):
        table.add_column(col, justify="left" if col in ("scenario", "strategy") else "right")
    verdicts = []
    with tempfile.TemporaryDirectory() as tmp:
        for seed, name in enumerate(SCENARIOS, start=11):
            spec = scenario(name, seed)
            results = {}
            for strategy in strategies(len(spec["instances"])):
                workdir = Path(tmp) / name
                workdir.mkdir(exist_ok=True)
                r = results[strategy.name] = run(spec, strategy, workdir)
                table.add_row(
                    name,
                    strategy.name,
                    f"{r.makespan_s:.1f}",
                    f"{r.efficiency:.2f}",
                    f"{r.total_downtime_s:.2f}",
                    f"{r.max_downtime_s:.3f}",
                    f"{r.resent:.2f}",
                    str(r.moved),
                    str(r.failed),
                )
            verdicts.append(judge(name, results))
            table.add_section()
    console.print(table)
    for v in verdicts:
        console.print(f"{v.scenario}: {'; '.join(v.lines)} — {'ok' if v.ok else 'MISSED'}")
    # Exit 1 only when Vacate is slower than the best baseline or moves less (a regression);
    # a missed target is reported above.
    return 0 if all(v.ratio <= 1.0001 for v in verdicts) else 1


if __name__ == "__main__":
    sys.exit(main())
