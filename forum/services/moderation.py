"""Flags, the review queue, and posts held by the personal-data check.

Members flag a post or thread with a reason. Moderators see open flags grouped by item,
most severe and oldest first, and resolve every open flag on an item with one outcome:
dismiss, hide, edit, redact or warn the author. Each reporter gets a notification of
the outcome.
"""

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from forum.auth.policy import Action, require
from forum.errors import Conflict, ForumError, NotFound, ValidationFailed
from forum.services import moderation_members, moderation_threads, watches, writing
from forum.services.audit import do_audit
from forum.services.canned_reasons import resolve_reason
from forum.services.notifications import do_notify
from models import (
    Flag,
    FlagOutcome,
    FlagReason,
    FlagState,
    FlagTarget,
    HoldState,
    Member,
    PersonalDataHold,
    Post,
    Thread,
    ThreadState,
)
from models.moderation import SEVERITY_BY_REASON

logger = logging.getLogger(__name__)

FLAG_TEXT_MAX = 1000
# The queue reads at most this many open flags, most severe and oldest first.
QUEUE_MAX_FLAGS = 500
HELD_MAX = 200

REASON_LABELS = {
    FlagReason.OFF_TOPIC: "Off topic",
    FlagReason.UNKIND: "Unkind or abusive",
    FlagReason.SPAM: "Spam",
    FlagReason.IDENTIFIES_CHILD: "Identifies a child or family",
    FlagReason.OTHER: "Something else",
}
OUTCOME_LABELS = {
    FlagOutcome.DISMISSED: "Dismiss: no action needed",
    FlagOutcome.HIDDEN: "Hide it",
    FlagOutcome.EDITED: "Edit it",
    FlagOutcome.REDACTED: "Redact it (cannot be undone)",
    FlagOutcome.WARNED: "Warn the author",
}
_OUTCOME_NEWS = {
    FlagOutcome.DISMISSED: "decided that no action was needed",
    FlagOutcome.HIDDEN: "hid it",
    FlagOutcome.EDITED: "edited it",
    FlagOutcome.REDACTED: "removed its content",
    FlagOutcome.WARNED: "warned its author",
}
REDACTED_THREAD_TITLE = "Thread removed by a moderator"


class AlreadyFlagged(ForumError):
    status = 409
    code = "already_flagged"
    default_message = (
        "You have already flagged this. A moderator will review it and send you a "
        "notification of the outcome."
    )


# Flagging -----------------------------------------------------------------------------


def check_flag(reason: str, text: str) -> tuple[FlagReason, str]:
    """Validate a flag form; return the reason and the cleaned text."""
    text = text.strip()
    if reason not in set(FlagReason):
        raise ValidationFailed({"reason": "Choose why you are flagging this."})
    if reason == FlagReason.OTHER and not text:
        raise ValidationFailed({"text": "Tell the moderators what is wrong."})
    if len(text) > FLAG_TEXT_MAX:
        raise ValidationFailed(
            {"text": f"Your note must be {FLAG_TEXT_MAX} characters or fewer. Shorten it."}
        )
    return FlagReason(reason), text


async def do_flag(member: Member, item: Post | Thread, reason: str, text: str = "") -> Flag:
    """Record a member's flag on a post or thread. One open flag per member per item.

    :raises AlreadyFlagged: when the member's earlier flag on the item is still open.
    """
    require(member, Action.FLAG, item)
    flag_reason, text = check_flag(reason, text)
    target_type = FlagTarget.POST if isinstance(item, Post) else FlagTarget.THREAD
    try:
        flag = await Flag.create(
            reporter_id=member.id,
            target_type=target_type,
            post_id=item.id if target_type == FlagTarget.POST else None,
            thread_id=item.id if target_type == FlagTarget.THREAD else None,
            reason=flag_reason,
            text=text,
            severity=SEVERITY_BY_REASON[flag_reason],
            open_key=f"{member.id}-{target_type}-{item.id}",
        )
    except IntegrityError:
        raise AlreadyFlagged() from None

    logger.info(
        "item flagged",
        extra={
            "flag_id": flag.id,
            "member_id": member.id,
            "target": f"{target_type}:{item.id}",
            "reason": flag_reason,
        },
    )
    return flag


# The review queue ---------------------------------------------------------------------


@dataclass
class ReviewItem:
    """Every open flag on one post or thread, as the queue shows it."""

    target_type: str
    target_id: int
    thread: Thread
    post: Post | None
    flags: list[Flag] = field(default_factory=list)

    @property
    def severity(self) -> int:
        return max(flag.severity for flag in self.flags)

    @property
    def oldest(self) -> datetime:
        return min(flag.created_at for flag in self.flags)

    @property
    def reasons(self) -> list[str]:
        return sorted({REASON_LABELS[flag.reason] for flag in self.flags})

    @property
    def author(self) -> Member:
        return self.post.author if self.post is not None else self.thread.author


