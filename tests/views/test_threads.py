"""Browsing, filtering, posting and editing threads through the real app and database."""

import asyncio
import re
from urllib.parse import urlencode

import pytest

from forum.services.browsing import THREADS_PER_PAGE
from models import Post, Revision, Thread
from tests.factories import make_member, make_reply, make_thread


def _thread_titles(html: str) -> list[str]:
    return re.findall(
        r'class="govuk-heading-s forum-thread-list__title">\s*<a[^>]*>([^<]+)</a>', html
    )


async def _page(client, path: str) -> str:
    response = await client.get(path)
    assert response.status_code == 200, path
    return await response.get_data(as_text=True)


async def test_home_lists_latest_activity_first(client):
    older = await make_thread(title="Older question about SSDA903 episodes")
    newer = await make_thread(title="Newer question about CIN census")

    titles = _thread_titles(await _page(client, "/"))

    assert titles.index(newer.title) < titles.index(older.title)


async def test_reply_moves_thread_to_top(client, sign_in):
    first = await make_thread(title="First thread about Annex A lists")
    await make_thread(title="Second thread about Power BI measures")
    member = await make_member()
    signed_in = await sign_in(member)

    response = await signed_in.post(f"/threads/{first.id}/reply", {"body": "Here is how we do it."})

    assert response.status_code == 303
    titles = _thread_titles(await _page(client, "/"))
    assert titles[0] == first.title
    thread = await Thread.get(id=first.id)
    assert thread.post_count == 2
    assert thread.last_poster_id == member.id


FILTER_CASES = [
    ("/skills/statutory-returns", {"cin", "ssda-analyst", "ssda-both"}),
    ("/skills/ssda903", {"ssda-analyst", "ssda-both"}),
    ("/roles/la-leadership", {"cin", "ssda-both", "bi-leaders"}),
    ("/?skill=ssda903&role=la-leadership", {"ssda-both"}),
    ("/?skill=statutory-returns&role=la-data", {"ssda-analyst", "ssda-both"}),
    ("/skills/statutory-returns?role=la-leadership", {"cin", "ssda-both"}),
    ("/roles/la-data?skill=power-bi", {"bi-analysts"}),
    ("/?kind=discussion", {"bi-leaders"}),
    ("/?state=unanswered", {"cin", "ssda-analyst", "bi-analysts"}),
    ("/?state=solved", {"ssda-both"}),
    ("/?skill=no-such-area", {"cin", "ssda-analyst", "ssda-both", "bi-analysts", "bi-leaders"}),
]


@pytest.mark.parametrize(("path", "expected"), FILTER_CASES)
async def test_filters_list_exactly_matching_threads(client, path, expected):
    threads = {
        "cin": await make_thread(
            title="cin: census error 8875", skill_area="cin-census", roles=["la-leadership"]
        ),
        "ssda-analyst": await make_thread(
            title="ssda-analyst: overlapping episodes", skill_area="ssda903", roles=["la-data"]
        ),
        "ssda-both": await make_thread(
            title="ssda-both: placement moves",
            skill_area="ssda903",
            roles=["la-data", "la-leadership"],
        ),
        "bi-analysts": await make_thread(
            title="bi-analysts: rolling measure", skill_area="power-bi", roles=["la-data"]
        ),
        "bi-leaders": await make_thread(
            title="bi-leaders: dashboards for the DCS",
            kind="discussion",
            skill_area="bi-visualisation",
            roles=["la-leadership"],
        ),
    }
    solved = threads["ssda-both"]
    await Thread.filter(id=solved.id).update(state="solved")
    await make_thread(title="hidden: should never be listed", skill_area="ssda903")
    await Thread.filter(title="hidden: should never be listed").update(state="hidden")

    titles = _thread_titles(await _page(client, path))

    assert {title.split(":")[0] for title in titles} == expected


async def test_keyset_pagination_walks_every_thread_once(client):
    total = THREADS_PER_PAGE + 5
    for number in range(total):
        await make_thread(title=f"Paged thread number {number:03d}")

    first_page = await _page(client, "/")
    cursor = re.search(r'href="/\?after=([^"&]+)"', first_page).group(1)
    second_page = await _page(client, f"/?after={cursor}")

    seen = _thread_titles(first_page) + _thread_titles(second_page)
    assert len(seen) == total
    assert len(set(seen)) == total
    assert 'rel="next"' not in second_page


async def test_unknown_skill_area_is_404_page(client):
    response = await client.get("/skills/no-such-area")

    assert response.status_code == 404
    body = await response.get_data(as_text=True)
    assert "Page not found" in body
    assert "Traceback" not in body


async def test_new_thread_form_requires_sign_in(client):
    response = await client.get("/threads/new")

    assert response.status_code == 302
    assert response.headers["Location"].startswith("/sign-in?next=/threads/new")


