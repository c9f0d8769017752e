"""Questions and answers: accepted answers, helpful votes and duplicate threads.

A thread's accepted answer is ``Thread.accepted_post_id``. Accepting one marks an open
question solved, and removing it reopens the question unless an accepted duplicate link
solved it. Both columns change in one UPDATE, in a transaction that locks the thread's row
on PostgreSQL, so concurrent accepts and removals leave them consistent.
A post's helpful-vote count is ``Post.score``, changed in the transaction that adds or
removes the ``Vote`` row. The unique index on (post, member) stops a second vote, even
from two requests at the same moment.
"""

import logging
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import urlsplit

from tortoise.exceptions import IntegrityError
from tortoise.expressions import F
from tortoise.transactions import in_transaction

from forum.auth.policy import Action, can, require
from forum.errors import Conflict, NotFound, ValidationFailed
from forum.services import writing
from forum.services.audit import do_audit
from forum.services.notifications import do_notify
from models import (
    Draft,
    DuplicateState,
    DuplicateSuggestion,
    Member,
    NotificationKind,
    Post,
    Thread,
    ThreadState,
    Vote,
)

logger = logging.getLogger(__name__)

# A thread reference typed into the duplicate form: a number, "#123", or a thread address.
_THREAD_NUMBER_RE = re.compile(r"#?(\d{1,10})")
_THREAD_PATH_RE = re.compile(r"/threads/(\d{1,10})(?:/[^/?#]*)?/?")


# Accepted answers -------------------------------------------------------------------


async def do_accept_answer(member: Member, post: Post) -> Thread:
    """Make ``post`` its thread's accepted answer, replacing any earlier one.

    ``post.thread`` must be loaded. An open question becomes solved. Notifies the post's
    author, and writes an audit entry when a moderator decides for someone else's question.

    :raises Forbidden: unless the member asked the question or is a moderator.
    :raises Conflict: for the opening post or a hidden post.
    """
    thread = post.thread
    require(member, Action.ACCEPT_ANSWER, thread)
    if post.number == 1:
        raise Conflict(
            "The question itself cannot be its accepted answer. Choose one of the replies."
        )
    if post.is_hidden:
        raise Conflict(
            "A hidden post cannot be the accepted answer. Choose a reply that everyone can see."
        )

    async with in_transaction():
        current = await _lock_thread(thread.id)
        previous_id = current.accepted_post_id
        if previous_id == post.id:
            return current

        current.accepted_post_id = post.id
        if current.state == ThreadState.OPEN:
            current.state = ThreadState.SOLVED
        await Thread.filter(id=thread.id).update(accepted_post_id=post.id, state=current.state)
        await do_notify(
            post.author_id,
            NotificationKind.ANSWER_ACCEPTED,
            actor_id=member.id,
            thread_id=thread.id,
            post_id=post.id,
            text=f"{member.display_name} accepted your answer in “{thread.title}”.",
        )
        await _audit_if_moderator(
            member,
            current,
            "accept_answer",
            before={"accepted_post_id": previous_id},
            after={"accepted_post_id": post.id},
        )

    logger.info(
        "answer accepted",
        extra={"thread_id": thread.id, "post_id": post.id, "member_id": member.id},
    )
    return current


async def do_remove_accepted_answer(member: Member, thread: Thread) -> Thread:
    """Clear a thread's accepted answer, reopening a solved question.

    :raises Forbidden: unless the member asked the question or is a moderator.
    """
    require(member, Action.ACCEPT_ANSWER, thread)

    async with in_transaction():
        current = await _lock_thread(thread.id)
        previous_id = current.accepted_post_id
        if previous_id is None:
            return current

        current.accepted_post_id = None
        if current.state == ThreadState.SOLVED and not await _has_accepted_duplicate(thread.id):
            current.state = ThreadState.OPEN
        await Thread.filter(id=thread.id).update(accepted_post_id=None, state=current.state)
        await _audit_if_moderator(
            member,
            current,
            "remove_accepted_answer",
            before={"accepted_post_id": previous_id},
            after={"accepted_post_id": None},
        )

    logger.info("accepted answer removed", extra={"thread_id": thread.id, "member_id": member.id})
    return current


async def get_accepted_answer(member: Member | None, thread: Thread) -> Post | None:
    """Return the thread's accepted answer with its author, if the member may see it.

    Issues one query when the thread has an accepted answer and none otherwise.
    """
    if thread.accepted_post_id is None:
        return None

    post = await (
        Post.filter(id=thread.accepted_post_id, thread_id=thread.id)
        .select_related("author", "author__organisation", "author__role")
        .first()
    )
    if post is None or (post.is_hidden and not can(member, Action.VIEW_HIDDEN_CONTENT)):
        return None
    return post


