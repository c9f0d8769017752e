"""Full-text search over thread titles and posts, and similar-thread suggestions.

The index is kept in step by database triggers, created by the ``search`` migration: an
external-content FTS5 table on SQLite and a tsvector table with a GIN index on PostgreSQL.
Triggers were chosen over calls in the posting service because they cover every writer in
the same transaction, including the importer, the demo loader, the benchmark loader and
moderation's edits, merges and redactions.

Visibility is decided at query time by joining each post's current state: hidden, held
and redacted posts, and posts in hidden or held threads, are never returned, to anyone.
Private mentoring messages live in their own tables and are never indexed.

A member's query is never passed to the engine as written. :func:`parse_query` reduces it
to words, quoted phrases and ``-`` exclusions made only of letters and digits, and the
engine's own query text is built from those parts.
"""

import logging
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from asyncpg.exceptions import QueryCanceledError
from markupsafe import Markup, escape
from tortoise import connections
from tortoise.transactions import in_transaction

from forum.db import Parameters
from forum.errors import ForumError, ValidationFailed
from forum.markdown import markdown_to_text
from forum.services.browsing import POSTS_PER_PAGE, Taxonomy

logger = logging.getLogger(__name__)

RESULTS_PER_PAGE = 20
# Ranked results are paged by offset, so the last page is capped to keep deep pages cheap.
MAX_PAGES = 10
MAX_QUERY_LENGTH = 200
MAX_TERMS = 8
MAX_PHRASE_WORDS = 6
MAX_WORD_LENGTH = 40
SIMILAR_LIMIT = 5
# Matches ranked per search, newest first by post id. Scoring every match of a common word
# takes hundreds of milliseconds at a million posts, so a search ranks the newest
# RANK_CANDIDATES matches that pass its filters, and older matches rank only when fewer
# than that many newer ones exist.
RANK_CANDIDATES = 500
# Titles ranked per suggestion, newest first. Suggestions run as the member types, and
# any shared word makes a title match, so they rank fewer than a search does.
SIMILAR_CANDIDATES = 100
# Posts holding all of a phrase's words that PostgreSQL checks for the phrase itself.
PHRASE_SCAN_LIMIT = 2000
SIMILAR_MIN_LENGTH = 4
AUTHOR_MAX_LENGTH = 40

# Markers around highlighted words in the engine's snippet, replaced by <mark> after the
# text around them is escaped. Control characters, because a post cannot usefully hold them.
MARK_START = "\x02"
MARK_END = "\x03"
# A result's snippet: words of the post's plain text around its first highlighted word.
SNIPPET_WORDS = 40
SNIPPET_WORDS_BEFORE = 8
# Characters of a long post's source parsed for its snippet, from the start of the line
# SNIPPET_LEAD_CHARS before the first highlighted word. Parsing a whole 20,000-character
# post takes tens of milliseconds (an estimate from one timing with markdown-it-py 4), so
# a page of 20 results parses only this much of each.
SNIPPET_SOURCE_CHARS = 3000
SNIPPET_LEAD_CHARS = 300

# Words too common to narrow a search. PostgreSQL's english configuration drops its own
# list, and this one keeps SQLite's results close to that.
STOP_WORDS = frozenset(
    """
    a about above after again against all am an and any are as at be because been before
    being below between both but by can could did do does doing down during each few for
    from further had has have having he her here hers herself him himself his how i if in
    into is it its itself just me more most my myself no nor not now of off on once only
    or other our ours ourselves out over own same she should so some such than that the
    their theirs them themselves then there these they this those through to too under
    until up very was we were what when where which while who whom why will with would
    you your yours yourself yourselves
    """.split()
)

# One word as both engines' tokenisers see it: letters and digits, no underscore.
WORD_PATTERN = re.compile(r"[^\W_]+")
# A quoted phrase (the closing quote may be missing) or a run of other characters. Colons
# and brackets separate chunks, so "title:word" and "NEAR(a b)" are read as plain words.
CHUNK_PATTERN = re.compile(r'(-?)"([^"]*)"?|([^\s"():]+)')


