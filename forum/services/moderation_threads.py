"""Moderator tools for threads and posts: lock, pin, move, merge, split, hide, redact and
slow mode.

Each ``do_*`` checks the policy, changes the rows and appends an audit entry in one
transaction. Audit summaries hold states, slugs and counts, never a post body or title
text that a redaction might later need to remove.
"""

import logging
from datetime import UTC, datetime

from tortoise.expressions import F
from tortoise.transactions import in_transaction

from forum.auth.policy import Action, require
from forum.errors import Conflict, NotFound, ValidationFailed
from forum.markdown import RENDERER_VERSION, render_markdown
from forum.services.audit import do_audit
from forum.services.browsing import Taxonomy
from forum.services.posting import TITLE_MAX, TITLE_MIN, slugify
from models import (
    DuplicateState,
    DuplicateSuggestion,
    Flag,
    HoldState,
    Member,
    PersonalDataHold,
    Post,
    Revision,
    Thread,
    ThreadState,
)

logger = logging.getLogger(__name__)

# Gaps a moderator can choose for slow mode, in seconds, with their labels.
SLOW_MODE_CHOICES = {
    60: "1 minute",
    300: "5 minutes",
    900: "15 minutes",
    1800: "30 minutes",
    3600: "1 hour",
    21600: "6 hours",
    86400: "1 day",
}
# Written over a redacted post's flags, whose text may repeat what was redacted.
REDACTED_FLAG_TEXT = "(Removed when the post was redacted.)"


async def _fresh_thread(thread_id: int) -> Thread:
    """Re-read a thread inside the caller's transaction, locking its row on PostgreSQL."""
    return await Thread.filter(id=thread_id).select_for_update().get()


async def _resting_state(thread: Thread) -> ThreadState:
    """The state a thread returns to when a moderator lifts a hide or a lock."""
    if thread.locked_at is not None:
        return ThreadState.LOCKED
    if thread.accepted_post_id is not None:
        return ThreadState.SOLVED
    accepted_duplicate = await DuplicateSuggestion.filter(
        thread_id=thread.id, state=DuplicateState.ACCEPTED
    ).exists()
    return ThreadState.SOLVED if accepted_duplicate else ThreadState.OPEN


def _check_future(moment: datetime | None, field: str, what: str) -> None:
    if moment is not None and moment <= datetime.now(UTC):
        raise ValidationFailed({field: f"The {what} must be in the future."})


# Lock and pin --------------------------------------------------------------------------


async def do_lock_thread(member: Member, thread: Thread, reason: str) -> Thread:
    """Lock a thread so that only moderators can reply. ``reason`` is shown on the thread."""
    require(member, Action.LOCK_THREAD, thread)
    async with in_transaction():
        current = await _fresh_thread(thread.id)
        if current.locked_at is not None:
            raise Conflict("This thread is already locked.")
        state = current.state
        if state in (ThreadState.OPEN, ThreadState.SOLVED):
            state = ThreadState.LOCKED
        now = datetime.now(UTC)
        await Thread.filter(id=thread.id).update(locked_at=now, lock_reason=reason, state=state)
        await do_audit(
            member,
            "thread_locked",
            target_type="thread",
            target_id=thread.id,
            reason=reason,
            before={"state": current.state},
            after={"state": state},
        )
    thread.locked_at, thread.lock_reason, thread.state = now, reason, state
    return thread


async def do_unlock_thread(member: Member, thread: Thread, reason: str) -> Thread:
    require(member, Action.LOCK_THREAD, thread)
    async with in_transaction():
        current = await _fresh_thread(thread.id)
        if current.locked_at is None:
            raise Conflict("This thread is not locked.")
        current.locked_at = None
        state = current.state
        if state == ThreadState.LOCKED:
            state = await _resting_state(current)
        await Thread.filter(id=thread.id).update(locked_at=None, lock_reason="", state=state)
        await do_audit(
            member,
            "thread_unlocked",
            target_type="thread",
            target_id=thread.id,
            reason=reason,
            before={"state": current.state},
            after={"state": state},
        )
    thread.locked_at, thread.lock_reason, thread.state = None, "", state
    return thread


