"""Writing threads and posts: validation, counters and revisions.

``check_*`` functions validate and raise ValidationFailed with one message per field.
``do_*`` functions are the only writers; each runs its steps in one transaction so a
thread's counters never disagree with its posts.
"""

import hashlib
import logging
import re
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from tortoise import connections
from tortoise.exceptions import IntegrityError
from tortoise.expressions import F
from tortoise.transactions import in_transaction

from forum.auth.policy import Action, require
from forum.db import Parameters
from forum.errors import ForumError, ValidationFailed
from forum.markdown import RENDERER_VERSION, MarkdownError, render_markdown
from forum.services import live, privacy, rate_limits, watches, writing
from forum.services.browsing import Taxonomy
from models import FormSubmission, Member, Post, Revision, Thread, ThreadKind, ThreadState

logger = logging.getLogger(__name__)

TITLE_MIN = 10
TITLE_MAX = 200

# The hidden field of reply and new-thread forms that carries a one-time submission token.
SUBMISSION_TOKEN_FIELD = "submission_token"
# Tokens from new_submission_token are 32 URL-safe characters. Anything else is ignored.
_SUBMISSION_TOKEN_RE = re.compile(r"[A-Za-z0-9_-]{16,64}")


class RepeatedSubmission(ForumError):
    """Raised when a member sends a form that was already saved, with the post it saved.

    Views redirect to ``post`` as if the repeat had just saved it. ``post.thread`` is loaded.
    """

    status = 409
    code = "already_submitted"
    default_message = "You already sent this and it was saved. Reload the page to see it."

    def __init__(self, post: Post) -> None:
        self.post = post
        super().__init__()


def new_submission_token() -> str:
    """Return a random token for one rendering of a reply or new-thread form."""
    return secrets.token_urlsafe(24)


def submission_key(token: str | None, *content: str) -> str | None:
    """Return the key under which a form submission is stored, or None without a valid token.

    The key digests the token with the text the form carried, so only an identical repeat
    (a double click or a resent form) matches. A form restored by the back button and
    changed before sending again, or a page served twice with one token, saves a new post.
    Keys are unique per member, so a token copied to another member's form matches nothing.
    """
    if not token or not _SUBMISSION_TOKEN_RE.fullmatch(token):
        return None
    digest = hashlib.sha256()
    for part in (token, *content):
        digest.update(part.encode("utf-8", "surrogatepass"))
        digest.update(b"\0")
    return digest.hexdigest()


# How long a saved form's key is kept. A form sent again later than this saves a new post,
# which by then only an old browser tab could do.
SUBMISSION_MEMORY = timedelta(days=2)


async def do_forget_old_submissions(now: datetime | None = None) -> int:
    """Delete the keys of forms saved longer ago than ``SUBMISSION_MEMORY`` and return the count."""
    cutoff = (now or datetime.now(UTC)) - SUBMISSION_MEMORY
    deleted = await FormSubmission.filter(created_at__lt=cutoff).delete()
    logger.info("old form submissions deleted", extra={"count": deleted})
    return deleted


async def _find_submission(member: Member, key: str | None) -> Post | None:
    if key is None:
        return None
    submission = await (
        FormSubmission.filter(member_id=member.id, key=key)
        .select_related("post__thread")
        .first()
    )
    return submission.post if submission is not None else None


