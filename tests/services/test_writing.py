"""Quotes, mentions, thread titles for pasted links, drafts and revision diffs."""

import asyncio

import pytest

from forum.errors import NotFound, ValidationFailed
from forum.markdown import render_markdown
from forum.services import posting, writing
from models import Draft, MemberState, Notification, Post, Thread, ThreadState
from tests.factories import make_member, make_reply, make_thread

BASE_URL = "http://127.0.0.1:8000"

MENTION_CASES = [
    ("plain", "Thanks @priya.n for this", ["priya.n"]),
    ("end of sentence", "Ask @priya.n.", ["priya.n"]),
    ("start of post", "@tom_a what do you think?", ["tom_a"]),
    ("twice counts once", "@ann and again @ann", ["ann"]),
    ("several in order", "@ben, @ann and @cat", ["ben", "ann", "cat"]),
    ("email address", "Write to someone@example.org", []),
    ("inline code", "Use `@variable` in T-SQL", []),
    ("code block", "```sql\nDECLARE @count INT\n```", []),
    ("bold", "**@ann** knows", ["ann"]),
    ("lone at sign", "Meet @ 10", []),
]


@pytest.mark.parametrize(
    ("case", "source", "expected"), MENTION_CASES, ids=[row[0] for row in MENTION_CASES]
)
def test_find_mentions(case, source, expected):
    assert writing.find_mentions(render_markdown(source)) == expected


async def _notifications_for(member) -> list[tuple[str, str]]:
    return [(n.kind, n.text) for n in await Notification.filter(member_id=member.id).order_by("id")]


async def test_reply_notifies_asker():
    asker, replier = await make_member(), await make_member(display_name="Ann Jones")
    thread = await make_thread(author=asker, title="How do we count episodes?")

    await make_reply(thread, author=replier)

    assert await _notifications_for(asker) == [
        ("reply", "Ann Jones replied to your question “How do we count episodes?”.")
    ]


async def test_reply_to_post_notifies_its_author():
    asker, first, second = await make_member(), await make_member(), await make_member()
    thread = await make_thread(author=asker)
    earlier = await make_reply(thread, author=first)

    await make_reply(thread, author=second, reply_to=earlier)

    assert [kind for kind, _text in await _notifications_for(first)] == ["reply"]
    assert "replied to your post" in (await _notifications_for(first))[0][1]
    assert len(await _notifications_for(asker)) == 2


async def test_own_reply_notifies_nobody():
    asker = await make_member()
    thread = await make_thread(author=asker)

    await make_reply(thread, author=asker, body=f"Bumping this, @{asker.handle}")

    assert await Notification.all().count() == 0


async def test_mention_notifies_once_as_mention():
    asker, replier = await make_member(), await make_member()
    thread = await make_thread(author=asker)

    await make_reply(thread, author=replier, body=f"@{asker.handle} does this help?")

    assert [kind for kind, _text in await _notifications_for(asker)] == ["mention"]


async def test_mention_skips_erased_and_imported_members():
    erased = await make_member(state=MemberState.ERASED)
    imported = await make_member(is_imported=True)
    thread = await make_thread()

    await make_reply(thread, body=f"@{erased.handle} and @{imported.handle}")

    assert await Notification.filter(member_id__in=[erased.id, imported.id]).count() == 0


async def test_mention_in_hidden_thread_skips_members():
    member, moderator = await make_member(), await make_member(permission="moderator")
    thread = await make_thread()
    await Thread.filter(id=thread.id).update(state=ThreadState.HIDDEN)
    thread = await Thread.get(id=thread.id)

    await make_reply(
        thread,
        author=await make_member(permission="moderator"),
        body=f"@{member.handle} @{moderator.handle}",
    )

    assert await _notifications_for(member) == []
    assert [kind for kind, _text in await _notifications_for(moderator)] == ["mention"]


async def test_held_reply_notifies_nobody_yet():
    asker, mentioned = await make_member(), await make_member()
    thread = await make_thread(author=asker)

    post = await make_reply(
        thread,
        body=f"@{mentioned.handle} the NHS number 943 476 5919 is a test value",
        personal_data_confirmed=True,
    )

    assert (await Post.get(id=post.id)).held_for_review is True
    assert await Notification.filter(kind__in=["reply", "mention"]).count() == 0


async def test_mentions_per_post_are_capped():
    members = [await make_member() for _ in range(writing.MAX_MENTIONS + 3)]
    thread = await make_thread()

    await make_reply(thread, body=" ".join(f"@{member.handle}" for member in members))

    assert await Notification.filter(kind="mention").count() == writing.MAX_MENTIONS


async def test_opening_post_mentions_notify():
    mentioned = await make_member()

    await make_thread(body=f"Can @{mentioned.handle} help with this?")

    assert [kind for kind, _text in await _notifications_for(mentioned)] == ["mention"]