async def do_pin_thread(
    member: Member, thread: Thread, reason: str, *, until: datetime | None = None
) -> Thread:
    """Pin a thread to the top of lists, until ``until`` when given, else until unpinned."""
    require(member, Action.PIN_THREAD, thread)
    _check_future(until, "until", "pin's end")
    async with in_transaction():
        await Thread.filter(id=thread.id).update(pinned=True, pinned_until=until)
        await do_audit(
            member,
            "thread_pinned",
            target_type="thread",
            target_id=thread.id,
            reason=reason,
            before={"pinned": thread.is_pinned_now},
            after={"pinned": True, "until": until.isoformat() if until else None},
        )
    thread.pinned, thread.pinned_until = True, until
    return thread


async def do_unpin_thread(member: Member, thread: Thread, reason: str) -> Thread:
    require(member, Action.PIN_THREAD, thread)
    if not thread.pinned:
        raise Conflict("This thread is not pinned.")
    async with in_transaction():
        await Thread.filter(id=thread.id).update(pinned=False, pinned_until=None)
        await do_audit(
            member,
            "thread_unpinned",
            target_type="thread",
            target_id=thread.id,
            reason=reason,
            before={"pinned": thread.is_pinned_now},
            after={"pinned": False},
        )
    thread.pinned, thread.pinned_until = False, None
    return thread


# Move ----------------------------------------------------------------------------------


async def do_move_thread(
    member: Member,
    thread: Thread,
    taxonomy: Taxonomy,
    *,
    skill_area: str,
    roles: tuple[str, ...],
    reason: str,
) -> Thread:
    """Move a thread to another skill area and set of audience roles."""
    require(member, Action.MOVE_THREAD, thread)
    errors: dict[str, str] = {}
    area = taxonomy.skill_area(skill_area) if skill_area else None
    if area is None:
        errors["skill_area"] = "Choose the skill area to move the thread to."
    chosen_roles = [taxonomy.role(slug) for slug in dict.fromkeys(roles)]
    if not chosen_roles:
        errors["roles"] = "Choose at least one role this thread is for."
    elif any(role is None for role in chosen_roles):
        errors["roles"] = "One of the roles chosen does not exist. Choose from the list."
    if errors:
        raise ValidationFailed(errors)

    before_roles = sorted(role.slug for role in getattr(thread, "roles", []))
    before_area = next((a.slug for a in taxonomy.skill_areas if a.id == thread.skill_area_id), None)
    async with in_transaction():
        await Thread.filter(id=thread.id).update(skill_area_id=area.id)
        await thread.audience_roles.clear()
        await thread.audience_roles.add(*chosen_roles)
        await do_audit(
            member,
            "thread_moved",
            target_type="thread",
            target_id=thread.id,
            reason=reason,
            before={"skill_area": before_area, "roles": before_roles},
            after={"skill_area": area.slug, "roles": sorted(role.slug for role in chosen_roles)},
        )
    thread.skill_area_id, thread.skill_area, thread.roles = area.id, area, chosen_roles
    return thread


# Merge and split ----------------------------------------------------------------------


async def _renumber(thread_id: int, ordered_post_ids: list[int]) -> None:
    """Give the posts numbers 1, 2, 3… in this order, all in ``thread_id``.

    ``ordered_post_ids`` must hold every post that will be in the thread. Numbers pass
    through negative values first, so the (thread, number) unique index never contains two
    posts with one number, even on a database that checks it row by row.
    """
    for index, post_id in enumerate(ordered_post_ids, start=1):
        await Post.filter(id=post_id).update(thread_id=thread_id, number=-index)
    await Post.filter(thread_id=thread_id, number__lt=0).update(number=F("number") * -1)


async def _refresh_counters(thread_id: int) -> None:
    last = await Post.filter(thread_id=thread_id).order_by("-number").first()
    count = await Post.filter(thread_id=thread_id).count()
    await Thread.filter(id=thread_id).update(
        post_count=count,
        last_activity_at=last.created_at,
        last_poster_id=last.author_id,
    )