@dataclass(frozen=True)
class ParsedQuery:
    """A search reduced to plain parts. Each term is a tuple of words, a phrase if longer than one."""

    terms: tuple[tuple[str, ...], ...] = ()
    excluded: tuple[tuple[str, ...], ...] = ()
    # True when the query was cut to MAX_QUERY_LENGTH characters or MAX_TERMS terms.
    shortened: bool = False

    @property
    def is_empty(self) -> bool:
        return not self.terms

    def fts5_expression(self) -> str:
        """Return an FTS5 query: every term as a quoted string, exclusions joined by NOT."""
        expression = " AND ".join(_fts5_string(term) for term in self.terms)
        for term in self.excluded:
            expression = f"{expression} NOT {_fts5_string(term)}"
        return expression

    def websearch_text(self) -> str:
        """Return the same query in the syntax of PostgreSQL's ``websearch_to_tsquery``."""
        parts = [_websearch_term(term) for term in self.terms]
        parts += ["-" + _websearch_term(term) for term in self.excluded]
        return " ".join(parts)

    def without_exclusions(self) -> "ParsedQuery":
        return ParsedQuery(terms=self.terms, shortened=self.shortened)

    @property
    def has_phrase(self) -> bool:
        return any(len(term) > 1 for term in self.terms + self.excluded)

    def words_only(self) -> "ParsedQuery":
        """Return the wanted words without phrases or exclusions: a looser query to narrow by."""
        words = dict.fromkeys((word,) for term in self.terms for word in term)
        return ParsedQuery(terms=tuple(words), shortened=self.shortened)

    def display(self) -> str:
        """Return the query as it was understood, for showing back to the member."""
        return self.websearch_text()


def _fts5_string(words: tuple[str, ...]) -> str:
    # Words hold only letters and digits, so no quote can end the string early.
    return '"' + " ".join(words) + '"'


def _websearch_term(words: tuple[str, ...]) -> str:
    return words[0] if len(words) == 1 else '"' + " ".join(words) + '"'


def _words(text: str) -> tuple[str, ...]:
    return tuple(word[:MAX_WORD_LENGTH] for word in WORD_PATTERN.findall(text.lower()))


def parse_query(text: str) -> ParsedQuery:
    """Reduce what a member typed to words, phrases and exclusions, without raising.

    Quotes make a phrase and a missing closing quote ends the phrase at the end of the
    query. A leading ``-`` excludes a word or phrase. Punctuation, wildcards, column names
    and engine operators lose their meaning and only the letters and digits in them remain,
    and a chunk with several words, such as ``error-8875``, becomes a phrase. Single stop
    words are dropped unless nothing else is left.
    """
    shortened = len(text) > MAX_QUERY_LENGTH
    terms: list[tuple[str, ...]] = []
    excluded: list[tuple[str, ...]] = []

    for match in CHUNK_PATTERN.finditer(text[:MAX_QUERY_LENGTH]):
        negated, phrase, bare = match.groups()
        if bare is not None:
            negated = "-" if bare.startswith("-") else ""
            words = _words(bare)
        else:
            words = _words(phrase)
        if not words:
            continue
        if len(words) > MAX_PHRASE_WORDS:
            words = words[:MAX_PHRASE_WORDS]
            shortened = True
        (excluded if negated else terms).append(words)

    significant = [term for term in terms if len(term) > 1 or term[0] not in STOP_WORDS]
    terms = significant or terms[:1]
    excluded = [term for term in excluded if len(term) > 1 or term[0] not in STOP_WORDS]
    if len(terms) > MAX_TERMS or len(excluded) > MAX_TERMS:
        shortened = True
    return ParsedQuery(
        terms=tuple(dict.fromkeys(terms[:MAX_TERMS])),
        excluded=tuple(dict.fromkeys(excluded[:MAX_TERMS])),
        shortened=shortened,
    )


def render_highlight(text: str) -> Markup:
    """Escape an engine snippet and turn its markers into ``<mark>`` elements.

    Markers that do not pair up (a post could contain the marker characters) are dropped,
    so the result is always balanced, escaped HTML.
    """
    pieces: list[str] = []
    inside = False
    for part in re.split(f"([{MARK_START}{MARK_END}])", text):
        if part == MARK_START:
            if not inside:
                pieces.append("<mark>")
                inside = True
        elif part == MARK_END:
            if inside:
                pieces.append("</mark>")
                inside = False
        else:
            pieces.append(str(escape(part)))
    if inside:
        pieces.append("</mark>")
    return Markup("".join(pieces))


