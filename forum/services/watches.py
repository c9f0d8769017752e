"""Watch levels for threads, skill areas and roles, and the notifications they send.

A member watches a thread they start or reply to, unless they already chose a level for it.
``watching`` a thread notifies every reply, ``watching`` a skill area or role notifies every
new thread in it, ``normal`` notifies only what concerns the member directly (replies to
them and mentions), and ``muted`` sends nothing about that thread at all.

Watchers hear of a post from the worker: saving the post queues a ``WatcherNotice``, and
the worker writes the notifications and emails at its next poll (every 2 seconds by default).
The same pass queues the emails of the post's own notifications, to the members it replies
to or mentions: the request stores those notifications and leaves their emails to the worker.
"""

import logging
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from tortoise.transactions import in_transaction

from forum.auth.policy import Action, can, require
from forum.db import Parameters
from forum.errors import ValidationFailed
from forum.services import email, live
from models import (
    Member,
    MemberState,
    Notification,
    NotificationKind,
    OutboxMessage,
    Post,
    Role,
    SkillArea,
    Thread,
    Watch,
    WatcherNotice,
    WatchLevel,
    WatchTarget,
)

logger = logging.getLogger(__name__)


async def get_watch_level(member: Member | None, target_type: str, target_id: int) -> str:
    """Return the member's level for a target, ``normal`` when they chose none (one query)."""
    if member is None:
        return WatchLevel.NORMAL
    levels = await Watch.filter(
        member_id=member.id, target_type=target_type, target_id=target_id
    ).values_list("level", flat=True)
    return levels[0] if levels else WatchLevel.NORMAL


async def do_set_watch_level(member: Member, target_type: str, target_id: int, level: str) -> None:
    """Store the member's level for a thread, skill area or role they can see."""
    require(member, Action.SET_WATCH_LEVEL)
    if level not in set(WatchLevel):
        raise ValidationFailed({"level": "Choose watching, normal or muted."})
    if target_type not in set(WatchTarget):
        raise ValidationFailed({"level": "You can watch only a thread, a skill area or a role."})
    await _check_target(member, target_type, target_id)

    updated = await Watch.filter(
        member_id=member.id, target_type=target_type, target_id=target_id
    ).update(level=level)
    if not updated:
        await Watch.create(
            member_id=member.id, target_type=target_type, target_id=target_id, level=level
        )
    logger.info(
        "watch level set",
        extra={"member_id": member.id, "target_type": target_type, "target_id": target_id, "level": level},
    )


async def _check_target(member: Member, target_type: str, target_id: int) -> None:
    from forum.errors import NotFound

    if target_type == WatchTarget.THREAD:
        thread = await Thread.filter(id=target_id).first()
        if thread is None or not can(member, Action.VIEW_THREAD, thread):
            raise NotFound()
    elif target_type == WatchTarget.SKILL_AREA:
        if not await SkillArea.filter(id=target_id).exists():
            raise NotFound()
    elif not await Role.filter(id=target_id).exists():
        raise NotFound()


async def do_watch_own_post(member: Member, thread_id: int) -> None:
    """Watch a thread the member started or replied to, keeping any level they chose before.

    One statement, as it runs inside every reply's transaction.
    """
    connection = _connection()
    mark = Parameters(connection.capabilities.dialect)
    await connection.execute_query(
        "INSERT INTO watch (member_id, target_type, target_id, level, created_at) VALUES "
        f"({mark(member.id)}, {mark(WatchTarget.THREAD.value)}, {mark(thread_id)}, "
        f"{mark(WatchLevel.WATCHING.value)}, {mark(datetime.now(UTC))}) "
        "ON CONFLICT (member_id, target_type, target_id) DO NOTHING",
        mark.values,
    )


async def do_queue_watcher_notices(post: Post) -> None:
    """Queue the notifications to watchers of a new post, inside the transaction that stores it.

    The worker sends them (:func:`do_send_watcher_notices`), so a reply costs the same however
    many people watch its thread. A held post queues nothing until a moderator approves it.
    """
    await WatcherNotice.create(post_id=post.id)


# The first key of PostgreSQL's advisory lock on a thread's watched-reply notices.
WATCHED_REPLY_LOCK = 0x5752

# Posts handled in one batch by the worker. Its transaction keeps SQLite's write lock until
# it commits, so a batch stays small enough not to delay replies saved meanwhile.
NOTICE_BATCH = 10

# How long a worker may hold notices before another may take them, as when it has died.
NOTICE_LEASE = timedelta(minutes=5)


