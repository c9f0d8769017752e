"""Restore the indexes and unique constraints that SQLite table rebuilds dropped.

Tortoise 1.1.9 changes a column on SQLite by copying the table into a new one built from
the model's columns only (``_remake_table`` in its SQLite schema editor), which leaves out
every index and table-level unique constraint. ``0004_moderation`` altered ``thread.state``
and ``member.state`` that way, so on SQLite the thread lists lost their keyset indexes and
sorted the whole table for every page. PostgreSQL alters columns in place and kept them,
so this migration changes nothing there. The names are the ones ``0001_initial`` gave.
"""

from tortoise import migrations
from tortoise.migrations import operations as ops

# (index name, table, columns, unique)
INDEXES = [
    ("idx_thread_last_ac_d1cc3f", "thread", ("last_activity_at", "id"), False),
    ("idx_thread_skill_a_e6de8b", "thread", ("skill_area_id", "last_activity_at", "id"), False),
    ("idx_thread_state_c184b9", "thread", ("state", "last_activity_at", "id"), False),
    ("idx_thread_kind_6385f5", "thread", ("kind", "last_activity_at", "id"), False),
    ("idx_thread_pinned_42e10f", "thread", ("pinned", "last_activity_at"), False),
    ("idx_thread_author__0d5a4b", "thread", ("author_id", "created_at"), False),
    ("uid_thread_source__07dff4", "thread", ("source_site", "source_id"), True),
    ("uid_member_source__44747d", "member", ("source_site", "source_id"), True),
]


def _create_statement(name: str, table: str, columns: tuple[str, ...], unique: bool) -> str:
    quoted = ", ".join(f'"{column}"' for column in columns)
    kind = "UNIQUE INDEX" if unique else "INDEX"
    return f'CREATE {kind} IF NOT EXISTS "{name}" ON "{table}" ({quoted})'


async def restore_indexes(apps, schema_editor) -> None:
    if schema_editor.DIALECT != "sqlite":
        return
    for name, table, columns, unique in INDEXES:
        await schema_editor.client.execute_script(_create_statement(name, table, columns, unique))


async def do_nothing(apps, schema_editor) -> None:
    """Keep the indexes on the way back: earlier migrations expect them to exist."""


class Migration(migrations.Migration):
    dependencies = [("models", "0007_search")]

    initial = False

    operations = [ops.RunPython(restore_indexes, do_nothing)]