def snippet_text(marked_source: str) -> str:
    """Return plain text from a post's highlighted Markdown source, around its first match.

    ``marked_source`` is the whole source with the engine's markers around matched words.
    Markdown syntax is removed (see ``forum.markdown.markdown_to_text``) and the markers
    are kept, for :func:`render_highlight`. A cut at either end is shown with "…".
    """
    first_mark = max(marked_source.find(MARK_START), 0)
    start, end = 0, len(marked_source)
    if end > SNIPPET_SOURCE_CHARS:
        # From a line start, so that the Markdown around the match parses as it was written.
        start = marked_source.rfind("\n", 0, max(first_mark - SNIPPET_LEAD_CHARS, 0)) + 1
        end = min(start + SNIPPET_SOURCE_CHARS, end)
    words = markdown_to_text(marked_source[start:end]).split()

    marked_word = next((i for i, word in enumerate(words) if MARK_START in word), 0)
    first_word = max(marked_word - SNIPPET_WORDS_BEFORE, 0)
    last_word = min(first_word + SNIPPET_WORDS, len(words))
    text = " ".join(words[first_word:last_word])
    if text and (start > 0 or first_word > 0):
        text = "… " + text
    if text and (end < len(marked_source) or last_word < len(words)):
        text += " …"
    return text


class SearchTooSlow(ForumError):
    status = 503
    code = "search_too_slow"
    default_message = (
        "That search took too long. Try fewer common words, a shorter phrase or a filter."
    )


@dataclass(frozen=True)
class SearchForm:
    """The search form's values, as the member typed them."""

    text: str = ""
    skill: str = ""
    role: str = ""
    solved: bool = False
    author: str = ""
    # (day, month, year) as typed into each GOV.UK date input.
    posted_after: tuple[str, str, str] = ("", "", "")
    posted_before: tuple[str, str, str] = ("", "", "")
    page: int = 1

    @property
    def has_filters(self) -> bool:
        return bool(
            self.skill
            or self.role
            or self.solved
            or self.author
            or any(self.posted_after)
            or any(self.posted_before)
        )


@dataclass(frozen=True)
class SearchRequest:
    """A checked search: the parsed query and the filters as database values."""

    query: ParsedQuery
    skill_area_ids: tuple[int, ...] = ()
    role_id: int | None = None
    solved: bool = False
    author: str = ""
    posted_from: datetime | None = None
    # Exclusive: the first moment after the last day asked for.
    posted_until: datetime | None = None
    page: int = 1


