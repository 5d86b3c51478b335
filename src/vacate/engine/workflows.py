"""Each job kind is a list of steps (DESIGN §3). Adding a kind adds a list here, not a branch
in the steps: enter is plan → disable → move → verify; exit is plan → enable → move back →
finish; migrate instances is plan → move → verify without touching the maintenance state;
host down is force down → mark stopped → fencing gate → evacuate → finish.
"""

from __future__ import annotations

from dataclasses import dataclass

from vacate.domain.jobs import Job, JobKind, JobPhase
from vacate.domain.maintenance import MaintenanceState
from vacate.engine.steps.base import Step
from vacate.engine.steps.down_finish import FinishDown
from vacate.engine.steps.evacuate import Evacuate
from vacate.engine.steps.fence import FenceGate
from vacate.engine.steps.force_down import ForceDown
from vacate.engine.steps.mark_stopped import MarkStopped
from vacate.engine.steps.move import Move, Restore
from vacate.engine.steps.plan import PlanDrain, PlanRestore
from vacate.engine.steps.recover import Recover
from vacate.engine.steps.service import DisableService, EnableService, SetService
from vacate.engine.steps.undo import UndoBeforeMoves
from vacate.engine.steps.verify import FinishExit, Verify


@dataclass(frozen=True)
class Workflow:
    steps: tuple[Step, ...]
    #: Run instead of the next step when a cancel lands before anything moved.
    undo: Step | None = None
    #: How many leading steps come before anything moves (the undo applies there).
    before_moves: int = 0
    #: The host's state when the job cannot go on (None: the job leaves the state alone).
    on_failure: MaintenanceState | None = MaintenanceState.ERROR

    def step(self, job: Job) -> Step:
        for index, step in enumerate(self.steps):
            if step.phase is job.phase:
                if job.cancel_requested and index < self.before_moves and self.undo is not None:
                    return self.undo
                return step
        if job.phase is JobPhase.PREFLIGHT and self.steps:
            return self.steps[0]  # a new job starts at its first step, whatever it is named
        raise ValueError(f"job {job.id} ({job.kind.value}) has no step {job.phase.value!r}")

    def after(self, phase: JobPhase) -> JobPhase:
        phases = [s.phase for s in self.steps]
        index = phases.index(phase) + 1
        return phases[index] if index < len(phases) else JobPhase.DONE


WORKFLOWS: dict[JobKind, Workflow] = {
    JobKind.ENTER_MAINTENANCE: Workflow(
        steps=(PlanDrain(), DisableService(), Move(), Verify(maintenance=True)),
        undo=UndoBeforeMoves(restores_state=True),
        before_moves=2,
    ),
    JobKind.EXIT_MAINTENANCE: Workflow(
        steps=(PlanRestore(), EnableService(), Restore(), FinishExit()),
        undo=UndoBeforeMoves(restores_state=True),
        before_moves=2,
    ),
    JobKind.MIGRATE_INSTANCES: Workflow(
        steps=(PlanDrain(restores_state=False), Move(), Verify(maintenance=False)),
        undo=UndoBeforeMoves(restores_state=False),
        before_moves=1,
        on_failure=None,
    ),
    JobKind.SERVICE_UPDATE: Workflow(steps=(SetService(),), on_failure=None),
    # A failed host: at once forced down and its instances marked stopped; evacuated only
    # once it is fenced. It stays ``down`` whatever happens (DESIGN §2, host down).
    JobKind.HOST_DOWN: Workflow(
        steps=(ForceDown(), MarkStopped(), FenceGate(), Evacuate(), FinishDown()),
        on_failure=None,
    ),
    JobKind.HOST_RECOVER: Workflow(steps=(Recover(),), on_failure=None),
}


def workflow(kind: JobKind) -> Workflow:
    return WORKFLOWS[kind]
