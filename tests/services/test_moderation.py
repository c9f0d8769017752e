"""Moderation services: flags and the review queue, thread and post tools, redaction,
slow mode, members and canned reasons. Every change is checked for its audit entry."""

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from tortoise import connections

from forum.auth.policy import Action, can, require
from forum.auth.sessions import do_start_session, get_session_member
from forum.errors import Conflict, Forbidden, ValidationFailed
from forum.services import (
    browsing,
    canned_reasons,
    moderation,
    moderation_members,
    moderation_threads,
    posting,
    rate_limits,
)
from forum.services.moderation import AlreadyFlagged, Resolution
from models import (
    AuditEntry,
    Flag,
    FlagState,
    Member,
    MemberState,
    ModeratorNote,
    Notification,
    Organisation,
    Post,
    Revision,
    Thread,
    ThreadState,
)
from tests.conftest import IS_POSTGRES
from tests.factories import SECRET_KEY, make_member, make_organisation, make_thread


async def _moderator(**fields) -> Member:
    return await make_member(permission="moderator", **fields)


async def _reply(thread: Thread, body: str = "A reply", author: Member | None = None) -> Post:
    author = author or await make_member()
    return await posting.do_reply(author, await Thread.get(id=thread.id), body, max_length=5000)


async def _post(post_id: int) -> Post:
    return await Post.get(id=post_id).select_related("thread", "author")


async def _actions(target_type: str, target_id: int) -> list[str]:
    return (
        await AuditEntry.filter(target_type=target_type, target_id=target_id)
        .order_by("id")
        .values_list("action", flat=True)
    )


# Flags ---------------------------------------------------------------------------------


async def test_member_flags_post():
    post = await _reply(await make_thread())
    reporter = await make_member()

    flag = await moderation.do_flag(reporter, await _post(post.id), "spam")

    assert flag.state == FlagState.OPEN
    assert flag.severity == 2
    assert flag.post_id == post.id


async def test_second_open_flag_on_same_item_is_refused():
    post = await _post((await _reply(await make_thread())).id)
    reporter = await make_member()
    await moderation.do_flag(reporter, post, "spam")

    with pytest.raises(AlreadyFlagged):
        await moderation.do_flag(reporter, post, "unkind")

    assert await Flag.filter(post_id=post.id).count() == 1


async def test_concurrent_flags_store_one():
    post = await _post((await _reply(await make_thread())).id)
    reporter = await make_member()

    results = await asyncio.gather(
        *(moderation.do_flag(reporter, post, "spam") for _ in range(4)), return_exceptions=True
    )

    assert sum(isinstance(result, Flag) for result in results) == 1
    assert all(isinstance(result, (Flag, AlreadyFlagged)) for result in results)


async def test_member_can_flag_again_after_resolution():
    post = await _post((await _reply(await make_thread())).id)
    reporter = await make_member()
    await moderation.do_flag(reporter, post, "spam")
    moderator = await _moderator()
    item = await moderation.access_review_item(moderator, "post", post.id)
    await moderation.do_resolve_flags(
        moderator, item, Resolution(outcome="dismissed"), max_length=5000
    )

    again = await moderation.do_flag(reporter, post, "spam")

    assert again.state == FlagState.OPEN


@pytest.mark.parametrize(
    ("reason", "text", "field", "message"),
    [
        ("", "", "reason", "Choose why you are flagging this."),
        ("rude", "", "reason", "Choose why you are flagging this."),
        ("other", "   ", "text", "Tell the moderators what is wrong."),
        ("spam", "x" * 1001, "text", "1000 characters or fewer"),
    ],
)
async def test_flag_validation(reason, text, field, message):
    post = await _post((await _reply(await make_thread())).id)

    with pytest.raises(ValidationFailed) as raised:
        await moderation.do_flag(await make_member(), post, reason, text)

    assert message in raised.value.errors[field]


