"""Over HTTPS the session cookie is also ``Secure``; over plain HTTP (loopback) it cannot be."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Cookie

from api.server import Home, Server, running
from tlscerts import self_signed

from .conftest import SPEED, Tokens, sign_in


def session_cookie(cookies: list[Cookie]) -> Cookie:
    (found,) = [c for c in cookies if c["name"] == "vacate_session"]
    return found


def test_over_https_the_session_cookie_is_secure_httponly_and_strict(
    browser: Browser,
    web_template: tuple[Path, Tokens],
    tokens: Tokens,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    path = tmp_path_factory.mktemp("web-tls") / "home"
    shutil.copytree(web_template[0], path)
    cert, key = self_signed(path.parent)
    with running(Home(path, speed=SPEED), tls=(cert, key)) as server:
        assert server.url.startswith("https://")
        context = browser.new_context(base_url=server.url, ignore_https_errors=True)
        try:
            page = context.new_page()
            sign_in(page, tokens.reader)
            cookie = session_cookie(context.cookies())
            assert cookie["secure"] is True
            assert cookie["httpOnly"] is True and cookie["sameSite"] == "Strict"
        finally:
            context.close()


def test_over_plain_http_the_session_cookie_is_not_marked_secure(
    browser: Browser, server: Server, tokens: Tokens
) -> None:
    context = browser.new_context(base_url=server.url)
    try:
        page = context.new_page()
        sign_in(page, tokens.reader)
        assert session_cookie(context.cookies())["secure"] is False
    finally:
        context.close()
