"""Deterministic benchmark data: members, threads and posts at a chosen size.

The same seed always gives the same rows, so two databases, or two forums, can be loaded
with identical content and measured side by side. :class:`Dataset` uses only the standard
library, so a peer forum's seeding script can import this file by path in its own virtual
environment. The loaders below it import Tortoise and the models only when called.

Post bodies come from a pool of generated Markdown texts (100 to 1,500 characters, with
paragraphs, lists, quotes, headings and fenced code). Each post takes one body from the
pool, so only the pool is rendered, which keeps a million-post load to minutes.
"""

from __future__ import annotations

import math
import random
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

SEED = 20260601
GENERATOR_VERSION = 1
BASE_TIME = datetime(2025, 1, 1, tzinfo=UTC)
SPAN_DAYS = 730
BODY_POOL_SIZE = 3000
MIN_BODY_LENGTH = 100
MAX_BODY_LENGTH = 1500
# The busiest ordinary thread stays well below the hot thread's size.
MAX_OTHER_POSTS = 150
HOT_SKILL_AREA = "data-quality"
HOT_ROLE = "la-data"
BENCH_HANDLE = "bench"


@dataclass(frozen=True)
class BenchSize:
    members: int
    threads: int
    posts: int
    hot_posts: int


SIZES = {
    "small": BenchSize(members=2_000, threads=20_000, posts=200_000, hot_posts=200),
    "large": BenchSize(members=10_000, threads=100_000, posts=1_000_000, hot_posts=200),
    # Only for tests of the generator itself.
    "tiny": BenchSize(members=30, threads=60, posts=400, hot_posts=60),
}

# Vocabulary of the forum's field, so bodies and titles read like its threads.
COMMON_WORDS = (
    "the a of to and in for is that we it on with this our as are be have from at by "
    "not or but which can do when if how what there they was has one all any more each "
    "use used using check run get need find try make keep show report count look see "
    "after before between every only also then still just again same other new old "
    "team council service month year week quarter record child case worker data field "
    "table row value date code list error rule file team's manager analyst"
).split()
FIELD_WORDS = (
    "CIN census SSDA903 episode placement legal status referral assessment Section 47 "
    "child protection plan care leaver Annex A Ofsted ILACS Liquidlogic Mosaic Eclipse "
    "validation exception Power BI DAX measure dashboard SQL query view stored procedure "
    "join index pipeline Python pandas R tidyverse Git repository LAIT statistical "
    "neighbours KPI benchmark cohort forecast small numbers suppression DPIA retention "
    "GDPR linkage UPN NHS identifier commissioning sufficiency workforce caseload agency "
    "vacancy returns deadline submission COLLECT portal guidance specification schema"
).split()
CODE_NAMES = (
    "child_id episode_start episode_end legal_status placement_type referral_date "
    "assessment_id plan_start la_code upn cohort_year reason_for_new_episode"
).split()
SQL_TEMPLATES = (
    "SELECT {a}, COUNT(*) AS total\nFROM {t}\nWHERE {b} >= '2024-04-01'\nGROUP BY {a};",
    "UPDATE {t}\nSET {a} = NULL\nWHERE {b} IS NULL;",
    "SELECT e.{a}, p.{b}\nFROM {t} AS e\nJOIN placements AS p ON p.{a} = e.{a};",
)
PYTHON_TEMPLATES = (
    "df = pd.read_csv('{t}.csv')\ndf['{a}'] = pd.to_datetime(df['{a}'])\nprint(df['{b}'].value_counts())",
    "for row in rows:\n    if row['{a}'] is None:\n        errors.append(row['{b}'])",
    "summary = df.groupby('{a}')['{b}'].agg(['count', 'max'])",
)
TABLE_NAMES = ("episodes", "referrals", "assessments", "cin_plans", "care_leavers")
# Relative weights: most threads are questions, announcements are rare.
KIND_WEIGHTS = {"question": 60, "discussion": 25, "resource": 12, "announcement": 3}
# Relative weights of member roles and thread audiences: the forum is for data people first.
ROLE_WEIGHTS = {
    "la-data": 40, "la-digital": 8, "la-social-care": 6, "la-leadership": 6, "cg-data": 8,
    "cg-digital": 3, "cg-social-care": 2, "cg-leadership": 2, "other-public-sector": 4,
    "supplier-partner": 6, "consultant": 4, "other-private-sector": 2,
    "care-experienced": 2, "no-care-experience": 1,
}


