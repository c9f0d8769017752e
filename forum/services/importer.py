"""Import questions and answers from a Stack Exchange data dump ``Posts.xml``.

Each question becomes a question thread and each answer a post in it. Bodies are
converted from the dump's HTML to Markdown and rendered like any other post, and
every imported thread, post and placeholder author keeps its source site and id.

The file is read twice, streaming both times, because an answer can come before its
question. The first pass checks the whole file and spools the answers to a temporary
SQLite file on disk, keyed by question. The second pass reads the questions and writes
each thread with all of its answers in one transaction. Nothing is written to the
forum's database until the first pass has read the whole file, so a file that is not
well-formed XML or that declares entities is rejected before anything is written.

Imports are idempotent and can be resumed after a crash: threads, posts and members
are matched on ``(source_site, source_id)``, so a second run adds only what is
missing. Answers found in a newer dump for a thread imported earlier are appended
after the thread's existing posts.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import sqlite3
import tempfile
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from xml.etree.ElementTree import ParseError

import defusedxml
import defusedxml.ElementTree as DefusedElementTree
from bs4 import BeautifulSoup, Tag
from markdownify import ATX, MarkdownConverter
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from tortoise.expressions import F
from tortoise.transactions import in_transaction

from forum.markdown import RENDERER_VERSION, MarkdownError, render_markdown
from forum.services.posting import TITLE_MAX, slugify
from models import (
    Member,
    MemberState,
    Post,
    Revision,
    Role,
    SkillArea,
    Thread,
    ThreadKind,
    ThreadState,
)

logger = logging.getLogger(__name__)

QUESTION_TYPE = 1
ANSWER_TYPE = 2

# Names of the other PostTypeId values, for the summary. Source: the data dump schema
# documented at https://meta.stackexchange.com/questions/2677.
POST_TYPE_NAMES = {
    3: "orphaned tag wiki",
    4: "tag wiki excerpt",
    5: "tag wiki",
    6: "moderator nomination",
    7: "wiki placeholder",
    8: "privilege wiki",
}

# Stack Exchange is a general data community rather than a children's services one, so
# its threads are offered to the data professional roles in both local and central
# government instead of to practice or leadership roles.
AUDIENCE_ROLES = ("la-data", "cg-data")

# Tags common on Stack Exchange's data sites, mapped to this forum's skill areas. It is
# used when no tag map file is given. docs/examples/stackexchange-tag-map.json contains
# the same map, as a starting point for your own.
DEFAULT_TAG_MAP: dict[str, str] = {
    "sql": "sql-data-engineering",
    "mysql": "sql-data-engineering",
    "postgresql": "sql-data-engineering",
    "sql-server": "sql-data-engineering",
    "tsql": "sql-data-engineering",
    "databases": "sql-data-engineering",
    "data-engineering": "sql-data-engineering",
    "etl": "sql-data-engineering",
    "data-warehouse": "sql-data-engineering",
    "bigdata": "sql-data-engineering",
    "apache-spark": "sql-data-engineering",
    "pyspark": "sql-data-engineering",
    "python": "python",
    "python-3.x": "python",
    "pandas": "python",
    "numpy": "python",
    "scikit-learn": "python",
    "jupyter": "python",
    "r": "r",
    "rstudio": "r",
    "dplyr": "r",
    "ggplot2": "r",
    "tidyverse": "r",
    "git": "git",
    "github": "git",
    "version-control": "git",
    "reproducible-research": "programming-reproducible-analysis",
    "programming": "programming-reproducible-analysis",
    "statistics": "statistics-methods",
    "probability": "statistics-methods",
    "regression": "statistics-methods",
    "linear-regression": "statistics-methods",
    "logistic-regression": "statistics-methods",
    "hypothesis-testing": "statistics-methods",
    "time-series": "statistics-methods",
    "forecasting": "statistics-methods",
    "sampling": "statistics-methods",
    "bayesian": "statistics-methods",
    "clustering": "statistics-methods",
    "classification": "statistics-methods",
    "predictive-modeling": "statistics-methods",
    "visualization": "bi-visualisation",
    "data-visualization": "bi-visualisation",
    "dashboard": "bi-visualisation",
    "tableau": "bi-visualisation",
    "powerbi": "power-bi",
    "power-bi": "power-bi",
    "dax": "power-bi",
    "powerquery": "power-bi",
    "excel": "spreadsheet-modelling",
    "google-sheets": "spreadsheet-modelling",
    "data-cleaning": "data-quality",
    "data-quality": "data-quality",
    "missing-data": "data-quality",
    "data-validation": "data-quality",
    "privacy": "information-governance",
    "anonymization": "information-governance",
    "gdpr": "information-governance",
    "record-linkage": "data-linkage-standards",
    "entity-resolution": "data-linkage-standards",
    "data-standards": "data-linkage-standards",
    "machine-learning": "data-ethics-ai",
    "deep-learning": "data-ethics-ai",
    "neural-network": "data-ethics-ai",
    "nlp": "data-ethics-ai",
    "ai": "data-ethics-ai",
    "ethics": "data-ethics-ai",
}

# Question tags that give the language of code blocks that do not name one, as Stack
# Exchange itself highlights code by the question's tags. The values are fence
# languages that forum.markdown highlights.
TAG_CODE_LANGUAGES = {
    "python": "python",
    "python-3.x": "python",
    "pandas": "python",
    "numpy": "python",
    "scikit-learn": "python",
    "r": "r",
    "dplyr": "r",
    "ggplot2": "r",
    "sql": "sql",
    "mysql": "sql",
    "postgresql": "sql",
    "tsql": "tsql",
    "sql-server": "tsql",
    "dax": "dax",
    "powerquery": "powerquery",
}

# Stack Exchange's published rule for content without a ContentLicense attribute, from
# https://meta.stackexchange.com/questions/347758: each version of a post is licensed
# under the CC BY-SA version in force when it was published (UTC), 2.5 before
# 2011-04-08, 3.0 from then until 2018-05-02, and 4.0 from 2018-05-02 on.
LICENCE_3_FROM = datetime(2011, 4, 8, tzinfo=UTC)
LICENCE_4_FROM = datetime(2018, 5, 2, tzinfo=UTC)

# Column sizes from models.threads and models.members.
SOURCE_SITE_MAX = 120
SOURCE_LICENSE_MAX = 60
HANDLE_MAX = 40
DISPLAY_NAME_MAX = 120
HANDLE_ATTEMPTS_MAX = 50
# Ids are stored in SQLite INTEGER columns while spooled, which are signed 64-bit.
ID_MAX = 2**63 - 1

UNKNOWN_AUTHOR_ID = "unknown"
COMMUNITY_USER_ID = -1

_HOST_RE = re.compile(r"[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)+")
_POSTS_SUFFIX_RE = re.compile(r"(?:^|[-_.])posts$", re.IGNORECASE)
_ANGLE_TAGS_RE = re.compile(r"<([^<>]+)>")
_FENCE_LANGUAGE_RE = re.compile(r"[a-z0-9][a-z0-9_+.-]*")


class ImportFileError(ValueError):
    """A Posts.xml file that cannot be imported at all: missing, not XML or hostile."""


@dataclass
class ImportSummary:
    """Counts of what one import added, skipped and rejected."""

    threads_added: int = 0
    # Answers added as posts, not counting the opening posts of new threads.
    posts_added: int = 0
    # Threads whose accepted answer was imported in this run.
    accepted_answers: int = 0
    # Questions and answers imported by an earlier run.
    skipped_existing: int = 0
    # PostTypeId -> number of rows, for types other than questions and answers.
    skipped_other_types: dict[int, int] = field(default_factory=dict)
    # (row Id, reason) for each malformed row. A row without a usable Id is named by its
    # position in the file, such as "#12" for the twelfth row.
    failed_rows: list[tuple[str, str]] = field(default_factory=list)
    # Answers whose question is not in the file or could not be imported.
    orphan_answers: int = 0
    seconds: float = 0.0

    def describe(self) -> str:
        """Summarise the import in a few lines for the command line."""
        if self.skipped_other_types:
            other_types = ", ".join(
                f"{count} of type {type_id} ({POST_TYPE_NAMES.get(type_id, 'unknown type')})"
                for type_id, count in sorted(self.skipped_other_types.items())
            )
        else:
            other_types = "none"
        lines = [
            f"Stack Exchange import finished in {self.seconds:.1f} seconds.",
            f"Threads added: {self.threads_added}",
            f"Answers added: {self.posts_added}",
            f"Accepted answers kept: {self.accepted_answers}",
            f"Rows skipped because an earlier import added them: {self.skipped_existing}",
            f"Answers skipped because their question was not imported: {self.orphan_answers}",
            f"Rows of other post types skipped: {other_types}",
            f"Rows that failed: {len(self.failed_rows)}",
        ]
        lines += [f"  Id {row_id}: {reason}" for row_id, reason in self.failed_rows]
        return "\n".join(lines)


# Site names ------------------------------------------------------------------


def site_from_path(path: str | Path) -> str:
    """Derive the source site's host name from a dump file's name.

    ``<name>-Posts.xml`` gives ``<name>`` with hyphens read as dots, followed by
    ``.stackexchange.com``, so ``datascience-meta-Posts.xml`` gives
    ``datascience.meta.stackexchange.com``. A name that already contains a dot is taken
    as the whole host name, so ``stackoverflow.com-Posts.xml`` gives
    ``stackoverflow.com``. A file named just ``Posts.xml`` takes the name of its
    directory when that contains a dot, as when a dump archive is extracted into a
    directory named after the site. Raises ValueError for any other name.
    """
    path = Path(path)
    stem = path.name[:-4] if path.name.lower().endswith(".xml") else path.name
    match = _POSTS_SUFFIX_RE.search(stem)
    if match is None:
        raise ValueError(
            f"Cannot tell the source site from the file name {path.name!r}: expected "
            "'<site>-Posts.xml' or 'Posts.xml'. Pass the site name, for example "
            "--site datascience.stackexchange.com."
        )
    prefix = stem[: match.start()].lower()
    if not prefix:
        directory = path.resolve().parent.name.lower()
        if "." not in directory:
            raise ValueError(
                f"Cannot tell the source site from {str(path)!r}: the file is named "
                "Posts.xml and its directory is not named after a site. Pass the site "
                "name, for example --site datascience.stackexchange.com."
            )
        prefix = directory
    site = prefix if "." in prefix else prefix.replace("-", ".") + ".stackexchange.com"
    return check_site(site)


def check_site(site: str) -> str:
    """Return ``site`` in lower case, or raise ValueError if it is not a host name."""
    host = site.strip().lower()
    if len(host) > SOURCE_SITE_MAX or not _HOST_RE.fullmatch(host):
        raise ValueError(
            f"Invalid source site {site!r}: give a host name such as "
            f"datascience.stackexchange.com, of at most {SOURCE_SITE_MAX} characters."
        )
    return host


def _handle_label(site: str) -> str:
    """Shorten a host name for member handles: datascience.meta.stackexchange.com ->
    datascience-meta, stackoverflow.com -> stackoverflow."""
    host = site.removesuffix(".stackexchange.com")
    if host == site:
        host = host.rsplit(".", 1)[0]
    return re.sub(r"[^a-z0-9]+", "-", host).strip("-") or "site"


# Rows ------------------------------------------------------------------------


class _RowError(ValueError):
    """A row that cannot be imported; the message is the reason shown in the summary."""


@dataclass(frozen=True)
class _AuthorRef:
    """The identity of a post's author in the source, before it has a Member row."""

    source_id: str
    display_name: str
    handle_tail: str


