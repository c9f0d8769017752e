"""Rate limits on posting, flagging, voting and mentioning, the honeypot field, and slow mode.

Limits are per member (per client address for visitors who are not signed in) and use
quart-rate-limiter's GCRA limiter. Each limit belongs to a group shared by several
endpoints, so a member's new threads, replies and edits all draw on one posting allowance.
The state lives in memory, or in Redis when ``FORUM_REDIS_URL`` is set, so that every
instance of the forum shares it.

A request reserves its place under every limit in one atomic step (a Lua script in Redis)
before the view runs, and gets the places back when its response is an error, such as a
form sent back with a problem (422), or when the view calls :func:`release_allowance`.
So only submissions that save something use up the allowance. Reserving first, rather
than checking first and recording after a success, means that requests sent at once
cannot all pass the check before any of them is recorded.
"""

import logging
import math
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from quart import Quart, Response, current_app, g, jsonify, redirect, render_template, request
from quart_rate_limiter import RateLimit, RateLimiter, RateLimitExceeded
from quart_rate_limiter.store import MemoryStore, RateLimiterStoreABC

from forum.auth.policy import Action, can
from forum.errors import ForumError, ValidationFailed
from models import Member, Post, Thread

logger = logging.getLogger(__name__)

HONEYPOT_FIELD = "website"
UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
# Names in ``g`` of the places this request reserved, and of the view's request to return them.
_RESERVED = "rate_limit_reserved"
_RELEASE = "rate_limit_release"

# (count, period in seconds) pairs per group; every pair must hold.
DEFAULT_LIMITS: dict[str, list[tuple[int, int]]] = {
    "posting": [(5, 60), (60, 3600)],
    "flagging": [(10, 600), (50, 86400)],
    "voting": [(30, 60), (300, 3600)],
    # Posts, new threads or edits that @mention someone.
    "mentioning": [(10, 3600)],
}
# The limit groups of each rate-limited endpoint. A test fails on an endpoint missing from
# the app, so a renamed view cannot silently lose its limit.
ENDPOINT_GROUPS: dict[str, tuple[str, ...]] = {
    "threads.new_thread": ("posting", "mentioning"),
    "threads.post_reply": ("posting", "mentioning"),
    "threads.edit_post": ("posting", "mentioning"),
    "qa.vote": ("voting",),
    "moderation.flag_post": ("flagging",),
    "moderation.flag_thread": ("flagging",),
}
GROUP_MESSAGES = {
    "posting": "You have posted a lot in a short time.",
    "flagging": "You have flagged a lot in a short time.",
    "voting": "You have voted a lot in a short time.",
    "mentioning": "You have mentioned other members in a lot of posts in a short time.",
}


@dataclass
class GroupLimit(RateLimit):
    """A limit shared by every endpoint of one group."""

    group: str = ""

    @property
    def key(self) -> str:
        return f"{self.group}-{self.count}-{int(self.period.total_seconds())}"


@dataclass(frozen=True)
class Place:
    """One request's place under one limit, in GCRA terms.

    ``key`` stores the limit's theoretical arrival time (TAT) for one member. Each request
    moves it ``inverse`` seconds later, and a request is rejected while it is more than
    ``max_interval`` seconds ahead of now.
    """

    key: str
    inverse: float
    max_interval: float


class MemoryRateLimitStore(MemoryStore):
    """quart-rate-limiter's in-memory store, with atomic reserve and release.

    Neither method awaits anything, so no other request runs in between on the event loop.
    """

    async def reserve(self, places: list[Place], now: float) -> int:
        """Take a place under every limit, or none: return 0, or the seconds to wait."""
        arrivals = []
        retry_after = 0.0
        for place in places:
            stored = self._tats.get(place.key)
            arrival = max(stored.timestamp() if stored else now, now)
            if arrival - now > place.max_interval:
                retry_after = max(retry_after, arrival - place.max_interval - now)
            arrivals.append(arrival + place.inverse)
        if retry_after > 0:
            return math.ceil(retry_after)
        for place, arrival in zip(places, arrivals, strict=True):
            self._tats[place.key] = datetime.fromtimestamp(arrival, UTC)
        return 0

    async def release(self, places: list[Place], now: float) -> None:
        """Give back places that :meth:`reserve` took."""
        for place in places:
            stored = self._tats.get(place.key)
            if stored is None:
                continue
            arrival = stored.timestamp() - place.inverse
            if arrival <= now:
                del self._tats[place.key]
            else:
                self._tats[place.key] = datetime.fromtimestamp(arrival, UTC)