@dataclass
class _PostNotices:
    """The notifications and emails of one queued post, worked out before the write lock is taken."""

    post: Post
    kind: str
    text: str
    targets: list[tuple[str, list[int]]]
    emails: list[OutboxMessage] = field(default_factory=list)
    # A held or hidden thread: only some watchers may see it, so the transaction checks each.
    restricted: bool = False


async def do_send_watcher_notices(limit: int = NOTICE_BATCH) -> int:
    """Notify the watchers of up to ``limit`` queued posts; return how many notices were handled.

    The notices are leased, their emails rendered with no transaction open, and then they are
    deleted in a short transaction that only writes, so SQLite's write lock, which every reply
    needs, is held for the writes alone. When a batch fails, its notices are tried one at a
    time, and one that fails on its own is logged and dropped so that it cannot hold up the rest.
    """
    token = secrets.token_hex(16)
    leased = await _lease_notices(limit, token)
    if not leased:
        return 0
    try:
        sent = await _send_leased(leased, token)
    except Exception:
        logger.exception("watcher notices failed as a batch, so they are sent one at a time")
        await WatcherNotice.filter(lease_token=token).update(lease_until=None, lease_token=None)
        return await _send_one_at_a_time(len(leased))
    await _announce_unread(sent)
    return len(leased)


async def _send_one_at_a_time(limit: int) -> int:
    handled = 0
    while handled < limit:
        token = secrets.token_hex(16)
        leased = await _lease_notices(1, token)
        if not leased:
            break
        try:
            sent = await _send_leased(leased, token)
        except Exception:
            logger.exception(
                "watcher notice dropped after failing on its own",
                extra={"post_ids": [post_id for _, post_id in leased]},
            )
            await WatcherNotice.filter(lease_token=token).delete()
            sent = []
        await _announce_unread(sent)
        handled += len(leased)
    return handled


async def _lease_notices(limit: int, token: str) -> list[tuple[int, int]]:
    """Lease up to ``limit`` of the oldest notices not under a current lease; return (id, post id) pairs.

    The lease is one UPDATE, committed at once, so workers running at once lease different notices.
    """
    connection = _connection()
    dialect = connection.capabilities.dialect
    now = datetime.now(UTC)
    mark = Parameters(dialect)
    lease = f"lease_until = {mark(now + NOTICE_LEASE)}, lease_token = {mark(token)}"
    oldest = (
        f"SELECT id FROM watcher_notice WHERE lease_until IS NULL OR lease_until < {mark(now)} "
        f"ORDER BY id LIMIT {mark(limit)}"
    )
    if dialect == "postgres":
        # ARRAY(...) runs the choice once: as "id IN (...)" PostgreSQL may run it again for
        # each row it updates, and each run skips the rows the last one locked, so more than
        # ``limit`` notices were leased. SKIP LOCKED lets workers at once take different rows.
        chosen = f"id = ANY(ARRAY({oldest} FOR UPDATE SKIP LOCKED))"
    else:
        chosen = f"id IN ({oldest})"
    rows = await connection.execute_query_dict(
        f"UPDATE watcher_notice SET {lease} WHERE {chosen} RETURNING id, post_id", mark.values
    )
    return sorted((row["id"], row["post_id"]) for row in rows)


async def _send_leased(leased: list[tuple[int, int]], token: str) -> list[Post]:
    """Send the leased notices; return the posts whose watchers were notified.

    A post hidden or held since it was queued notifies no one, and approving a held post
    queues it again. A notice whose lease ended and went to another worker is left to it.
    """
    post_ids = sorted({post_id for _, post_id in leased})
    posts = await Post.filter(id__in=post_ids, is_hidden=False, held_for_review=False).select_related(
        "thread", "author"
    ).order_by("id")
    prepared = [await _prepare_post_notices(post) for post in posts]

    async with in_transaction():
        # Taken inside the transaction, so that these statements run in it.
        connection = _connection()
        mark = Parameters(connection.capabilities.dialect)
        ids = ", ".join(mark(notice_id) for notice_id, _ in leased)
        # The DELETE comes first, so on SQLite the transaction takes the write lock before it
        # reads anything.
        rows = await connection.execute_query_dict(
            f"DELETE FROM watcher_notice WHERE id IN ({ids}) AND lease_token = {mark(token)} "
            "RETURNING post_id",
            mark.values,
        )
        still_ours = {row["post_id"] for row in rows}
        prepared = [notices for notices in prepared if notices.post.id in still_ours]
        emails = [row for notices in prepared for row in notices.emails]
        if emails:
            await OutboxMessage.bulk_create(emails)
        for notices in prepared:
            await _write_post_notices(notices)
    return [notices.post for notices in prepared]