@dataclass
class _SourcePost:
    """A question or answer converted and rendered, ready to be written."""

    source_id: str
    created_at: datetime
    source: str
    html: str
    author: _AuthorRef


@dataclass
class _Question(_SourcePost):
    title: str = ""
    tags: list[str] = field(default_factory=list)
    accepted_answer_id: str | None = None
    licence: str = ""


def _row_label(attributes: dict[str, str], ordinal: int) -> str:
    row_id = (attributes.get("Id") or "").strip()
    return row_id if row_id else f"#{ordinal}"


def _required_int(attributes: dict[str, str], name: str) -> int:
    value = (attributes.get(name) or "").strip()
    if not value:
        raise _RowError(f"{name} is missing")
    try:
        number = int(value)
    except ValueError:
        raise _RowError(f"{name} {value!r} is not a whole number") from None
    if abs(number) > ID_MAX:
        raise _RowError(f"{name} {value!r} is out of range")
    return number


def _optional_int(attributes: dict[str, str], name: str) -> int | None:
    if not (attributes.get(name) or "").strip():
        return None
    return _required_int(attributes, name)


def _post_id(attributes: dict[str, str]) -> int:
    post_id = _required_int(attributes, "Id")
    if post_id <= 0:
        raise _RowError(f"Id {post_id} is not a positive number")
    return post_id


