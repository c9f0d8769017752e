"""Pages kept for visitors: served again until any change, each with the visitor's own token."""

import dataclasses
import re

import pytest

from forum.app import create_app
from forum.auth.csrf import CSRF_COOKIE, is_valid_token
from forum.cli import _with_database
from forum.services import page_cache, posting
from forum.services.page_cache import TOKEN_PLACEHOLDER, PageCache
from tests.conftest import SECRET_KEY
from tests.factories import make_member, make_reply, make_thread

TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"|"X-CSRF-Token": "([^"]+)"')


@pytest.fixture(name="settings")
def _settings_with_cache(settings):
    return dataclasses.replace(settings, page_cache_seconds=60)


@pytest.fixture(name="kept")
def _kept(app) -> PageCache:
    return app.extensions["page_cache"]


def _new_csrf_cookie(response) -> str:
    for header in response.headers.getlist("Set-Cookie"):
        name, _, rest = header.partition("=")
        if name == CSRF_COOKIE:
            return rest.split(";", 1)[0]
    raise AssertionError("no CSRF cookie was set")


def _tokens(text: str) -> set[str]:
    return {first or second for first, second in TOKEN.findall(text)}


async def test_second_visit_served_with_one_query(client, kept, count_queries):
    thread = await make_thread(title="Counting looked-after children by placement type")
    await client.get(f"/threads/{thread.id}")

    count_queries.statements.clear()
    again = await client.get(f"/threads/{thread.id}")

    assert again.status_code == 200
    assert "Counting looked-after children" in await again.get_data(as_text=True)
    assert kept.hits == 1
    # Only the generation is read: no session, no thread, no posts.
    assert count_queries.count == 1, count_queries.statements


@pytest.mark.parametrize("path", ["/", "/skills", "/skills/statutory-returns", "/roles", "/roles/la-data",
                                  "/search?q=census"])
async def test_visitor_pages_kept(client, kept, path):
    await make_thread(title="Census returns for the spring term")
    first = await client.get(path)
    second = await client.get(path)

    assert first.status_code == second.status_code == 200
    assert kept.hits == 1


async def test_visitor_token_valid_for_own_cookie(app, kept):
    thread = await make_thread()
    visitors = [app.test_client(), app.test_client()]
    pages = [await visitor.get(f"/threads/{thread.id}") for visitor in visitors]

    tokens = [_tokens(await page.get_data(as_text=True)) for page in pages]
    cookies = [_new_csrf_cookie(page) for page in pages]

    assert kept.hits == 1
    for found, cookie in zip(tokens, cookies, strict=True):
        assert len(found) == 1
        (token,) = found
        assert token != TOKEN_PLACEHOLDER
        assert is_valid_token(SECRET_KEY, cookie, None, token)
    assert tokens[0] != tokens[1]
    assert TOKEN_PLACEHOLDER not in await pages[1].get_data(as_text=True)


async def test_placeholder_text_in_post_unchanged(client, sign_in, kept):
    thread = await make_thread()
    member = await sign_in(await make_member())
    text = "Looks like forum-csrf-token-placeholder-7c1e0b9a and forum-csrf-0123456789abcdef"
    await member.post(f"/threads/{thread.id}/reply", {"body": text})

    await client.get(f"/threads/{thread.id}")
    kept_copy = await client.get(f"/threads/{thread.id}")

    assert kept.hits == 1
    assert text in await kept_copy.get_data(as_text=True)


async def test_member_page_never_kept(client, sign_in, kept):
    thread = await make_thread()
    await client.get(f"/threads/{thread.id}")
    member = await make_member(display_name="Priya Shah")
    signed_in = await sign_in(member)

    response = await signed_in.get(f"/threads/{thread.id}")

    assert "Sign out Priya Shah" in await response.get_data(as_text=True)
    assert kept.hits == 0


async def test_member_reply_clears_kept_thread(client, sign_in, kept):
    thread = await make_thread()
    await client.get(f"/threads/{thread.id}")
    member = await sign_in(await make_member())

    posted = await member.post(f"/threads/{thread.id}/reply", {"body": "We match on the UPN first."})
    again = await client.get(f"/threads/{thread.id}")

    assert posted.status_code == 303
    assert "We match on the UPN first." in await again.get_data(as_text=True)
    assert kept.hits == 0


async def test_redaction_clears_kept_thread(client, sign_in, kept):
    post = await make_reply(await make_thread(), body="Please call Sam Example about the case")
    await client.get(f"/threads/{post.thread_id}")
    moderator = await sign_in(await make_member(permission="moderator"))

    done = await moderator.post(
        f"/moderation/posts/{post.id}", {"action": "redact", "reason": "Personal data", "confirm": "yes"}
    )
    again = await client.get(f"/threads/{post.thread_id}")

    assert done.status_code == 303
    assert "Sam Example" not in await again.get_data(as_text=True)


async def test_generation_bump_clears_kept_pages(client, settings, kept):
    thread = await make_thread()
    await client.get(f"/threads/{thread.id}")

    # What a command does: write, then raise the generation as ``_with_database`` does on exit.
    await posting.do_reply(await make_member(), thread, "Added by an import.", max_length=1000)
    await page_cache.bump_generation("test")
    again = await client.get(f"/threads/{thread.id}")

    assert "Added by an import." in await again.get_data(as_text=True)
    assert kept.hits == 0


async def test_command_runner_raises_generation(settings, database_url):
    before = await page_cache.current_generation()

    # The runner opens and closes its own connection, as a command-line process would.
    from forum.db import init_database

    await _with_database(settings, lambda: _noop())
    await init_database(database_url)

    assert await page_cache.current_generation() == before + 1


async def _noop():
    return None


async def test_unbumped_write_waits_for_expiry(client, kept):
    """Show the window the expiry bounds: the cache relies on the generation being raised."""
    thread = await make_thread()
    await client.get(f"/threads/{thread.id}")
    await posting.do_reply(await make_member(), thread, "Written past the web app.", max_length=1000)

    stale = await client.get(f"/threads/{thread.id}")
    kept.max_age = 0.0
    fresh = await client.get(f"/threads/{thread.id}")

    assert "Written past the web app." not in await stale.get_data(as_text=True)
    assert "Written past the web app." in await fresh.get_data(as_text=True)


async def test_preview_keeps_generation(client, sign_in, kept):
    thread = await make_thread()
    await client.get(f"/threads/{thread.id}")
    before = await page_cache.current_generation()
    member = await sign_in(await make_member())

    preview = await member.post("/preview", {"body": "**bold**"})

    assert preview.status_code == 200
    assert await page_cache.current_generation() == before


async def test_rejected_post_keeps_generation(client, kept):
    thread = await make_thread()
    before = await page_cache.current_generation()

    refused = await client.post(f"/threads/{thread.id}/reply", form={"body": "no token"})

    assert refused.status_code == 400
    assert await page_cache.current_generation() == before


async def test_not_found_page_real_token(client):
    response = await client.get("/threads/999999")

    text = await response.get_data(as_text=True)
    assert response.status_code == 404
    assert TOKEN_PLACEHOLDER not in text
    assert _tokens(text)


async def test_htmx_and_redirects_not_kept(client, kept):
    thread = await make_thread()

    await client.get(f"/threads/{thread.id}", headers={"HX-Request": "true"})
    await client.get(f"/threads/{thread.id}", headers={"HX-Request": "true"})
    await client.get(f"/threads/{thread.id}/old-slug")
    await client.get(f"/threads/{thread.id}/old-slug")

    assert kept.hits == 0


async def test_kept_page_304_same_visitor(client):
    thread = await make_thread()
    first = await client.get(f"/threads/{thread.id}")
    second = await client.get(f"/threads/{thread.id}")

    again = await client.get(f"/threads/{thread.id}", headers={"If-None-Match": second.headers["ETag"]})

    assert first.headers["ETag"] == second.headers["ETag"]
    assert again.status_code == 304


async def test_zero_seconds_turns_cache_off(settings, kept):
    app = create_app(dataclasses.replace(settings, page_cache_seconds=0))
    thread = await make_thread()
    client = app.test_client()

    await client.get(f"/threads/{thread.id}")
    await client.get(f"/threads/{thread.id}")

    assert not app.extensions["page_cache"].enabled
    assert app.extensions["page_cache"].hits == 0


def test_full_cache_evicts_least_recent():
    cache = PageCache(max_age=60, max_chars=4000)
    for name in ("a", "b", "c", "d"):
        cache.put(name, 1, name * 1000, "text/html")
    cache.get("a", 1)
    cache.put("e", 1, "e" * 1000, "text/html")

    assert cache.get("a", 1) is not None
    assert cache.get("b", 1) is None
    assert cache.get("e", 1) is not None


def test_old_generation_not_served():
    cache = PageCache(max_age=60, max_chars=10_000)
    cache.put("/", 1, "page", "text/html")

    assert cache.get("/", 2) is None


def test_real_token_page_rejected():
    cache = PageCache(max_age=60, max_chars=10_000)

    kept = cache.put("/", 1, '<input name="csrf_token" value="abc123">', "text/html")

    assert kept is None
    assert cache.get("/", 1) is None