async def _lock_thread(thread_id: int) -> Thread:
    """Read a thread inside a transaction, locking its row on PostgreSQL.

    SQLite ignores FOR UPDATE, but Tortoise runs one SQLite transaction at a time.
    """
    return await Thread.filter(id=thread_id).select_for_update().get()


async def _has_accepted_duplicate(thread_id: int) -> bool:
    return await DuplicateSuggestion.filter(
        thread_id=thread_id, state=DuplicateState.ACCEPTED
    ).exists()


async def _audit_if_moderator(
    member: Member, thread: Thread, action: str, *, before: dict, after: dict
) -> None:
    """Write an audit entry when a moderator decides about someone else's question."""
    if member.id == thread.author_id:
        return

    await do_audit(
        member, action, target_type="thread", target_id=thread.id, before=before, after=after
    )


# Helpful votes ----------------------------------------------------------------------


@dataclass(frozen=True)
class VoteResult:
    post_id: int
    voted: bool
    score: int


async def do_vote(member: Member, post: Post) -> VoteResult:
    """Record that the member found ``post`` helpful; a repeated vote changes nothing.

    ``post.thread`` must be loaded. The vote and the count change in one transaction. A
    second vote, even one racing the first, hits the unique index and is ignored.

    :raises Forbidden: for the member's own post, a hidden post or a hidden thread.
    """
    require(member, Action.VOTE, post)

    try:
        async with in_transaction():
            await Vote.create(post_id=post.id, member_id=member.id)
            await Post.filter(id=post.id).update(score=F("score") + 1)
    except IntegrityError:
        logger.debug("repeated vote ignored", extra={"post_id": post.id, "member_id": member.id})
    else:
        logger.info("vote added", extra={"post_id": post.id, "member_id": member.id})

    return await _vote_result(member, post)


async def do_unvote(member: Member, post: Post) -> VoteResult:
    """Take back the member's vote on ``post``; without a vote this changes nothing."""
    require(member, Action.VOTE, post)

    async with in_transaction():
        deleted = await Vote.filter(post_id=post.id, member_id=member.id).delete()
        if deleted:
            await Post.filter(id=post.id).update(score=F("score") - deleted)

    if deleted:
        logger.info("vote removed", extra={"post_id": post.id, "member_id": member.id})
    return await _vote_result(member, post)


async def _vote_result(member: Member, post: Post) -> VoteResult:
    score = await Post.filter(id=post.id).values_list("score", flat=True)
    voted = await Vote.filter(post_id=post.id, member_id=member.id).exists()
    post.score = score[0]
    return VoteResult(post_id=post.id, voted=voted, score=score[0])


async def list_voted_post_ids(member: Member | None, posts: list[Post]) -> set[int]:
    """Return which of ``posts`` the member has voted for, in one query (none if anonymous)."""
    if member is None or not posts:
        return set()
    rows = await Vote.filter(
        member_id=member.id, post_id__in=[post.id for post in posts]
    ).values_list("post_id", flat=True)
    return set(rows)


# Duplicates -------------------------------------------------------------------------


@dataclass
class DuplicateView:
    """The duplicate details of a thread page: the thread it points to, and open suggestions."""

    canonical: Thread | None = None
    accepted: DuplicateSuggestion | None = None
    suggestions: list[DuplicateSuggestion] = field(default_factory=list)


def parse_thread_reference(reference: str, base_url: str) -> int | None:
    """Return the thread id in a number ("42", "#42") or a thread address on this forum."""
    reference = reference.strip()
    if match := _THREAD_NUMBER_RE.fullmatch(reference):
        return int(match.group(1))

    parts = urlsplit(reference)
    base = urlsplit(base_url)
    if parts.netloc and parts.netloc.lower() != base.netloc.lower():
        return None
    if match := _THREAD_PATH_RE.fullmatch(parts.path):
        return int(match.group(1))
    return None


async def check_canonical(
    member: Member, thread: Thread, reference: str, *, base_url: str
) -> Thread:
    """Resolve the thread named in the duplicate form, or raise ValidationFailed on ``canonical``."""
    if not reference.strip():
        raise ValidationFailed(
            {"canonical": "Enter the address or number of the thread that answers this one."}
        )

    canonical_id = parse_thread_reference(reference, base_url)
    if canonical_id is None:
        raise ValidationFailed(
            {
                "canonical": "Enter a thread address from this forum, for example /threads/42, or a thread number."
            }
        )
    if canonical_id == thread.id:
        raise ValidationFailed(
            {"canonical": "That is this thread. Enter a different, earlier thread."}
        )

    canonical = await Thread.filter(id=canonical_id).first()
    if canonical is None or not can(member, Action.VIEW_THREAD, canonical):
        raise ValidationFailed(
            {"canonical": f"There is no thread number {canonical_id}. Check the address."}
        )

    onward = await DuplicateSuggestion.filter(
        thread_id=canonical.id, state=DuplicateState.ACCEPTED
    ).values_list("canonical_id", flat=True)
    if onward:
        raise ValidationFailed(
            {
                "canonical": f"That thread already points to thread {onward[0]}. Suggest thread {onward[0]} instead."
            }
        )
    return canonical


