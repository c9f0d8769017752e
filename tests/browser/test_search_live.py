"""Live updates on an open thread page, the search page and similar-thread suggestions, in a real Chromium."""

import re

import pytest
from playwright.async_api import expect

from tests.browser.helpers import blocking_violations, describe_violations, run_axe
from tests.factories import make_member, make_reply, make_thread

pytestmark = pytest.mark.browser


async def test_new_reply_appears_and_is_announced(pages):
    asker = await make_member(display_name="Helen Moss")
    replier = await make_member(display_name="Priya Shah")
    thread = await make_thread(author=asker, title="Counting SSDA903 placement moves")
    path = f"/threads/{thread.id}/{thread.slug}"
    watching = (await pages.open(asker)).page
    await watching.goto(path)
    # Keep every announcement, because a later one replaces the region's text.
    await watching.evaluate(
        """() => {
            window.announced = [];
            const region = document.getElementById("live-announcer");
            new MutationObserver(() => window.announced.push(region.textContent))
                .observe(region, {childList: true, characterData: true, subtree: true});
        }"""
    )

    writing = (await pages.open(replier)).page
    await writing.goto(path)
    await writing.get_by_label("Your reply").fill(
        "We count a move when the placement *type* changes."
    )
    await writing.get_by_role("button", name="Post reply").click()
    await expect(writing.locator("#post-2")).to_be_visible()

    new_post = watching.locator("#post-2")
    await expect(new_post).to_contain_text("We count a move when the placement type changes.")
    await expect(new_post.locator("em")).to_have_text("type")
    await expect(watching.locator("[data-live-unread] .forum-count")).to_have_text("1")
    for message in ("New reply from Priya Shah.", "You have 1 unread notification."):
        await watching.wait_for_function(
            "(message) => window.announced.some((text) => text.includes(message))", arg=message
        )
    await expect(watching.locator("#live-announcer")).to_have_attribute("aria-live", "polite")


async def test_search_page_finds_and_highlights(pages, axe_script):
    thread = await make_thread(title="Statistical neighbours for re-referrals")
    await make_reply(thread, body="We use the statistical neighbours from LAIT.")
    page = (await pages.open(bypass_csp=True)).page
    await page.goto("/search")

    await page.get_by_label("Search threads and posts").fill('"statistical neighbours" -census')
    await page.get_by_role("button", name="Search").click()

    results = page.locator(".forum-search-results__item")
    await expect(results).to_have_count(2)
    await expect(results.first.locator("mark").first).to_be_visible()
    violations = blocking_violations(await run_axe(page, axe_script))
    assert not violations, describe_violations(violations)


async def test_search_filters_work_without_javascript(pages):
    await make_thread(title="Caseload figures for directors", roles=["la-leadership"])
    await make_thread(title="Caseload figures in SQL", roles=["la-data"])
    page = (await pages.open(javascript_enabled=False)).page
    await page.goto("/search")

    await page.get_by_label("Search threads and posts").fill("caseload")
    await page.locator("summary", has_text="Filters").click()
    await page.get_by_label("Thread written for").select_option("la-leadership")
    await page.get_by_role("button", name="Search").click()

    await expect(page.locator(".forum-search-results__item")).to_have_count(1)
    await expect(page.locator(".forum-search-results__item")).to_contain_text("directors")


async def test_search_error_summary_links_to_field(pages, axe_script):
    page = (await pages.open(bypass_csp=True)).page
    await page.goto(
        "/search?q=census&posted_after-day=31&posted_after-month=2&posted_after-year=2025"
    )

    summary = page.locator(".govuk-error-summary")
    await expect(summary).to_contain_text("The date posted after must be a real date")
    await summary.get_by_role("link").click()
    await expect(page.locator("#posted_after-day")).to_be_focused()
    violations = blocking_violations(await run_axe(page, axe_script))
    assert not violations, describe_violations(violations)


async def test_similar_threads_suggested_while_typing(pages):
    existing = await make_thread(title="CIN census error 8875 on closed cases")
    page = (await pages.open(await make_member())).page
    await page.goto("/threads/new")

    await page.get_by_label("Title").press_sequentially("Error 8875 in the census", delay=20)

    suggestions = page.locator("#similar-threads")
    link = suggestions.get_by_role("link", name=re.compile("CIN census error 8875"))
    await expect(link).to_be_visible()
    assert await link.get_attribute("href") == f"/threads/{existing.id}/{existing.slug}"
    await expect(suggestions).to_have_attribute("aria-live", "polite")
