"""In-app notifications: writing them for other areas, listing them, marking them read.

Other services call :func:`do_notify` inside their own transaction, so a notification is
stored if and only if the change it reports is.
"""

import logging
from dataclasses import dataclass
from datetime import UTC, datetime

from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from forum.auth.policy import Action, can, require
from forum.services import email
from forum.services.browsing import decode_cursor, encode_cursor
from models import Delivery, Member, Notification, NotificationKind, ThreadState, Watch

logger = logging.getLogger(__name__)

NOTIFICATIONS_PER_PAGE = 30
TEXT_MAX = 300

__all__ = [
    "NotificationKind",
    "NotificationPage",
    "count_unread",
    "do_mark_all_read",
    "do_mark_read",
    "do_notify",
    "list_notifications",
]


async def do_notify(
    member_id: int,
    kind: str,
    *,
    actor_id: int | None = None,
    thread_id: int | None = None,
    post_id: int | None = None,
    text: str,
    data: dict | None = None,
    email_later: bool = False,
) -> None:
    """Store a notification for ``member_id``, unless that member is the actor.

    ``kind`` is a :class:`NotificationKind` value or another area's own short string.
    ``text`` is plain text, cut to 300 characters. Call it inside the transaction of the
    change it reports. The member's preference for ``kind`` decides whether it is stored,
    and whether an email is queued in the outbox too. A thread the member muted sends nothing.
    ``email_later`` leaves the email to the worker, which queues it when it handles the
    post's watcher notice, so the caller must have queued one.
    """
    if actor_id is not None and member_id == actor_id:
        return
    # A muted thread sends nothing, and a kind turned off is not stored at all.
    delivery = await email.get_delivery(member_id, str(kind), thread_id=thread_id)
    if delivery == Delivery.OFF:
        return

    notification = await Notification.create(
        member_id=member_id,
        kind=str(kind)[:40],
        actor_id=actor_id,
        thread_id=thread_id,
        post_id=post_id,
        text=_shorten(text),
        data=data or {},
    )
    logger.debug("notification stored", extra={"member_id": member_id, "kind": str(kind)})
    if delivery == Delivery.EMAIL and not email_later:
        await email.do_email_notification(notification)


def _shorten(text: str) -> str:
    text = " ".join(text.split())
    if len(text) <= TEXT_MAX:
        return text
    return text[: TEXT_MAX - 1].rstrip() + "…"


@dataclass
class NotificationPage:
    notifications: list[Notification]
    next_cursor: str | None


async def list_notifications(
    member: Member, cursor: str | None = None, *, limit: int = NOTIFICATIONS_PER_PAGE
) -> NotificationPage:
    """List a member's notifications, newest first, one keyset page at a time, in one query.

    Each notification gets ``link_visible``: False when its thread or post is now hidden
    from the member, so the page shows the text without a link to it.
    """
    require(member, Action.VIEW_NOTIFICATIONS)
    query = Notification.filter(member_id=member.id)

    position = decode_cursor(cursor)
    if position:
        moment, notification_id = position
        query = query.filter(
            Q(created_at__lt=moment) | Q(created_at=moment, id__lt=notification_id)
        )

    rows = await (
        query.order_by("-created_at", "-id")
        .limit(limit + 1)
        .select_related("actor", "thread", "post")
    )
    sees_hidden = can(member, Action.VIEW_HIDDEN_CONTENT)
    for row in rows:
        row.link_visible = sees_hidden or _is_visible(row)

    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        next_cursor = encode_cursor(rows[-1].created_at, rows[-1].id)
    return NotificationPage(notifications=rows, next_cursor=next_cursor)


def _is_visible(notification: Notification) -> bool:
    thread, post = notification.thread, notification.post
    if thread is not None and thread.state == ThreadState.HIDDEN:
        return False
    return post is None or not post.is_hidden


async def count_unread(member: Member | None) -> int:
    """Return how many notifications the member has not read, in one COUNT query (0 if anonymous)."""
    if member is None:
        return 0
    return await Notification.filter(member_id=member.id, read_at__isnull=True).count()


async def do_mark_read(member: Member, notification_id: int) -> Notification | None:
    """Mark one of the member's notifications read and return it, or None if it is not theirs."""
    require(member, Action.MARK_NOTIFICATIONS_READ)
    notification = await Notification.filter(id=notification_id, member_id=member.id).first()
    if notification is None:
        return None

    if notification.read_at is None:
        notification.read_at = datetime.now(UTC)
        async with in_transaction():
            await Notification.filter(id=notification.id, read_at__isnull=True).update(
                read_at=notification.read_at
            )
            # Read, it no longer stands for the thread's next replies (see Watch).
            await Watch.filter(unread_notification_id=notification.id).update(unread_notification_id=None)
    return notification


async def do_mark_all_read(member: Member) -> int:
    """Mark every unread notification of the member read; return how many changed."""
    require(member, Action.MARK_NOTIFICATIONS_READ)
    async with in_transaction():
        changed = await Notification.filter(member_id=member.id, read_at__isnull=True).update(
            read_at=datetime.now(UTC)
        )
        await Watch.filter(member_id=member.id, unread_notification_id__isnull=False).update(
            unread_notification_id=None
        )
    logger.info("notifications marked read", extra={"member_id": member.id, "count": changed})
    return changed