def slugify(text: str, max_length: int = 80) -> str:
    """Turn a title into a lower-case, hyphenated ASCII slug for readable URLs."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[:max_length].rstrip("-") or "thread"


def clean_title(text: str) -> str:
    """Collapse whitespace and drop invisible format characters from a title.

    Zero-width spaces and direction overrides (Unicode category Cf) would let a title look
    empty or disguise its words, so they are removed before the title is validated.
    """
    visible = "".join(ch for ch in text if unicodedata.category(ch) != "Cf" and ch != "\x00")
    return " ".join(visible.split())


@dataclass(frozen=True)
class ThreadDraft:
    """What a member typed into the new-thread form, before validation."""

    title: str = ""
    kind: str = ThreadKind.QUESTION
    skill_area: str = ""
    roles: tuple[str, ...] = ()
    body: str = ""


def check_body(body: str, max_length: int) -> str:
    """Render a post body, raising ValidationFailed on the ``body`` field when it cannot be."""
    try:
        return render_markdown(body, max_length=max_length)
    except MarkdownError as error:
        raise ValidationFailed({"body": str(error)}) from None


def check_thread_draft(
    member: Member, draft: ThreadDraft, taxonomy: Taxonomy, max_length: int
) -> str:
    """Validate a new thread and return the rendered body, or raise with every field's problem."""
    errors: dict[str, str] = {}
    title = clean_title(draft.title)

    if not title:
        errors["title"] = "Enter a title for your thread."
    elif len(title) < TITLE_MIN:
        errors["title"] = f"The title must be at least {TITLE_MIN} characters: say what it is about."
    elif len(title) > TITLE_MAX:
        errors["title"] = f"The title must be {TITLE_MAX} characters or fewer. Shorten it."

    if draft.kind not in set(ThreadKind):
        errors["kind"] = "Choose whether this is a question, a discussion or a resource."
    elif draft.kind == ThreadKind.ANNOUNCEMENT:
        require(member, Action.CREATE_ANNOUNCEMENT)

    if not draft.skill_area:
        errors["skill_area"] = "Choose the skill area this thread belongs to."
    elif taxonomy.skill_area(draft.skill_area) is None:
        errors["skill_area"] = "That skill area does not exist. Choose one from the list."

    if not draft.roles:
        errors["roles"] = "Choose at least one role this thread is for."
    elif any(taxonomy.role(slug) is None for slug in draft.roles):
        errors["roles"] = "One of the roles chosen does not exist. Choose from the list."

    html = ""
    try:
        html = check_body(draft.body, max_length)
    except ValidationFailed as failure:
        errors.update(failure.errors)

    if errors:
        raise ValidationFailed(errors)
    return html


async def do_create_thread(
    member: Member,
    draft: ThreadDraft,
    taxonomy: Taxonomy,
    *,
    max_length: int,
    base_url: str = "",
    personal_data_confirmed: bool = False,
    submission_token: str | None = None,
) -> Thread:
    """Create a thread with its opening post and first revision, and tell anyone it mentions.

    ``base_url`` is the forum's public address, so that pasted links to threads get titles.
    ``submission_token`` is the form's one-time token. Without one, nothing detects repeats.

    :raises RepeatedSubmission: when the same form with the same content was saved already.
    """
    require(member, Action.CREATE_THREAD, draft.kind)
    key = submission_key(
        submission_token, "thread", draft.title, draft.kind, draft.skill_area,
        "\n".join(sorted(draft.roles)), draft.body,
    )
    if (earlier := await _find_submission(member, key)) is not None:
        raise RepeatedSubmission(earlier)
    html = check_thread_draft(member, draft, taxonomy, max_length)
    html = await writing.add_thread_titles(html, base_url=base_url)
    title = clean_title(draft.title)
    held_kinds = privacy.check_before_saving(
        member, {"title": title, "body": draft.body}, confirmed=personal_data_confirmed
    )

    try:
        thread = await _save_thread(member, draft, taxonomy, html, title, held_kinds, key)
    except IntegrityError:
        # A twin of this submission committed first: the unique key on form_submission.
        earlier = await _find_submission(member, key)
        if earlier is None:
            raise
        raise RepeatedSubmission(earlier) from None

    logger.info("thread created", extra={"thread_id": thread.id, "member_id": member.id})
    return thread


