"""CSRF protection for every state-changing request.

A random value lives in an HttpOnly cookie. Each form carries an HMAC of that value and
the current session id, so a token minted for one browser or session fails in another.
The app checks it before any handler runs, so no POST route can forget it.
"""

import hashlib
import hmac
import secrets

CSRF_COOKIE = "forum_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def new_cookie_value() -> str:
    return secrets.token_urlsafe(24)


def make_token(secret_key: str, cookie_value: str, session_id: str | None) -> str:
    message = f"{cookie_value}|{session_id or ''}".encode()
    return hmac.new(secret_key.encode(), message, hashlib.sha256).hexdigest()


def is_valid_token(
    secret_key: str, cookie_value: str | None, session_id: str | None, token: str | None
) -> bool:
    if not cookie_value or not token:
        return False
    return hmac.compare_digest(make_token(secret_key, cookie_value, session_id), token)
