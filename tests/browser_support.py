"""Real-browser tests of the console: Debian's Chromium driven by Playwright for Python (no
browser is ever downloaded), the app served by a real HTTP server in a thread.

    from tests.browser_support import browser, live, page  # fixtures
    def test_x(page, live): page.goto(live.url("/app/login")); ...; shoot(page, "x")

One browser per test session; one server and one fresh browser context per test.
Screenshots go to test-artifacts/browser/ (not committed).
"""
import os
import threading
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import expect
from werkzeug.serving import make_server

from tests.unfaked import unfaked_environment

CHROMIUM = os.environ.get("TWORK_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run"]
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts" / "browser"
DESKTOP = {"width": 1280, "height": 800}
WIDE = {"width": 1920, "height": 1080}


@dataclass
class LiveServer:
    base: str

    def url(self, path: str) -> str:
        return self.base + path


# One Playwright and one Chromium per test process: every test module that imports the
# `browser` fixture gets its own session-scoped instance of it, and Playwright's sync API
# cannot run twice at once.
_shared: dict = {}


@pytest.fixture(scope="session")
def browser():
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"no Chromium at {CHROMIUM} (scripts/test.sh installs Debian's chromium)")
    if not _shared:
        from playwright.sync_api import sync_playwright
        playwright = sync_playwright().start()
        _shared.update(playwright=playwright, users=0, chromium=playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True, env=unfaked_environment()))
    _shared["users"] += 1
    yield _shared["chromium"]
    _shared["users"] -= 1
    if not _shared["users"]:
        _shared["chromium"].close()
        _shared["playwright"].stop()
        _shared.clear()


@pytest.fixture
def live(app):
    """The app on a real socket (the browser's requests run in the server's threads)."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="console-live", daemon=True)
    thread.start()
    yield LiveServer(f"http://127.0.0.1:{server.server_port}")
    server.shutdown()
    thread.join(5)


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport=DESKTOP, locale="zh-CN", timezone_id="Asia/Shanghai")
    context.set_default_timeout(10_000)
    tab = context.new_page()
    yield tab
    context.close()


def shoot(page, name: str) -> Path:
    """Save a screenshot of the page as test-artifacts/browser/NAME.png."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def choose(page, label: str, value: str):
    """Select VALUE in the select labelled LABEL, whose change re-renders the editor through
    htmx, and wait until the new editor is swapped in and live: acting on the old one would
    race the swap."""
    with page.expect_response(lambda r: r.request.method == "POST"):
        page.get_by_label(label).select_option(value)
    expect(page.locator(".htmx-request, .htmx-swapping, .htmx-settling, .htmx-added")).to_have_count(0)


def follow(page, link):
    """Click a link that opens another page and wait until that page has loaded: acting
    before its scripts ran (htmx among them) would find nothing listening."""
    with page.expect_navigation():
        link.click()


def sign_in(page, live, account: str, code: str = "acme", password: str | None = None):
    from tests.factories import PASSWORD
    page.goto(live.url("/app/login"))
    page.get_by_label("客户代码").fill(code)
    page.get_by_label("账号").fill(account)
    page.get_by_label("密码").fill(password or PASSWORD)
    follow(page, page.get_by_role("button", name="登录"))
