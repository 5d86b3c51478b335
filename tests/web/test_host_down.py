"""Report down and Recover from the dashboard: a host killed on the simulated cloud is reported
down with "fenced" ticked, its instances are evacuated and, once repaired, it is recovered; a
report without the fence waits at the fencing gate until the admin asserts it from the job's
page; a host still up is refused unless fenced."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from api.server import Server

from .conftest import screenshot, wait_until_ended

#: The seeded cloud's hosts this module fails (the module has a server of its own).
DEAD, UNFENCED = "c06", "c07"


def instance_names(page: Page, host: str) -> list[str]:
    page.goto(f"/hosts/{host}")
    rows = page.get_by_test_id("instances").locator("tbody th")
    return [text.split()[0] for text in rows.all_inner_texts() if text]


def results_of(page: Page) -> dict[str, tuple[str, str]]:
    """The ended job's results table: instance → (outcome, method)."""
    expect(page.get_by_test_id("results")).to_be_visible(timeout=120_000)  # reloaded, ended
    rows = page.get_by_test_id("results").locator("tbody tr")
    names = rows.locator("th").all_inner_texts()
    outcomes = rows.locator("td .outcome").all_inner_texts()
    methods = rows.locator("td:nth-child(3)").all_inner_texts()
    return dict(zip(names, zip(outcomes, methods, strict=True), strict=True))


def test_a_host_still_up_is_refused_unless_fenced_and_keeps_its_state(admin: Page) -> None:
    page = admin
    page.goto("/hosts/c04")
    form = page.locator("#down-form")
    expect(form.get_by_label("The host is powered off (fenced)")).not_to_be_checked()
    expect(form.get_by_label("Evacuate its instances")).to_be_checked()
    expect(page.locator("#fenced-warning")).to_contain_text("run twice")
    form.get_by_label("Reason").fill("fans screaming")
    form.get_by_role("button", name="Report down").click()
    message = page.get_by_test_id("message")
    expect(message).to_contain_text("host c04: its compute service still reports up")
    expect(message).to_contain_text("could run its instances twice")
    assert page.url.endswith("/hosts/c04/down")
    # Nothing changed, and the form keeps what was typed.
    expect(page.get_by_test_id("maintenance-state")).to_have_text("operational")
    expect(page.locator("#down-form").get_by_label("Reason")).to_have_value("fans screaming")
    answer = page.request.get("/v1/hosts/c04")
    assert answer.json()["maintenance_state"] == "operational"
    assert answer.json()["jobs"] == []


def test_an_unknown_host_or_a_bad_reason_is_named_and_changes_nothing(admin: Page) -> None:
    page = admin
    page.goto("/hosts/c05")
    csrf = page.locator("#down-form input[name=csrf_token]").get_attribute("value") or ""
    fenced = {"csrf_token": csrf, "fenced": "on", "evacuate": "on"}
    answer = page.request.post("/hosts/c99/down", form=fenced, max_redirects=0)
    assert answer.status == 404 and "c99" in answer.text(), answer.text()
    answer = page.request.post(
        "/hosts/c05/down", form={**fenced, "down_reason": "bad\x07bell"}, max_redirects=0
    )
    assert answer.status == 422 and "reason: printable text" in answer.text()
    answer = page.request.post("/hosts/c05/recover", form={"csrf_token": csrf}, max_redirects=0)
    assert answer.status == 409 and "not &#39;down&#39;" in answer.text(), answer.text()
    state = page.request.get("/v1/hosts/c05").json()
    assert state["maintenance_state"] == "operational" and state["jobs"] == []


