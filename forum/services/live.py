"""Live updates: a broker that carries small events from writers to server-sent event streams.

Events are nudges, not content. A post event reports that thread 12 has a new post, and an
unread event reports that member 7's unread count changed. Each stream then reads what changed from the
database, with the viewer's own permissions. So a dropped event is repaired by the next
one or by a reconnect, and nothing private travels through the broker or Redis.

One process uses :class:`InProcessBroker`. With ``FORUM_REDIS_URL`` set, every instance uses
:class:`RedisBroker`: events go through one Redis pub/sub channel that every instance
reads, and the cap on streams per member is counted in Redis, so it applies across instances.

Writers call :func:`announce_post` or :func:`announce_unread` after their transaction has
committed. Without a running app (the command line, most tests) no broker is installed and
both do nothing.
"""

import asyncio
import json
import logging
import secrets
import time
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass

from forum.errors import ForumError

logger = logging.getLogger(__name__)

# Events waiting for one stream. Events are nudges, so when a slow stream's queue is full
# the oldest is dropped: the stream re-reads the database on the next one anyway.
QUEUE_SIZE = 64
# Open event streams per member (several tabs), across every instance.
MAX_STREAMS_PER_MEMBER = 5
# Seconds between heartbeats. A stream slot not refreshed for STREAM_SLOT_TTL seconds
# counts as closed, so slots held by a crashed instance free themselves.
HEARTBEAT_SECONDS = 15.0
STREAM_SLOT_TTL = 3 * HEARTBEAT_SECONDS
# Seconds the Redis reader waits for a message before checking whether to stop.
REDIS_POLL_SECONDS = 1.0
# Seconds to wait before reading Redis again after a failure.
REDIS_RETRY_SECONDS = 2.0


class LiveUnavailable(ForumError):
    status = 503
    code = "live_unavailable"
    default_message = (
        "Live updates are not available at the moment. Reload the page later to see new posts."
    )


def thread_channel(thread_id: int) -> str:
    return f"thread:{thread_id}"


def member_channel(member_id: int) -> str:
    return f"member:{member_id}"


@dataclass(frozen=True)
class Event:
    channel: str
    data: dict


class Subscription:
    """The bounded queue of events for one stream."""

    def __init__(self, channels: Iterable[str], size: int = QUEUE_SIZE) -> None:
        self.channels = frozenset(channels)
        self.queue: asyncio.Queue[Event] = asyncio.Queue(size)
        self.dropped = 0

    def deliver(self, event: Event) -> None:
        """Queue an event without waiting, dropping the oldest when the queue is full."""
        if self.queue.full():
            self.queue.get_nowait()
            self.dropped += 1
        self.queue.put_nowait(event)

    async def next_event(self, seconds: float) -> Event | None:
        """Return the next event, or None when ``seconds`` pass without one."""
        try:
            return await asyncio.wait_for(self.queue.get(), seconds)
        except TimeoutError:
            return None


class Broker(ABC):
    """Fans events out to this process's subscriptions and counts each member's streams."""

    def __init__(self, max_streams: int = MAX_STREAMS_PER_MEMBER) -> None:
        self.max_streams = max_streams
        self._subscriptions: dict[str, set[Subscription]] = {}

    async def run(self, stop: asyncio.Event) -> None:
        """Do the broker's background work until ``stop`` is set. Most brokers have none."""
        return None

    async def close(self) -> None:
        return None

    async def wait_ready(self, seconds: float) -> bool:
        """Wait up to ``seconds`` until events from other instances can arrive; return False if not."""
        return True

    @abstractmethod
    async def publish(self, channel: str, data: dict) -> None:
        """Send an event to every stream subscribed to ``channel``, on every instance."""

    @asynccontextmanager
    async def subscribe(self, channels: Iterable[str]) -> AsyncIterator[Subscription]:
        subscription = Subscription(channels)
        for channel in subscription.channels:
            self._subscriptions.setdefault(channel, set()).add(subscription)
        try:
            yield subscription
        finally:
            for channel in subscription.channels:
                listeners = self._subscriptions.get(channel)
                if listeners is not None:
                    listeners.discard(subscription)
                    if not listeners:
                        del self._subscriptions[channel]

    def _deliver_here(self, event: Event) -> None:
        for subscription in list(self._subscriptions.get(event.channel, ())):
            subscription.deliver(event)

    def subscriber_count(self, channel: str) -> int:
        return len(self._subscriptions.get(channel, ()))

    @abstractmethod
    async def claim_stream(self, member_id: int, stream_id: str) -> bool:
        """Take one of the member's stream slots; return False when all are taken."""

    @abstractmethod
    async def refresh_stream(self, member_id: int, stream_id: str) -> None:
        """Keep a slot alive for another STREAM_SLOT_TTL seconds."""

    @abstractmethod
    async def release_stream(self, member_id: int, stream_id: str) -> None:
        """Give a slot back."""


