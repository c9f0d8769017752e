"""The live-update brokers, in-process and Redis, and the events that writers announce.

The Redis tests use the server on 127.0.0.1:6379 with a prefix of their own, and are
skipped, saying why, when no Redis responds there.
"""

import asyncio
import os

import pytest

from forum.services import live
from models import Thread, ThreadState
from tests.factories import make_member, make_reply, make_thread

REDIS_URL = os.environ.get("FORUM_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


@pytest.fixture(name="installed_broker")
def _installed_broker():
    broker = live.InProcessBroker()
    live.install_broker(broker)
    yield broker
    live.install_broker(None)


async def test_subscriber_gets_events_of_its_channels_only():
    broker = live.InProcessBroker()

    async with broker.subscribe(["thread:1", "member:5"]) as subscription:
        await broker.publish("thread:1", {"kind": "post", "number": 2})
        await broker.publish("thread:2", {"kind": "post", "number": 9})
        await broker.publish("member:5", {"kind": "unread"})
        first = await subscription.next_event(0.1)
        second = await subscription.next_event(0.1)
        third = await subscription.next_event(0.05)

    assert first == live.Event("thread:1", {"kind": "post", "number": 2})
    assert second == live.Event("member:5", {"kind": "unread"})
    assert third is None


async def test_every_subscriber_of_a_channel_gets_the_event():
    broker = live.InProcessBroker()

    async with broker.subscribe(["thread:1"]) as one, broker.subscribe(["thread:1"]) as two:
        await broker.publish("thread:1", {"kind": "post", "number": 2})

        assert (await one.next_event(0.1)).data == {"kind": "post", "number": 2}
        assert (await two.next_event(0.1)).data == {"kind": "post", "number": 2}


async def test_unsubscribe_on_exit():
    broker = live.InProcessBroker()

    async with broker.subscribe(["thread:1"]):
        assert broker.subscriber_count("thread:1") == 1

    assert broker.subscriber_count("thread:1") == 0


async def test_full_queue_drops_oldest_events():
    subscription = live.Subscription(["thread:1"], size=3)

    for number in range(5):
        subscription.deliver(live.Event("thread:1", {"number": number}))

    numbers = [(await subscription.next_event(0.01)).data["number"] for _ in range(3)]
    assert numbers == [2, 3, 4]
    assert subscription.dropped == 2


async def test_in_process_stream_cap():
    broker = live.InProcessBroker(max_streams=2)

    first = await broker.claim_stream(7, "a")
    second = await broker.claim_stream(7, "b")
    third = await broker.claim_stream(7, "c")
    other_member = await broker.claim_stream(8, "d")
    await broker.release_stream(7, "a")
    after_release = await broker.claim_stream(7, "c")

    assert (first, second, third, other_member, after_release) == (True, True, False, True, True)


async def test_in_process_slot_expires_without_refresh(monkeypatch):
    monkeypatch.setattr(live, "STREAM_SLOT_TTL", 0.05)
    broker = live.InProcessBroker(max_streams=1)
    assert await broker.claim_stream(7, "a")

    refused = await broker.claim_stream(7, "b")
    await asyncio.sleep(0.1)
    after_expiry = await broker.claim_stream(7, "b")

    assert not refused
    assert after_expiry


async def test_make_broker_chooses_by_redis_url():
    in_process = live.make_broker(None)
    shared = live.make_broker(REDIS_URL, prefix="forum-test-choice")

    assert isinstance(in_process, live.InProcessBroker)
    assert isinstance(shared, live.RedisBroker)
    await shared.close()


async def test_announce_post_nudges_thread_and_notified_members(installed_broker):
    asker, replier = await make_member(), await make_member()
    thread = await make_thread(author=asker)

    async with installed_broker.subscribe(
        [
            live.thread_channel(thread.id),
            live.member_channel(asker.id),
            live.member_channel(replier.id),
        ]
    ) as subscription:
        reply = await make_reply(thread, author=replier)
        events = [await subscription.next_event(0.1) for _ in range(3)]

    assert events[0] == live.Event(
        live.thread_channel(thread.id), {"kind": "post", "number": reply.number}
    )
    assert events[1] == live.Event(live.member_channel(asker.id), {"kind": "unread"})
    # The replier gets no notification of their own reply, so no nudge either.
    assert events[2] is None


async def test_announce_without_broker_does_nothing():
    live.install_broker(None)
    thread = await make_thread()

    reply = await make_reply(thread)

    assert reply.number == 2


async def test_failing_broker_does_not_fail_the_reply(installed_broker, monkeypatch):
    async def broken_publish(channel, data):
        raise ConnectionError("broker down")

    monkeypatch.setattr(installed_broker, "publish", broken_publish)
    thread = await make_thread()

    reply = await make_reply(thread)

    assert reply.number == 2


async def test_list_new_posts_follows_visibility():
    member = await make_member()
    thread = await make_thread()
    second = await make_reply(thread)
    await make_reply(thread)

    posts, more = await live.list_new_posts(member, thread.id, 1)
    await Thread.filter(id=thread.id).update(state=ThreadState.HIDDEN)
    after_hiding, _ = await live.list_new_posts(member, thread.id, 1)

    assert [post.number for post in posts] == [second.number, second.number + 1]
    assert not more
    assert after_hiding == []


async def test_list_new_posts_in_batches(monkeypatch):
    monkeypatch.setattr(live, "CATCH_UP_BATCH", 2)
    member = await make_member()
    thread = await make_thread()
    for _ in range(3):
        await make_reply(thread)

    first, more = await live.list_new_posts(member, thread.id, 0)
    rest, more_after = await live.list_new_posts(member, thread.id, first[-1].number)

    assert [post.number for post in first] == [1, 2]
    assert more
    assert [post.number for post in rest] == [3, 4]
    assert not more_after


# Redis ---------------------------------------------------------------------------------


async def _redis_available() -> bool:
    import redis.asyncio as redis

    client = redis.Redis.from_url(REDIS_URL)
    try:
        return bool(await client.ping())
    except (OSError, redis.RedisError):
        return False
    finally:
        await client.aclose()


@pytest.fixture(name="redis_prefix")
async def _redis_prefix():
    if not await _redis_available():
        pytest.skip(f"no Redis answers at {REDIS_URL}, so the Redis broker is not tested")
    import redis.asyncio as redis

    prefix = f"forum-test-{os.getpid()}-{os.urandom(4).hex()}"
    yield prefix
    client = redis.Redis.from_url(REDIS_URL)
    async for key in client.scan_iter(match=f"{prefix}:*"):
        await client.delete(key)
    await client.aclose()


async def _running(broker: live.RedisBroker, stop: asyncio.Event) -> asyncio.Task:
    task = asyncio.get_running_loop().create_task(broker.run(stop))
    await asyncio.wait_for(broker.ready.wait(), 5)
    return task


async def test_redis_event_reaches_other_instance(redis_prefix):
    sender = live.RedisBroker(REDIS_URL, prefix=redis_prefix)
    receiver = live.RedisBroker(REDIS_URL, prefix=redis_prefix)
    stop = asyncio.Event()
    tasks = [await _running(sender, stop), await _running(receiver, stop)]

    try:
        async with receiver.subscribe(["thread:3"]) as subscription:
            await sender.publish("thread:3", {"kind": "post", "number": 4})
            event = await subscription.next_event(2)
    finally:
        stop.set()
        await asyncio.gather(*tasks)
        await sender.close()
        await receiver.close()

    assert event == live.Event("thread:3", {"kind": "post", "number": 4})


async def test_redis_prefixes_keep_forums_apart(redis_prefix):
    ours = live.RedisBroker(REDIS_URL, prefix=redis_prefix)
    theirs = live.RedisBroker(REDIS_URL, prefix=redis_prefix + "-other")
    stop = asyncio.Event()
    task = await _running(ours, stop)

    try:
        async with ours.subscribe(["thread:3"]) as subscription:
            await theirs.publish("thread:3", {"kind": "post", "number": 4})
            event = await subscription.next_event(0.5)
    finally:
        stop.set()
        await task
        await ours.close()
        await theirs.close()

    assert event is None


async def test_redis_stream_cap_shared_by_instances(redis_prefix):
    first = live.RedisBroker(REDIS_URL, prefix=redis_prefix, max_streams=3)
    second = live.RedisBroker(REDIS_URL, prefix=redis_prefix, max_streams=3)

    try:
        claims = [
            await first.claim_stream(7, "a"),
            await second.claim_stream(7, "b"),
            await first.claim_stream(7, "c"),
            await second.claim_stream(7, "d"),
        ]
        await first.release_stream(7, "a")
        after_release = await second.claim_stream(7, "d")
    finally:
        await first.close()
        await second.close()

    assert claims == [True, True, True, False]
    assert after_release


async def test_redis_slot_expires_without_refresh(redis_prefix, monkeypatch):
    monkeypatch.setattr(live, "STREAM_SLOT_TTL", 0.2)
    broker = live.RedisBroker(REDIS_URL, prefix=redis_prefix, max_streams=1)

    try:
        assert await broker.claim_stream(7, "a")
        refused = await broker.claim_stream(7, "b")
        await broker.refresh_stream(7, "a")
        await asyncio.sleep(0.3)
        after_expiry = await broker.claim_stream(7, "b")
    finally:
        await broker.close()

    assert not refused
    assert after_expiry


async def test_redis_reader_survives_unreadable_message(redis_prefix):
    import redis.asyncio as redis

    broker = live.RedisBroker(REDIS_URL, prefix=redis_prefix)
    stop = asyncio.Event()
    task = await _running(broker, stop)
    client = redis.Redis.from_url(REDIS_URL)

    try:
        async with broker.subscribe(["thread:3"]) as subscription:
            await client.publish(broker.channel, "not json")
            await broker.publish("thread:3", {"kind": "post", "number": 5})
            event = await subscription.next_event(2)
    finally:
        stop.set()
        await task
        await broker.close()
        await client.aclose()

    assert event == live.Event("thread:3", {"kind": "post", "number": 5})


async def test_unreachable_redis_refuses_stream_politely():
    # Port 9 (discard) has no Redis, so every command fails to connect.
    broker = live.RedisBroker("redis://127.0.0.1:9/0", prefix="forum-test-unreachable")

    try:
        with pytest.raises(live.LiveUnavailable):
            await broker.claim_stream(7, "a")
        await broker.refresh_stream(7, "a")
        await broker.release_stream(7, "a")
    finally:
        await broker.close()