async def _prepare_post_notices(post: Post) -> _PostNotices:
    """Work out whom ``post`` notifies by watch, and render the emails it sends.

    The emails are those a new post's reply and mention notifications left to the worker,
    and those of the watchers who chose email.
    """
    member, thread = post.author, post.thread
    if post.number > 1:
        kind = NotificationKind.WATCHED_REPLY
        text = f"{member.display_name} replied in “{thread.title}”."
        targets = [(WatchTarget.THREAD, [thread.id])]
    else:
        role_ids = await Thread.filter(id=thread.id).values_list("audience_roles__id", flat=True)
        kind = NotificationKind.NEW_THREAD
        text = f"{member.display_name} started “{thread.title}”."
        targets = [
            (WatchTarget.SKILL_AREA, [thread.skill_area_id]),
            (WatchTarget.ROLE, [role_id for role_id in role_ids if role_id is not None]),
        ]
    notices = _PostNotices(post, kind, " ".join(text.split())[:300], targets)
    notices.emails = await _render_direct_emails(post)
    if not can(None, Action.VIEW_THREAD, thread):
        notices.restricted = True
        return notices

    mailed = await _load_watchers(member, thread, post, kind, targets, email_only=True)
    notices.emails += await email.render_notification_emails(
        mailed, kind, post_id=post.id, text=notices.text
    )
    return notices


async def _render_direct_emails(post: Post) -> list[OutboxMessage]:
    """Render the emails that a new post's reply and mention notifications left to the worker.

    Each member's choice is read again, so one who has since muted the thread or turned the
    email off gets none. A mention added by an edit before the worker ran was emailed at
    once, and its idempotency key keeps it from going twice.
    """
    notifications = await Notification.filter(
        post_id=post.id, kind__in=[NotificationKind.REPLY, NotificationKind.MENTION]
    )
    rows = []
    for notification in notifications:
        delivery = await email.get_delivery(
            notification.member_id, notification.kind, thread_id=post.thread_id
        )
        if delivery != email.Delivery.EMAIL:
            continue
        row = await email.render_notification_email(notification)
        if row is not None:
            rows.append(row)
    return rows


async def _write_post_notices(notices: _PostNotices) -> None:
    """Write the watchers' notifications for one post, inside the caller's transaction.

    A reply notifies the thread's watchers. An opening post notifies watchers of the
    thread's skill area and roles. Members already notified about this post (as its
    replied-to author or a mention) get nothing more, and neither does the writer nor
    anyone who muted the thread, nor anyone whose preference for the kind is off.
    One INSERT ... SELECT writes the in-app notifications, whatever their number.
    """
    post, kind, text, targets = notices.post, notices.kind, notices.text, notices.targets
    member, thread = post.author, post.thread
    if notices.restricted:
        watchers = await _load_watchers(member, thread, post, kind, targets, email_only=False)
        watchers = [watcher for watcher in watchers if can(watcher, Action.VIEW_THREAD, thread)]
        await email.do_notify_members(
            watchers, kind, actor_id=member.id, thread_id=thread.id, post_id=post.id, text=text
        )
        return

    inserted = await _insert_watcher_notifications(member, thread, post, kind, targets, text)
    logger.info(
        "watchers notified",
        extra={"post_id": post.id, "kind": kind, "notified": inserted, "emails": len(notices.emails)},
    )


async def _announce_unread(posts: list[Post]) -> None:
    """Tell the open streams of the watchers just notified that their unread count changed."""
    if not posts or live.get_broker() is None:
        return
    member_ids = await Notification.filter(
        post_id__in=[post.id for post in posts],
        kind__in=[NotificationKind.WATCHED_REPLY, NotificationKind.NEW_THREAD],
    ).values_list("member_id", flat=True)
    await live.announce_unread(member_ids)


