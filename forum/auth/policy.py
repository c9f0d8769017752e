"""The one permission policy: may this member do this action to this object?

Views and services ask :func:`can` or :func:`require`; nothing else checks permissions.
``RULES`` is the whole table, one function per action, so a reader can audit it in one
place and the per-role test walks every entry.
"""

from collections.abc import Callable
from datetime import UTC, datetime
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
    # Link or remove sign-in identities and end sessions, on one's own account only.
    MANAGE_OWN_ACCOUNT = "manage_own_account"
    ACCEPT_ANSWER = "accept_answer"
    VOTE = "vote"
    SAVE_DRAFT = "save_draft"
    SUGGEST_MENTIONS = "suggest_mentions"
    SUGGEST_DUPLICATE = "suggest_duplicate"
    ACCEPT_DUPLICATE = "accept_duplicate"
    VIEW_NOTIFICATIONS = "view_notifications"
    MARK_NOTIFICATIONS_READ = "mark_notifications_read"
    MANAGE_NOTIFICATION_PREFERENCES = "manage_notification_preferences"
    SET_WATCH_LEVEL = "set_watch_level"
    FLAG = "flag"
    REVIEW_FLAGS = "review_flags"
    LOCK_THREAD = "lock_thread"
    PIN_THREAD = "pin_thread"
    MOVE_THREAD = "move_thread"
    MERGE_THREADS = "merge_threads"
    SPLIT_THREAD = "split_thread"
    HIDE = "hide"
    REDACT_POST = "redact_post"
    SET_SLOW_MODE = "set_slow_mode"
    MANAGE_CANNED_REASONS = "manage_canned_reasons"
    SUSPEND_MEMBER = "suspend_member"
    SILENCE_MEMBER = "silence_member"
    NOTE_MEMBER = "note_member"
    APPROVE_MEMBER = "approve_member"
    VIEW_AUDIT_LOG = "view_audit_log"
    REVIEW_HELD_POSTS = "review_held_posts"
    LISTEN_LIVE = "listen_live"
    # Mentoring. Rules on a mentorship depend on whether the member is one of the pair.
    OFFER_MENTORING = "offer_mentoring"
    REQUEST_MENTORING = "request_mentoring"
    RESPOND_TO_REQUEST = "respond_to_request"
    WITHDRAW_REQUEST = "withdraw_request"
    AGREE_MENTORSHIP = "agree_mentorship"
    LOG_SESSION = "log_session"
    CLOSE_MENTORSHIP = "close_mentorship"
    GIVE_MENTORING_FEEDBACK = "give_mentoring_feedback"
    VIEW_MENTORSHIP_SPACE = "view_mentorship_space"
    SEND_MENTORSHIP_MESSAGE = "send_mentorship_message"
    OPEN_MENTORSHIP_AS_MODERATOR = "open_mentorship_as_moderator"
    RUN_MATCHING = "run_matching"
    PUBLISH_MATCHES = "publish_matches"
    EDIT_MATCHING_WEIGHTS = "edit_matching_weights"
    VIEW_MENTORING_FEEDBACK = "view_mentoring_feedback"
    # Endorsements and CPD records. A member hides endorsements of themselves but never edits them.
    ENDORSE = "endorse"
    WITHDRAW_ENDORSEMENT = "withdraw_endorsement"
    VOID_ENDORSEMENT = "void_endorsement"
    HIDE_ENDORSEMENT = "hide_endorsement"
    KEEP_CPD_RECORD = "keep_cpd_record"
    # Sign, or revoke, an Open Badges credential for one's own evidenced level.
    ISSUE_CREDENTIAL = "issue_credential"
    MANAGE_LEARNING_RESOURCES = "manage_learning_resources"
    COMPLETE_RESOURCE = "complete_resource"
    VIEW_SECTOR = "view_sector"
    MANAGE_ROLE_PROFILES = "manage_role_profiles"
    # Read the entries a mentee shares with their mentor. The object is the mentorship.
    VIEW_SHARED_CPD = "view_shared_cpd"