async def test_flagging_own_post_is_refused():
    author = await make_member()
    post = await _post((await _reply(await make_thread(), author=author)).id)

    with pytest.raises(Forbidden):
        await moderation.do_flag(author, post, "spam")


async def test_silenced_member_can_flag():
    post = await _post((await _reply(await make_thread())).id)
    silenced = await make_member(is_silenced=True)

    flag = await moderation.do_flag(silenced, post, "unkind")

    assert flag.reporter_id == silenced.id


async def test_queue_orders_by_severity_then_age():
    thread = await make_thread()
    old_spam = await _post((await _reply(thread)).id)
    child = await _post((await _reply(thread)).id)
    new_spam = await _post((await _reply(thread)).id)
    await moderation.do_flag(await make_member(), old_spam, "spam")
    await moderation.do_flag(await make_member(), child, "identifies_child")
    await moderation.do_flag(await make_member(), new_spam, "spam")
    await moderation.do_flag(await make_member(), await Thread.get(id=thread.id), "off_topic")
    await moderation.do_flag(await make_member(), child, "unkind")

    queue = await moderation.list_review_queue(await _moderator())

    assert [(item.target_type, item.target_id) for item in queue] == [
        ("post", child.id),
        ("post", old_spam.id),
        ("post", new_spam.id),
        ("thread", thread.id),
    ]
    assert len(queue[0].flags) == 2
    assert queue[0].reasons == ["Identifies a child or family", "Unkind or abusive"]


async def test_queue_needs_moderator():
    with pytest.raises(Forbidden):
        await moderation.list_review_queue(await make_member())


async def _flagged(reason: str = "unkind", body: str = "A reply") -> tuple[Post, Member, Member]:
    post = await _post((await _reply(await make_thread(), body=body)).id)
    reporter = await make_member()
    await moderation.do_flag(reporter, post, reason)
    return post, reporter, await _moderator()


async def _resolve(moderator: Member, post: Post, **resolution) -> list[int]:
    item = await moderation.access_review_item(moderator, "post", post.id)
    return await moderation.do_resolve_flags(
        moderator, item, Resolution(**resolution), max_length=5000
    )


@pytest.mark.parametrize(
    ("resolution", "news"),
    [
        ({"outcome": "dismissed"}, "decided that no action was needed"),
        ({"outcome": "hidden", "reason": "Abusive"}, "hid it"),
        ({"outcome": "edited", "new_text": "A kinder reply"}, "edited it"),
        ({"outcome": "redacted", "reason": "Named a child"}, "removed its content"),
        ({"outcome": "warned", "reason": "Be kind"}, "warned its author"),
    ],
)
async def test_outcome_closes_flags_and_tells_reporter(resolution, news):
    post, reporter, moderator = await _flagged()

    await _resolve(moderator, post, **resolution)

    flag = await Flag.get(post_id=post.id)
    assert flag.state == FlagState.RESOLVED
    assert flag.outcome == resolution["outcome"]
    assert flag.open_key is None
    assert flag.resolved_by_id == moderator.id
    notice = await Notification.get(member_id=reporter.id, kind="flag_outcome")
    assert news in notice.text
    assert "flags_resolved" in await _actions("post", post.id)


async def test_hide_outcome_hides_post():
    post, _, moderator = await _flagged()

    await _resolve(moderator, post, outcome="hidden", reason="Abusive")

    assert (await Post.get(id=post.id)).is_hidden is True
    assert await _actions("post", post.id) == ["post_hidden", "flags_resolved"]


async def test_edit_outcome_stores_revision():
    post, _, moderator = await _flagged()

    await _resolve(moderator, post, outcome="edited", new_text="A kinder reply", reason="Tone")

    stored = await Post.get(id=post.id)
    assert stored.source == "A kinder reply"
    assert await Revision.filter(post_id=post.id).count() == 2


