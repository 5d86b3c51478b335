"""Fixtures of the dashboard's tests: a real ``vacate serve`` on a simulated cloud
(``sim init --hosts 8 --instances 60 --seed 1``) with an admin and a reader token, and Debian's
Chromium driven by Playwright (``executable_path``: Playwright's own browser download is not
used). Screenshots go to ``test-results/screenshots``.

Each test module gets its own server on its own copy of the cloud, so modules never share a
host; the simulated cloud runs at ``SPEED`` times real time, so a drain of the busiest host
takes a few seconds — long enough to watch its rows change.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    Page,
    Playwright,
    expect,
    sync_playwright,
)
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from api.server import Home, Server, running

CHROMIUM = Path(os.environ.get("VACATE_CHROMIUM", "/usr/bin/chromium"))
REPO = Path(__file__).resolve().parents[2]
SCREENSHOTS = REPO / "test-results" / "screenshots"
#: The simulated cloud's speed over real time in these tests: the busiest host's drain (about
#: 20 s of simulated time) takes some seconds of wall time.
SPEED = "4"


@dataclass(frozen=True)
class Tokens:
    admin: str
    reader: str


@pytest.fixture(scope="session")
def web_template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Tokens]:
    path = tmp_path_factory.mktemp("web-template") / "home"
    home = Home(path)
    home.cli("sim", "init", "--hosts", "8", "--instances", "60", "--seed", "1")
    tokens = Tokens(
        admin=home.token("web-admin", "admin"), reader=home.token("web-reader", "reader")
    )
    return path, tokens


@pytest.fixture(scope="session")
def tokens(web_template: tuple[Path, Tokens]) -> Tokens:
    return web_template[1]


@pytest.fixture(scope="module")
def server(
    web_template: tuple[Path, Tokens], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    path = tmp_path_factory.mktemp("web-served") / "home"
    shutil.copytree(web_template[0], path)
    with running(Home(path, speed=SPEED)) as served:
        yield served


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    if not CHROMIUM.exists():
        message = (
            f"{CHROMIUM} is missing: `make test` installs Debian's chromium "
            "(apt-get install -y chromium, as root)"
        )
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    with sync_playwright() as pw:
        yield pw


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    browser = playwright.chromium.launch(
        executable_path=str(CHROMIUM),
        # Root in a container has no user namespaces for Chromium's sandbox.
        args=["--no-sandbox"] if os.geteuid() == 0 else [],
    )
    yield browser
    browser.close()


@pytest.fixture
def contexts(browser: Browser, server: Server) -> Iterator[Callable[[], BrowserContext]]:
    """Browser contexts at 1280×800, each with cookies of its own (one per person)."""
    made: list[BrowserContext] = []

    def make() -> BrowserContext:
        ctx = browser.new_context(base_url=server.url, viewport={"width": 1280, "height": 800})
        ctx.set_default_timeout(15_000)
        made.append(ctx)
        return ctx

    yield make
    for ctx in made:
        ctx.close()


@pytest.fixture
def context(contexts: Callable[[], BrowserContext]) -> BrowserContext:
    return contexts()


def sign_in(page: Page, token: str) -> None:
    page.goto("/")
    assert re.search(r"/signin$", page.url), page.url  # no session: the sign-in page
    page.get_by_label("Token").fill(token)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"/$"))


@pytest.fixture
def admin(context: BrowserContext, tokens: Tokens) -> Page:
    page = context.new_page()
    sign_in(page, tokens.admin)
    return page


@pytest.fixture
def reader(contexts: Callable[[], BrowserContext], tokens: Tokens) -> Page:
    page = contexts().new_page()
    sign_in(page, tokens.reader)
    return page


def wait_until_ended(page: Page, status: str, *, timeout_s: float = 120) -> None:
    """Wait for the job page to reload itself as an ended job (rendered by the server), then
    check its status: the live status changes a moment before that reload, and a navigation
    started in between would be cut short by it."""
    expect(page.locator("#job-root[data-ended='true']")).to_be_attached(timeout=timeout_s * 1000)
    expect(page.get_by_test_id("job-status")).to_have_text(status)


def screenshot(page: Page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    # The whole page, by growing the viewport to it: Chromium's own full-page capture never
    # finishes on a page holding an open event stream.
    size = page.viewport_size or {"width": 1280, "height": 800}
    height = int(page.evaluate("document.documentElement.scrollHeight"))
    page.set_viewport_size({"width": size["width"], "height": max(size["height"], height)})
    try:
        for attempt in range(4):  # a live page redrawing mid-capture can miss a frame: again
            try:
                page.screenshot(path=str(path), timeout=5000)
                break
            except PlaywrightTimeoutError:
                if attempt == 3:
                    raise
                page.wait_for_timeout(300)
    finally:
        page.set_viewport_size(size)
    return path


def publish(path: Path, name: str) -> None:
    """Copy a screenshot into docs/ for the README: when it is missing there, or on request
    (``VACATE_DOCS_SCREENSHOTS=1``), so that a plain test run leaves the work tree clean."""
    target = REPO / "docs" / name
    if not target.exists() or os.environ.get("VACATE_DOCS_SCREENSHOTS") == "1":
        shutil.copyfile(path, target)
