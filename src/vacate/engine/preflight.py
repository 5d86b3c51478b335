"""Gather the cloud's truth and hand it to the pure planner: the preflight (and ``--dry-run``)."""

from __future__ import annotations

from vacate.domain.jobs import JobOptions
from vacate.domain.maintenance import MaintenanceState
from vacate.domain.model import HostName
from vacate.planning.hoststate import build_host_states
from vacate.planning.preflight import DrainPlan, plan_drain
from vacate.ports.cloud import Cloud
from vacate.ports.store import Store


def stream_bandwidth(cloud: Cloud, nic_bytes_per_s: float) -> float | None:
    """What one migration from a host can send: its NIC, capped by the per-stream limit."""
    cap = cloud.capabilities.stream_bytes_per_s
    rates = [r for r in (nic_bytes_per_s, cap) if r]
    return min(rates) if rates else None


def plan_for(cloud: Cloud, store: Store, host: str, options: JobOptions) -> DrainPlan:
    """The drain plan for ``host`` as things stand now; touches nothing."""
    source = cloud.get_host(host)
    hosts = cloud.list_hosts()
    instances = cloud.list_instances()
    maintenance: dict[str, MaintenanceState] = {m.host: m.state for m in store.list_maintenance()}
    groups = {g.id: g for g in cloud.list_server_groups()}
    return plan_drain(
        source=HostName(source.name),
        instances=[i for i in instances if i.host == source.name],
        host_states=build_host_states(hosts, instances, maintenance),
        groups=groups,
        options=options,
        bandwidth=stream_bandwidth(cloud, source.nic_bytes_per_s),
    )