async def test_warn_outcome_notifies_author_and_keeps_note():
    post, _, moderator = await _flagged()

    await _resolve(moderator, post, outcome="warned", reason="Please keep it civil")

    warning = await Notification.get(member_id=post.author_id, kind="warning")
    note = await ModeratorNote.get(member_id=post.author_id)
    assert "Please keep it civil" in warning.text
    assert "Please keep it civil" in note.text
    assert "member_warned" in await _actions("member", post.author_id)


@pytest.mark.parametrize(
    ("resolution", "field", "message"),
    [
        ({"outcome": ""}, "outcome", "Choose what to do"),
        ({"outcome": "burn"}, "outcome", "Choose what to do"),
        ({"outcome": "hidden"}, "reason", "Enter a reason"),
        ({"outcome": "warned"}, "reason", "Enter a reason"),
        ({"outcome": "edited", "new_text": "  "}, "new_text", "Enter the corrected text"),
        ({"outcome": "hidden", "canned_reason_id": "999"}, "reason", "no longer exists"),
    ],
)
async def test_resolution_validation(resolution, field, message):
    post, _, moderator = await _flagged()

    with pytest.raises(ValidationFailed) as raised:
        await _resolve(moderator, post, **resolution)

    assert message in raised.value.errors[field]
    assert (await Flag.get(post_id=post.id)).state == FlagState.OPEN


async def test_resolving_twice_is_refused():
    post, _, moderator = await _flagged()
    item = await moderation.access_review_item(moderator, "post", post.id)
    await moderation.do_resolve_flags(
        moderator, item, Resolution(outcome="dismissed"), max_length=5000
    )

    with pytest.raises(Conflict):
        await moderation.do_resolve_flags(
            moderator, item, Resolution(outcome="dismissed"), max_length=5000
        )


async def test_redact_outcome_on_thread_replaces_title_and_opening_post():
    thread = await make_thread(title="Records for Jayden Smith at Oak School", body="Jayden's file")
    reporter = await make_member()
    await moderation.do_flag(reporter, thread, "identifies_child")
    moderator = await _moderator()
    item = await moderation.access_review_item(moderator, "thread", thread.id)

    await moderation.do_resolve_flags(
        moderator, item, Resolution(outcome="redacted", reason="Named a child"), max_length=5000
    )

    stored = await Thread.get(id=thread.id)
    opening = await Post.get(thread_id=thread.id, number=1)
    assert stored.title == moderation.REDACTED_THREAD_TITLE
    assert "Jayden" not in opening.source
    notice = await Notification.get(member_id=reporter.id)
    assert "Jayden" not in notice.text


# Redaction ------------------------------------------------------------------------------

SECRET = "Jayden Smith NHS 943 476 5919"


async def test_redaction_leaves_no_trace_in_any_revision():
    # Moderators write the two versions, because a member's confirmed post would be held,
    # and a held post cannot be flagged.
    thread = await make_thread()
    post = await posting.do_reply(
        await _moderator(),
        await Thread.get(id=thread.id),
        f"First: {SECRET}",
        max_length=5000,
        personal_data_confirmed=True,
    )
    moderator = await _moderator(display_name="Mo Derator")
    await posting.do_edit_post(
        moderator,
        await _post(post.id),
        f"Second: {SECRET}",
        max_length=5000,
        personal_data_confirmed=True,
        reason=f"keeps {SECRET}",
    )
    await moderation.do_flag(
        await make_member(), await _post(post.id), "identifies_child", f"It shows {SECRET}"
    )

    await moderation_threads.do_redact_post(moderator, await _post(post.id), "Named a child")

    stored = await Post.get(id=post.id)
    revisions = await Revision.filter(post_id=post.id)
    texts = [stored.source, stored.html] + [
        text for revision in revisions for text in (revision.source, revision.html, revision.reason)
    ]
    assert len(revisions) == 2
    assert all("Jayden" not in text and "5919" not in text for text in texts)
    assert "redacted by Mo Derator" in stored.source
    assert "Named a child" in stored.source
    assert stored.redacted_by_id == moderator.id
    flag = await Flag.get(post_id=post.id)
    assert "Jayden" not in flag.text
    entries = await AuditEntry.filter(target_type="post", target_id=post.id)
    assert all(
        "Jayden" not in str(entry.before) + str(entry.after) + entry.reason for entry in entries
    )


