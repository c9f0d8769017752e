"""Accepting answers, voting, quoting, drafts, duplicates, notifications and diffs in pages."""

import re

import pytest

from forum.services import posting, qa, writing
from models import Draft, Notification, Post, Thread
from tests.factories import make_member, make_reply, make_thread

BASE_URL = "http://127.0.0.1:8000"
HTMX = {"HX-Request": "true"}


async def _text(response) -> str:
    return await response.get_data(as_text=True)


async def _page(client, path: str) -> str:
    response = await client.get(path)
    assert response.status_code == 200, path
    return await _text(response)


async def _question(replies: int = 2):
    asker = await make_member()
    thread = await make_thread(author=asker, title="How do we count SSDA903 episodes?")
    posts = [await make_reply(thread, body=f"Answer number {n}") for n in range(replies)]
    return asker, await Thread.get(id=thread.id), posts


# Accepted answers -------------------------------------------------------------------


async def test_accept_answer_form_shows_answer_under_question(sign_in):
    asker, thread, (answer, _other) = await _question()
    client = await sign_in(asker)

    response = await client.post(f"/posts/{answer.id}/accept")

    assert response.status_code == 303
    assert response.headers["Location"].endswith("#accepted-answer")
    page = await _page(client, f"/threads/{thread.id}")
    opening_end = page.index('id="post-2"')
    accepted_at = page.index('id="accepted-answer"')
    assert accepted_at < opening_end
    assert f'href="/posts/{answer.id}"' in page
    assert "Remove as accepted answer" in page


async def test_accept_button_only_for_asker(sign_in):
    _asker, thread, _posts = await _question()
    client = await sign_in(await make_member())

    page = await _page(client, f"/threads/{thread.id}")

    assert "Accept as answer" not in page


async def test_accept_by_other_member_forbidden(sign_in):
    _asker, thread, (answer, _other) = await _question()
    client = await sign_in(await make_member())

    response = await client.post(f"/posts/{answer.id}/accept")

    assert response.status_code == 403
    assert (await Thread.get(id=thread.id)).accepted_post_id is None


async def test_accept_opening_post_shows_reason(sign_in):
    asker, thread, _posts = await _question()
    opening = await Post.get(thread_id=thread.id, number=1)
    client = await sign_in(asker)

    response = await client.post(f"/posts/{opening.id}/accept")

    assert response.status_code == 409
    assert "The question itself cannot be its accepted answer." in await _text(response)


async def test_remove_accepted_answer_form(sign_in):
    asker, thread, (answer, _other) = await _question()
    client = await sign_in(asker)
    await client.post(f"/posts/{answer.id}/accept")

    response = await client.post(f"/threads/{thread.id}/accepted/remove")

    assert response.status_code == 303
    assert (await Thread.get(id=thread.id)).accepted_post_id is None


async def test_post_permalink_redirects_to_place(client):
    _asker, thread, (answer, _other) = await _question()

    response = await client.get(f"/posts/{answer.id}")

    assert response.status_code == 302
    assert response.headers["Location"] == f"/threads/{thread.id}/{thread.slug}#post-2"


@pytest.mark.parametrize(
    ("state", "expected"), [("unanswered", {"waiting"}), ("solved", {"answered"})]
)
async def test_list_filters_use_accepted_answer(client, sign_in, state, expected):
    asker, answered, (answer, _other) = await _question()
    await (await sign_in(asker)).post(f"/posts/{answer.id}/accept")
    await make_thread(title="A question nobody has answered yet")
    await make_thread(title="A question with a reply but no answer")
    replied = await Thread.get(title="A question with a reply but no answer")
    await make_reply(replied)
    titles = {"waiting": "A question nobody has answered yet", "answered": answered.title}

    page = await _page(client, f"/?state={state}")

    listed = {name for name, title in titles.items() if title in page}
    assert listed == expected


# Votes ------------------------------------------------------------------------------