class InProcessBroker(Broker):
    """The broker for a single instance: events and stream slots live in this process."""

    def __init__(self, max_streams: int = MAX_STREAMS_PER_MEMBER) -> None:
        super().__init__(max_streams)
        # member id -> stream id -> the monotonic time the slot expires
        self._streams: dict[int, dict[str, float]] = {}

    async def publish(self, channel: str, data: dict) -> None:
        self._deliver_here(Event(channel, data))

    async def claim_stream(self, member_id: int, stream_id: str) -> bool:
        now = time.monotonic()
        slots = self._streams.setdefault(member_id, {})
        for expired in [key for key, expiry in slots.items() if expiry <= now]:
            del slots[expired]
        if len(slots) >= self.max_streams:
            return False
        slots[stream_id] = now + STREAM_SLOT_TTL
        return True

    async def refresh_stream(self, member_id: int, stream_id: str) -> None:
        slots = self._streams.get(member_id, {})
        if stream_id in slots:
            slots[stream_id] = time.monotonic() + STREAM_SLOT_TTL

    async def release_stream(self, member_id: int, stream_id: str) -> None:
        slots = self._streams.get(member_id, {})
        slots.pop(stream_id, None)
        if not slots:
            self._streams.pop(member_id, None)


# Drop expired slots, then add this one if there is room: KEYS[1] is the member's sorted
# set of stream ids scored by expiry time in milliseconds.
CLAIM_SCRIPT = """
local now = tonumber(ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then
    return 0
end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]), ARGV[4])
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[3]))
return 1
"""


class RedisBroker(Broker):
    """The broker for several instances: events and stream slots are shared through Redis.

    Every instance subscribes once to the channel ``<prefix>:live`` and hands each message
    to its own subscriptions, so the number of Redis connections does not grow with the
    number of open streams.
    """

    def __init__(
        self, url: str, *, prefix: str = "forum", max_streams: int = MAX_STREAMS_PER_MEMBER
    ) -> None:
        import redis.asyncio as redis

        super().__init__(max_streams)
        self.prefix = prefix
        self.channel = f"{prefix}:live"
        self.redis = redis.Redis.from_url(url, decode_responses=True)
        self._claim = self.redis.register_script(CLAIM_SCRIPT)
        self.ready = asyncio.Event()

    def _slots_key(self, member_id: int) -> str:
        return f"{self.prefix}:streams:{member_id}"

    async def run(self, stop: asyncio.Event) -> None:
        """Read the shared channel and deliver each event here, until ``stop`` is set.

        A lost connection is logged and retried, so the instance keeps serving pages while
        Redis is down and picks live updates up again when it returns.
        """
        from redis.exceptions import RedisError

        while not stop.is_set():
            pubsub = self.redis.pubsub(ignore_subscribe_messages=True)
            try:
                await pubsub.subscribe(self.channel)
                self.ready.set()
                while not stop.is_set():
                    message = await pubsub.get_message(timeout=REDIS_POLL_SECONDS)
                    if message is not None:
                        self._deliver_message(message["data"])
            except (RedisError, OSError) as error:
                self.ready.clear()
                logger.warning("redis live channel failed", extra={"error": type(error).__name__})
                await _wait_or_stop(stop, REDIS_RETRY_SECONDS)
            finally:
                await pubsub.aclose()

    async def wait_ready(self, seconds: float) -> bool:
        try:
            await asyncio.wait_for(self.ready.wait(), seconds)
        except TimeoutError:
            return False
        return True

    def _deliver_message(self, raw: str) -> None:
        try:
            message = json.loads(raw)
            event = Event(str(message["channel"]), dict(message["data"]))
        except (ValueError, KeyError, TypeError):
            logger.warning("unreadable live event ignored")
            return
        self._deliver_here(event)

    async def close(self) -> None:
        await self.redis.aclose()

    async def publish(self, channel: str, data: dict) -> None:
        await self.redis.publish(self.channel, json.dumps({"channel": channel, "data": data}))

    async def claim_stream(self, member_id: int, stream_id: str) -> bool:
        """Take a slot; raise LiveUnavailable when Redis cannot be reached to count it."""
        from redis.exceptions import RedisError

        now_ms = int(time.time() * 1000)
        try:
            claimed = await self._claim(
                keys=[self._slots_key(member_id)],
                args=[now_ms, self.max_streams, int(STREAM_SLOT_TTL * 1000), stream_id],
            )
        except (RedisError, OSError) as error:
            logger.warning(
                "stream slot not claimed",
                extra={"member_id": member_id, "error": type(error).__name__},
            )
            raise LiveUnavailable() from None
        return bool(claimed)

    async def refresh_stream(self, member_id: int, stream_id: str) -> None:
        """Extend a slot. A failure is logged: the slot then expires and frees itself."""
        from redis.exceptions import RedisError

        expiry_ms = int((time.time() + STREAM_SLOT_TTL) * 1000)
        key = self._slots_key(member_id)
        try:
            await self.redis.zadd(key, {stream_id: expiry_ms}, xx=True)
            await self.redis.pexpire(key, int(STREAM_SLOT_TTL * 1000))
        except (RedisError, OSError) as error:
            logger.warning(
                "stream slot not refreshed",
                extra={"member_id": member_id, "error": type(error).__name__},
            )

    async def release_stream(self, member_id: int, stream_id: str) -> None:
        """Free a slot. A failure is logged: the slot then expires and frees itself."""
        from redis.exceptions import RedisError

        try:
            await self.redis.zrem(self._slots_key(member_id), stream_id)
        except (RedisError, OSError) as error:
            logger.warning(
                "stream slot not released",
                extra={"member_id": member_id, "error": type(error).__name__},
            )


