"""Email: routing notifications by preference, the durable outbox, and sending over SMTP.

Delivery guarantee. A message is queued in the transaction of the change it reports, so it
exists if and only if that change does. The worker claims a batch by marking rows
``sending`` with a claim token and a lease, sends each, then marks it ``sent``. A worker
that dies between the SMTP server accepting a message and that last UPDATE leaves the row
``sending``. Once its lease ends another worker sends it again. So delivery is
at-least-once, never at-most-once: a duplicate is possible only for a crash in that short
window, and every attempt carries the same ``Message-ID`` so the receiving server or the
mail client can drop the copy. A crash before the SMTP server accepts (including between
queueing and sending) never duplicates a message.
"""

import logging
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import formataddr

import aiosmtplib
import jinja2
from itsdangerous import BadSignature, URLSafeSerializer
from tortoise import connections
from tortoise.exceptions import IntegrityError
from tortoise.expressions import F, Q

from forum.config import PROJECT_ROOT, Settings
from forum.db import Parameters
from models import (
    Delivery,
    Member,
    MemberState,
    Notification,
    NotificationPreference,
    OutboxMessage,
    OutboxState,
    WatchLevel,
    WatchTarget,
)

logger = logging.getLogger(__name__)

# Kinds whose email a member can choose, with the label on the preferences page and the
# delivery used until the member chooses. Kinds not listed are in-app only.
KIND_LABELS = {
    "reply": "Replies to your threads and posts",
    "watched_reply": "Replies in threads you watch",
    "new_thread": "New threads in skill areas and roles you watch",
    "mention": "Mentions of you",
    "answer_accepted": "Your answer accepted",
    "duplicate_suggested": "Duplicate suggestions on your questions",
    "duplicate_accepted": "Your questions closed as duplicates",
    "mentoring_request": "Mentoring requests",
    "mentoring_decision": "Decisions on mentoring requests",
    "mentoring_agreement": "Mentoring agreements",
    "mentoring_session": "Mentoring sessions logged",
    "mentoring_message": "Messages in your mentorship",
    "mentoring_reminder": "Mentoring reminders",
    "mentoring_expired": "Expired mentoring requests",
    "mentoring_closed": "Mentorships closed",
    "mentoring_suggestion": "Suggested mentoring matches",
    "endorsement_received": "Endorsements of your skills",
    "endorsement_reciprocal": "Endorsements returned",
    "flag_outcome": "Outcomes of your flags",
    "held_post_decided": "Decisions on your held posts",
    "suspended": "Your account suspended",
    "suspension_lifted": "Your suspension lifted",
    "silenced": "Your account silenced",
    "silence_lifted": "Your silence lifted",
    "warning": "Warnings from moderators",
    "membership_approved": "Your membership approved",
}
DEFAULT_DELIVERY = {
    "reply": Delivery.EMAIL,
    "watched_reply": Delivery.DIGEST,
    "new_thread": Delivery.DIGEST,
    "mention": Delivery.EMAIL,
    "answer_accepted": Delivery.EMAIL,
    "mentoring_request": Delivery.EMAIL,
    "mentoring_decision": Delivery.EMAIL,
    "mentoring_message": Delivery.EMAIL,
    "flag_outcome": Delivery.IN_APP,
    "held_post_decided": Delivery.EMAIL,
    "endorsement_received": Delivery.DIGEST,
    "suspended": Delivery.EMAIL,
    "suspension_lifted": Delivery.EMAIL,
    "silenced": Delivery.EMAIL,
    "silence_lifted": Delivery.EMAIL,
    "warning": Delivery.EMAIL,
    "membership_approved": Delivery.EMAIL,
}
# The kind in unsubscribe links from a digest: unsubscribing turns digests off.
DIGEST_KIND = "digest"

MAX_ATTEMPTS = 8
BACKOFF_BASE_SECONDS = 30
BACKOFF_MAX_SECONDS = 6 * 3600
LEASE_SECONDS = 300
BATCH_SIZE = 20

_templates = jinja2.Environment(
    loader=jinja2.FileSystemLoader(PROJECT_ROOT / "templates" / "email"),
    autoescape=jinja2.select_autoescape(["html"]),
    undefined=jinja2.StrictUndefined,
)
_settings = Settings()


def configure(settings: Settings) -> None:
    """Set the settings used for links, signing and SMTP. The app and the worker call it."""
    global _settings
    _settings = settings


def current_settings() -> Settings:
    return _settings


# Preferences and routing ------------------------------------------------------------


def default_delivery(kind: str) -> Delivery:
    return DEFAULT_DELIVERY.get(kind, Delivery.IN_APP)