def _parse_date(attributes: dict[str, str], name: str, *, required: bool = True) -> datetime | None:
    """Parse a dump date such as 2014-05-14T00:15:22.253, which is UTC without an offset."""
    value = (attributes.get(name) or "").strip()
    if not value:
        if required:
            raise _RowError(f"{name} is missing")
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise _RowError(f"{name} {value!r} is not a valid date") from None
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def parse_tags(value: str | None) -> list[str]:
    """Split a Tags attribute in either dump notation, ``<a><b>`` or ``|a|b|``."""
    text = (value or "").strip()
    if text.startswith("<"):
        names = _ANGLE_TAGS_RE.findall(text)
    else:
        names = text.split("|")
    tags = [name.strip().lower() for name in names]
    return list(dict.fromkeys(tag for tag in tags if tag))


def _licence(attributes: dict[str, str], created_at: datetime) -> str:
    """Return the row's ContentLicense, or the licence Stack Exchange's date rule gives.

    Without ContentLicense the current version dates from LastEditDate, or from
    CreationDate when the post was never edited.
    """
    licence = " ".join((attributes.get("ContentLicense") or "").split())
    if len(licence) > SOURCE_LICENSE_MAX:
        raise _RowError(f"ContentLicense is longer than {SOURCE_LICENSE_MAX} characters")
    if licence:
        return licence
    # NOTE: LastEditDate also moves for tag-only edits, which Stack Exchange does not
    # count as a new version, so this can name a newer licence than the text has.
    published = _parse_date(attributes, "LastEditDate", required=False) or created_at
    if published < LICENCE_3_FROM:
        return "CC BY-SA 2.5"
    if published < LICENCE_4_FROM:
        return "CC BY-SA 3.0"
    return "CC BY-SA 4.0"


def _author(attributes: dict[str, str]) -> _AuthorRef:
    """Identify the author by OwnerUserId, else by OwnerDisplayName, else as unknown.

    Deleted accounts keep only a display name, so such authors are matched by the
    name's hash. Every post with neither shares the site's "Unknown author".
    """
    user_id = _optional_int(attributes, "OwnerUserId")
    display_name = " ".join((attributes.get("OwnerDisplayName") or "").split())
    if user_id is not None:
        if user_id == COMMUNITY_USER_ID:
            # Stack Exchange's "Community" bot account owns wiki and migrated posts.
            return _AuthorRef(str(COMMUNITY_USER_ID), "Stack Exchange Community bot", "community")
        return _AuthorRef(str(user_id), f"Stack Exchange user {user_id}", str(user_id))
    if display_name:
        digest = hashlib.blake2b(display_name.encode("utf-8"), digest_size=8).hexdigest()
        tail = re.sub(r"[^a-z0-9]+", "-", slugify(display_name, 20)).strip("-") or "user"
        return _AuthorRef(f"name:{digest}", display_name[:DISPLAY_NAME_MAX], tail)
    return _AuthorRef(UNKNOWN_AUTHOR_ID, "Unknown author", "unknown")


# HTML to Markdown ------------------------------------------------------------


