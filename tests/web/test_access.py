"""Who may do what in the dashboard: a wrong token is told so, a reader sees no action and is
refused one by the server even when the request is forged, a session is a cookie the page's
script cannot read, and the hosts table stays usable on a phone."""

from __future__ import annotations

import re

from playwright.sync_api import Browser, BrowserContext, Page, expect

from api.server import Server

from .conftest import Tokens, screenshot, sign_in

ACTIONS = (
    "Exit maintenance",
    "Migrate instances…",
    "Preview",
    "Cancel job",
    "Migrate",
    "Report down",
    "Recover",
    "The host is off: evacuate",
)


def test_an_invalid_token_is_refused_with_a_clear_message(context: BrowserContext) -> None:
    page = context.new_page()
    page.goto("/signin")
    page.get_by_label("Token").fill("vct_0123456789abcdef." + "x" * 43)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("That token is not valid")
    assert page.url.endswith("/signin")
    assert not [c for c in context.cookies() if c["name"] == "vacate_session"]
    page.goto("/")
    assert page.url.endswith("/signin")  # still no session


def test_the_session_is_an_httponly_strict_cookie_and_the_token_is_nowhere_in_the_page(
    admin: Page, tokens: Tokens, context: BrowserContext
) -> None:
    (cookie,) = [c for c in context.cookies() if c["name"] == "vacate_session"]
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"
    assert tokens.admin not in cookie["value"]
    assert admin.evaluate("document.cookie") == ""
    for path in ("/", "/hosts/c01", "/jobs", "/audit"):
        admin.goto(path)
        assert tokens.admin not in admin.content()
        assert tokens.admin.split(".")[1] not in admin.url


def test_a_reader_sees_no_action_anywhere_and_a_forged_action_is_refused(
    reader: Page, admin: Page, server: Server
) -> None:
    # A job to look at, started by the admin.
    admin.goto("/hosts/c08")
    admin.get_by_role("button", name="Migrate instances…").click()
    admin.get_by_role("dialog").get_by_role("button", name="Migrate").click()
    admin.wait_for_url(re.compile(r"/jobs/[0-9a-f]+$"))
    job_path = admin.url.removeprefix(server.url)

    for path in ("/", "/hosts/c08", "/hosts/c01", job_path, "/jobs", "/audit"):
        reader.goto(path)
        expect(reader.get_by_test_id("signed-in-as")).to_contain_text("reader")
        for name in ACTIONS:
            expect(reader.get_by_role("button", name=name, exact=True)).to_have_count(0)
        expect(
            reader.locator(
                "form[action$='/maintenance'], form[action$='/migrate'], "
                "form[action$='/down'], form[action$='/recover']"
            )
        ).to_have_count(0)

    # The reader's own session and CSRF token (from the sign-out form), a forged action form.
    reader.goto("/hosts/c01")
    csrf = reader.locator("input[name=csrf_token]").first.get_attribute("value") or ""
    assert csrf
    for action, form in (
        ("/hosts/c01/maintenance", {"reason": "forged", "csrf_token": csrf}),
        ("/hosts/c01/migrate", {"csrf_token": csrf}),
        ("/hosts/c01/exit", {"csrf_token": csrf}),
        ("/hosts/c01/down", {"fenced": "on", "evacuate": "on", "csrf_token": csrf}),
        ("/hosts/c01/recover", {"csrf_token": csrf}),
        (f"{job_path}/cancel", {"csrf_token": csrf}),
    ):
        answer = reader.request.post(action, form=form, max_redirects=0)
        assert answer.status == 403, (action, answer.status, answer.text())
        assert "needs an admin token" in answer.json()["error"]["message"]
    reader.goto("/hosts/c01")
    expect(reader.get_by_test_id("maintenance-state")).to_have_text("operational")
    reader.goto("/audit?outcome=denied&action=web.maintenance.enter")
    expect(reader.get_by_test_id("audit").locator("tbody tr").first).to_contain_text("web-reader")
    reader.goto("/audit?outcome=denied&action=web.host.down")
    expect(reader.get_by_test_id("audit").locator("tbody tr").first).to_contain_text("web-reader")
    answer = reader.request.get("/v1/hosts/c01")
    assert answer.json()["jobs"] == [] and not answer.json()["forced_down"]