@dataclass(frozen=True)
class SearchResult:
    post_id: int
    post_number: int
    thread_id: int
    thread_slug: str
    thread_title: str
    title_html: Markup
    snippet_html: Markup
    thread_kind: str
    thread_state: str
    skill_area_name: str
    skill_area_slug: str
    author_name: str
    created_at: datetime
    score: float

    @property
    def is_opening_post(self) -> bool:
        return self.post_number == 1

    @property
    def page_start(self) -> int:
        """The ``after`` value of the thread page that shows this post."""
        return ((self.post_number - 1) // POSTS_PER_PAGE) * POSTS_PER_PAGE


@dataclass
class SearchPage:
    request: SearchRequest
    results: list[SearchResult] = field(default_factory=list)
    has_next: bool = False

    @property
    def has_previous(self) -> bool:
        return self.request.page > 1


def _read_date(parts: tuple[str, str, str], label: str) -> tuple[date | None, str | None]:
    """Read a GOV.UK date input; return the date or an error message in GOV.UK's wording."""
    day, month, year = (part.strip() for part in parts)
    if not (day or month or year):
        return None, None

    missing = [
        name for name, value in (("day", day), ("month", month), ("year", year)) if not value
    ]
    if missing:
        return None, f"{label} must include a {' and '.join(missing)}."
    if not (day.isdigit() and month.isdigit() and year.isdigit()) or len(year) != 4:
        return None, f"{label} must be a real date, for example 27 3 2025."
    try:
        return date(int(year), int(month), int(day)), None
    except ValueError:
        return None, f"{label} must be a real date, for example 27 3 2025."


def check_search(form: SearchForm, taxonomy: Taxonomy) -> SearchRequest:
    """Validate a search form; raise ValidationFailed with a message per field.

    Unknown skill areas and roles are ignored, as on the thread lists, so an old link
    still searches.
    """
    errors: dict[str, str] = {}
    query = parse_query(form.text)
    if not form.text.strip():
        errors["q"] = "Enter words to search for."
    elif query.is_empty:
        errors["q"] = (
            "Enter at least one word to search for, not only words to leave out, "
            "punctuation or symbols."
        )

    author = form.author.strip().lstrip("@")
    if len(author) > AUTHOR_MAX_LENGTH:
        errors["author"] = f"A handle is {AUTHOR_MAX_LENGTH} characters or fewer. Check the handle."

    after, after_error = _read_date(form.posted_after, "The date posted after")
    before, before_error = _read_date(form.posted_before, "The date posted before")
    if after_error:
        errors["posted_after"] = after_error
    if before_error:
        errors["posted_before"] = before_error
    if after and before and before < after:
        errors["posted_before"] = (
            "The date posted before must be the same as or later than the date posted after."
        )

    if errors:
        raise ValidationFailed(errors)

    area = taxonomy.skill_area(form.skill) if form.skill else None
    role = taxonomy.role(form.role) if form.role else None
    return SearchRequest(
        query=query,
        skill_area_ids=tuple(taxonomy.descendant_ids(area)) if area else (),
        role_id=role.id if role else None,
        solved=form.solved,
        author=author.lower(),
        posted_from=_start_of(after),
        posted_until=_start_of(before + timedelta(days=1)) if before else None,
        page=min(max(form.page, 1), MAX_PAGES),
    )


def _start_of(day: date | None) -> datetime | None:
    return datetime(day.year, day.month, day.day, tzinfo=UTC) if day else None


# Visibility in search, the same for every visitor, moderators included: hidden, held and
# redacted posts, and every post of a hidden or held thread, never match.
VISIBLE_SQL = (
    "NOT post.is_hidden AND NOT post.held_for_review AND post.redacted_at IS NULL "
    "AND thread.state NOT IN ('hidden', 'held')"
)

# The columns a result shows, read after the ranked page of post ids is chosen.
RESULT_COLUMNS = """
    post.id AS post_id, post.number AS post_number, post.created_at AS created_at,
    thread.id AS thread_id, thread.slug AS thread_slug, thread.title AS thread_title,
    thread.kind AS thread_kind, thread.state AS thread_state,
    skill_area.name AS skill_area_name, skill_area.slug AS skill_area_slug,
    member.display_name AS author_name
"""
RESULT_JOINS = """
    JOIN post ON post.id = ranked.id
    JOIN thread ON thread.id = post.thread_id
    JOIN skill_area ON skill_area.id = thread.skill_area_id
    JOIN member ON member.id = post.author_id
"""


def _filter_sql(request: SearchRequest, parameters: Parameters) -> str:
    clauses = [VISIBLE_SQL]
    if request.skill_area_ids:
        marks = ", ".join(parameters(area_id) for area_id in request.skill_area_ids)
        clauses.append(f"thread.skill_area_id IN ({marks})")
    if request.role_id is not None:
        clauses.append(
            "EXISTS (SELECT 1 FROM thread_role WHERE thread_role.thread_id = thread.id "
            f"AND thread_role.role_id = {parameters(request.role_id)})"
        )
    if request.solved:
        clauses.append("thread.state = 'solved'")
    if request.author:
        clauses.append(
            "post.author_id IN (SELECT id FROM member WHERE lower(member.handle) = "
            f"{parameters(request.author)})"
        )
    if request.posted_from:
        clauses.append(f"post.created_at >= {parameters(request.posted_from)}")
    if request.posted_until:
        clauses.append(f"post.created_at < {parameters(request.posted_until)}")
    return " AND ".join(clauses)


def _is_postgres() -> bool:
    return connections.get("default").capabilities.dialect == "postgres"


def _sqlite_search_sql(request: SearchRequest, parameters: Parameters) -> str:
    match = parameters(request.query.fts5_expression())
    filters = _filter_sql(request, parameters)
    candidates = parameters(RANK_CANDIDATES)
    limit = parameters(RESULTS_PER_PAGE + 1)
    offset = parameters((request.page - 1) * RESULTS_PER_PAGE)
    # Snippets are made only for the page of results, so the ranked ids are chosen first
    # and the index is matched again for just those rows.
    again = parameters(request.query.fts5_expression())
    return f"""
        SELECT {RESULT_COLUMNS}, ranked.score AS score,
               highlight(search_fts, 0, char(2), char(3)) AS title_marked,
               highlight(search_fts, 1, char(2), char(3)) AS body_marked
        FROM (
            SELECT candidate.id AS id, candidate.score AS score
            FROM (
                SELECT search_fts.rowid AS id, bm25(search_fts, 4.0, 1.0) AS score
                FROM search_fts
                JOIN post ON post.id = search_fts.rowid
                JOIN thread ON thread.id = post.thread_id
                WHERE search_fts MATCH {match} AND {filters}
                ORDER BY search_fts.rowid DESC
                LIMIT {candidates}
            ) AS candidate
            ORDER BY candidate.score, candidate.id DESC
            LIMIT {limit} OFFSET {offset}
        ) AS ranked
        JOIN search_fts ON search_fts.rowid = ranked.id AND search_fts MATCH {again}
        {RESULT_JOINS}
        ORDER BY ranked.score, ranked.id DESC
    """


# The whole text with its matches marked, for titles and for snippet_text.
HEADLINE_OPTIONS = f'StartSel="{MARK_START}", StopSel="{MARK_END}", HighlightAll=true'


def _postgres_search_sql(request: SearchRequest, parameters: Parameters) -> str:
    # The tsqueries are written out where they are used, not in a CTE, so that PostgreSQL
    # plans with the words themselves and estimates from column statistics how many match.
    query = f"websearch_to_tsquery('english', {parameters(request.query.websearch_text())})"
    # ts_rank scores a query with a NOT close to zero, so rank by the wanted terms alone.
    rank_text = parameters(request.query.without_exclusions().websearch_text())
    rank_query = f"websearch_to_tsquery('english', {rank_text})"
    filters = _filter_sql(request, parameters)
    candidates = parameters(RANK_CANDIDATES)
    matching = _postgres_matching_sql(request.query, query, filters, candidates, parameters)
    limit = parameters(RESULTS_PER_PAGE + 1)
    offset = parameters((request.page - 1) * RESULTS_PER_PAGE)
    options = parameters(HEADLINE_OPTIONS)

    # ts_headline parses the text again, so it runs only for the page of results.
    return f"""
        SELECT {RESULT_COLUMNS}, ranked.score AS score,
               CASE WHEN post.number = 1
                    THEN ts_headline('english', thread.title, {query}, {options})
                    ELSE '' END AS title_marked,
               ts_headline('english', post.source, {query}, {options}) AS body_marked
        FROM (
            SELECT candidate.id AS id, ts_rank(candidate.document, {rank_query}) AS score
            FROM ({matching}) AS candidate
            ORDER BY score DESC, candidate.id DESC
            LIMIT {limit} OFFSET {offset}
        ) AS ranked
        {RESULT_JOINS}
        ORDER BY ranked.score DESC, ranked.id DESC
    """


def _postgres_matching_sql(
    parsed: ParsedQuery, query: str, filters: str, candidates: str, parameters: Parameters
) -> str:
    """Return the SQL for the newest matching posts: ``id`` and ``document`` columns.

    The GIN index has no word positions, so PostgreSQL checks a phrase by reading every
    post that contains all its words. For common words that rarely stand together that means
    most of the table. So a query with a phrase first takes the newest PHRASE_SCAN_LIMIT
    posts holding all the words, and checks the phrase among those only.
    """
    if not parsed.has_phrase:
        return f"""
            SELECT post_search.post_id AS id, post_search.document AS document
            FROM post_search
            JOIN post ON post.id = post_search.post_id
            JOIN thread ON thread.id = post.thread_id
            WHERE post_search.document @@ {query} AND {filters}
            ORDER BY post_search.post_id DESC
            LIMIT {candidates}
        """

    words = parameters(parsed.words_only().websearch_text())
    # NOTE: a phrase whose words appear together in more than PHRASE_SCAN_LIMIT newer posts
    # is not found in older ones. SQLite's index stores positions and has no such limit.
    return f"""
        SELECT wide.id, wide.document
        FROM (
            SELECT post_search.post_id AS id, post_search.document AS document
            FROM post_search
            JOIN post ON post.id = post_search.post_id
            JOIN thread ON thread.id = post.thread_id
            WHERE post_search.document @@ websearch_to_tsquery('english', {words}) AND {filters}
            ORDER BY post_search.post_id DESC
            LIMIT {parameters(PHRASE_SCAN_LIMIT)}
        ) AS wide
        WHERE wide.document @@ {query}
        ORDER BY wide.id DESC
        LIMIT {candidates}
    """


def _to_datetime(value) -> datetime:
    if isinstance(value, datetime):
        return value
    return datetime.fromisoformat(value)


def _result(row: dict) -> SearchResult:
    title_marked = row["title_marked"] or ""
    has_title_mark = MARK_START in title_marked
    return SearchResult(
        post_id=row["post_id"],
        post_number=row["post_number"],
        thread_id=row["thread_id"],
        thread_slug=row["thread_slug"],
        thread_title=row["thread_title"],
        title_html=render_highlight(title_marked if has_title_mark else row["thread_title"]),
        snippet_html=render_highlight(snippet_text(row["body_marked"] or "")),
        thread_kind=row["thread_kind"],
        thread_state=row["thread_state"],
        skill_area_name=row["skill_area_name"],
        skill_area_slug=row["skill_area_slug"],
        author_name=row["author_name"],
        created_at=_to_datetime(row["created_at"]),
        score=float(row["score"]),
    )


# Search words differ widely in how many posts they match. So a generic plan, which
# PostgreSQL caches for a prepared statement after a few runs, can be slower by orders of
# magnitude for the next search. Parallel workers cost more to start than these queries
# take. The timeout stops a pathological search, such as a phrase of two common words
# that rarely stand together, from holding a connection.
SEARCH_TIMEOUT_MS = 3000
POSTGRES_SEARCH_SETTINGS = (
    "SET LOCAL plan_cache_mode = force_custom_plan; "
    "SET LOCAL max_parallel_workers_per_gather = 0; "
    f"SET LOCAL statement_timeout = {SEARCH_TIMEOUT_MS}"
)


async def _fetch(sql: str, values: list) -> list[dict]:
    """Run a search query; raise SearchTooSlow when PostgreSQL stops it at the timeout."""
    if not _is_postgres():
        return await connections.get("default").execute_query_dict(sql, values)

    async with in_transaction() as connection:
        await connection.execute_script(POSTGRES_SEARCH_SETTINGS)
        try:
            return await connection.execute_query_dict(sql, values)
        except QueryCanceledError:
            logger.warning("search timed out", extra={"timeout_ms": SEARCH_TIMEOUT_MS})
            raise SearchTooSlow() from None


async def search_posts(request: SearchRequest) -> SearchPage:
    """Return one page of visible posts matching the request, best first, in one query."""
    postgres = _is_postgres()
    parameters = Parameters("postgres" if postgres else "sqlite")
    if postgres:
        sql = _postgres_search_sql(request, parameters)
    else:
        sql = _sqlite_search_sql(request, parameters)

    rows = await _fetch(sql, parameters.values)
    # The row past the page is there to show that another page follows, so it gets no snippet.
    results = [_result(row) for row in rows[:RESULTS_PER_PAGE]]
    has_next = len(rows) > RESULTS_PER_PAGE and request.page < MAX_PAGES
    logger.debug("search run", extra={"results": len(results), "page": request.page})
    return SearchPage(request=request, results=results, has_next=has_next)


@dataclass(frozen=True)
class SimilarThread:
    id: int
    slug: str
    title: str


def _similar_words(title: str) -> list[str]:
    words = [word for word in _words(title[:MAX_QUERY_LENGTH]) if word not in STOP_WORDS]
    return list(dict.fromkeys(words))[:MAX_TERMS]


def _postgres_similar_sql(
    words: list[str], typing_last_word: bool, limit: int, parameters: Parameters
) -> str:
    lexemes = list(words)
    if typing_last_word:
        lexemes[-1] += ":*"
    # Words hold only letters and digits, so they carry no tsquery operators. The title
    # expression is the one the thread_title_search index was built on.
    tsquery = f"to_tsquery('english', {parameters(' | '.join(lexemes))})"
    title_vector = "to_tsvector('english'::regconfig, thread.title)"
    return f"""
        SELECT candidate.id, candidate.slug, candidate.title
        FROM (
            SELECT thread.id, thread.slug, thread.title, {title_vector} AS vector
            FROM thread
            JOIN post ON post.thread_id = thread.id AND post.number = 1
            WHERE {title_vector} @@ {tsquery} AND {VISIBLE_SQL}
            ORDER BY thread.id DESC
            LIMIT {parameters(SIMILAR_CANDIDATES)}
        ) AS candidate
        ORDER BY ts_rank(candidate.vector, {tsquery}) DESC, candidate.id DESC
        LIMIT {parameters(limit)}
    """


def _sqlite_similar_sql(
    words: list[str], typing_last_word: bool, limit: int, parameters: Parameters
) -> str:
    strings = [_fts5_string((word,)) for word in words]
    if typing_last_word:
        strings[-1] += "*"
    match = parameters("title : (" + " OR ".join(strings) + ")")
    # A title's score is how many of its words matched, counted from the highlight marks.
    # bm25 would first count every title holding each word, which costs more than the
    # whole suggestion is worth.
    return f"""
        SELECT thread.id, thread.slug, thread.title
        FROM (
            SELECT search_fts.rowid AS id,
                   highlight(search_fts, 0, char(2), char(3)) AS marked
            FROM search_fts
            JOIN post ON post.id = search_fts.rowid
            JOIN thread ON thread.id = post.thread_id
            WHERE search_fts MATCH {match} AND {VISIBLE_SQL}
            ORDER BY search_fts.rowid DESC
            LIMIT {parameters(SIMILAR_CANDIDATES)}
        ) AS candidate
        JOIN post ON post.id = candidate.id
        JOIN thread ON thread.id = post.thread_id
        ORDER BY length(candidate.marked) - length(replace(candidate.marked, char(2), '')) DESC,
                 thread.id DESC
        LIMIT {parameters(limit)}
    """


async def list_similar_threads(title: str, *, limit: int = SIMILAR_LIMIT) -> list[SimilarThread]:
    """Return up to ``limit`` visible threads whose titles share words with ``title``.

    Any shared word counts, and the last word also matches as a prefix while the member is
    still typing it. Returns an empty list for a title too short to compare.
    """
    if len(title.strip()) < SIMILAR_MIN_LENGTH:
        return []
    words = _similar_words(title)
    if not words:
        return []

    typing_last_word = not title[-1].isspace()
    postgres = _is_postgres()
    parameters = Parameters("postgres" if postgres else "sqlite")
    if postgres:
        sql = _postgres_similar_sql(words, typing_last_word, limit, parameters)
    else:
        sql = _sqlite_similar_sql(words, typing_last_word, limit, parameters)

    rows = await _fetch(sql, parameters.values)
    return [SimilarThread(id=row["id"], slug=row["slug"], title=row["title"]) for row in rows]


async def on_post_redacted(post_id: int) -> None:
    """Make sure a redacted post can no longer be found by its old words.

    The triggers already re-index a post whenever its source changes, and every search
    skips posts with ``redacted_at`` set. This re-indexes the post from its current text
    anyway, so that a redaction written some other way still reaches the index.
    """
    connection = connections.get("default")
    if _is_postgres():
        await connection.execute_query(
            "UPDATE post_search SET document = search_document("
            "CASE WHEN post.number = 1 THEN thread.title END, post.source) "
            "FROM post JOIN thread ON thread.id = post.thread_id "
            "WHERE post.id = $1 AND post_search.post_id = post.id",
            [post_id],
        )
    else:
        # Re-writing the source fires the trigger that swaps the indexed text.
        await connection.execute_query("UPDATE post SET source = source WHERE id = ?", [post_id])
    logger.info("search index refreshed after redaction", extra={"post_id": post_id})