class _BodyConverter(MarkdownConverter):
    """markdownify with fenced code whose fence outlasts any backtick run in the code."""

    def __init__(self, default_language: str) -> None:
        super().__init__(heading_style=ATX, bullets="-", escape_misc=False)
        self.default_language = default_language

    def code_language(self, pre: Tag) -> str:
        """Return the fence language from a ``lang-*`` or ``language-*`` class on the
        ``<pre>`` or its ``<code>``, else the one the question's tags suggest."""
        for element in (pre, pre.find("code")):
            classes = element.get("class") if isinstance(element, Tag) else None
            for name in classes or ():
                for prefix in ("lang-", "language-"):
                    if name.startswith(prefix):
                        language = name.removeprefix(prefix).lower()
                        if language == "none":
                            return ""
                        return language if _FENCE_LANGUAGE_RE.fullmatch(language) else ""
        return self.default_language

    def convert_pre(self, el, text, parent_tags):
        code = text.strip("\n")
        if not code.strip():
            return ""
        longest_run = max((len(run) for run in re.findall(r"`+", code)), default=0)
        fence = "`" * max(3, longest_run + 1)
        return f"\n\n{fence}{self.code_language(el)}\n{code}\n{fence}\n\n"


def _absolute_url(url: str, site: str) -> str:
    """Point site-relative and protocol-relative URLs at the source site over https.

    A relative link would otherwise resolve against this forum, where the page does
    not exist. Spaces are encoded because a Markdown link destination cannot hold one.
    """
    url = url.strip()
    if url.startswith("//"):
        url = "https:" + url
    elif url.startswith("/"):
        url = f"https://{site}{url}"
    return url.replace(" ", "%20")


def html_to_markdown(html: str, *, site: str, code_language: str = "") -> str:
    """Convert a dump body's HTML to Markdown, with ATX headings and fenced code.

    ``code_language`` is the fence language for code blocks whose HTML names none.
    """
    soup = BeautifulSoup(html, "html.parser")
    for tag_name, attribute in (("a", "href"), ("img", "src")):
        for element in soup.find_all(tag_name):
            if element.get(attribute):
                element[attribute] = _absolute_url(element[attribute], site)
    return _BodyConverter(code_language).convert_soup(soup).strip()


def _code_language_for(tags: list[str]) -> str:
    return next((TAG_CODE_LANGUAGES[tag] for tag in tags if tag in TAG_CODE_LANGUAGES), "")


def _convert_body(
    attributes: dict[str, str], *, site: str, code_language: str, max_length: int
) -> tuple[str, str]:
    """Return the row's body as Markdown and as rendered HTML, or raise _RowError."""
    body_html = attributes.get("Body") or ""
    if not body_html.strip():
        raise _RowError("Body is missing or empty")
    source = html_to_markdown(body_html, site=site, code_language=code_language)
    if len(source) > max_length:
        raise _RowError(
            f"body is {len(source):,} characters long as Markdown, over the limit of "
            f"{max_length:,} characters"
        )
    try:
        return source, render_markdown(source, max_length=max_length)
    except MarkdownError as error:
        raise _RowError(f"body could not be rendered: {error}") from None


def _parse_question(
    attributes: dict[str, str], *, site: str, max_length: int
) -> _Question:
    question_id = _post_id(attributes)
    title = " ".join((attributes.get("Title") or "").split())
    if not title:
        raise _RowError("Title is missing")
    created_at = _parse_date(attributes, "CreationDate")
    accepted_answer_id = _optional_int(attributes, "AcceptedAnswerId")
    tags = parse_tags(attributes.get("Tags"))
    author = _author(attributes)
    licence = _licence(attributes, created_at)
    source, html = _convert_body(
        attributes, site=site, code_language=_code_language_for(tags), max_length=max_length
    )
    return _Question(
        source_id=str(question_id),
        created_at=created_at,
        source=source,
        html=html,
        author=author,
        title=title[:TITLE_MAX],
        tags=tags,
        accepted_answer_id=None if accepted_answer_id is None else str(accepted_answer_id),
        licence=licence,
    )


def _parse_answer(
    attributes: dict[str, str], *, site: str, code_language: str, max_length: int
) -> _SourcePost:
    answer_id = _post_id(attributes)
    created_at = _parse_date(attributes, "CreationDate")
    author = _author(attributes)
    source, html = _convert_body(
        attributes, site=site, code_language=code_language, max_length=max_length
    )
    return _SourcePost(str(answer_id), created_at, source, html, author)


# Reading the file ------------------------------------------------------------


def _iter_rows(path: Path) -> Iterator[tuple[int, dict[str, str]]]:
    """Yield (position, attributes) for each ``<row>``, freeing each element after use.

    defusedxml rejects entity declarations and external references, so an entity
    expansion bomb raises ImportFileError instead of being expanded.
    """
    ordinal = 0
    try:
        with path.open("rb") as handle:
            root = None
            for event, element in DefusedElementTree.iterparse(handle, events=("start", "end")):
                if root is None:
                    root = element
                    if root.tag != "posts":
                        raise ImportFileError(
                            f"{path} is not a Posts.xml file: its root element is "
                            f"<{root.tag}>, not <posts>."
                        )
                    continue
                if event != "end" or element.tag != "row":
                    continue
                ordinal += 1
                yield ordinal, dict(element.attrib)
                # Drop the finished row from the tree so memory stays flat.
                root.clear()
    except defusedxml.EntitiesForbidden as error:
        raise ImportFileError(
            f"{path} declares the XML entity {error.name!r}. Entity declarations can "
            "expand to gigabytes, and Stack Exchange dumps do not use them, so the file "
            "was rejected and nothing was imported."
        ) from None
    except defusedxml.DefusedXmlException as error:
        raise ImportFileError(
            f"{path} uses an XML feature the importer rejects ({error}), so nothing was "
            "imported."
        ) from None
    except ParseError as error:
        raise ImportFileError(
            f"{path} is not well-formed XML ({error}) after row {ordinal}, so nothing "
            "was imported."
        ) from None


