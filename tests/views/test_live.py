"""Server-sent events against a real ``forum serve`` process, read with httpx streaming.

The server runs the in-process broker (no FORUM_REDIS_URL). Two instances sharing Redis
are tested in tests/test_several_instances.py.
"""

import asyncio
from contextlib import AsyncExitStack

import httpx
import pytest

from forum.auth.sessions import do_start_session
from forum.services import live
from forum.views import live as live_views
from models import Post, Thread, ThreadState
from tests.factories import SECRET_KEY, make_member, make_reply, make_thread
from tests.servers import EventReader, csrf_form, member_cookies, start_server, stop_server

EVENT_TIMEOUT = 5


@pytest.fixture(name="live_server", scope="module")
def _live_server(database_url, tmp_path_factory):
    server = start_server(database_url, tmp_path_factory.mktemp("live-server"))
    yield server
    stop_server(server)


async def _sign_in(member) -> tuple[dict[str, str], str]:
    cookie, session = await do_start_session(member, secret_key=SECRET_KEY, days=1)
    return member_cookies(cookie), session.id


def _client(server, cookies: dict[str, str] | None = None) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        base_url=server.base_url, cookies=cookies, trust_env=False, timeout=EVENT_TIMEOUT
    )


def _has(kind: str, data: str | None = None):
    def stop(events: list[dict]) -> bool:
        return any(
            event.get("event") == kind and (data is None or event.get("data") == data)
            for event in events
        )

    return stop


def _posts(events: list[dict]) -> list[dict]:
    return [event for event in events if event.get("event") == "post"]


async def test_stream_sends_new_post_and_unread_count(live_server):
    asker, replier = await make_member(), await make_member(display_name="Priya Shah")
    thread = await make_thread(author=asker, title="Episode dates in the SSDA903 return")
    asker_cookies, _ = await _sign_in(asker)
    replier_cookies, replier_session = await _sign_in(replier)

    async with (
        _client(live_server, asker_cookies) as viewer,
        _client(live_server, replier_cookies) as poster,
    ):
        async with viewer.stream("GET", f"/api/live/events?thread={thread.id}&after=1") as stream:
            reader = EventReader(stream)
            opening = list(await reader.until(_has("unread"), EVENT_TIMEOUT))
            reply = await poster.post(
                f"/threads/{thread.id}/reply",
                data=csrf_form(replier_session, body="A live reply about **episodes**."),
            )
            events = await reader.until(
                lambda seen: _has("post")(seen) and _has("unread", "1")(seen), EVENT_TIMEOUT
            )

    assert stream.status_code == 200
    assert stream.headers["content-type"].startswith("text/event-stream")
    assert stream.headers["cache-control"] == "no-store"
    assert opening[-1] == {"event": "unread", "data": "0"}
    assert reply.status_code == 303, live_server.log_tail()
    [post_event] = _posts(events)
    assert post_event["id"] == "2"
    assert 'id="post-2"' in post_event["data"]
    assert "<strong>episodes</strong>" in post_event["data"]
    assert 'data-post-author="Priya Shah"' in post_event["data"]


async def test_reconnect_replays_posts_after_last_event_id(live_server):
    member = await make_member()
    thread = await make_thread(author=member)
    for number in range(3):
        await make_reply(thread, body=f"Reply number {number} while the browser was away.")
    cookies, _ = await _sign_in(member)

    async with _client(live_server, cookies) as client:
        async with client.stream(
            "GET", f"/api/live/events?thread={thread.id}&after=1", headers={"Last-Event-ID": "2"}
        ) as stream:
            events = await EventReader(stream).until(
                lambda seen: len(_posts(seen)) == 2, EVENT_TIMEOUT
            )

    assert [event["id"] for event in _posts(events)] == ["3", "4"]
    assert "Reply number 2 while the browser was away." in _posts(events)[-1]["data"]


