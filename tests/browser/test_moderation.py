"""Flagging a post and handling it from the review queue, in a real Chromium."""

import pytest
from playwright.async_api import expect

from models import Flag, FlagState, Notification, Post, Thread
from tests.browser.helpers import blocking_violations, describe_violations, run_axe
from tests.factories import make_member, make_reply, make_thread

pytestmark = pytest.mark.browser


async def _flaggable_reply():
    thread = await make_thread(title="Which CIN census field holds the referral date?")
    reply = await make_reply(thread, body="It is in the referrals module, field N00100.")
    return await Thread.get(id=thread.id), reply


@pytest.mark.parametrize("javascript_enabled", [True, False], ids=["javascript", "no-javascript"])
async def test_member_flags_and_moderator_hides(pages, javascript_enabled):
    thread, reply = await _flaggable_reply()
    reporter = await make_member(display_name="Rae Porter")
    moderator = await make_member(permission="moderator", display_name="Mo Derator")

    member_page = (await pages.open(reporter, javascript_enabled=javascript_enabled)).page
    await member_page.goto(f"/threads/{thread.id}/{thread.slug}")
    await member_page.get_by_role("link", name="Flag post 2").click()
    await member_page.get_by_label("Identifies a child or family").check()
    await member_page.get_by_label("Tell the moderators more").fill("It names a child")
    await member_page.get_by_role("button", name="Send flag").click()
    await expect(
        member_page.get_by_text("Thank you. A moderator will review your flag.")
    ).to_be_visible()

    moderator_page = (await pages.open(moderator, javascript_enabled=javascript_enabled)).page
    await moderator_page.goto("/")
    await moderator_page.get_by_role("link", name="Moderation").click()
    await moderator_page.get_by_role("link", name="Post 2 by").click()
    await moderator_page.get_by_label("Hide it").check()
    await moderator_page.get_by_label("Reason", exact=True).fill("Identifies a child")
    await moderator_page.get_by_role("button", name="Resolve flags").click()

    await expect(moderator_page.get_by_text("The flags were resolved")).to_be_visible()
    assert (await Post.get(id=reply.id)).is_hidden is True
    assert (await Flag.get(post_id=reply.id)).state == FlagState.RESOLVED
    assert await Notification.filter(member_id=reporter.id, kind="flag_outcome").exists()


async def test_review_pages_pass_axe(pages, axe_script):
    thread, reply = await _flaggable_reply()
    moderator = await make_member(permission="moderator")
    reporter = await make_member()
    page = (await pages.open(reporter, bypass_csp=True)).page
    await page.goto(f"/posts/{reply.id}/flag")
    flag_violations = blocking_violations(await run_axe(page, axe_script))
    await page.get_by_role("button", name="Send flag").click()
    error_violations = blocking_violations(await run_axe(page, axe_script))
    await page.get_by_label("Spam").check()
    await page.get_by_role("button", name="Send flag").click()

    moderator_page = (await pages.open(moderator, bypass_csp=True)).page
    checked = {}
    for path in (
        "/moderation",
        f"/moderation/flags/post/{reply.id}",
        f"/moderation/threads/{thread.id}",
        f"/moderation/posts/{reply.id}",
        f"/moderation/members/{reply.author_id}",
        "/moderation/audit",
    ):
        await moderator_page.goto(path)
        checked[path] = blocking_violations(await run_axe(moderator_page, axe_script))

    assert flag_violations == [], describe_violations(flag_violations)
    assert error_violations == [], describe_violations(error_violations)
    for path, violations in checked.items():
        assert violations == [], f"{path}\n{describe_violations(violations)}"
