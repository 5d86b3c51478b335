"""The admin's whole maintenance in the browser: the busiest host, its preview, the drain
followed live, the results, the host in maintenance, and back with its instances."""

from __future__ import annotations

import re
import time

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page, expect

from .conftest import publish, screenshot

#: The scenario's drain at the tests' speed takes seconds; this is only the give-up point.
GIVE_UP_S = 120.0


#: Each live row's state and progress, read at one instant (the page may reload at the end).
ROWS_NOW = """() => Array.from(document.querySelectorAll('#live-rows tr')).map(
    r => [r.dataset.state, parseFloat(r.dataset.progress)])"""


def live_rows(page: Page) -> list[tuple[str, float]]:
    try:
        return [(state, progress) for state, progress in page.evaluate(ROWS_NOW)]
    except PlaywrightError:  # the page was reloading to show the results
        return []


def moving(rows: list[tuple[str, float]]) -> bool:
    """Some instance is migrating and has sent part of its memory: the moment to show."""
    return any(state.startswith("migrating") and 0.1 < p < 0.9 for state, p in rows)


def test_an_admin_drains_the_busiest_host_watches_it_live_and_brings_it_back(admin: Page) -> None:
    page = admin
    expect(page.locator("#hosts-table tbody tr")).to_have_count(8)
    page.get_by_role("button", name="Instances").click()  # ascending
    page.get_by_role("button", name="Instances").click()  # descending: busiest first
    expect(page.locator("th[data-key=instance_count]")).to_have_attribute("aria-sort", "descending")
    counts = [int(t) for t in page.locator("#hosts-table tbody tr td.num").all_inner_texts()]
    assert counts == sorted(counts, reverse=True)
    busiest = page.locator("#hosts-table tbody tr").first.get_attribute("data-name") or ""
    screenshot(page, "hosts")

    page.get_by_role("link", name=busiest, exact=True).click()
    expect(page.get_by_test_id("maintenance-state")).to_have_text("operational")
    instances = page.get_by_test_id("instances").locator("tbody tr").count()
    assert instances == counts[0]

    form = page.locator("#enter-form")
    form.get_by_label("Reason").fill("BIOS update")
    form.get_by_label("Per-state overrides").fill("suspended=skip error=skip")
    form.get_by_role("button", name="Preview").click()
    plan = page.get_by_test_id("plan")
    expect(plan.locator("tbody tr")).to_have_count(instances)
    expect(plan.locator("tr.verdict-blocked")).to_have_count(0)
    expect(page.get_by_test_id("plan-summary")).to_contain_text("ready")
    assert re.search(r"\d", page.get_by_test_id("estimate").inner_text())
    screenshot(page, "host-preview")

    watcher = page.context.new_page()  # the hosts table, left open: it must update itself
    watcher.goto("/")
    watcher.evaluate("window.notReloaded = true")
    page.get_by_role("button", name="Confirm: enter maintenance").click()
    page.wait_for_url(re.compile(r"/jobs/[0-9a-f]+$"))
    job_url = page.url
    expect(page.locator("#live-rows tr")).to_have_count(instances)

    seen = [tuple(live_rows(page))]
    shot = False
    deadline = time.monotonic() + GIVE_UP_S
    while page.get_by_test_id("results").count() == 0:
        assert time.monotonic() < deadline, f"the job did not end: {seen[-1]}"
        rows = live_rows(page)
        if rows and tuple(rows) != seen[-1]:
            seen.append(tuple(rows))
        if not shot and moving(rows):
            page.locator("svg[data-testid=timeline-svg]").wait_for()
            screenshot(page, "job-live")
            shot = True
            late = page.context.new_page()  # opened mid-drain: catches up, then follows
            late.goto(job_url)
        page.wait_for_timeout(200)
    ended = tuple(live_rows(page))
    if ended and ended != seen[-1]:
        seen.append(ended)
    # The rows changed while it ran: pending or just started, then further along (states and
    # progress bars), then each its outcome (with ten moves at once, the first look may
    # already find every row migrating).
    assert len(seen) >= 3, seen
    assert any(any(s.startswith("migrating") for s, _ in rows) for rows in seen), seen
    assert shot

    expect(page.get_by_test_id("job-status")).to_have_text("succeeded")
    results = page.get_by_test_id("results").locator("tbody tr")
    expect(results).to_have_count(instances)
    outcomes = results.locator("td .outcome").all_inner_texts()
    assert set(outcomes) <= {"moved", "skipped"} and "moved" in outcomes, outcomes
    totals = page.get_by_test_id("totals")
    expect(totals).to_contain_text("Drain time")
    expect(totals).to_contain_text("Lower bound")
    expect(totals).to_contain_text("Worst downtime")
    expect(page.locator("#events li[data-kind='job.succeeded']")).to_have_count(1)
    # The page opened mid-drain got the events from before it opened and those after.
    expect(late.get_by_test_id("results").locator("tbody tr")).to_have_count(instances)
    for kind in ("job.queued", "task.started", "task.moved", "job.succeeded"):
        expect(late.locator(f"#events li[data-kind='{kind}']").first).to_be_attached()
    assert late.locator("#events li").count() == page.locator("#events li").count()
    late.close()
    assert page.locator("svg[data-testid=timeline-svg] g.bar").count() == outcomes.count("moved")
    row = watcher.locator(f"#hosts-table tr[data-name={busiest}]")
    expect(row.locator(".badge")).to_have_text("maintenance")
    expect(row.locator("td.num")).to_have_text(str(outcomes.count("skipped")))
    assert watcher.evaluate("window.notReloaded") is True
    watcher.close()
    path = screenshot(page, "results")
    publish(path, "dashboard.png")

    with page.expect_download() as download:
        page.get_by_role("link", name="Download CSV").click()
    lines = download.value.path().read_text().splitlines()
    assert lines[0].startswith("instance_name,instance_id,outcome,reason")
    assert len(lines) == 1 + instances

    page.get_by_role("link", name=busiest, exact=True).first.click()
    expect(page.get_by_test_id("maintenance-state")).to_have_text("maintenance")
    left = outcomes.count("skipped")  # left on the host by the overrides
    expect(page.get_by_test_id("instances").locator("tbody tr")).to_have_count(max(1, left))

    exit_form = page.locator("form[action$='/exit']")
    exit_form.get_by_label("Move instances back where they came from").check()
    exit_form.get_by_role("button", name="Exit maintenance").click()
    page.wait_for_url(re.compile(r"/jobs/[0-9a-f]+$"))
    assert page.url != job_url
    # The ended job's page (reloaded by the page itself) shows its results.
    expect(page.get_by_test_id("results")).to_be_visible(timeout=GIVE_UP_S * 1000)
    expect(page.get_by_test_id("job-status")).to_have_text("succeeded")
    page.get_by_role("link", name=busiest, exact=True).first.click()
    expect(page.get_by_test_id("maintenance-state")).to_have_text("operational")
    expect(page.get_by_test_id("instances").locator("tbody tr")).to_have_count(instances)