class _AnswerSpool:
    """Answers read in the first pass, kept in a temporary SQLite file until their
    question is read, so that a large dump is not held in memory."""

    def __init__(self, directory: str) -> None:
        self._database = sqlite3.connect(Path(directory) / "answers.sqlite3")
        self._database.execute(
            "CREATE TABLE answer (id INTEGER PRIMARY KEY, question_id INTEGER NOT NULL, "
            "created_us INTEGER NOT NULL, attributes TEXT NOT NULL)"
        )
        self._database.execute("CREATE INDEX answer_question ON answer (question_id)")

    def add(self, answer_id: int, question_id: int, created_at: datetime, row: dict) -> bool:
        """Store an answer; return False if an answer with this Id is already stored."""
        created_us = round(created_at.timestamp() * 1_000_000)
        try:
            self._database.execute(
                "INSERT INTO answer VALUES (?, ?, ?, ?)",
                (answer_id, question_id, created_us, json.dumps(row)),
            )
        except sqlite3.IntegrityError:
            return False
        return True

    def take(self, question_id: int) -> list[dict[str, str]]:
        """Remove and return a question's answers, oldest first, then by Id."""
        rows = self._database.execute(
            "SELECT attributes FROM answer WHERE question_id = ? ORDER BY created_us, id",
            (question_id,),
        ).fetchall()
        self._database.execute("DELETE FROM answer WHERE question_id = ?", (question_id,))
        return [json.loads(attributes) for (attributes,) in rows]

    def count(self) -> int:
        return self._database.execute("SELECT count(*) FROM answer").fetchone()[0]

    def close(self) -> None:
        self._database.close()


# Attributes the second pass needs from an answer row; the rest are not spooled.
_SPOOLED_ATTRIBUTES = ("Id", "ParentId", "CreationDate", "Body", "OwnerUserId", "OwnerDisplayName")


# Configuration ---------------------------------------------------------------


def load_tag_map(tag_map_path: str | Path | None) -> dict[str, str]:
    """Read a JSON object mapping tags to skill area slugs, or return DEFAULT_TAG_MAP."""
    if tag_map_path is None:
        return dict(DEFAULT_TAG_MAP)
    path = Path(tag_map_path)
    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"))
    except FileNotFoundError:
        raise ValueError(f"Tag map file not found: {path}") from None
    except json.JSONDecodeError as error:
        raise ValueError(f"Tag map {path} is not valid JSON: {error}") from None
    if not isinstance(data, dict):
        raise ValueError(
            f"Tag map {path} must be a JSON object of tag to skill area slug, such as "
            '{"sql": "sql-data-engineering"}.'
        )
    tag_map = {}
    for tag, slug in data.items():
        if not isinstance(slug, str):
            raise ValueError(
                f"Tag map {path} gives tag {tag!r} a {type(slug).__name__}, not a skill area slug."
            )
        tag_map[tag.strip().lower()] = slug.strip()
    return tag_map


async def _check_configuration(
    tag_map: dict[str, str], tag_map_path: str | Path | None, default_skill_area: str
) -> tuple[dict[str, int], list[Role]]:
    """Return skill area ids by slug and the audience roles, or raise ValueError naming
    every slug that does not exist."""
    areas = dict(await SkillArea.all().values_list("slug", "id"))
    known = ", ".join(sorted(areas))
    if default_skill_area not in areas:
        raise ValueError(
            f"Default skill area {default_skill_area!r} does not exist. Choose one of: {known}."
        )
    unknown = sorted({slug for slug in tag_map.values() if slug not in areas})
    if unknown:
        source = f"Tag map {tag_map_path}" if tag_map_path else "The built-in tag map"
        names = ", ".join(repr(slug) for slug in unknown)
        raise ValueError(
            f"{source} names skill areas that do not exist: {names}. Use one of: {known}."
        )
    roles = await Role.filter(slug__in=AUDIENCE_ROLES)
    missing = sorted(set(AUDIENCE_ROLES) - {role.slug for role in roles})
    if missing:
        raise ValueError(
            f"Audience roles {', '.join(missing)} do not exist. Run 'forum migrate' to "
            "load the taxonomy."
        )
    return areas, roles


# Authors ---------------------------------------------------------------------


