"""Full-text search: query parsing, ranking, filters, visibility and keeping the index in step.

Every database test runs on the engine the run uses (SQLite FTS5 by default, PostgreSQL
tsvector with FORUM_TEST_DATABASE_URL), so the same expectations hold for both.
"""

from datetime import UTC, datetime

import pytest
from tortoise import connections

from forum.errors import ValidationFailed
from forum.services import posting, search
from forum.services.browsing import get_taxonomy
from models import (
    MentoringRequest,
    Mentorship,
    MentorshipMessage,
    Post,
    Thread,
    ThreadState,
)
from tests.conftest import IS_POSTGRES
from tests.factories import make_member, make_reply, make_thread


async def _search(text: str, **filters) -> list[search.SearchResult]:
    taxonomy = await get_taxonomy()
    request = search.check_search(search.SearchForm(text=text, **filters), taxonomy)
    return (await search.search_posts(request)).results


async def _found_post_ids(text: str, **filters) -> list[int]:
    return [result.post_id for result in await _search(text, **filters)]


async def _opening_post(thread: Thread) -> Post:
    return await Post.get(thread_id=thread.id, number=1)


async def _check_index_matches_content() -> None:
    """Fail when the index contains anything other than exactly the current posts."""
    connection = connections.get("default")
    if IS_POSTGRES:
        rows = await connection.execute_query_dict(
            "SELECT (SELECT count(*) FROM post) AS posts, (SELECT count(*) FROM post_search) AS indexed"
        )
        assert rows[0]["posts"] == rows[0]["indexed"]
    else:
        # FTS5 compares the index with the external content and raises on any difference.
        await connection.execute_query(
            "INSERT INTO search_fts (search_fts, rank) VALUES ('integrity-check', 1)"
        )


async def test_title_match_ranks_above_body_match():
    body_thread = await make_thread(
        title="Checking our returns before submission", body="Our placement data needs work."
    )
    title_thread = await make_thread(
        title="Placement stability measure for the dashboard", body="How do you count moves?"
    )

    results = await _search("placement")

    assert [result.thread_id for result in results] == [title_thread.id, body_thread.id]
    assert "<mark>" in str(results[0].title_html)


async def test_more_matching_words_rank_higher():
    weak = await make_thread(title="A question about validation rules", body="One episode issue.")
    strong = await make_thread(
        title="Episode validation for SSDA903",
        body="Every episode fails validation when the episode dates overlap.",
    )

    results = await _search("episode validation")

    assert [result.thread_id for result in results] == [strong.id, weak.id]


async def test_phrase_needs_words_in_order():
    thread = await make_thread(title="Questions about recording legal information")
    in_order = await make_reply(thread, body="The legal status changed in March.")
    await make_reply(thread, body="The status of the legal advice is unclear.")

    assert await _found_post_ids('"legal status"') == [in_order.id]


async def test_postgres_checks_phrase_in_newest_posts_only(monkeypatch):
    monkeypatch.setattr(search, "PHRASE_SCAN_LIMIT", 2)
    thread = await make_thread(title="Questions about recording legal information")
    oldest = await make_reply(thread, body="The legal status changed in March.")
    for _ in range(3):
        await make_reply(thread, body="Legal advice on the status of the case.")

    found = await _found_post_ids('"legal status"')

    # SQLite's index stores word positions, so it has no such limit.
    assert found == ([] if IS_POSTGRES else [oldest.id])


async def test_exclusion_drops_posts_with_word():
    thread = await make_thread(title="Questions about episodes in the return")
    await make_reply(thread, body="The episode and the placement both changed.")
    kept = await make_reply(thread, body="Only the episode changed.")

    found = await _found_post_ids("episode -placement")

    assert kept.id in found
    assert len(found) == 2  # the reply and the opening post, whose title contains "episodes"


async def test_stemmed_forms_match():
    thread = await make_thread(title="Validating referrals", body="We validated every referral.")

    assert await _found_post_ids("validation referrals") == [(await _opening_post(thread)).id]


