"""The background worker: notifies watchers, sends the outbox and runs the scheduled jobs.

Several workers may run at once: watcher notices and outbox rows are claimed atomically, and the scheduled
jobs are idempotent (a digest has an idempotency key, and the mentoring jobs only change
rows that are still due). SIGTERM and SIGINT stop it after the current step.
"""

import asyncio
import logging
import signal
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from forum.config import Settings
from forum.db import checkpoint_sqlite
from forum.services import digests, email, live, page_cache, watches

logger = logging.getLogger(__name__)


@dataclass
class WorkerOptions:
    # Seconds between polls of the outbox after it was found empty.
    poll_seconds: float = 2.0
    # Seconds between runs of the scheduled jobs (digests and mentoring).
    schedule_seconds: float = 3600.0
    lease_seconds: int = email.LEASE_SECONDS
    # Send what is due, run the scheduled jobs once, and exit.
    once: bool = False


async def run_scheduled_jobs() -> None:
    """Queue due digests, expire mentoring requests, remind quiet pairs, forget old form keys."""
    from forum.services import mentoring, posting

    await digests.do_queue_due_digests()
    try:
        await posting.do_forget_old_submissions()
    except Exception:
        logger.exception("scheduled job failed", extra={"job": "do_forget_old_submissions"})
    for name in ("do_expire_requests", "do_remind_quiet_pairs"):
        job = getattr(mentoring, name, None)
        if job is None:
            continue
        try:
            count = await job()
        except Exception:
            # One failing job must not stop the outbox, so it is logged and tried next time.
            logger.exception("scheduled job failed", extra={"job": name})
        else:
            logger.info("scheduled job ran", extra={"job": name, "count": count})
            if count:
                await page_cache.bump_generation(name)


async def send_watcher_notices() -> int:
    """Notify watchers of queued posts until none is left; return how many notices were handled.

    A failing batch is logged and left for the next poll, so it cannot stop the outbox.
    """
    handled = 0
    while True:
        try:
            count = await watches.do_send_watcher_notices()
        except Exception:
            logger.exception("watcher notices not sent")
            return handled
        handled += count
        if count == 0:
            return handled


async def drain_outbox(settings: Settings, options: WorkerOptions) -> int:
    """Send batches until none is due; return how many messages were sent."""
    sent = 0
    while True:
        result = await email.do_send_due(settings, lease_seconds=options.lease_seconds)
        sent += result.sent
        if not (result.sent or result.retried or result.failed):
            return sent


async def run_worker(settings: Settings, options: WorkerOptions) -> None:
    """Run until stopped by SIGTERM or SIGINT, or after one pass with ``options.once``."""
    email.configure(settings)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)

    holds_mail = not settings.smtp_host
    if holds_mail:
        logger.warning("no FORUM_SMTP_HOST is set, so queued mail is held, not sent")
    logger.info("worker started", extra={"once": options.once})

    # With Redis, watchers' open pages hear of their new notifications at once. Without it
    # the pages find them at their next check of the unread count.
    broker = live.make_broker(settings.redis_url, prefix=settings.redis_prefix) if settings.redis_url else None
    live.install_broker(broker)
    next_schedule = datetime.now(UTC)
    while not stop.is_set():
        # Before the digests, which list these notifications, and the outbox, which sends
        # the emails to watchers in the same pass.
        await send_watcher_notices()
        await checkpoint_sqlite()
        if datetime.now(UTC) >= next_schedule:
            await run_scheduled_jobs()
            next_schedule = datetime.now(UTC) + timedelta(seconds=options.schedule_seconds)
        if not holds_mail:
            await drain_outbox(settings, options)
        if options.once:
            break
        try:
            await asyncio.wait_for(stop.wait(), timeout=options.poll_seconds)
        except TimeoutError:
            pass
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.remove_signal_handler(sig)
    live.install_broker(None)
    if broker is not None:
        await broker.close()
    logger.info("worker stopped")
