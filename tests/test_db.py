"""The migrated database has every index and unique constraint the models declare."""

import sqlite3

import pytest
from tortoise import Tortoise, connections
from tortoise.utils import get_schema_sql

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
