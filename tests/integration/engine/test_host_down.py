"""Host down through the engine: force down, mark stopped, the fencing gate (with a small
in-test BMC seam), evacuation restoring power states, capacity shortfall, a host that comes
back, recover and its double-run guard."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import pytest

from vacate.domain.actors import Actor
from vacate.domain.errors import Conflict
from vacate.domain.jobs import JobPhase, JobStatus, Outcome
from vacate.domain.maintenance import MaintenanceState
from vacate.domain.model import HostName, InstanceId, PowerState, ServiceState, VmState
from vacate.engine import commands, hostdown
from vacate.ports.fence import FenceError, FenceFailure
from vacate.ports.fence import PowerState as Power

from .rig import Rig, RigFactory, cloud_of, vm

ADMIN = Actor(name="tester")


def kill(rig: Rig, host: str = "src") -> None:
    rig.cloud.schedule_host_death(host, after_s=0)
    rig.cloud.get_host(host)  # the death fires on the next look


@dataclass
class Bmc:
    """A BMC seam: powers the simulated host off a few polls after asked, or fails."""

    rig: Rig
    polls_to_off: int = 2
    failure: FenceFailure | None = None
    calls: list[str] = field(default_factory=list)
    asked: bool = False
    polls: int = 0

    def configured(self, host: str) -> bool:
        return True

    def power_state(self, host: str) -> Power:
        self.calls.append("state")
        if self.failure is not None:
            raise FenceError(self.failure, f"BMC of {host} said no")
        if self.asked:
            self.polls += 1
            if self.polls >= self.polls_to_off:
                kill(self.rig, host)
                return Power.OFF
        return Power.OFF if self.rig.cloud.get_host(host).state is ServiceState.DOWN else Power.ON

    def power_off(self, host: str) -> None:
        self.calls.append("off")
        self.asked = True


def three_guests() -> list[dict[str, object]]:
    return [
        vm("web", power_state="running"),
        vm("batch", vm_state="stopped", power_state="shutdown"),
        vm("broken", vm_state="error", power_state="nostate"),
    ]


def test_a_fenced_report_evacuates_everything_and_restores_each_power_state(
    make_rig: RigFactory,
) -> None:
    rig = make_rig(cloud_of(three_guests()))
    kill(rig)
    job = rig.run(hostdown.report_down(rig.ctx, "src", fenced=True, actor=ADMIN))
    assert job.status is JobStatus.SUCCEEDED, job.message
    now = rig.instances()
    assert now[InstanceId("web")].host != "src"
    assert now[InstanceId("web")].power_state is PowerState.RUNNING
    assert now[InstanceId("batch")].host != "src"
    assert now[InstanceId("batch")].vm_state is VmState.STOPPED
    # The errored instance is left exactly as it was.
    assert now[InstanceId("broken")].host == "src"
    assert now[InstanceId("broken")].vm_state is VmState.ERROR
    host = rig.cloud.get_host("src")
    assert host.forced_down and not host.is_enabled
    assert rig.store.get_maintenance(HostName("src")).state is MaintenanceState.DOWN
    tasks = {t.instance_id: t for t in rig.store.get_job(job.id).tasks}
    assert tasks[InstanceId("web")].power_before == "running"
    assert tasks[InstanceId("broken")].outcome is Outcome.SKIPPED


def test_a_report_for_a_host_whose_service_is_up_is_refused_unless_fenced(
    make_rig: RigFactory,
) -> None:
    rig = make_rig(cloud_of([vm("web")]))
    with pytest.raises(Conflict, match="twice"):
        hostdown.report_down(rig.ctx, "src", actor=ADMIN)
    assert rig.store.active_job("src") is None
    assert not rig.cloud.get_host("src").forced_down


def test_without_a_bmc_the_job_waits_at_the_gate_until_an_operator_asserts_the_fence(
    make_rig: RigFactory,
) -> None:
    rig = make_rig(cloud_of([vm("web", power_state="running")]))
    kill(rig)
    job = hostdown.report_down(rig.ctx, "src", actor=ADMIN)
    parked: list[str] = []

    class Parked(Exception):
        pass

    def stop_at_gate(seen: object) -> None:
        current = rig.store.get_job(job.id)
        if hostdown.parked(current):
            parked.append(current.message)
            raise Parked

    rig.observers.append(stop_at_gate)
    with pytest.raises(Parked):
        rig.run(job)
    rig.observers.clear()
    assert "no BMC is configured" in parked[0] and "--fenced" in parked[0]
    assert rig.instances()[InstanceId("web")].host == "src"
    assert rig.instances()[InstanceId("web")].vm_state is VmState.STOPPED
    hostdown.report_down(rig.ctx, "src", fenced=True, actor=ADMIN)
    done = rig.run(rig.store.get_job(job.id))
    assert done.status is JobStatus.SUCCEEDED, done.message
    assert rig.instances()[InstanceId("web")].power_state is PowerState.RUNNING


def test_the_bmc_powers_the_host_off_and_is_polled_until_it_reads_off(
    make_rig: RigFactory,
) -> None:
    rig = make_rig(cloud_of([vm("web", power_state="running")]))
    rig.cloud.force_down("src", True)  # reported by someone: service down, host still on
    bmc = Bmc(rig, polls_to_off=3)
    rig.ctx.fencer = bmc
    job = rig.run(hostdown.report_down(rig.ctx, "src", actor=ADMIN))
    assert job.status is JobStatus.SUCCEEDED, job.message
    assert bmc.calls.count("off") == 1
    assert bmc.calls.count("state") >= 3
    assert rig.instances()[InstanceId("web")].host != "src"


def test_a_failing_bmc_parks_the_job_with_a_message_a_person_can_act_on(
    make_rig: RigFactory,
) -> None:
    rig = make_rig(cloud_of([vm("web")]))
    kill(rig)
    rig.ctx.fencer = Bmc(rig, failure=FenceFailure.REFUSED)
    job = hostdown.report_down(rig.ctx, "src", actor=ADMIN)
    seen: list[str] = []

    class Parked(Exception):
        pass

    def stop(_: object) -> None:
        current = rig.store.get_job(job.id)
        if hostdown.parked(current):
            seen.append(current.message)
            if len(rig.ctx.fencer.calls) >= 3:  # type: ignore[attr-defined]
                raise Parked

    rig.observers.append(stop)
    with pytest.raises(Parked):
        rig.run(job)
    assert "credentials" in seen[-1] and "--fenced" in seen[-1]
    assert rig.store.get_job(job.id).phase is JobPhase.AWAITING_FENCE
    assert rig.instances()[InstanceId("web")].host == "src"


def test_a_capacity_shortfall_gives_each_instance_left_its_reason_and_loses_nothing(
    make_rig: RigFactory,
) -> None:
    guests = [vm(f"big{n}", flavor="m1.xlarge", power_state="running") for n in range(5)]
    state = cloud_of(
        guests,
        hosts=[{"name": "src", "vcpus": 64, "ram_mb": 131072}, {"name": "d1", "ram_mb": 40000}],
    )
    rig = make_rig(state)
    kill(rig)
    job = rig.run(hostdown.report_down(rig.ctx, "src", fenced=True, actor=ADMIN))
    assert job.status is JobStatus.FAILED
    tasks = rig.store.get_job(job.id).tasks
    moved = [t for t in tasks if t.outcome is Outcome.MOVED]
    left = [t for t in tasks if t.outcome is Outcome.BLOCKED]
    assert moved and left
    assert all("no room" in t.reason for t in left)
    instances = rig.instances()
    assert len(instances) == 5
    assert all(instances[t.instance_id].host == "src" for t in left)

    # Room appears; a second report evacuates the rest and still knows they ran before.
    with rig.cloud.session() as s:
        for name in ("d2", "d3"):
            s.hosts[name] = replace(s.hosts["d1"], name=HostName(name))
    again = rig.run(hostdown.report_down(rig.ctx, "src", fenced=True, actor=ADMIN))
    assert again.status is JobStatus.SUCCEEDED, again.message
    assert {t.power_before for t in again.tasks} == {"running"}
    assert all(i.power_state is PowerState.RUNNING for i in rig.instances().values())
    assert all(i.host != "src" for i in rig.instances().values())


def test_evacuation_goes_highest_priority_first_and_onto_reserved_hosts_first(
    make_rig: RigFactory,
) -> None:
    rig = make_rig(cloud_of([vm("low"), vm("high"), vm("mid")]))
    with rig.cloud.session() as s:
        for name, prio in (("low", "1"), ("high", "9"), ("mid", "5")):
            s.instances[name] = replace(s.instances[name], metadata=(("vacate:priority", prio),))
    kill(rig)
    job = hostdown.report_down(rig.ctx, "src", fenced=True, reserved=["d3"], actor=ADMIN)
    finished = rig.run(job)
    tasks = sorted(rig.store.get_job(finished.id).tasks, key=lambda t: t.order)
    assert [t.instance_name for t in tasks] == ["high", "mid", "low"]
    # Without the reserved host the scheduler would spread them over d1, d2 and d3.
    assert {rig.instances()[t.instance_id].host for t in tasks} == {"d3"}


def test_a_host_that_comes_back_before_evacuation_keeps_what_has_not_left(
    make_rig: RigFactory,
) -> None:
    rig = make_rig(cloud_of([vm("a", power_state="running"), vm("b", power_state="running")]))
    kill(rig)
    job = hostdown.report_down(rig.ctx, "src", fenced=True, actor=ADMIN)

    revived: list[bool] = []

    def revive_at_evacuate(_: object) -> None:
        if not revived and rig.store.get_job(job.id).phase is JobPhase.EVACUATE:
            rig.cloud.revive_host("src")
            revived.append(True)

    rig.observers.append(revive_at_evacuate)
    finished = rig.run(job)
    assert revived
    instances = rig.instances()
    assert len(instances) == 2
    running = [i for i in instances.values() if i.power_state is PowerState.RUNNING]
    assert all(i.host != "src" for i in running)
    assert rig.store.get_maintenance(HostName("src")).state is MaintenanceState.DOWN
    assert finished.status is JobStatus.FAILED
    assert all("reported up again" in t.reason for t in finished.tasks)


def test_recover_refuses_while_a_stale_copy_still_runs_and_then_leaves_it_in_maintenance(
    make_rig: RigFactory,
) -> None:
    rig = make_rig(cloud_of([vm("web", power_state="running")]))
    # Reported with --fenced while its service was up: the host was never really off.
    job = rig.run(hostdown.report_down(rig.ctx, "src", fenced=True, actor=ADMIN))
    assert job.status is JobStatus.SUCCEEDED, job.message
    with pytest.raises(Conflict, match="web"):
        hostdown.recover(rig.ctx, "src", actor=ADMIN)
    rig.cloud.revive_host("src")  # its compute restarts and destroys the evacuated copy
    done = rig.run(hostdown.recover(rig.ctx, "src", actor=ADMIN))
    assert done.status is JobStatus.SUCCEEDED, done.message
    host = rig.cloud.get_host("src")
    assert not host.forced_down and not host.is_enabled
    assert rig.store.get_maintenance(HostName("src")).state is MaintenanceState.MAINTENANCE


def test_recover_refuses_while_the_service_still_reports_down(make_rig: RigFactory) -> None:
    rig = make_rig(cloud_of([vm("web")]))
    kill(rig)
    rig.run(hostdown.report_down(rig.ctx, "src", fenced=True, actor=ADMIN))
    with pytest.raises(Conflict, match="still reports down"):
        hostdown.recover(rig.ctx, "src", actor=ADMIN)


def test_no_evacuate_stops_after_marking(make_rig: RigFactory) -> None:
    rig = make_rig(cloud_of([vm("web", power_state="running")]))
    kill(rig)
    job = rig.run(hostdown.report_down(rig.ctx, "src", fenced=True, evacuate=False, actor=ADMIN))
    assert job.status is JobStatus.SUCCEEDED
    inst = rig.instances()[InstanceId("web")]
    assert inst.host == "src" and inst.vm_state is VmState.STOPPED
    assert not rig.migrations()


def test_the_sim_scheduler_never_boots_on_a_forced_down_host(make_rig: RigFactory) -> None:
    rig = make_rig(cloud_of([], destinations=("d1",)))
    rig.cloud.force_down("d1", True)
    from vacate.domain.errors import PermanentError
    from vacate.domain.model import Flavor

    for n in range(3):
        booted = rig.cloud.boot(
            f"new{n}", Flavor(name="m1.small", vcpus=1, ram_mb=2048, disk_gb=20)
        )
        assert booted.host == "src"
    kill(rig)
    with pytest.raises(PermanentError):
        rig.cloud.boot("none", Flavor(name="m1.small", vcpus=1, ram_mb=2048, disk_gb=20))


def test_a_report_cancelled_before_it_starts_puts_the_host_back_and_touches_nothing(
    make_rig: RigFactory,
) -> None:
    rig = make_rig(cloud_of([vm("web", power_state="running")]))
    kill(rig)
    job = hostdown.report_down(rig.ctx, "src", actor=ADMIN)
    assert rig.store.get_maintenance(HostName("src")).state is MaintenanceState.DOWN
    cancelled = commands.cancel(rig.ctx, job.id, actor=ADMIN)
    assert cancelled.status is JobStatus.CANCELLED
    assert rig.store.get_maintenance(HostName("src")).state is MaintenanceState.OPERATIONAL
    assert not rig.cloud.get_host("src").forced_down
    assert rig.instances()[InstanceId("web")].vm_state is VmState.ACTIVE


def test_a_report_cancelled_at_the_gate_evacuates_nothing_and_the_host_stays_down(
    make_rig: RigFactory,
) -> None:
    rig = make_rig(cloud_of([vm("web", power_state="running")]))
    kill(rig)
    job = hostdown.report_down(rig.ctx, "src", actor=ADMIN)

    def cancel_at_gate(_: object) -> None:
        current = rig.store.get_job(job.id)
        if hostdown.parked(current) and not current.cancel_requested:
            commands.cancel(rig.ctx, job.id, actor=ADMIN)

    rig.observers.append(cancel_at_gate)
    done = rig.run(job)
    assert done.status is JobStatus.CANCELLED
    assert "nothing was evacuated" in done.message
    assert rig.instances()[InstanceId("web")].host == "src"
    assert not rig.migrations()
    assert rig.store.get_maintenance(HostName("src")).state is MaintenanceState.DOWN


class Died(Exception):
    """The worker dies right after the cloud accepted a call, before anything is recorded."""


def test_a_worker_dying_right_after_the_cloud_accepted_an_evacuation_never_doubles_it(
    make_rig: RigFactory,
) -> None:
    rig = make_rig(cloud_of([vm("a", power_state="running"), vm("b", power_state="running")]))
    kill(rig)
    job = hostdown.report_down(rig.ctx, "src", fenced=True, actor=ADMIN)
    real = rig.cloud.evacuate

    def accept_then_die(instance_id: InstanceId, dest: HostName | None) -> object:
        real(instance_id, dest)
        raise Died

    rig.cloud.evacuate = accept_then_die  # type: ignore[method-assign,assignment]
    with pytest.raises(Died):
        rig.run(job)
    rig.cloud.evacuate = real  # type: ignore[method-assign]
    done = rig.run(rig.store.get_job(job.id))
    assert done.status is JobStatus.SUCCEEDED, done.message
    evacuations = [m.instance_id for m in rig.migrations() if m.kind.value == "evacuation"]
    assert sorted(evacuations) == ["a", "b"]
    assert all(i.power_state is PowerState.RUNNING for i in rig.instances().values())


def test_a_second_report_leaves_the_stale_copies_of_what_was_evacuated_alone(
    make_rig: RigFactory,
) -> None:
    rig = make_rig(cloud_of([vm("web", power_state="running")]))
    # Reported --fenced while it still ran: web is rebuilt elsewhere, its copy runs on src.
    first = rig.run(hostdown.report_down(rig.ctx, "src", fenced=True, actor=ADMIN))
    assert first.status is JobStatus.SUCCEEDED, first.message
    kill(rig)
    second = rig.run(hostdown.report_down(rig.ctx, "src", fenced=True, actor=ADMIN))
    copies = [t for t in second.tasks if t.instance_name == "web"]
    assert copies and all(t.outcome is Outcome.SKIPPED for t in copies), second.tasks
    assert "run it twice" in copies[0].reason
    running = [
        i
        for i in rig.instances().values()
        if i.name == "web" and i.power_state is PowerState.RUNNING and i.host != "src"
    ]
    assert len(running) == 1, running  # one guest named web runs away from src, not two


def test_a_paused_guest_is_evacuated_stopped_and_its_result_says_so(
    make_rig: RigFactory,
) -> None:
    rig = make_rig(cloud_of([vm("idle", vm_state="paused", power_state="paused")]))
    kill(rig)
    job = rig.run(hostdown.report_down(rig.ctx, "src", fenced=True, actor=ADMIN))
    assert job.status is JobStatus.SUCCEEDED, job.message
    now = rig.instances()[InstanceId("idle")]
    (task,) = job.tasks
    assert now.host != "src"
    assert now.power_state.value in task.reason  # the result states the power it has now
    assert "as it was" not in task.reason