def _group(flags: list[Flag]) -> list[ReviewItem]:
    items: dict[tuple[str, int], ReviewItem] = {}
    for flag in flags:
        if flag.target_type == FlagTarget.POST:
            key = (FlagTarget.POST, flag.post_id)
            thread, post = flag.post.thread, flag.post
        else:
            key = (FlagTarget.THREAD, flag.thread_id)
            thread, post = flag.thread, None
        item = items.setdefault(key, ReviewItem(key[0], key[1], thread, post))
        item.flags.append(flag)
    return sorted(items.values(), key=lambda item: (-item.severity, item.oldest))


def _open_flags():
    return Flag.filter(state=FlagState.OPEN).select_related(
        "reporter", "post", "post__author", "post__thread", "thread", "thread__author"
    )


async def list_review_queue(moderator: Member) -> list[ReviewItem]:
    """Return flagged items, most severe first and then oldest first, in one query."""
    require(moderator, Action.REVIEW_FLAGS)
    flags = await _open_flags().order_by("-severity", "created_at", "id").limit(QUEUE_MAX_FLAGS)
    return _group(flags)


async def access_review_item(moderator: Member, target_type: str, target_id: int) -> ReviewItem:
    """Return one item's open flags, or raise NotFound when it has none."""
    require(moderator, Action.REVIEW_FLAGS)
    if target_type not in set(FlagTarget):
        raise NotFound()
    column = "post_id" if target_type == FlagTarget.POST else "thread_id"
    flags = (
        await _open_flags()
        .filter(target_type=target_type, **{column: target_id})
        .order_by("created_at", "id")
    )
    if not flags:
        raise NotFound()
    return _group(flags)[0]


@dataclass(frozen=True)
class Resolution:
    """A moderator's decision on a flagged item, as typed into the review form."""

    outcome: str
    reason: str = ""
    canned_reason_id: str = ""
    new_text: str = ""
    personal_data_confirmed: bool = False


async def do_resolve_flags(
    moderator: Member, item: ReviewItem, resolution: Resolution, *, max_length: int
) -> list[int]:
    """Apply one outcome to a flagged item, close its open flags and tell each reporter.

    Returns the ids of other posts that quote a redacted post, for the moderator to check.
    """
    require(moderator, Action.REVIEW_FLAGS)
    if resolution.outcome not in set(FlagOutcome):
        raise ValidationFailed({"outcome": "Choose what to do about the flags."})
    outcome = FlagOutcome(resolution.outcome)
    reason = await resolve_reason(
        resolution.reason,
        resolution.canned_reason_id,
        required=outcome in (FlagOutcome.HIDDEN, FlagOutcome.REDACTED, FlagOutcome.WARNED),
    )
    if outcome == FlagOutcome.EDITED and not resolution.new_text.strip():
        raise ValidationFailed({"new_text": "Enter the corrected text."})

    quoted_in: list[int] = []
    async with in_transaction():
        flag_ids = [flag.id for flag in item.flags]
        closed = await Flag.filter(id__in=flag_ids, state=FlagState.OPEN).update(
            state=FlagState.RESOLVED,
            open_key=None,
            outcome=outcome,
            resolution_note=reason,
            resolved_by_id=moderator.id,
            resolved_at=datetime.now(UTC),
        )
        if closed != len(flag_ids):
            raise Conflict(
                "Another moderator dealt with some of these flags first. Reload the queue."
            )

        quoted_in = await _apply_outcome(moderator, item, outcome, reason, resolution, max_length)
        await do_audit(
            moderator,
            "flags_resolved",
            target_type=item.target_type,
            target_id=item.target_id,
            reason=reason,
            before={"open_flags": len(flag_ids)},
            after={"outcome": outcome, "flag_ids": flag_ids},
        )
        title = await Thread.filter(id=item.thread.id).values_list("title", flat=True)
        what = "post" if item.target_type == FlagTarget.POST else "thread"
        for reporter_id in sorted({flag.reporter_id for flag in item.flags}):
            await do_notify(
                reporter_id,
                "flag_outcome",
                actor_id=moderator.id,
                thread_id=item.thread.id,
                text=f"A moderator reviewed your flag on a {what} in “{title[0]}” and {_OUTCOME_NEWS[outcome]}.",
            )

    logger.info(
        "flags resolved",
        extra={
            "target": f"{item.target_type}:{item.target_id}",
            "outcome": outcome,
            "member_id": moderator.id,
        },
    )
    return quoted_in


