"""The forum's pages in a real Chromium: accessibility, the posting journeys and XSS.

Each test writes its content through the ORM first (the demo community, or factory
members), then drives the pages that the ``forum serve`` process renders from it.
"""

import re
from dataclasses import dataclass

import pytest
from playwright.async_api import expect

from forum.services.demo import do_load_demo
from forum.services.posting import do_edit_post
from models import Member, Post, Thread
from tests.browser.helpers import blocking_violations, describe_violations, run_axe, tab_to

pytestmark = pytest.mark.browser

MAX_POST_LENGTH = 20000


@dataclass
class DemoForum:
    """The demo community, with one thread whose first post has been edited once."""

    thread: Thread
    post: Post
    author: Member

    @property
    def thread_path(self) -> str:
        return f"/threads/{self.thread.id}/{self.thread.slug}"


async def _thread_with_most_markup() -> Thread:
    """Pick the demo thread whose posts have the most code blocks, tables and lists.

    Rendered Markdown is where contrast and structure problems are likeliest, so the
    accessibility checks look at the richest thread rather than at a fixed title.
    """
    scores: dict[int, int] = {}
    for thread_id, html in await Post.all().values_list("thread_id", "html"):
        markup = sum(html.count(tag) for tag in ("<pre", "<table", "<ul", "<ol", "<code"))
        scores[thread_id] = scores.get(thread_id, 0) + markup
    richest_id = max(scores, key=scores.__getitem__)
    return await Thread.get(id=richest_id)


@pytest.fixture(name="demo")
async def _demo() -> DemoForum:
    await do_load_demo(max_length=MAX_POST_LENGTH)
    thread = await _thread_with_most_markup()
    post = await Post.get(thread_id=thread.id, number=1).prefetch_related("author")
    await do_edit_post(
        post.author,
        post,
        post.source + "\n\nEdited to add: the validator change applies from this year.",
        max_length=MAX_POST_LENGTH,
        reason="Add the date of the validator change",
    )
    return DemoForum(thread=thread, post=post, author=post.author)


def _post_body(page, text: str):
    """Locate the body of the post that contains ``text``."""
    return page.locator(".forum-post__body").filter(has_text=text)


# Viewport widths in CSS pixels: Playwright's default desktop width, and the 320 px at
# which WCAG 2.1 success criterion 1.4.10 (reflow) requires content to be usable without
# scrolling in two directions.
DESKTOP_WIDTH = 1280
NARROW_WIDTH = 320

# (test id, path, who is signed in, expected status, viewport width).
# Paths may name {thread} and {post}.
PAGE_CASES = [
    ("home", "/", None, 200, DESKTOP_WIDTH),
    ("skill-area", "/skills/statutory-returns", None, 200, DESKTOP_WIDTH),
    ("role", "/roles/la-data", None, 200, DESKTOP_WIDTH),
    ("thread", "{thread}", None, 200, DESKTOP_WIDTH),
    ("thread-signed-in", "{thread}", "author", 200, DESKTOP_WIDTH),
    ("thread-narrow", "{thread}", None, 200, NARROW_WIDTH),
    ("skill-areas", "/skills", None, 200, DESKTOP_WIDTH),
    ("roles", "/roles", None, 200, DESKTOP_WIDTH),
    ("sign-in", "/sign-in", None, 200, DESKTOP_WIDTH),
    ("dev-sign-in", "/dev/sign-in", None, 200, DESKTOP_WIDTH),
    ("new-thread", "/threads/new", "author", 200, DESKTOP_WIDTH),
    ("edit-post", "/posts/{post}/edit", "author", 200, DESKTOP_WIDTH),
    ("revisions", "/posts/{post}/revisions", None, 200, DESKTOP_WIDTH),
    ("not-found", "/no-such-page", None, 404, DESKTOP_WIDTH),
]


@pytest.mark.parametrize(
    ("path", "signed_in_as", "status", "width"),
    [pytest.param(*case, id=name) for name, *case in PAGE_CASES],
)
async def test_page_loads_and_passes_axe(
    pages, demo, axe_script, path, signed_in_as, status, width
):
    member = demo.author if signed_in_as == "author" else None
    # bypass_csp: axe-core goes in through add_script_tag, an inline script that the
    # forum's "script-src 'self'" policy would block. The CSP itself is covered by the
    # console and XSS tests below, which keep it on.
    tracked = await pages.open(member, bypass_csp=True)
    page = tracked.page
    await page.set_viewport_size({"width": width, "height": 720})

    response = await page.goto(path.format(thread=demo.thread_path, post=demo.post.id))

    assert response is not None
    assert response.status == status
    await expect(page.locator("h1")).to_have_count(1)
    await expect(page.locator("h1")).to_be_visible()
    violations = blocking_violations(await run_axe(page, axe_script))
    assert not violations, (
        f"axe-core found serious or critical violations on {page.url}:\n"
        + describe_violations(violations)
    )