def _cumulative(weights: list[float]) -> list[float]:
    total, cumulative = 0.0, []
    for weight in weights:
        total += weight
        cumulative.append(total)
    return cumulative


class TextGenerator:
    """Markdown texts and titles from one random stream."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.words = COMMON_WORDS + FIELD_WORDS
        self.word_weights = _cumulative(
            [1.0 / (rank + 1) ** 0.8 for rank in range(len(COMMON_WORDS))]
            + [0.03] * len(FIELD_WORDS)
        )

    def phrase(self, count: int) -> list[str]:
        return self.rng.choices(self.words, cum_weights=self.word_weights, k=count)

    def sentence(self, shortest: int = 6, longest: int = 20) -> str:
        rng = self.rng
        words = self.phrase(rng.randint(shortest, longest))
        mark = rng.random()
        position = rng.randrange(len(words))
        if mark < 0.08:
            words[position] = f"**{words[position]}**"
        elif mark < 0.16:
            words[position] = f"`{rng.choice(CODE_NAMES)}`"
        elif mark < 0.20:
            words[position] = f"[{words[position]}](https://example.org/guidance/{rng.randint(1, 999)})"
        text = " ".join(words)
        return text[0].upper() + text[1:] + rng.choice("....?")

    def code_block(self) -> str:
        rng = self.rng
        language, templates = rng.choice((("sql", SQL_TEMPLATES), ("python", PYTHON_TEMPLATES)))
        names = dict(a=rng.choice(CODE_NAMES), b=rng.choice(CODE_NAMES), t=rng.choice(TABLE_NAMES))
        return f"```{language}\n{rng.choice(templates).format(**names)}\n```"

    def block(self) -> str:
        rng = self.rng
        choice = rng.random()
        if choice < 0.60:
            return " ".join(self.sentence() for _ in range(rng.randint(1, 4)))
        if choice < 0.72:
            return "\n".join(f"- {self.sentence(3, 9)}" for _ in range(rng.randint(2, 5)))
        if choice < 0.78:
            return "\n".join(
                f"{number}. {self.sentence(3, 9)}" for number in range(1, rng.randint(3, 6))
            )
        if choice < 0.85:
            return "> " + self.sentence(8, 22)
        if choice < 0.96:
            return self.code_block()
        return "### " + self.sentence(2, 6).rstrip(".?")

    def body(self, length: int) -> str:
        """Return Markdown of close to ``length`` characters, within the body limits."""
        blocks: list[str] = []
        size = 0
        while size < length:
            block = self.block()
            if blocks and size + len(block) > length + 80:
                break
            blocks.append(block)
            size += len(block) + 2
        text = "\n\n".join(blocks)
        while len(text) < MIN_BODY_LENGTH:
            text += " " + self.sentence()
        if len(text) > MAX_BODY_LENGTH:
            text = text[:MAX_BODY_LENGTH].rsplit(" ", 1)[0]
            if text.count("```") % 2:
                text = text.rsplit("```", 1)[0].rstrip()
        return text

    def title(self) -> str:
        words = self.phrase(self.rng.randint(4, 11))
        text = " ".join(words)
        return (text[0].upper() + text[1:])[:190] + self.rng.choice(("?", "?", ""))


def body_length(rng: random.Random) -> int:
    """Draw a body length: log-normal around 450 characters, clipped to the body limits."""
    return int(min(MAX_BODY_LENGTH, max(MIN_BODY_LENGTH, rng.lognormvariate(math.log(450), 0.6))))


def slugify(text: str, max_length: int = 80) -> str:
    """Return a lower-case ASCII slug, the rule of the forum's posting service for ASCII titles."""
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return slug[:max_length].rstrip("-") or "thread"


@dataclass(frozen=True)
class MemberRow:
    id: int
    handle: str
    display_name: str
    role: str
    organisation: int
    created_at: datetime


