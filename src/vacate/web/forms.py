"""The maintenance and Migrate-instances forms as job options, the same options the API's
``MoveOptions`` takes, checked the same way (a bad field names itself)."""

from __future__ import annotations

import re
from typing import Any

from vacate.domain.jobs import JobOptions, Method
from vacate.domain.model import HostName

_OVERRIDE = re.compile(r"^([A-Za-z_-]+)=(live|cold|skip)$")
_LIMITS = ("max_parallel", "max_per_source", "max_per_destination")
#: Fields the forms send: a Confirm form repeats them from the previewed ones.
FIELDS = (
    "reason",
    "method",
    "target",
    *_LIMITS,
    "policy",
    "allow_locked",
    "cold_fallback",
    "post_copy",
    "rollback_on_error",
    "allow_partial",
)


def _flag(form: dict[str, str], name: str) -> bool:
    return form.get(name, "") in ("on", "true", "1", "yes")


def _limit(form: dict[str, str], name: str, default: int) -> int:
    text = form.get(name, "").strip()
    if not text:
        return default
    if not text.isdigit() or not 1 <= int(text) <= 1000:
        raise ValueError(f"{name.replace('_', ' ')}: a whole number from 1 to 1000, not {text!r}")
    return int(text)


def parse_policy(text: str) -> tuple[tuple[str, str], ...]:
    """``suspended=skip, error=skip`` (commas or spaces between) → sorted pairs."""
    pairs = {}
    for part in re.split(r"[,\s]+", text.strip()):
        if not part:
            continue
        match = _OVERRIDE.match(part)
        if match is None:
            raise ValueError(f"per-state overrides: {part!r} is not STATE=live|cold|skip")
        pairs[match.group(1)] = match.group(2)
    return tuple(sorted(pairs.items()))


def move_options(form: dict[str, str], *, maintenance: bool) -> JobOptions:
    method = form.get("method", "").strip()
    if method and method not in (Method.LIVE.value, Method.COLD.value):
        raise ValueError(f"method: live, cold or per state, not {method!r}")
    target = form.get("target", "").strip()
    reason = form.get("reason", "").strip()
    if maintenance and not reason:
        raise ValueError("reason: say why the host goes into maintenance")
    if any(not c.isprintable() for c in reason) or len(reason) > 500:
        raise ValueError("reason: printable text, at most 500 characters")
    defaults = JobOptions()
    return JobOptions(
        reason=reason if maintenance else "",
        force_method=Method(method) if method else None,
        target=HostName(target) if target else None,
        max_parallel=_limit(form, "max_parallel", defaults.max_parallel),
        max_per_source=_limit(form, "max_per_source", defaults.max_per_source),
        max_per_destination=_limit(form, "max_per_destination", defaults.max_per_destination),
        state_policy=parse_policy(form.get("policy", "")),
        allow_locked=_flag(form, "allow_locked"),
        allow_cold_fallback=_flag(form, "cold_fallback"),
        allow_post_copy=_flag(form, "post_copy"),
        rollback_on_error=maintenance and _flag(form, "rollback_on_error"),
        allow_partial=_flag(form, "allow_partial"),
    )


def migrate_modal_options(form: dict[str, str]) -> JobOptions:
    """The Horizon modal: "Live migrate" ticked moves running instances live and the others
    cold (the per-state policy); unticked cold-migrates every instance."""
    fields = dict(form)
    fields["method"] = "" if _flag(form, "live_migrate") else Method.COLD.value
    fields.setdefault("post_copy", "on")
    return move_options(fields, maintenance=False)


def form_values(form: dict[str, str]) -> dict[str, Any]:
    """What a re-rendered form shows: the fields as posted."""
    return {name: form.get(name, "") for name in FIELDS}


def default_values() -> dict[str, Any]:
    defaults = JobOptions()
    values: dict[str, Any] = dict.fromkeys(FIELDS, "")
    values.update(
        {name: str(getattr(defaults, name)) for name in _LIMITS},
        post_copy="on",
    )
    return values
