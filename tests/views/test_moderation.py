"""Moderation through the real app: flag forms, the review queue, thread, post and member
tools, the audit log and its CSV, canned reasons, the personal-data form, the honeypot,
rate limits on the in-memory and Redis stores, and query counts for every page."""

import asyncio
import csv
import io
import re
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from forum.app import create_app
from forum.config import Settings
from forum.services import moderation, moderation_members, moderation_threads
from forum.services.rate_limits import HONEYPOT_FIELD
from models import (
    AuditEntry,
    Flag,
    FlagState,
    Member,
    MemberState,
    Notification,
    PersonalDataHold,
    Post,
    Thread,
)
from tests.factories import SECRET_KEY, make_member, make_organisation, make_reply, make_thread

REDIS_URL = "redis://127.0.0.1:6379/0"


async def _text(response) -> str:
    return await response.get_data(as_text=True)


async def _moderator_client(sign_in, **fields):
    moderator = await make_member(permission="moderator", **fields)
    return moderator, await sign_in(moderator)


def _year_ahead() -> dict[str, str]:
    moment = datetime.now(UTC) + timedelta(days=400)
    return {
        "until-day": str(moment.day),
        "until-month": str(moment.month),
        "until-year": str(moment.year),
    }


# Flagging -------------------------------------------------------------------------------


async def test_flag_form_records_flag(sign_in):
    thread = await make_thread()
    post = await make_reply(thread)
    client = await sign_in(await make_member())

    form_page = await client.get(f"/posts/{post.id}/flag")
    response = await client.post(
        f"/posts/{post.id}/flag", {"reason": "identifies_child", "text": "Names a child"}
    )

    assert form_page.status_code == 200
    assert "Identifies a child or family" in await _text(form_page)
    assert response.status_code == 303
    assert "done=flagged" in response.headers["Location"]
    flag = await Flag.get(post_id=post.id)
    assert flag.reason == "identifies_child"


async def test_flag_form_shows_errors_and_keeps_text(sign_in):
    thread = await make_thread()
    client = await sign_in(await make_member())

    response = await client.post(f"/threads/{thread.id}/flag", {"reason": "other", "text": ""})

    body = await _text(response)
    assert response.status_code == 422
    assert "Tell the moderators what is wrong." in body
    assert 'aria-describedby="text-hint text-error"' in body


async def test_second_flag_gets_calm_conflict(sign_in):
    post = await make_reply(await make_thread())
    client = await sign_in(await make_member())
    await client.post(f"/posts/{post.id}/flag", {"reason": "spam"})

    response = await client.post(f"/posts/{post.id}/flag", {"reason": "spam"})

    assert response.status_code == 409
    assert "already flagged" in await _text(response)


async def test_anonymous_flag_asks_to_sign_in(client):
    post = await make_reply(await make_thread())

    response = await client.get(f"/posts/{post.id}/flag")

    assert response.status_code == 302
    assert "/sign-in" in response.headers["Location"]


async def test_thread_page_shows_flag_link_and_moderator_panel(sign_in):
    thread = await make_thread()
    post = await make_reply(thread)
    member_client = await sign_in(await make_member())
    _, moderator_client = await _moderator_client(sign_in)

    member_page = await _text(await member_client.get(f"/threads/{thread.id}"))
    moderator_page = await _text(await moderator_client.get(f"/threads/{thread.id}"))

    assert f"/posts/{post.id}/flag" in member_page
    assert "Moderator tools" not in member_page
    assert "Moderator tools" in moderator_page
    assert f"/moderation/posts/{post.id}" in moderator_page


# The review queue -----------------------------------------------------------------------


async def test_queue_is_moderators_only(sign_in):
    client = await sign_in(await make_member())

    response = await client.get("/moderation")

    assert response.status_code == 403


async def test_resolve_from_queue_hides_post_and_tells_reporter(sign_in):
    post = await make_reply(await make_thread())
    reporter = await make_member()
    await moderation.do_flag(
        reporter, await Post.get(id=post.id).select_related("thread"), "unkind"
    )
    _, client = await _moderator_client(sign_in)

    queue = await _text(await client.get("/moderation"))
    item_page = await client.get(f"/moderation/flags/post/{post.id}")
    response = await client.post(
        f"/moderation/flags/post/{post.id}", {"outcome": "hidden", "reason": "Abusive"}
    )

    assert f"/moderation/flags/post/{post.id}" in queue
    assert item_page.status_code == 200
    assert response.status_code == 303
    assert (await Post.get(id=post.id)).is_hidden is True
    assert (await Flag.get(post_id=post.id)).state == FlagState.RESOLVED
    assert await Notification.filter(member_id=reporter.id, kind="flag_outcome").exists()


