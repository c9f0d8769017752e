"""Routing notifications by preference, the outbox, SMTP delivery, retries and crashes."""

import asyncio
import os
import signal
import subprocess
import sys
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from forum.config import PROJECT_ROOT
from forum.services import email
from forum.services.notifications import do_notify
from forum.services.worker import WorkerOptions, run_worker
from models import (
    Delivery,
    Notification,
    NotificationPreference,
    OutboxMessage,
    OutboxState,
    WatcherNotice,
)
from tests.factories import SECRET_KEY, make_member, make_reply, make_thread
from tests.smtp_server import SmtpServer, free_port


@pytest.fixture(name="smtp")
def _smtp():
    server = SmtpServer()
    server.controller.start()
    yield server
    server.controller.stop()


@pytest.fixture(name="mail_settings")
def _mail_settings(settings, smtp):
    configured = smtp.settings(settings)
    email.configure(configured)
    yield configured
    email.configure(settings)


async def _notify(member, kind="mention", text="Asha mentioned you in “Census dates”."):
    await do_notify(member.id, kind, text=text, data={"url": "/notifications"})


# Routing ----------------------------------------------------------------------------

EXPECTED_ROUTES = {
    # delivery: (notifications stored, emails queued)
    Delivery.OFF: (0, 0),
    Delivery.IN_APP: (1, 0),
    Delivery.EMAIL: (1, 1),
    Delivery.DIGEST: (1, 0),
}


@pytest.mark.parametrize("delivery", list(Delivery))
async def test_every_kind_routes_by_preference(delivery, mail_settings):
    member = await make_member()
    for kind in email.KIND_LABELS:
        await NotificationPreference.create(member=member, kind=kind, delivery=delivery)

    for kind in email.KIND_LABELS:
        await _notify(member, kind)

    stored, queued = EXPECTED_ROUTES[delivery]
    for kind in email.KIND_LABELS:
        assert await Notification.filter(member=member, kind=kind).count() == stored, kind
        assert await OutboxMessage.filter(member=member, kind=kind).count() == queued, kind


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        ("mention", Delivery.EMAIL),
        ("reply", Delivery.EMAIL),
        ("watched_reply", Delivery.DIGEST),
        ("new_thread", Delivery.DIGEST),
        ("flag_outcome", Delivery.IN_APP),
        ("some_future_kind", Delivery.IN_APP),
    ],
)
async def test_kind_without_preference_uses_default(kind, expected):
    member = await make_member()

    assert await email.get_delivery(member.id, kind) == expected


async def test_member_without_address_gets_no_email(mail_settings):
    member = await make_member(email=None)

    await _notify(member)

    assert await Notification.filter(member=member).count() == 1
    assert not await OutboxMessage.exists()


@pytest.mark.parametrize(
    ("state", "emailed"),
    [("active", True), ("pending", True), ("suspended", True), ("erased", False), ("rejected", False)],
)
async def test_member_state_decides_email(mail_settings, state, emailed):
    member = await make_member(state=state)

    await _notify(member, "suspended", text="Your account is suspended until 4 January.")

    assert await OutboxMessage.filter(member=member).exists() == emailed


async def test_same_idempotency_key_queues_once(mail_settings):
    member = await make_member()
    first = await email.do_queue_email(
        member, "mention", subject="Hi", template="notification",
        context={"member": member, "text": "Hi", "link": "/", "kind_label": "Mentions"},
        idempotency_key="same",
    )
    second = await email.do_queue_email(
        member, "mention", subject="Hi", template="notification",
        context={"member": member, "text": "Hi", "link": "/", "kind_label": "Mentions"},
        idempotency_key="same",
    )

    assert first is not None
    assert second is None
    assert await OutboxMessage.all().count() == 1


# Delivery ---------------------------------------------------------------------------


async def test_email_arrives_with_both_parts_and_headers(mail_settings, smtp):
    member = await make_member(display_name="Priya Natarajan")
    await _notify(member)
    row = await OutboxMessage.get(member=member)

    result = await email.do_send_due(mail_settings)

    assert result.sent == 1
    assert len(smtp.messages) == 1
    message = smtp.messages[0]
    assert message["To"] == member.email
    assert message["Subject"] == "Asha mentioned you in “Census dates”."
    assert message["Message-ID"] == row.message_id
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message["List-Unsubscribe"].startswith("<http://127.0.0.1:8000/unsubscribe/")
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert "Hello Priya Natarajan," in text
    assert "Asha mentioned you in “Census dates”." in text
    assert "<p>Hello Priya Natarajan,</p>" in html
    assert 'href="http://127.0.0.1:8000/notifications"' in html
    sent = await OutboxMessage.get(id=row.id)
    assert sent.status == OutboxState.SENT
    assert sent.sent_at is not None