async def do_merge_threads(member: Member, source: Thread, target: Thread, reason: str) -> Thread:
    """Move every post of ``source`` into ``target`` in date order and leave ``source`` as a
    hidden pointer to ``target``, so old links still lead to the posts.

    The target's opening post stays first. Returns the target thread.
    """
    require(member, Action.MERGE_THREADS, source)
    if source.id == target.id:
        raise ValidationFailed({"target": "Choose a different thread to merge into."})
    if target.merged_into_id is not None or target.state == ThreadState.HIDDEN:
        raise ValidationFailed(
            {"target": "That thread is hidden or was merged away. Choose a visible thread."}
        )

    async with in_transaction():
        current_source = await _fresh_thread(source.id)
        current_target = await _fresh_thread(target.id)
        if current_source.merged_into_id is not None:
            raise Conflict("This thread was already merged into another thread.")

        posts = await Post.filter(thread_id__in=[source.id, target.id]).values(
            "id", "thread_id", "number", "created_at"
        )
        posts.sort(
            key=lambda row: (
                0 if (row["thread_id"] == target.id and row["number"] == 1) else 1,
                row["created_at"],
                row["id"],
            )
        )
        await _renumber(target.id, [row["id"] for row in posts])
        await _refresh_counters(target.id)

        changes: dict = {}
        if current_target.accepted_post_id is None and current_source.accepted_post_id is not None:
            changes["accepted_post_id"] = current_source.accepted_post_id
            if current_target.state == ThreadState.OPEN:
                changes["state"] = ThreadState.SOLVED
        if changes:
            await Thread.filter(id=target.id).update(**changes)
        await Thread.filter(id=source.id).update(
            merged_into_id=target.id,
            state=ThreadState.HIDDEN,
            post_count=0,
            accepted_post_id=None,
            pinned=False,
        )
        await do_audit(
            member,
            "threads_merged",
            target_type="thread",
            target_id=source.id,
            reason=reason,
            before={
                "source_posts": current_source.post_count,
                "target_posts": current_target.post_count,
            },
            after={"merged_into": target.id, "target_posts": len(posts)},
        )

    logger.info(
        "threads merged",
        extra={"thread_id": source.id, "target_id": target.id, "member_id": member.id},
    )
    return await Thread.get(id=target.id)


def _check_title(title: str) -> str:
    title = " ".join(title.split())
    if len(title) < TITLE_MIN:
        raise ValidationFailed(
            {"title": f"Enter a title of at least {TITLE_MIN} characters for the new thread."}
        )
    if len(title) > TITLE_MAX:
        raise ValidationFailed(
            {"title": f"The title must be {TITLE_MAX} characters or fewer. Shorten it."}
        )
    return title


async def do_split_thread(
    member: Member, thread: Thread, post_ids: list[int], *, title: str, reason: str
) -> Thread:
    """Move the chosen posts, in their order, into a new thread in the same skill area and
    for the same roles. The opening post cannot be moved, and both threads are numbered
    again from 1. Returns the new thread."""
    require(member, Action.SPLIT_THREAD, thread)
    title = _check_title(title)
    chosen = set(post_ids)
    if not chosen:
        raise ValidationFailed({"posts": "Choose at least one post to move to the new thread."})

    async with in_transaction():
        current = await _fresh_thread(thread.id)
        posts = (
            await Post.filter(thread_id=thread.id)
            .order_by("number")
            .values("id", "number", "author_id", "created_at")
        )
        if not chosen <= {row["id"] for row in posts}:
            raise ValidationFailed(
                {
                    "posts": "Some of the posts chosen are not in this thread. Reload the page and choose again."
                }
            )
        if any(row["number"] == 1 for row in posts if row["id"] in chosen):
            raise ValidationFailed(
                {"posts": "The opening post must stay in this thread. Untick it."}
            )

        moving = [row for row in posts if row["id"] in chosen]
        staying = [row for row in posts if row["id"] not in chosen]
        now = datetime.now(UTC)
        new_thread = await Thread.create(
            title=title,
            slug=slugify(title),
            kind=current.kind,
            skill_area_id=current.skill_area_id,
            author_id=moving[0]["author_id"],
            post_count=len(moving),
            last_activity_at=moving[-1]["created_at"],
            last_poster_id=moving[-1]["author_id"],
            created_at=now,
        )
        roles = await current.audience_roles.all()
        if roles:
            await new_thread.audience_roles.add(*roles)

        await _renumber(new_thread.id, [row["id"] for row in moving])
        await _renumber(thread.id, [row["id"] for row in staying])
        await _refresh_counters(thread.id)
        if current.accepted_post_id in chosen:
            current.accepted_post_id = None
            state = current.state
            if state == ThreadState.SOLVED:
                state = await _resting_state(current)
            await Thread.filter(id=thread.id).update(accepted_post_id=None, state=state)

        await do_audit(
            member,
            "thread_split",
            target_type="thread",
            target_id=thread.id,
            reason=reason,
            before={"posts": len(posts)},
            after={
                "posts": len(staying),
                "new_thread": new_thread.id,
                "moved_post_ids": sorted(chosen),
            },
        )

    logger.info(
        "thread split",
        extra={"thread_id": thread.id, "new_thread_id": new_thread.id, "member_id": member.id},
    )
    return new_thread


