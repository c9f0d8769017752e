"""Full-text search over thread titles and posts, kept in step with writes by triggers.

Each post is one search document: the thread's title (opening post only) and the post's
Markdown source. Triggers update the index inside the statement that changes a post or a
title, so every writer (the services, the importer, the benchmark loader, raw SQL) keeps
the index and the content in the same transaction.

SQLite gets an external-content FTS5 table over the view ``search_source``, so the text is
stored once. An external-content index removes a row by being given the exact values it
indexed, so the triggers below always recompute the old values from the same expression as
the view. Deleting a thread first deletes its posts (while the title can still be read),
because a cascade would run the post triggers after the title had gone.

On SQLite, Tortoise alters or drops a column by copying the table, which drops its triggers,
and the rename of the copy fails while this view names the table. A later migration that
does that to ``post`` or ``thread`` drops ``search_source`` first and runs
``SQLITE_STATEMENTS`` again afterwards: every statement is idempotent and the last one
rebuilds the index.

PostgreSQL gets ``post_search``, a tsvector per post with a GIN index, written by row
triggers. The title has weight A and the body weight D, so ``ts_rank`` favours titles.
"""

from tortoise import migrations
from tortoise.migrations import operations as ops

SQLITE_TITLE_OF_NEW = (
    "CASE WHEN new.number = 1 THEN "
    "COALESCE((SELECT title FROM thread WHERE id = new.thread_id), '') ELSE '' END"
)
SQLITE_TITLE_OF_OLD = SQLITE_TITLE_OF_NEW.replace("new.", "old.")

SQLITE_STATEMENTS = [
    """
    CREATE VIEW IF NOT EXISTS search_source AS
    SELECT post.id AS id,
           CASE WHEN post.number = 1 THEN thread.title ELSE '' END AS title,
           post.source AS body
    FROM post JOIN thread ON thread.id = post.thread_id
    """,
    # Porter stemming over unicode61, which folds case and (with 2) diacritics.
    """
    CREATE VIRTUAL TABLE IF NOT EXISTS search_fts USING fts5(
        title, body,
        content = 'search_source', content_rowid = 'id',
        tokenize = 'porter unicode61 remove_diacritics 2'
    )
    """,
    f"""
    CREATE TRIGGER IF NOT EXISTS search_post_inserted AFTER INSERT ON post BEGIN
        INSERT INTO search_fts (rowid, title, body)
        VALUES (new.id, {SQLITE_TITLE_OF_NEW}, new.source);
    END
    """,
    f"""
    CREATE TRIGGER IF NOT EXISTS search_post_deleted AFTER DELETE ON post BEGIN
        INSERT INTO search_fts (search_fts, rowid, title, body)
        VALUES ('delete', old.id, {SQLITE_TITLE_OF_OLD}, old.source);
    END
    """,
    f"""
    CREATE TRIGGER IF NOT EXISTS search_post_changed AFTER UPDATE OF source, number, thread_id ON post BEGIN
        INSERT INTO search_fts (search_fts, rowid, title, body)
        VALUES ('delete', old.id, {SQLITE_TITLE_OF_OLD}, old.source);
        INSERT INTO search_fts (rowid, title, body)
        VALUES (new.id, {SQLITE_TITLE_OF_NEW}, new.source);
    END
    """,
    """
    CREATE TRIGGER IF NOT EXISTS search_thread_retitled AFTER UPDATE OF title ON thread BEGIN
        INSERT INTO search_fts (search_fts, rowid, title, body)
        SELECT 'delete', post.id, old.title, post.source
        FROM post WHERE post.thread_id = old.id AND post.number = 1;
        INSERT INTO search_fts (rowid, title, body)
        SELECT post.id, new.title, post.source
        FROM post WHERE post.thread_id = new.id AND post.number = 1;
    END
    """,
    """
    CREATE TRIGGER IF NOT EXISTS search_thread_deleting BEFORE DELETE ON thread BEGIN
        DELETE FROM post WHERE thread_id = old.id;
    END
    """,
    # Index what a database migrated before this step already holds.
    "INSERT INTO search_fts (search_fts) VALUES ('rebuild')",
]