async def test_resolve_without_reason_shows_error(sign_in):
    post = await make_reply(await make_thread())
    await moderation.do_flag(
        await make_member(), await Post.get(id=post.id).select_related("thread"), "spam"
    )
    _, client = await _moderator_client(sign_in)

    response = await client.post(f"/moderation/flags/post/{post.id}", {"outcome": "hidden"})

    assert response.status_code == 422
    assert "Enter a reason" in await _text(response)


# Thread tools ---------------------------------------------------------------------------


async def test_thread_tools_lock_shows_reason_on_thread(sign_in, client):
    thread = await make_thread()
    _, moderator = await _moderator_client(sign_in)

    page = await moderator.get(f"/moderation/threads/{thread.id}")
    response = await moderator.post(
        f"/moderation/threads/{thread.id}/lock", {"reason": "Gone off topic"}
    )

    assert page.status_code == 200
    assert response.status_code == 303
    shown = await _text(await client.get(f"/threads/{thread.id}"))
    assert "This thread is locked. Reason: Gone off topic" in shown


async def test_thread_tools_error_names_the_form(sign_in):
    thread = await make_thread()
    _, moderator = await _moderator_client(sign_in)

    response = await moderator.post(f"/moderation/threads/{thread.id}/lock", {"reason": ""})

    body = await _text(response)
    assert response.status_code == 422
    assert 'href="#lock-reason"' in body
    assert 'id="lock-reason-error"' in body


async def test_thread_tools_refuse_member(sign_in):
    thread = await make_thread()
    client = await sign_in(await make_member())

    assert (await client.get(f"/moderation/threads/{thread.id}")).status_code == 403
    assert (
        await client.post(f"/moderation/threads/{thread.id}/lock", {"reason": "x"})
    ).status_code == 403


async def test_unknown_thread_action_is_not_found(sign_in):
    thread = await make_thread()
    _, moderator = await _moderator_client(sign_in)

    response = await moderator.post(f"/moderation/threads/{thread.id}/explode", {"reason": "x"})

    assert response.status_code == 404


async def test_pin_with_expiry_through_form(sign_in):
    thread = await make_thread()
    _, moderator = await _moderator_client(sign_in)

    response = await moderator.post(
        f"/moderation/threads/{thread.id}/pin", {"reason": "", **_year_ahead()}
    )

    stored = await Thread.get(id=thread.id)
    assert response.status_code == 303
    assert stored.is_pinned_now
    assert stored.pinned_until is not None


async def test_pinned_thread_heads_list_until_expiry(client):
    pinned = await make_thread(title="Read this first: posting rules")
    await make_thread(title="A newer ordinary question here")
    moderator = await make_member(permission="moderator")
    await moderation_threads.do_pin_thread(moderator, pinned, "Rules")

    page = await _text(await client.get("/"))
    await Thread.filter(id=pinned.id).update(pinned_until=datetime.now(UTC) - timedelta(minutes=1))
    after_expiry = await _text(await client.get("/"))

    assert page.index("Read this first") < page.index("A newer ordinary question")
    assert page.count("Read this first") == 1
    assert after_expiry.index("A newer ordinary question") < after_expiry.index("Read this first")


async def test_slow_mode_shows_who_why_and_until(sign_in, client):
    thread = await make_thread()
    _, moderator = await _moderator_client(sign_in, display_name="Sam Moderator")

    response = await moderator.post(
        f"/moderation/threads/{thread.id}/slow_mode",
        {"seconds": "300", "reason": "Busy week", **_year_ahead()},
    )

    shown = await _text(await client.get(f"/threads/{thread.id}"))
    assert response.status_code == 303
    assert "each member can post once every 5 minutes" in shown
    assert "Set by Sam Moderator: Busy week" in shown


