"""Why a move failed, from the server's instance actions (``os-instance-actions``).

Nova keeps the reason of an asynchronous failure (NoValidHost from the conductor, a refused
pre-live-migration on the destination) on the events of the action that started the move;
``details`` (2.84+) is the message an operator would look for.
"""

from __future__ import annotations

from vacate.clouds.openstack.api import Api, Json
from vacate.clouds.openstack.migrations import timestamp
from vacate.ports.cloud import MigrationKind

ACTIONS = {
    MigrationKind.LIVE: ("live-migration",),
    MigrationKind.COLD: ("migrate", "resize"),
    MigrationKind.EVACUATION: ("evacuate",),
}
#: The action starts in the API a little before the conductor writes the migration record.
_SLACK_S = 2.0


def _started_action(actions: list[Json], kind: MigrationKind, created_at: float) -> Json | None:
    names = ACTIONS[kind]
    best: Json | None = None
    for action in actions:
        started = timestamp(action.get("start_time"))
        if action.get("action") not in names or started is None:
            continue
        if started <= created_at + _SLACK_S and (
            best is None or started > (timestamp(best.get("start_time")) or 0.0)
        ):
            best = action
    return best


def failure_reason(api: Api, server_id: str, kind: MigrationKind, created_at: float) -> str | None:
    """The failed events' messages for the move created at ``created_at``, if Nova gave any."""
    listing = api.get(
        f"/servers/{server_id}/os-instance-actions", kind="instance actions of", name=server_id
    )
    action = _started_action(listing.get("instanceActions", []), kind, created_at)
    if action is None:
        return None
    detail = api.get(
        f"/servers/{server_id}/os-instance-actions/{action['request_id']}",
        kind="instance action",
        name=str(action["request_id"]),
    )
    events = (detail.get("instanceAction") or {}).get("events") or []
    messages: list[str] = []
    for event in sorted(events, key=lambda e: str(e.get("start_time") or "")):
        if event.get("result") == "Error":
            text = " ".join(str(event.get("details") or "").split())
            if text and text not in messages:
                messages.append(text)
    return "; ".join(messages) or None