class _AuthorDirectory:
    """Placeholder members for one source site, created on first use."""

    def __init__(self, site: str) -> None:
        self.site = site
        self.label = _handle_label(site)
        self.member_ids: dict[str, int] = {}

    async def load(self) -> None:
        rows = await Member.filter(source_site=self.site).values_list("source_id", "id")
        self.member_ids = dict(rows)

    async def ensure(self, authors: Iterable[_AuthorRef]) -> dict[str, int]:
        """Create the members that do not exist yet; return their ids by source id.

        Call inside the thread's transaction, and pass the result to ``remember`` once
        it commits.
        """
        missing = {ref.source_id: ref for ref in authors if ref.source_id not in self.member_ids}
        if not missing:
            return {}
        handles = await self._free_handles(missing.values())
        await Member.bulk_create(
            [
                Member(
                    handle=handles[ref.source_id],
                    display_name=ref.display_name,
                    email=None,
                    state=MemberState.ACTIVE,
                    is_imported=True,
                    source_site=self.site,
                    source_id=ref.source_id,
                )
                for ref in missing.values()
            ]
        )
        rows = await Member.filter(
            source_site=self.site, source_id__in=list(missing)
        ).values_list("source_id", "id")
        return dict(rows)

    def remember(self, created: dict[str, int]) -> None:
        self.member_ids.update(created)

    def member_id(self, ref: _AuthorRef, created: dict[str, int]) -> int:
        return created.get(ref.source_id) or self.member_ids[ref.source_id]

    def _handle(self, tail: str, attempt: int) -> str:
        suffix = f"-{tail}" if attempt == 1 else f"-{tail}-{attempt}"
        label = self.label[: HANDLE_MAX - len("se-") - len(suffix)].rstrip("-")
        return f"se-{label}{suffix}"

    async def _free_handles(self, refs: Iterable[_AuthorRef]) -> dict[str, str]:
        """Choose an unused handle for each author, numbering it when the plain one is
        taken, for example by a member who picked it or by a long site name cut short."""
        refs = list(refs)
        attempts = {ref.source_id: 1 for ref in refs}
        while True:
            handles = {
                ref.source_id: self._handle(ref.handle_tail, attempts[ref.source_id])
                for ref in refs
            }
            used_query = Member.filter(handle__in=list(handles.values()))
            used = set(await used_query.values_list("handle", flat=True))
            chosen: set[str] = set()
            clashes = []
            for source_id, handle in handles.items():
                if handle in used or handle in chosen:
                    clashes.append(source_id)
                chosen.add(handle)
            if not clashes:
                return handles
            for source_id in clashes:
                attempts[source_id] += 1
                if attempts[source_id] > HANDLE_ATTEMPTS_MAX:
                    raise RuntimeError(
                        f"No free handle for imported author {source_id} of {self.site} "
                        f"after {HANDLE_ATTEMPTS_MAX} attempts."
                    )


# Writing ---------------------------------------------------------------------


@dataclass
class _ImportContext:
    site: str
    max_length: int
    tag_map: dict[str, str]
    default_skill_area: str
    skill_area_ids: dict[str, int]
    roles: list[Role]
    authors: _AuthorDirectory
    # Thread ids and post source ids already in the database for this site.
    thread_ids: dict[str, int]
    post_source_ids: set[str]
    summary: ImportSummary

    def fail(self, row_id: str, reason: str) -> None:
        self.summary.failed_rows.append((row_id, reason))
        logger.warning(
            "Skipped Stack Exchange row %s: %s", row_id, reason,
            extra={"site": self.site, "row_id": row_id},
        )  # fmt: skip

    def skill_area_id(self, tags: list[str]) -> int:
        slug = next((self.tag_map[tag] for tag in tags if tag in self.tag_map), None)
        return self.skill_area_ids[slug or self.default_skill_area]

    def revision_reason(self) -> str:
        return f"Imported from {self.site}"


def _post_rows(
    context: _ImportContext,
    thread_id: int,
    posts: list[_SourcePost],
    first_number: int,
    member_ids: dict[str, int],
) -> list[Post]:
    return [
        Post(
            thread_id=thread_id,
            number=number,
            author_id=context.authors.member_id(post.author, member_ids),
            source=post.source,
            html=post.html,
            renderer_version=RENDERER_VERSION,
            source_site=context.site,
            source_id=post.source_id,
            created_at=post.created_at,
        )
        for number, post in enumerate(posts, start=first_number)
    ]


async def _store_posts(
    context: _ImportContext, thread_id: int, posts: list[_SourcePost], first_number: int,
    member_ids: dict[str, int],
) -> dict[str, int]:
    """Insert posts and their first revisions; return post ids by source id."""
    await Post.bulk_create(_post_rows(context, thread_id, posts, first_number, member_ids))
    post_ids = dict(
        await Post.filter(
            source_site=context.site, source_id__in=[post.source_id for post in posts]
        ).values_list("source_id", "id")
    )
    await Revision.bulk_create(
        [
            Revision(
                post_id=post_ids[post.source_id],
                number=1,
                source=post.source,
                html=post.html,
                renderer_version=RENDERER_VERSION,
                editor_id=context.authors.member_id(post.author, member_ids),
                reason=context.revision_reason(),
                created_at=post.created_at,
            )
            for post in posts
        ]
    )
    return post_ids