# Hide and unhide ----------------------------------------------------------------------


async def do_set_thread_hidden(member: Member, thread: Thread, hidden: bool, reason: str) -> Thread:
    """Hide a thread from everyone but moderators, or show it again."""
    require(member, Action.HIDE, thread)
    async with in_transaction():
        current = await _fresh_thread(thread.id)
        if (current.state == ThreadState.HIDDEN) == hidden:
            raise Conflict(
                "This thread is already hidden." if hidden else "This thread is not hidden."
            )
        if current.merged_into_id is not None:
            raise Conflict("This thread was merged into another, so it stays hidden.")
        if hidden:
            state = ThreadState.HIDDEN
        elif await PersonalDataHold.filter(
            post__thread_id=thread.id, opens_thread=True, state=HoldState.WAITING
        ).exists():
            state = ThreadState.HELD
        else:
            state = await _resting_state(current)
        await Thread.filter(id=thread.id).update(state=state)
        await do_audit(
            member,
            "thread_hidden" if hidden else "thread_unhidden",
            target_type="thread",
            target_id=thread.id,
            reason=reason,
            before={"state": current.state},
            after={"state": state},
        )
    thread.state = state
    return thread


async def do_set_post_hidden(member: Member, post: Post, hidden: bool, reason: str) -> Post:
    """Hide a post from everyone but moderators, or show it again."""
    require(member, Action.HIDE, post)
    if post.is_hidden == hidden:
        raise Conflict("This post is already hidden." if hidden else "This post is not hidden.")
    async with in_transaction():
        await Post.filter(id=post.id).update(is_hidden=hidden)
        await do_audit(
            member,
            "post_hidden" if hidden else "post_unhidden",
            target_type="post",
            target_id=post.id,
            reason=reason,
            before={"is_hidden": post.is_hidden},
            after={"is_hidden": hidden},
        )
    post.is_hidden = hidden
    return post


# Redaction ----------------------------------------------------------------------------


def redaction_tombstone(moderator: Member, moment: datetime, reason: str) -> str:
    """Build the Markdown that replaces a redacted post and each of its revisions."""
    day = moment.astimezone(UTC).strftime("%-d %B %Y")
    return f"*This post was redacted by {moderator.display_name} on {day}. Reason: {reason}*"


async def do_redact_post(member: Member, post: Post, reason: str) -> list[int]:
    """Replace the content of a post and of every stored revision with a tombstone naming
    the moderator and the reason. This cannot be undone: the old text is not kept anywhere.

    Returns the ids of other posts that quote this one, whose copies a moderator must
    review, because a quote is a copy this function does not change.
    """
    require(member, Action.REDACT_POST, post)
    if not reason:
        raise ValidationFailed(
            {"reason": "Enter the reason for the redaction. It is shown in place of the post."}
        )

    now = datetime.now(UTC)
    tombstone = redaction_tombstone(member, now, reason)
    html = render_markdown(tombstone, max_length=len(tombstone) + 1)
    async with in_transaction():
        current = await Post.filter(id=post.id).select_for_update().get()
        if current.redacted_at is not None:
            raise Conflict("This post has already been redacted.")
        await Post.filter(id=post.id).update(
            source=tombstone,
            html=html,
            renderer_version=RENDERER_VERSION,
            redacted_at=now,
            redacted_by_id=member.id,
            redaction_reason=reason,
        )
        revisions = await Revision.filter(post_id=post.id).update(
            source=tombstone, html=html, renderer_version=RENDERER_VERSION, reason=""
        )
        quoted_in = await on_post_redacted(post.id)
        await do_audit(
            member,
            "post_redacted",
            target_type="post",
            target_id=post.id,
            reason=reason,
            before={"revisions": revisions, "length": len(current.source)},
            after={"redacted": True, "quoted_in": quoted_in},
        )

    post.source, post.html, post.redacted_at, post.redacted_by_id = tombstone, html, now, member.id
    post.redaction_reason = reason
    logger.info(
        "post redacted", extra={"post_id": post.id, "member_id": member.id, "revisions": revisions}
    )
    return quoted_in