async def test_edit_notifies_only_new_mentions():
    first, second, author = await make_member(), await make_member(), await make_member()
    thread = await make_thread()
    post = await make_reply(thread, author=author, body=f"Asking @{first.handle}")

    await posting.do_edit_post(
        author, post, f"Asking @{first.handle} and @{second.handle}", max_length=20000
    )

    assert len(await _notifications_for(first)) == 1
    assert [kind for kind, _text in await _notifications_for(second)] == ["mention"]


# Thread titles for pasted links ------------------------------------------------------


async def test_pasted_thread_link_shows_title():
    target = await make_thread(title="Counting SSDA903 episodes")
    source = f"See {BASE_URL}/threads/{target.id}/{target.slug} for more."

    html = await writing.add_thread_titles(render_markdown(source), base_url=BASE_URL)

    assert f'href="{BASE_URL}/threads/{target.id}/{target.slug}"' in html
    assert ">Counting SSDA903 episodes</a>" in html


async def test_pasted_link_to_post_names_post():
    target = await make_thread(title="Counting SSDA903 episodes")

    html = await writing.add_thread_titles(
        render_markdown(f"<{BASE_URL}/threads/{target.id}#post-3>"), base_url=BASE_URL
    )

    assert ">Counting SSDA903 episodes (post 3)</a>" in html


async def test_relative_markdown_link_with_address_text_gets_title():
    target = await make_thread(title="Counting SSDA903 episodes")
    path = f"/threads/{target.id}"

    html = await writing.add_thread_titles(render_markdown(f"[{path}]({path})"))

    assert ">Counting SSDA903 episodes</a>" in html


async def test_title_is_escaped():
    target = await make_thread(title="Why does <script> appear in my export?")

    html = await writing.add_thread_titles(
        render_markdown(f"{BASE_URL}/threads/{target.id}"), base_url=BASE_URL
    )

    assert "Why does &lt;script&gt; appear in my export?</a>" in html
    assert "<script>" not in html


UNCHANGED_LINKS = [
    ("own link text", lambda thread: f"[this thread]({BASE_URL}/threads/{thread.id})"),
    ("other site", lambda thread: f"https://example.org/threads/{thread.id}"),
    ("missing thread", lambda thread: f"{BASE_URL}/threads/999999"),
    ("not a thread page", lambda thread: f"{BASE_URL}/posts/{thread.id}"),
]


@pytest.mark.parametrize(
    ("case", "make_source"), UNCHANGED_LINKS, ids=[row[0] for row in UNCHANGED_LINKS]
)
async def test_other_links_unchanged(case, make_source):
    target = await make_thread(title="Counting SSDA903 episodes")
    rendered = render_markdown(make_source(target))

    assert await writing.add_thread_titles(rendered, base_url=BASE_URL) == rendered


async def test_hidden_thread_title_not_shown():
    target = await make_thread(title="A hidden thread about placements")
    await Thread.filter(id=target.id).update(state=ThreadState.HIDDEN)
    rendered = render_markdown(f"{BASE_URL}/threads/{target.id}")

    assert await writing.add_thread_titles(rendered, base_url=BASE_URL) == rendered


async def test_post_without_links_issues_no_query(count_queries):
    rendered = render_markdown("No links here, only text and `code`.")
    count_queries.statements.clear()

    await writing.add_thread_titles(rendered, base_url=BASE_URL)

    assert count_queries.count == 0


# Quotes -----------------------------------------------------------------------------


async def test_quote_links_back_to_post():
    author = await make_member(display_name="Priya [N]")
    thread = await make_thread()
    post = await make_reply(thread, author=author, body="First line\n\nSecond line")
    post = await Post.filter(id=post.id).select_related("author").get()

    quote = writing.build_quote(post)

    assert quote == (
        f"> **[Priya \\[N\\] wrote](/posts/{post.id}):**\n>\n> First line\n>\n> Second line\n\n"
    )
    assert f'<a href="/posts/{post.id}"' in render_markdown(quote)


async def test_quote_cuts_long_post():
    thread = await make_thread()
    post = await make_reply(thread, body="A line of text that repeats.\n" * 200)
    post = await Post.filter(id=post.id).select_related("author").get()

    quote = writing.build_quote(post)

    assert len(quote) < writing.QUOTE_MAX + 300
    assert quote.rstrip().endswith("> …")


# Drafts -----------------------------------------------------------------------------


async def test_save_draft_keeps_one_row():
    member, thread = await make_member(), await make_thread()

    await writing.do_save_draft(member, thread, "First words", max_length=1000)
    draft = await writing.do_save_draft(member, thread, "First words, then more", max_length=1000)

    assert draft.body == "First words, then more"
    assert await Draft.all().count() == 1