@dataclass
class ThreadRow:
    id: int
    title: str
    slug: str
    kind: str
    state: str
    skill_area: str
    roles: list[str]
    author_id: int
    post_count: int
    created_at: datetime
    last_activity_at: datetime | None = None
    last_poster_id: int | None = None


@dataclass(frozen=True)
class PostRow:
    id: int
    thread_id: int
    number: int
    author_id: int
    body: int
    created_at: datetime


class Dataset:
    """One benchmark data set: members, organisations, threads and a body pool.

    ``skill_areas`` and ``roles`` are the slugs of the taxonomy the data is spread over.
    Members, threads and the body pool are built eagerly. :meth:`posts` yields the posts in
    id order and may be called more than once, because it draws from a random stream of its
    own. The hot thread is the last thread: it has ``size.hot_posts`` posts, the latest
    activity of all, skill area ``data-quality`` and audience role ``la-data``.
    """

    def __init__(
        self, size: BenchSize, skill_areas: list[str], roles: list[str], seed: int = SEED
    ) -> None:
        if size.posts < size.threads - 1 + size.hot_posts:
            raise ValueError("A data set needs at least one post per thread plus the hot thread's.")
        self.size, self.seed = size, seed
        self.skill_areas, self.roles = list(skill_areas), list(roles)
        rng = random.Random(seed)
        self.text = TextGenerator(rng)
        pool_size = min(BODY_POOL_SIZE, size.posts)
        self.bodies = [self.text.body(body_length(rng)) for _ in range(pool_size)]
        self.organisations = [f"Bench Council {number:03d}" for number in range(1, 151)]
        self.members = self._make_members(rng)
        self.hot_thread_id = size.threads
        self.threads = self._make_threads(rng)
        for post in self.posts():
            thread = self.threads[post.thread_id - 1]
            thread.last_activity_at, thread.last_poster_id = post.created_at, post.author_id

    def _make_members(self, rng: random.Random) -> list[MemberRow]:
        role_weights = _cumulative([ROLE_WEIGHTS.get(role, 1) for role in self.roles])
        members = []
        for member_id in range(1, self.size.members + 1):
            handle = BENCH_HANDLE if member_id == 1 else f"member{member_id:06d}"
            members.append(
                MemberRow(
                    id=member_id,
                    handle=handle,
                    display_name=f"Bench Member {member_id}",
                    role=rng.choices(self.roles, cum_weights=role_weights)[0],
                    organisation=rng.randint(1, len(self.organisations)),
                    created_at=BASE_TIME - timedelta(days=rng.randint(1, 900)),
                )
            )
        return members

    def _post_counts(self, rng: random.Random) -> list[int]:
        """Spread the posts over the threads: one each, then by a skewed weight."""
        size = self.size
        counts = [1] * size.threads
        counts[-1] = size.hot_posts
        others = size.threads - 1
        extra = size.posts - size.hot_posts - others
        weights = _cumulative([rng.lognormvariate(0, 1.0) for _ in range(others)])
        for index in rng.choices(range(others), cum_weights=weights, k=extra):
            counts[index] += 1
        spill = 0
        for index in range(others):
            if counts[index] > MAX_OTHER_POSTS:
                spill += counts[index] - MAX_OTHER_POSTS
                counts[index] = MAX_OTHER_POSTS
        while spill:
            index = rng.randrange(others)
            if counts[index] < MAX_OTHER_POSTS:
                counts[index] += 1
                spill -= 1
        return counts

    def _make_threads(self, rng: random.Random) -> list[ThreadRow]:
        area_weights = _cumulative([1.0 / (rank + 1) ** 0.5 for rank in range(len(self.skill_areas))])
        role_weights = _cumulative([ROLE_WEIGHTS.get(role, 1) for role in self.roles])
        kinds = list(KIND_WEIGHTS)
        kind_weights = _cumulative(list(KIND_WEIGHTS.values()))
        member_weights = _cumulative([1.0 / (rank + 1) ** 0.7 for rank in range(len(self.members))])
        self._member_weights = member_weights
        counts = self._post_counts(rng)
        span = SPAN_DAYS * 86400.0

        threads = []
        for index, post_count in enumerate(counts):
            thread_id = index + 1
            kind = rng.choices(kinds, cum_weights=kind_weights)[0]
            roles = sorted(set(rng.choices(self.roles, cum_weights=role_weights, k=rng.randint(1, 3))))
            state = "open"
            chance = rng.random()
            if kind == "question" and post_count > 1 and chance < 0.35:
                state = "solved"
            elif chance > 0.99:
                state = "locked"
            title = self.text.title()

            threads.append(
                ThreadRow(
                    id=thread_id,
                    title=title,
                    slug=slugify(title),
                    kind=kind,
                    state=state,
                    skill_area=rng.choices(self.skill_areas, cum_weights=area_weights)[0],
                    roles=roles,
                    author_id=rng.choices(range(1, len(self.members) + 1), cum_weights=member_weights)[0],
                    post_count=post_count,
                    created_at=BASE_TIME + timedelta(seconds=rng.uniform(0, span - 14 * 86400)),
                )
            )

        hot = threads[-1]
        hot.kind, hot.state, hot.skill_area = "question", "open", HOT_SKILL_AREA
        hot.roles = sorted({HOT_ROLE, *hot.roles} & set(self.roles)) or [self.roles[0]]
        hot.created_at = BASE_TIME + timedelta(days=SPAN_DAYS - 3)
        # The reply path writes to the thread before the hot one, so it must take replies.
        threads[-2].state = "open"
        return threads

    def posts(self) -> Iterator[PostRow]:
        """Yield every post, thread by thread, in id order."""
        rng = random.Random(self.seed + 1)
        member_ids = range(1, len(self.members) + 1)
        end = BASE_TIME + timedelta(days=SPAN_DAYS)
        # Ordinary threads stop a minute short of the end, so the hot thread is the latest.
        latest_ordinary = end - timedelta(minutes=1)
        post_id = 0
        for thread in self.threads:
            is_hot = thread.id == self.hot_thread_id
            mean_gap = (2.5 * 86400 / thread.post_count) if is_hot else 5 * 3600
            moment = thread.created_at
            for number in range(1, thread.post_count + 1):
                post_id += 1
                if number == 1:
                    author = thread.author_id
                else:
                    limit = end if is_hot else latest_ordinary
                    moment = min(moment + timedelta(seconds=rng.expovariate(1 / mean_gap)), limit)
                    author = rng.choices(member_ids, cum_weights=self._member_weights)[0]
                if is_hot and number == thread.post_count:
                    moment = end
                yield PostRow(
                    id=post_id,
                    thread_id=thread.id,
                    number=number,
                    author_id=author,
                    body=rng.randrange(len(self.bodies)),
                    created_at=moment,
                )

    def describe(self) -> dict:
        """Return the sizes and the addresses a load test needs, as JSON-ready values."""
        hot = self.threads[-1]
        return {
            "generator_version": GENERATOR_VERSION,
            "seed": self.seed,
            "members": len(self.members),
            "threads": len(self.threads),
            "posts": sum(thread.post_count for thread in self.threads),
            "hot_thread_id": hot.id,
            "hot_thread_slug": hot.slug,
            "hot_thread_posts": hot.post_count,
            "reply_thread_id": self.threads[-2].id,
            "skill_area": HOT_SKILL_AREA,
            "role": HOT_ROLE,
            "bench_handle": BENCH_HANDLE,
        }


