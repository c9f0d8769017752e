"""Reading a member's search query and escaping the engines' snippets, without a database."""

import pytest

from forum.services import search

pytestmark = pytest.mark.no_database


@pytest.fixture(name="db")
def _no_database():
    """Override the autouse fixture that empties the database, which these tests never use."""
    yield None


PARSE_CASES = [
    # (typed, terms, excluded)
    ("census", [("census",)], []),
    ('"legal status" episode', [("legal", "status"), ("episode",)], []),
    ("census -ssda903", [("census",)], [("ssda903",)]),
    ('census -"care leaver"', [("census",)], [("care", "leaver")]),
    ('"unbalanced phrase', [("unbalanced", "phrase")], []),
    ("error-8875", [("error", "8875")], []),
    ("100% _under_score", [("100",), ("under", "score")], []),
    ("NEAR(census episode)", [("near",), ("census",), ("episode",)], []),
    ("title:census body:episode", [("title",), ("census",), ("body",), ("episode",)], []),
    ("census* ^episode", [("census",), ("episode",)], []),
    ("census OR episode AND NOT placement", [("census",), ("episode",), ("placement",)], []),
    ("the", [("the",)], []),
    ("the census", [("census",)], []),
    ("'quoted' CAPITALS", [("quoted",), ("capitals",)], []),
    ("Café Ünïcödé", [("café",), ("ünïcödé",)], []),
    ("census census", [("census",)], []),
    ("%", [], []),
    ("-census", [], [("census",)]),
    ("--- *** ::", [], []),
    ('""', [], []),
]


@pytest.mark.parametrize(("typed", "terms", "excluded"), PARSE_CASES)
def test_parse_query_reduces_input(typed, terms, excluded):
    parsed = search.parse_query(typed)

    assert list(parsed.terms) == terms
    assert list(parsed.excluded) == excluded


def test_parse_query_shortens_long_input():
    parsed = search.parse_query("census " * 100)

    assert parsed.shortened
    assert parsed.terms == (("census",),)


def test_parse_query_caps_terms_and_phrase_length():
    parsed = search.parse_query(
        " ".join(f"word{number}" for number in range(20)) + ' "a b c d e f g h"'
    )

    assert len(parsed.terms) == search.MAX_TERMS
    assert parsed.shortened


def test_engine_expressions_quote_every_term():
    parsed = search.parse_query('census "legal status" -"care leaver" -ssda903')

    assert parsed.fts5_expression() == '"census" AND "legal status" NOT "care leaver" NOT "ssda903"'
    assert parsed.websearch_text() == 'census "legal status" -"care leaver" -ssda903'


HIGHLIGHT_CASES = [
    # (engine output, HTML)
    ("plain <b>text</b> & more", "plain &lt;b&gt;text&lt;/b&gt; &amp; more"),
    ("a \x02word\x03 here", "a <mark>word</mark> here"),
    ("\x02<script>\x03", "<mark>&lt;script&gt;</mark>"),
    ("stray \x03 end", "stray  end"),
    ("open \x02 never closed", "open <mark> never closed</mark>"),
    ("\x02twice\x02 opened\x03", "<mark>twice opened</mark>"),
]


@pytest.mark.parametrize(("marked", "html"), HIGHLIGHT_CASES)
def test_render_highlight_escapes_all_but_marks(marked, html):
    assert str(search.render_highlight(marked)) == html