async def _indexed_post_ids(word: str) -> list[int]:
    """Read the search index itself, not the search service, which skips redacted posts."""
    connection = connections.get("default")
    if IS_POSTGRES:
        rows = await connection.execute_query_dict(
            "SELECT post_id FROM post_search WHERE document @@ plainto_tsquery('english', $1)",
            [word],
        )
        return [row["post_id"] for row in rows]
    rows = await connection.execute_query_dict(
        "SELECT rowid FROM search_fts WHERE search_fts MATCH ?", [word]
    )
    return [row["rowid"] for row in rows]


async def test_redaction_purges_search_index():
    post = await _reply(await make_thread(), body="The Wolverhampton placement details")
    assert post.id in await _indexed_post_ids("Wolverhampton")

    await moderation_threads.do_redact_post(
        await _moderator(), await _post(post.id), "Named a place"
    )

    assert await _indexed_post_ids("Wolverhampton") == []


async def test_redaction_cannot_be_repeated_or_edited_away():
    post = await _reply(await make_thread())
    moderator = await _moderator()
    await moderation_threads.do_redact_post(moderator, await _post(post.id), "Personal data")

    with pytest.raises(Forbidden):
        await moderation_threads.do_redact_post(moderator, await _post(post.id), "Again")
    assert not can(moderator, Action.EDIT_POST, await _post(post.id))


async def test_redaction_lists_quoting_posts():
    thread = await make_thread()
    post = await _reply(thread, body="The secret words")
    quoting = await _reply(
        thread, body=f"> **[Someone wrote](/posts/{post.id}):**\n> The secret words\n\nAgreed"
    )

    quoted_in = await moderation_threads.do_redact_post(
        await _moderator(), await _post(post.id), "Named a child"
    )

    assert quoted_in == [quoting.id]


async def test_redaction_needs_reason():
    post = await _reply(await make_thread())

    with pytest.raises(ValidationFailed):
        await moderation_threads.do_redact_post(await _moderator(), await _post(post.id), "")


# Lock, pin, hide ------------------------------------------------------------------------


async def test_lock_and_unlock_restores_solved_state():
    thread = await make_thread()
    answer = await _reply(thread)
    await Thread.filter(id=thread.id).update(accepted_post_id=answer.id, state=ThreadState.SOLVED)
    moderator = await _moderator()

    await moderation_threads.do_lock_thread(moderator, await Thread.get(id=thread.id), "Resolved")
    locked = await Thread.get(id=thread.id)
    locked_state, lock_reason = locked.state, locked.lock_reason
    await moderation_threads.do_unlock_thread(moderator, locked, "")
    unlocked = await Thread.get(id=thread.id)

    assert locked_state == ThreadState.LOCKED
    assert lock_reason == "Resolved"
    assert unlocked.state == ThreadState.SOLVED
    assert unlocked.locked_at is None
    assert await _actions("thread", thread.id) == ["thread_locked", "thread_unlocked"]


async def test_locked_thread_refuses_member_reply():
    thread = await make_thread()
    await moderation_threads.do_lock_thread(await _moderator(), thread, "Heated")

    with pytest.raises(Forbidden):
        await _reply(thread)


async def test_locking_twice_is_refused():
    thread = await make_thread()
    moderator = await _moderator()
    await moderation_threads.do_lock_thread(moderator, thread, "Heated")

    with pytest.raises(Conflict, match="already locked"):
        await moderation_threads.do_lock_thread(moderator, await Thread.get(id=thread.id), "Again")


async def test_member_cannot_lock():
    with pytest.raises(Forbidden):
        await moderation_threads.do_lock_thread(await make_member(), await make_thread(), "No")


