"""The step contract."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from vacate.domain.changes import Changes
from vacate.domain.jobs import JobPhase
from vacate.engine.tick import Tick


@dataclass(frozen=True, kw_only=True)
class StepResult:
    changes: Changes = field(default_factory=Changes)
    #: The step's work is complete: the job goes on to the next step (same transaction).
    done: bool = False
    #: Nothing more to do until time passes: the runner waits one poll interval.
    wait: bool = False


class Step(Protocol):
    @property
    def phase(self) -> JobPhase:
        """The name the job records while at this step."""
        ...

    @property
    def action(self) -> str:
        """What the step does, for messages a person reads ("disabling the service")."""
        ...

    def run(self, tick: Tick) -> StepResult: ...