def _is_active(member: Member | None) -> bool:
    """Return whether the member may act at all. A suspension counts as over once its end passes."""
    if member is None:
        return False
    if member.state == MemberState.SUSPENDED:
        return member.suspended_until is not None and member.suspended_until <= datetime.now(UTC)
    return member.state == MemberState.ACTIVE


def is_silenced(member: Member | None) -> bool:
    """Return whether a moderator's silence on the member is in force.

    A silence with no end date (``silenced_until`` is NULL) lasts until a moderator lifts it.
    """
    if member is None or not member.is_silenced:
        return False
    return member.silenced_until is None or member.silenced_until > datetime.now(UTC)


def _can_contribute(member: Member | None) -> bool:
    """Active and not silenced. Silence makes a member read-only: no threads, replies,
    edits, votes or duplicate suggestions. Flagging stays open to silenced members,
    because a flag is how they report abuse aimed at them."""
    return _is_active(member) and not is_silenced(member)


def _at_least(member: Member | None, permission: MemberPermission) -> bool:
    return _is_active(member) and RANK[member.permission] >= RANK[permission]


def _is_moderator(member: Member | None) -> bool:
    return _at_least(member, MemberPermission.MODERATOR)


def _manage_own_account(member: Member | None, account: Member | None) -> bool:
    if member is None or account is None or account.id != member.id:
        return False
    return _is_active(member) or member.state == MemberState.PENDING


def _view_thread(member: Member | None, thread: Thread) -> bool:
    if thread.state == ThreadState.HELD:
        return _is_moderator(member) or (member is not None and thread.author_id == member.id)
    return thread.state != ThreadState.HIDDEN or _is_moderator(member)


def _create_thread(member: Member | None, kind: Any = None) -> bool:
    if kind == ThreadKind.ANNOUNCEMENT:
        return _is_moderator(member) and _can_contribute(member)
    return _can_contribute(member)


def _reply(member: Member | None, thread: Thread) -> bool:
    if not _can_contribute(member) or not _view_thread(member, thread):
        return False
    return thread.state != ThreadState.LOCKED or _is_moderator(member)


def _edit_post(member: Member | None, post: Post) -> bool:
    if not _can_contribute(member) or post.redacted_at is not None:
        return False
    if _is_moderator(member):
        return True
    return post.author_id == member.id and not post.is_hidden


def _is_asker_or_moderator(member: Member | None, thread: Thread) -> bool:
    """Return whether the member asked this visible question, or is a moderator (any question)."""
    if not _can_contribute(member) or thread.kind != ThreadKind.QUESTION:
        return False
    if _is_moderator(member):
        return True
    return thread.author_id == member.id and thread.state in (ThreadState.OPEN, ThreadState.SOLVED)


def _vote(member: Member | None, post: Post) -> bool:
    if not _can_contribute(member) or post.author_id == member.id or post.is_hidden:
        return False
    return post.thread.state != ThreadState.HIDDEN


def _suggest_duplicate(member: Member | None, thread: Thread) -> bool:
    return _can_contribute(member) and thread.state != ThreadState.HIDDEN


def _flag(member: Member | None, item: Post | Thread) -> bool:
    """Any active member, silenced or not, may flag a visible item that is not their own."""
    if not _is_active(member) or item.author_id == member.id:
        return False
    if isinstance(item, Post):
        return not item.is_hidden and not item.held_for_review and _view_thread(member, item.thread)
    return _view_thread(member, item)


def _redact_post(member: Member | None, post: Post | None = None) -> bool:
    return _is_moderator(member) and (post is None or post.redacted_at is None)


def _outranks(member: Member | None, target: Member | None = None) -> bool:
    """Return whether a moderator ranks above ``target``, so never for themselves or an admin."""
    if not _is_moderator(member):
        return False
    if target is None:
        return True
    return target.id != member.id and RANK[target.permission] < RANK[member.permission]


