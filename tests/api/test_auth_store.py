"""The auth store on SQLite and PostgreSQL, and the shared cloud reads of the read routes."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from vacate.api.reads import SharedReads
from vacate.api.tokens import make_token, secret_matches, split_token
from vacate.domain.actors import Role
from vacate.domain.errors import Conflict, NotFound
from vacate.domain.model import Host
from vacate.ports.auth import AuditQuery, NewAuditEntry
from vacate.store import open_store
from vacate.store.auth import SqlAuthStore, auth_store_for


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def auth(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SqlAuthStore]:
    url = (
        f"sqlite:///{tmp_path / 'auth.db'}"
        if request.param == "sqlite"
        else request.getfixturevalue("pg_url")
    )
    store = open_store(url)
    try:
        yield auth_store_for(store)
    finally:
        store.close()


def test_a_token_is_kept_as_a_hash_found_by_its_key_and_revoked_once(auth: SqlAuthStore) -> None:
    made = make_token("ci", Role.READER, now=100.0, expires_in_s=60.0, created_by="me")
    auth.add_token(made.stored)
    key, secret = split_token(made.text) or ("", "")
    found = auth.token_by_key(key)
    assert found is not None and secret not in repr(found) and made.text not in repr(found)
    assert secret_matches(secret, found) and not secret_matches(secret + "x", found)
    assert found.usable(159.0) and not found.usable(161.0)
    first = auth.revoke_token("ci", at=120.0)
    assert auth.revoke_token("ci", at=130.0).revoked_at == first.revoked_at == 120.0
    with pytest.raises(NotFound, match="token 'nobody' not found"):
        auth.revoke_token("nobody", at=1.0)
    again = make_token("ci", Role.ADMIN, now=200.0, expires_in_s=None, created_by="me")
    with pytest.raises(Conflict, match="never reused"):
        auth.add_token(again.stored)


def test_the_audit_log_filters_and_pages_newest_first(auth: SqlAuthStore) -> None:
    for i in range(7):
        auth.record(
            NewAuditEntry(
                at=1000.0 + i,
                actor="ops" if i % 2 else "bot",
                role="admin",
                origin="api 10.0.0.1",
                action="maintenance.enter",
                outcome="allowed",
                status=202,
                host=f"c0{i % 3}",
            )
        )
    ops = auth.audit(AuditQuery(actor="ops"))
    assert [e.at for e in ops] == [1005.0, 1003.0, 1001.0]
    page = auth.audit(AuditQuery(limit=3))
    rest = auth.audit(AuditQuery(limit=10, before=page[-1].seq))
    assert [e.at for e in page + rest] == [1006.0 - i for i in range(7)]
    assert [e.at for e in auth.audit(AuditQuery(host="c00", since=1001.0))] == [1006.0, 1003.0]
    assert [e.at for e in auth.audit(AuditQuery(host="c00", until=1006.0))] == [1003.0, 1000.0]


def test_of_requests_racing_with_one_idempotency_key_one_reserves_it(
    auth: SqlAuthStore,
) -> None:
    barrier = threading.Barrier(6)
    results: list[Any] = []

    def reserve() -> None:
        barrier.wait()
        results.append(auth.reserve_key("ops", "k1", fingerprint="f", at=1.0))

    threads = [threading.Thread(target=reserve) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results.count(None) == 1
    auth.bind_key("ops", "k1", "job1")
    held = auth.get_key("ops", "k1")
    assert held is not None and held.job_id == "job1"
    auth.release_key("ops", "k1")  # a bound key stays
    assert auth.get_key("ops", "k1") is not None
    assert auth.reserve_key("other", "k1", fingerprint="f", at=1.0) is None  # keys are per token


class SlowCloud:
    def __init__(self) -> None:
        self.reads = 0

    def list_hosts(self) -> list[Host]:
        self.reads += 1
        time.sleep(0.2)
        return []


def test_requests_arriving_together_share_one_cloud_read() -> None:
    cloud = SlowCloud()
    shared = SharedReads(cloud)  # type: ignore[arg-type]
    threads = [threading.Thread(target=shared.hosts) for _ in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert cloud.reads == 1
    shared.hosts()  # nothing in flight any more: a fresh read
    assert cloud.reads == 2


def test_with_a_read_cache_a_recent_read_answers() -> None:
    now = [0.0]
    cloud = SlowCloud()
    shared = SharedReads(cloud, max_age_s=2.0, clock=lambda: now[0])  # type: ignore[arg-type]
    shared.hosts()
    now[0] = 1.9
    shared.hosts()
    assert cloud.reads == 1
    now[0] = 4.0
    shared.hosts()
    assert cloud.reads == 2