async def test_snippet_marks_words_and_escapes_html():
    await make_thread(
        title="Dashboard rendering question",
        body='The census tab shows <img src=x onerror="alert(1)"> instead of the census chart.',
    )

    [result] = await _search("census")
    snippet = str(result.snippet_html)

    assert "<mark>census</mark>" in snippet
    assert "<img" not in snippet


async def test_snippet_shows_text_without_markdown():
    await make_thread(
        title="Formatting a returns checklist",
        body=(
            "## Checking the **census** file\n\n"
            "- [x] Run the [validation rules](https://example.gov.uk/rules) first\n"
            "- Then `SELECT` the *unmatched* rows\n\n"
            "> Keep a copy & a log\n\n"
            "| Field | Census item |\n|---|---|\n| UPN | N00001 |\n"
        ),
    )

    [result] = await _search("census")
    snippet = str(result.snippet_html)

    assert "<mark>census</mark>" in snippet.lower()
    assert "Checking the <mark>census</mark> file" in snippet
    assert "Run the validation rules first" in snippet
    assert "Then SELECT the unmatched rows" in snippet
    assert "Keep a copy &amp; a log" in snippet
    for syntax in ("##", "**", "](", "https://", "`", "&gt;", "|", "---", "[x]"):
        assert syntax not in snippet, syntax


async def test_snippet_escapes_html_inside_markdown():
    await make_thread(
        title="Escaping in chart labels",
        body='Use **<script>alert("census")</script>** or `<b>census</b>` in the label.',
    )

    [result] = await _search("census")
    snippet = str(result.snippet_html)

    assert "<script" not in snippet
    assert "<b>" not in snippet
    assert "&lt;script&gt;" in snippet
    assert "<mark>census</mark>" in snippet
    assert "**" not in snippet
    assert "`" not in snippet


async def test_snippet_of_long_post_centres_on_match():
    filler = "Placements were reviewed in the panel meeting each month.\n\n" * 120
    await make_thread(
        title="Long notes from the panel",
        body=filler + "The **safeguarding** audit found *gaps*.\n\n" + filler,
    )

    [result] = await _search("safeguarding")
    snippet = str(result.snippet_html)

    assert snippet.startswith("… ")
    assert snippet.endswith(" …")
    assert "The <mark>safeguarding</mark> audit found gaps." in snippet
    assert len(snippet.split()) <= search.SNIPPET_WORDS + 4


@pytest.mark.no_database
def test_snippet_text_keeps_markers_and_drops_syntax():
    marked = "Use the **\x02census\x03** [guide](https://example.gov.uk) today"

    assert search.snippet_text(marked) == "Use the \x02census\x03 guide today"


async def test_results_paged_by_twenty():
    thread = await make_thread(title="Sharing benchmark tables")
    for number in range(24):
        await make_reply(
            thread, body=f"Benchmark table number {number} for statistical neighbours."
        )

    first = await search.search_posts(
        search.check_search(search.SearchForm(text="neighbours"), await get_taxonomy())
    )
    second = await search.search_posts(
        search.check_search(search.SearchForm(text="neighbours", page=2), await get_taxonomy())
    )

    assert len(first.results) == 20
    assert first.has_next
    assert len(second.results) == 4
    assert not second.has_next
    assert not {r.post_id for r in first.results} & {r.post_id for r in second.results}


async def test_page_beyond_cap_reads_last_allowed_page():
    request = search.check_search(search.SearchForm(text="census", page=999), await get_taxonomy())

    assert request.page == search.MAX_PAGES


async def test_skill_area_filter_includes_sub_areas():
    in_child = await make_thread(title="Census extract timing", skill_area="cin-census")
    await make_thread(title="Census of our dashboards", skill_area="bi-visualisation")

    found = await _search("census", skill="statutory-returns")

    assert [result.thread_id for result in found] == [in_child.id]


async def test_role_filter_uses_thread_audience():
    for_leaders = await make_thread(title="Caseload figures for directors", roles=["la-leadership"])
    await make_thread(title="Caseload figures in SQL", roles=["la-data"])

    found = await _search("caseload", role="la-leadership")

    assert [result.thread_id for result in found] == [for_leaders.id]