def test_a_killed_host_is_reported_down_fenced_evacuated_and_recovered_once_repaired(
    admin: Page, server: Server
) -> None:
    page = admin
    names = instance_names(page, DEAD)
    assert names, f"{DEAD} of the seeded cloud holds instances"
    server.home.cli("sim", "kill-host", DEAD)
    page.goto(f"/hosts/{DEAD}")
    expect(page.locator("dl.facts")).to_contain_text("down")  # its service reports down
    expect(page.get_by_role("button", name="Recover")).to_have_count(0)

    form = page.locator("#down-form")
    form.get_by_label("Reason").fill("PSU dead, ticket OPS-77")
    form.get_by_label("The host is powered off (fenced)").check()
    screenshot(page, "host-report-down")
    form.get_by_role("button", name="Report down").click()
    page.wait_for_url(re.compile(r"/jobs/[0-9a-f]+$"))
    expect(page.locator("h1")).to_contain_text(f"host down {DEAD}")
    results = results_of(page)
    expect(page.get_by_test_id("job-status")).to_have_text("succeeded")
    expect(page.locator("#job-phase")).to_have_text("done")
    expect(page.get_by_test_id("fence-gate")).to_have_count(0)
    assert sorted(results) == sorted(names)
    assert {outcome for outcome, _ in results.values()} == {"moved"}, results
    assert {method for _, method in results.values()} == {"evacuate"}, results
    expect(page.locator("#events li[data-kind='task.power-restored']").first).to_be_attached()
    screenshot(page, "host-down-results")

    page.goto(f"/hosts/{DEAD}")
    expect(page.get_by_test_id("maintenance-state")).to_have_text("down")
    expect(page.get_by_test_id("instances")).to_contain_text("No instances on this host.")
    expect(page.locator("#down-form")).to_have_count(0)  # reported already
    on_others = {
        i["name"]: i["host"] for i in page.request.get("/v1/instances").json() if i["name"] in names
    }
    assert sorted(on_others) == sorted(names) and DEAD not in on_others.values(), on_others

    # Recover: refused while its service still reports down, then done once it is back.
    page.get_by_role("button", name="Recover").click()
    expect(page.get_by_test_id("message")).to_contain_text("still reports down")
    expect(page.get_by_test_id("maintenance-state")).to_have_text("down")
    server.home.cli("sim", "revive-host", DEAD)
    page.goto(f"/hosts/{DEAD}")
    page.get_by_role("button", name="Recover").click()
    page.wait_for_url(re.compile(r"/jobs/[0-9a-f]+$"))
    expect(page.locator("h1")).to_contain_text(f"host recover {DEAD}")
    wait_until_ended(page, "succeeded", timeout_s=60)
    page.goto(f"/hosts/{DEAD}")
    expect(page.get_by_test_id("maintenance-state")).to_have_text("maintenance")
    expect(page.get_by_role("button", name="Recover")).to_have_count(0)


def test_a_report_without_the_fence_waits_at_the_gate_until_the_admin_asserts_it(
    admin: Page, server: Server
) -> None:
    page = admin
    names = instance_names(page, UNFENCED)
    server.home.cli("sim", "kill-host", UNFENCED)
    page.goto(f"/hosts/{UNFENCED}")
    page.locator("#down-form").get_by_role("button", name="Report down").click()
    page.wait_for_url(re.compile(r"/jobs/[0-9a-f]+$"))
    job_url = page.url
    gate = page.get_by_test_id("fence-gate")
    expect(gate).to_be_visible(timeout=60_000)
    expect(page.locator("#job-phase")).to_have_text("awaiting_fence")
    expect(gate).to_contain_text(f"no BMC is configured for {UNFENCED}")
    expect(page.get_by_test_id("job-status")).to_have_text("running")
    expect(page.locator("#live-rows tr")).to_have_count(len(names))
    expect(page.locator("#live-rows")).not_to_contain_text("moved")  # nothing evacuated
    screenshot(page, "host-down-awaiting-fence")

    page.locator("#fence-form").get_by_label(re.compile("powered off")).check()
    page.get_by_role("button", name="The host is off: evacuate").click()
    page.wait_for_url(job_url)  # the same job goes on
    results = results_of(page)
    assert sorted(results) == sorted(names)
    assert "moved" in {outcome for outcome, _ in results.values()}, results
    # The assertion is recorded with who made it.
    fenced = page.locator("#events li[data-kind='host.fenced']")
    asserted = re.compile(rf"web-admin \(admin, web .*\) asserts {UNFENCED} is off")
    expect(fenced.filter(has_text=asserted)).to_have_count(1)