async def test_create_thread_with_markdown(sign_in):
    member = await make_member()
    client = await sign_in(member)
    form = urlencode(
        [
            ("csrf_token", client.csrf_token),
            ("title", "How do you rank placements with a window function?"),
            ("kind", "question"),
            ("skill_area", "sql-data-engineering"),
            ("roles", "la-data"),
            ("roles", "cg-data"),
            (
                "body",
                "Try this:\n\n```sql\nSELECT ROW_NUMBER() OVER (PARTITION BY child_id ORDER BY start_date) FROM placements\n```",
            ),
        ]
    )

    response = await client.client.post(
        "/threads/new", data=form, headers={"Content-Type": "application/x-www-form-urlencoded"}
    )

    assert response.status_code == 303
    thread = await Thread.get(
        title="How do you rank placements with a window function?"
    ).prefetch_related("audience_roles")
    assert sorted(role.slug for role in thread.audience_roles) == ["cg-data", "la-data"]
    page = await _page(client, response.headers["Location"])
    assert 'class="highlight' in page
    assert "ROW_NUMBER" in page


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("title", "", "Enter a title for your thread."),
        ("title", "Too short", "The title must be at least 10 characters"),
        ("title", "x" * 201, "The title must be 200 characters or fewer"),
        ("kind", "rant", "Choose whether this is a question"),
        ("skill_area", "", "Choose the skill area this thread belongs to."),
        ("skill_area", "astrology", "That skill area does not exist"),
        ("roles", None, "Choose at least one role this thread is for."),
        ("body", "", "Write something before posting."),
        ("body", "a" * 20001, "the limit is 20,000 characters"),
    ],
)
async def test_invalid_thread_shows_message_and_keeps_input(sign_in, field, value, message):
    client = await sign_in(await make_member())
    values = {
        "title": "A perfectly reasonable title",
        "kind": "question",
        "skill_area": "data-quality",
        "roles": "la-data",
        "body": "My carefully written question that must not be lost.",
    }
    if value is None:
        del values[field]
    else:
        values[field] = value

    response = await client.post("/threads/new", values)

    assert response.status_code == 422
    page = await response.get_data(as_text=True)
    assert message in page
    assert "There is a problem" in page
    if field != "body":
        assert "My carefully written question that must not be lost." in page
    assert await Thread.all().count() == 0


async def test_members_cannot_post_announcements(sign_in):
    client = await sign_in(await make_member())

    response = await client.post(
        "/threads/new",
        {
            "title": "An announcement from a member",
            "kind": "announcement",
            "skill_area": "data-quality",
            "roles": "la-data",
            "body": "Hello all",
        },
    )

    assert response.status_code == 403
    assert await Thread.all().count() == 0


async def test_moderators_can_post_announcements(sign_in):
    client = await sign_in(await make_member(permission="moderator"))

    response = await client.post(
        "/threads/new",
        {
            "title": "Welcome to the new forum",
            "kind": "announcement",
            "skill_area": "data-leadership",
            "roles": "la-data",
            "body": "Hello all",
        },
    )

    assert response.status_code == 303
    assert await Thread.filter(kind="announcement").count() == 1


async def test_reply_to_locked_thread_rejected(sign_in):
    thread = await make_thread()
    await Thread.filter(id=thread.id).update(state="locked")
    client = await sign_in(await make_member())

    response = await client.post(f"/threads/{thread.id}/reply", {"body": "Let me in"})

    assert response.status_code == 403
    assert await Post.filter(thread_id=thread.id).count() == 1


async def test_empty_reply_keeps_nothing_and_explains(sign_in):
    thread = await make_thread()
    client = await sign_in(await make_member())

    response = await client.post(f"/threads/{thread.id}/reply", {"body": "   "})

    assert response.status_code == 422
    assert "Write something before posting." in await response.get_data(as_text=True)
    assert (await Thread.get(id=thread.id)).post_count == 1


async def test_edit_keeps_every_revision(sign_in):
    author = await make_member()
    thread = await make_thread(author=author, body="First version")
    post = await Post.get(thread_id=thread.id, number=1)
    client = await sign_in(author)

    await client.post(f"/posts/{post.id}/edit", {"body": "Second version", "reason": "typo"})
    await client.post(f"/posts/{post.id}/edit", {"body": "Third version"})

    revisions = (
        await Revision.filter(post_id=post.id).order_by("number").values_list("number", "source")
    )
    assert revisions == [(1, "First version"), (2, "Second version"), (3, "Third version")]
    history = await _page(client, f"/posts/{post.id}/revisions")
    assert "Version 3 (current)" in history
    assert "Reason: typo" in history


async def test_members_cannot_edit_others_posts(sign_in):
    thread = await make_thread(body="Original")
    post = await Post.get(thread_id=thread.id, number=1)
    client = await sign_in(await make_member())

    response = await client.post(f"/posts/{post.id}/edit", {"body": "Vandalised"})

    assert response.status_code == 403
    assert (await Post.get(id=post.id)).source == "Original"


async def test_hidden_thread_is_not_found_for_members(sign_in):
    thread = await make_thread()
    await Thread.filter(id=thread.id).update(state="hidden")
    member_client = await sign_in(await make_member())
    moderator_client = await sign_in(await make_member(permission="moderator"))

    assert (await member_client.get(f"/threads/{thread.id}")).status_code == 404
    assert (await moderator_client.get(f"/threads/{thread.id}")).status_code == 200