async def _save_thread(
    member: Member,
    draft: ThreadDraft,
    taxonomy: Taxonomy,
    html: str,
    title: str,
    held_kinds: list[str],
    key: str | None,
) -> Thread:
    roles = [taxonomy.role(slug) for slug in dict.fromkeys(draft.roles)]
    now = datetime.now(UTC)
    async with in_transaction():
        thread = await Thread.create(
            title=title,
            slug=slugify(title),
            kind=draft.kind,
            state=ThreadState.HELD if held_kinds else ThreadState.OPEN,
            skill_area=taxonomy.skill_area(draft.skill_area),
            author=member,
            post_count=1,
            last_activity_at=now,
            last_poster=member,
            created_at=now,
        )
        await thread.audience_roles.add(*roles)
        post = await Post.create(
            thread=thread,
            number=1,
            author=member,
            source=draft.body,
            html=html,
            renderer_version=RENDERER_VERSION,
            held_for_review=bool(held_kinds),
            created_at=now,
        )
        if key is not None:
            await FormSubmission.create(member_id=member.id, key=key, post_id=post.id)
        await _store_revision(post, member)
        if held_kinds:
            await privacy.do_hold_post(member, post, held_kinds, opens_thread=True)
        await writing.do_after_post(member, thread, post)
        await watches.do_watch_own_post(member, thread.id)
        if not held_kinds:
            await watches.do_queue_watcher_notices(post)
    return thread


async def do_reply(
    member: Member,
    thread: Thread,
    body: str,
    *,
    max_length: int,
    reply_to: Post | None = None,
    base_url: str = "",
    personal_data_confirmed: bool = False,
    submission_token: str | None = None,
) -> Post:
    """Add a post to a thread, moving its counters in the same transaction.

    In that transaction it also notifies the people the reply concerns and deletes the
    member's draft for the thread (see ``writing.do_after_post``). ``submission_token`` is
    the form's one-time token. Without one, nothing detects repeats.

    :raises RepeatedSubmission: when the same form with the same content was saved already.
    """
    require(member, Action.REPLY, thread)
    reply_to_id = reply_to.id if reply_to and reply_to.thread_id == thread.id else None
    key = submission_key(submission_token, "reply", str(thread.id), str(reply_to_id or ""), body)
    # Before slow mode, which would otherwise reject the repeat of a reply it let through.
    if (earlier := await _find_submission(member, key)) is not None:
        raise RepeatedSubmission(earlier)
    if (earlier := await _find_recent_twin(member, thread, body, reply_to_id)) is not None:
        raise RepeatedSubmission(earlier)
    html = check_body(body, max_length)
    await rate_limits.check_slow_mode(member, thread)
    held_kinds = privacy.check_before_saving(member, {"body": body}, confirmed=personal_data_confirmed)
    html = await writing.add_thread_titles(html, base_url=base_url)

    try:
        post, notified = await _save_reply(member, thread, body, html, reply_to_id, held_kinds, key)
    except IntegrityError:
        # A twin of this submission committed first: the unique key on form_submission.
        earlier = await _find_submission(member, key)
        if earlier is None:
            raise
        raise RepeatedSubmission(earlier) from None

    logger.info(
        "post created", extra={"thread_id": thread.id, "post_id": post.id, "member_id": member.id}
    )
    # After the commit, so that open streams reading the database find the post.
    await live.announce_post(post, notified)
    return post


# How long an identical reply by the same member in the same thread counts as a repeat.
TWIN_REPLY_WINDOW = timedelta(minutes=10)


async def _find_recent_twin(member: Member, thread: Thread, body: str, reply_to_id: int | None) -> Post | None:
    """Return the member's own reply with exactly this text, saved in the last few minutes.

    Going back to a thread page and sending the reply again gets a new form token, because
    members' pages are never stored by the browser, while the browser refills the text. The
    same text in the same thread moments later is that repeat, not a new reply.
    """
    since = datetime.now(UTC) - TWIN_REPLY_WINDOW
    latest = await (
        Post.filter(author_id=member.id, thread_id=thread.id, created_at__gte=since)
        .order_by("-created_at")
        .limit(1)
        .values("id", "source", "reply_to_id", "number")
    )
    if not latest or latest[0]["source"] != body or latest[0]["reply_to_id"] != reply_to_id or latest[0]["number"] == 1:
        return None
    twin = await Post.get(id=latest[0]["id"])
    twin.thread = thread
    return twin