async def test_pin_expires():
    thread = await make_thread()
    moderator = await _moderator()
    await moderation_threads.do_pin_thread(
        moderator, thread, "", until=datetime.now(UTC) + timedelta(days=1)
    )
    await Thread.filter(id=thread.id).update(pinned_until=datetime.now(UTC) - timedelta(minutes=1))

    assert (await Thread.get(id=thread.id)).pinned is True
    assert (await Thread.get(id=thread.id)).is_pinned_now is False


async def test_pin_end_must_be_future():
    with pytest.raises(ValidationFailed):
        await moderation_threads.do_pin_thread(
            await _moderator(), await make_thread(), "", until=datetime.now(UTC) - timedelta(days=1)
        )


async def test_hidden_locked_thread_unhides_locked():
    thread = await make_thread()
    moderator = await _moderator()
    await moderation_threads.do_lock_thread(moderator, thread, "Heated")
    await moderation_threads.do_set_thread_hidden(
        moderator, await Thread.get(id=thread.id), True, "Spam"
    )
    hidden = await Thread.get(id=thread.id)
    assert hidden.state == ThreadState.HIDDEN
    assert not can(await make_member(), Action.VIEW_THREAD, hidden)

    await moderation_threads.do_set_thread_hidden(moderator, hidden, False, "")

    assert (await Thread.get(id=thread.id)).state == ThreadState.LOCKED


async def test_hide_and_unhide_post():
    post = await _post((await _reply(await make_thread())).id)
    moderator = await _moderator()

    await moderation_threads.do_set_post_hidden(moderator, post, True, "Spam")
    with pytest.raises(Conflict):
        await moderation_threads.do_set_post_hidden(moderator, post, True, "Spam")
    await moderation_threads.do_set_post_hidden(moderator, post, False, "")

    assert (await Post.get(id=post.id)).is_hidden is False
    assert await _actions("post", post.id) == ["post_hidden", "post_unhidden"]


# Move, merge, split --------------------------------------------------------------------


async def test_move_changes_area_and_roles():
    thread = await make_thread()
    moderator = await _moderator()
    taxonomy = await browsing.get_taxonomy()

    await moderation_threads.do_move_thread(
        moderator,
        await browsing.access_thread(moderator, thread.id),
        taxonomy,
        skill_area="cin-census",
        roles=("la-leadership",),
        reason="Better home",
    )

    moved = await browsing.access_thread(moderator, thread.id)
    entry = await AuditEntry.get(action="thread_moved")
    assert moved.skill_area.slug == "cin-census"
    assert [role.slug for role in moved.roles] == ["la-leadership"]
    assert entry.before == {"skill_area": "data-quality", "roles": ["la-data"]}
    assert entry.after == {"skill_area": "cin-census", "roles": ["la-leadership"]}


@pytest.mark.parametrize(
    ("skill_area", "roles", "field"),
    [
        ("", ("la-data",), "skill_area"),
        ("no-such-area", ("la-data",), "skill_area"),
        ("cin-census", (), "roles"),
        ("cin-census", ("nope",), "roles"),
    ],
)
async def test_move_validation(skill_area, roles, field):
    thread = await make_thread()
    moderator = await _moderator()

    with pytest.raises(ValidationFailed) as raised:
        await moderation_threads.do_move_thread(
            moderator,
            await browsing.access_thread(moderator, thread.id),
            await browsing.get_taxonomy(),
            skill_area=skill_area,
            roles=roles,
            reason="",
        )

    assert field in raised.value.errors