async def test_solved_filter():
    solved = await make_thread(title="Workforce census agency staff")
    await make_thread(title="Workforce census vacancies")
    await Thread.filter(id=solved.id).update(state=ThreadState.SOLVED)

    found = await _search("workforce", solved=True)

    assert [result.thread_id for result in found] == [solved.id]


async def test_author_filter_by_handle():
    author = await make_member(handle="amira.khan")
    mine = await make_thread(author=author, title="Annex A list 6 question")
    await make_thread(title="Annex A list 8 question")

    found = await _search("annex", author="@Amira.Khan")

    assert [result.thread_id for result in found] == [mine.id]


async def test_date_filters_are_inclusive_days():
    thread = await make_thread(title="Sufficiency planning")
    early = await make_reply(thread, body="Sufficiency in January.")
    late = await make_reply(thread, body="Sufficiency in March.")
    opening = await _opening_post(thread)
    await Post.filter(id=opening.id).update(created_at=datetime(2025, 1, 1, 9, tzinfo=UTC))
    await Post.filter(id=early.id).update(created_at=datetime(2025, 1, 31, 23, 59, tzinfo=UTC))
    await Post.filter(id=late.id).update(created_at=datetime(2025, 3, 2, tzinfo=UTC))

    january = await _found_post_ids(
        "sufficiency", posted_after=("31", "1", "2025"), posted_before=("31", "1", "2025")
    )
    from_february = await _found_post_ids("sufficiency", posted_after=("1", "2", "2025"))

    assert january == [early.id]
    assert from_february == [late.id]


DATE_ERRORS = [
    # (posted after, posted before, field, message)
    (("", "3", "2025"), ("", "", ""), "posted_after", "The date posted after must include a day."),
    (
        ("1", "", ""),
        ("", "", ""),
        "posted_after",
        "The date posted after must include a month and year.",
    ),
    (
        ("31", "2", "2025"),
        ("", "", ""),
        "posted_after",
        "The date posted after must be a real date, for example 27 3 2025.",
    ),
    (
        ("1", "x", "2025"),
        ("", "", ""),
        "posted_after",
        "The date posted after must be a real date, for example 27 3 2025.",
    ),
    (
        ("1", "3", "25"),
        ("", "", ""),
        "posted_after",
        "The date posted after must be a real date, for example 27 3 2025.",
    ),
    (
        ("", "", ""),
        ("0", "1", "2025"),
        "posted_before",
        "The date posted before must be a real date, for example 27 3 2025.",
    ),
    (
        ("2", "3", "2025"),
        ("1", "3", "2025"),
        "posted_before",
        "The date posted before must be the same as or later than the date posted after.",
    ),
]


@pytest.mark.parametrize(("after", "before", "field", "message"), DATE_ERRORS)
async def test_check_search_rejects_bad_dates(after, before, field, message):
    form = search.SearchForm(text="census", posted_after=after, posted_before=before)

    with pytest.raises(ValidationFailed) as failure:
        search.check_search(form, await get_taxonomy())

    assert failure.value.errors == {field: message}


QUERY_ERRORS = [
    ("", "Enter words to search for."),
    ("   ", "Enter words to search for."),
    (
        "-census",
        "Enter at least one word to search for, not only words to leave out, punctuation or symbols.",
    ),
    (
        "%_*",
        "Enter at least one word to search for, not only words to leave out, punctuation or symbols.",
    ),
]


@pytest.mark.parametrize(("text", "message"), QUERY_ERRORS)
async def test_check_search_rejects_empty_queries(text, message):
    with pytest.raises(ValidationFailed) as failure:
        search.check_search(search.SearchForm(text=text), await get_taxonomy())

    assert failure.value.errors == {"q": message}


async def test_check_search_rejects_long_handle():
    form = search.SearchForm(text="census", author="x" * 41)

    with pytest.raises(ValidationFailed) as failure:
        search.check_search(form, await get_taxonomy())

    assert failure.value.errors == {
        "author": "A handle is 40 characters or fewer. Check the handle."
    }