def _approve_member(member: Member | None, target: Member | None = None) -> bool:
    return _is_moderator(member) and (target is None or target.state == MemberState.PENDING)



def _in_pair(member: Member | None, mentorship: Any) -> bool:
    """Return whether the member is the mentor or the mentee of ``mentorship``."""
    return member is not None and member.id in (mentorship.mentor_id, mentorship.mentee_id)


def _acts_in_pair(member: Member | None, mentorship: Any) -> bool:
    return _is_active(member) and _in_pair(member, mentorship)


def _is_mentor_of(member: Member | None, mentorship: Any) -> bool:
    return _is_active(member) and mentorship.mentor_id == member.id


def _is_mentee_of(member: Member | None, request: Any) -> bool:
    """Return whether the member is the mentee of a mentoring request or of a mentorship."""
    return _is_active(member) and request.mentee_id == member.id


def _is_admin(member: Member | None, obj: Any = None) -> bool:
    return _at_least(member, MemberPermission.ADMIN)


# Mentorship states in which the mentor is the mentee's current mentor: agreed and not ended.
CURRENT_MENTORSHIP_STATES = ("agreed", "active", "extended")


def _view_shared_cpd(member: Member | None, mentorship: Any) -> bool:
    """Allow the mentee always, and the mentor only while the mentorship is current."""
    if member is None:
        return False
    if mentorship.mentee_id == member.id:
        return True
    return _is_mentor_of(member, mentorship) and mentorship.state in CURRENT_MENTORSHIP_STATES


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
    Action.MANAGE_OWN_ACCOUNT: lambda member, account=None: _manage_own_account(member, account),
    Action.ACCEPT_ANSWER: _is_asker_or_moderator,
    Action.VOTE: _vote,
    Action.SAVE_DRAFT: _reply,
    Action.SUGGEST_MENTIONS: lambda member, obj=None: _is_active(member),
    Action.SUGGEST_DUPLICATE: _suggest_duplicate,
    Action.ACCEPT_DUPLICATE: _is_asker_or_moderator,
    Action.VIEW_NOTIFICATIONS: lambda member, obj=None: member is not None,
    Action.MARK_NOTIFICATIONS_READ: lambda member, obj=None: member is not None,
    Action.MANAGE_NOTIFICATION_PREFERENCES: lambda member, obj=None: member is not None,
    Action.SET_WATCH_LEVEL: lambda member, obj=None: member is not None,
    Action.FLAG: _flag,
    Action.REVIEW_FLAGS: lambda member, obj=None: _is_moderator(member),
    Action.LOCK_THREAD: lambda member, obj=None: _is_moderator(member),
    Action.PIN_THREAD: lambda member, obj=None: _is_moderator(member),
    Action.MOVE_THREAD: lambda member, obj=None: _is_moderator(member),
    Action.MERGE_THREADS: lambda member, obj=None: _is_moderator(member),
    Action.SPLIT_THREAD: lambda member, obj=None: _is_moderator(member),
    Action.HIDE: lambda member, obj=None: _is_moderator(member),
    Action.REDACT_POST: _redact_post,
    Action.SET_SLOW_MODE: lambda member, obj=None: _is_moderator(member),
    Action.MANAGE_CANNED_REASONS: lambda member, obj=None: _at_least(member, MemberPermission.ADMIN),
    Action.SUSPEND_MEMBER: _outranks,
    Action.SILENCE_MEMBER: _outranks,
    Action.NOTE_MEMBER: lambda member, obj=None: _is_moderator(member),
    Action.APPROVE_MEMBER: _approve_member,
    Action.VIEW_AUDIT_LOG: lambda member, obj=None: _is_moderator(member),
    Action.REVIEW_HELD_POSTS: lambda member, obj=None: _is_moderator(member),
    Action.LISTEN_LIVE: lambda member, obj=None: member is not None,
    Action.OFFER_MENTORING: lambda member, obj=None: _at_least(member, MemberPermission.MENTOR),
    # Asking someone new is contributing, so a silenced member cannot. Running an
    # existing mentorship (sessions, agreement, close) stays open to them.
    Action.REQUEST_MENTORING: lambda member, obj=None: _can_contribute(member),
    Action.RESPOND_TO_REQUEST: _is_mentor_of,
    Action.WITHDRAW_REQUEST: _is_mentee_of,
    Action.AGREE_MENTORSHIP: _acts_in_pair,
    Action.LOG_SESSION: _acts_in_pair,
    Action.CLOSE_MENTORSHIP: _acts_in_pair,
    Action.GIVE_MENTORING_FEEDBACK: _acts_in_pair,
    # Only the pair reads their space, suspended or not. Moderators and admins are no
    # exception: they use OPEN_MENTORSHIP_AS_MODERATOR, which is audited with a reason.
    Action.VIEW_MENTORSHIP_SPACE: _in_pair,
    Action.SEND_MENTORSHIP_MESSAGE: lambda member, obj: _can_contribute(member) and _in_pair(member, obj),
    Action.OPEN_MENTORSHIP_AS_MODERATOR: lambda member, obj=None: _is_moderator(member),
    Action.RUN_MATCHING: _is_admin,
    Action.PUBLISH_MATCHES: _is_admin,
    Action.EDIT_MATCHING_WEIGHTS: _is_admin,
    Action.VIEW_MENTORING_FEEDBACK: _is_admin,
    Action.ENDORSE: lambda member, obj=None: _can_contribute(member),
    Action.WITHDRAW_ENDORSEMENT: lambda member, obj: _is_active(member) and obj.endorser_id == member.id,
    Action.VOID_ENDORSEMENT: lambda member, obj=None: _is_moderator(member),
    Action.HIDE_ENDORSEMENT: lambda member, obj: _is_active(member) and obj.member_id == member.id,
    # The record is the member's own: obj is None (their whole record) or one of their entries.
    Action.ISSUE_CREDENTIAL: lambda member, obj=None: _is_active(member),
    Action.MANAGE_LEARNING_RESOURCES: _is_admin,
    Action.COMPLETE_RESOURCE: lambda member, obj=None: _is_active(member),
    Action.VIEW_SECTOR: _is_admin,
    Action.MANAGE_ROLE_PROFILES: _is_admin,
    Action.VIEW_SHARED_CPD: _view_shared_cpd,
    Action.KEEP_CPD_RECORD: lambda member, obj=None: _is_active(member) and (obj is None or obj.member_id == member.id),
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
    if member.state == MemberState.SUSPENDED and not _is_active(member):
        raise Forbidden(_suspension_message(member))
    if member.state == MemberState.PENDING:
        raise Forbidden("Your account is waiting for approval. You can read threads until then.")
    if member.state == MemberState.REJECTED:
        raise Forbidden("Your membership request was not approved, so you can only read threads.")
    if is_silenced(member):
        raise Forbidden(_silence_message(member))
    raise Forbidden()


def describe_restriction(member: Member | None) -> str | None:
    """Return why a moderator's suspension or silence limits the member, or None."""
    if member is None:
        return None
    if member.state == MemberState.SUSPENDED and not _is_active(member):
        return _suspension_message(member)
    if is_silenced(member):
        return _silence_message(member)
    return None


def _suspension_message(member: Member) -> str:
    until = f" until {_format_moment(member.suspended_until)}" if member.suspended_until else ""
    message = f"Your account is suspended{until}, so you cannot do that until the suspension ends."
    if member.suspension_reason:
        message += f" The moderators gave this reason: {member.suspension_reason}"
    return message


def _silence_message(member: Member) -> str:
    until = f" until {_format_moment(member.silenced_until)}" if member.silenced_until else ""
    message = f"A moderator has made your account read-only{until}, so you cannot post or vote."
    if member.silence_reason:
        message += f" The moderators gave this reason: {member.silence_reason}"
    return message


def _format_moment(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%-d %B %Y at %H:%M UTC")