async def test_html_body_escapes_notification_text(mail_settings, smtp):
    member = await make_member()
    await _notify(member, text="<script>alert(1)</script> replied")

    await email.do_send_due(mail_settings)

    html = smtp.messages[0].get_body(("html",)).get_content()
    assert "<script>" not in html
    assert "&lt;script&gt;" in html


async def test_refused_email_is_retried_with_backoff(mail_settings, smtp):
    member = await make_member()
    await _notify(member)
    smtp.handler.refusals = ["451 Try again later"]

    before = datetime.now(UTC)
    first = await email.do_send_due(mail_settings)

    assert first.retried == 1
    assert smtp.messages == []
    row = await OutboxMessage.get(member=member)
    assert row.status == OutboxState.QUEUED
    assert row.attempts == 1
    assert "451 Try again later" in row.last_error
    assert row.next_attempt_at >= before + timedelta(seconds=email.BACKOFF_BASE_SECONDS)
    # Not due yet, so nothing is claimed.
    assert (await email.do_send_due(mail_settings)).sent == 0

    await OutboxMessage.filter(id=row.id).update(next_attempt_at=datetime.now(UTC))
    second = await email.do_send_due(mail_settings)

    assert second.sent == 1
    assert len(smtp.messages) == 1
    row = await OutboxMessage.get(id=row.id)
    assert row.status == OutboxState.SENT
    assert row.attempts == 2


async def test_permanent_refusal_marks_failed(mail_settings, smtp):
    member = await make_member()
    await _notify(member)
    smtp.handler.refusals = ["550 No such mailbox"]

    result = await email.do_send_due(mail_settings)

    assert result.failed == 1
    row = await OutboxMessage.get(member=member)
    assert row.status == OutboxState.FAILED
    assert "550" in row.last_error


async def test_unreachable_server_is_retried(mail_settings):
    member = await make_member()
    await _notify(member)
    nobody_listening = replace(mail_settings, smtp_port=free_port())

    result = await email.do_send_due(nobody_listening)

    assert result.retried == 1
    assert (await OutboxMessage.get(member=member)).status == OutboxState.QUEUED


async def test_last_attempt_gives_up(mail_settings, smtp):
    member = await make_member()
    await _notify(member)
    await OutboxMessage.filter(member=member).update(attempts=email.MAX_ATTEMPTS - 1)
    smtp.handler.refusals = ["451 Try again later"]

    result = await email.do_send_due(mail_settings)

    assert result.failed == 1
    assert (await OutboxMessage.get(member=member)).status == OutboxState.FAILED


@pytest.mark.parametrize(
    ("attempts", "seconds"),
    [(1, 30), (2, 60), (3, 120), (5, 480), (12, 6 * 3600)],
)
def test_backoff_doubles_up_to_limit(attempts, seconds):
    assert email.backoff(attempts) == timedelta(seconds=seconds)


async def test_claimed_batch_is_not_claimed_again(mail_settings):
    member = await make_member()
    await _notify(member)

    first = await email.claim_batch()
    second = await email.claim_batch()

    assert [row.member_id for row in first] == [member.id]
    assert second == []


async def test_claim_with_ended_lease_is_claimed_again(mail_settings):
    member = await make_member()
    await _notify(member)
    first = await email.claim_batch(lease_seconds=60)

    later = datetime.now(UTC) + timedelta(seconds=61)
    again = await email.claim_batch(now=later)

    assert [row.id for row in again] == [first[0].id]
    assert again[0].attempts == 2
    assert again[0].claim_token != first[0].claim_token


async def test_stale_claim_cannot_record_result(mail_settings, smtp):
    """A worker whose lease ended and was reclaimed must not overwrite the new claim."""
    member = await make_member()
    await _notify(member)
    stale = (await email.claim_batch(lease_seconds=60))[0]
    await email.claim_batch(now=datetime.now(UTC) + timedelta(seconds=61))

    await email._send_one(stale, mail_settings, email.SendResult())

    row = await OutboxMessage.get(id=stale.id)
    assert row.status == OutboxState.SENDING
    assert row.claim_token != stale.claim_token


# Worker -------------------------------------------------------------------------------


async def test_worker_without_smtp_host_holds_mail(settings):
    member = await make_member()
    await _notify(member)

    await run_worker(settings, WorkerOptions(once=True))

    assert (await OutboxMessage.get(member=member)).status == OutboxState.QUEUED


