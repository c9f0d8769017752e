"""Each page issues a fixed number of SQL queries, whatever the number of threads or posts."""

import pytest

from forum.services import posting
from models import Post
from tests.factories import make_member, make_thread

PAGES = {
    "home": lambda thread: "/",
    "skill area": lambda thread: "/skills/statutory-returns",
    "role": lambda thread: "/roles/la-data",
    "filtered": lambda thread: "/?skill=statutory-returns&role=la-data&state=unanswered",
    "thread": lambda thread: f"/threads/{thread.id}",
}
# The budget for an anonymous visitor. The thread page also reads duplicate suggestions.
# List pages read the pinned threads in one query of their own, and the hidden and held
# posts that the reply counts leave out in another.
BUDGET = {"home": 6, "skill area": 6, "role": 6, "filtered": 6, "thread": 5}
# A signed-in member adds the session and the unread-notification count in the header.
SIGNED_IN_EXTRA = 2
REPLY_BUDGET = 12


async def _add_content(threads: int, replies: int):
    authors = [await make_member() for _ in range(3)]
    made = []
    for number in range(threads):
        thread = await make_thread(
            author=authors[number % 3],
            title=f"Thread about the CIN census {number}",
            skill_area="cin-census",
            roles=["la-data", "la-leadership"],
        )
        for reply in range(replies):
            await posting.do_reply(authors[reply % 3], thread, f"Reply {reply}", max_length=1000)
        made.append(thread)
    return made[0]


async def _count(client, count_queries, path: str) -> int:
    count_queries.statements.clear()
    response = await client.get(path)
    assert response.status_code == 200
    return count_queries.count


@pytest.mark.parametrize("page", PAGES)
async def test_query_count_is_constant(client, count_queries, page):
    thread = await _add_content(threads=2, replies=1)
    small = await _count(client, count_queries, PAGES[page](thread))

    await _add_content(threads=12, replies=4)
    more_threads = await _count(client, count_queries, PAGES[page](thread))
    for reply in range(8):
        await posting.do_reply(await make_member(), thread, f"More {reply}", max_length=1000)
    more_posts = await _count(client, count_queries, PAGES[page](thread))

    assert small == more_threads == more_posts, count_queries.statements
    assert small <= BUDGET[page], count_queries.statements


async def test_signed_in_page_adds_session_and_unread_count(sign_in, count_queries):
    await _add_content(threads=3, replies=2)
    client = await sign_in(await make_member())

    count = await _count(client, count_queries, "/")

    assert count <= BUDGET["home"] + SIGNED_IN_EXTRA, count_queries.statements
    assert await Post.all().count() == 9


async def test_reply_query_count_is_constant(sign_in, count_queries):
    thread = await _add_content(threads=2, replies=1)
    client = await sign_in(await make_member())

    async def count_reply(body: str) -> int:
        count_queries.statements.clear()
        response = await client.post(f"/threads/{thread.id}/reply", {"body": body})
        assert response.status_code == 303
        return count_queries.count

    # A member's first reply also starts their watch on the thread, so it is left out.
    await count_reply("A first reply about the census returns.")
    few = await count_reply("Another reply about the census returns.")
    await _add_content(threads=12, replies=4)
    for reply in range(8):
        await posting.do_reply(await make_member(), thread, f"More {reply}", max_length=1000)
    many = await count_reply("A second reply about the census returns.")

    assert few == many, count_queries.statements
    # The session, the thread, the repeat check, the post number, the post, its revision,
    # the draft, the author's delivery choice and notification, the watch, the watcher
    # notice and the page generation. The emails are left to the worker.
    assert many <= REPLY_BUDGET, count_queries.statements
