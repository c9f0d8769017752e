"""Server-side sessions: idle timeout, absolute lifetime, revocation and member state."""

from datetime import UTC, datetime, timedelta

import pytest

from forum.auth.sessions import (
    TOUCH_INTERVAL,
    do_revoke_all_sessions,
    do_start_session,
    get_session_member,
    list_live_sessions,
)
from models import Member, MemberState, WebSession
from tests.factories import SECRET_KEY, make_member


async def _start(member: Member, **options):
    return await do_start_session(member, secret_key=SECRET_KEY, days=14, **options)


async def test_new_session_is_live_for_one_query(count_queries):
    member = await make_member()
    cookie, session = await _start(member, idle_minutes=30)
    count_queries.statements.clear()

    found_session, found_member = await get_session_member(cookie, secret_key=SECRET_KEY)

    assert (found_session.id, found_member.id) == (session.id, member.id)
    assert count_queries.count == 1, count_queries.statements


async def test_new_session_times(count_queries):
    member = await make_member()

    _, session = await _start(member, idle_minutes=30)

    assert session.idle_timeout == 1800
    assert session.expires_at - session.created_at > timedelta(days=13, hours=23)
    assert timedelta(minutes=29) < session.idle_expires_at - session.last_seen_at <= timedelta(minutes=30)


async def test_idle_session_ends():
    cookie, session = await _start(await make_member(), idle_minutes=30)
    await WebSession.filter(id=session.id).update(idle_expires_at=datetime.now(UTC) - timedelta(seconds=1))

    assert await get_session_member(cookie, secret_key=SECRET_KEY) == (None, None)


async def test_active_session_ends_at_absolute_lifetime():
    cookie, session = await _start(await make_member(), idle_minutes=30)
    now = datetime.now(UTC)
    await WebSession.filter(id=session.id).update(
        expires_at=now - timedelta(seconds=1), idle_expires_at=now + timedelta(minutes=20), last_seen_at=now
    )

    assert await get_session_member(cookie, secret_key=SECRET_KEY) == (None, None)


async def test_idle_expiry_touch_is_throttled(count_queries):
    cookie, session = await _start(await make_member(), idle_minutes=30)
    stale = datetime.now(UTC) - TOUCH_INTERVAL - timedelta(seconds=1)
    await WebSession.filter(id=session.id).update(last_seen_at=stale, idle_expires_at=stale + timedelta(minutes=30))
    count_queries.statements.clear()

    await get_session_member(cookie, secret_key=SECRET_KEY)
    touched = count_queries.count
    await get_session_member(cookie, secret_key=SECRET_KEY)
    both = count_queries.count

    refreshed = await WebSession.get(id=session.id)
    assert touched == 2, count_queries.statements
    assert both == 3, count_queries.statements
    assert refreshed.last_seen_at > stale
    assert refreshed.idle_expires_at > datetime.now(UTC) + timedelta(minutes=29)


async def test_idle_expiry_never_passes_absolute_lifetime():
    cookie, session = await _start(await make_member(), idle_minutes=60)
    now = datetime.now(UTC)
    await WebSession.filter(id=session.id).update(
        expires_at=now + timedelta(minutes=10), last_seen_at=now - timedelta(hours=1), idle_expires_at=now + timedelta(minutes=1)
    )

    await get_session_member(cookie, secret_key=SECRET_KEY)

    refreshed = await WebSession.get(id=session.id)
    assert refreshed.idle_expires_at == refreshed.expires_at


@pytest.mark.parametrize(
    ("state", "changes", "signed_in"),
    [
        (MemberState.ACTIVE, {}, True),
        (MemberState.PENDING, {}, True),
        (MemberState.SUSPENDED, {"suspended_until": datetime.now(UTC) + timedelta(days=1)}, False),
        (MemberState.SUSPENDED, {}, False),
        (MemberState.SUSPENDED, {"suspended_until": datetime.now(UTC) - timedelta(days=1)}, True),
        (MemberState.REJECTED, {}, False),
        (MemberState.ERASED, {}, False),
    ],
)
async def test_member_state_decides_whether_the_session_counts(state, changes, signed_in):
    member = await make_member()
    cookie, _ = await _start(member)
    await Member.filter(id=member.id).update(state=state, **changes)

    session, _ = await get_session_member(cookie, secret_key=SECRET_KEY)

    assert (session is not None) is signed_in


@pytest.mark.parametrize("cookie", [None, "", "forged.value", "not-signed"])
async def test_bad_cookie_is_no_session(cookie):
    assert await get_session_member(cookie, secret_key=SECRET_KEY) == (None, None)


async def test_cookie_signed_with_another_key_is_no_session():
    cookie, _ = await do_start_session(await make_member(), secret_key="another-secret-key-" * 3, days=1)

    assert await get_session_member(cookie, secret_key=SECRET_KEY) == (None, None)


async def test_revoke_all_forgets_id_tokens():
    member, other = await make_member(), await make_member()
    cookies = [(await _start(member, id_token_hint="header.payload.signature"))[0] for _ in range(3)]
    other_cookie, _ = await _start(other)

    revoked = await do_revoke_all_sessions(member.id)

    assert revoked == 3
    for cookie in cookies:
        assert await get_session_member(cookie, secret_key=SECRET_KEY) == (None, None)
    assert await WebSession.filter(member_id=member.id, id_token_hint__isnull=False).count() == 0
    assert (await get_session_member(other_cookie, secret_key=SECRET_KEY))[1].id == other.id


async def test_live_sessions_leave_out_ended_ones():
    member = await make_member()
    _, live = await _start(member)
    _, idle = await _start(member)
    await WebSession.filter(id=idle.id).update(idle_expires_at=datetime.now(UTC) - timedelta(seconds=1))

    sessions = await list_live_sessions(member.id)

    assert [session.id for session in sessions] == [live.id]