def _watcher_conditions(member: Member, thread: Thread, post: Post, kind: str, targets, mark):
    """Return the WHERE clause that picks who gets this post's watcher notification.

    ``mark`` adds a parameter and returns its placeholder, so the same clause serves both
    databases' parameter styles.
    """
    target_sql = " OR ".join(
        f"(w.target_type = {mark(target_type.value)} AND w.target_id IN ({', '.join(mark(i) for i in ids)}))"
        for target_type, ids in targets
        if ids
    )
    where = (
        f"({target_sql}) AND w.level = {mark(WatchLevel.WATCHING.value)} "
        # Only watches made before the post count, because the worker sends later.
        f"AND w.created_at <= (SELECT p0.created_at FROM post p0 WHERE p0.id = {mark(post.id)}) "
        f"AND w.member_id <> {mark(member.id)} AND m.state <> {mark(MemberState.ERASED.value)} "
        f"AND NOT EXISTS (SELECT 1 FROM notification n WHERE n.post_id = {mark(post.id)} "
        "AND n.member_id = w.member_id) "
        "AND NOT EXISTS (SELECT 1 FROM watch mu WHERE mu.member_id = w.member_id "
        f"AND mu.target_type = {mark(WatchTarget.THREAD.value)} AND mu.target_id = {mark(thread.id)} "
        f"AND mu.level = {mark(WatchLevel.MUTED.value)})"
    )
    # Marked after the WHERE clause, because every caller puts it after that clause.
    default = email.default_delivery(kind).value
    delivery = (
        "COALESCE((SELECT p.delivery FROM notification_preference p "
        f"WHERE p.member_id = w.member_id AND p.kind = {mark(str(kind))}), {mark(default)})"
    )
    return where, delivery


def _connection():
    from tortoise import connections

    return connections.get("default")


async def _load_watchers(member, thread, post, kind, targets, *, email_only: bool) -> list[Member]:
    connection = _connection()
    mark = Parameters(connection.capabilities.dialect)
    where, delivery = _watcher_conditions(member, thread, post, kind, targets, mark)
    if email_only:
        delivery_condition = f"{delivery} = {mark(email.Delivery.EMAIL.value)}"
    else:
        delivery_condition = f"{delivery} <> {mark(email.Delivery.OFF.value)}"
    rows = await connection.execute_query_dict(
        f"SELECT DISTINCT w.member_id AS id FROM watch w JOIN member m ON m.id = w.member_id "
        f"WHERE {where} AND {delivery_condition}",
        mark.values,
    )
    if not rows:
        return []
    return await Member.filter(id__in=[row["id"] for row in rows])


async def _insert_watcher_notifications(member, thread, post, kind, targets, text) -> int:
    connection = _connection()
    dialect = connection.capabilities.dialect
    mark = Parameters(dialect)
    # In a SELECT list PostgreSQL cannot infer a parameter's type from its column, so each is cast.
    columns = (
        f"{mark(str(kind), 'text')}, {mark(member.id, 'integer')}, {mark(thread.id, 'integer')}, "
        f"{mark(post.id, 'integer')}, {mark(text, 'text')}, {mark('{}', 'jsonb')}, "
        f"{mark(datetime.now(UTC), 'timestamptz')}"
    )
    where, delivery = _watcher_conditions(member, thread, post, kind, targets, mark)
    # Placeholders are numbered in the order they are marked, which must be their order here.
    where += f" AND {delivery} <> {mark(email.Delivery.OFF.value)}"
    replies = kind == NotificationKind.WATCHED_REPLY
    if replies and dialect == "postgres":
        # Workers sending two replies of one thread at once would each find a watcher without
        # an unread notice and both write one. This lock, held to the commit, makes the
        # second wait for the first. SQLite has one writer at a time anyway.
        lock = Parameters(dialect)
        await connection.execute_query(
            f"SELECT pg_advisory_xact_lock({lock(WATCHED_REPLY_LOCK)}, {lock(thread.id)})", lock.values
        )
    if replies:
        # One unread notice per watched thread is enough: it leads to the first new reply,
        # and the thread page shows the rest. A busy thread neither floods the list nor
        # writes a row per watcher for every reply, and the index skips those watchers.
        where += " AND w.unread_notification_id IS NULL"
    sql = (
        "INSERT INTO notification (member_id, kind, actor_id, thread_id, post_id, text, data, created_at) "
        f"SELECT DISTINCT w.member_id, {columns} FROM watch w JOIN member m ON m.id = w.member_id "
        f"WHERE {where} RETURNING member_id"
    )
    # Counted from the rows returned: asyncpg reports no row count for an INSERT ... SELECT.
    count = len(await connection.execute_query_dict(sql, mark.values))
    if replies and count:
        mark = Parameters(dialect)
        await connection.execute_query(
            "UPDATE watch SET unread_notification_id = (SELECT n.id FROM notification n "
            f"WHERE n.post_id = {mark(post.id)} AND n.member_id = watch.member_id AND n.kind = {mark(str(kind))}) "
            f"WHERE target_type = {mark(WatchTarget.THREAD.value)} AND target_id = {mark(thread.id)} "
            f"AND level = {mark(WatchLevel.WATCHING.value)} AND unread_notification_id IS NULL "
            f"AND member_id IN (SELECT member_id FROM notification WHERE post_id = {mark(post.id)} "
            f"AND kind = {mark(str(kind))})",
            mark.values,
        )
    return count