async def _create_thread(
    context: _ImportContext, question: _Question, answers: list[_SourcePost]
) -> None:
    """Write a new thread with its opening post, answers and revisions in one transaction."""
    posts: list[_SourcePost] = [question, *answers]
    latest = max(posts, key=lambda post: post.created_at)

    async with in_transaction():
        member_ids = await context.authors.ensure(post.author for post in posts)
        thread = await Thread.create(
            title=question.title,
            slug=slugify(question.title),
            kind=ThreadKind.QUESTION,
            state=ThreadState.OPEN,
            skill_area_id=context.skill_area_id(question.tags),
            author_id=context.authors.member_id(question.author, member_ids),
            post_count=len(posts),
            last_activity_at=latest.created_at,
            last_poster_id=context.authors.member_id(latest.author, member_ids),
            source_site=context.site,
            source_id=question.source_id,
            source_url=f"https://{context.site}/questions/{question.source_id}",
            # NOTE: Thread has one licence column, so answers published under a newer
            # licence than their question are shown with the question's licence.
            source_license=question.licence,
            created_at=question.created_at,
        )
        await thread.audience_roles.add(*context.roles)
        post_ids = await _store_posts(context, thread.id, posts, 1, member_ids)
        accepted_post_id = _accepted_post_id(question.accepted_answer_id, answers, post_ids)
        if accepted_post_id is not None:
            await Thread.filter(id=thread.id).update(
                accepted_post_id=accepted_post_id, state=ThreadState.SOLVED
            )

    context.authors.remember(member_ids)
    context.thread_ids[question.source_id] = thread.id
    context.post_source_ids.update(post.source_id for post in posts)
    context.summary.threads_added += 1
    context.summary.posts_added += len(answers)
    context.summary.accepted_answers += accepted_post_id is not None


def _accepted_post_id(
    accepted_answer_id: str | None, answers: list[_SourcePost], post_ids: dict[str, int]
) -> int | None:
    if accepted_answer_id is None:
        return None
    if not any(answer.source_id == accepted_answer_id for answer in answers):
        return None
    return post_ids[accepted_answer_id]


async def _append_answers(
    context: _ImportContext, thread_id: int, answers: list[_SourcePost],
    accepted_answer_id: str | None,
) -> None:
    """Add answers missing from a thread imported earlier, after its existing posts.

    Like a reply, this moves the thread's counters in the same transaction. The thread
    is marked solved only if it is still open and has no accepted answer.
    """
    async with in_transaction():
        member_ids = await context.authors.ensure(answer.author for answer in answers)
        # The UPDATE takes the thread's row lock before the numbers are chosen.
        await Thread.filter(id=thread_id).update(post_count=F("post_count") + len(answers))
        thread = await Thread.get(id=thread_id)
        numbers = await Post.filter(thread_id=thread_id).order_by("-number").limit(1).values_list(
            "number", flat=True
        )
        first_number = (numbers[0] if numbers else 0) + 1
        post_ids = await _store_posts(context, thread_id, answers, first_number, member_ids)

        changes: dict[str, object] = {}
        latest = max(answers, key=lambda answer: answer.created_at)
        if latest.created_at > thread.last_activity_at:
            changes["last_activity_at"] = latest.created_at
            changes["last_poster_id"] = context.authors.member_id(latest.author, member_ids)
        accepted_post_id = _accepted_post_id(accepted_answer_id, answers, post_ids)
        if accepted_post_id is not None and thread.accepted_post_id is None:
            changes["accepted_post_id"] = accepted_post_id
            if thread.state == ThreadState.OPEN:
                changes["state"] = ThreadState.SOLVED
        else:
            accepted_post_id = None
        if changes:
            await Thread.filter(id=thread_id).update(**changes)

    context.authors.remember(member_ids)
    context.post_source_ids.update(answer.source_id for answer in answers)
    context.summary.posts_added += len(answers)
    context.summary.accepted_answers += accepted_post_id is not None


# The import ------------------------------------------------------------------


def _spool_answers(
    path: Path, spool: _AnswerSpool, context: _ImportContext, progress: Progress
) -> int:
    """Read every row once: spool answers, count other types, report malformed rows.

    Returns the number of rows read.
    """
    task = progress.add_task(f"Reading {path.name}", total=None)
    rows = 0
    for ordinal, attributes in _iter_rows(path):
        rows = ordinal
        progress.advance(task)
        try:
            post_id = _post_id(attributes)
            post_type = _required_int(attributes, "PostTypeId")
            if post_type == QUESTION_TYPE:
                continue
            if post_type != ANSWER_TYPE:
                other = context.summary.skipped_other_types
                other[post_type] = other.get(post_type, 0) + 1
                continue
            question_id = _required_int(attributes, "ParentId")
            created_at = _parse_date(attributes, "CreationDate")
        except _RowError as error:
            context.fail(_row_label(attributes, ordinal), str(error))
            continue
        spooled = {name: attributes[name] for name in _SPOOLED_ATTRIBUTES if name in attributes}
        spooled["Id"] = str(post_id)
        if not spool.add(post_id, question_id, created_at, spooled):
            context.fail(str(post_id), "another answer in the file has the same Id")
    progress.update(task, total=rows, completed=rows)
    return rows


def _parse_answers(
    context: _ImportContext, rows: list[dict[str, str]], code_language: str
) -> list[_SourcePost]:
    answers = []
    for attributes in rows:
        try:
            answers.append(
                _parse_answer(
                    attributes, site=context.site, code_language=code_language,
                    max_length=context.max_length,
                )  # fmt: skip
            )
        except _RowError as error:
            context.fail(attributes["Id"], str(error))
    return answers