async def _save_reply(
    member: Member,
    thread: Thread,
    body: str,
    html: str,
    reply_to_id: int | None,
    held_kinds: list[str],
    key: str | None,
) -> tuple[Post, list[int]]:
    """Store the reply and what goes with it; return it and the members it notified."""
    now = datetime.now(UTC)
    async with in_transaction():
        # Taking the number locks the thread row first, so concurrent replies differ.
        # A held post takes its number but does not show in lists as the latest activity,
        # which would tell everyone who wrote something now waiting for a moderator.
        number = await _take_post_number(thread, None if held_kinds else (now, member.id))
        post = await Post.create(
            thread_id=thread.id,
            number=number,
            author=member,
            reply_to_id=reply_to_id,
            source=body,
            html=html,
            renderer_version=RENDERER_VERSION,
            held_for_review=bool(held_kinds),
            created_at=now,
        )
        if key is not None:
            await FormSubmission.create(member_id=member.id, key=key, post_id=post.id)
        await _store_revision(post, member)
        if held_kinds:
            await privacy.do_hold_post(member, post, held_kinds, opens_thread=False)
        notified = await writing.do_after_post(member, thread, post)
        await watches.do_watch_own_post(member, thread.id)
        if not held_kinds:
            await watches.do_queue_watcher_notices(post)
    return post, notified


async def _take_post_number(thread: Thread, activity: tuple[datetime, int] | None) -> int:
    """Count one more post in the thread and return its number, in one statement.

    ``activity`` is the time and writer to show as the thread's latest, or None to leave it.
    The UPDATE takes the row lock, so replies saved at once get distinct numbers.
    """
    connection = connections.get("default")
    mark = Parameters(connection.capabilities.dialect)
    latest = ""
    if activity is not None:
        latest = f", last_activity_at = {mark(activity[0])}, last_poster_id = {mark(activity[1])}"
    rows = await connection.execute_query_dict(
        f"UPDATE thread SET post_count = post_count + 1{latest} WHERE id = {mark(thread.id)} RETURNING post_count",
        mark.values,
    )
    return rows[0]["post_count"]


async def do_edit_post(
    member: Member,
    post: Post,
    body: str,
    *,
    max_length: int,
    reason: str = "",
    base_url: str = "",
    personal_data_confirmed: bool = False,
) -> Post:
    """Change a post's body, keeping the new version as another revision.

    Members the edit newly mentions are notified in the same transaction.
    """
    require(member, Action.EDIT_POST, post)
    html = check_body(body, max_length)
    if body == post.source:
        return post
    held_kinds = privacy.check_before_saving(member, {"body": body}, confirmed=personal_data_confirmed)

    html = await writing.add_thread_titles(html, base_url=base_url)
    previous_html = post.html
    now = datetime.now(UTC)
    async with in_transaction():
        await Post.filter(id=post.id).update(
            source=body,
            html=html,
            renderer_version=RENDERER_VERSION,
            edited_at=now,
            revision_count=F("revision_count") + 1,
        )
        await post.refresh_from_db(fields=["source", "html", "edited_at", "revision_count"])
        await _store_revision(post, member, reason=reason.strip()[:200])
        if held_kinds:
            await Post.filter(id=post.id).update(held_for_review=True)
            await privacy.do_hold_post(member, post, held_kinds, opens_thread=False)
        await writing.do_after_post(member, None, post, previous_html=previous_html)

    logger.info("post edited", extra={"post_id": post.id, "member_id": member.id})
    return post


async def _store_revision(post: Post, editor: Member, reason: str = "") -> Revision:
    return await Revision.create(
        post=post,
        number=post.revision_count,
        source=post.source,
        html=post.html,
        renderer_version=post.renderer_version,
        editor=editor,
        reason=reason,
    )