# KEYS are the limits' keys. ARGV[1] is now in seconds, then each key's inverse and
# max_interval. Returns 0 with every key moved on, or the whole seconds to wait with none.
_RESERVE_SCRIPT = """
local now = tonumber(ARGV[1])
local retry_after = 0
local arrivals = {}
for i, key in ipairs(KEYS) do
  local inverse = tonumber(ARGV[2 * i])
  local max_interval = tonumber(ARGV[2 * i + 1])
  local arrival = tonumber(redis.call('GET', key) or now)
  if arrival < now then arrival = now end
  if arrival - now > max_interval then
    retry_after = math.max(retry_after, arrival - max_interval - now)
  end
  arrivals[i] = arrival + inverse
end
if retry_after > 0 then return math.ceil(retry_after) end
for i, key in ipairs(KEYS) do
  local expiry = math.max(1, math.floor(arrivals[i] - now) + 60)
  redis.call('SET', key, string.format('%.6f', arrivals[i]), 'EX', expiry)
end
return 0
"""

# KEYS are the limits' keys. ARGV[1] is now in seconds, then each key's inverse.
_RELEASE_SCRIPT = """
local now = tonumber(ARGV[1])
for i, key in ipairs(KEYS) do
  local stored = redis.call('GET', key)
  if stored then
    local arrival = tonumber(stored) - tonumber(ARGV[i + 1])
    if arrival <= now then
      redis.call('DEL', key)
    else
      local expiry = math.max(1, math.floor(arrival - now) + 60)
      redis.call('SET', key, string.format('%.6f', arrival), 'EX', expiry)
    end
  end
end
return 0
"""


class RedisRateLimitStore(RateLimiterStoreABC):
    """A Redis store that connects on first use and lets each key expire with its limit.

    quart-rate-limiter's own RedisStore connects only in ``before_serving`` and keeps
    every key forever, so this one sets an expiry a little after the key's time. Reserving
    and releasing run as Lua scripts, which Redis runs one at a time, so requests on
    several instances cannot interleave between reading a key and writing it.
    """

    def __init__(self, url: str) -> None:
        self._url = url
        self._redis = None
        self._reserve = None
        self._release = None

    def _client(self):
        if self._redis is None:
            from redis import asyncio as redis_asyncio

            self._redis = redis_asyncio.from_url(self._url)
            self._reserve = self._redis.register_script(_RESERVE_SCRIPT)
            self._release = self._redis.register_script(_RELEASE_SCRIPT)
        return self._redis

    async def reserve(self, places: list[Place], now: float) -> int:
        """Take a place under every limit, or none: return 0, or the seconds to wait."""
        self._client()
        arguments: list[float] = [now]
        for place in places:
            arguments += [place.inverse, place.max_interval]
        return int(await self._reserve(keys=[place.key for place in places], args=arguments))

    async def release(self, places: list[Place], now: float) -> None:
        """Give back places that :meth:`reserve` took."""
        self._client()
        arguments = [now] + [place.inverse for place in places]
        await self._release(keys=[place.key for place in places], args=arguments)

    async def before_serving(self) -> None:
        self._client()

    async def get(self, key: str, default: datetime) -> datetime:
        value = await self._client().get(key)
        if value is None:
            return default
        return datetime.fromtimestamp(float(value), UTC)

    async def set(self, key: str, tat: datetime) -> None:
        seconds_left = (tat - datetime.now(UTC)).total_seconds()
        await self._client().set(key, tat.timestamp(), ex=max(1, int(seconds_left) + 60))

    async def after_serving(self) -> None:
        if self._redis is not None:
            await self._redis.aclose()
            self._redis = None
            self._reserve = self._release = None


