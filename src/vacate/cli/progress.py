"""Live progress of a job: one bar per instance, fed by the engine's observer after each step."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

from vacate.domain.jobs import Job, TaskStatus


class JobProgress:
    """Renders ``Job`` snapshots; use as a context manager around the run."""

    def __init__(self, console: Console) -> None:
        self._progress = Progress(
            TextColumn("{task.description:<28}"),
            BarColumn(),
            TextColumn("{task.percentage:>3.0f}%"),
            TextColumn("{task.fields[status]}"),
            TimeElapsedColumn(),
            console=console,
            transient=False,
        )
        self._rows: dict[str, TaskID] = {}
        self._overall: TaskID | None = None

    def __enter__(self) -> JobProgress:
        self._progress.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self._progress.__exit__(None, None, None)

    def update(self, job: Job) -> None:
        movers = [t for t in job.tasks if t.verdict.moves]
        if self._overall is None:
            self._overall = self._progress.add_task(
                f"[bold]{escape(job.host)}", total=max(1, len(movers)), status=""
            )
        done = sum(1 for t in movers if t.is_done)
        status = f"{job.phase.value} · {done}/{len(movers)} moved or ended"
        if job.tasks and not movers:
            status = f"{job.phase.value} · nothing to move"
        self._progress.update(self._overall, completed=done, status=status)
        for task in movers:
            if task.status is TaskStatus.PENDING and task.instance_id not in self._rows:
                continue
            row = self._rows.get(task.instance_id)
            if row is None:
                row = self._progress.add_task(escape(task.instance_name), total=1.0, status="")
                self._rows[task.instance_id] = row
            status = task.outcome.value if task.outcome else task.status.value
            if task.escalations and not task.is_done:
                status += f" ({task.escalations[-1].action})"
            dest = f" → {escape(task.destination)}" if task.destination else ""
            completed = 1.0 if task.is_done else task.progress
            self._progress.update(row, completed=completed, status=f"{status}{dest}")