async def do_suggest_duplicate(
    member: Member, thread: Thread, reference: str, *, base_url: str
) -> DuplicateSuggestion:
    """Suggest that ``thread`` is answered in another thread, and notify the asker.

    Suggesting a pair that is already open returns that suggestion without a second notification.

    :raises ValidationFailed: on ``canonical`` when the reference names no visible thread.
    :raises Conflict: when the pair was declined before, or the thread already points elsewhere.
    """
    require(member, Action.SUGGEST_DUPLICATE, thread)
    canonical = await check_canonical(member, thread, reference, base_url=base_url)

    existing = await DuplicateSuggestion.filter(thread_id=thread.id)
    if any(suggestion.state == DuplicateState.ACCEPTED for suggestion in existing):
        raise Conflict("This thread already points to an earlier thread that answers it.")
    same_pair = next((s for s in existing if s.canonical_id == canonical.id), None)
    if same_pair is not None and same_pair.state == DuplicateState.DECLINED:
        raise Conflict(
            "The asker or a moderator has already decided that thread does not answer this one."
        )
    if same_pair is not None:
        return same_pair

    try:
        async with in_transaction():
            suggestion = await DuplicateSuggestion.create(
                thread_id=thread.id, canonical_id=canonical.id, suggested_by_id=member.id
            )
            await do_notify(
                thread.author_id,
                NotificationKind.DUPLICATE_SUGGESTED,
                actor_id=member.id,
                thread_id=thread.id,
                text=f"{member.display_name} thinks “{canonical.title}” may answer your question “{thread.title}”.",
                data={"canonical_id": canonical.id},
            )
    except IntegrityError:
        # Another member suggested the same pair at the same moment, so their suggestion is kept.
        return await DuplicateSuggestion.get(thread_id=thread.id, canonical_id=canonical.id)

    logger.info(
        "duplicate suggested",
        extra={"thread_id": thread.id, "canonical_id": canonical.id, "member_id": member.id},
    )
    return suggestion


async def access_suggestion(member: Member | None, suggestion_id: int) -> DuplicateSuggestion:
    """Return a suggestion, with both threads, whose thread the member may see, or raise NotFound."""
    suggestion = await (
        DuplicateSuggestion.filter(id=suggestion_id)
        .select_related("thread", "canonical", "suggested_by")
        .first()
    )
    if suggestion is None or not can(member, Action.VIEW_THREAD, suggestion.thread):
        raise NotFound()
    return suggestion


async def do_accept_duplicate(
    member: Member, suggestion: DuplicateSuggestion
) -> DuplicateSuggestion:
    """Point the suggestion's thread at its canonical thread, and notify the member who suggested it.

    ``suggestion.thread`` and ``suggestion.canonical`` must be loaded. An open question
    becomes solved. The thread keeps its posts and stays open to read.

    :raises Forbidden: unless the member asked the question or is a moderator.
    :raises Conflict: when the suggestion was decided already or the thread points elsewhere.
    """
    thread = suggestion.thread
    require(member, Action.ACCEPT_DUPLICATE, thread)

    async with in_transaction():
        current = await _lock_thread(thread.id)
        await _check_open(suggestion)
        if await _has_accepted_duplicate(thread.id):
            raise Conflict(
                "This thread already points to an earlier thread. Remove that link first."
            )

        now = datetime.now(UTC)
        await DuplicateSuggestion.filter(id=suggestion.id).update(
            state=DuplicateState.ACCEPTED, decided_by_id=member.id, decided_at=now
        )
        if current.state == ThreadState.OPEN:
            await Thread.filter(id=thread.id).update(state=ThreadState.SOLVED)
        await do_notify(
            suggestion.suggested_by_id,
            NotificationKind.DUPLICATE_ACCEPTED,
            actor_id=member.id,
            thread_id=thread.id,
            text=f"{member.display_name} agreed that “{thread.title}” is answered in “{suggestion.canonical.title}”.",
            data={"canonical_id": suggestion.canonical_id},
        )
        await _audit_if_moderator(
            member,
            current,
            "accept_duplicate",
            before={"duplicate_of": None},
            after={"duplicate_of": suggestion.canonical_id},
        )

    suggestion.state, suggestion.decided_by_id, suggestion.decided_at = (
        DuplicateState.ACCEPTED,
        member.id,
        now,
    )
    logger.info(
        "duplicate accepted",
        extra={
            "thread_id": thread.id,
            "canonical_id": suggestion.canonical_id,
            "member_id": member.id,
        },
    )
    return suggestion