HOSTILE_QUERIES = [
    '"',
    '" OR 1=1 --',
    "'; DROP TABLE post; --",
    "%_%",
    "census%",
    "NEAR(census episode, 2)",
    "{title}: census",
    "census:*",
    "(census",
    "census AND",
    "!!census",
    "census~2 +episode",
    "<script>alert(1)</script>",
    "\x00census\x02\x03",
    "🙂 census",
    "census " * 500,
    "x" * 5000,
    '"census" "episode',
    "-census -episode census",
]


@pytest.mark.parametrize("text", HOSTILE_QUERIES)
async def test_hostile_queries_run_safely(text):
    thread = await make_thread(title="Census episode checks", body="The census and the episode.")

    if search.parse_query(text).is_empty:
        with pytest.raises(ValidationFailed):
            await _search(text)
    else:
        results = await _search(text)
        assert all(result.thread_id == thread.id for result in results)
    assert await Post.all().count() == 1


async def _thread_with_visible_and_target(word: str) -> tuple[Thread, Post, Post]:
    thread = await make_thread(title="Questions about returns deadlines")
    visible = await make_reply(thread, body=f"A visible reply about {word}.")
    target = await make_reply(thread, body=f"A reply about {word} that must not be found.")
    return thread, visible, target


async def test_hidden_post_never_found():
    _, visible, target = await _thread_with_visible_and_target("quokka")
    await Post.filter(id=target.id).update(is_hidden=True)

    assert await _found_post_ids("quokka") == [visible.id]


async def test_post_held_for_review_never_found():
    _, visible, target = await _thread_with_visible_and_target("quokka")
    await Post.filter(id=target.id).update(held_for_review=True)

    assert await _found_post_ids("quokka") == [visible.id]


async def test_redacted_post_never_found():
    _, visible, target = await _thread_with_visible_and_target("quokka")
    await Post.filter(id=target.id).update(
        redacted_at=datetime.now(UTC), source="Removed by a moderator.", html="<p>Removed</p>"
    )
    await search.on_post_redacted(target.id)

    assert await _found_post_ids("quokka") == [visible.id]
    assert await _found_post_ids("removed") == []
    await _check_index_matches_content()


async def test_redaction_hidden_even_before_text_changes():
    _, visible, target = await _thread_with_visible_and_target("quokka")
    await Post.filter(id=target.id).update(redacted_at=datetime.now(UTC))

    assert await _found_post_ids("quokka") == [visible.id]


@pytest.mark.parametrize("state", [ThreadState.HIDDEN, ThreadState.HELD])
async def test_posts_in_hidden_or_held_thread_never_found(state):
    hidden = await make_thread(title="Quokka counting in a hidden thread")
    await make_reply(hidden, body="More about the quokka.")
    shown = await make_thread(title="Quokka counting in a visible thread")
    await Thread.filter(id=hidden.id).update(state=state)

    found = await _search("quokka")

    assert {result.thread_id for result in found} == {shown.id}


async def test_mentorship_messages_never_found():
    mentor, mentee = await make_member(), await make_member()
    request = await MentoringRequest.create(
        mentee=mentee, goals_source="Learn SQL", goals_html="<p>Learn SQL</p>", renderer_version=1
    )
    now = datetime.now(UTC)
    mentorship = await Mentorship.create(
        request=request, mentor=mentor, mentee=mentee, requested_at=now, expires_at=now
    )
    await MentorshipMessage.create(
        mentorship=mentorship,
        author=mentee,
        source="My quokka problem at work.",
        html="<p>My quokka problem at work.</p>",
        renderer_version=1,
    )
    shown = await make_thread(title="A public quokka question")

    found = await _search("quokka")

    assert [result.thread_id for result in found] == [shown.id]


async def test_edit_moves_post_to_new_words():
    author = await make_member()
    thread = await make_thread(author=author, title="Questions about returns deadlines")
    reply = await make_reply(thread, author=author, body="We use a wombat spreadsheet.")

    await posting.do_edit_post(author, reply, "We use a numbat spreadsheet.", max_length=20000)

    assert await _found_post_ids("wombat") == []
    assert await _found_post_ids("numbat") == [reply.id]
    await _check_index_matches_content()


