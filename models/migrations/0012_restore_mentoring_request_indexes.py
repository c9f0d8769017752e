"""Restore the two mentoring_request indexes that an SQLite table rebuild dropped.

``0010_mentoring_asked_state`` altered ``mentoring_request.state``. Tortoise 1.1.9 does that
on SQLite by copying the table into a new one built from the columns only, which leaves
out its indexes (see ``0008_restore_sqlite_indexes``). PostgreSQL alters the column in
place and kept them, so this changes nothing there. The names are the ones
``0005_mentoring`` gave.
"""

from tortoise import migrations
from tortoise.migrations import operations as ops

# (index name, table, columns)
INDEXES = [
    ("idx_mentoring_r_state_264a7a", "mentoring_request", ("state", "created_at")),
    ("idx_mentoring_r_mentee__5dc6e0", "mentoring_request", ("mentee_id", "state")),
]


async def restore_indexes(apps, schema_editor) -> None:
    if schema_editor.DIALECT != "sqlite":
        return
    for name, table, columns in INDEXES:
        quoted = ", ".join(f'"{column}"' for column in columns)
        await schema_editor.client.execute_script(
            f'CREATE INDEX IF NOT EXISTS "{name}" ON "{table}" ({quoted})'
        )


async def do_nothing(apps, schema_editor) -> None:
    """Keep the indexes on the way back: earlier migrations expect them to exist."""


class Migration(migrations.Migration):
    dependencies = [("models", "0011_search_titles")]

    initial = False

    operations = [ops.RunPython(restore_indexes, do_nothing)]
