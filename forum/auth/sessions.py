"""Server-side sessions referenced by a signed cookie.

The cookie carries a random token signed with the secret key. The database stores only
the token's SHA-256, so a leaked database cannot be replayed as cookies, and deleting or
revoking the row signs the browser out at once.
"""

import hashlib
import logging
import secrets
from datetime import UTC, datetime, timedelta

from itsdangerous import BadSignature, URLSafeSerializer

from models import Member, MemberState, WebSession

logger = logging.getLogger(__name__)

SESSION_COOKIE = "forum_session"


def _serializer(secret_key: str) -> URLSafeSerializer:
    return URLSafeSerializer(secret_key, salt="forum-session")


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def do_start_session(
    member: Member, *, secret_key: str, days: int, user_agent: str = ""
) -> tuple[str, WebSession]:
    """Create a session for ``member``; return the signed cookie value and the session."""
    token = secrets.token_urlsafe(32)
    session = await WebSession.create(
        id=_hash(token),
        member=member,
        expires_at=datetime.now(UTC) + timedelta(days=days),
        user_agent=user_agent[:200],
    )
    logger.info("session started", extra={"member_id": member.id, "session": session.id[:12]})
    return _serializer(secret_key).dumps(token), session


async def get_session_member(
    cookie_value: str | None, *, secret_key: str
) -> tuple[WebSession | None, Member | None]:
    """Return the live session and its member for a cookie, or (None, None).

    One query: the session row joined to its member. Expired, revoked and erased-member
    sessions count as no session.
    """
    if not cookie_value:
        return None, None

    try:
        token = _serializer(secret_key).loads(cookie_value)
    except BadSignature:
        return None, None
    if not isinstance(token, str):
        return None, None

    session = (
        await WebSession.filter(
            id=_hash(token), revoked_at__isnull=True, expires_at__gt=datetime.now(UTC)
        )
        .select_related("member")
        .first()
    )
    if session is None or session.member.state == MemberState.ERASED:
        return None, None
    return session, session.member


async def do_revoke_session(session: WebSession) -> None:
    await WebSession.filter(id=session.id).update(revoked_at=datetime.now(UTC))
    logger.info("session revoked", extra={"member_id": session.member_id, "session": session.id[:12]})


async def do_revoke_all_sessions(member_id: int) -> int:
    """Revoke every live session of a member; return how many were revoked."""
    count = await WebSession.filter(member_id=member_id, revoked_at__isnull=True).update(
        revoked_at=datetime.now(UTC)
    )
    logger.info("all sessions revoked", extra={"member_id": member_id, "count": count})
    return count