async def _apply_outcome(
    moderator: Member,
    item: ReviewItem,
    outcome: FlagOutcome,
    reason: str,
    resolution: Resolution,
    max_length: int,
) -> list[int]:
    post, thread = item.post, item.thread
    if outcome == FlagOutcome.HIDDEN:
        try:
            if post is not None:
                await moderation_threads.do_set_post_hidden(moderator, post, True, reason)
            else:
                await moderation_threads.do_set_thread_hidden(moderator, thread, True, reason)
        except Conflict:
            # Already hidden by another route: closing the flags is all that is left.
            pass
    elif outcome == FlagOutcome.EDITED:
        if post is not None:
            from forum.services.posting import do_edit_post

            await do_edit_post(
                moderator,
                post,
                resolution.new_text,
                max_length=max_length,
                reason=reason,
                personal_data_confirmed=resolution.personal_data_confirmed,
            )
        else:
            await moderation_threads.do_retitle_thread(
                moderator, thread, resolution.new_text, reason
            )
    elif outcome == FlagOutcome.REDACTED:
        if post is not None:
            return await moderation_threads.do_redact_post(moderator, post, reason)
        opening = await Post.filter(thread_id=thread.id, number=1).first()
        quoted_in = []
        if opening is not None and opening.redacted_at is None:
            quoted_in = await moderation_threads.do_redact_post(moderator, opening, reason)
        await moderation_threads.do_retitle_thread(moderator, thread, REDACTED_THREAD_TITLE, reason)
        return quoted_in
    elif outcome == FlagOutcome.WARNED:
        what = f"post {post.id}" if post is not None else f"thread {thread.id}"
        await moderation_members.do_warn_member(moderator, item.author, reason, about=what)
    return []


# Posts held by the personal-data check ------------------------------------------------


async def list_held_posts(moderator: Member) -> list[PersonalDataHold]:
    """Return waiting holds, oldest first, with their posts, threads and authors."""
    require(moderator, Action.REVIEW_HELD_POSTS)
    return await (
        PersonalDataHold.filter(state=HoldState.WAITING)
        .order_by("created_at", "id")
        .limit(HELD_MAX)
        .select_related("post", "post__thread", "author")
    )


async def access_hold(moderator: Member, hold_id: int) -> PersonalDataHold:
    require(moderator, Action.REVIEW_HELD_POSTS)
    hold = (
        await PersonalDataHold.filter(id=hold_id)
        .select_related("post", "post__thread", "author")
        .first()
    )
    if hold is None:
        raise NotFound()
    return hold


async def do_decide_hold(
    moderator: Member, hold: PersonalDataHold, *, approve: bool, reason: str = ""
) -> None:
    """Publish a held post, or keep it hidden. A held new thread follows its opening post."""
    require(moderator, Action.REVIEW_HELD_POSTS)
    post, thread = hold.post, hold.post.thread
    async with in_transaction():
        updated = await PersonalDataHold.filter(id=hold.id, state=HoldState.WAITING).update(
            state=HoldState.APPROVED if approve else HoldState.REJECTED,
            decided_by_id=moderator.id,
            decided_at=datetime.now(UTC),
        )
        if not updated:
            raise Conflict("Another moderator has already decided about this post.")

        await Post.filter(id=post.id).update(held_for_review=False, is_hidden=not approve)
        thread_state = thread.state
        if hold.opens_thread and thread.state == ThreadState.HELD:
            thread_state = ThreadState.OPEN if approve else ThreadState.HIDDEN
            await Thread.filter(id=thread.id).update(state=thread_state)
        await do_audit(
            moderator,
            "held_post_approved" if approve else "held_post_rejected",
            target_type="post",
            target_id=post.id,
            reason=reason,
            before={"held": True, "thread_state": thread.state, "kinds": hold.kinds},
            after={"held": False, "hidden": not approve, "thread_state": thread_state},
        )
        if approve:
            # The post becomes the thread's latest activity only now, unless a later one is.
            await Thread.filter(id=thread.id, last_activity_at__lt=post.created_at).update(
                last_activity_at=post.created_at, last_poster_id=hold.author_id
            )
            # Replies and mentions waited while the post was held, so they go out now.
            author = await Member.get(id=hold.author_id)
            await writing.do_notify_about_post(author, thread, post)
            await watches.do_queue_watcher_notices(post)
        await do_notify(
            hold.author_id,
            "held_post_decided",
            actor_id=moderator.id,
            thread_id=thread.id,
            post_id=post.id,
            text=(
                f"A moderator checked your post in “{thread.title}” and published it."
                if approve
                else f"A moderator checked your post in “{thread.title}” and kept it hidden."
                + (f" Reason: {reason}" if reason else "")
            ),
        )


# Dates typed into moderator forms -----------------------------------------------------

UK_TIME = ZoneInfo("Europe/London")


def parse_day_start(
    day: str, month: str, year: str, *, field: str, required: bool, what: str
) -> datetime | None:
    """Read a GOV.UK-style date input as midnight at the start of that day, UK time.

    :raises ValidationFailed: on ``field`` when the date is missing but required, not a
        real date, or not in the future.
    """
    parts = [part.strip() for part in (day, month, year)]
    if not any(parts):
        if required:
            raise ValidationFailed({field: f"Enter the date {what}."})
        return None
    if not all(part.isdigit() for part in parts) or len(parts[2]) != 4:
        raise ValidationFailed(
            {field: f"The date {what} must be a real date, for example 27 3 2026."}
        )
    try:
        moment = datetime(int(parts[2]), int(parts[1]), int(parts[0]), tzinfo=UK_TIME)
    except ValueError:
        raise ValidationFailed(
            {field: f"The date {what} must be a real date, for example 27 3 2026."}
        ) from None
    moment = moment.astimezone(UTC)
    if moment <= datetime.now(UTC):
        raise ValidationFailed({field: f"The date {what} must be in the future."})
    return moment
