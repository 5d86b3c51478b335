"""Nova's refusals and failures as Vacate's classified errors, against a real Nova."""

from __future__ import annotations

import random

import pytest
from novacloud import Nova, wait_for

from vacate.clouds.openstack import OpenStackCloud
from vacate.clouds.openstack.api import Retry
from vacate.domain.errors import Conflict, PermanentError, TemporaryError
from vacate.domain.model import HostName, InstanceId
from vacate.ports.cloud import MigrationStatus


def test_no_valid_host_is_permanent_with_novas_reason(cloud: OpenStackCloud, nova: Nova) -> None:
    server = InstanceId(nova.boot("nvh-1", "compute-1"))
    cloud.disable_service("compute-3", "vacate: closed for the test")
    try:
        with pytest.raises(PermanentError, match="No valid host was found"):
            cloud.live_migrate(server, HostName("compute-3"))
        with pytest.raises(PermanentError, match="No valid host was found"):
            cloud.cold_migrate(server, HostName("compute-3"))
    finally:
        cloud.enable_service("compute-3")
    assert cloud.get_instance(server).host == "compute-1"


def test_a_busy_instance_is_a_temporary_error_and_a_wrong_state_a_conflict(
    cloud: OpenStackCloud, nova: Nova
) -> None:
    busy = InstanceId(nova.boot("busy-1", "compute-1"))
    nova.plan_live_migration(busy, converge=False)
    mid = cloud.live_migrate(busy, HostName("compute-2"))
    try:
        wait_for("running", lambda: cloud.get_migration(mid).status is MigrationStatus.RUNNING)
        with pytest.raises(TemporaryError, match="task_state migrating") as caught:
            cloud.live_migrate(busy, HostName("compute-3"))
        assert caught.value.delay > 0
    finally:
        cloud.abort_migration(mid)
    stopped = InstanceId(nova.boot("stopped-1", "compute-1"))
    nova.act(stopped, {"os-stop": None})
    nova.wait_status(stopped, "SHUTOFF")
    with pytest.raises(Conflict, match="vm_state stopped"):
        cloud.live_migrate(stopped, HostName("compute-2"))


def test_a_failed_migration_says_why_from_the_instance_actions(
    cloud: OpenStackCloud, nova: Nova
) -> None:
    server = InstanceId(nova.boot("fail-1", "compute-1"))
    nova.plan_live_migration(server, fail="precheck", reason="the destination's disk is on fire")
    mid = cloud.live_migrate(server, HostName("compute-2"))
    failed = wait_for(
        "the failure",
        lambda: (m := cloud.get_migration(mid)).status.is_terminal and m,
        30.0,
    )
    assert failed.status is MigrationStatus.FAILED
    assert failed.error is not None and "the destination's disk is on fire" in failed.error
    assert cloud.get_instance(server).host == "compute-1"
    # A failure Nova gives no reason for still says what failed.
    nova.plan_live_migration(server, seconds=1.0, fail="during")
    mid = cloud.live_migrate(server, HostName("compute-2"))
    failed = wait_for(
        "the failure", lambda: (m := cloud.get_migration(mid)).status.is_terminal and m, 30.0
    )
    assert failed.status is MigrationStatus.FAILED and "live migration failed" in (
        failed.error or ""
    )


def test_an_api_answering_503_for_a_while_is_retried(cloud: OpenStackCloud, nova: Nova) -> None:
    waits: list[float] = []
    cloud.compute.retry = Retry(attempts=4, base_s=0.05, sleep=waits.append, rng=random.Random(1))
    nova.unavailable(2)
    assert any(h.name == "compute-1" for h in cloud.list_hosts())
    assert len(waits) == 2 and waits[1] <= 0.1  # backed off, with jitter, bounded
    nova.unavailable(2)
    cloud.disable_service("compute-2", "vacate: retried")  # a 503 was not acted on: resent
    assert cloud.get_host("compute-2").disabled_reason == "vacate: retried"
    cloud.enable_service("compute-2")


def test_an_api_that_stays_down_is_a_temporary_error(cloud: OpenStackCloud, nova: Nova) -> None:
    waits: list[float] = []
    cloud.compute.retry = Retry(attempts=3, base_s=0.05, sleep=waits.append)
    nova.unavailable(3)
    with pytest.raises(TemporaryError, match="unavailable"):
        cloud.list_hosts()
    assert len(waits) == 2
    assert cloud.list_hosts()  # and back
