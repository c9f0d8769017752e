"""Signing in through the real test OpenID provider in Chromium, as ``make run-sso`` does.

The module starts ``tests.oidc_provider.run_sso`` (the program behind ``make run-sso``) on
a free port against this run's test database, then clicks through the provider's pages.
"""

import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest
from playwright.async_api import expect

from forum.config import PROJECT_ROOT
from models import Member, MemberState, WebSession
from tests.browser.conftest import BrowserPages, ForumServer
from tests.browser.helpers import blocking_violations, describe_violations, run_axe
from tests.factories import SECRET_KEY, make_organisation

pytestmark = pytest.mark.browser

START_TIMEOUT_SECONDS = 40


def _free_port() -> int:
    # NOTE: another process could take the port before the server binds it; the fixture
    # then fails with the server's log.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _answers(url: str) -> bool:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(url, timeout=1) as response:
            return response.status == 200
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return False


@pytest.fixture(name="sso_server", scope="module")
def _sso_server(database_url, tmp_path_factory):
    """Run ``python -m tests.oidc_provider.run_sso`` on a free port against the test database."""
    port = _free_port()
    state_dir = tmp_path_factory.mktemp("run-sso")
    log_path = state_dir / "run-sso.log"
    environment = {
        **os.environ,
        "FORUM_ENV": "test",
        "FORUM_DATABASE_URL": database_url,
        "FORUM_SECRET_KEY": SECRET_KEY,
    }
    environment.pop("FORUM_REDIS_URL", None)
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "tests.oidc_provider.run_sso", "--port", str(port), "--state-dir", str(state_dir)],
            stdout=log, stderr=subprocess.STDOUT, env=environment, cwd=PROJECT_ROOT,
        )
    server = ForumServer(base_url=f"http://127.0.0.1:{port}", log_path=log_path, process=process)

    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while not _answers(server.url("/healthz")):
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"run_sso did not start; its log:\n{log_path.read_text(errors='replace')[-3000:]}")
        time.sleep(0.2)

    yield server
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@pytest.fixture(name="sso_pages")
async def _sso_pages(browser, sso_server):
    pages = BrowserPages(browser, sso_server)
    yield pages
    await pages.close()


async def test_sign_in_and_out_through_the_provider(sso_pages):
    await make_organisation(name="Northmoor Council", email_domains=["northmoor.gov.uk"], approved=True)
    page = (await sso_pages.open()).page

    await page.goto("/sign-in")
    await page.get_by_role("button", name="Sign in with the test provider (private key)").click()
    await page.get_by_role("button", name=re.compile("^Sign in as Alex Rivers")).click()

    await expect(page.get_by_role("button", name="Sign out Alex Rivers")).to_be_visible()
    member = await Member.get(email="alex.rivers@northmoor.gov.uk")
    assert member.state == MemberState.ACTIVE
    assert await WebSession.filter(member_id=member.id, provider="local-key").count() == 1

    await page.goto("/account")
    await expect(page.get_by_role("heading", name="Your account")).to_be_visible()
    await expect(page.get_by_text("alex.rivers@northmoor.gov.uk").first).to_be_visible()

    await page.get_by_role("button", name="Sign out Alex Rivers").click()
    await page.get_by_role("button", name="Yes, sign me out").click()
    await expect(page.get_by_role("heading", name="You have signed out")).to_be_visible()
    assert await WebSession.filter(member_id=member.id, revoked_at__isnull=True).count() == 0


async def test_member_of_unapproved_organisation_sees_waiting_page(sso_pages):
    await make_organisation(name="Kestrel Vale Council", email_domains=["kestrelvale.gov.uk"], approved=False)
    page = (await sso_pages.open()).page

    await page.goto("/sign-in")
    await page.get_by_role("button", name="Sign in with the test provider (client secret)").click()
    await page.get_by_role("button", name=re.compile("^Sign in as Kim Lowe")).click()

    await expect(page.get_by_role("heading", name="Your membership is waiting for approval")).to_be_visible()
    await expect(page.get_by_text("Kestrel Vale Council")).to_be_visible()
    await expect(page.get_by_role("link", name="Sign in")).to_be_visible()


async def test_cancelled_sign_in_shows_the_plain_message(sso_pages):
    page = (await sso_pages.open()).page

    await page.goto("/sign-in")
    await page.get_by_role("button", name="Sign in with the test provider (client secret)").click()
    await page.get_by_role("button", name="Cancel").click()

    await expect(page.get_by_role("heading", name="You were not signed in")).to_be_visible()
    await expect(page.get_by_text("Sign-in did not complete.")).to_be_visible()


@pytest.mark.parametrize("path", ["/sign-in", "/account", "/signed-out", "/sign-in/waiting"])
async def test_account_pages_pass_axe(sso_pages, axe_script, path):
    await make_organisation(name="Northmoor Council", email_domains=["northmoor.gov.uk"], approved=True)
    page = (await sso_pages.open(bypass_csp=True)).page
    if path == "/account":
        await page.goto("/sign-in")
        await page.get_by_role("button", name="Sign in with the test provider (client secret)").click()
        await page.get_by_role("button", name=re.compile("^Sign in as Alex Rivers")).click()
        await expect(page.get_by_role("button", name="Sign out Alex Rivers")).to_be_visible()

    await page.goto(path)
    violations = blocking_violations(await run_axe(page, axe_script))

    assert not violations, describe_violations(violations)