# ---------------------------------------------------------------------------------------
# Loading a data set into the forum's database. Everything below needs the forum's
# virtual environment: Tortoise, the models and the Markdown renderer.

BATCH_ROWS = 5000


def _stored_value(value, *, sqlite: bool):
    """Convert a Python value to what the database driver takes for a column."""
    import enum
    import json

    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, (dict, list)):
        return json.dumps(value)
    if sqlite and isinstance(value, bool):
        return int(value)
    if sqlite and isinstance(value, datetime):
        # Tortoise writes SQLite datetimes as str(datetime), so sorting as text stays right.
        return str(value)
    return value


class _Table:
    """The columns of one model's table, with a default for each column the loader leaves out.

    Columns other features add later are filled from their model defaults, so the loader
    keeps working as the schema grows.
    """

    def __init__(self, model, now: datetime, *, sqlite: bool) -> None:
        meta = model._meta
        self.name = meta.db_table
        self.sqlite = sqlite
        self.columns = list(meta.fields_db_projection.values())
        self.defaults = {}
        for field_name, column in meta.fields_db_projection.items():
            field = meta.fields_map[field_name]
            if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
                default = now
            elif callable(field.default):
                default = field.default()
            else:
                default = field.default
            self.defaults[column] = default

    def row(self, values: dict) -> tuple:
        merged = {**self.defaults, **values}
        return tuple(_stored_value(merged[column], sqlite=self.sqlite) for column in self.columns)