async def test_merged_thread_link_redirects(sign_in, client):
    target = await make_thread(title="The thread everyone should use")
    source = await make_thread(title="A duplicate of that thread")
    _, moderator = await _moderator_client(sign_in)

    response = await moderator.post(
        f"/moderation/threads/{source.id}/merge", {"target": str(target.id), "reason": "Duplicate"}
    )
    old_link = await client.get(f"/threads/{source.id}")

    assert response.status_code == 303
    assert old_link.status_code == 301
    assert f"/threads/{target.id}/" in old_link.headers["Location"]


async def test_split_through_form(sign_in):
    thread = await make_thread()
    replies = [await make_reply(thread, body=f"reply {number}") for number in range(3)]
    _, moderator = await _moderator_client(sign_in)

    response = await moderator.post(
        f"/moderation/threads/{thread.id}/split",
        {
            "posts": str(replies[2].id),
            "title": "A new thread for the side question",
            "reason": "Side question",
        },
    )

    new_thread = await Thread.get(title="A new thread for the side question")
    assert response.status_code == 303
    assert f"/moderation/threads/{new_thread.id}" in response.headers["Location"]


# Post tools -----------------------------------------------------------------------------


async def test_redact_needs_confirmation_then_replaces_content(sign_in):
    post = await make_reply(await make_thread(), body="Please call Sam about the case")
    _, moderator = await _moderator_client(sign_in)

    refused = await moderator.post(
        f"/moderation/posts/{post.id}", {"action": "redact", "reason": "Personal data"}
    )
    done = await moderator.post(
        f"/moderation/posts/{post.id}",
        {"action": "redact", "reason": "Personal data", "confirm": "yes"},
    )

    assert refused.status_code == 422
    assert "Tick the box" in await _text(refused)
    assert done.status_code == 303
    stored = await Post.get(id=post.id)
    assert "Sam" not in stored.source
    assert stored.redacted_at is not None


async def test_revision_history_after_redaction_shows_tombstone(sign_in, client):
    post = await make_reply(await make_thread(), body="Please call Sam about the case")
    _, moderator = await _moderator_client(sign_in)
    await moderator.post(
        f"/moderation/posts/{post.id}",
        {"action": "redact", "reason": "Personal data", "confirm": "yes"},
    )

    history = await _text(await client.get(f"/posts/{post.id}/revisions"))

    assert "Please call Sam" not in history
    assert "This post was redacted by" in history


# Members --------------------------------------------------------------------------------


async def test_suspend_through_form_signs_member_out(sign_in):
    member = await make_member()
    member_client = await sign_in(member)
    _, moderator = await _moderator_client(sign_in)

    response = await moderator.post(
        f"/moderation/members/{member.id}/suspend", {"reason": "Repeated abuse", **_year_ahead()}
    )
    after = await member_client.get("/threads/new")

    assert response.status_code == 303
    assert (await Member.get(id=member.id)).state == MemberState.SUSPENDED
    assert after.status_code == 302, "the member's session must have ended"


async def test_silenced_member_sees_reason_when_signed_in(sign_in):
    member = await make_member()
    await moderation_members.do_silence_member(
        await make_member(permission="moderator"), member, reason="Cooling-off period"
    )
    client = await sign_in(await Member.get(id=member.id))

    home = await _text(await client.get("/"))
    refused = await client.get("/threads/new")

    assert "A moderator has made your account read-only" in home
    assert "Cooling-off period" in home
    assert refused.status_code == 403
    assert "Cooling-off period" in await _text(refused)


async def test_suspend_without_date_shows_error(sign_in):
    member = await make_member()
    _, moderator = await _moderator_client(sign_in)

    response = await moderator.post(f"/moderation/members/{member.id}/suspend", {"reason": "x"})

    assert response.status_code == 422
    assert "Enter the date the suspension ends." in await _text(response)


async def test_notes_page_is_moderators_only(sign_in):
    member = await make_member()
    _, moderator = await _moderator_client(sign_in)
    await moderator.post(f"/moderation/members/{member.id}/note", {"note": "Phoned them"})
    other = await sign_in(await make_member())

    record = await _text(await moderator.get(f"/moderation/members/{member.id}"))

    assert "Phoned them" in record
    assert (await other.get(f"/moderation/members/{member.id}")).status_code == 403