async def do_decline_duplicate(
    member: Member, suggestion: DuplicateSuggestion
) -> DuplicateSuggestion:
    """Decline an open suggestion, or remove an accepted one so the thread stops pointing away.

    Removing an accepted link reopens the question unless it has an accepted answer.

    :raises Forbidden: unless the member asked the question or is a moderator.
    :raises Conflict: when the suggestion was declined already.
    """
    thread = suggestion.thread
    require(member, Action.ACCEPT_DUPLICATE, thread)

    async with in_transaction():
        current = await _lock_thread(thread.id)
        state = await DuplicateSuggestion.filter(id=suggestion.id).values_list("state", flat=True)
        if state[0] == DuplicateState.DECLINED:
            raise Conflict("That suggestion has already been declined.")

        now = datetime.now(UTC)
        await DuplicateSuggestion.filter(id=suggestion.id).update(
            state=DuplicateState.DECLINED, decided_by_id=member.id, decided_at=now
        )
        was_accepted = state[0] == DuplicateState.ACCEPTED
        if (
            was_accepted
            and current.state == ThreadState.SOLVED
            and current.accepted_post_id is None
        ):
            await Thread.filter(id=thread.id).update(state=ThreadState.OPEN)
        if was_accepted:
            await _audit_if_moderator(
                member,
                current,
                "remove_duplicate",
                before={"duplicate_of": suggestion.canonical_id},
                after={"duplicate_of": None},
            )

    suggestion.state, suggestion.decided_by_id, suggestion.decided_at = (
        DuplicateState.DECLINED,
        member.id,
        now,
    )
    logger.info("duplicate declined", extra={"thread_id": thread.id, "member_id": member.id})
    return suggestion


async def _check_open(suggestion: DuplicateSuggestion) -> None:
    state = await DuplicateSuggestion.filter(id=suggestion.id).values_list("state", flat=True)
    if state[0] != DuplicateState.OPEN:
        raise Conflict(
            "That suggestion has already been decided. Reload the page to see the latest."
        )


async def get_duplicate_view(member: Member | None, thread: Thread) -> DuplicateView:
    """Return where the thread points and its open suggestions, in one query.

    Suggestions naming a thread the member may not see are left out.
    """
    rows = await (
        DuplicateSuggestion.filter(thread_id=thread.id)
        .exclude(state=DuplicateState.DECLINED)
        .order_by("created_at", "id")
        .select_related("canonical", "suggested_by")
    )
    view = DuplicateView()
    for row in rows:
        if not can(member, Action.VIEW_THREAD, row.canonical):
            continue
        if row.state == DuplicateState.ACCEPTED:
            view.accepted, view.canonical = row, row.canonical
        else:
            view.suggestions.append(row)
    return view


# The thread page ---------------------------------------------------------------------


@dataclass
class ThreadExtras:
    """The parts of a thread page beside its posts, loaded in a fixed number of queries."""

    accepted: Post | None
    voted_post_ids: set[int]
    duplicates: DuplicateView
    draft: Draft | None
    quoted_post_id: int | None = None
    reply_body: str = ""


async def get_thread_extras(
    member: Member | None, thread: Thread, posts: list[Post], *, quote_id: int | None = None
) -> ThreadExtras:
    """Load the accepted answer, the member's votes and draft, and duplicates for a thread page.

    With ``quote_id`` naming a visible post of the thread, the reply box starts with a quote
    of it after any draft. Issues at most five queries, whatever the thread's size.
    """
    # The vote rule reads ``post.thread``, and every post here belongs to this thread.
    for post in posts:
        post.thread = thread
    extras = ThreadExtras(
        accepted=await get_accepted_answer(member, thread),
        voted_post_ids=await list_voted_post_ids(member, posts),
        duplicates=await get_duplicate_view(member, thread),
        draft=await writing.get_draft(member, thread),
    )
    extras.reply_body = extras.draft.body if extras.draft else ""

    if quote_id and can(member, Action.REPLY, thread):
        quoted = await (
            Post.filter(id=quote_id, thread_id=thread.id).select_related("author").first()
        )
        if quoted is not None and (not quoted.is_hidden or can(member, Action.VIEW_HIDDEN_CONTENT)):
            extras.quoted_post_id = quoted.id
            extras.reply_body = (
                extras.reply_body.rstrip() + "\n\n" if extras.reply_body.strip() else ""
            ) + writing.build_quote(quoted)
    return extras