@pytest.mark.parametrize("signed_in", [False, True], ids=["anonymous", "signed-in"])
@pytest.mark.parametrize("page_name", ["home", "thread"])
async def test_page_has_no_console_errors(pages, demo, page_name, signed_in):
    tracked = await pages.open(demo.author if signed_in else None)
    page = tracked.page

    await page.goto("/" if page_name == "home" else demo.thread_path)

    # app.js adds this class once GOV.UK Frontend has loaded, so it shows that the
    # module scripts ran under the Content-Security-Policy.
    await expect(page.locator("body")).to_have_class(re.compile(r"\bgovuk-frontend-supported\b"))
    # Headless Chromium may fetch icons after the load event or not at all, and
    # waiting for "networkidle" would hang on a page that keeps a live connection open,
    # so each icon is requested directly.
    icon_hrefs = await page.locator("link[rel~=icon]").evaluate_all(
        "(links) => links.map((link) => link.href)"
    )
    assert icon_hrefs
    for href in icon_hrefs:
        icon = await page.request.get(href)
        assert icon.status == 200, href
    assert tracked.console_errors() == []
    assert [str(error) for error in tracked.page_errors] == []
    assert tracked.failed_responses == []


async def test_skip_link_is_first_tab_stop(pages, demo):
    tracked = await pages.open()
    page = tracked.page
    await page.goto(demo.thread_path)

    skip_link = page.get_by_role("link", name="Skip to main content")
    presses = await tab_to(page, skip_link)
    assert presses == 1
    await expect(skip_link).to_be_visible()

    await page.keyboard.press("Enter")
    await expect(page).to_have_url(re.compile(r"#main-content$"))


async def test_keyboard_sign_in_and_reply(pages, demo):
    tracked = await pages.open()
    page = tracked.page
    await page.goto("/")

    # Home page -> Sign in -> the development sign-in page, by Tab and Enter only.
    await tab_to(page, page.get_by_role("link", name="Sign in", exact=True))
    await page.keyboard.press("Enter")
    await expect(page.locator("h1")).to_have_text("Sign in")
    await tab_to(page, page.get_by_role("link", name="Sign in as a demo member"))
    await page.keyboard.press("Enter")
    await expect(page.locator("h1")).to_have_text("Development sign-in")

    # The radio group is one tab stop, and the down arrow moves the focus to the next member
    # and selects it.
    await tab_to(page, page.locator("input[name=handle]:checked"))
    await page.keyboard.press("ArrowDown")
    chosen = page.locator("input[name=handle]:checked")
    await expect(chosen).to_be_focused()
    handle = await chosen.input_value()
    member = await Member.get(handle=handle)
    await tab_to(page, page.get_by_role("button", name="Sign in"))
    await page.keyboard.press("Enter")
    await expect(page.get_by_role("button", name=f"Sign out {member.display_name}")).to_be_visible()

    # Open the first thread in the list.
    first_thread = page.locator(".forum-thread-list__title a").first
    thread_title = await first_thread.inner_text()
    await tab_to(page, first_thread)
    await page.keyboard.press("Enter")
    await expect(page.locator("h1")).to_have_text(thread_title)

    # Write the reply and post it.
    reply = f"Keyboard reply from {member.display_name}: we check the closed cases first."
    await tab_to(page, page.get_by_label("Your reply"))
    await page.keyboard.type(reply)
    await tab_to(page, page.get_by_role("button", name="Post reply"))
    await page.keyboard.press("Enter")

    await expect(page).to_have_url(re.compile(r"#post-\d+$"))
    await expect(_post_body(page, reply)).to_be_visible()
    thread_id = int(re.search(r"/threads/(\d+)", page.url).group(1))
    post = await Post.get(thread_id=thread_id, source=reply).prefetch_related("author")
    assert post.author.handle == handle
    assert post.number > 1


