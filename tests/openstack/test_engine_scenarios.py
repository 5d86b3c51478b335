"""The engine's promises, held against a real Nova: a killed worker's drain is resumed without
moving anything twice, ``--restore`` brings servers back, parallel moves keep anti-affinity,
and Nova's NoValidHost ends the host in ``error`` with each server's reason."""

from __future__ import annotations

import signal

from novacloud import Nova, Vacate, outcomes, wait_for

from vacate.clouds.openstack import OpenStackCloud
from vacate.domain.model import VmState

#: The worker's lease: short, so the next worker takes over quickly.
FAST_LEASE = {"VACATE_LEASE_SECONDS": "2"}


def sent(nova: Nova, server: str, action: str) -> object:
    """The ``host`` of the last ``action`` sent for ``server``."""
    bodies = [b[action] for b in nova.actions(server) if isinstance(b, dict) and action in b]
    return (bodies[-1] or {}).get("host")


def live_moves(nova: Nova, server: str) -> list[dict[str, object]]:
    return [m for m in nova.migrations_of(server) if m["migration_type"] == "live-migration"]


def test_a_worker_killed_mid_drain_is_resumed_by_the_next_without_a_second_migration(
    vacate: Vacate, cloud: OpenStackCloud, nova: Nova, drained_host: str
) -> None:
    servers = [nova.boot(f"crash-{n}", drained_host) for n in range(2)]
    for server in servers:
        nova.plan_live_migration(server, seconds=3.0)
    queued = vacate("host", "maintenance", "enable", drained_host, "--reason", "crash", "--no-wait")

    first = vacate.worker(**FAST_LEASE)
    try:
        wait_for(
            "a live migration running on Nova",
            lambda: any(m["status"] == "running" for s in servers for m in live_moves(nova, s)),
            60.0,
        )
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait(30)
    assert first.returncode == -signal.SIGKILL
    cut_short = {s for s in servers if cloud.get_instance(s).host == drained_host}
    assert cut_short, "every move ended before the worker was killed: nothing was resumed"

    second = vacate.worker("--until-idle", **FAST_LEASE)
    _, err = second.communicate(timeout=180)
    assert second.returncode == 0, err

    job = vacate("job", "show", queued["id"])
    assert job["status"] == "succeeded", job
    tasks = {t["instance_id"]: t for t in job["tasks"]}
    for server in servers:
        (move,) = live_moves(nova, server)  # exactly one live migration each
        assert move["status"] == "completed"
        assert tasks[server]["outcome"] == "moved"
        assert (
            cloud.get_instance(server).host == tasks[server]["destination"] == move["dest_compute"]
        )
    assert cloud.list_instances(drained_host) == []


def test_exit_with_restore_puts_the_servers_back_where_they_came_from(
    vacate: Vacate, cloud: OpenStackCloud, nova: Nova, drained_host: str
) -> None:
    web = nova.boot("web", drained_host)
    batch = nova.boot("batch", drained_host)
    nova.act(batch, {"os-stop": None})
    nova.wait_status(batch, "SHUTOFF")
    away = vacate("host", "maintenance", "enable", drained_host, "--reason", "PSU swap")
    assert away["status"] == "succeeded", away
    assert cloud.list_instances(drained_host) == []

    back = vacate("host", "maintenance", "disable", drained_host, "--restore")
    assert back["status"] == "succeeded", back
    assert {name: outcome for name, (outcome, _) in outcomes(back).items()} == {
        "web": "moved",
        "batch": "moved",
    }
    assert cloud.get_instance(web).host == drained_host
    assert cloud.get_instance(batch).host == drained_host
    assert nova.server(web)["status"] == "ACTIVE"
    assert nova.server(batch)["status"] == "SHUTOFF"
    # Moving back names the host even though Nova's scheduler picks destinations by default.
    assert sent(nova, web, "os-migrateLive") == drained_host
    assert sent(nova, batch, "migrate") == drained_host
    host = cloud.get_host(drained_host)
    assert host.is_enabled and host.disabled_reason is None


def test_parallel_migrations_never_co_locate_members_of_an_anti_affinity_group(
    vacate: Vacate, cloud: OpenStackCloud, nova: Nova, drained_host: str
) -> None:
    # Nova allows two members per host in this group; Vacate keeps them apart.
    group = nova.group("spread", "anti-affinity", rules={"max_server_per_host": 2})
    leaving = [nova.boot(f"spread-{n}", drained_host, group=group) for n in "ab"]
    staying = [
        nova.boot("spread-c", "compute-2", group=group),
        nova.boot("spread-d", "compute-3", group=group),
    ]
    for server in leaving:
        nova.plan_live_migration(server, seconds=2.0)

    job = vacate(
        "host", "maintenance", "enable", drained_host, "--reason", "rack", "--placement", "vacate"
    )
    assert job["status"] == "succeeded", job
    first, second = sorted(job["tasks"], key=lambda t: t["start"])
    assert second["start"] < first["end"], "the two moves did not overlap"
    hosts = [cloud.get_instance(s).host for s in leaving + staying]
    assert len(set(hosts)) == 4, hosts
    assert drained_host not in hosts
    # Vacate's placement: Nova was sent each planned host (and validated it).
    for task in job["tasks"]:
        named = sent(nova, task["instance_id"], "os-migrateLive")
        assert named == task["planned_destination"] == task["destination"]


def test_no_valid_host_from_nova_leaves_the_host_in_error_with_each_servers_reason(
    vacate: Vacate, cloud: OpenStackCloud, nova: Nova, drained_host: str
) -> None:
    # A trait only compute-1 has: Vacate's plan knows nothing of traits, Nova's scheduler does.
    trait = "CUSTOM_VACATE_ONLY_COMPUTE_1"
    nova.add_trait(drained_host, trait)
    flavor = nova.flavor("only-compute-1", {f"trait:{trait}": "required"})
    stuck = nova.boot("stuck", drained_host, flavor=flavor)
    free = nova.boot("free", drained_host)

    job = vacate("host", "maintenance", "enable", drained_host, "--reason", "bios", check=1)
    assert job["status"] == "failed", job
    result = outcomes(job)
    assert result["free"][0] == "moved"
    assert result["stuck"][0] == "failed"
    assert "No valid host" in result["stuck"][1], result
    shown = vacate("host", "show", drained_host)
    assert shown["maintenance_state"] == "error"
    server = cloud.get_instance(stuck)
    assert (server.host, server.vm_state) == (drained_host, VmState.ACTIVE)
    assert cloud.get_instance(free).host != drained_host
