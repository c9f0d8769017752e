"""Reading threads: lists with filters and keyset pagination, thread pages, the taxonomy.

Every function here issues a fixed number of queries whatever the size of the data; the
query-count tests hold each page to that.
"""

import base64
import binascii
from dataclasses import dataclass, field
from datetime import UTC, datetime

from tortoise.expressions import Q
from tortoise.functions import Count

from forum.auth.policy import Action, can
from forum.errors import NotFound
from models import CacheVersion, Member, Post, Role, SkillArea, Thread, ThreadKind, ThreadState

THREADS_PER_PAGE = 30
# Most pinned threads shown above a list's first page.
PINNED_MAX = 5
POSTS_PER_PAGE = 50
LIST_STATES = ("unanswered", "solved")


@dataclass(frozen=True)
class Taxonomy:
    """Every skill area and role, loaded in two queries and shared by a page's parts."""

    skill_areas: list[SkillArea]
    roles: list[Role]

    def skill_area(self, slug: str) -> SkillArea | None:
        return next((area for area in self.skill_areas if area.slug == slug), None)

    def role(self, slug: str) -> Role | None:
        return next((role for role in self.roles if role.slug == slug), None)

    def top_level_areas(self) -> list[SkillArea]:
        return [area for area in self.skill_areas if area.parent_id is None]

    def children_of(self, area: SkillArea) -> list[SkillArea]:
        return [child for child in self.skill_areas if child.parent_id == area.id]

    def descendant_ids(self, area: SkillArea) -> list[int]:
        """Return the ids of ``area`` and every area below it."""
        ids = [area.id]
        frontier = [area.id]
        while frontier:
            frontier = [a.id for a in self.skill_areas if a.parent_id in frontier]
            ids.extend(frontier)
        return ids


# The taxonomy last loaded by this process, with the ``cache_version`` it was loaded at.
# Triggers raise that version whenever a skill area or role changes, so checking it costs
# one primary-key lookup per request instead of loading both tables again.
_taxonomy_cache: dict = {"version": None, "taxonomy": None}


async def get_taxonomy() -> Taxonomy:
    """Return every skill area and role, from memory while the stored version is unchanged.

    The cached model objects are shared between requests, so callers must not change them.
    """
    version = await CacheVersion.filter(name="taxonomy").values_list("version", flat=True)
    current = version[0] if version else None
    cached = _taxonomy_cache["taxonomy"]
    if cached is not None and current is not None and _taxonomy_cache["version"] == current:
        return cached

    taxonomy = Taxonomy(skill_areas=await SkillArea.all(), roles=await Role.all())
    _taxonomy_cache.update(version=current, taxonomy=taxonomy)
    return taxonomy


@dataclass(frozen=True)
class ThreadFilter:
    skill: str | None = None
    role: str | None = None
    state: str | None = None
    kind: str | None = None

    def query_args(self) -> dict[str, str]:
        return {name: value for name, value in vars(self).items() if value}


@dataclass
class ThreadPage:
    threads: list[Thread]
    next_cursor: str | None
    filter: ThreadFilter
    pinned: list[Thread] = field(default_factory=list)


def encode_cursor(moment: datetime, item_id: int) -> str:
    raw = f"{moment.isoformat()}|{item_id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> tuple[datetime, int] | None:
    """Decode a list cursor. An unreadable one starts from the first page."""
    if not cursor:
        return None

    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        moment_text, id_text = raw.split("|", 1)
        return datetime.fromisoformat(moment_text), int(id_text)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None


def check_filter(taxonomy: Taxonomy, thread_filter: ThreadFilter) -> ThreadFilter:
    """Drop filter values that name nothing, so a stale link lists threads rather than failing."""
    return ThreadFilter(
        skill=thread_filter.skill if taxonomy.skill_area(thread_filter.skill or "") else None,
        role=thread_filter.role if taxonomy.role(thread_filter.role or "") else None,
        state=thread_filter.state if thread_filter.state in LIST_STATES else None,
        kind=thread_filter.kind if thread_filter.kind in set(ThreadKind) else None,
    )


async def list_threads(
    taxonomy: Taxonomy,
    thread_filter: ThreadFilter,
    cursor: str | None = None,
    *,
    limit: int = THREADS_PER_PAGE,
) -> ThreadPage:
    """List visible threads, latest activity first, one keyset page at a time."""
    thread_filter = check_filter(taxonomy, thread_filter)
    query = Thread.exclude(state__in=(ThreadState.HIDDEN, ThreadState.HELD))

    if thread_filter.skill:
        area = taxonomy.skill_area(thread_filter.skill)
        query = query.filter(skill_area_id__in=taxonomy.descendant_ids(area))
    if thread_filter.role:
        query = query.filter(audience_roles__id=taxonomy.role(thread_filter.role).id)
    if thread_filter.kind:
        query = query.filter(kind=thread_filter.kind)
    if thread_filter.state == "solved":
        # A locked question keeps its accepted answer, so it counts as solved too.
        query = query.filter(Q(state=ThreadState.SOLVED) | Q(accepted_post_id__isnull=False))
    elif thread_filter.state == "unanswered":
        # No replies, no accepted answer, and not solved by pointing to another thread.
        query = query.filter(
            kind=ThreadKind.QUESTION, post_count__lte=1, accepted_post_id__isnull=True
        ).exclude(state=ThreadState.SOLVED)

    position = decode_cursor(cursor)
    # Pinned threads head the first page, in one more query, and are left out of the pages.
    pinned_now = Q(pinned=True) & (Q(pinned_until__isnull=True) | Q(pinned_until__gt=datetime.now(UTC)))
    pinned = []
    if not position:
        pinned = await (
            query.filter(pinned_now)
            .order_by("-last_activity_at", "-id")
            .limit(PINNED_MAX)
            .select_related("last_poster")
        )
    query = query.exclude(pinned_now)
    if position:
        moment, thread_id = position
        query = query.filter(
            Q(last_activity_at__lt=moment) | Q(last_activity_at=moment, id__lt=thread_id)
        )

    rows = await (
        query.order_by("-last_activity_at", "-id")
        .limit(limit + 1)
        .select_related("last_poster")
    )
    # List items show the last poster but not the author, so only the last poster is joined.
    # The skill areas come from the taxonomy in memory rather than a join for every row.
    areas = {area.id: area for area in taxonomy.skill_areas}
    for row in rows + pinned:
        row.skill_area = areas[row.skill_area_id]
    await _attach_roles(rows + pinned, taxonomy.roles)
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        next_cursor = encode_cursor(rows[-1].last_activity_at, rows[-1].id)
    await _attach_unseen_counts(rows + pinned)
    return ThreadPage(threads=rows, next_cursor=next_cursor, filter=thread_filter, pinned=pinned)