async def get_delivery(member_id: int, kind: str, *, thread_id: int | None = None) -> Delivery:
    """Return how ``kind`` reaches the member: their stored choice or the kind's default.

    With ``thread_id``, a thread the member muted gives ``OFF``. Either way it is one query.
    """
    if thread_id is None:
        stored = await NotificationPreference.filter(member_id=member_id, kind=kind).values_list(
            "delivery", flat=True
        )
        return Delivery(stored[0]) if stored else default_delivery(kind)

    connection = connections.get("default")
    mark = Parameters(connection.capabilities.dialect)
    rows = await connection.execute_query_dict(
        "SELECT (SELECT delivery FROM notification_preference "
        f"WHERE member_id = {mark(member_id)} AND kind = {mark(kind)}) AS delivery, "
        f"EXISTS (SELECT 1 FROM watch WHERE member_id = {mark(member_id)} "
        f"AND target_type = {mark(WatchTarget.THREAD.value)} AND target_id = {mark(thread_id)} "
        f"AND level = {mark(WatchLevel.MUTED.value)}) AS muted",
        mark.values,
    )
    if rows[0]["muted"]:
        return Delivery.OFF
    return Delivery(rows[0]["delivery"]) if rows[0]["delivery"] else default_delivery(kind)


def receives_email(member: Member) -> bool:
    """Return whether the member can get email: an address, not imported, erased or rejected."""
    if not member.email or member.is_imported:
        return False
    return member.state not in {MemberState.ERASED, MemberState.REJECTED}


async def do_email_notification(notification) -> OutboxMessage | None:
    """Queue the email for a notification stored in the caller's transaction.

    Returns None when the member has no address, was imported, or is erased or rejected.
    Suspended members still get email, so that they hear about their suspension.
    """
    member = await Member.get(id=notification.member_id)
    if not receives_email(member):
        return None
    return await do_queue_email(
        member,
        notification.kind,
        subject=notification.text[:200],
        template=notification.kind,
        context=_notification_context(member, notification),
        idempotency_key=f"notification:{notification.id}",
        new_key=True,
    )


async def render_notification_email(notification) -> OutboxMessage | None:
    """Render the email for a notification stored earlier into an unsaved outbox row.

    Returns None when the member cannot get email (as :func:`do_email_notification`) or the
    email is already queued. The worker renders before it takes the write lock, and saves
    the rows in its transaction.
    """
    member = await Member.get(id=notification.member_id)
    if not receives_email(member):
        return None
    key = f"notification:{notification.id}"
    if await OutboxMessage.filter(idempotency_key=key).exists():
        return None
    return _outbox_row(
        member,
        notification.kind,
        subject=notification.text[:200],
        template=notification.kind,
        context=_notification_context(member, notification),
        idempotency_key=key,
    )


def _notification_context(member: Member, notification) -> dict:
    return {
        "member": member,
        "text": notification.text,
        "link": _absolute(notification_path(notification)),
        "kind_label": KIND_LABELS.get(notification.kind, "Notification"),
    }


async def do_notify_members(
    members: list[Member],
    kind: str,
    *,
    actor_id: int,
    thread_id: int,
    post_id: int,
    text: str,
) -> None:
    """Store one notification per member and queue the emails, in a fixed number of queries.

    The caller has already left out members who muted the thread. Like ``do_notify``, each
    member's preference for ``kind`` decides whether the notification is stored and mailed.
    """
    stored = dict(
        await NotificationPreference.filter(
            member_id__in=[member.id for member in members], kind=kind
        ).values_list("member_id", "delivery")
    )
    deliveries = {member.id: stored.get(member.id, default_delivery(kind)) for member in members}
    receiving = [member for member in members if deliveries[member.id] != Delivery.OFF]
    text = " ".join(text.split())[:300]
    await Notification.bulk_create(
        [
            Notification(
                member_id=member.id, kind=kind, actor_id=actor_id, thread_id=thread_id,
                post_id=post_id, text=text, data={},
            )
            for member in receiving
        ]
    )

    mailed = [member for member in receiving if deliveries[member.id] == Delivery.EMAIL]
    await do_queue_notification_emails(mailed, kind, post_id=post_id, text=text)


async def do_queue_notification_emails(
    members: list[Member], kind: str, *, post_id: int, text: str
) -> None:
    """Queue one email about a post to each member who chose email for ``kind``.

    The caller has chosen the members. Those who cannot get email are skipped, and a
    message already queued for the same post and member is not queued twice.
    """
    rows = await render_notification_emails(members, kind, post_id=post_id, text=text)
    if not rows:
        return
    await OutboxMessage.bulk_create(rows)
    logger.info("emails queued", extra={"count": len(rows), "kind": kind, "post_id": post_id})


