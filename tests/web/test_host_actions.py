"""The host page's other paths: a blocked instance's reason and the override that would move
it, shown in the preview; and the Migrate-instances modal sending everything to one host."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

#: c03 of the seeded cloud holds vm-037, an instance in error: no drain can move it.
BLOCKED_HOST, BLOCKED = "c03", "vm-037"


def test_the_preview_shows_a_blocked_instances_reason_and_the_override_that_would_change_it(
    admin: Page,
) -> None:
    page = admin
    page.goto(f"/hosts/{BLOCKED_HOST}")
    form = page.locator("#enter-form")
    form.get_by_label("Reason").fill("PSU swap")
    form.get_by_role("button", name="Preview").click()
    row = page.get_by_test_id("plan").locator(f"tr[data-instance={BLOCKED}]")
    expect(row).to_have_class(re.compile("verdict-blocked"))
    expect(row.locator(".reason")).to_contain_text("the instance is in error")
    expect(row).to_contain_text("per-state override error=skip")
    expect(page.get_by_test_id("plan-summary")).to_contain_text(f"not ready: blocked {BLOCKED}")
    confirm = page.get_by_role("button", name="Confirm: enter maintenance")
    expect(confirm).to_be_disabled()
    # The form keeps what was typed, so the override goes in and the preview is asked again.
    expect(form.get_by_label("Reason")).to_have_value("PSU swap")
    form.get_by_label("Per-state overrides").fill("error=skip")
    form.get_by_role("button", name="Preview").click()
    row = page.get_by_test_id("plan").locator(f"tr[data-instance={BLOCKED}]")
    expect(row).to_have_class(re.compile("verdict-skip"))
    expect(page.get_by_role("button", name="Confirm: enter maintenance")).to_be_enabled()
    expect(page.get_by_test_id("maintenance-state")).to_have_text("operational")  # unchanged


def test_the_migrate_instances_modal_moves_every_instance_to_the_chosen_host(admin: Page) -> None:
    page = admin
    page.goto("/hosts/c02")
    names = page.get_by_test_id("instances").locator("tbody th").all_inner_texts()
    assert len(names) == 8
    page.get_by_role("button", name="Migrate instances…").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_label("Live migrate")).to_be_checked()
    expect(dialog.get_by_label("Block migration")).to_have_value("auto")
    expect(dialog.get_by_label("Disk over-commit")).to_be_disabled()
    dialog.get_by_label("Target host").select_option("c07")
    dialog.get_by_role("button", name="Migrate").click()
    page.wait_for_url(re.compile(r"/jobs/[0-9a-f]+$"))
    expect(page.get_by_test_id("results")).to_be_visible(timeout=120_000)  # reloaded, ended
    expect(page.get_by_test_id("job-status")).to_have_text("succeeded")
    results = page.get_by_test_id("results").locator("tbody tr")
    expect(results).to_have_count(8)
    assert sorted(r.split()[0] for r in results.locator("th").all_inner_texts()) == sorted(names)
    assert set(results.locator("td:nth-child(4)").all_inner_texts()) == {"c02 → c07"}
    assert set(results.locator("td .outcome").all_inner_texts()) == {"moved"}
    # Opened again once ended: the results at once, and no event stream opened.
    streams: list[str] = []
    page.on(
        "request",
        lambda r: (
            streams.append(r.url) if "text/event-stream" in r.headers.get("accept", "") else None
        ),
    )
    page.reload()
    expect(page.get_by_test_id("results").locator("tbody tr")).to_have_count(8)
    expect(page.locator("#events li[data-kind='job.succeeded']")).to_have_count(1)
    assert streams == []
    page.goto("/hosts/c02")
    # Migrate instances leaves the maintenance state alone: the host is empty, not in maintenance.
    expect(page.get_by_test_id("maintenance-state")).to_have_text("operational")
    expect(page.get_by_test_id("instances")).to_contain_text("No instances on this host.")


def test_the_migrate_modal_works_from_the_keyboard(admin: Page) -> None:
    page = admin
    page.goto("/hosts/c05")
    opener = page.get_by_role("button", name="Migrate instances…")
    opener.focus()
    page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog")
    expect(dialog).to_be_visible()
    # Focus is inside the modal; Tab moves between its labelled controls.
    assert page.evaluate("document.activeElement.closest('dialog') !== null")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.closest('dialog') !== null")
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(page.get_by_test_id("maintenance-state")).to_have_text("operational")


def test_an_admin_cancels_a_running_job_from_its_page(admin: Page) -> None:
    page = admin
    page.goto("/hosts/c01")
    page.get_by_role("button", name="Migrate instances…").click()
    page.get_by_role("dialog").get_by_role("button", name="Migrate").click()
    page.wait_for_url(re.compile(r"/jobs/[0-9a-f]+$"))
    expect(page.locator("#live-rows tr[data-state^=migrating]").first).to_be_attached()
    page.get_by_role("button", name="Cancel job").click()
    expect(page.get_by_test_id("results")).to_be_visible(timeout=120_000)  # reloaded, ended
    expect(page.get_by_test_id("job-status")).to_have_text("cancelled")
    expect(page.locator("#events li[data-kind='job.cancel-requested']")).to_have_count(1)
    expect(page.get_by_role("button", name="Cancel job")).to_have_count(0)  # it has ended
