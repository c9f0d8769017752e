"""Sign-ins waiting for the provider's answer, bound to one browser and used once.

Before sign-in the browser has no session, so it gets a short-lived signed cookie with a
random browser key. Each sign-in attempt stores a :class:`PendingSignIn` row keyed by the
SHA-256 of its state value and holding the SHA-256 of that browser key. The callback
deletes the row as it reads it, so a state value works once, only in the browser that
started the sign-in, and only for ``PENDING_LIFETIME``.
"""

import hashlib
import logging
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from itsdangerous import BadSignature, URLSafeSerializer

from forum.auth.oidc import SignInFailed
from models import Member, PendingSignIn

logger = logging.getLogger(__name__)

SIGN_IN_COOKIE = "forum_sign_in"
PENDING_LIFETIME = timedelta(minutes=10)
# Sign-ins one browser may have open at once (several tabs); starting another drops the oldest.
MAX_PENDING_PER_BROWSER = 3


@dataclass(frozen=True)
class SignInSecrets:
    """The random values sent to the provider (state, nonce) or kept for the code exchange."""

    state: str
    nonce: str
    code_verifier: str

    @classmethod
    def generate(cls) -> "SignInSecrets":
        # 32 random bytes each; the verifier is 64 characters, inside RFC 7636's 43 to 128.
        return cls(
            state=secrets.token_urlsafe(32),
            nonce=secrets.token_urlsafe(32),
            code_verifier=secrets.token_urlsafe(48),
        )


def _hash(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def _serializer(secret_key: str) -> URLSafeSerializer:
    return URLSafeSerializer(secret_key, salt="forum-sign-in")


def read_browser_key(cookie_value: str | None, secret_key: str) -> str | None:
    """Return the browser key in a sign-in cookie, or None when it is missing or forged."""
    if not cookie_value:
        return None
    try:
        key = _serializer(secret_key).loads(cookie_value)
    except BadSignature:
        return None
    return key if isinstance(key, str) and len(key) >= 32 else None


def new_browser_key(secret_key: str) -> tuple[str, str]:
    """Return a new browser key and the signed cookie value that carries it."""
    key = secrets.token_urlsafe(32)
    return key, _serializer(secret_key).dumps(key)


async def do_save_pending(
    sign_in: SignInSecrets,
    *,
    browser_key: str,
    provider: str,
    next_url: str,
    link_member: Member | None = None,
) -> PendingSignIn:
    """Store a sign-in attempt, dropping expired rows and this browser's oldest extras."""
    now = datetime.now(UTC)
    await PendingSignIn.filter(expires_at__lte=now).delete()

    browser_hash = _hash(browser_key)
    kept = MAX_PENDING_PER_BROWSER - 1
    older = await (
        PendingSignIn.filter(browser_key=browser_hash)
        .order_by("-created_at")
        .offset(kept)
        .values_list("id", flat=True)
    )
    if older:
        await PendingSignIn.filter(id__in=list(older)).delete()

    return await PendingSignIn.create(
        id=_hash(sign_in.state),
        browser_key=browser_hash,
        provider=provider,
        nonce=sign_in.nonce,
        code_verifier=sign_in.code_verifier,
        next_url=next_url,
        link_member=link_member,
        expires_at=now + PENDING_LIFETIME,
    )


async def do_take_pending(state: str | None, *, browser_key: str | None, provider: str) -> PendingSignIn:
    """Remove and return the sign-in attempt for ``state`` started in this browser.

    :raises SignInFailed: when the state is missing, unknown, expired, already used,
        started in another browser or for another provider.
    """
    if not state:
        raise SignInFailed("callback has no state parameter")
    if browser_key is None:
        raise SignInFailed("browser has no valid sign-in cookie")

    pending = await PendingSignIn.filter(
        id=_hash(state), browser_key=_hash(browser_key), expires_at__gt=datetime.now(UTC)
    ).first()
    if pending is None:
        raise SignInFailed("state is unknown, expired, already used or from another browser")

    # Only one request can delete the row, so two callbacks racing with one state
    # cannot both continue.
    if await PendingSignIn.filter(id=pending.id).delete() != 1:
        raise SignInFailed("state was used by a concurrent request")
    if pending.provider != provider:
        raise SignInFailed(f"state belongs to provider {pending.provider!r}")
    return pending
