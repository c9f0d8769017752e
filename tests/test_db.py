"""The migrated database has every index and unique constraint the models declare."""

import asyncio
import sqlite3

import pytest
from tortoise import Tortoise, connections
from tortoise.transactions import in_transaction
from tortoise.utils import get_schema_sql

from models import Member
from tests.conftest import IS_POSTGRES


async def _index_columns(connection) -> set[tuple[str, tuple[str, ...], bool]]:
    found = set()
    tables = await connection.execute_query_dict(
        "SELECT name FROM sqlite_master WHERE type = 'table'"
    )
    for table in tables:
        name = table["name"]
        for index in await connection.execute_query_dict(f'PRAGMA index_list("{name}")'):
            columns = await connection.execute_query_dict(f'PRAGMA index_info("{index["name"]}")')
            found.add((name, tuple(column["name"] for column in columns), bool(index["unique"])))
    return found


def _declared_index_columns() -> set[tuple[str, tuple[str, ...], bool]]:
    """Build the models' schema from scratch in memory and list its indexes."""
    script = get_schema_sql(connections.get("default"), safe=False)
    memory = sqlite3.connect(":memory:")
    memory.executescript(script)
    found = set()
    for (name,) in memory.execute("SELECT name FROM sqlite_master WHERE type = 'table'"):
        for index in memory.execute(f'PRAGMA index_list("{name}")').fetchall():
            columns = memory.execute(f'PRAGMA index_info("{index[1]}")').fetchall()
            found.add((name, tuple(column[2] for column in columns), bool(index[2])))
    return found


@pytest.mark.skipif(IS_POSTGRES, reason="PostgreSQL alters columns in place and keeps indexes")
async def test_migrations_keep_every_declared_index(db):
    assert Tortoise._inited
    missing = _declared_index_columns() - await _index_columns(db)

    assert not missing, f"Indexes the models declare but the migrated database lacks: {sorted(missing)}"


@pytest.mark.skipif(IS_POSTGRES, reason="only SQLite shares one connection behind a lock")
async def test_cancelled_transaction_start_frees_connection():
    async def hold_transaction():
        async with in_transaction():
            await asyncio.sleep(10)

    task = asyncio.create_task(hold_transaction())
    await asyncio.sleep(0)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task

    assert await asyncio.wait_for(Member.all().count(), timeout=5) == 0