async def test_worker_once_sends_queued_mail(mail_settings, smtp):
    members = [await make_member() for _ in range(3)]
    for member in members:
        await _notify(member)

    await run_worker(mail_settings, WorkerOptions(once=True))

    assert sorted(message["To"] for message in smtp.messages) == sorted(m.email for m in members)


async def test_worker_once_notifies_watchers_and_emails_them(mail_settings, smtp):
    watcher = await make_member()
    thread = await make_thread()
    await make_reply(thread, author=watcher)
    await NotificationPreference.create(member=watcher, kind="watched_reply", delivery="email")
    post = await make_reply(thread)

    await run_worker(mail_settings, WorkerOptions(once=True))

    assert await Notification.filter(member=watcher, post=post, kind="watched_reply").exists()
    sent = await OutboxMessage.get(member=watcher)
    assert (sent.kind, sent.status) == ("watched_reply", OutboxState.SENT)
    assert watcher.email in [message["To"] for message in smtp.messages]
    assert not await WatcherNotice.exists()


def _worker_process(database_url: str, smtp: SmtpServer, *extra: str) -> subprocess.Popen:
    environment = {
        **os.environ,
        **smtp.env(),
        "FORUM_ENV": "test",
        "FORUM_DATABASE_URL": database_url,
        "FORUM_SECRET_KEY": SECRET_KEY,
    }
    return subprocess.Popen(
        [sys.executable, "-m", "forum", "worker", "--poll-seconds", "0.2", *extra],
        cwd=PROJECT_ROOT,
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


async def _wait_for(condition, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if await condition():
            return True
        await asyncio.sleep(0.1)
    return False


async def test_killed_worker_delivers_each_once(database_url, mail_settings, smtp):
    """Kill -9 the worker while the SMTP server holds the first message, then restart it.

    Every message was queued and none accepted by the server when the worker died, so each
    must arrive exactly once after the restart, with the Message-ID it was queued with.
    """
    members = [await make_member() for _ in range(3)]
    for member in members:
        await _notify(member)
    smtp.handler.hold_next = True

    worker = _worker_process(database_url, smtp, "--lease-seconds", "2")
    try:
        held = await asyncio.to_thread(smtp.handler.holding.wait, 20)
        assert held, "the worker never started sending"
        worker.send_signal(signal.SIGKILL)
        worker.wait(10)
    finally:
        if worker.poll() is None:
            worker.kill()

    assert smtp.messages == []
    statuses = set(await OutboxMessage.all().values_list("status", flat=True))
    assert statuses <= {OutboxState.SENDING, OutboxState.QUEUED}

    restarted = _worker_process(database_url, smtp, "--lease-seconds", "2")
    try:
        async def all_sent():
            return await OutboxMessage.filter(status=OutboxState.SENT).count() == 3

        assert await _wait_for(all_sent, 20), restarted.stderr
    finally:
        restarted.send_signal(signal.SIGTERM)
        assert restarted.wait(10) == 0

    delivered = sorted(message["Message-ID"] for message in smtp.messages)
    queued = sorted(await OutboxMessage.all().values_list("message_id", flat=True))
    assert delivered == queued
    assert sorted(message["To"] for message in smtp.messages) == sorted(m.email for m in members)


def _read_until(process: subprocess.Popen, text: bytes) -> bool:
    for line in process.stderr:
        if text in line:
            return True
    return False


async def test_crash_after_acceptance_resends_once(mail_settings, smtp):
    """The documented limit: a crash between the server's 250 and the UPDATE sends twice."""
    member = await make_member()
    await _notify(member)
    claimed = (await email.claim_batch(lease_seconds=60))[0]
    # The server accepts, then the worker dies before it records the row as sent.
    await email._send(email.build_message(claimed, mail_settings), mail_settings)

    assert await email.claim_batch() == [], "claimed again while the lease was running"
    await OutboxMessage.filter(id=claimed.id).update(lease_until=datetime.now(UTC) - timedelta(seconds=1))
    result = await email.do_send_due(mail_settings)

    assert result.sent == 1
    assert [message["Message-ID"] for message in smtp.messages] == [claimed.message_id] * 2
    assert (await OutboxMessage.get(id=claimed.id)).status == OutboxState.SENT


async def test_worker_stops_on_sigterm(database_url, smtp):
    worker = _worker_process(database_url, smtp)
    try:
        started = await asyncio.wait_for(asyncio.to_thread(_read_until, worker, b"worker started"), 20)
        assert started
        worker.send_signal(signal.SIGTERM)
        code = await asyncio.to_thread(worker.wait, 10)
    finally:
        if worker.poll() is None:
            worker.kill()

    assert code == 0
    assert b"worker stopped" in worker.stderr.read()
