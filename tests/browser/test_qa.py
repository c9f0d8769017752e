"""Accepting an answer, voting, mentioning and reading diffs in a real Chromium."""

import re

import pytest
from playwright.async_api import expect

from forum.services import posting
from models import Post, Thread
from tests.browser.helpers import blocking_violations, describe_violations, run_axe
from tests.factories import make_member, make_reply, make_thread

pytestmark = pytest.mark.browser


async def _question():
    asker = await make_member(display_name="Helen Moss")
    thread = await make_thread(author=asker, title="How do we count SSDA903 episodes?")
    answer = await make_reply(thread, body="Group by child and episode start date.")
    return asker, await Thread.get(id=thread.id), answer


def _button_name(visible: str, hidden: str) -> re.Pattern:
    """Match a button's name whatever spacing Chromium puts around its visually hidden part."""
    return re.compile(rf"^{re.escape(visible)}\s*{re.escape(hidden)}$")


def _path(thread: Thread) -> str:
    return f"/threads/{thread.id}/{thread.slug}"


@pytest.mark.parametrize("javascript_enabled", [True, False], ids=["javascript", "no-javascript"])
async def test_asker_accepts_answer(pages, javascript_enabled):
    asker, thread, answer = await _question()
    page = (await pages.open(asker, javascript_enabled=javascript_enabled)).page
    await page.goto(_path(thread))

    await page.get_by_role("button", name=_button_name("Accept as answer", ": post 2")).click()

    accepted = page.locator("#accepted-answer")
    await expect(accepted.get_by_role("heading", name="Accepted answer")).to_be_visible()
    await expect(accepted).to_contain_text("Group by child and episode start date.")
    await expect(
        page.get_by_role("button", name=_button_name("Remove as accepted answer", ": post 2"))
    ).to_be_visible()
    assert (await Thread.get(id=thread.id)).accepted_post_id == answer.id


async def test_helpful_vote_updates_in_place(pages):
    _asker, thread, answer = await _question()
    page = (await pages.open(await make_member())).page
    await page.goto(_path(thread))
    url = page.url

    await page.get_by_role("button", name=_button_name("Mark as helpful", ": post 2")).click()

    await expect(page.locator(f"#vote-{answer.id}")).to_contain_text("1 member found this helpful")
    await expect(
        page.get_by_role("button", name=_button_name("Undo my helpful vote", "on post 2"))
    ).to_be_focused()
    assert page.url == url
    assert (await Post.get(id=answer.id)).score == 1


async def test_mention_suggestion_completes_handle(pages):
    await make_member(handle="priya.n", display_name="Priya Natarajan")
    _asker, thread, _answer = await _question()
    page = (await pages.open(await make_member())).page
    await page.goto(_path(thread))

    await page.get_by_label("Your reply").press_sequentially("Over to @pri")
    await page.get_by_role("button", name="@priya.n").click()

    await expect(page.get_by_label("Your reply")).to_have_value("Over to @priya.n ")
    await expect(page.get_by_label("Your reply")).to_be_focused()


async def test_draft_autosaves_while_typing(pages):
    _asker, thread, _answer = await _question()
    member = await make_member()
    page = (await pages.open(member)).page
    await page.goto(_path(thread))

    await page.get_by_label("Your reply").press_sequentially("Half a thought")

    await expect(page.locator("#draft-status")).to_contain_text("Draft saved at")
    await page.reload()
    await expect(page.get_by_label("Your reply")).to_have_value("Half a thought")


async def test_qa_pages_pass_axe(pages, axe_script):
    asker, thread, answer = await _question()
    post = await Post.filter(id=answer.id).select_related("thread").get()
    author = await post.author
    await posting.do_edit_post(
        author, post, "Group by child, episode start and legal status.", max_length=1000
    )
    await make_reply(thread, author=author, body=f"@{asker.handle} does that help?")
    page = (await pages.open(asker, bypass_csp=True)).page
    await page.goto(_path(thread))
    await page.get_by_role("button", name=_button_name("Accept as answer", ": post 2")).click()
    await expect(page.locator("#accepted-answer")).to_be_visible()

    for path in (
        _path(thread),
        f"/posts/{answer.id}/diff",
        "/notifications",
        f"/threads/{thread.id}/duplicates/new",
    ):
        await page.goto(path)
        violations = blocking_violations(await run_axe(page, axe_script))
        assert violations == [], f"{path}:\n{describe_violations(violations)}"

    await page.goto(f"/posts/{answer.id}/diff")
    await expect(page.locator("ins", has_text="legal")).to_have_count(1)
    await expect(page.locator("del", has_text="date.")).to_have_count(1)