async def test_new_title_replaces_old_in_index():
    thread = await make_thread(title="Wombat census question")
    await make_reply(thread, body="A reply without the title words.")

    await Thread.filter(id=thread.id).update(title="Numbat census question")

    assert await _found_post_ids("wombat") == []
    assert await _found_post_ids("numbat") == [(await _opening_post(thread)).id]
    await _check_index_matches_content()


async def test_deleted_thread_leaves_index():
    thread = await make_thread(title="Wombat census question", body="Wombat body.")
    await make_reply(thread, body="Another wombat.")
    kept = await make_thread(title="Numbat question", body="Numbat body.")

    await Thread.filter(id=thread.id).delete()

    assert await _found_post_ids("wombat") == []
    assert await _found_post_ids("numbat") == [(await _opening_post(kept)).id]
    await _check_index_matches_content()


async def test_moved_post_loses_title_words():
    source = await make_thread(title="Wombat question", body="Opening text.")
    target = await make_thread(title="Numbat question", body="Other text.")
    opening = await _opening_post(source)

    # A merge moves the opening post into another thread after its posts.
    await Post.filter(id=opening.id).update(thread_id=target.id, number=2)

    assert await _found_post_ids("wombat") == []
    assert await _found_post_ids("opening") == [opening.id]
    await _check_index_matches_content()


async def test_bulk_inserted_posts_are_indexed():
    thread = await make_thread(title="Questions about returns deadlines")
    member = await make_member()
    now = datetime.now(UTC)
    await Post.bulk_create(
        [
            Post(
                thread_id=thread.id,
                number=2 + number,
                author=member,
                source=f"Imported wombat {number}",
                html="<p>x</p>",
                renderer_version=1,
                created_at=now,
            )
            for number in range(3)
        ]
    )

    assert len(await _found_post_ids("wombat")) == 3
    await _check_index_matches_content()


async def test_search_triggers_exist():
    connection = connections.get("default")
    if IS_POSTGRES:
        rows = await connection.execute_query_dict(
            "SELECT tgname AS name FROM pg_trigger WHERE NOT tgisinternal"
        )
        expected = {"search_post_written", "search_thread_retitled"}
    else:
        rows = await connection.execute_query_dict(
            "SELECT name FROM sqlite_master WHERE type = 'trigger'"
        )
        expected = {
            "search_post_inserted",
            "search_post_deleted",
            "search_post_changed",
            "search_thread_retitled",
            "search_thread_deleting",
        }

    assert expected <= {row["name"] for row in rows}


async def test_similar_threads_share_title_words():
    census = await make_thread(title="CIN census error 8875 on closed cases")
    await make_thread(title="Power BI refresh fails overnight")
    hidden = await make_thread(title="Census error in a hidden thread")
    await Thread.filter(id=hidden.id).update(state=ThreadState.HIDDEN)

    similar = await search.list_similar_threads("Error in the census")

    assert [thread.id for thread in similar] == [census.id]


async def test_similar_threads_match_word_being_typed():
    thread = await make_thread(title="Placement stability measure")

    similar = await search.list_similar_threads("placem")

    assert [found.id for found in similar] == [thread.id]


async def test_similar_threads_ignore_bodies_and_replies():
    thread = await make_thread(title="Questions about deadlines", body="Placement stability.")
    await make_reply(thread, body="Placement stability again.")

    assert await search.list_similar_threads("placement stability ") == []


async def test_similar_threads_capped_at_five():
    for number in range(7):
        await make_thread(title=f"Annex A list {number} question")

    assert len(await search.list_similar_threads("Annex A list")) == 5


@pytest.mark.parametrize("title", ["", "ab", "the and", "%%%%", '"*"'])
async def test_similar_threads_need_a_real_word(title):
    await make_thread(title="The and other words")

    assert await search.list_similar_threads(title) == []
