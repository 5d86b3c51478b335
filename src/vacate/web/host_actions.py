"""Extra actions on the host page, registered by the capability that provides them.

The host page renders each registered action's form (a template of its own) for an admin
when ``shown`` says it applies to the host; nothing registered, nothing shown. The host-down
workflow's Report down and Recover come this way: ``vacate.web.report_down`` calls
``register`` with their templates, and its POST routes (``page(Role.ADMIN, …)``, the form read
by ``checked_form``, the engine's command with ``web_actor``) are among the routers of
``vacate.web.install``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from vacate.engine.views import HostView


@dataclass(frozen=True, kw_only=True)
class HostAction:
    name: str
    #: A template under ``vacate/web/templates`` that renders the action's form; it sees the
    #: host page's context (``host`` as ``serialize.host_to_dict``, ``csrf_token``).
    template: str
    shown: Callable[[HostView], bool]


_ACTIONS: list[HostAction] = []


def register(action: HostAction) -> None:
    if any(a.name == action.name for a in _ACTIONS):
        raise ValueError(f"host action {action.name!r} is registered already")
    _ACTIONS.append(action)


def actions_for(view: HostView) -> list[HostAction]:
    return [a for a in _ACTIONS if a.shown(view)]