class _SqliteWriter:
    def __init__(self, path: str) -> None:
        import sqlite3

        self.connection = sqlite3.connect(path, isolation_level=None)
        # Safe for a one-off load: a crash leaves a database that is loaded again from empty.
        self.connection.execute("PRAGMA synchronous = OFF")
        self.connection.execute("BEGIN")

    async def write(self, table: _Table, rows: list[tuple], columns: list[str] | None = None) -> None:
        columns = columns or table.columns
        names = ", ".join(f'"{column}"' for column in columns)
        marks = ", ".join("?" for _ in columns)
        self.connection.executemany(f'INSERT INTO "{table.name}" ({names}) VALUES ({marks})', rows)

    async def finish(self) -> None:
        self.connection.execute("COMMIT")
        self.connection.execute("ANALYZE")
        self.connection.close()


class _PostgresWriter:
    def __init__(self, connection) -> None:
        self.connection = connection

    @classmethod
    async def open(cls, url: str) -> _PostgresWriter:
        import asyncpg

        connection = await asyncpg.connect(url.replace("postgres://", "postgresql://", 1))
        writer = cls(connection)
        writer.transaction = connection.transaction()
        await writer.transaction.start()
        return writer

    async def write(self, table: _Table, rows: list[tuple], columns: list[str] | None = None) -> None:
        await self.connection.copy_records_to_table(
            table.name, records=rows, columns=columns or table.columns
        )

    async def finish(self) -> None:
        # Ids were given explicitly, so move each serial sequence past the highest one.
        for table in ("organisation", "member", "thread", "post", "revision"):
            await self.connection.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"COALESCE((SELECT MAX(id) FROM \"{table}\"), 1))"
            )
        await self.transaction.commit()
        await self.connection.execute("ANALYZE")
        await self.connection.close()


def render_body_pool(bodies: list[str]) -> list[str]:
    from forum.markdown import render_markdown

    return [render_markdown(body, max_length=MAX_BODY_LENGTH * 2) for body in bodies]


async def list_taxonomy() -> dict:
    """Return the skill areas and roles in the order the data set spreads threads over them.

    A peer forum's seeding script takes this as JSON, so both get the same spread.
    """
    from models import Role, SkillArea

    areas = await SkillArea.all().order_by("position", "id").values("id", "slug", "name")
    roles = await Role.all().order_by("position", "id").values("id", "slug", "name")
    return {"skill_areas": list(areas), "roles": list(roles)}


