"""Add ``cache_version`` and the triggers that raise the taxonomy's version.

Workers cache the skill areas and roles in memory with the version they read. Any insert,
update or delete on ``skill_area`` or ``role``, by any writer, raises the ``taxonomy`` row
in the same transaction, so a worker reloads on its next request. The triggers are
written out here so that later code changes do not alter what this migration does.
"""

from tortoise import fields, migrations
from tortoise.migrations import operations as ops

TAXONOMY_TABLES = ("skill_area", "role")
BUMP = (
    "INSERT INTO cache_version (name, version) VALUES ('taxonomy', 1) "
    "ON CONFLICT (name) DO UPDATE SET version = cache_version.version + 1"
)

SQLITE_STATEMENTS = [
    f"CREATE TRIGGER {table}_{event.lower()}_bumps_taxonomy AFTER {event} ON {table} "
    f"BEGIN {BUMP}; END"
    for table in TAXONOMY_TABLES
    for event in ("INSERT", "UPDATE", "DELETE")
] + ["INSERT INTO cache_version (name, version) VALUES ('taxonomy', 1)"]
SQLITE_REVERSE = [
    f"DROP TRIGGER IF EXISTS {table}_{event.lower()}_bumps_taxonomy"
    for table in TAXONOMY_TABLES
    for event in ("INSERT", "UPDATE", "DELETE")
]

POSTGRES_STATEMENTS = [
    "CREATE FUNCTION bump_taxonomy_version() RETURNS trigger LANGUAGE plpgsql AS $$ "
    f"BEGIN {BUMP}; RETURN NULL; END $$",
    *[
        f"CREATE TRIGGER {table}_bumps_taxonomy AFTER INSERT OR UPDATE OR DELETE ON {table} "
        "FOR EACH STATEMENT EXECUTE FUNCTION bump_taxonomy_version()"
        for table in TAXONOMY_TABLES
    ],
    "INSERT INTO cache_version (name, version) VALUES ('taxonomy', 1)",
]
POSTGRES_REVERSE = [
    *[f"DROP TRIGGER IF EXISTS {table}_bumps_taxonomy ON {table}" for table in TAXONOMY_TABLES],
    "DROP FUNCTION IF EXISTS bump_taxonomy_version()",
]


def _statements(schema_editor, sqlite: list[str], postgres: list[str]) -> list[str]:
    if schema_editor.DIALECT == "sqlite":
        return sqlite
    if schema_editor.DIALECT == "postgres":
        return postgres
    raise NotImplementedError(f"Cache versions support SQLite and PostgreSQL, not {schema_editor.DIALECT}.")


async def add_triggers(apps, schema_editor) -> None:
    for statement in _statements(schema_editor, SQLITE_STATEMENTS, POSTGRES_STATEMENTS):
        await schema_editor.client.execute_script(statement)


async def drop_triggers(apps, schema_editor) -> None:
    for statement in _statements(schema_editor, SQLITE_REVERSE, POSTGRES_REVERSE):
        await schema_editor.client.execute_script(statement)


class Migration(migrations.Migration):
    dependencies = [("models", "0008_restore_sqlite_indexes")]

    initial = False

    operations = [
        ops.CreateModel(
            name="CacheVersion",
            fields=[
                ("name", fields.CharField(primary_key=True, unique=True, db_index=True, max_length=40)),
                ("version", fields.BigIntField(default=0)),
            ],
            options={
                "table": "cache_version", "app": "models", "pk_attr": "name",
                "table_description": "A counter that database triggers raise whenever the data it names changes.",
            },
            bases=["Model"],
        ),
        ops.RunPython(add_triggers, drop_triggers),
    ]
