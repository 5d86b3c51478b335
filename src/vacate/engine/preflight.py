"""Gather the cloud's truth and hand it to the pure planner: the preflight (and ``--dry-run``)."""

from __future__ import annotations

from vacate.domain.jobs import JobOptions
from vacate.domain.model import HostName
from vacate.planning.hoststate import build_host_states
from vacate.planning.preflight import DrainPlan, plan_drain
from vacate.ports.cloud import Cloud
from vacate.ports.store import Store


def plan_for(ctx_or_cloud: object, host: str, options: JobOptions, store: Store | None = None) -> DrainPlan:
    """The drain plan for ``host`` as things stand now; touches nothing."""
    cloud: Cloud = getattr(ctx_or_cloud, "cloud", ctx_or_cloud)  # type: ignore[assignment]
    store = store or getattr(ctx_or_cloud, "store")  # noqa: B009
    source = cloud.get_host(host)
    hosts = cloud.list_hosts()
    instances = cloud.list_instances()
    maintenance = {m.host: m.state for m in store.list_maintenance()}
    groups = {g.id: g for g in cloud.list_server_groups()}
    return plan_drain(
        source=HostName(source.name),
        instances=[i for i in instances if i.host == source.name],
        host_states=build_host_states(hosts, instances, maintenance),
        groups=groups,
        options=options,
        bandwidth=source.nic_bytes_per_s or None,
    )