def test_an_admins_form_without_the_sessions_csrf_token_is_refused(admin: Page) -> None:
    answer = admin.request.post(
        "/hosts/c01/maintenance", form={"reason": "no token"}, max_redirects=0
    )
    assert answer.status == 403
    assert "CSRF" in answer.json()["error"]["message"]
    answer = admin.request.post(
        "/hosts/c01/maintenance", form={"reason": "x", "csrf_token": "0" * 64}, max_redirects=0
    )
    assert answer.status == 403


def test_a_host_that_is_not_there_is_a_page_saying_so_not_the_apis_json(admin: Page) -> None:
    answer = admin.goto("/hosts/nosuch")
    assert answer is not None and answer.status == 404
    assert "nosuch" in admin.get_by_test_id("message").inner_text()
    assert '"error"' not in admin.content()
    api = admin.request.get("/v1/hosts/nosuch")
    assert api.status == 404 and api.json()["error"]["code"] == "not_found"


def test_signing_out_ends_the_session(admin: Page) -> None:
    admin.get_by_role("button", name="Sign out").click()
    admin.wait_for_url(re.compile(r"/signin$"))
    admin.goto("/jobs")
    assert admin.url.endswith("/signin")


def test_on_a_390_pixel_screen_the_hosts_table_fits_and_still_sorts_and_filters(
    browser: Browser, server: Server, tokens: Tokens
) -> None:
    context = browser.new_context(
        base_url=server.url, viewport={"width": 390, "height": 844}, is_mobile=True
    )
    try:
        page = context.new_page()
        sign_in(page, tokens.reader)
        table = page.locator("#hosts-table")
        expect(table.locator("tbody tr")).to_have_count(8)
        # Name, state, maintenance, instances and RAM stay on screen without scrolling sideways.
        for key in ("name", "state", "maintenance_state", "instance_count", "ram"):
            box = table.locator(f"th[data-key={key}] button").bounding_box()
            assert box is not None and box["x"] + box["width"] <= 390, (key, box)
        meter = table.locator("tbody tr").first.locator("meter").last.bounding_box()
        assert meter is not None and meter["x"] + meter["width"] <= 390, meter
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        screenshot(page, "hosts-390px")
        page.get_by_label("Search").fill("c05")
        expect(table.locator("tbody tr")).to_have_count(1)
        page.get_by_label("Search").fill("")
        page.get_by_role("button", name="Instances").click()
        page.get_by_role("button", name="Instances").click()
        counts = [int(t) for t in table.locator("tbody td.num").all_inner_texts()]
        assert counts == sorted(counts, reverse=True) and len(counts) == 8
        page.get_by_role("link", name="c05", exact=True).click()
        expect(page.get_by_test_id("instances")).to_be_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
    finally:
        context.close()


def test_the_session_cookie_reads_the_api_but_never_acts_through_it(admin: Page) -> None:
    hosts = admin.request.get("/v1/hosts")
    assert hosts.status == 200 and len(hosts.json()) == 8
    for method, path in (
        ("POST", "/v1/hosts/c01/migrate-instances"),
        ("POST", "/v1/hosts/c01/maintenance"),
        ("DELETE", "/v1/hosts/c01/maintenance"),
    ):
        answer = admin.request.fetch(path, method=method, data={"reason": "cookie only"})
        assert answer.status == 401, (method, path, answer.status)
    admin.goto("/hosts/c01")
    expect(admin.get_by_test_id("maintenance-state")).to_have_text("operational")