async def test_merge_interleaves_posts_and_points_old_thread():
    target = await make_thread(title="Target thread about returns")
    source = await make_thread(title="Source thread about returns")
    await _reply(target, "target reply")
    await _reply(source, "source reply")
    moderator = await _moderator()

    merged = await moderation_threads.do_merge_threads(
        moderator, await Thread.get(id=source.id), await Thread.get(id=target.id), "Duplicate"
    )

    posts = (
        await Post.filter(thread_id=target.id).order_by("number").values_list("number", "source")
    )
    old = await Thread.get(id=source.id)
    assert [number for number, _ in posts] == [1, 2, 3, 4]
    assert posts[0][1] == "How do other councils check this?"
    assert [text for _, text in posts[1:]] == [
        "How do other councils check this?",
        "target reply",
        "source reply",
    ]
    assert merged.post_count == 4
    assert old.state == ThreadState.HIDDEN
    assert old.merged_into_id == target.id
    assert (
        await moderation_threads.find_merge_target(await make_member(), source.id)
    ).id == target.id


async def test_merge_into_itself_is_refused():
    thread = await make_thread()

    with pytest.raises(ValidationFailed):
        await moderation_threads.do_merge_threads(await _moderator(), thread, thread, "No")


async def test_split_moves_chosen_posts_and_renumbers():
    thread = await make_thread()
    replies = [await _reply(thread, f"reply {number}") for number in range(4)]
    moderator = await _moderator()

    new_thread = await moderation_threads.do_split_thread(
        moderator,
        await Thread.get(id=thread.id),
        [replies[1].id, replies[3].id],
        title="Split off: a side question",
        reason="Different topic",
    )

    old_posts = (
        await Post.filter(thread_id=thread.id).order_by("number").values_list("number", "source")
    )
    new_posts = (
        await Post.filter(thread_id=new_thread.id)
        .order_by("number")
        .values_list("number", "source")
    )
    assert old_posts == [(1, "How do other councils check this?"), (2, "reply 0"), (3, "reply 2")]
    assert new_posts == [(1, "reply 1"), (2, "reply 3")]
    assert (await Thread.get(id=thread.id)).post_count == 3
    assert new_thread.post_count == 2
    assert new_thread.author_id == replies[1].author_id
    late = await _reply(await Thread.get(id=thread.id), "after the split")
    assert late.number == 4


@pytest.mark.parametrize(
    ("choose", "title", "field"),
    [
        ("none", "A good long title", "posts"),
        ("opening", "A good long title", "posts"),
        ("reply", "Short", "title"),
    ],
)
async def test_split_validation(choose, title, field):
    thread = await make_thread()
    reply = await _reply(thread)
    opening = await Post.get(thread_id=thread.id, number=1)
    post_ids = {"none": [], "opening": [opening.id], "reply": [reply.id]}[choose]

    with pytest.raises(ValidationFailed) as raised:
        await moderation_threads.do_split_thread(
            await _moderator(), thread, post_ids, title=title, reason="x"
        )

    assert field in raised.value.errors


# Slow mode ------------------------------------------------------------------------------


async def test_slow_mode_makes_member_wait():
    thread = await make_thread()
    member = await make_member()
    moderator = await _moderator()
    await moderation_threads.do_set_slow_mode(moderator, thread, 300, "Cooling down")
    await _reply(thread, "first", author=member)

    with pytest.raises(ValidationFailed) as raised:
        await _reply(thread, "second", author=member)

    assert "slow mode: one post every 5 minutes" in raised.value.errors["body"]
    await _reply(thread, "moderators are exempt", author=moderator)
    await Post.filter(author_id=member.id).update(
        created_at=datetime.now(UTC) - timedelta(minutes=6)
    )
    await _reply(thread, "after the gap", author=member)


async def test_slow_mode_records_who_and_why():
    thread = await make_thread()
    moderator = await _moderator()

    await moderation_threads.do_set_slow_mode(
        moderator, thread, 900, "Busy", until=datetime.now(UTC) + timedelta(days=2)
    )

    shown = await browsing.access_thread(None, thread.id)
    assert shown.slow_mode_active
    assert shown.slow_mode_by.id == moderator.id
    assert shown.slow_mode_reason == "Busy"


async def test_slow_mode_rejects_unknown_gap():
    with pytest.raises(ValidationFailed):
        await moderation_threads.do_set_slow_mode(await _moderator(), await make_thread(), 7, "x")


