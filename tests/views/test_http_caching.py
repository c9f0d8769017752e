"""Visitors' pages carry an ETag and return 304 when unchanged. Members' pages are never stored."""

from forum.services import posting
from tests.factories import make_member, make_thread


async def test_visitor_page_has_etag_and_private_no_cache(client):
    thread = await make_thread()

    response = await client.get(f"/threads/{thread.id}")

    assert response.status_code == 200
    assert response.headers["ETag"]
    assert response.headers["Cache-Control"] == "private, no-cache"
    assert "Last-Modified" not in response.headers


async def test_matching_etag_answers_304_without_body(client):
    thread = await make_thread()
    first = await client.get(f"/threads/{thread.id}")

    again = await client.get(f"/threads/{thread.id}", headers={"If-None-Match": first.headers["ETag"]})

    assert again.status_code == 304
    assert await again.get_data() == b""


async def test_new_reply_changes_etag(client):
    thread = await make_thread()
    first = await client.get(f"/threads/{thread.id}")
    await posting.do_reply(await make_member(), thread, "A new reply about the census.", max_length=1000)

    again = await client.get(f"/threads/{thread.id}", headers={"If-None-Match": first.headers["ETag"]})

    assert again.status_code == 200
    assert again.headers["ETag"] != first.headers["ETag"]


async def test_member_page_not_stored_and_has_no_etag(sign_in):
    thread = await make_thread()
    client = await sign_in(await make_member())

    response = await client.get(f"/threads/{thread.id}")

    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "private, no-store"
    assert "ETag" not in response.headers
