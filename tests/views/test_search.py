"""The search page, its JSON twin and the similar-thread suggestions on the new-thread form."""

import pytest

from forum.services import search
from tests.factories import make_member, make_reply, make_thread


async def test_search_page_without_query_shows_form(client):
    response = await client.get("/search")
    html = await response.get_data(as_text=True)

    assert response.status_code == 200
    assert '<input class="govuk-input " id="q" name="q" type="search"' in html
    assert 'id="results"' not in html


async def test_search_page_lists_results_with_links(client):
    thread = await make_thread(title="CIN census error 8875 on closed cases")
    reply = await make_reply(thread, body="Check the census closure date first.")

    response = await client.get("/search?q=census")
    html = await response.get_data(as_text=True)

    assert response.status_code == 200
    assert f'href="/threads/{thread.id}/{thread.slug}#post-1"' in html
    assert f'href="/threads/{thread.id}/{thread.slug}#post-{reply.number}"' in html
    assert "CIN <mark>census</mark> error 8875 on closed cases" in html
    assert "Showing results 1 to 2, best match first." in html


async def test_search_page_escapes_titles_and_snippets(client):
    await make_thread(
        title="Census <script>alert(1)</script> question",
        body="The census <b onclick=x>field</b> is empty.",
    )

    html = await (await client.get("/search?q=census")).get_data(as_text=True)

    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;" in html
    assert "<b onclick" not in html


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("q=", "Enter words to search for."),
        (
            "q=census&posted_after-day=31&posted_after-month=2&posted_after-year=2025",
            "The date posted after must be a real date, for example 27 3 2025.",
        ),
    ],
)
async def test_search_page_shows_errors(client, query, message):
    response = await client.get(f"/search?{query}")
    html = await response.get_data(as_text=True)

    assert response.status_code == 422
    assert "There is a problem" in html
    assert message in html
    assert "<title>Error:" in html


async def test_date_error_links_to_day_field(client):
    html = await (
        await client.get(
            "/search?q=census&posted_before-day=1&posted_before-month=13&posted_before-year=2025"
        )
    ).get_data(as_text=True)

    assert '<a href="#posted_before-day">' in html
    assert 'aria-describedby="posted_before-hint posted_before-error"' in html


async def test_pagination_keeps_filters(client):
    thread = await make_thread(title="Statistical neighbours tables", skill_area="benchmarking")
    for number in range(search.RESULTS_PER_PAGE + 1):
        await make_reply(thread, body=f"Neighbours table {number}.")

    html = await (await client.get("/search?q=neighbours&skill=benchmarking")).get_data(
        as_text=True
    )

    assert "page=2" in html
    assert "skill=benchmarking" in html.split('rel="next"')[1].split(">")[0]


async def test_filters_open_when_used(client):
    html = await (await client.get("/search?q=census&solved=yes")).get_data(as_text=True)

    assert '<details class="govuk-details" open>' in html
    assert 'id="solved" name="solved" type="checkbox" value="yes" checked' in html


async def test_search_json_returns_results(client):
    thread = await make_thread(title="Power BI refresh schedule")

    response = await client.get("/api/search?q=refresh")
    body = await response.get_json()

    assert response.status_code == 200
    assert body["query"] == "refresh"
    assert body["has_next"] is False
    assert [result["thread_id"] for result in body["results"]] == [thread.id]
    assert body["results"][0]["url"] == f"/threads/{thread.id}/{thread.slug}#post-1"
    assert "<mark>refresh</mark>" in body["results"][0]["title_html"]


async def test_search_json_reports_errors(client):
    response = await client.get("/api/search?q=%25%25")
    body = await response.get_json()

    assert response.status_code == 422
    assert body["error"] == "validation_failed"
    assert "q" in body["errors"]


async def test_similar_threads_fragment_links_threads(client):
    thread = await make_thread(title="SSDA903 episode dates overlap")

    response = await client.get("/search/similar?title=episode%20overlap")
    html = await response.get_data(as_text=True)

    assert response.status_code == 200
    assert f'href="/threads/{thread.id}/{thread.slug}"' in html
    assert "(opens in new tab)" in html


async def test_similar_threads_fragment_empty_for_short_title(client):
    await make_thread(title="SSDA903 episode dates overlap")

    html = await (await client.get("/search/similar?title=ep")).get_data(as_text=True)

    assert html.strip() == ""


async def test_new_thread_form_asks_for_similar_threads(sign_in):
    client = await sign_in(await make_member())

    html = await (await client.get("/threads/new")).get_data(as_text=True)

    assert 'hx-get="/search/similar"' in html
    assert (
        '<div id="similar-threads" class="forum-similar-threads" aria-live="polite"></div>' in html
    )


async def test_header_links_to_search(client):
    html = await (await client.get("/")).get_data(as_text=True)

    assert 'href="/search">Search</a>' in html


# Query counts -----------------------------------------------------------------------

SEARCH_PATHS = {
    "search": "/search?q=census",
    "filtered search": "/search?q=census%20-placement&skill=statutory-returns&role=la-data&solved=yes"
    "&author=someone&posted_after-day=1&posted_after-month=1&posted_after-year=2020",
    "json": "/api/search?q=census",
    "similar": "/search/similar?title=census%20episode",
}
# The taxonomy (two queries) and the search itself; the similar threads need only the search.
SEARCH_BUDGET = {"search": 3, "filtered search": 3, "json": 3, "similar": 1}


async def _add_census_threads(count: int, replies: int) -> None:
    author = await make_member()
    for number in range(count):
        thread = await make_thread(
            author=author, title=f"Census episode question {number}", skill_area="cin-census"
        )
        for reply in range(replies):
            await make_reply(thread, author=author, body=f"Census reply {reply}.")


async def _count(client, count_queries, path: str) -> int:
    count_queries.statements.clear()
    response = await client.get(path)
    assert response.status_code == 200
    return count_queries.count


@pytest.mark.parametrize("page", SEARCH_PATHS)
async def test_search_query_count_is_constant(client, count_queries, page):
    await _add_census_threads(count=2, replies=1)
    small = await _count(client, count_queries, SEARCH_PATHS[page])

    await _add_census_threads(count=15, replies=3)
    large = await _count(client, count_queries, SEARCH_PATHS[page])

    assert small == large, count_queries.statements
    assert small <= SEARCH_BUDGET[page], count_queries.statements


async def test_signed_in_search_adds_only_session_query(sign_in, count_queries):
    await _add_census_threads(count=3, replies=2)
    client = await sign_in(await make_member())

    count = await _count(client, count_queries, SEARCH_PATHS["search"])

    # The header's unread count is one more query for a signed-in member.
    assert count <= SEARCH_BUDGET["search"] + 2, count_queries.statements