async def test_slow_mode_check_passes_when_off():
    await rate_limits.check_slow_mode(await make_member(), await make_thread())


# Members -------------------------------------------------------------------------------


async def test_suspension_ends_every_session_and_tells_member():
    member = await make_member()
    cookies = [(await do_start_session(member, secret_key=SECRET_KEY, days=1))[0] for _ in range(3)]
    until = datetime.now(UTC) + timedelta(days=7)

    await moderation_members.do_suspend_member(
        await _moderator(), member, until=until, reason="Abuse"
    )

    for cookie in cookies:
        assert await get_session_member(cookie, secret_key=SECRET_KEY) == (None, None)
    stored = await Member.get(id=member.id)
    assert stored.state == MemberState.SUSPENDED
    assert "Abuse" in (await Notification.get(member_id=member.id, kind="suspended")).text
    with pytest.raises(Forbidden, match="Abuse"):
        require(stored, Action.REPLY, await make_thread())


@pytest.mark.parametrize(
    ("target_permission", "actor_permission"), [("moderator", "moderator"), ("admin", "admin")]
)
async def test_suspension_of_equal_rank_is_refused(target_permission, actor_permission):
    with pytest.raises(Forbidden):
        await moderation_members.do_suspend_member(
            await make_member(permission=actor_permission),
            await make_member(permission=target_permission),
            until=datetime.now(UTC) + timedelta(days=1),
            reason="x",
        )


async def test_suspension_must_end_in_future():
    with pytest.raises(ValidationFailed):
        await moderation_members.do_suspend_member(
            await _moderator(),
            await make_member(),
            until=datetime.now(UTC) - timedelta(days=1),
            reason="x",
        )


async def test_lift_suspension():
    member = await make_member()
    moderator = await _moderator()
    await moderation_members.do_suspend_member(
        moderator, member, until=datetime.now(UTC) + timedelta(days=1), reason="x"
    )

    await moderation_members.do_lift_suspension(moderator, member, "Appeal upheld")

    assert (await Member.get(id=member.id)).state == MemberState.ACTIVE
    assert await _actions("member", member.id) == ["member_suspended", "suspension_lifted"]


async def test_silenced_member_cannot_post_but_can_read():
    member = await make_member()
    thread = await make_thread()
    await moderation_members.do_silence_member(await _moderator(), member, reason="Cooling off")

    with pytest.raises(Forbidden, match="read-only"):
        await _reply(thread, author=await Member.get(id=member.id))
    assert can(await Member.get(id=member.id), Action.VIEW_THREAD, thread)


async def test_notes_are_kept_and_audited():
    member = await make_member()
    moderator = await _moderator()

    await moderation_members.do_add_note(moderator, member, "Spoke to them by phone")
    record = await moderation_members.get_member_record(moderator, member)

    assert [note.text for note in record.notes] == ["Spoke to them by phone"]
    assert record.history[0].action == "note_added"


async def test_notes_are_moderators_only():
    with pytest.raises(Forbidden):
        await moderation_members.get_member_record(await make_member(), await make_member())


async def test_pending_queue_lists_unapproved_organisations_only():
    unapproved = await make_organisation(approved=False)
    approved = await make_organisation(approved=True)
    waiting = await make_member(state=MemberState.PENDING, organisation=unapproved)
    no_org = await make_member(state=MemberState.PENDING)
    await make_member(state=MemberState.PENDING, organisation=approved)

    pending = await moderation_members.list_pending_members(await _moderator())

    assert [member.id for member in pending] == [waiting.id, no_org.id]


async def test_approve_member_and_organisation():
    organisation = await make_organisation(approved=False)
    member = await make_member(state=MemberState.PENDING, organisation=organisation)
    moderator = await _moderator()

    await moderation_members.do_approve_member(moderator, member, approve_organisation=True)

    assert (await Member.get(id=member.id)).state == MemberState.ACTIVE
    assert (await Organisation.get(id=organisation.id)).approved is True
    assert await _actions("organisation", organisation.id) == ["organisation_approved"]
    with pytest.raises(Forbidden):
        await moderation_members.do_reject_member(
            moderator, await Member.get(id=member.id), reason="late"
        )