async def test_catch_up_skips_hidden_posts(live_server):
    member = await make_member()
    thread = await make_thread(author=member)
    kept = await make_reply(thread, body="A visible reply.")
    hidden = await make_reply(thread, body="A hidden reply.")
    last = await make_reply(thread, body="Another visible reply.")
    await Post.filter(id=hidden.id).update(is_hidden=True)
    cookies, _ = await _sign_in(member)

    async with _client(live_server, cookies) as client:
        async with client.stream("GET", f"/api/live/events?thread={thread.id}&after=1") as stream:
            events = await EventReader(stream).until(
                lambda seen: len(_posts(seen)) == 2, EVENT_TIMEOUT
            )

    assert [event["id"] for event in _posts(events)] == [str(kept.number), str(last.number)]


async def test_stream_refused_beyond_member_cap(live_server):
    member = await make_member()
    cookies, _ = await _sign_in(member)

    async with AsyncExitStack() as stack:
        client = await stack.enter_async_context(_client(live_server, cookies))
        # The readers are kept, because a dropped reader closes its stream.
        readers = []
        for _ in range(live.MAX_STREAMS_PER_MEMBER):
            stream = await stack.enter_async_context(client.stream("GET", "/api/live/events"))
            readers.append(EventReader(stream))
            await readers[-1].until(_has("unread"), EVENT_TIMEOUT)

        refused = await client.get("/api/live/events")

        assert refused.status_code == 429
        assert refused.headers["retry-after"] == str(int(live.STREAM_SLOT_TTL))
        assert "already open in several tabs" in (refused.json())["message"]

    # Closing the streams gives the slots back, once the server detects the disconnects.
    async with _client(live_server, cookies) as client:
        for _ in range(30):
            async with client.stream("GET", "/api/live/events") as response:
                status = response.status_code
            if status == 200:
                break
            await asyncio.sleep(0.1)
        else:
            pytest.fail("stream slots were not released after the streams closed")


async def test_stream_open_within_cap_is_accepted(live_server):
    member = await make_member()
    cookies, _ = await _sign_in(member)

    async with _client(live_server, cookies) as client:
        async with client.stream("GET", "/api/live/events") as stream:
            events = await EventReader(stream).until(_has("unread"), EVENT_TIMEOUT)

    assert events[-1] == {"event": "unread", "data": "0"}


async def test_stream_needs_sign_in(live_server):
    async with _client(live_server) as client:
        response = await client.get("/api/live/events")

    assert response.status_code == 401
    assert response.json()["error"] == "sign_in_required"


@pytest.mark.parametrize("state", [ThreadState.HIDDEN, ThreadState.HELD])
async def test_stream_for_hidden_thread_not_found(live_server, state):
    member = await make_member()
    thread = await make_thread()
    await Thread.filter(id=thread.id).update(state=state)
    cookies, _ = await _sign_in(member)

    async with _client(live_server, cookies) as client:
        response = await client.get(f"/api/live/events?thread={thread.id}")

    assert response.status_code == 404


def test_format_event_splits_lines():
    text = live_views.format_event("<li>\n  one\r\n</li>", event="post", event_id=7)

    assert text == "id: 7\nevent: post\ndata: <li>\ndata:   one\ndata: </li>\n\n"


def test_format_event_with_empty_data():
    assert live_views.format_event("", event="unread") == "event: unread\ndata: \n\n"


async def test_stream_sends_heartbeats(app, monkeypatch):
    monkeypatch.setattr(live, "HEARTBEAT_SECONDS", 0.05)
    member = await make_member()
    broker = live.InProcessBroker()
    stream_id = live.new_stream_id()
    assert await broker.claim_stream(member.id, stream_id)

    chunks = []
    async with app.test_request_context("/api/live/events"):
        async with broker.subscribe([live.member_channel(member.id)]) as subscription:
            stream = live_views._run_stream(broker, subscription, stream_id, member, None, None)
            async for chunk in stream:
                chunks.append(chunk)
                if chunk.startswith(": heartbeat"):
                    break

    assert chunks[0] == f"retry: {live_views.RECONNECT_MS}\n\n"
    assert chunks[1] == "event: unread\ndata: 0\n\n"
    assert chunks[2] == ": heartbeat\n\n"
