"""The dashboard's session cookie and its CSRF token, and the forms' options: the parts that
decide who is signed in and what a form asks for."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import pytest

from vacate.domain.actors import Role
from vacate.domain.jobs import Method
from vacate.ports.auth import StoredToken
from vacate.web.forms import migrate_modal_options, move_options, parse_policy
from vacate.web.plan_view import parallel_makespan
from vacate.web.session import LIFETIME_S, Sessions

NOW = 1_000_000.0
TOKEN = StoredToken(
    name="ops",
    key_id="0123456789abcdef",
    secret_hash="a" * 64,
    role=Role.ADMIN,
    created_at=NOW - 10,
    created_by="cli",
)


def lookup_of(token: StoredToken | None) -> Callable[[str], StoredToken | None]:
    return lambda key_id: token if token is not None and key_id == token.key_id else None


def test_a_session_cookie_reads_back_as_its_token_and_names_no_secret() -> None:
    sessions = Sessions()
    cookie, lifetime = sessions.issue(TOKEN, now=NOW)
    assert lifetime == LIFETIME_S
    assert TOKEN.secret_hash not in cookie
    found = sessions.read(cookie, lookup_of(TOKEN), now=NOW + 60)
    assert found is not None and found.token.name == "ops"


@pytest.mark.parametrize(
    "damage",
    [
        lambda c: c[:-1] + ("0" if c[-1] != "0" else "1"),  # signature changed
        lambda c: c.replace(c.split(".")[1], str(int(c.split(".")[1]) + 3600)),  # longer life
        lambda c: "garbage",
        lambda c: c + ".extra",
    ],
)
def test_a_tampered_cookie_is_no_session(damage: Callable[[str], str]) -> None:
    sessions = Sessions()
    cookie, _ = sessions.issue(TOKEN, now=NOW)
    assert sessions.read(damage(cookie), lookup_of(TOKEN), now=NOW) is None


def test_a_session_ends_with_its_token_its_lifetime_or_the_servers_key() -> None:
    sessions = Sessions()
    cookie, _ = sessions.issue(TOKEN, now=NOW)
    revoked = replace(TOKEN, revoked_at=NOW + 1)
    assert sessions.read(cookie, lookup_of(revoked), now=NOW + 2) is None
    assert sessions.read(cookie, lookup_of(None), now=NOW) is None
    assert sessions.read(cookie, lookup_of(TOKEN), now=NOW + LIFETIME_S + 1) is None
    assert Sessions().read(cookie, lookup_of(TOKEN), now=NOW) is None  # another key
    # A token made again under the same key id (another secret) does not inherit it.
    rehashed = replace(TOKEN, secret_hash="b" * 64)
    assert sessions.read(cookie, lookup_of(rehashed), now=NOW) is None


def test_a_session_never_outlives_its_token() -> None:
    short = replace(TOKEN, expires_at=NOW + 120)
    _, lifetime = Sessions().issue(short, now=NOW)
    assert lifetime == 120


def test_the_csrf_token_belongs_to_one_session() -> None:
    sessions = Sessions()
    one = sessions.read(sessions.issue(TOKEN, now=NOW)[0], lookup_of(TOKEN), now=NOW)
    two = sessions.read(sessions.issue(TOKEN, now=NOW)[0], lookup_of(TOKEN), now=NOW)
    assert one is not None and two is not None
    assert sessions.csrf_matches(one, sessions.csrf(one))
    assert not sessions.csrf_matches(one, sessions.csrf(two))
    assert not sessions.csrf_matches(one, "")


def test_the_maintenance_form_becomes_the_job_options_it_shows() -> None:
    options = move_options(
        {
            "reason": "BIOS update",
            "method": "live",
            "target": "c07",
            "max_parallel": "4",
            "policy": "suspended=skip, error=skip",
            "post_copy": "on",
            "rollback_on_error": "on",
        },
        maintenance=True,
    )
    assert options.reason == "BIOS update"
    assert options.force_method is Method.LIVE and options.target == "c07"
    assert options.max_parallel == 4
    assert options.state_policy == (("error", "skip"), ("suspended", "skip"))
    assert options.allow_post_copy and options.rollback_on_error and not options.allow_locked


@pytest.mark.parametrize(
    ("form", "names"),
    [
        ({"reason": ""}, "reason"),
        ({"reason": "x", "max_parallel": "0"}, "max parallel"),
        ({"reason": "x", "method": "teleport"}, "method"),
        ({"reason": "x", "policy": "suspended"}, "per-state overrides"),
    ],
)
def test_a_bad_form_field_is_refused_naming_it(form: dict[str, str], names: str) -> None:
    with pytest.raises(ValueError, match=names):
        move_options(form, maintenance=True)


def test_the_migrate_modal_with_live_unticked_cold_migrates_everything() -> None:
    assert migrate_modal_options({}).force_method is Method.COLD
    ticked = migrate_modal_options({"live_migrate": "on", "target": "c07"})
    assert ticked.force_method is None and ticked.target == "c07"
    assert parse_policy("") == ()


def test_the_drain_estimate_puts_the_longest_moves_on_parallel_lanes_first() -> None:
    # 10 | 6, then 5 onto the 6 (11), then 4 onto the 10: 14.
    assert parallel_makespan([4, 5, 10, 6], 2) == 14
    assert parallel_makespan([4, 5, 10, 6], 1) == 25
    assert parallel_makespan([4, 5, 10, 6], 10) == 10