async def test_new_thread_form_creates_thread(pages, demo):
    tracked = await pages.open(demo.author)
    page = tracked.page
    await page.goto("/threads/new")
    await expect(page.locator("h1")).to_have_text("Start a thread")

    title = "Browser test: checking UASC flags before the SSDA903 return"
    await page.get_by_label("Title").fill(title)
    await page.get_by_label("Discussion", exact=True).check()
    await page.get_by_label("Skill area").select_option("ssda903")
    await page.get_by_label("Local authority data professional", exact=True).check()
    await page.get_by_label("Local authority leadership", exact=True).check()
    await page.get_by_label("Your post").fill("How do you check the **UASC** flag each quarter?")
    await page.get_by_role("button", name="Post thread").click()

    await expect(page).to_have_url(re.compile(r"/threads/\d+/[a-z0-9-]+$"))
    await expect(page.locator("h1")).to_have_text(title)
    await expect(page.locator(".forum-post__body strong")).to_have_text("UASC")
    thread = await Thread.get(title=title).prefetch_related("skill_area", "audience_roles")
    assert thread.kind == "discussion"
    assert thread.skill_area.slug == "ssda903"
    assert {role.slug for role in thread.audience_roles} == {"la-data", "la-leadership"}
    assert page.url.endswith(f"/threads/{thread.id}/{thread.slug}")


async def test_live_preview_renders_markdown(pages, demo):
    tracked = await pages.open(demo.author)
    page = tracked.page
    await page.goto(demo.thread_path)

    await page.get_by_label("Your reply").press_sequentially("Check the **bold** _figures_")

    preview = page.locator("#body-preview")
    await expect(preview.locator("strong")).to_have_text("bold")
    await expect(preview.locator("em")).to_have_text("figures")
    assert tracked.failed_responses == []


async def test_reply_works_without_javascript(pages, demo):
    tracked = await pages.open(demo.author, javascript_enabled=False)
    page = tracked.page
    await page.goto(demo.thread_path)
    await expect(page.locator("#body-preview")).to_contain_text("it needs JavaScript")

    reply = "A reply posted with JavaScript switched off."
    await page.get_by_label("Your reply").fill(reply)
    await page.get_by_role("button", name="Post reply").click()

    await expect(page).to_have_url(re.compile(r"#post-\d+$"))
    await expect(_post_body(page, reply)).to_be_visible()
    assert await Post.exists(thread_id=demo.thread.id, source=reply, author_id=demo.author.id)


# Each payload runs script if it reaches the page as markup. The forum renders Markdown
# with raw HTML switched off and drops javascript: links, so each must appear as text.
XSS_PAYLOADS = [
    '<img src=x onerror="window.__xss=1">',
    "[markdown link](javascript:window.__xss=1)",
    '<a href="javascript:window.__xss=1">html link</a>',
    "<script>window.__xss=1</script>",
    '<svg onload="window.__xss=1"></svg>',
    '<iframe src="javascript:window.__xss=1"></iframe>',
]
# Variants that hide the javascript: scheme behind an entity, a tab or a reference.
XSS_HIDDEN_SCHEMES = [
    "[entity link](&#x6A;avascript:window.__xss=1)",
    "[tab link](java&#9;script:window.__xss=1)",
    "[reference link][payload]\n\n[payload]: javascript:window.__xss=1",
    "<javascript:window.__xss=1>",
]
XSS_HEADING = "Payloads that must stay inert:"
XSS_BODY = "\n\n".join([XSS_HEADING, *XSS_PAYLOADS, *XSS_HIDDEN_SCHEMES])


@pytest.mark.parametrize("bypass_csp", [False, True], ids=["with-csp", "sanitiser-only"])
async def test_xss_payload_is_inert(pages, demo, forum_server, bypass_csp):
    tracked = await pages.open(demo.author, bypass_csp=bypass_csp)
    page = tracked.page
    await page.goto(demo.thread_path)

    # The live preview swaps the rendered payload in through htmx, so check it there too.
    await page.get_by_label("Your reply").fill(XSS_BODY)
    await expect(page.locator("#body-preview")).to_contain_text(XSS_HEADING)
    assert await page.evaluate("() => window.__xss") is None

    await page.get_by_role("button", name="Post reply").click()
    await expect(page).to_have_url(re.compile(r"#post-\d+$"))
    body = _post_body(page, XSS_HEADING)
    await expect(body).to_be_visible()

    # None of the payloads should become a link. Any that does is clicked, so a
    # regression in the sanitiser shows up as window.__xss being set.
    links = body.locator("a")
    for index in range(await links.count()):
        await links.nth(index).click()
    await page.wait_for_load_state("load")
    assert await page.evaluate("() => window.__xss") is None

    text = await body.inner_text()
    for payload in XSS_PAYLOADS:
        assert payload in text
    assert await links.count() == 0
    assert await body.locator("script, iframe, svg, img, [onerror], [onload]").count() == 0

    own_assets = forum_server.url("/static/")
    blocked_own_assets = [
        message.text
        for message in tracked.console
        if "Content Security Policy" in message.text
        and message.location.get("url", "").startswith(own_assets)
    ]
    assert blocked_own_assets == []
    assert [str(error) for error in tracked.page_errors] == []
