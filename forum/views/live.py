"""Server-sent events: new posts on an open thread page and the unread count, as they happen.

The stream is at ``/api/live/events?thread=<id>&after=<number>``. Each post event's id is
the post's number in its thread. A browser that reconnects sends the last one back in
``Last-Event-ID``, and the stream first sends every visible post after it from the
database, so nothing is missed across a reconnect.
"""

import logging
import time

from quart import Blueprint, current_app, g, make_response, render_template, request
from quart.helpers import stream_with_context

from forum.auth.policy import Action, require
from forum.errors import TooManyRequests
from forum.services import browsing, live, notifications

blueprint = Blueprint("live", __name__)
logger = logging.getLogger(__name__)

# Milliseconds a browser waits before reconnecting (the SSE ``retry`` field).
RECONNECT_MS = 3000
# Seconds one response lasts. The browser then reconnects by itself, which checks the
# session and the member's access to the thread again.
STREAM_SECONDS = 15 * 60
# Seconds a new stream waits for the broker to be reading the shared channel.
BROKER_READY_SECONDS = 2.0
# Heartbeats between fallback checks of the unread count, for notifications whose writers
# do not announce them.
UNREAD_CHECK_EVERY = 4


@blueprint.before_app_serving
async def start_broker() -> None:
    settings = current_app.config["FORUM"]
    broker = live.make_broker(settings.redis_url, prefix=settings.redis_prefix)
    live.install_broker(broker)
    current_app.add_background_task(broker.run, current_app.shutdown_event)
    logger.info("live updates started", extra={"broker": type(broker).__name__})


@blueprint.after_app_serving
async def stop_broker() -> None:
    broker = live.get_broker()
    live.install_broker(None)
    if broker is not None:
        await broker.close()


def format_event(data: str, *, event: str | None = None, event_id: int | None = None) -> str:
    """Return one server-sent event, with a ``data:`` line per line of ``data``."""
    lines = []
    if event_id is not None:
        lines.append(f"id: {event_id}")
    if event is not None:
        lines.append(f"event: {event}")
    lines.extend(f"data: {line}" for line in (data.splitlines() or [""]))
    return "\n".join(lines) + "\n\n"


def _start_after() -> int | None:
    """Return the post number the browser has seen up to: Last-Event-ID, else ``after``."""
    for raw in (request.headers.get("Last-Event-ID", ""), request.args.get("after", "")):
        if raw.strip().isdigit():
            return int(raw)
    return None


@blueprint.get("/api/live/events")
async def stream_events():
    """Stream new posts in one thread and the member's unread count."""
    require(g.member, Action.LISTEN_LIVE)
    broker = live.get_broker()
    if broker is None:
        # Only an app that was never started (a test client) has no broker.
        return {"error": "unavailable", "message": "Live updates are not running."}, 503

    thread = None
    thread_id = request.args.get("thread", type=int)
    if thread_id is not None:
        thread = await browsing.access_thread(g.member, thread_id)
    after = _start_after()
    if thread is not None and after is None:
        after = thread.post_count

    member = g.member
    if not await broker.wait_ready(BROKER_READY_SECONDS):
        # The stream still opens: posts missed now arrive with the next event or reconnect.
        logger.warning("live broker not ready", extra={"member_id": member.id})
    stream_id = live.new_stream_id()
    if not await broker.claim_stream(member.id, stream_id):
        logger.info("live stream refused", extra={"member_id": member.id})
        raise TooManyRequests(
            "Live updates are already open in several tabs or windows. Close one of them, "
            "then reload this page.",
            retry_after=int(live.STREAM_SLOT_TTL),
        )

    channels = [live.member_channel(member.id)]
    if thread is not None:
        channels.append(live.thread_channel(thread.id))

    @stream_with_context
    async def events():
        try:
            async with broker.subscribe(channels) as subscription:
                async for chunk in _run_stream(
                    broker, subscription, stream_id, member, thread, after
                ):
                    yield chunk
        finally:
            await broker.release_stream(member.id, stream_id)

    response = await make_response(
        events(),
        200,
        {
            "Content-Type": "text/event-stream; charset=utf-8",
            "Cache-Control": "no-store",
            # Tell nginx and similar proxies not to buffer the stream.
            "X-Accel-Buffering": "no",
        },
    )
    response.timeout = None
    return response


async def _run_stream(broker, subscription, stream_id: str, member, thread, after: int | None):
    # The member is passed in because ``g`` belongs to the app context, which the
    # streaming response does not keep.
    yield f"retry: {RECONNECT_MS}\n\n"

    unread = await notifications.count_unread(member)
    yield format_event(str(unread), event="unread")
    if thread is not None:
        async for chunk, number in _new_posts(member, thread, after):
            after = number
            yield chunk

    deadline = time.monotonic() + STREAM_SECONDS
    heartbeats = 0
    while time.monotonic() < deadline:
        event = await subscription.next_event(live.HEARTBEAT_SECONDS)
        if event is None:
            heartbeats += 1
            await broker.refresh_stream(member.id, stream_id)
            yield ": heartbeat\n\n"
            if heartbeats % UNREAD_CHECK_EVERY:
                continue
        elif thread is not None and event.channel == live.thread_channel(thread.id):
            async for chunk, number in _new_posts(member, thread, after):
                after = number
                yield chunk
            continue

        count = await notifications.count_unread(member)
        if count != unread:
            unread = count
            yield format_event(str(unread), event="unread")


async def _new_posts(member, thread, after: int):
    """Yield each visible post after ``after`` as an event, with the new last number."""
    while True:
        posts, more = await live.list_new_posts(member, thread.id, after)
        for post in posts:
            page_after = ((post.number - 1) // browsing.POSTS_PER_PAGE) * browsing.POSTS_PER_PAGE
            html = await render_template(
                "live/_post.html", post=post, thread=thread, page_after=page_after
            )
            after = post.number
            yield format_event(html, event="post", event_id=post.number), after
        if not more:
            return