async def test_vote_without_javascript_redirects(sign_in):
    _asker, thread, (answer, _other) = await _question()
    client = await sign_in(await make_member())

    response = await client.post(f"/posts/{answer.id}/vote")

    assert response.status_code == 303
    assert response.headers["Location"].endswith("#post-2")
    page = await _page(client, f"/threads/{thread.id}")
    assert "1 member found this helpful" in page
    assert "Undo my helpful vote" in page


async def test_vote_with_htmx_returns_control(sign_in):
    _asker, _thread, (answer, _other) = await _question()
    client = await sign_in(await make_member())

    voted = await client.post(f"/posts/{answer.id}/vote", headers=HTMX)
    undone = await client.post(f"/posts/{answer.id}/vote", {"undo": "1"}, headers=HTMX)

    assert voted.status_code == 200
    voted_html = await _text(voted)
    assert voted_html.lstrip().startswith(f'<div class="forum-vote" id="vote-{answer.id}">')
    assert "1 member found this helpful" in voted_html
    assert "0 members found this helpful" in await _text(undone)
    assert (await Post.get(id=answer.id)).score == 0


async def test_no_vote_button_on_own_post(sign_in):
    _asker, thread, (answer, _other) = await _question()
    author = await answer.author
    client = await sign_in(author)

    page = await _page(client, f"/threads/{thread.id}")

    assert f'action="/posts/{answer.id}/vote"' not in page
    response = await client.post(f"/posts/{answer.id}/vote")
    assert response.status_code == 403


# Quotes, mentions, links and drafts ------------------------------------------------


async def test_quote_link_fills_reply_box(sign_in):
    _asker, thread, (answer, _other) = await _question()
    client = await sign_in(await make_member())

    page = await _page(client, f"/threads/{thread.id}?quote={answer.id}")

    assert f"&gt; **[{(await answer.author).display_name} wrote](/posts/{answer.id}):**" in page
    assert f'name="reply_to" value="{answer.id}"' in page


async def test_quoted_reply_notifies_quoted_author(sign_in):
    _asker, thread, (answer, _other) = await _question()
    client = await sign_in(await make_member())

    await client.post(
        f"/threads/{thread.id}/reply", {"body": "> quoted\n\nI agree.", "reply_to": str(answer.id)}
    )

    assert await Notification.filter(member_id=answer.author_id, kind="reply").count() == 1


async def test_pasted_thread_link_shows_title_in_page(sign_in):
    target = await make_thread(title="Counting children in need on 31 March")
    thread = await make_thread()
    client = await sign_in(await make_member())

    await client.post(
        f"/threads/{thread.id}/reply", {"body": f"See {BASE_URL}/threads/{target.id}"}
    )

    page = await _page(client, f"/threads/{thread.id}")
    assert (
        f'href="{BASE_URL}/threads/{target.id}" rel="nofollow ugc noopener">Counting children in need on 31 March</a>'
        in page
    )


async def test_mention_suggestions_fragment(sign_in):
    await make_member(handle="priya.n", display_name="Priya Natarajan")
    client = await sign_in(await make_member())

    response = await client.post("/mentions/suggestions", {"body": "Over to @pri"}, headers=HTMX)

    assert response.status_code == 200
    assert 'data-mention-handle="priya.n"' in await _text(response)


async def test_save_draft_without_javascript(sign_in):
    member = await make_member()
    thread = await make_thread()
    client = await sign_in(member)

    response = await client.post(f"/threads/{thread.id}/draft", {"body": "Half a thought"})

    assert response.status_code == 303
    assert response.headers["Location"].endswith("#reply")
    page = await _page(client, f"/threads/{thread.id}")
    assert "Half a thought</textarea>" in page
    assert "Discard draft" in page


async def test_autosave_draft_with_htmx(sign_in):
    member = await make_member()
    thread = await make_thread()
    client = await sign_in(member)

    response = await client.post(f"/threads/{thread.id}/draft", {"body": "Typing"}, headers=HTMX)

    assert response.status_code == 200
    assert "Draft saved at" in await _text(response)
    assert (await Draft.get(member_id=member.id)).body == "Typing"


