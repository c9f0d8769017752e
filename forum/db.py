"""Tortoise ORM configuration and database start-up."""

import asyncio
import logging
from datetime import datetime

from tortoise import Tortoise, connections
from tortoise.backends.base.client import TransactionalDBClient
from tortoise.backends.base.config_generator import expand_db_url
from tortoise.backends.sqlite.client import SqliteTransactionContext
from tortoise.connection import get_connections

logger = logging.getLogger(__name__)

MODEL_MODULES = ["models"]

# Tortoise's SQLite client runs ``PRAGMA name=value`` for each of these on its one
# connection. WAL lets readers go on while a write commits. With synchronous=NORMAL in WAL
# mode a commit survives a crash of the process, and a power cut or OS crash can roll back
# the last commits but not corrupt the file (SQLite's documentation of the pragma).
# The page cache is 32 MiB (negative means KiB), and the file is not memory-mapped. Mapped
# pages count in the worker's resident memory, which took it to 240 MB under load at
# 1,000,000 posts. Reading without the map measured the same speed.
# SQLite copies the WAL back into the database (a checkpoint, with an fsync) once it reaches
# wal_autocheckpoint pages. At the default of 1,000, replies to a watched thread triggered
# one every second reply. At 10,000, a page that many replies wrote is copied back once.
# Tortoise caps the WAL file at 16 KB after each checkpoint, so it had to grow again every
# time; 64 MiB keeps the space.
SQLITE_PRAGMAS = {
    "journal_mode": "WAL",
    "synchronous": "NORMAL",
    "cache_size": -32768,
    "mmap_size": 0,
    "temp_store": "MEMORY",
    "busy_timeout": 5000,
    "wal_autocheckpoint": 10000,
    "journal_size_limit": 64 * 1024 * 1024,
}
# asyncpg pool for one worker process. The worker is CPU-bound long before ten queries
# run at once, and several workers against one server must stay well under PostgreSQL's
# default max_connections of 100.
POSTGRES_POOL = {"minsize": 2, "maxsize": 10}


async def _enter_sqlite_transaction(self) -> TransactionalDBClient:
    """Start a transaction on the one SQLite connection, releasing its lock if that fails.

    Tortoise 1.1.9 takes the connection's lock and then awaits ``BEGIN``. When hypercorn
    cancels a request because its client went away while ``BEGIN`` was queued, the lock was
    never released and every later query in the process waited for ever. The rollback runs
    after the queued ``BEGIN`` (aiosqlite runs statements in order), so the next holder of
    the lock finds no transaction open.
    """
    await self._trxlock.acquire()
    try:
        await self.ensure_connection()
        self.token = get_connections().set(self.connection_name, self.connection)
        await self.connection.begin()
    except BaseException:
        try:
            if getattr(self, "token", None) is not None:
                get_connections().reset(self.token)
            if self.connection._connection is not None:
                await asyncio.shield(self.connection._connection.rollback())
        finally:
            self._trxlock.release()
        raise
    return self.connection


SqliteTransactionContext.__aenter__ = _enter_sqlite_transaction


def connection_config(database_url: str) -> dict:
    """Expand a database URL into Tortoise's engine and credentials, with our settings."""
    config = expand_db_url(database_url)
    if config["engine"] == "tortoise.backends.sqlite":
        config["credentials"].update(SQLITE_PRAGMAS)
    elif "postgres" in config["engine"] or "asyncpg" in config["engine"]:
        for name, value in POSTGRES_POOL.items():
            config["credentials"].setdefault(name, value)
    return config


def tortoise_config(database_url: str) -> dict:
    """Build the Tortoise configuration for one database URL."""
    return {
        "connections": {"default": connection_config(database_url)},
        "apps": {
            "models": {
                "models": MODEL_MODULES,
                "default_connection": "default",
                "migrations": "models.migrations",
            }
        },
        "use_tz": True,
        "timezone": "UTC",
    }


async def init_database(database_url: str) -> None:
    """Open the connection pool for the app. Migrations are applied separately.

    Hypercorn runs start-up in a task of its own, so the Tortoise context is made the
    global fallback for the request tasks that follow.
    """
    await Tortoise.init(config=tortoise_config(database_url), _enable_global_fallback=True)
    logger.info("database connected", extra={"database": _describe(database_url)})


async def close_database() -> None:
    await Tortoise.close_connections()
    logger.info("database closed")


class Parameters:
    """Collect the parameters of a hand-written query, naming them as the database expects.

    Calling it adds a value and returns its placeholder, so one query text serves both
    databases. ``cast`` adds a PostgreSQL type, for a parameter whose type PostgreSQL cannot
    infer (one in a SELECT list). Datetimes go to SQLite as the text Tortoise stores.
    """

    def __init__(self, dialect: str) -> None:
        self.dialect = dialect
        self.values: list = []

    def __call__(self, value, cast: str = "") -> str:
        if self.dialect != "postgres":
            self.values.append(value.isoformat(" ") if isinstance(value, datetime) else value)
            return "?"
        self.values.append(value)
        return f"${len(self.values)}::{cast}" if cast else f"${len(self.values)}"


async def checkpoint_sqlite() -> None:
    """Copy a SQLite WAL back into the database file, for the worker to call between jobs.

    A PASSIVE checkpoint waits for no one, and done here the web process's own automatic
    checkpoint, which stalls every query queued on its one connection, rarely comes due.
    Nothing happens on PostgreSQL.
    """
    connection = connections.get("default")
    if connection.capabilities.dialect == "sqlite":
        await connection.execute_query("PRAGMA wal_checkpoint(PASSIVE)")


async def apply_migrations(database_url: str) -> None:
    """Apply every pending migration, so a new database gets the schema and the taxonomy."""
    from tortoise.migrations.api import migrate

    await migrate(config=tortoise_config(database_url))
    await Tortoise.close_connections()


def _describe(database_url: str) -> str:
    """Name the database without its password, for logs."""
    scheme, _, rest = database_url.partition("://")
    return f"{scheme}://{rest.rsplit('@', 1)[-1]}"