SQLITE_REVERSE = [
    "DROP TRIGGER IF EXISTS search_thread_deleting",
    "DROP TRIGGER IF EXISTS search_thread_retitled",
    "DROP TRIGGER IF EXISTS search_post_changed",
    "DROP TRIGGER IF EXISTS search_post_deleted",
    "DROP TRIGGER IF EXISTS search_post_inserted",
    "DROP TABLE IF EXISTS search_fts",
    "DROP VIEW IF EXISTS search_source",
]

POSTGRES_STATEMENTS = [
    """
    CREATE FUNCTION search_document(title text, body text) RETURNS tsvector
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
        SELECT setweight(to_tsvector('english'::regconfig, coalesce(title, '')), 'A')
            || setweight(to_tsvector('english'::regconfig, coalesce(body, '')), 'D')
    $$
    """,
    """
    CREATE TABLE post_search (
        post_id integer PRIMARY KEY REFERENCES post (id) ON DELETE CASCADE,
        document tsvector NOT NULL
    )
    """,
    "CREATE INDEX post_search_document ON post_search USING gin (document)",
    """
    CREATE FUNCTION search_post_written() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        INSERT INTO post_search (post_id, document)
        VALUES (
            NEW.id,
            search_document(
                CASE WHEN NEW.number = 1
                    THEN (SELECT title FROM thread WHERE id = NEW.thread_id) END,
                NEW.source
            )
        )
        ON CONFLICT (post_id) DO UPDATE SET document = EXCLUDED.document;
        RETURN NULL;
    END
    $$
    """,
    """
    CREATE TRIGGER search_post_written
        AFTER INSERT OR UPDATE OF source, number, thread_id ON post
        FOR EACH ROW EXECUTE FUNCTION search_post_written()
    """,
    """
    CREATE FUNCTION search_thread_retitled() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        UPDATE post_search
        SET document = search_document(NEW.title, post.source)
        FROM post
        WHERE post.thread_id = NEW.id AND post.number = 1 AND post_search.post_id = post.id;
        RETURN NULL;
    END
    $$
    """,
    """
    CREATE TRIGGER search_thread_retitled
        AFTER UPDATE OF title ON thread
        FOR EACH ROW WHEN (OLD.title IS DISTINCT FROM NEW.title)
        EXECUTE FUNCTION search_thread_retitled()
    """,
    # Index what a database migrated before this step already holds.
    """
    INSERT INTO post_search (post_id, document)
    SELECT post.id,
           search_document(CASE WHEN post.number = 1 THEN thread.title END, post.source)
    FROM post JOIN thread ON thread.id = post.thread_id
    """,
]

POSTGRES_REVERSE = [
    "DROP TRIGGER IF EXISTS search_thread_retitled ON thread",
    "DROP FUNCTION IF EXISTS search_thread_retitled()",
    "DROP TRIGGER IF EXISTS search_post_written ON post",
    "DROP FUNCTION IF EXISTS search_post_written()",
    "DROP TABLE IF EXISTS post_search",
    "DROP FUNCTION IF EXISTS search_document(text, text)",
]


def _statements(schema_editor, sqlite: list[str], postgres: list[str]) -> list[str]:
    if schema_editor.DIALECT == "sqlite":
        return sqlite
    if schema_editor.DIALECT == "postgres":
        return postgres
    raise NotImplementedError(
        f"Search supports SQLite and PostgreSQL, not {schema_editor.DIALECT}."
    )


async def add_search(apps, schema_editor) -> None:
    for statement in _statements(schema_editor, SQLITE_STATEMENTS, POSTGRES_STATEMENTS):
        await schema_editor.client.execute_script(statement)


async def drop_search(apps, schema_editor) -> None:
    for statement in _statements(schema_editor, SQLITE_REVERSE, POSTGRES_REVERSE):
        await schema_editor.client.execute_script(statement)


class Migration(migrations.Migration):
    dependencies = [("models", "0006_identities_and_session_timeouts")]

    initial = False

    operations = [ops.RunPython(add_search, drop_search)]
