"""Options shared by the commands that start a drain, and their validation."""

from __future__ import annotations

from typing import Annotated

import typer

from vacate.domain.jobs import JobOptions, Method, Placement
from vacate.domain.model import HostName

# ------------------------------------------------------------------ options
#: The most moves at once any limit may ask for (the API's bound too): more is a typo.
MAX_MOVES = 1000
#: ``--max-downtime`` bounds, in ms. A switch-over alone costs about 50 ms, and the final copy
#: needs room beside it: under 100 ms no limit can hold the pause (over a minute is a typo).
MIN_DOWNTIME_MS = 100.0
MAX_DOWNTIME_MS = 60_000.0


def parse_policy(values: list[str], *, allow_locked: bool = False) -> tuple[tuple[str, str], ...]:
    """``STATE=ACTION`` pairs, checked against the policy table itself (what the plan suggests
    is exactly what is accepted)."""
    from vacate.planning.policy import parse_state_policy

    pairs = []
    for value in values:
        state, sep, action = value.partition("=")
        if not sep:
            raise typer.BadParameter(f"{value!r}: expected STATE=ACTION", param_hint="--policy")
        pairs.append((state.strip().lower(), action.strip().lower()))
    try:
        parse_state_policy(pairs, allow_locked=allow_locked)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--policy") from None
    return tuple(pairs)


def check_reason(reason: str) -> str:
    """A reason is what the next operator reads on the host: it must say something."""
    if not reason.strip():
        raise typer.BadParameter("must say why (it cannot be blank)", param_hint="--reason")
    return reason.strip()


def job_options(
    *,
    reason: str = "",
    live: bool = False,
    cold: bool = False,
    target: str | None = None,
    max_parallel: int = JobOptions.max_parallel,
    max_per_source: int = JobOptions.max_per_source,
    max_per_destination: int = JobOptions.max_per_destination,
    rollback_on_error: bool = False,
    policy: list[str] | None = None,
    allow_locked: bool = False,
    cold_fallback: bool = False,
    post_copy: bool = True,
    allow_partial: bool = False,
    allow_skip_running: bool = False,
    placement: Placement | None = None,
    fixed_limits: bool = False,
    max_downtime: float | None = None,
) -> JobOptions:
    if live and cold:
        raise typer.BadParameter("choose one of --live and --cold")
    for name, value in (
        ("--max-parallel", max_parallel),
        ("--max-per-source", max_per_source),
        ("--max-per-destination", max_per_destination),
    ):
        if not 1 <= value <= MAX_MOVES:
            raise typer.BadParameter(f"{name} must be from 1 to {MAX_MOVES}, not {value}")
    if max_downtime is not None and not MIN_DOWNTIME_MS <= max_downtime <= MAX_DOWNTIME_MS:
        raise typer.BadParameter(
            f"--max-downtime must be from {MIN_DOWNTIME_MS:.0f} to {MAX_DOWNTIME_MS:.0f} ms, "
            f"not {max_downtime:g}"
        )
    return JobOptions(
        reason=reason,
        force_method=Method.LIVE if live else Method.COLD if cold else None,
        target=HostName(target) if target else None,
        max_parallel=max_parallel,
        max_per_source=max_per_source,
        max_per_destination=max_per_destination,
        rollback_on_error=rollback_on_error,
        state_policy=parse_policy(policy or [], allow_locked=allow_locked),
        allow_locked=allow_locked,
        allow_cold_fallback=cold_fallback,
        allow_post_copy=post_copy,
        allow_partial=allow_partial,
        allow_skip_running=allow_skip_running,
        placement=placement,
        fixed_limits=fixed_limits,
        max_downtime_ms=max_downtime,
    )


LiveOpt = Annotated[bool, typer.Option("--live", help="Live-migrate every instance that can move.")]
ColdOpt = Annotated[
    bool, typer.Option("--cold", help="Cold-migrate every instance (guests restart).")
]
TargetOpt = Annotated[str | None, typer.Option("--target", help="Move everything to this host.")]
ParallelOpt = Annotated[int, typer.Option("--max-parallel", help="Moves at once, overall.")]
PerSourceOpt = Annotated[int, typer.Option("--max-per-source", help="Moves at once from one host.")]
PerDestOpt = Annotated[
    int, typer.Option("--max-per-destination", help="Moves at once into one host.")
]
PolicyOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--policy",
        help="Per-state override STATE=live|cold|skip, e.g. suspended=skip (repeatable).",
    ),
]
LockedOpt = Annotated[
    bool, typer.Option("--allow-locked", help="Move instances locked by their owner.")
]
FallbackOpt = Annotated[
    bool,
    typer.Option("--cold-fallback", help="Cold-migrate a live migration that had to be aborted."),
]
PostCopyOpt = Annotated[
    bool,
    typer.Option(
        "--post-copy/--no-post-copy", help="Allow post-copy for guests that will not converge."
    ),
]
PartialOpt = Annotated[
    bool,
    typer.Option(
        "--allow-partial",
        help="Move what can move even if some instances are blocked (the host ends in error).",
    ),
]
SkipRunningOpt = Annotated[
    bool,
    typer.Option(
        "--allow-skip-running",
        help="Accept that --policy ...=skip leaves running guests on the host.",
    ),
]
PlacementOpt = Annotated[
    Placement | None,
    typer.Option(
        "--placement",
        help="Who picks destinations: nova (the cloud's scheduler) or vacate (the plan's "
        "host, still checked by the cloud). Default: nova on OpenStack, vacate simulated.",
    ),
]
MaxDowntimeOpt = Annotated[
    float | None,
    typer.Option(
        "--max-downtime",
        metavar="MS",
        help="The longest pause a live migration may cause (ms): no limit is raised above it "
        "and no guest is paused to force completion.",
    ),
]
FixedLimitsOpt = Annotated[
    bool,
    typer.Option(
        "--fixed-limits",
        help="Run exactly the --max-* limits, no schedule: no stream count computed from the "
        "NICs and no approach chosen up front (the escalation ladder alone acts).",
    ),
]
WaitOpt = Annotated[
    bool, typer.Option("--no-wait", help="Queue the job and return (a worker runs it).")
]