async def test_thread_survives_a_broken_stored_post(client):
    thread = await make_thread(body="Fine")
    await Post.filter(thread_id=thread.id).update(html="<p>unclosed <strong>markup")

    response = await client.get(f"/threads/{thread.id}")

    assert response.status_code == 200


async def test_security_headers_on_every_page(client):
    response = await client.get("/")

    policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assert response.headers["X-Content-Type-Options"] == "nosniff"


async def test_healthz_reports_database(client):
    response = await client.get("/healthz")

    assert response.status_code == 200
    assert await response.get_json() == {"status": "ok", "database": "ok"}


@pytest.mark.parametrize(
    "path", ["/threads/99999999999999999999999", "/posts/99999999999999999999999/revisions"]
)
async def test_huge_id_is_not_found(client, path):
    response = await client.get(path)

    assert response.status_code == 404


@pytest.mark.parametrize("title", ["\u200b" * 20, "\u202e\u200d\u2060" * 5 + "   "])
async def test_invisible_title_rejected(sign_in, title):
    client = await sign_in(await make_member())

    response = await client.post(
        "/threads/new",
        {"title": title, "kind": "question", "skill_area": "data-quality", "roles": "la-data", "body": "Hello"},
    )

    assert response.status_code == 422
    assert "Enter a title for your thread." in await response.get_data(as_text=True)
    assert await Thread.all().count() == 0


async def test_wrong_slug_redirects_to_thread(client):
    thread = await make_thread(title="Slugs should be canonical here")

    response = await client.get(f"/threads/{thread.id}/wrong-slug?after=0")

    assert response.status_code == 301
    assert response.headers["Location"] == f"/threads/{thread.id}/{thread.slug}?after=0"


# Repeated submissions -----------------------------------------------------------------

_TOKEN_INPUT_RE = re.compile(r'<input type="hidden" name="submission_token" value="([^"]+)">')


async def test_reply_form_repeated_saves_one_post(sign_in):
    thread = await make_thread()
    client = await sign_in(await make_member())
    token = _TOKEN_INPUT_RE.search(await _page(client, f"/threads/{thread.id}")).group(1)
    form = {"body": "Sent twice by a double click.", "submission_token": token}

    first = await client.post(f"/threads/{thread.id}/reply", form)
    repeat = await client.post(f"/threads/{thread.id}/reply", form)

    assert first.status_code == 303
    assert repeat.status_code == 303
    assert repeat.headers["Location"] == first.headers["Location"]
    assert first.headers["Location"].endswith("#post-2")
    assert await Post.filter(thread_id=thread.id).count() == 2


async def test_reply_forms_get_fresh_tokens(sign_in):
    thread = await make_thread()
    client = await sign_in(await make_member())

    tokens = {
        _TOKEN_INPUT_RE.search(await _page(client, f"/threads/{thread.id}")).group(1)
        for _ in range(3)
    }

    assert len(tokens) == 3


async def test_simultaneous_reply_forms_save_one_post(sign_in):
    thread = await make_thread()
    client = await sign_in(await make_member())
    form = {"body": "Sent three times at once.", "submission_token": "s" * 32}

    responses = await asyncio.gather(
        *(client.post(f"/threads/{thread.id}/reply", form) for _ in range(3))
    )

    assert [response.status_code for response in responses] == [303, 303, 303]
    assert len({response.headers["Location"] for response in responses}) == 1
    assert await Post.filter(thread_id=thread.id).count() == 2


async def test_new_thread_form_repeated_saves_one_thread(sign_in):
    client = await sign_in(await make_member())
    token = _TOKEN_INPUT_RE.search(await _page(client, "/threads/new")).group(1)
    form = {
        "title": "Annex A list 6 and children missing education",
        "kind": "question",
        "skill_area": "data-quality",
        "roles": "la-data",
        "body": "Which date do you use?",
        "submission_token": token,
    }

    first = await client.post("/threads/new", form)
    repeat = await client.post("/threads/new", form)

    assert first.status_code == 303
    assert repeat.status_code == 303
    assert repeat.headers["Location"] == first.headers["Location"]
    assert await Thread.all().count() == 1


@pytest.mark.parametrize(
    "endpoint, name",
    [("qa.vote", "post_id"), ("threads.edit_post", "post_id"), ("moderation.post_tools", "post_id"),
     ("threads.show_thread", "thread_id")],
)
async def test_id_url_builds_what_url_for_builds(app, endpoint, name):
    from quart import url_for

    id_url = app.jinja_env.globals["id_url"]
    async with app.test_request_context("/"):
        for number in (1, 42, 2**31 - 2):
            assert id_url(endpoint, **{name: number}) == url_for(endpoint, **{name: number})


async def test_list_counts_only_replies_readers_see(client):
    thread = await make_thread(title="Counting replies readers can see")
    await make_reply(thread)
    hidden = await make_reply(thread)
    held = await make_reply(thread)
    await Post.filter(id=hidden.id).update(is_hidden=True)
    await Post.filter(id=held.id).update(held_for_review=True)

    response = await client.get("/")

    html = await response.get_data(as_text=True)
    assert "· 1 reply" in html
    assert "3 replies" not in html