async def test_pending_queue_approve_and_reject(sign_in):
    organisation = await make_organisation(approved=False, name="Unapproved Services Ltd")
    first = await make_member(state=MemberState.PENDING, organisation=organisation)
    second = await make_member(state=MemberState.PENDING, organisation=organisation)
    _, moderator = await _moderator_client(sign_in)

    page = await _text(await moderator.get("/moderation/members/pending"))
    approved = await moderator.post(f"/moderation/members/{first.id}/approve", {"back": "pending"})
    refused = await moderator.post(
        f"/moderation/members/{second.id}/reject", {"back": "pending", "reason": ""}
    )
    rejected = await moderator.post(
        f"/moderation/members/{second.id}/reject",
        {"back": "pending", "reason": "Not in the sector"},
    )

    assert "Unapproved Services Ltd" in page
    assert approved.status_code == 303
    assert refused.status_code == 422
    assert rejected.status_code == 303
    assert (await Member.get(id=first.id)).state == MemberState.ACTIVE
    assert (await Member.get(id=second.id)).state == MemberState.REJECTED


# Audit log ------------------------------------------------------------------------------


async def test_audit_page_filters_and_exports_csv(sign_in):
    moderator, client = await _moderator_client(sign_in, handle="auditmod")
    thread = await make_thread()
    await moderation_threads.do_lock_thread(moderator, thread, "Heated")
    await moderation_threads.do_unlock_thread(moderator, await Thread.get(id=thread.id), "Calmer")

    page = await _text(await client.get("/moderation/audit?action=thread_locked"))
    export = await client.get("/moderation/audit.csv?action=thread_locked")

    assert "Heated" in page
    assert "Calmer" not in page
    assert export.headers["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(await _text(export))))
    assert len(rows) == 2
    assert rows[1][2:5] == ["auditmod", "thread_locked", "thread"]


async def test_audit_page_reports_bad_filter(sign_in):
    _, client = await _moderator_client(sign_in)

    response = await client.get("/moderation/audit?since=yesterday")

    assert response.status_code == 422
    assert "year-month-day" in await _text(response)


# Canned reasons -------------------------------------------------------------------------


async def test_admin_adds_canned_reason_and_moderator_uses_it(sign_in):
    admin_client = await sign_in(await make_member(permission="admin"))
    _, moderator = await _moderator_client(sign_in)
    thread = await make_thread()

    added = await admin_client.post(
        "/moderation/canned-reasons",
        {"title": "Off topic", "text": "This is not about children's data.", "position": "1"},
    )
    canned_id = (await AuditEntry.get(action="canned_reason_created")).target_id
    locked = await moderator.post(
        f"/moderation/threads/{thread.id}/lock", {"reason": "", "canned_reason": str(canned_id)}
    )

    assert added.status_code == 303
    assert locked.status_code == 303
    assert (await Thread.get(id=thread.id)).lock_reason == "This is not about children's data."
    assert (await moderator.get("/moderation/canned-reasons")).status_code == 403


# The personal-data check on forms -------------------------------------------------------


async def test_reply_with_personal_data_rerenders_with_text_and_checkbox(sign_in):
    thread = await make_thread()
    client = await sign_in(await make_member())
    body = "The child's NHS number is 943 476 5919"

    response = await client.post(f"/threads/{thread.id}/reply", {"body": body})

    page = await _text(response)
    assert response.status_code == 422
    assert "NHS number “943 476 5919”" in page
    assert "943 476 5919</textarea>" in page
    assert 'name="personal_data_confirmed"' in page
    assert await Post.filter(thread_id=thread.id).count() == 1


async def test_confirmed_reply_is_held_and_shown_to_author_only(sign_in, client):
    thread = await make_thread()
    author = await make_member()
    author_client = await sign_in(author)

    response = await author_client.post(
        f"/threads/{thread.id}/reply",
        {"body": "Test number 943 476 5919 (synthetic)", "personal_data_confirmed": "yes"},
    )

    assert response.status_code == 303
    assert "Waiting for a moderator" in await _text(
        await author_client.get(f"/threads/{thread.id}")
    )
    assert "943 476 5919" not in await _text(await client.get(f"/threads/{thread.id}"))
    assert await PersonalDataHold.filter(author_id=author.id).count() == 1


async def test_moderator_publishes_held_post(sign_in, client):
    thread = await make_thread()
    post = await make_reply(thread, body="Synthetic 943 476 5919", personal_data_confirmed=True)
    hold = await PersonalDataHold.get(post_id=post.id)
    _, moderator = await _moderator_client(sign_in)

    page = await _text(await moderator.get("/moderation/held"))
    response = await moderator.post(f"/moderation/held/{hold.id}", {"decision": "approve"})

    assert "NHS number" in page
    assert response.status_code == 303
    assert "943 476 5919" in await _text(await client.get(f"/threads/{thread.id}"))


# Honeypot -------------------------------------------------------------------------------


async def test_filled_honeypot_drops_submission_quietly(sign_in):
    thread = await make_thread()
    client = await sign_in(await make_member())

    response = await client.post(
        f"/threads/{thread.id}/reply", {"body": "Buy now", HONEYPOT_FIELD: "http://spam"}
    )

    assert response.status_code == 303
    assert await Post.filter(thread_id=thread.id).count() == 1


async def test_forms_carry_hidden_honeypot(sign_in):
    thread = await make_thread()
    client = await sign_in(await make_member())

    page = await _text(await client.get(f"/threads/{thread.id}"))

    field = re.search(
        r'<div class="govuk-visually-hidden" aria-hidden="true">\s*<label[^>]*>[^<]*</label>\s*<input[^>]*>',
        page,
    )
    assert field is not None
    assert f'name="{HONEYPOT_FIELD}"' in field.group(0)
    assert 'tabindex="-1"' in field.group(0)


# Rate limits ----------------------------------------------------------------------------


def _limited_app(database_url: str, **extra):
    settings = Settings(
        env="test",
        database_url=database_url,
        secret_key=SECRET_KEY,
        extra={
            "rate_limits": {
                "posting": [(2, 60)],
                "flagging": [(1, 60)],
                "voting": [(2, 60)],
                "mentioning": [(1, 60)],
            },
            "rate_limit_prefix": f"forum-test-{uuid.uuid4().hex}",
        },
        **extra,
    )
    return create_app(settings)


async def _signed_in(app, member):
    from forum.auth.sessions import do_start_session
    from tests.conftest import SignedInClient

    cookie, session = await do_start_session(member, secret_key=SECRET_KEY, days=1)
    return SignedInClient(app, app.test_client(), cookie, session.id, "test-csrf-cookie")


@pytest.mark.parametrize("store", ["memory", "redis"])
async def test_posting_limit_refuses_with_retry_after(database_url, store):
    app = _limited_app(database_url, redis_url=REDIS_URL if store == "redis" else None)
    thread = await make_thread()
    client = await _signed_in(app, await make_member())

    statuses = [
        (await client.post(f"/threads/{thread.id}/reply", {"body": f"Reply {n}"})).status_code
        for n in range(2)
    ]
    refused = await client.post(f"/threads/{thread.id}/reply", {"body": "One too many"})

    assert statuses == [303, 303]
    assert refused.status_code == 429
    assert 0 < int(refused.headers["Retry-After"]) <= 60
    page = await _text(refused)
    assert "You have posted a lot in a short time. Try again in" in page
    assert ">One too many</textarea>" in page
    assert await Post.filter(thread_id=thread.id).count() == 3
    await app.extensions["forum_rate_limiter"].store.after_serving()


@pytest.mark.parametrize("store", ["memory", "redis"])
async def test_limits_are_per_member(database_url, store):
    app = _limited_app(database_url, redis_url=REDIS_URL if store == "redis" else None)
    thread = await make_thread()
    first = await _signed_in(app, await make_member())
    second = await _signed_in(app, await make_member())

    for n in range(2):
        await first.post(f"/threads/{thread.id}/reply", {"body": f"Reply {n}"})
    other = await second.post(f"/threads/{thread.id}/reply", {"body": "My first reply"})

    assert other.status_code == 303
    await app.extensions["forum_rate_limiter"].store.after_serving()


async def test_redis_store_shares_limit_between_instances(database_url):
    prefix = f"forum-test-{uuid.uuid4().hex}"
    apps = []
    for _ in range(2):
        app = _limited_app(database_url, redis_url=REDIS_URL)
        app.extensions["forum_rate_limiter"].prefix = prefix
        apps.append(app)
    member = await make_member()
    post = await make_reply(await make_thread())
    first, second = await _signed_in(apps[0], member), await _signed_in(apps[1], member)

    allowed = await first.post(f"/posts/{post.id}/flag", {"reason": "spam"})
    refused = await second.post(f"/threads/{post.thread_id}/flag", {"reason": "spam"})

    assert allowed.status_code == 303
    assert refused.status_code == 429
    for app in apps:
        await app.extensions["forum_rate_limiter"].store.after_serving()


async def test_rate_limit_refusal_as_json(database_url):
    app = _limited_app(database_url)
    post = await make_reply(await make_thread())
    client = await _signed_in(app, await make_member())

    await client.post(f"/posts/{post.id}/flag", {"reason": "spam"})
    refused = await client.post(
        f"/threads/{post.thread_id}/flag",
        {"reason": "spam"},
        headers={"Accept": "application/json"},
    )

    body = await refused.get_json()
    assert refused.status_code == 429
    assert body["error"] == "rate_limited"
    assert body["retry_after"] == int(refused.headers["Retry-After"])
    assert "Try again in" in body["message"]


async def test_mention_limit_counts_only_posts_with_mentions(database_url):
    app = _limited_app(database_url)
    thread = await make_thread()
    await make_member(handle="alexdata")
    client = await _signed_in(app, await make_member())

    plain = await client.post(f"/threads/{thread.id}/reply", {"body": "No mention here"})
    mention = await client.post(f"/threads/{thread.id}/reply", {"body": "Thanks @alexdata"})
    second_mention_statuses = (
        await client.post(f"/threads/{thread.id}/reply", {"body": "And again @alexdata"})
    ).status_code

    assert plain.status_code == 303
    assert mention.status_code == 303
    assert second_mention_statuses == 429


REJECTED_REPLIES = {
    "empty": {"body": "   "},
    "too long": {"body": "x" * 20_001},
    "personal data": {"body": "The child's NHS number is 943 476 5919"},
}


@pytest.mark.parametrize("store", ["memory", "redis"])
@pytest.mark.parametrize("rejected", list(REJECTED_REPLIES))
async def test_rejected_replies_keep_posting_allowance(database_url, store, rejected):
    app = _limited_app(database_url, redis_url=REDIS_URL if store == "redis" else None)
    thread = await make_thread()
    client = await _signed_in(app, await make_member())

    rejected_statuses = [
        (await client.post(f"/threads/{thread.id}/reply", REJECTED_REPLIES[rejected])).status_code
        for _ in range(3)
    ]
    saved_statuses = [
        (await client.post(f"/threads/{thread.id}/reply", {"body": f"Reply {n}"})).status_code
        for n in range(2)
    ]
    refused = await client.post(f"/threads/{thread.id}/reply", {"body": "One too many"})

    assert rejected_statuses == [422, 422, 422]
    assert saved_statuses == [303, 303]
    assert refused.status_code == 429
    assert await Post.filter(thread_id=thread.id).count() == 3
    await app.extensions["forum_rate_limiter"].store.after_serving()


async def test_rejected_new_thread_keeps_posting_allowance(database_url):
    app = _limited_app(database_url)
    client = await _signed_in(app, await make_member())
    form = {
        "title": "Annex A list 8 missing adopted children",
        "kind": "question",
        "skill_area": "ssda903",
        "roles": "la-data",
        "body": "Which filter drops them?",
    }

    rejected = [
        (await client.post("/threads/new", {**form, "title": "Short"})).status_code
        for _ in range(3)
    ]
    saved = [
        (await client.post("/threads/new", {**form, "title": f"{form['title']} {n}"})).status_code
        for n in range(2)
    ]
    refused = await client.post("/threads/new", {**form, "title": f"{form['title']} again"})

    assert rejected == [422, 422, 422]
    assert saved == [303, 303]
    assert refused.status_code == 429


@pytest.mark.parametrize("store", ["memory", "redis"])
async def test_posting_limit_holds_for_simultaneous_replies(database_url, store):
    app = _limited_app(database_url, redis_url=REDIS_URL if store == "redis" else None)
    thread = await make_thread()
    client = await _signed_in(app, await make_member())

    responses = await asyncio.gather(
        *(client.post(f"/threads/{thread.id}/reply", {"body": f"At once {n}"}) for n in range(6))
    )

    statuses = sorted(response.status_code for response in responses)
    assert statuses == [303, 303, 429, 429, 429, 429]
    assert await Post.filter(thread_id=thread.id).count() == 3
    await app.extensions["forum_rate_limiter"].store.after_serving()


@pytest.mark.parametrize("store", ["memory", "redis"])
async def test_repeated_reply_keeps_posting_allowance(database_url, store):
    app = _limited_app(database_url, redis_url=REDIS_URL if store == "redis" else None)
    thread = await make_thread()
    client = await _signed_in(app, await make_member())
    form = {"body": "Sent twice by a double click", "submission_token": "t" * 32}

    first = await client.post(f"/threads/{thread.id}/reply", form)
    repeat = await client.post(f"/threads/{thread.id}/reply", form)
    second = await client.post(f"/threads/{thread.id}/reply", {"body": "A second reply"})
    refused = await client.post(f"/threads/{thread.id}/reply", {"body": "One too many"})

    assert first.status_code == 303
    assert repeat.status_code == 303
    assert repeat.headers["Location"] == first.headers["Location"]
    assert second.status_code == 303
    assert refused.status_code == 429
    await app.extensions["forum_rate_limiter"].store.after_serving()


async def test_every_limited_endpoint_exists(app):
    from forum.services.rate_limits import ENDPOINT_GROUPS

    assert set(ENDPOINT_GROUPS) <= set(app.view_functions)


# Query counts ----------------------------------------------------------------------------

MODERATOR_PAGES = {
    "queue": lambda ids: "/moderation",
    "flag item": lambda ids: f"/moderation/flags/post/{ids['post']}",
    "held": lambda ids: "/moderation/held",
    "thread tools": lambda ids: f"/moderation/threads/{ids['thread']}",
    "post tools": lambda ids: f"/moderation/posts/{ids['post']}",
    "pending": lambda ids: "/moderation/members/pending",
    "member": lambda ids: f"/moderation/members/{ids['member']}",
    "audit": lambda ids: "/moderation/audit",
    "canned reasons": lambda ids: "/moderation/canned-reasons",
    "flag form": lambda ids: f"/posts/{ids['post']}/flag",
}


async def _add_moderation_content(moderator: Member, count: int) -> dict[str, int]:
    thread = await make_thread()
    post = await make_reply(thread)
    organisation = await make_organisation(approved=False)
    for number in range(count):
        reply = await make_reply(thread, body=f"Reply {number}")
        await moderation.do_flag(
            await make_member(), await Post.get(id=reply.id).select_related("thread"), "spam"
        )
        await moderation.do_flag(
            await make_member(), await Post.get(id=post.id).select_related("thread"), "unkind"
        )
        await make_reply(
            thread, body=f"Synthetic 943 476 5919 number {number}", personal_data_confirmed=True
        )
        await make_member(state=MemberState.PENDING, organisation=organisation)
        await moderation_threads.do_lock_thread(
            moderator, await Thread.get(id=thread.id), f"Lock {number}"
        )
        await moderation_threads.do_unlock_thread(moderator, await Thread.get(id=thread.id), "")
        await moderation_members.do_add_note(
            moderator, await Member.get(id=post.author_id), f"Note {number}"
        )
    return {"thread": thread.id, "post": post.id, "member": post.author_id}


@pytest.mark.parametrize("page", MODERATOR_PAGES)
async def test_moderation_page_query_count_is_constant(sign_in, count_queries, page):
    admin = await make_member(permission="admin")
    client = await sign_in(admin)
    ids = await _add_moderation_content(admin, 1)
    count_queries.statements.clear()
    small_response = await client.get(MODERATOR_PAGES[page](ids))
    small = count_queries.count

    more_ids = await _add_moderation_content(admin, 4)
    ids = {**more_ids, "post": ids["post"], "member": ids["member"], "thread": ids["thread"]}
    count_queries.statements.clear()
    large_response = await client.get(MODERATOR_PAGES[page](ids))
    large = count_queries.count

    assert small_response.status_code == large_response.status_code == 200
    assert small == large, count_queries.statements