async def _wait_or_stop(stop: asyncio.Event, seconds: float) -> None:
    try:
        await asyncio.wait_for(stop.wait(), seconds)
    except TimeoutError:
        pass


def make_broker(redis_url: str | None, *, prefix: str = "forum") -> Broker:
    """Return a RedisBroker when a Redis URL is configured, otherwise an InProcessBroker."""
    if redis_url:
        return RedisBroker(redis_url, prefix=prefix)
    return InProcessBroker()


_broker: Broker | None = None


def install_broker(broker: Broker | None) -> None:
    """Make ``broker`` the one that :func:`announce_post` and the streams use in this process."""
    global _broker
    _broker = broker


def get_broker() -> Broker | None:
    return _broker


def new_stream_id() -> str:
    return secrets.token_hex(8)


async def _publish(channel: str, data: dict) -> None:
    """Publish if a broker is installed. A failure is logged, never raised, because the
    change it reports has already been saved."""
    broker = _broker
    if broker is None:
        return

    try:
        await broker.publish(channel, data)
    except Exception as error:  # A broken broker must not fail the request that wrote.
        logger.warning(
            "live event not published", extra={"channel": channel, "error": type(error).__name__}
        )


async def announce_post(post, member_ids: Iterable[int]) -> None:
    """Tell open streams that ``post`` was added, and tell the members it notified.

    Call after the transaction that created the post has committed, so that a stream
    reading the database finds it. ``member_ids`` are the members notified about it then.
    """
    if _broker is None:
        return

    await _publish(thread_channel(post.thread_id), {"kind": "post", "number": post.number})
    await announce_unread(member_ids)


async def announce_unread(member_ids: Iterable[int]) -> None:
    """Tell each member's open streams that their unread count may have changed.

    Call after the transaction that stored their notifications has committed.
    """
    for member_id in dict.fromkeys(member_ids):
        await _publish(member_channel(member_id), {"kind": "unread"})


# Posts sent in one go when a stream catches up. A stream far behind sends several batches.
CATCH_UP_BATCH = 50


async def list_new_posts(member, thread_id: int, after: int) -> tuple[list, bool]:
    """Return the posts after number ``after`` that the member may see, and whether more follow.

    Reads the thread again first, so a thread hidden while a stream is open stops sending
    at once. Returns no posts for a thread the member may no longer see.
    """
    from forum.auth.policy import Action, can
    from forum.services.browsing import list_posts
    from models import Thread

    thread = await Thread.filter(id=thread_id).first()
    if thread is None or not can(member, Action.VIEW_THREAD, thread):
        return [], False

    posts, next_after = await list_posts(thread, member, after, limit=CATCH_UP_BATCH)
    return posts, next_after is not None
