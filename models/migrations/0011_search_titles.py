"""Index thread titles for the similar-thread suggestions on PostgreSQL.

The suggestions match any word of a title being typed. On ``post_search`` that needs a
weight-A filter the GIN index cannot apply, so PostgreSQL got a small expression index on
the titles alone. SQLite answers from the ``title`` column of ``search_fts`` and needs
nothing here.
"""

from tortoise import migrations
from tortoise.migrations import operations as ops


async def add_title_index(apps, schema_editor) -> None:
    if schema_editor.DIALECT == "postgres":
        await schema_editor.client.execute_script(
            "CREATE INDEX thread_title_search ON thread "
            "USING gin (to_tsvector('english'::regconfig, title))"
        )
        # The planner estimates matches from the statistics of the indexed expression.
        await schema_editor.client.execute_script("ANALYZE thread")


async def drop_title_index(apps, schema_editor) -> None:
    if schema_editor.DIALECT == "postgres":
        await schema_editor.client.execute_script("DROP INDEX IF EXISTS thread_title_search")


class Migration(migrations.Migration):
    dependencies = [("models", "0010_mentoring_asked_state")]

    initial = False

    operations = [ops.RunPython(add_title_index, drop_title_index)]