async def test_discard_draft(sign_in):
    member = await make_member()
    thread = await make_thread()
    client = await sign_in(member)
    await client.post(f"/threads/{thread.id}/draft", {"body": "Half a thought"})

    await client.post(f"/threads/{thread.id}/draft", {"body": "Half a thought", "discard": "1"})

    assert await Draft.all().count() == 0


async def test_draft_on_locked_thread_forbidden(sign_in):
    thread = await make_thread()
    await Thread.filter(id=thread.id).update(state="locked")
    client = await sign_in(await make_member())

    response = await client.post(f"/threads/{thread.id}/draft", {"body": "Words"})

    assert response.status_code == 403


# Duplicates -------------------------------------------------------------------------


async def test_suggest_duplicate_error_summary(sign_in):
    thread = await make_thread()
    client = await sign_in(await make_member())

    response = await client.post(f"/threads/{thread.id}/duplicates/new", {"canonical": "999999"})

    assert response.status_code == 422
    page = await _text(response)
    assert 'class="govuk-error-summary"' in page
    assert "There is no thread number 999999. Check the address." in page
    assert 'aria-describedby="canonical-hint canonical-error"' in page


async def test_duplicate_suggested_then_accepted(sign_in, client):
    asker = await make_member()
    thread = await make_thread(author=asker)
    reply = await make_reply(thread, body="An earlier reply that stays readable")
    canonical = await make_thread(title="The earlier thread with the answer")
    suggester = await sign_in(await make_member())

    response = await suggester.post(
        f"/threads/{thread.id}/duplicates/new", {"canonical": f"{BASE_URL}/threads/{canonical.id}"}
    )
    assert response.status_code == 303
    suggestion = await qa.access_suggestion(
        asker, (await qa.get_duplicate_view(asker, thread)).suggestions[0].id
    )
    asker_client = await sign_in(asker)
    asker_page = await _page(asker_client, f"/threads/{thread.id}")
    assert "Yes, this answers it" in asker_page

    response = await asker_client.post(f"/duplicates/{suggestion.id}/accept")

    assert response.status_code == 303
    page = await _page(client, f"/threads/{thread.id}")
    assert 'id="answered-elsewhere"' in page
    assert "The earlier thread with the answer" in page
    assert reply.html in page
    assert "duplicate" not in page.lower().split('id="answered-elsewhere"')[1][:400]


# Notifications ----------------------------------------------------------------------


async def test_header_shows_unread_count(sign_in):
    member = await make_member()
    thread = await make_thread(author=member)
    await make_reply(thread)
    client = await sign_in(member)

    page = await _page(client, "/")

    assert re.search(
        r'<span class="forum-count">1</span><span class="govuk-visually-hidden"> unread</span>',
        page,
    )


async def test_notifications_page_opens_and_marks_read(sign_in):
    member = await make_member()
    thread = await make_thread(author=member)
    reply = await make_reply(thread)
    client = await sign_in(member)
    notification = await Notification.get(member_id=member.id)

    page = await _page(client, "/notifications")
    response = await client.get(f"/notifications/{notification.id}")

    assert "replied to your question" in page
    assert response.status_code == 302
    assert response.headers["Location"] == f"/posts/{reply.id}"
    assert (await Notification.get(id=notification.id)).read_at is not None


async def test_open_other_members_notification_not_found(sign_in):
    member = await make_member()
    thread = await make_thread(author=member)
    await make_reply(thread)
    notification = await Notification.get(member_id=member.id)
    client = await sign_in(await make_member())

    response = await client.get(f"/notifications/{notification.id}")

    assert response.status_code == 404


async def test_mark_all_read_form(sign_in):
    member = await make_member()
    thread = await make_thread(author=member)
    await make_reply(thread)
    await make_reply(thread)
    client = await sign_in(member)

    response = await client.post("/notifications/read")

    assert response.status_code == 303
    assert await Notification.filter(member_id=member.id, read_at__isnull=True).count() == 0
    assert 'class="forum-count"' not in await _page(client, "/")


