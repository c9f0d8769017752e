"""Fixtures for the browser tests: a real ``forum serve`` process and Debian's Chromium.

The server runs the ``.venv/bin/forum`` console script against the database that
``tests/conftest.py`` migrated for this run, so a test writes its content through the ORM
and then drives the pages that the server renders from the same tables. Each test gets
fresh browser contexts, because the ``db`` fixture deletes every session before the test.

On a failed test every page it opened is saved as a screenshot, and the end of the run
lists the screenshots and the tail of the server log.
"""

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.async_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Page,
    Response,
    async_playwright,
    expect,
)
from playwright.async_api import Error as PlaywrightError

from forum.auth.sessions import SESSION_COOKIE, do_start_session
from forum.config import PROJECT_ROOT
from models import Member
from tests.factories import SECRET_KEY

FORUM_COMMAND = PROJECT_ROOT / ".venv" / "bin" / "forum"
CHROMIUM_PATH = os.environ.get("FORUM_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    # The tests talk only to the local server, never through a proxy from the environment.
    "--no-proxy-server",
]
AXE_SCRIPT = PROJECT_ROOT / "node_modules" / "axe-core" / "axe.min.js"

# Seconds to wait for /healthz to return 200, and for the server to exit after SIGTERM.
SERVER_START_TIMEOUT = 20
SERVER_STOP_TIMEOUT = 10
SERVER_LOG_TAIL_LINES = 40

# Milliseconds Playwright waits for a page load, an action or an ``expect`` check before
# failing. Its defaults (30 s and 5 s) are respectively slow to report and tight on a busy
# machine.
BROWSER_TIMEOUT_MS = 10_000

_reports_key = pytest.StashKey[dict[str, pytest.TestReport]]()
_screenshots_key = pytest.StashKey[list[Path]]()
_server_log_key = pytest.StashKey[Path]()


@dataclass
class ForumServer:
    base_url: str
    log_path: Path
    process: subprocess.Popen

    def url(self, path: str) -> str:
        return self.base_url + path


@dataclass
class TrackedPage:
    """A Playwright page with its console messages, page errors and failed responses."""

    page: Page
    console: list[ConsoleMessage] = field(default_factory=list)
    page_errors: list[PlaywrightError] = field(default_factory=list)
    failed_responses: list[str] = field(default_factory=list)

    def console_errors(self) -> list[str]:
        return [
            f"{message.text} (at {message.location.get('url', '?')})"
            for message in self.console
            if message.type == "error"
        ]


def _free_port() -> int:
    # NOTE: another process could take the port between this check and the server's bind.
    # The server then fails to start, and the fixture reports that with the log tail.
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _log_tail(log_path: Path, lines: int = SERVER_LOG_TAIL_LINES) -> str:
    if not log_path.exists():
        return f"(no server log at {log_path})"
    text = log_path.read_text(encoding="utf-8", errors="replace")
    return "\n".join(text.splitlines()[-lines:])


def _health_status(url: str) -> int | None:
    """Return the HTTP status of ``url``, or None while nothing listens on the port."""
    # An empty ProxyHandler ignores http_proxy and friends, so the request stays local.
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(url, timeout=1) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return None


def _stop_server(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=SERVER_STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@pytest.fixture(name="forum_server", scope="session")
def _forum_server(database_url, tmp_path_factory, pytestconfig):
    """Start ``forum serve`` on a free local port against this run's test database."""
    if not FORUM_COMMAND.exists():
        pytest.fail(f"{FORUM_COMMAND} is missing: run 'make install' to create the venv.")

    port = _free_port()
    base_url = f"http://127.0.0.1:{port}"
    log_path = tmp_path_factory.mktemp("forum-server") / "server.log"
    pytestconfig.stash[_server_log_key] = log_path

    environment = {
        **os.environ,
        "FORUM_ENV": "test",
        "FORUM_DATABASE_URL": database_url,
        "FORUM_SECRET_KEY": SECRET_KEY,
        "FORUM_DEV_SIGN_IN": "true",
        "FORUM_BASE_URL": base_url,
    }
    # Live updates through Redis are not under test, and the server must not reach out.
    environment.pop("FORUM_REDIS_URL", None)

    command = [
        str(FORUM_COMMAND), "serve", "--host", "127.0.0.1", "--port", str(port), "--access-log",
    ]
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            command, stdout=log, stderr=subprocess.STDOUT, env=environment, cwd=PROJECT_ROOT
        )
    server = ForumServer(base_url=base_url, log_path=log_path, process=process)

    deadline = time.monotonic() + SERVER_START_TIMEOUT
    status = None
    while status != 200:
        if process.poll() is not None:
            pytest.fail(
                f"forum serve exited with code {process.returncode} before answering "
                f"/healthz. Last lines of {log_path}:\n{_log_tail(log_path)}"
            )
        if time.monotonic() > deadline:
            _stop_server(process)
            pytest.fail(
                f"forum serve did not answer /healthz with 200 within {SERVER_START_TIMEOUT} s "
                f"(last status: {status}). Last lines of {log_path}:\n{_log_tail(log_path)}"
            )
        status = _health_status(server.url("/healthz"))
        if status != 200:
            time.sleep(0.1)

    yield server
    _stop_server(process)


