"""Shared fixtures: a real database migrated from empty, an app, and member factories.

The database is chosen by ``FORUM_TEST_DATABASE_URL``: a fresh SQLite file by default, or
PostgreSQL (for example ``postgres://postgres@127.0.0.1:5432/test``). Either way the
schema comes from the real migrations, and each test starts with only the taxonomy.
"""

import logging
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from tortoise import Tortoise, connections

from forum.app import create_app
from forum.auth.csrf import CSRF_COOKIE, make_token
from forum.auth.sessions import SESSION_COOKIE, do_start_session
from forum.config import Settings
from forum.db import apply_migrations, tortoise_config
from models import Member, SkillArea
from tests.factories import SECRET_KEY

# Tables the migrations fill; every other table is emptied before each test.
KEPT_TABLES = {"skill_level", "skill_area", "role", "role_profile", "role_profile_level", "cache_version", "tortoise_migrations"}


def _test_database_url() -> str:
    url = os.environ.get("FORUM_TEST_DATABASE_URL")
    if url:
        return url
    directory = Path(tempfile.mkdtemp(prefix="forum-test-"))
    return f"sqlite://{directory / 'test.sqlite3'}"


DATABASE_URL = _test_database_url()
IS_POSTGRES = DATABASE_URL.startswith(("postgres://", "postgresql://"))


async def _run_on_postgres(url: str, statement: str) -> None:
    import asyncpg

    connection = await asyncpg.connect(url.replace("postgres://", "postgresql://", 1))
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


def _drop_database_in_background(name: str) -> None:
    """Drop the run's database from a detached process.

    PostgreSQL forces a checkpoint to drop a database, which can take tens of seconds on a
    busy machine, and nothing in the run needs to wait for it.
    """
    script = (
        "import asyncio, asyncpg, sys\n"
        "async def main():\n"
        "    connection = await asyncpg.connect(sys.argv[1])\n"
        "    await connection.execute(sys.argv[2])\n"
        "    await connection.close()\n"
        "asyncio.run(main())\n"
    )
    subprocess.Popen(
        [
            sys.executable,
            "-c",
            script,
            DATABASE_URL.replace("postgres://", "postgresql://", 1),
            f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)',
        ],
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _with_database_name(url: str, name: str) -> str:
    base, _, _ = url.rpartition("/")
    return f"{base}/{name}"


@pytest.fixture(name="database_url", scope="session")
async def _database_url():
    """Migrate a new, empty database for this run and drop it afterwards.

    On PostgreSQL the run gets a database of its own beside the one named in the URL, so
    runs in parallel (two developers, or CI beside a developer) cannot disturb each other.
    """
    url = DATABASE_URL
    if IS_POSTGRES:
        name = f"forum_test_{os.getpid()}_{os.urandom(3).hex()}"
        await _run_on_postgres(DATABASE_URL, f'CREATE DATABASE "{name}"')
        # The run's data is thrown away afterwards, so waiting for each commit to reach
        # disk buys nothing; without the wait, migrating and emptying tables is much faster.
        await _run_on_postgres(DATABASE_URL, f'ALTER DATABASE "{name}" SET synchronous_commit = off')
        url = _with_database_name(DATABASE_URL, name)

    await apply_migrations(url)
    await Tortoise.init(config=tortoise_config(url))
    yield url
    await Tortoise.close_connections()

    if IS_POSTGRES:
        _drop_database_in_background(name)


async def _content_tables() -> list[str]:
    connection = connections.get("default")
    if IS_POSTGRES:
        rows = await connection.execute_query_dict(
            "SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public'"
        )
    else:
        rows = await connection.execute_query_dict(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            " AND name NOT IN (SELECT name FROM pragma_table_list WHERE type IN ('virtual', 'shadow'))"
        )
    return [row["name"] for row in rows if row["name"] not in KEPT_TABLES]


async def _sqlite_full_text_tables() -> list[str]:
    """Return the FTS5 tables, which are emptied by their own command, never row by row."""
    rows = await connections.get("default").execute_query_dict(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND sql LIKE 'CREATE VIRTUAL TABLE%fts5%'"
    )
    return [row["name"] for row in rows]