async def on_post_redacted(post_id: int) -> list[int]:
    """Remove copies of a redacted post's content kept outside its own rows.

    Runs inside the redaction's transaction. Flag texts about the post are cleared, since a
    reporter may have repeated what they saw, and the search index is rebuilt from the
    tombstone. Returns the ids of posts that quote it. Any new copy of post content (a
    cache, an export) must be purged here too.
    """
    from forum.services import search

    await Flag.filter(post_id=post_id).exclude(text="").update(text=REDACTED_FLAG_TEXT)
    await search.on_post_redacted(post_id)
    quoting = (
        await Post.filter(source__contains=f"](/posts/{post_id})")
        .exclude(id=post_id)
        .values_list("id", flat=True)
    )
    return sorted(quoting)


# Slow mode ----------------------------------------------------------------------------


async def do_set_slow_mode(
    member: Member, thread: Thread, seconds: int, reason: str, *, until: datetime | None = None
) -> Thread:
    """Require a gap of ``seconds`` between one member's posts in the thread, until
    ``until`` when given. Moderators are exempt."""
    require(member, Action.SET_SLOW_MODE, thread)
    if seconds not in SLOW_MODE_CHOICES:
        raise ValidationFailed({"seconds": "Choose how long members must wait between posts."})
    _check_future(until, "until", "end of slow mode")

    async with in_transaction():
        await Thread.filter(id=thread.id).update(
            slow_mode_seconds=seconds,
            slow_mode_until=until,
            slow_mode_reason=reason,
            slow_mode_by_id=member.id,
        )
        await do_audit(
            member,
            "slow_mode_set",
            target_type="thread",
            target_id=thread.id,
            reason=reason,
            before={"seconds": thread.slow_mode_seconds if thread.slow_mode_active else 0},
            after={"seconds": seconds, "until": until.isoformat() if until else None},
        )
    thread.slow_mode_seconds, thread.slow_mode_until = seconds, until
    thread.slow_mode_reason, thread.slow_mode_by_id, thread.slow_mode_by = reason, member.id, member
    return thread


async def do_clear_slow_mode(member: Member, thread: Thread, reason: str) -> Thread:
    require(member, Action.SET_SLOW_MODE, thread)
    if not thread.slow_mode_active:
        raise Conflict("Slow mode is not on for this thread.")
    async with in_transaction():
        await Thread.filter(id=thread.id).update(
            slow_mode_seconds=0, slow_mode_until=None, slow_mode_reason="", slow_mode_by_id=None
        )
        await do_audit(
            member,
            "slow_mode_cleared",
            target_type="thread",
            target_id=thread.id,
            reason=reason,
            before={"seconds": thread.slow_mode_seconds},
            after={"seconds": 0},
        )
    thread.slow_mode_seconds, thread.slow_mode_until, thread.slow_mode_reason = 0, None, ""
    thread.slow_mode_by_id = None
    return thread


async def do_retitle_thread(member: Member, thread: Thread, title: str, reason: str) -> Thread:
    """Change a thread's title on a moderator's authority. The audit entry records the
    lengths only, because the old title may be what needed removing. Used from the review
    queue, so it needs the permission to review flags."""
    require(member, Action.REVIEW_FLAGS, thread)
    title = _check_title(title)
    async with in_transaction():
        await Thread.filter(id=thread.id).update(title=title, slug=slugify(title))
        await do_audit(
            member,
            "thread_retitled",
            target_type="thread",
            target_id=thread.id,
            reason=reason,
            before={"title_length": len(thread.title)},
            after={"title_length": len(title)},
        )
    thread.title, thread.slug = title, slugify(title)
    return thread


async def find_merge_target(member: Member | None, thread_id: int) -> Thread:
    """Return the visible thread that a merged thread's posts now live in.

    Follows a chain of merges. Raises NotFound when the thread was never merged or the
    member cannot see where it went.
    """
    from forum.services.browsing import access_thread

    current_id = thread_id
    for _ in range(10):
        merged_into = await Thread.filter(id=current_id).values_list("merged_into_id", flat=True)
        if not merged_into or merged_into[0] is None:
            break
        current_id = merged_into[0]
    if current_id == thread_id:
        raise NotFound()
    return await access_thread(member, current_id)