async def _member_key() -> str:
    member = g.get("member")
    if member is not None:
        return f"member-{member.id}"
    return f"address-{request.access_route[0] if request.access_route else request.remote_addr}"


async def _skip_safe_requests() -> bool:
    return request.method not in UNSAFE_METHODS


async def _skip_without_mentions() -> bool:
    if request.method not in UNSAFE_METHODS:
        return True
    from forum.services.writing import MENTION_RE

    form = await request.form
    return not any(MENTION_RE.search(form.get(name, "")) for name in ("body", "title"))


class ForumRateLimiter(RateLimiter):
    """Apply ``ENDPOINT_GROUPS`` by endpoint and key each limit by group and member.

    It overrides two private methods of quart-rate-limiter 0.12, which pyproject pins.
    """

    def __init__(
        self, limits: dict[str, list[tuple[int, int]]], *, prefix: str, **kwargs: Any
    ) -> None:
        super().__init__(key_function=_member_key, skip_function=_skip_safe_requests, **kwargs)
        self.prefix = prefix
        self.limits_by_group = {
            group: [
                GroupLimit(
                    count,
                    timedelta(seconds=seconds),
                    skip_function=_skip_without_mentions if group == "mentioning" else None,
                    group=group,
                )
                for count, seconds in pairs
            ]
            for group, pairs in limits.items()
        }
        self.limits_by_view: dict = {}

    def bind_endpoints(self, app: Quart) -> None:
        for endpoint, groups in ENDPOINT_GROUPS.items():
            view = app.view_functions.get(endpoint)
            if view is None:
                logger.warning(
                    "rate-limited endpoint is not registered", extra={"endpoint": endpoint}
                )
                continue
            self.limits_by_view[view] = [
                limit for group in groups for limit in self.limits_by_group[group]
            ]

    def _get_limits_for_view_function(self, view_func, blueprint) -> list[RateLimit]:
        return self.limits_by_view.get(view_func, [])

    async def _before_request(self) -> None:
        """Reserve a place under each of the endpoint's limits, or raise RateLimitExceeded."""
        if not current_app.config["QUART_RATE_LIMITER_ENABLED"]:
            return
        endpoint = request.endpoint
        view = current_app.view_functions.get(endpoint)
        if view is None:
            return
        places = [
            Place(
                key=await self._create_key(endpoint, limit),
                inverse=limit.inverse,
                max_interval=limit.period.total_seconds() - limit.inverse,
            )
            for limit in self._get_limits_for_view_function(view, None)
            if not await self._should_skip(limit)
        ]
        if not places:
            return
        retry_after = await self.store.reserve(places, time.time())
        if retry_after:
            raise RateLimitExceeded(retry_after)
        setattr(g, _RESERVED, places)

    async def _after_request(self, response: Response) -> Response:
        """Give back this request's places unless it saved something, then add the headers."""
        places = g.pop(_RESERVED, None)
        if places and (response.status_code >= 400 or g.get(_RELEASE)):
            await self.store.release(places, time.time())
        return await super()._after_request(response)

    async def _create_key(self, endpoint: str, rate_limit: RateLimit) -> str:
        return f"{self.prefix}:{rate_limit.key}:{await self.key_function()}"


def release_allowance() -> None:
    """Give back this request's places under its rate limits when its response is sent.

    For a view whose response is a success that saved nothing, such as the redirect after
    a repeated form. Error responses give their places back without this.
    """
    setattr(g, _RELEASE, True)