async def render_notification_emails(
    members: list[Member], kind: str, *, post_id: int, text: str
) -> list[OutboxMessage]:
    """Render the emails :func:`do_queue_notification_emails` would queue, as unsaved rows."""
    mailed = [member for member in members if receives_email(member)]
    if not mailed:
        return []
    keys = {member.id: f"notification:{kind}:{post_id}:{member.id}" for member in mailed}
    already = set(
        await OutboxMessage.filter(idempotency_key__in=list(keys.values())).values_list(
            "idempotency_key", flat=True
        )
    )
    link = _absolute(f"/posts/{post_id}")
    return [
        _outbox_row(
            member,
            kind,
            subject=text[:200],
            template=kind,
            context={
                "member": member,
                "text": text,
                "link": link,
                "kind_label": KIND_LABELS.get(kind, "Notification"),
            },
            idempotency_key=keys[member.id],
        )
        for member in mailed
        if keys[member.id] not in already
    ]


def notification_path(notification) -> str:
    if notification.post_id is not None:
        return f"/posts/{notification.post_id}"
    if notification.thread_id is not None:
        return f"/threads/{notification.thread_id}"
    path = (notification.data or {}).get("url", "")
    if isinstance(path, str) and path.startswith("/") and not path.startswith(("//", "/\\")):
        return path
    return "/notifications"


def _absolute(path: str) -> str:
    return _settings.base_url + path


# Queueing -----------------------------------------------------------------------------


def render_email(template: str, context: dict) -> tuple[str, str]:
    """Render the plain-text and HTML bodies, from ``<template>.txt`` and ``.html``.

    A kind without its own templates uses ``notification.txt`` and ``notification.html``.
    """
    names = [f"{template}.txt", "notification.txt"]
    text = _templates.select_template(names).render(context)
    html = _templates.select_template([f"{template}.html", "notification.html"]).render(context)
    return text, html


async def do_queue_email(
    member: Member,
    kind: str,
    *,
    subject: str,
    template: str,
    context: dict,
    idempotency_key: str,
    new_key: bool = False,
) -> OutboxMessage | None:
    """Store one email in the outbox, with unsubscribe links for ``kind``.

    Call inside the transaction of the change it reports. A second call with the same
    ``idempotency_key`` stores nothing and returns None. ``new_key`` says the key names a
    row created in this transaction, so it cannot have been used and is not looked up.
    """
    if not new_key and await OutboxMessage.filter(idempotency_key=idempotency_key).exists():
        return None
    try:
        message = _outbox_row(
            member, kind, subject=subject, template=template, context=context,
            idempotency_key=idempotency_key,
        )
        await message.save()
    except IntegrityError:
        # NOTE: on PostgreSQL this aborts the caller's transaction. The exists() check above
        # makes the race rare, and only two writers queueing the same key at once reach it.
        logger.info("email already queued", extra={"idempotency_key": idempotency_key})
        return None
    logger.info("email queued", extra={"outbox_id": message.id, "kind": kind, "member_id": member.id})
    return message


def _outbox_row(
    member: Member, kind: str, *, subject: str, template: str, context: dict, idempotency_key: str
) -> OutboxMessage:
    """Render an email for ``member`` into an unsaved outbox row with its unsubscribe headers."""
    unsubscribe_url = _absolute(f"/unsubscribe/{make_unsubscribe_token(member.id, kind)}")
    context = {
        **context,
        "site_name": _settings.site_name,
        "unsubscribe_url": unsubscribe_url,
        "preferences_url": _absolute("/account/notifications"),
    }
    text, html = render_email(template, context)
    domain = _settings.mail_from.rpartition("@")[2] or "localhost"
    headers = {
        "List-Unsubscribe": f"<{unsubscribe_url}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        "Auto-Submitted": "auto-generated",
    }
    return OutboxMessage(
        to_address=member.email,
        subject=" ".join(subject.split())[:300],
        text=text,
        html=html,
        headers=headers,
        kind=kind,
        member_id=member.id,
        next_attempt_at=datetime.now(UTC),
        idempotency_key=idempotency_key,
        message_id=f"<outbox.{secrets.token_hex(12)}@{domain}>",
    )


# Unsubscribe --------------------------------------------------------------------------


def _signer() -> URLSafeSerializer:
    return URLSafeSerializer(_settings.secret_key, salt="forum.unsubscribe")


def make_unsubscribe_token(member_id: int, kind: str) -> str:
    """Sign a member id and kind. The token does not expire, because old emails keep working."""
    return _signer().dumps([member_id, kind])


def read_unsubscribe_token(token: str) -> tuple[int, str] | None:
    """Return the member id and kind in a token, or None when it is tampered with or malformed."""
    try:
        value = _signer().loads(token)
    except BadSignature:
        return None
    if (
        not isinstance(value, list)
        or len(value) != 2
        or not isinstance(value[0], int)
        or not isinstance(value[1], str)
    ):
        return None
    return value[0], value[1]