@pytest.fixture(name="db", autouse=True)
async def _db(request, database_url):
    """Empty every content table, so each test sees only the taxonomy.

    Modules marked ``no_database`` (pure functions over plain objects) skip the emptying,
    which is most of a test's cost on PostgreSQL.
    """
    if request.node.get_closest_marker("no_database"):
        yield None
        return

    connection = connections.get("default")
    tables = await _content_tables()
    if IS_POSTGRES:
        # Find the tables that have rows in one round trip and empty only those. DELETE
        # with triggers and foreign keys switched off (replica role) is far cheaper than
        # TRUNCATE, which replaces each table's files on disk, and it also passes the
        # audit log's trigger that rejects deletes.
        probe = " UNION ALL ".join(
            f"SELECT '{table}' AS name WHERE EXISTS (SELECT 1 FROM \"{table}\")" for table in tables
        )
        used = [row["name"] for row in await connection.execute_query_dict(probe)]
        if used:
            await connection.execute_script(
                "SET session_replication_role = replica;"
                + "".join(f'DELETE FROM "{table}";' for table in used)
                + "SET session_replication_role = DEFAULT;"
            )
    else:
        await connection.execute_script(
            "PRAGMA foreign_keys = OFF;"
            + "".join(f'DELETE FROM "{table}";' for table in tables)
            + "PRAGMA foreign_keys = ON;"
        )
        # Triggers keep an external-content index in step with the rows deleted above. The
        # rebuild resets it from the now empty content anyway, so one test cannot leak into
        # the next through the index.
        for table in await _sqlite_full_text_tables():
            await connection.execute_script(f'INSERT INTO "{table}" ("{table}") VALUES (\'rebuild\')')
    yield connection


@pytest.fixture(name="settings")
def _settings(database_url) -> Settings:
    # Pages kept for visitors are off here, so a test that writes through a service and then
    # reads a page finds the write; tests/views/test_page_cache.py turns them on.
    return Settings(env="test", database_url=database_url, secret_key=SECRET_KEY, page_cache_seconds=0)


@pytest.fixture(name="app")
def _app(settings):
    return create_app(settings)


@pytest.fixture(name="client")
def _client(app):
    return app.test_client()


class QueryCounter(logging.Handler):
    """Count the SQL statements Tortoise sends, from its ``tortoise.db_client`` debug log."""

    STATEMENTS = ("SELECT", "INSERT", "UPDATE", "DELETE", "WITH")

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.statements: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        text = str(record.msg if not record.args else record.args[0]).lstrip().upper()
        if text.startswith(self.STATEMENTS):
            self.statements.append(text[:200])

    @property
    def count(self) -> int:
        return len(self.statements)


@pytest.fixture(name="count_queries")
def _count_queries():
    logger = logging.getLogger("tortoise.db_client")
    counter = QueryCounter()
    previous_level = logger.level
    logger.setLevel(logging.DEBUG)
    logger.addHandler(counter)
    yield counter
    logger.removeHandler(counter)
    logger.setLevel(previous_level)


class SignedInClient:
    """A test client signed in as a member, adding the CSRF token to every form it posts."""

    def __init__(self, app, client, cookie_value: str, session_id: str, csrf_cookie: str):
        self.app, self.client = app, client
        self.session_id, self.csrf_cookie = session_id, csrf_cookie
        client.set_cookie("localhost", SESSION_COOKIE, cookie_value)
        client.set_cookie("localhost", CSRF_COOKIE, csrf_cookie)

    @property
    def csrf_token(self) -> str:
        return make_token(SECRET_KEY, self.csrf_cookie, self.session_id)

    async def get(self, *args, **kwargs):
        return await self.client.get(*args, **kwargs)

    async def post(self, path: str, form: dict | None = None, **kwargs):
        form = {"csrf_token": self.csrf_token, **(form or {})}
        return await self.client.post(path, form=form, **kwargs)


@pytest.fixture(name="sign_in")
def _sign_in(app):
    async def sign_in(member: Member) -> SignedInClient:
        cookie, session = await do_start_session(member, secret_key=SECRET_KEY, days=1)
        return SignedInClient(app, app.test_client(), cookie, session.id, "test-csrf-cookie")

    return sign_in


@pytest.fixture(name="skill_areas")
async def _skill_areas():
    return {area.slug: area for area in await SkillArea.all()}