def _retry_message(endpoint: str | None, retry_after: int) -> str:
    groups = ENDPOINT_GROUPS.get(endpoint or "", ("",))
    opening = GROUP_MESSAGES.get(groups[0], "You have done that a lot in a short time.")
    moment = (datetime.now(UTC) + timedelta(seconds=retry_after)).strftime("%H:%M:%S")
    if retry_after < 120:
        wait = f"{retry_after} second{'s' if retry_after != 1 else ''}"
    else:
        minutes = -(-retry_after // 60)
        wait = f"{minutes} minutes"
    return f"{opening} Try again in {wait}, after {moment} UTC."


class RateLimited(ForumError):
    status = 429
    code = "rate_limited"
    default_message = "You have done that a lot in a short time. Try again in a minute."


def init_rate_limits(app: Quart) -> ForumRateLimiter:
    """Attach the limiter, its error page and the honeypot check to a built app.

    Call it after the blueprints are registered, so every endpoint can be found.
    """
    settings = app.config["FORUM"]
    limits = settings.extra.get("rate_limits", DEFAULT_LIMITS)
    store = (
        RedisRateLimitStore(settings.redis_url) if settings.redis_url else MemoryRateLimitStore()
    )
    limiter = ForumRateLimiter(
        limits, prefix=settings.extra.get("rate_limit_prefix", "forum-rate"), store=store
    )
    app.before_request(_reject_filled_honeypot)
    limiter.init_app(app)
    limiter.bind_endpoints(app)
    app.extensions["forum_rate_limiter"] = limiter

    @app.errorhandler(RateLimitExceeded)
    async def rate_limited(error: RateLimitExceeded):
        message = _retry_message(request.endpoint, error.retry_after)
        member = g.get("member")
        logger.info(
            "rate limit reached",
            extra={"endpoint": request.endpoint, "member_id": member.id if member else None},
        )
        headers = {"Retry-After": str(error.retry_after)}
        if request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json":
            body = {"error": RateLimited.code, "message": message, "retry_after": error.retry_after}
            return jsonify(body), 429, headers
        # Show what the member typed, which the refused post would otherwise lose.
        typed = (await request.form).get("body", "") if request.method == "POST" else ""
        page = await render_template("error.html", error=RateLimited(message), status=429, typed=typed)
        return page, 429, headers

    return limiter


# Honeypot -----------------------------------------------------------------------------


async def _reject_filled_honeypot():
    """Drop a form submission whose hidden honeypot field was filled in, as bots do.

    The sender gets an ordinary redirect back, so a bot gets no sign that it was caught.
    """
    if request.method not in UNSAFE_METHODS:
        return None
    form = await request.form
    if not form.get(HONEYPOT_FIELD, "").strip():
        return None

    member = g.get("member")
    logger.warning(
        "honeypot field filled, submission dropped",
        extra={"path": request.path, "member_id": member.id if member else None},
    )
    return redirect(_same_site_referrer(), 303)


def _same_site_referrer() -> str:
    referrer = request.referrer or ""
    parts = urlsplit(referrer)
    if parts.netloc and parts.netloc != request.host:
        return "/"
    path = parts.path or "/"
    if not path.startswith("/") or path.startswith("//"):
        return "/"
    return path + (f"?{parts.query}" if parts.query else "")


# Slow mode ----------------------------------------------------------------------------


async def check_slow_mode(member: Member, thread: Thread) -> None:
    """Raise ValidationFailed on ``body`` when the thread's slow mode makes the member wait.

    Moderators are exempt. NOTE: two replies sent at the same moment can both pass,
    because the check reads the member's last post without a lock. Slow mode paces a
    conversation, so that is accepted.
    """
    if not thread.slow_mode_active or can(member, Action.SET_SLOW_MODE, thread):
        return

    last = await (
        Post.filter(thread_id=thread.id, author_id=member.id)
        .order_by("-created_at")
        .first()
        .values("created_at")
    )
    if last is None:
        return
    next_allowed = last["created_at"] + timedelta(seconds=thread.slow_mode_seconds)
    now = datetime.now(UTC)
    if next_allowed <= now:
        return

    from forum.services.moderation_threads import SLOW_MODE_CHOICES

    gap = SLOW_MODE_CHOICES.get(thread.slow_mode_seconds, f"{thread.slow_mode_seconds} seconds")
    wait_minutes = max(1, round((next_allowed - now).total_seconds() / 60))
    raise ValidationFailed(
        {
            "body": (
                f"This thread is in slow mode: one post every {gap} per member. You can post "
                f"again after {next_allowed.strftime('%H:%M')} UTC, in about {wait_minutes} "
                f"minute{'s' if wait_minutes != 1 else ''}. Your text is kept below."
            )
        }
    )
