"""Writing together: quotes, @mentions, titles for links to threads, drafts and diffs.

The posting service calls :func:`add_thread_titles` on a post's sanitised HTML before it is
stored, and :func:`do_after_post` inside the transaction that stores the post.
"""

import difflib
import html
import logging
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import urlsplit

from tortoise.exceptions import IntegrityError
from tortoise.expressions import Q

from forum.auth.policy import Action, can, require
from forum.errors import NotFound, ValidationFailed
from forum.services.notifications import do_notify
from models import (
    Draft,
    Member,
    MemberState,
    NotificationKind,
    Post,
    Revision,
    Thread,
    ThreadState,
)

logger = logging.getLogger(__name__)

# A handle after "@", not inside a word or an email address, and not ending in "." or "-",
# so "@priya.n." at the end of a sentence mentions priya.n.
MENTION_RE = re.compile(r"(?<![\w@./-])@([A-Za-z0-9_](?:[A-Za-z0-9_.-]{0,38}[A-Za-z0-9_])?)")
# The partial handle being typed at the end of a reply, for suggestions.
TYPED_MENTION_RE = re.compile(r"(?<![\w@./-])@([A-Za-z0-9_.-]{1,40})\Z")
# Mentions beyond this many in one post send no notification, so a post cannot page everyone.
MAX_MENTIONS = 20
MENTION_SUGGESTIONS = 8
# Maximum length of the part of a post copied into a quote, in characters.
QUOTE_MAX = 2000

# Code and existing links are not searched for mentions.
_SKIPPED_HTML_RE = re.compile(r"<(pre|code|a)\b[^>]*>.*?</\1>", re.S)
_TAG_RE = re.compile(r"<[^>]+>")
_ANCHOR_RE = re.compile(r'<a href="([^"]+)"([^>]*)>([^<]*)</a>')
_THREAD_PATH_RE = re.compile(r"/threads/(\d{1,10})(?:/[^/?#]*)?/?")
_POST_FRAGMENT_RE = re.compile(r"post-(\d{1,6})")
_MARKDOWN_SPECIAL_RE = re.compile(r"([\\`*_\[\]<>#!|])")


# Mentions ---------------------------------------------------------------------------


def find_mentions(post_html: str) -> list[str]:
    """Return the handles mentioned in a post's HTML, in order, each once.

    Mentions inside code or link text are ignored.
    """
    text = html.unescape(_TAG_RE.sub(" ", _SKIPPED_HTML_RE.sub(" ", post_html)))
    return list(dict.fromkeys(MENTION_RE.findall(text)))


async def list_mention_suggestions(member: Member, typed: str) -> list[Member]:
    """Return up to eight members whose handle or name starts with the ``@word`` typed last.

    ``typed`` is the whole text so far. Without an ``@`` word at its end the list is empty.
    """
    require(member, Action.SUGGEST_MENTIONS)
    match = TYPED_MENTION_RE.search(typed)
    if match is None:
        return []

    prefix = match.group(1)
    return await (
        Member.filter(Q(handle__istartswith=prefix) | Q(display_name__istartswith=prefix))
        .filter(state=MemberState.ACTIVE, is_imported=False)
        .exclude(id=member.id)
        .order_by("handle")
        .limit(MENTION_SUGGESTIONS)
        .select_related("organisation")
    )


# Links to other threads --------------------------------------------------------------


def _thread_link_target(href: str, base_url: str) -> tuple[int, int | None] | None:
    """Return (thread id, post number or None) for a link to a thread on this forum."""
    parts = urlsplit(html.unescape(href))
    if parts.netloc:
        base = urlsplit(base_url) if base_url else None
        if base is None or parts.netloc.lower() != base.netloc.lower():
            return None
    elif not parts.path.startswith("/"):
        return None

    match = _THREAD_PATH_RE.fullmatch(parts.path)
    if match is None:
        return None
    post_match = _POST_FRAGMENT_RE.fullmatch(parts.fragment)
    return int(match.group(1)), int(post_match.group(1)) if post_match else None


def _is_pasted(href: str, text: str) -> bool:
    """Return whether a link's text is its own address, as when a bare URL is pasted."""
    href, text = html.unescape(href), html.unescape(text).strip()
    return text in {href, href.split("://", 1)[-1]}


async def add_thread_titles(post_html: str, *, base_url: str = "") -> str:
    """Show the title of each thread a pasted link points to, in place of its address.

    Works on HTML that ``forum.markdown`` has sanitised already: only the text of links whose
    text is their own address changes, to the escaped title. Threads that are hidden or
    missing keep their address. Issues one query, and none when no such link exists.
    """
    targets: dict[str, tuple[int, int | None]] = {}
    for href, _attributes, text in _ANCHOR_RE.findall(post_html):
        target = _thread_link_target(href, base_url)
        if target is not None and _is_pasted(href, text):
            targets[href] = target
    if not targets:
        return post_html

    thread_ids = {thread_id for thread_id, _number in targets.values()}
    titles = dict(
        await Thread.filter(id__in=thread_ids)
        .exclude(state=ThreadState.HIDDEN)
        .values_list("id", "title")
    )

    def replace(match: re.Match) -> str:
        href, attributes, text = match.groups()
        target = targets.get(href)
        if target is None or target[0] not in titles or not _is_pasted(href, text):
            return match.group(0)
        label = titles[target[0]] + (f" (post {target[1]})" if target[1] else "")
        return f'<a href="{href}"{attributes}>{html.escape(label, quote=False)}</a>'

    return _ANCHOR_RE.sub(replace, post_html)


