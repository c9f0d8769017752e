"""Watch levels for threads, skill areas and roles, and the notifications they send.

A member watches a thread they start or reply to, unless they already chose a level for it.
``watching`` a thread notifies every reply, ``watching`` a skill area or role notifies every
new thread in it, ``normal`` notifies only what concerns the member directly (replies to
them and mentions), and ``muted`` sends nothing about that thread at all.
"""

import logging

from tortoise.expressions import Q

from forum.auth.policy import Action, can, require
from forum.errors import ValidationFailed
from forum.services import email
from models import (
    Member,
    MemberState,
    Notification,
    NotificationKind,
    Post,
    Role,
    SkillArea,
    Thread,
    Watch,
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
    """Watch a thread the member started or replied to, keeping any level they chose before."""
    exists = await Watch.filter(
        member_id=member.id, target_type=WatchTarget.THREAD, target_id=thread_id
    ).exists()
    if not exists:
        await Watch.create(
            member_id=member.id,
            target_type=WatchTarget.THREAD,
            target_id=thread_id,
            level=WatchLevel.WATCHING,
        )


async def do_notify_watchers(member: Member, thread: Thread, post: Post) -> None:
    """Notify watchers about a new post, inside the transaction that stores it.

    A reply notifies the thread's watchers. An opening post notifies watchers of the
    thread's skill area and roles. Members already notified about this post (as its
    replied-to author or a mention) get nothing more, and neither does the writer nor
    anyone who muted the thread. The queries are the same in number however many watch.
    """
    if post.number > 1:
        targets = Q(target_type=WatchTarget.THREAD, target_id=thread.id)
        kind = NotificationKind.WATCHED_REPLY
        text = f"{member.display_name} replied in “{thread.title}”."
    else:
        role_ids = await Thread.filter(id=thread.id).values_list("audience_roles__id", flat=True)
        targets = Q(target_type=WatchTarget.SKILL_AREA, target_id=thread.skill_area_id) | Q(
            target_type=WatchTarget.ROLE,
            target_id__in=[role_id for role_id in role_ids if role_id is not None],
        )
        kind = NotificationKind.NEW_THREAD
        text = f"{member.display_name} started “{thread.title}”."

    watcher_ids = set(
        await Watch.filter(targets, level=WatchLevel.WATCHING).values_list("member_id", flat=True)
    )
    watcher_ids.discard(member.id)
    if not watcher_ids:
        return
    watcher_ids -= set(
        await Notification.filter(post_id=post.id).values_list("member_id", flat=True)
    )
    watcher_ids -= set(
        await Watch.filter(
            member_id__in=list(watcher_ids),
            target_type=WatchTarget.THREAD,
            target_id=thread.id,
            level=WatchLevel.MUTED,
        ).values_list("member_id", flat=True)
    )

    # The steps below run even for an empty set, so a reply costs the same queries whether
    # or not anyone is left to notify.
    watchers = await Member.filter(id__in=list(watcher_ids)).exclude(state=MemberState.ERASED)
    watchers = [watcher for watcher in watchers if can(watcher, Action.VIEW_THREAD, thread)]
    await email.do_notify_members(
        watchers, kind, actor_id=member.id, thread_id=thread.id, post_id=post.id, text=text
    )