async def _import_question(
    context: _ImportContext, attributes: dict[str, str], answer_rows: list[dict[str, str]]
) -> None:
    """Import one question row with its spooled answers, as a new thread or as new
    answers in a thread imported earlier."""
    question_id = str(_post_id(attributes))
    summary = context.summary
    thread_id = context.thread_ids.get(question_id)

    if thread_id is not None:
        summary.skipped_existing += 1
        new_rows = [row for row in answer_rows if row["Id"] not in context.post_source_ids]
        summary.skipped_existing += len(answer_rows) - len(new_rows)
        if not new_rows:
            return
        try:
            accepted_answer_id = _optional_int(attributes, "AcceptedAnswerId")
        except _RowError:
            accepted_answer_id = None  # Rejected when the question was first imported.
        code_language = _code_language_for(parse_tags(attributes.get("Tags")))
        answers = _parse_answers(context, new_rows, code_language)
        if answers:
            accepted = None if accepted_answer_id is None else str(accepted_answer_id)
            await _append_answers(context, thread_id, answers, accepted)
        return

    try:
        if question_id in context.post_source_ids:
            raise _RowError("Id is already used by an answer")
        question = _parse_question(attributes, site=context.site, max_length=context.max_length)
    except _RowError as error:
        context.fail(question_id, str(error))
        summary.orphan_answers += len(answer_rows)
        return

    # Post source ids are unique per site, so an answer that shares an Id with a
    # question would make the whole thread's insert fail.
    unique_rows = []
    for row in answer_rows:
        if row["Id"] == question_id or row["Id"] in context.post_source_ids:
            context.fail(row["Id"], "Id is already used by a question")
        else:
            unique_rows.append(row)
    answers = _parse_answers(context, unique_rows, _code_language_for(question.tags))
    await _create_thread(context, question, answers)


async def _import_questions(
    path: Path, spool: _AnswerSpool, context: _ImportContext, progress: Progress, rows: int
) -> None:
    task = progress.add_task(f"Importing {path.name}", total=rows)
    seen: set[int] = set()
    for _ordinal, attributes in _iter_rows(path):
        progress.advance(task)
        try:
            question_id = _post_id(attributes)
            post_type = _required_int(attributes, "PostTypeId")
        except _RowError:
            continue  # Reported by the first pass.
        if post_type != QUESTION_TYPE:
            continue
        if question_id in seen:
            context.fail(str(question_id), "another question in the file has the same Id")
            continue
        seen.add(question_id)
        await _import_question(context, attributes, spool.take(question_id))


def _progress_bar(enabled: bool) -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("rows"),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        disable=not enabled,
    )


async def run_stackexchange_import(
    path: str | Path,
    *,
    default_skill_area: str,
    tag_map_path: str | None,
    max_length: int,
    site: str | None,
    progress: bool,
) -> ImportSummary:
    """Import a Stack Exchange ``Posts.xml`` into the forum and summarise what changed.

    Raises ValueError before writing anything when the skill areas or site are invalid,
    and ImportFileError (a ValueError) when the file cannot be read as a dump.
    """
    started = time.perf_counter()
    path = Path(path)
    if not path.is_file():
        raise ImportFileError(f"Posts file not found: {path}")
    site = check_site(site) if site else site_from_path(path)
    tag_map = load_tag_map(tag_map_path)
    skill_area_ids, roles = await _check_configuration(tag_map, tag_map_path, default_skill_area)

    summary = ImportSummary()
    authors = _AuthorDirectory(site)
    await authors.load()
    context = _ImportContext(
        site=site,
        max_length=max_length,
        tag_map=tag_map,
        default_skill_area=default_skill_area,
        skill_area_ids=skill_area_ids,
        roles=roles,
        authors=authors,
        thread_ids=dict(await Thread.filter(source_site=site).values_list("source_id", "id")),
        post_source_ids=set(
            await Post.filter(source_site=site).values_list("source_id", flat=True)
        ),
        summary=summary,
    )
    logger.info(
        "Stack Exchange import started",
        extra={"path": str(path), "site": site, "existing_threads": len(context.thread_ids)},
    )

    with tempfile.TemporaryDirectory(prefix="forum-import-") as directory:
        spool = _AnswerSpool(directory)
        try:
            with _progress_bar(progress) as bar:
                rows = _spool_answers(path, spool, context, bar)
                await _import_questions(path, spool, context, bar, rows)
            summary.orphan_answers += spool.count()
        finally:
            spool.close()

    summary.failed_rows.sort(key=_failed_row_order)
    summary.seconds = time.perf_counter() - started
    if summary.orphan_answers:
        logger.warning(
            "Skipped %d answers whose question was not imported",
            summary.orphan_answers,
            extra={"site": site},
        )
    logger.info(
        "Stack Exchange import finished",
        extra={
            "site": site,
            "threads_added": summary.threads_added,
            "posts_added": summary.posts_added,
            "accepted_answers": summary.accepted_answers,
            "skipped_existing": summary.skipped_existing,
            "skipped_other_types": sum(summary.skipped_other_types.values()),
            "failed_rows": len(summary.failed_rows),
            "orphan_answers": summary.orphan_answers,
            "seconds": round(summary.seconds, 2),
        },
    )
    return summary


def _failed_row_order(row: tuple[str, str]) -> tuple[int, int, str]:
    """Sort failed rows by numeric Id, then rows named by position, then the rest."""
    row_id = row[0]
    if row_id.isdigit():
        return (0, int(row_id), "")
    if row_id.startswith("#") and row_id[1:].isdigit():
        return (1, int(row_id[1:]), "")
    return (2, 0, row_id)
