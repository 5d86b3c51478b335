"""Maintenance through the API on a real server: 202 and Location, the worker thread running
the job, the one error shape (404 naming the host, 409 from the engine, 422 naming the field),
races on one host and Idempotency-Key, plans without side effects, exit with restore, cancel,
and the metrics of it all."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from .conftest import Tokens
from .server import Server, wait_for_job

SKIP_HARD = {"suspended": "skip", "error": "skip"}


@pytest.fixture
def admin(server: Server, tokens: Tokens) -> httpx.Client:
    return server.client(tokens.admin)


def sample(text: str, series: str) -> float:
    """The value of one series in Prometheus text."""
    for line in text.splitlines():
        if line.startswith(series + " "):
            return float(line.split()[-1])
    raise AssertionError(f"{series} not in the metrics")


def at_once(*calls: Callable[[], httpx.Response]) -> list[httpx.Response]:
    """Run the calls in threads released together."""
    barrier = threading.Barrier(len(calls))
    answers: list[Any] = [None] * len(calls)

    def run(i: int) -> None:
        barrier.wait()
        answers[i] = calls[i]()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return answers


def test_entering_maintenance_answers_202_with_the_job_and_the_worker_runs_it(
    admin: httpx.Client,
) -> None:
    answer = admin.post(
        "/v1/hosts/c03/maintenance", json={"reason": "disk swap", "policy": SKIP_HARD}
    )
    assert answer.status_code == 202, answer.text
    job = answer.json()
    assert answer.headers["location"] == f"/v1/jobs/{job['id']}"
    assert (job["kind"], job["host"], job["status"]) == ("enter_maintenance", "c03", "queued")
    assert job["actor"] == {"name": "ops-admin", "role": "admin", "origin": "api 127.0.0.1"}
    assert job["options"]["state_policy"] == [["error", "skip"], ["suspended", "skip"]]

    done = wait_for_job(admin, job["id"])
    assert done["status"] == "succeeded", done["message"]
    assert done["owner"] is None  # the lease was released
    assert len(done["tasks"]) == 10
    assert done["summary"]["moved"] + done["summary"]["skipped"] == 10
    assert all(t["outcome"] in ("moved", "skipped") for t in done["tasks"])
    host = admin.get("/v1/hosts/c03").json()
    assert host["maintenance_state"] == "maintenance"
    assert host["service_status"] == "disabled"
    assert [j["id"] for j in host["jobs"]][:1] == [job["id"]]
    listed = admin.get("/v1/hosts", params={"maintenance_state": "maintenance"}).json()
    assert [h["name"] for h in listed] == ["c03"]

    back = admin.delete("/v1/hosts/c03/maintenance", params={"restore": "true"})
    assert back.status_code == 202, back.text
    assert back.json()["options"]["restore"] is True
    restored = wait_for_job(admin, back.json()["id"])
    assert restored["status"] == "succeeded", restored["message"]
    assert admin.get("/v1/hosts/c03").json()["maintenance_state"] == "operational"


def test_two_simultaneous_requests_for_one_host_give_one_job_and_one_conflict(
    admin: httpx.Client,
) -> None:
    def enter() -> httpx.Response:
        return admin.post("/v1/hosts/c04/maintenance", json={"reason": "race"})

    answers = at_once(enter, enter)
    assert sorted(a.status_code for a in answers) == [202, 409], [a.text for a in answers]
    won = next(a for a in answers if a.status_code == 202).json()
    lost = next(a for a in answers if a.status_code == 409).json()
    assert lost["error"]["code"] == "conflict"
    assert won["id"] in lost["error"]["message"]  # the engine names the job to follow
    wait_for_job(admin, won["id"])


def test_the_same_idempotency_key_twice_gives_one_job(admin: httpx.Client) -> None:
    def enter() -> httpx.Response:
        return admin.post(
            "/v1/hosts/c05/migrate-instances",
            json={"policy": SKIP_HARD},
            headers={"Idempotency-Key": "drain-c05-once"},
        )

    answers = at_once(enter, enter)
    assert [a.status_code for a in answers] == [202, 202], [a.text for a in answers]
    assert answers[0].json()["id"] == answers[1].json()["id"]
    assert sorted(a.headers.get("idempotent-replayed", "") for a in answers) == ["", "true"]
    again = enter()
    assert again.status_code == 202 and again.json()["id"] == answers[0].json()["id"]
    wait_for_job(admin, answers[0].json()["id"])
    again = enter()  # even once the job is over: the key names that job for good
    assert again.json()["id"] == answers[0].json()["id"]
    other = admin.post(
        "/v1/hosts/c05/migrate-instances",
        json={"max_parallel": 2},
        headers={"Idempotency-Key": "drain-c05-once"},
    )
    assert other.status_code == 422
    assert "Idempotency-Key" in other.json()["error"]["message"]
    jobs = admin.get("/v1/jobs", params={"host": "c05"}).json()["items"]
    assert len(jobs) == 1


def test_unknown_hosts_and_jobs_are_404_naming_them_and_names_match_exactly(
    admin: httpx.Client,
) -> None:
    for method, path in (
        ("GET", "/v1/hosts/c0"),
        ("GET", "/v1/hosts/C01"),
        ("POST", "/v1/hosts/c0/plan"),
        ("GET", "/v1/hosts/c0/instances"),
        ("DELETE", "/v1/hosts/c0/maintenance"),
    ):
        answer = admin.request(method, path)
        assert answer.status_code == 404, (method, path, answer.text)
        assert answer.json() == {
            "error": {
                "code": "not_found",
                "message": path.split("/")[3].join(["host '", "' not found"]),
            }
        }
    answer = admin.get("/v1/jobs/abcdef123456")
    assert answer.json() == {
        "error": {"code": "not_found", "message": "job 'abcdef123456' not found"}
    }
    assert admin.post("/v1/jobs/abcdef123456/cancel").status_code == 404


def test_invalid_input_is_422_naming_the_field(admin: httpx.Client) -> None:
    cases = {
        "max_parallel": {"reason": "r", "max_parallel": 0},
        "reason": {"max_parallel": 2},
        "method": {"reason": "r", "method": "teleport"},
        "unknown_option": {"reason": "r", "unknown_option": True},
    }
    for field, body in cases.items():
        answer = admin.post("/v1/hosts/c06/maintenance", json=body)
        assert answer.status_code == 422, answer.text
        assert answer.json()["error"]["code"] == "invalid"
        assert answer.json()["error"]["message"].startswith(f"{field}:"), answer.text
    policy = admin.post("/v1/hosts/c06/plan", json={"policy": {"teleported": "skip"}})
    assert policy.status_code == 422 and "unknown state" in policy.json()["error"]["message"]
    target = admin.post("/v1/hosts/c06/plan", json={"target": "c06"})
    assert target.status_code == 422 and "is the host being drained" in target.text
    limit = admin.get("/v1/jobs", params={"limit": "lots"})
    assert limit.status_code == 422 and limit.json()["error"]["message"].startswith("limit:")
    for blank in ("   ", "\u00a0 "):  # a blank reason would become the bare prefix "vacate: "
        answer = admin.post("/v1/hosts/c06/maintenance", json={"reason": blank})
        assert answer.status_code == 422, answer.text
        assert answer.json()["error"]["message"].startswith("reason:"), answer.text
    assert admin.get("/v1/hosts/c06").json()["maintenance_state"] == "operational"


def test_an_illegal_transition_is_409_with_the_engines_message(admin: httpx.Client) -> None:
    answer = admin.delete("/v1/hosts/c07/maintenance")
    assert answer.status_code == 409
    error = answer.json()["error"]
    assert error["code"] == "conflict"
    assert error["message"].startswith("host 'c07' is 'operational': cannot go to 'exiting'")
    assert "vacate host maintenance enable c07" in error["message"], "says what to do next"


def test_a_plan_changes_nothing(admin: httpx.Client) -> None:
    before = admin.get("/v1/hosts/c06").json()
    plan = admin.post("/v1/hosts/c06/plan", json={"policy": SKIP_HARD})
    assert plan.status_code == 200, plan.text
    assert plan.json()["host"] == "c06" and plan.json()["ok"] is True
    assert len(plan.json()["items"]) == before["instance_count"]
    assert admin.get("/v1/hosts/c06").json() == before
    assert admin.get("/v1/jobs", params={"host": "c06"}).json()["items"] == []


def test_a_queued_job_can_be_cancelled_and_a_finished_one_cannot(
    server: Server, tokens: Tokens
) -> None:
    with server.client(tokens.admin) as admin:
        answer = admin.post("/v1/hosts/c02/maintenance", json={"reason": "r", "policy": SKIP_HARD})
        job_id = answer.json()["id"]
        cancel = admin.post(f"/v1/jobs/{job_id}/cancel")
        assert cancel.status_code in (202, 409), cancel.text
        done = wait_for_job(admin, job_id)
        assert done["status"] in ("cancelled", "succeeded")
        again = admin.post(f"/v1/jobs/{job_id}/cancel")
        assert again.status_code == 409
        assert again.json()["error"]["message"] == (
            f"job {job_id} is already {done['status']}: nothing to cancel"
        )


def test_jobs_are_listed_newest_first_with_filters_and_pages(admin: httpx.Client) -> None:
    for _ in range(3):
        answer = admin.post("/v1/hosts/c07/migrate-instances", json={"policy": SKIP_HARD})
        wait_for_job(admin, answer.json()["id"])
    everything = admin.get("/v1/jobs", params={"limit": 1000}).json()
    assert everything["next_offset"] is None
    ids = [j["id"] for j in everything["items"]]
    assert len(ids) >= 3
    paged: list[str] = []
    offset: int | None = 0
    while offset is not None:
        page = admin.get("/v1/jobs", params={"limit": 2, "offset": offset}).json()
        paged += [j["id"] for j in page["items"]]
        offset = page["next_offset"]
    assert paged == ids
    kinds = admin.get("/v1/jobs", params={"kind": "migrate_instances"}).json()["items"]
    assert {j["kind"] for j in kinds} == {"migrate_instances"}
    assert all("tasks" not in j and j["task_count"] >= 0 for j in everything["items"])


def test_metrics_count_jobs_tasks_migrations_and_requests(server: Server, tokens: Tokens) -> None:
    with server.client(tokens.admin) as admin:
        answer = admin.post("/v1/hosts/c01/maintenance", json={"reason": "m", "policy": SKIP_HARD})
        wait_for_job(admin, answer.json()["id"])
    with server.client(tokens.reader) as reader:
        text = reader.get("/metrics").text
    assert 'vacate_jobs{kind="enter_maintenance",status="succeeded"}' in text
    assert 'vacate_tasks{method="live",outcome="moved"}' in text
    assert "vacate_migrations_in_flight 0.0" in text
    moved = [line for line in text.splitlines() if line.startswith("vacate_migration_duration")]
    count = next(
        line for line in moved if line.startswith("vacate_migration_duration_seconds_count")
    )
    assert float(count.split()[-1]) > 0
    assert "vacate_migration_downtime_seconds_count" in text
    assert "vacate_migration_bytes_count" in text
    assert 'vacate_worker_jobs_total{kind="enter_maintenance",status="succeeded"}' in text
    assert (
        'vacate_api_requests_total{code="202",method="POST",route="/v1/hosts/{host}/maintenance"}'
        in text
    )
