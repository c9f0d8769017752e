"""Server-side sessions referenced by a signed cookie.

The cookie carries a random token signed with the secret key. The database stores only
the token's SHA-256, so a leaked database cannot be replayed as cookies, and deleting or
revoking the row signs the browser out at once.

A session ends at the first of: its absolute lifetime (``expires_at``), its idle timeout
(``idle_expires_at``, moved forward as the member uses the site), revocation, or the
member being suspended, rejected or erased.
"""

import hashlib
import logging
import secrets
from datetime import UTC, datetime, timedelta

from itsdangerous import BadSignature, URLSafeSerializer

from models import Member, MemberState, WebSession

logger = logging.getLogger(__name__)

SESSION_COOKIE = "forum_session"
DEFAULT_IDLE_MINUTES = 8 * 60
# The idle expiry is written back at most this often, so most requests stay one query.
TOUCH_INTERVAL = timedelta(minutes=5)
# Members in other states have no session: suspension, rejection or erasure ends every
# session at once, even before the sessions are revoked.
SIGNED_IN_STATES = frozenset({MemberState.ACTIVE, MemberState.PENDING})


def _serializer(secret_key: str) -> URLSafeSerializer:
    return URLSafeSerializer(secret_key, salt="forum-session")


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def do_start_session(
    member: Member,
    *,
    secret_key: str,
    days: int,
    idle_minutes: int = DEFAULT_IDLE_MINUTES,
    user_agent: str = "",
    provider: str | None = None,
    id_token_hint: str | None = None,
) -> tuple[str, WebSession]:
    """Create a session for ``member``; return the signed cookie value and the session.

    Every sign-in gets a new random token, so a session id planted before sign-in is
    never promoted to a signed-in one.
    """
    token = secrets.token_urlsafe(32)
    now = datetime.now(UTC)
    expires_at = now + timedelta(days=days)
    idle_timeout = timedelta(minutes=idle_minutes)
    session = await WebSession.create(
        id=_hash(token),
        member=member,
        expires_at=expires_at,
        idle_expires_at=min(now + idle_timeout, expires_at),
        idle_timeout=int(idle_timeout.total_seconds()),
        last_seen_at=now,
        user_agent=user_agent[:200],
        provider=provider,
        id_token_hint=id_token_hint,
    )
    logger.info(
        "session started",
        extra={"member_id": member.id, "session": session.id[:12], "provider": provider or "-"},
    )
    return _serializer(secret_key).dumps(token), session


async def get_session_member(
    cookie_value: str | None, *, secret_key: str
) -> tuple[WebSession | None, Member | None]:
    """Return the live session and its member for a cookie, or (None, None).

    One query: the session row joined to its member. Expired, idle, revoked sessions and
    sessions of members who are not active or pending count as no session. At most once
    per ``TOUCH_INTERVAL`` a second query moves the idle expiry forward.
    """
    if not cookie_value:
        return None, None

    try:
        token = _serializer(secret_key).loads(cookie_value)
    except BadSignature:
        return None, None
    if not isinstance(token, str):
        return None, None

    now = datetime.now(UTC)
    session = (
        await WebSession.filter(
            id=_hash(token),
            revoked_at__isnull=True,
            expires_at__gt=now,
            idle_expires_at__gt=now,
        )
        .select_related("member")
        .first()
    )
    if session is None or not may_hold_session(session.member, now):
        return None, None

    await _touch(session, now)
    return session, session.member


def may_hold_session(member: Member, now: datetime | None = None) -> bool:
    """Return whether the member's state lets them be signed in.

    A suspension counts as over once ``suspended_until`` passes, as in the policy,
    although the state stays ``suspended`` until a moderator lifts it.
    """
    if member.state in SIGNED_IN_STATES:
        return True
    if member.state != MemberState.SUSPENDED or member.suspended_until is None:
        return False
    return member.suspended_until <= (now or datetime.now(UTC))


async def _touch(session: WebSession, now: datetime) -> None:
    if session.last_seen_at is not None and now - session.last_seen_at < TOUCH_INTERVAL:
        return

    idle_expires_at = min(now + timedelta(seconds=session.idle_timeout), session.expires_at)
    await WebSession.filter(id=session.id).update(
        last_seen_at=now, idle_expires_at=idle_expires_at
    )
    session.last_seen_at, session.idle_expires_at = now, idle_expires_at


async def do_revoke_session(session: WebSession) -> None:
    await WebSession.filter(id=session.id).update(
        revoked_at=datetime.now(UTC), id_token_hint=None
    )
    logger.info("session revoked", extra={"member_id": session.member_id, "session": session.id[:12]})


async def do_revoke_all_sessions(member_id: int) -> int:
    """Revoke every live session of a member; return how many were revoked.

    Used by "sign out everywhere" and by suspension.
    """
    count = await WebSession.filter(member_id=member_id, revoked_at__isnull=True).update(
        revoked_at=datetime.now(UTC), id_token_hint=None
    )
    logger.info("all sessions revoked", extra={"member_id": member_id, "count": count})
    return count


async def list_live_sessions(member_id: int, *, limit: int = 20) -> list[WebSession]:
    """Return the member's sessions that have not ended, most recently used first."""
    now = datetime.now(UTC)
    return await (
        WebSession.filter(
            member_id=member_id,
            revoked_at__isnull=True,
            expires_at__gt=now,
            idle_expires_at__gt=now,
        )
        .order_by("-last_seen_at")
        .limit(limit)
    )
