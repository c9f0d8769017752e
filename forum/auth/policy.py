"""The one permission policy: may this member do this action to this object?

Views and services ask :func:`can` or :func:`require`; nothing else checks permissions.
``RULES`` is the whole table, one function per action, so a reader can audit it in one
place and the per-role test walks every entry.
"""

from collections.abc import Callable
from enum import StrEnum
from typing import Any

from forum.errors import Forbidden, SignInRequired
from models import Member, MemberPermission, MemberState, Post, Thread, ThreadKind, ThreadState

RANK = {
    MemberPermission.MEMBER: 0,
    MemberPermission.MENTOR: 1,
    MemberPermission.MODERATOR: 2,
    MemberPermission.ADMIN: 3,
}


class Action(StrEnum):
    VIEW_THREAD = "view_thread"
    VIEW_HIDDEN_CONTENT = "view_hidden_content"
    CREATE_THREAD = "create_thread"
    CREATE_ANNOUNCEMENT = "create_announcement"
    REPLY = "reply"
    EDIT_POST = "edit_post"
    VIEW_REVISIONS = "view_revisions"
    PREVIEW_MARKDOWN = "preview_markdown"
    SIGN_OUT = "sign_out"
    PROMOTE_MEMBER = "promote_member"
    ACCEPT_ANSWER = "accept_answer"
    VOTE = "vote"
    SAVE_DRAFT = "save_draft"
    SUGGEST_MENTIONS = "suggest_mentions"
    SUGGEST_DUPLICATE = "suggest_duplicate"
    ACCEPT_DUPLICATE = "accept_duplicate"
    VIEW_NOTIFICATIONS = "view_notifications"
    MARK_NOTIFICATIONS_READ = "mark_notifications_read"


def _is_active(member: Member | None) -> bool:
    return member is not None and member.state == MemberState.ACTIVE


def _at_least(member: Member | None, permission: MemberPermission) -> bool:
    return _is_active(member) and RANK[member.permission] >= RANK[permission]


def _is_moderator(member: Member | None) -> bool:
    return _at_least(member, MemberPermission.MODERATOR)


def _view_thread(member: Member | None, thread: Thread) -> bool:
    return thread.state != ThreadState.HIDDEN or _is_moderator(member)


def _create_thread(member: Member | None, kind: Any = None) -> bool:
    if kind == ThreadKind.ANNOUNCEMENT:
        return _is_moderator(member)
    return _is_active(member)


def _reply(member: Member | None, thread: Thread) -> bool:
    if not _is_active(member) or not _view_thread(member, thread):
        return False
    return thread.state != ThreadState.LOCKED or _is_moderator(member)


def _edit_post(member: Member | None, post: Post) -> bool:
    if not _is_active(member):
        return False
    if _is_moderator(member):
        return True
    return post.author_id == member.id and not post.is_hidden


def _is_asker_or_moderator(member: Member | None, thread: Thread) -> bool:
    """The asker decides about their own visible question, and a moderator about any."""
    if not _is_active(member) or thread.kind != ThreadKind.QUESTION:
        return False
    if _is_moderator(member):
        return True
    return thread.author_id == member.id and thread.state in (ThreadState.OPEN, ThreadState.SOLVED)


def _vote(member: Member | None, post: Post) -> bool:
    if not _is_active(member) or post.author_id == member.id or post.is_hidden:
        return False
    return post.thread.state != ThreadState.HIDDEN


def _suggest_duplicate(member: Member | None, thread: Thread) -> bool:
    return _is_active(member) and thread.state != ThreadState.HIDDEN


RULES: dict[Action, Callable[..., bool]] = {
    Action.VIEW_THREAD: _view_thread,
    Action.VIEW_HIDDEN_CONTENT: lambda member, obj=None: _is_moderator(member),
    Action.CREATE_THREAD: _create_thread,
    Action.CREATE_ANNOUNCEMENT: lambda member, obj=None: _is_moderator(member),
    Action.REPLY: _reply,
    Action.EDIT_POST: _edit_post,
    Action.VIEW_REVISIONS: lambda member, post: _view_thread(member, post.thread),
    Action.PREVIEW_MARKDOWN: lambda member, obj=None: _is_active(member),
    Action.SIGN_OUT: lambda member, obj=None: member is not None,
    Action.PROMOTE_MEMBER: lambda member, obj=None: _at_least(member, MemberPermission.ADMIN),
    Action.ACCEPT_ANSWER: _is_asker_or_moderator,
    Action.VOTE: _vote,
    Action.SAVE_DRAFT: _reply,
    Action.SUGGEST_MENTIONS: lambda member, obj=None: _is_active(member),
    Action.SUGGEST_DUPLICATE: _suggest_duplicate,
    Action.ACCEPT_DUPLICATE: _is_asker_or_moderator,
    Action.VIEW_NOTIFICATIONS: lambda member, obj=None: member is not None,
    Action.MARK_NOTIFICATIONS_READ: lambda member, obj=None: member is not None,
}


def can(member: Member | None, action: Action, obj: Any = None) -> bool:
    """Return whether ``member`` (None for an anonymous visitor) may do ``action`` to ``obj``."""
    return RULES[action](member, obj)


def require(member: Member | None, action: Action, obj: Any = None) -> None:
    """Raise SignInRequired for an anonymous visitor, or Forbidden, unless the action is allowed."""
    if can(member, action, obj):
        return

    if member is None:
        raise SignInRequired()
    if member.state == MemberState.SUSPENDED:
        raise Forbidden("Your account is suspended, so you cannot do that until the suspension ends.")
    if member.state == MemberState.PENDING:
        raise Forbidden("Your account is waiting for approval. You can read threads until then.")
    raise Forbidden()