# Sending ------------------------------------------------------------------------------


@dataclass
class SendResult:
    sent: int = 0
    retried: int = 0
    failed: int = 0


def backoff(attempts: int) -> timedelta:
    """Return the wait before attempt ``attempts + 1``: 30 s, doubling, at most 6 hours."""
    return timedelta(seconds=min(BACKOFF_BASE_SECONDS * 2 ** max(attempts - 1, 0), BACKOFF_MAX_SECONDS))


async def claim_batch(
    *, limit: int = BATCH_SIZE, lease_seconds: int = LEASE_SECONDS, now: datetime | None = None
) -> list[OutboxMessage]:
    """Mark up to ``limit`` due messages ``sending`` under a new claim token and return them.

    Due means queued with ``next_attempt_at`` passed, or sending with an ended lease (a
    worker died). The UPDATE re-checks that condition per row, so two workers racing for
    a row never both claim it.
    """
    now = now or datetime.now(UTC)
    due = Q(status=OutboxState.QUEUED, next_attempt_at__lte=now) | Q(
        status=OutboxState.SENDING, lease_until__lt=now
    )
    ids = await OutboxMessage.filter(due).order_by("next_attempt_at", "id").limit(limit).values_list(
        "id", flat=True
    )
    if not ids:
        return []
    token = secrets.token_hex(16)
    await OutboxMessage.filter(due, id__in=list(ids)).update(
        status=OutboxState.SENDING,
        claim_token=token,
        lease_until=now + timedelta(seconds=lease_seconds),
        attempts=F("attempts") + 1,
    )
    return list(await OutboxMessage.filter(claim_token=token).order_by("id"))


def build_message(row: OutboxMessage, settings: Settings) -> EmailMessage:
    message = EmailMessage()
    message["From"] = formataddr((settings.site_name, settings.mail_from))
    message["To"] = row.to_address
    message["Subject"] = row.subject
    message["Message-ID"] = row.message_id
    for name, value in (row.headers or {}).items():
        message[name] = value
    message.set_content(row.text)
    message.add_alternative(row.html, subtype="html")
    return message


async def _send(message: EmailMessage, settings: Settings) -> None:
    await aiosmtplib.send(
        message,
        hostname=settings.smtp_host,
        port=settings.smtp_port,
        username=settings.smtp_username or None,
        password=settings.smtp_password or None,
        start_tls=settings.smtp_starttls,
        timeout=30,
    )


async def do_send_due(
    settings: Settings | None = None, *, lease_seconds: int = LEASE_SECONDS
) -> SendResult:
    """Claim one batch of due messages, send each, and return how many were sent, retried and failed."""
    settings = settings or _settings
    result = SendResult()
    for row in await claim_batch(lease_seconds=lease_seconds):
        await _send_one(row, settings, result)
    return result


async def _send_one(row: OutboxMessage, settings: Settings, result: SendResult) -> None:
    try:
        await _send(build_message(row, settings), settings)
    except aiosmtplib.SMTPResponseException as error:
        permanent = 500 <= error.code < 600
        await _record_failure(row, f"{error.code} {error.message}", permanent, result)
        return
    except (aiosmtplib.SMTPException, OSError, TimeoutError) as error:
        await _record_failure(row, f"{type(error).__name__}: {error}", False, result)
        return

    now = datetime.now(UTC)
    await OutboxMessage.filter(id=row.id, claim_token=row.claim_token).update(
        status=OutboxState.SENT, sent_at=now, lease_until=None, last_error=""
    )
    result.sent += 1
    logger.info("email sent", extra={"outbox_id": row.id, "attempts": row.attempts})


async def _record_failure(row: OutboxMessage, error: str, permanent: bool, result: SendResult) -> None:
    gives_up = permanent or row.attempts >= MAX_ATTEMPTS
    changes = {"last_error": error[:500], "lease_until": None}
    if gives_up:
        changes["status"] = OutboxState.FAILED
        result.failed += 1
        logger.error(
            "email failed, giving up",
            extra={"outbox_id": row.id, "attempts": row.attempts, "error": error[:200]},
        )
    else:
        changes["status"] = OutboxState.QUEUED
        changes["next_attempt_at"] = datetime.now(UTC) + backoff(row.attempts)
        result.retried += 1
        logger.warning(
            "email send failed, will retry",
            extra={"outbox_id": row.id, "attempts": row.attempts, "error": error[:200]},
        )
    await OutboxMessage.filter(id=row.id, claim_token=row.claim_token).update(**changes)