async def do_load_bench_data(
    database_url: str, size: BenchSize, *, seed: int = SEED, progress=print
) -> dict:
    """Load a generated data set into an empty, migrated database; return its description.

    Rows are written with the database's bulk paths (``executemany`` on SQLite, ``COPY`` on
    PostgreSQL) in one transaction, so a failed load leaves the database empty.
    Raises ``ValueError`` when the database already has threads or members.
    """
    import time

    from forum.markdown import RENDERER_VERSION
    from models import Member, Organisation, Post, Revision, Thread

    if await Thread.exists() or await Member.exists():
        raise ValueError("The database already has members or threads; load into an empty one.")
    taxonomy = await list_taxonomy()
    areas = {area["slug"]: area["id"] for area in taxonomy["skill_areas"]}
    roles = {role["slug"]: role["id"] for role in taxonomy["roles"]}
    sqlite = database_url.startswith("sqlite://")

    started = time.perf_counter()
    dataset = Dataset(size, list(areas), list(roles), seed=seed)
    progress(f"Planned {size.posts:,} posts in {time.perf_counter() - started:.1f} s.")
    started = time.perf_counter()
    pool_html = render_body_pool(dataset.bodies)
    progress(f"Rendered {len(pool_html):,} post bodies in {time.perf_counter() - started:.1f} s.")

    started = time.perf_counter()
    now = datetime.now(UTC)
    tables = {
        model: _Table(model, now, sqlite=sqlite)
        for model in (Organisation, Member, Thread, Post, Revision)
    }
    if sqlite:
        writer = _SqliteWriter(database_url.removeprefix("sqlite://"))
    else:
        writer = await _PostgresWriter.open(database_url)

    await writer.write(tables[Organisation], [
        tables[Organisation].row({
            "id": number, "slug": f"bench-council-{number:03d}", "name": name,
            "kind": "local_authority", "email_domains": [f"council{number:03d}.bench.example"],
            "approved": True, "created_at": BASE_TIME, "updated_at": BASE_TIME,
        })
        for number, name in enumerate(dataset.organisations, start=1)
    ])
    await writer.write(tables[Member], [
        tables[Member].row({
            "id": member.id, "handle": member.handle, "display_name": member.display_name,
            "email": f"{member.handle}@council{member.organisation:03d}.bench.example",
            "organisation_id": member.organisation, "role_id": roles[member.role],
            "created_at": member.created_at, "updated_at": member.created_at,
        })
        for member in dataset.members
    ])
    await writer.write(tables[Thread], [
        tables[Thread].row({
            "id": thread.id, "title": thread.title, "slug": thread.slug, "kind": thread.kind,
            "state": thread.state, "skill_area_id": areas[thread.skill_area],
            "author_id": thread.author_id, "post_count": thread.post_count,
            "last_activity_at": thread.last_activity_at, "last_poster_id": thread.last_poster_id,
            "created_at": thread.created_at, "updated_at": thread.last_activity_at,
        })
        for thread in dataset.threads
    ])
    links = [(thread.id, roles[slug]) for thread in dataset.threads for slug in thread.roles]
    link_table = _Table(Thread, now, sqlite=sqlite)
    link_table.name = "thread_role"
    await writer.write(link_table, links, columns=["thread_id", "role_id"])
    progress(f"Wrote members and threads in {time.perf_counter() - started:.1f} s.")

    posts, revisions = [], []
    written = 0
    for post in dataset.posts():
        source, html = dataset.bodies[post.body], pool_html[post.body]
        posts.append(tables[Post].row({
            "id": post.id, "thread_id": post.thread_id, "number": post.number,
            "author_id": post.author_id, "source": source, "html": html,
            "renderer_version": RENDERER_VERSION, "created_at": post.created_at,
            "updated_at": post.created_at,
        }))
        revisions.append(tables[Revision].row({
            "id": post.id, "post_id": post.id, "number": 1, "source": source, "html": html,
            "renderer_version": RENDERER_VERSION, "editor_id": post.author_id,
            "created_at": post.created_at,
        }))
        if len(posts) == BATCH_ROWS:
            await writer.write(tables[Post], posts)
            await writer.write(tables[Revision], revisions)
            written += len(posts)
            posts, revisions = [], []
            if written % 100_000 == 0:
                progress(f"Wrote {written:,} posts in {time.perf_counter() - started:.1f} s.")
    if posts:
        await writer.write(tables[Post], posts)
        await writer.write(tables[Revision], revisions)
    await writer.finish()
    progress(f"Wrote every row in {time.perf_counter() - started:.1f} s.")
    return dataset.describe()


async def do_start_bench_sessions(secret_key: str, count: int, days: int = 2) -> list[tuple[str, str]]:
    """Sign in the first ``count`` members; return each session's cookie value and id.

    A load test spreads its writes over many members, as real traffic does, which also
    keeps each member within the per-member posting limits.
    """
    from forum.auth.sessions import do_start_session
    from models import Member

    sessions = []
    for member in await Member.filter(state="active").order_by("id").limit(count):
        cookie, session = await do_start_session(member, secret_key=secret_key, days=days)
        sessions.append((cookie, session.id))
    return sessions