async def test_reject_member_ends_sessions():
    member = await make_member(state=MemberState.PENDING)
    cookie, _ = await do_start_session(member, secret_key=SECRET_KEY, days=1)

    await moderation_members.do_reject_member(
        await _moderator(), member, reason="Not in the sector"
    )

    assert (await Member.get(id=member.id)).state == MemberState.REJECTED
    assert await get_session_member(cookie, secret_key=SECRET_KEY) == (None, None)


# Canned reasons -----------------------------------------------------------------------


async def test_admin_manages_canned_reasons():
    admin = await make_member(permission="admin")
    form = canned_reasons.CannedReasonForm(
        title="Personal data", text="It named a child.", position="2"
    )

    canned = await canned_reasons.do_create_canned_reason(admin, form)
    await canned_reasons.do_update_canned_reason(
        admin,
        canned.id,
        canned_reasons.CannedReasonForm(title="Personal data", text="It could identify a child."),
    )
    resolved = await canned_reasons.resolve_reason("", canned.id)
    await canned_reasons.do_set_canned_reason_active(admin, canned.id, False)

    assert resolved == "It could identify a child."
    assert await canned_reasons.list_canned_reasons() == []
    assert await _actions("canned_reason", canned.id) == [
        "canned_reason_created",
        "canned_reason_updated",
        "canned_reason_archived",
    ]
    with pytest.raises(ValidationFailed):
        await canned_reasons.resolve_reason("", canned.id)


async def test_moderator_cannot_manage_canned_reasons():
    with pytest.raises(Forbidden):
        await canned_reasons.do_create_canned_reason(
            await _moderator(), canned_reasons.CannedReasonForm(title="A", text="B")
        )


@pytest.mark.parametrize(
    ("form", "field", "message"),
    [
        (canned_reasons.CannedReasonForm(title="", text="x"), "title", "Enter a short title"),
        (
            canned_reasons.CannedReasonForm(title="x" * 81, text="x"),
            "title",
            "80 characters or fewer",
        ),
        (canned_reasons.CannedReasonForm(title="x", text=""), "text", "Enter the reason text"),
        (
            canned_reasons.CannedReasonForm(title="x", text="y", position="first"),
            "position",
            "whole number",
        ),
    ],
)
def test_canned_reason_validation(form, field, message):
    with pytest.raises(ValidationFailed) as raised:
        canned_reasons.check_canned_reason(form)

    assert message in raised.value.errors[field]


async def test_duplicate_canned_title_is_refused():
    admin = await make_member(permission="admin")
    form = canned_reasons.CannedReasonForm(title="Spam", text="Advertising.")
    await canned_reasons.do_create_canned_reason(admin, form)

    with pytest.raises(ValidationFailed) as raised:
        await canned_reasons.do_create_canned_reason(admin, form)

    assert "already exists" in raised.value.errors["title"]


def test_parse_day_start_reads_uk_midnight():
    year = datetime.now(UTC).year + 1

    moment = moderation.parse_day_start("1", "7", str(year), field="until", required=True, what="x")

    assert moment == datetime(year, 6, 30, 23, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("parts", "required", "message"),
    [
        (("", "", ""), True, "Enter the date"),
        (("31", "2", "2031"), True, "must be a real date"),
        (("1", "1", "31"), True, "must be a real date"),
        (("1", "1", "2001"), True, "must be in the future"),
    ],
)
def test_parse_day_start_validation(parts, required, message):
    with pytest.raises(ValidationFailed) as raised:
        moderation.parse_day_start(
            *parts, field="until", required=required, what="the suspension ends"
        )

    assert message in raised.value.errors["until"]


def test_parse_day_start_optional_empty():
    assert moderation.parse_day_start("", "", "", field="until", required=False, what="x") is None