async def _attach_unseen_counts(threads: list[Thread]) -> None:
    """Count each thread's hidden and held posts in one query, so lists count only what readers see.

    ``post_count`` numbers the posts and so includes those a moderator hid or is checking.
    """
    if not threads:
        return
    counts = dict(
        await Post.filter(Q(is_hidden=True) | Q(held_for_review=True), thread_id__in=[t.id for t in threads])
        .group_by("thread_id")
        .annotate(unseen=Count("id"))
        .values_list("thread_id", "unseen")
    )
    for thread in threads:
        thread.unseen_posts = counts.get(thread.id, 0)


async def access_thread(member: Member | None, thread_id: int, *, for_page: bool = True) -> Thread:
    """Return a thread the member may see, or raise NotFound (missing and hidden alike).

    For a page it comes with its author, the moderator who set slow mode, its skill area and
    its audience roles. With ``for_page=False`` only the thread row is read, for a write
    that shows no page; :func:`load_thread_page_parts` adds the rest if one is shown after all.
    """
    query = Thread.filter(id=thread_id)
    if for_page:
        query = query.select_related("author", "slow_mode_by")
    thread = await query.first()
    if thread is None or not can(member, Action.VIEW_THREAD, thread):
        raise NotFound()
    if for_page:
        await _attach_taxonomy(thread)
    return thread


async def load_thread_page_parts(thread: Thread) -> None:
    """Load what a page shows of a thread from ``access_thread(for_page=False)``."""
    await thread.fetch_related("author", "slow_mode_by")
    await _attach_taxonomy(thread)


async def _attach_taxonomy(thread: Thread) -> None:
    taxonomy = await get_taxonomy()
    thread.skill_area = next(area for area in taxonomy.skill_areas if area.id == thread.skill_area_id)
    await _attach_roles([thread], taxonomy.roles)


async def _attach_roles(threads: list[Thread], roles: list[Role]) -> None:
    """Set ``thread.roles`` to a plain list of each thread's audience roles, in one query.

    The role objects come from the taxonomy already loaded, so only the link table is read.
    Templates get a list because Jinja's async mode iterates a Tortoise relation with
    ``async for``, which would query the database again for every thread.
    """
    by_id = {role.id: role for role in roles}
    links = await Thread.filter(id__in=[thread.id for thread in threads]).values_list(
        "id", "audience_roles__id"
    )
    for thread in threads:
        thread.roles = [by_id[role_id] for thread_id, role_id in links if thread_id == thread.id and role_id in by_id]
        thread.roles.sort(key=lambda role: role.position)


async def list_posts(
    thread: Thread, member: Member | None, after: int = 0, *, limit: int = POSTS_PER_PAGE
) -> tuple[list[Post], int | None]:
    """Return one page of a thread's posts in order, and the number to continue after."""
    query = Post.filter(thread_id=thread.id, number__gt=after)
    if not can(member, Action.VIEW_HIDDEN_CONTENT):
        query = query.filter(is_hidden=False)
        # A post held by the personal-data check is shown only to its author until approved.
        query = query.filter(Q(held_for_review=False) | Q(author_id=member.id if member else 0))

    posts = await (
        query.order_by("number")
        .limit(limit + 1)
        .select_related("author", "author__organisation", "author__role")
    )
    next_after = None
    if len(posts) > limit:
        posts = posts[:limit]
        next_after = posts[-1].number
    return posts, next_after


async def access_post(member: Member | None, post_id: int) -> Post:
    """Return a post, with its thread, that the member may see, or raise NotFound."""
    post = await Post.filter(id=post_id).select_related("thread", "author").first()
    if post is None or not can(member, Action.VIEW_THREAD, post.thread):
        raise NotFound()
    if post.is_hidden and not can(member, Action.VIEW_HIDDEN_CONTENT):
        raise NotFound()
    is_author = member is not None and post.author_id == member.id
    if post.held_for_review and not is_author and not can(member, Action.VIEW_HIDDEN_CONTENT):
        raise NotFound()
    return post


async def list_revisions(post: Post) -> list:
    return await post.revisions.all().order_by("-number").select_related("editor")