async def test_notifications_page_requires_sign_in(client):
    response = await client.get("/notifications")

    assert response.status_code == 302
    assert response.headers["Location"].startswith("/sign-in")


# History diffs ----------------------------------------------------------------------


async def test_diff_page_marks_changes_in_words(client):
    author = await make_member()
    thread = await make_thread()
    post = await make_reply(thread, author=author, body="Count the episodes\nKeep this line")
    post = await Post.filter(id=post.id).select_related("thread").get()
    await posting.do_edit_post(
        author, post, "Count the placements\nKeep this line", max_length=1000
    )

    page = await _page(client, f"/posts/{post.id}/diff?old=1&new=2")

    assert '<del><span class="govuk-visually-hidden">[removed: </span>episodes' in page
    assert '<ins><span class="govuk-visually-hidden">[added: </span>placements' in page
    assert "0 lines added, 0 removed, 1 changed." in page
    assert '<label class="govuk-label" for="old">From version</label>' in page


async def test_diff_page_unknown_version_not_found(client):
    thread = await make_thread()
    post = await Post.get(thread_id=thread.id, number=1)

    response = await client.get(f"/posts/{post.id}/diff?old=1&new=5")

    assert response.status_code == 404


# Query counts -----------------------------------------------------------------------


async def _count(client, count_queries, path: str) -> int:
    count_queries.statements.clear()
    response = await client.get(path)
    assert response.status_code == 200, path
    return count_queries.count


async def _busy_thread(asker, replies: int):
    thread = await make_thread(author=asker)
    posts = [await make_reply(thread) for _ in range(replies)]
    return thread, posts


async def test_thread_page_queries_constant_for_member(sign_in, count_queries):
    asker = await make_member()
    thread, posts = await _busy_thread(asker, 2)
    voter = await make_member()
    client = await sign_in(voter)
    await qa.do_accept_answer(
        asker, await Post.filter(id=posts[0].id).select_related("thread").get()
    )
    small = await _count(client, count_queries, f"/threads/{thread.id}")

    for _ in range(6):
        post = await make_reply(thread)
        await qa.do_vote(voter, await Post.filter(id=post.id).select_related("thread").get())
    await writing.do_save_draft(voter, thread, "Draft text", max_length=1000)
    canonical = await make_thread()
    await qa.do_suggest_duplicate(await make_member(), thread, str(canonical.id), base_url=BASE_URL)
    large = await _count(client, count_queries, f"/threads/{thread.id}")

    assert small == large, count_queries.statements
    # Session, unread count, thread, roles, audience links, posts, accepted answer, votes,
    # duplicates, draft and the member's watch level for the thread.
    assert large <= 11, count_queries.statements


async def test_notifications_page_queries_constant(sign_in, count_queries):
    member = await make_member()
    thread = await make_thread(author=member)
    await make_reply(thread)
    client = await sign_in(member)
    small = await _count(client, count_queries, "/notifications")

    for _ in range(10):
        await make_reply(thread)
    large = await _count(client, count_queries, "/notifications")

    assert small == large <= 3, count_queries.statements


async def test_diff_page_queries_constant(client, count_queries):
    author = await make_member()
    thread = await make_thread()
    post = await make_reply(thread, author=author, body="Version 0")
    post = await Post.filter(id=post.id).select_related("thread").get()
    await posting.do_edit_post(author, post, "Version 1", max_length=1000)
    small = await _count(client, count_queries, f"/posts/{post.id}/diff")

    for number in range(2, 8):
        await posting.do_edit_post(author, post, f"Version {number}\nwith more", max_length=1000)
    large = await _count(client, count_queries, f"/posts/{post.id}/diff")

    assert small == large <= 2, count_queries.statements


async def test_suggest_duplicate_page_queries_constant(sign_in, count_queries):
    thread = await make_thread()
    client = await sign_in(await make_member())
    small = await _count(client, count_queries, f"/threads/{thread.id}/duplicates/new")

    for _ in range(5):
        await make_thread()
    large = await _count(client, count_queries, f"/threads/{thread.id}/duplicates/new")

    assert small == large <= 5, count_queries.statements