# Notifications after a post is written ----------------------------------------------


async def do_after_post(
    member: Member, thread: Thread | None, post: Post, *, previous_html: str | None = None
) -> list[int]:
    """Delete the writer's draft after a reply, and notify the people the post concerns.

    Call inside the transaction that stores ``post``. ``previous_html`` is the post's HTML
    before an edit, and None for a new post. A post held for a moderator's review sends no
    notification, so the code that publishes it must call :func:`do_notify_about_post`.
    Returns the members the post may have notified, as :func:`do_notify_about_post` does.
    """
    if previous_html is None and post.number > 1:
        await Draft.filter(member_id=member.id, thread_id=post.thread_id).delete()
    is_held = getattr(post, "held_for_review", False)
    if previous_html is not None and not is_held:
        # The edit may have been held by an UPDATE that left this object as it was.
        is_held = await Post.filter(id=post.id, held_for_review=True).exists()
    if is_held:
        return []

    return await do_notify_about_post(member, thread, post, previous_html=previous_html)


async def do_notify_about_post(
    member: Member, thread: Thread | None, post: Post, *, previous_html: str | None = None
) -> list[int]:
    """Notify the people a new or edited post by ``member`` concerns; return their ids.

    A new post notifies the question's author and the author of the post it replies to.
    Both new and edited posts notify the members they mention, an edit only those it newly
    mentions. Each member gets at most one notification per post, and the writer none.
    A new post's emails are left to the worker, which sends them with the post's watcher
    notice, so the caller must queue that notice. An edit queues its emails at once.
    ``thread`` may be None for an edit, and is then read only if the edit mentions someone new.
    The ids include members whose preferences or mutes then stored nothing for them.
    """
    recipients: dict[int, tuple[str, str]] = {}
    handles = find_mentions(post.html)
    if previous_html is not None:
        already = set(find_mentions(previous_html))
        handles = [handle for handle in handles if handle not in already]
    if thread is None:
        if not handles:
            return []
        thread = await Thread.get(id=post.thread_id)

    for mentioned in await _mentionable_members(handles[:MAX_MENTIONS], thread):
        recipients[mentioned.id] = (
            NotificationKind.MENTION,
            f"{member.display_name} mentioned you in “{thread.title}”.",
        )

    if previous_html is None and post.number > 1:
        if post.reply_to_id is not None:
            reply_to_author = await Post.filter(id=post.reply_to_id).values_list(
                "author_id", flat=True
            )
            for author_id in reply_to_author:
                recipients.setdefault(
                    author_id,
                    (
                        NotificationKind.REPLY,
                        f"{member.display_name} replied to your post in “{thread.title}”.",
                    ),
                )
        recipients.setdefault(
            thread.author_id,
            (
                NotificationKind.REPLY,
                f"{member.display_name} replied to your question “{thread.title}”.",
            ),
        )

    for recipient_id, (kind, text) in recipients.items():
        await do_notify(
            recipient_id, kind, actor_id=member.id, thread_id=thread.id, post_id=post.id,
            text=text, email_later=previous_html is None,
        )
    return list(recipients)


async def _mentionable_members(handles: list[str], thread: Thread) -> list[Member]:
    if not handles:
        return []
    members = await Member.filter(handle__in=handles, is_imported=False).exclude(
        state=MemberState.ERASED
    )
    return [member for member in members if can(member, Action.VIEW_THREAD, thread)]


# Quotes -----------------------------------------------------------------------------