async def test_empty_draft_deletes_it():
    member, thread = await make_member(), await make_thread()
    await writing.do_save_draft(member, thread, "Some words", max_length=1000)

    assert await writing.do_save_draft(member, thread, "  \n", max_length=1000) is None
    assert await writing.get_draft(member, thread) is None


async def test_too_long_draft_rejected():
    member, thread = await make_member(), await make_thread()

    with pytest.raises(ValidationFailed) as failure:
        await writing.do_save_draft(member, thread, "x" * 11, max_length=10)

    assert failure.value.errors == {
        "body": (
            "Your draft is 11 characters long, but the limit is 10 characters. Shorten it and try again."
        )
    }


async def test_drafts_are_per_member_and_thread():
    member, other = await make_member(), await make_member()
    thread, other_thread = await make_thread(), await make_thread()
    await writing.do_save_draft(member, thread, "Mine here", max_length=1000)

    assert await writing.get_draft(other, thread) is None
    assert await writing.get_draft(member, other_thread) is None
    assert (await writing.get_draft(member, thread)).body == "Mine here"


async def test_reply_deletes_draft():
    member, thread = await make_member(), await make_thread()
    await writing.do_save_draft(member, thread, "Almost ready", max_length=1000)

    await make_reply(thread, author=member, body="Ready now")

    assert await writing.get_draft(member, thread) is None


async def test_concurrent_draft_saves_keep_one_row():
    member, thread = await make_member(), await make_thread()

    await asyncio.gather(
        *(writing.do_save_draft(member, thread, f"Version {n}", max_length=1000) for n in range(6))
    )

    drafts = await Draft.filter(member_id=member.id, thread_id=thread.id)
    assert len(drafts) == 1
    assert drafts[0].body.startswith("Version ")


# Mention suggestions ----------------------------------------------------------------


async def test_mention_suggestions_match_last_word():
    member = await make_member()
    priya = await make_member(handle="priya.n", display_name="Priya Natarajan")
    await make_member(handle="pat.o", display_name="Pat O'Neill")
    await make_member(handle="prisoner", state=MemberState.SUSPENDED)
    await make_member(handle="pri.imported", is_imported=True)

    found = await writing.list_mention_suggestions(member, "Thanks to @pri")

    assert [m.id for m in found] == [priya.id]


async def test_mention_suggestions_need_at_word_at_end():
    member = await make_member()
    await make_member(handle="priya.n")

    assert await writing.list_mention_suggestions(member, "@priya.n said this") == []
    assert await writing.list_mention_suggestions(member, "email@pri") == []


# Revision diffs ---------------------------------------------------------------------

DIFF_CASES = [
    ("same", "a\nb", "a\nb", [("same", [("same", "a")]), ("same", [("same", "b")])]),
    ("added line", "a", "a\nb", [("same", [("same", "a")]), ("added", [("added", "b")])]),
    ("removed line", "a\nb", "b", [("removed", [("removed", "a")]), ("same", [("same", "b")])]),
    (
        "changed word",
        "count the episodes",
        "count the placements",
        [
            ("changed", [("same", "count the "), ("removed", "episodes"), ("added", "placements")]),
        ],
    ),
    (
        "replace two with one",
        "x\ny",
        "z",
        [
            ("changed", [("removed", "x"), ("added", "z")]),
            ("removed", [("removed", "y")]),
        ],
    ),
]


@pytest.mark.parametrize(
    ("case", "old", "new", "expected"), DIFF_CASES, ids=[row[0] for row in DIFF_CASES]
)
def test_diff_lines(case, old, new, expected):
    lines = writing.diff_lines(old, new)

    assert [(line.kind, line.parts) for line in lines] == expected


async def _edited_post():
    author = await make_member()
    thread = await make_thread()
    post = await make_reply(thread, author=author, body="Version one")
    post = await Post.filter(id=post.id).select_related("thread").get()
    for body in ("Version two", "Version three"):
        post = await posting.do_edit_post(author, post, body, max_length=1000)
    return author, await Post.filter(id=post.id).select_related("thread").get()


async def test_revision_diff_defaults_to_latest_change():
    author, post = await _edited_post()

    diff = await writing.get_revision_diff(author, post, None, None)

    assert (diff.old.number, diff.new.number) == (2, 3)
    assert diff.counts == {"added": 0, "removed": 0, "changed": 1}


async def test_revision_diff_any_two_versions():
    author, post = await _edited_post()

    diff = await writing.get_revision_diff(None, post, 3, 1)

    assert (diff.old.source, diff.new.source) == ("Version three", "Version one")


async def test_revision_diff_missing_version_not_found():
    author, post = await _edited_post()

    with pytest.raises(NotFound):
        await writing.get_revision_diff(author, post, 1, 9)