@pytest.fixture(name="chromium_path", scope="session")
def _chromium_path() -> str:
    if not Path(CHROMIUM_PATH).exists() and not shutil.which(CHROMIUM_PATH):
        pytest.skip(
            f"Chromium not found at {CHROMIUM_PATH}: install it with 'apt-get install chromium' "
            "or set FORUM_CHROMIUM to its path."
        )
    return CHROMIUM_PATH


@pytest.fixture(name="browser", scope="session")
async def _browser(chromium_path):
    expect.set_options(timeout=BROWSER_TIMEOUT_MS)
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=chromium_path, headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        await browser.close()


@pytest.fixture(name="axe_script", scope="session")
def _axe_script() -> Path:
    if not AXE_SCRIPT.exists():
        pytest.fail(f"{AXE_SCRIPT} is missing: run 'npm ci' to install axe-core.")
    return AXE_SCRIPT


class BrowserPages:
    """Open pages in new browser contexts, signed in or not, and close them afterwards."""

    def __init__(self, browser: Browser, server: ForumServer):
        self.browser = browser
        self.server = server
        self.contexts: list[BrowserContext] = []
        self.pages: list[TrackedPage] = []

    async def open(
        self,
        member: Member | None = None,
        *,
        javascript_enabled: bool = True,
        bypass_csp: bool = False,
    ) -> TrackedPage:
        """Open a page in a context of its own, signed in as ``member`` when one is given."""
        context = await self.browser.new_context(
            base_url=self.server.base_url,
            java_script_enabled=javascript_enabled,
            bypass_csp=bypass_csp,
            locale="en-GB",
        )
        context.set_default_timeout(BROWSER_TIMEOUT_MS)
        self.contexts.append(context)
        if member is not None:
            cookie, _ = await do_start_session(member, secret_key=SECRET_KEY, days=1)
            await context.add_cookies(
                [{"name": SESSION_COOKIE, "value": cookie, "url": self.server.base_url}]
            )

        page = await context.new_page()
        tracked = TrackedPage(page)
        # Playwright cannot wrap a built-in method such as list.append, hence the lambdas.
        page.on("console", lambda message: tracked.console.append(message))
        page.on("pageerror", lambda error: tracked.page_errors.append(error))
        page.on("response", _failed_response_recorder(tracked))
        self.pages.append(tracked)
        return tracked

    async def screenshot_all(self, directory: Path) -> list[Path]:
        saved = []
        for number, tracked in enumerate(self.pages, start=1):
            if tracked.page.is_closed():
                continue
            path = directory / f"page-{number}.png"
            try:
                await tracked.page.screenshot(path=str(path), full_page=True)
            except PlaywrightError as error:
                print(f"Could not save a screenshot of {tracked.page.url}: {error}", file=sys.stderr)
                continue
            saved.append(path)
        return saved

    async def close(self) -> None:
        for context in self.contexts:
            await context.close()


def _failed_response_recorder(tracked: TrackedPage) -> Callable[[Response], None]:
    def record(response: Response) -> None:
        if response.status >= 400:
            tracked.failed_responses.append(f"{response.status} {response.url}")

    return record


@pytest.fixture(name="pages")
async def _pages(browser, forum_server, request, tmp_path):
    """Open browser pages, and save a screenshot of each to the test's tmp dir on failure."""
    pages = BrowserPages(browser, forum_server)
    yield pages

    call_report = request.node.stash.get(_reports_key, {}).get("call")
    if call_report is not None and call_report.failed:
        saved = await pages.screenshot_all(tmp_path)
        request.config.stash.setdefault(_screenshots_key, []).extend(saved)
    await pages.close()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    item.stash.setdefault(_reports_key, {})[report.when] = report
    return report


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    screenshots = config.stash.get(_screenshots_key, [])
    if screenshots:
        terminalreporter.write_sep("-", "screenshots of failed browser tests")
        for path in screenshots:
            terminalreporter.write_line(str(path))

    log_path = config.stash.get(_server_log_key, None)
    if log_path is not None and terminalreporter.stats.get("failed"):
        terminalreporter.write_sep("-", f"last lines of the forum server log {log_path}")
        terminalreporter.write_line(_log_tail(log_path))