def build_quote(post: Post) -> str:
    """Return Markdown that quotes ``post``, headed by a link back to it, ready to reply under.

    ``post.author`` must be loaded. A long post is cut at a line break near 2,000 characters.
    """
    source = post.source.strip()
    if len(source) > QUOTE_MAX:
        cut = source.rfind("\n", 0, QUOTE_MAX)
        source = source[: cut if cut > QUOTE_MAX // 2 else QUOTE_MAX].rstrip() + "\n…"

    name = _MARKDOWN_SPECIAL_RE.sub(r"\\\1", post.author.display_name)
    lines = [f"**[{name} wrote](/posts/{post.id}):**", ""] + source.splitlines()
    return "\n".join(f"> {line}".rstrip() for line in lines) + "\n\n"


# Drafts -----------------------------------------------------------------------------


async def get_draft(member: Member | None, thread: Thread) -> Draft | None:
    """Return the member's draft reply for the thread, in one query (none if anonymous)."""
    if member is None:
        return None
    return await Draft.filter(member_id=member.id, thread_id=thread.id).first()


async def do_save_draft(
    member: Member, thread: Thread, body: str, *, max_length: int
) -> Draft | None:
    """Save the member's unsent reply to the thread; an empty body deletes the draft.

    Returns the saved draft, or None once deleted. Two saves racing each other leave the
    later body in the one row that the unique index allows.

    :raises ValidationFailed: on ``body`` when it is longer than ``max_length``.
    """
    require(member, Action.SAVE_DRAFT, thread)
    if len(body) > max_length:
        raise ValidationFailed(
            {
                "body": (
                    f"Your draft is {len(body):,} characters long, but the limit is {max_length:,} "
                    "characters. Shorten it and try again."
                )
            }
        )
    if not body.strip():
        await do_discard_draft(member, thread)
        return None

    now = datetime.now(UTC)
    drafts = Draft.filter(member_id=member.id, thread_id=thread.id)
    if not await drafts.update(body=body, updated_at=now):
        try:
            await Draft.create(member_id=member.id, thread_id=thread.id, body=body)
        except IntegrityError:
            await drafts.update(body=body, updated_at=now)
    return await drafts.first()


async def do_discard_draft(member: Member, thread: Thread) -> None:
    """Delete the member's draft reply for the thread, if there is one."""
    await Draft.filter(member_id=member.id, thread_id=thread.id).delete()


# Revision diffs ---------------------------------------------------------------------


@dataclass
class DiffLine:
    """One line of a diff: ``kind`` is same, added, removed or changed.

    ``parts`` contains (kind, text) pieces, where a changed line mixes same, added and
    removed words.
    """

    kind: str
    parts: list[tuple[str, str]]


@dataclass
class RevisionDiff:
    post: Post
    revisions: list[Revision]
    old: Revision
    new: Revision
    lines: list[DiffLine] = field(default_factory=list)

    @property
    def counts(self) -> dict[str, int]:
        totals = {"added": 0, "removed": 0, "changed": 0}
        for line in self.lines:
            if line.kind in totals:
                totals[line.kind] += 1
        return totals


async def get_revision_diff(
    member: Member | None, post: Post, old_number: int | None, new_number: int | None
) -> RevisionDiff:
    """Compare two stored revisions of a post, line by line and word by word.

    Without numbers, compares the latest revision with the one before it. ``post.thread``
    must be loaded. Issues one query.

    :raises NotFound: when either number names no revision of the post.
    """
    require(member, Action.VIEW_REVISIONS, post)
    revisions = await Revision.filter(post_id=post.id).order_by("number").select_related("editor")
    by_number = {revision.number: revision for revision in revisions}
    latest = revisions[-1].number if revisions else 0

    new_number = new_number or latest
    old_number = old_number or max(new_number - 1, 1)
    if old_number not in by_number or new_number not in by_number:
        raise NotFound("That version of the post does not exist. Choose versions from the list.")

    old, new = by_number[old_number], by_number[new_number]
    return RevisionDiff(
        post=post, revisions=revisions, old=old, new=new, lines=diff_lines(old.source, new.source)
    )


def diff_lines(old_text: str, new_text: str) -> list[DiffLine]:
    """Diff two texts by line, and the words of each line that changed in place."""
    old_lines, new_lines = old_text.splitlines(), new_text.splitlines()
    matcher = difflib.SequenceMatcher(None, old_lines, new_lines, autojunk=False)
    lines: list[DiffLine] = []

    for operation, old_start, old_end, new_start, new_end in matcher.get_opcodes():
        old_chunk, new_chunk = old_lines[old_start:old_end], new_lines[new_start:new_end]
        if operation == "equal":
            lines.extend(DiffLine("same", [("same", line)]) for line in new_chunk)
            continue

        paired = min(len(old_chunk), len(new_chunk)) if operation == "replace" else 0
        for before, after in zip(old_chunk[:paired], new_chunk[:paired], strict=True):
            lines.append(DiffLine("changed", _diff_words(before, after)))
        lines.extend(DiffLine("removed", [("removed", line)]) for line in old_chunk[paired:])
        lines.extend(DiffLine("added", [("added", line)]) for line in new_chunk[paired:])
    return lines


def _diff_words(before: str, after: str) -> list[tuple[str, str]]:
    # Splitting on whitespace but keeping it lets the pieces join back into each line.
    old_words, new_words = re.split(r"(\s+)", before), re.split(r"(\s+)", after)
    matcher = difflib.SequenceMatcher(None, old_words, new_words, autojunk=False)
    parts: list[tuple[str, str]] = []

    for operation, old_start, old_end, new_start, new_end in matcher.get_opcodes():
        if operation == "equal":
            parts.append(("same", "".join(new_words[new_start:new_end])))
            continue
        if old_end > old_start:
            parts.append(("removed", "".join(old_words[old_start:old_end])))
        if new_end > new_start:
            parts.append(("added", "".join(new_words[new_start:new_end])))
    return parts
