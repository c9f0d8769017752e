"""Rendered pages kept in memory for visitors who are not signed in.

Most readers of a public forum are not signed in, and all of them get the same page for the
same address. The first visitor's page is rendered as usual and kept, and the next visitors
get the kept copy until something changes.

What counts as a change is deliberately coarse. The ``pages`` row of ``cache_version`` is a
generation number, and every kept page belongs to the generation it was rendered in. The
number goes up after every state-changing request (any POST that passed the CSRF check),
after every scheduled job that changed something, and at the end of every command that
writes. So a new post, an edit, a vote or a moderator hiding something is on the next
visitor's page at once, whatever the feature. The number is stored in the database, so every
worker process and every instance reads the same one. A kept page also expires after
``Settings.page_cache_seconds`` however quiet the forum is, which bounds anything that
changes by itself with time (slow mode ending, say) or is written past these paths.

A visitor's page differs from another's only in the CSRF token (forms and the htmx header
carry it). Pages are rendered with a placeholder where the token goes, and each response
swaps in that visitor's own token.

Signed-in members never get a kept page: theirs show their own name, votes and controls.
"""

import hashlib
import logging
import secrets
import time
from collections import OrderedDict
from dataclasses import dataclass

from tortoise import connections

logger = logging.getLogger(__name__)

GENERATION_ROW = "pages"
# Written in place of the CSRF token while a page that will be kept is rendered. HTML and
# JSON escaping leave its characters alone, so it appears in the page exactly as written.
# It is random per process, so no member can type it into a post and have visitors' tokens
# written into their text, or into an image address that sends the token elsewhere.
TOKEN_PLACEHOLDER = f"forum-csrf-{secrets.token_hex(16)}"
_READ_SQL = f"SELECT version FROM cache_version WHERE name = '{GENERATION_ROW}'"
_BUMP_SQL = (
    f"INSERT INTO cache_version (name, version) VALUES ('{GENERATION_ROW}', 1) "
    "ON CONFLICT (name) DO UPDATE SET version = cache_version.version + 1"
)


def for_visitors(view):
    """Mark a GET view whose page may be kept for visitors who are not signed in.

    Only pages that are the same for every visitor qualify, and the view must not set
    cookies. Put it below the route decorators, so the registered function carries the mark.
    """
    view.kept_for_visitors = True
    return view


def is_kept_view(view) -> bool:
    return getattr(view, "kept_for_visitors", False)


@dataclass(frozen=True)
class KeptPage:
    body: str
    generation: int
    stored_at: float
    # A hash of the page with the placeholder. Each visitor's ETag mixes in their token.
    digest: str
    content_type: str

    def body_for(self, token: str) -> str:
        return self.body.replace(TOKEN_PLACEHOLDER, token)

    def etag_for(self, token: str) -> str:
        return hashlib.blake2b(f"{self.digest}|{token}".encode(), digest_size=12).hexdigest()


class PageCache:
    """A least-recently-used store of pages, bounded by their total size in characters."""

    def __init__(self, *, max_age: float, max_chars: int) -> None:
        self.max_age = max_age
        self.max_chars = max_chars
        self._pages: OrderedDict[str, KeptPage] = OrderedDict()
        self._chars = 0
        self.hits = 0
        self.misses = 0

    @property
    def enabled(self) -> bool:
        return self.max_age > 0 and self.max_chars > 0

    def get(self, key: str, generation: int) -> KeptPage | None:
        page = self._pages.get(key)
        if page is None or page.generation != generation or time.monotonic() - page.stored_at > self.max_age:
            self.misses += 1
            return None
        self._pages.move_to_end(key)
        self.hits += 1
        return page

    def put(self, key: str, generation: int, body: str, content_type: str) -> KeptPage | None:
        if TOKEN_PLACEHOLDER not in body and "csrf" in body.lower():
            # A page carrying a real token would hand one visitor's token to the next.
            logger.warning("page not kept: CSRF placeholder missing from a page with a token", extra={"key": key})
            return None
        if len(body) > self.max_chars // 4:
            return None
        page = KeptPage(
            body=body, generation=generation, stored_at=time.monotonic(),
            digest=hashlib.blake2b(body.encode(), digest_size=16).hexdigest(), content_type=content_type,
        )
        old = self._pages.pop(key, None)
        if old is not None:
            self._chars -= len(old.body)
        self._pages[key] = page
        self._chars += len(body)
        while self._chars > self.max_chars and self._pages:
            _, evicted = self._pages.popitem(last=False)
            self._chars -= len(evicted.body)
        return page

    def clear(self) -> None:
        self._pages.clear()
        self._chars = 0


async def current_generation() -> int:
    """Return the pages generation, read by primary key without building model objects."""
    rows = await connections.get("default").execute_query_dict(_READ_SQL)
    return int(rows[0]["version"]) if rows else 0


async def bump_generation(reason: str) -> None:
    """Raise the generation, so every kept page is rendered again on its next visit.

    Call it after the change is committed. A page rendered between the commit and the bump
    is kept under the old generation, which no request reads once the bump is done.
    """
    await connections.get("default").execute_query(_BUMP_SQL)
    logger.debug("page generation raised", extra={"reason": reason})
