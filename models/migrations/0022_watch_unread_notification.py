"""Mark on each watch the unread new-reply notice, so the worker can skip that watcher.

Adding a column does not create the index that ``db_index`` asks for, so the last step
creates it: deleting a notification sets the column to NULL through its foreign key, and
without the index each deletion would read every watch.
"""

from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.indexes import Index
from tortoise.migrations import operations as ops

UNREAD_INDEX = 'CREATE INDEX IF NOT EXISTS "idx_watch_unread_notification" ON "watch" ("unread_notification_id")'


async def create_unread_index(apps, schema_editor) -> None:
    await schema_editor.client.execute_script(UNREAD_INDEX)


async def drop_unread_index(apps, schema_editor) -> None:
    await schema_editor.client.execute_script('DROP INDEX IF EXISTS "idx_watch_unread_notification"')


class Migration(migrations.Migration):
    dependencies = [('models', '0021_watcher_notices')]

    initial = False

    operations = [
        ops.RemoveIndex(
            model_name='Watch',
            name=None,
            fields=['target_type', 'target_id', 'level'],
        ),
        ops.AddField(
            model_name='Watch',
            name='unread_notification',
            field=fields.ForeignKeyField('models.Notification', source_field='unread_notification_id', null=True, db_index=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.SET_NULL),
        ),
        ops.AddIndex(
            model_name='Watch',
            index=Index(fields=['target_type', 'target_id', 'level', 'unread_notification_id']),
        ),
        ops.RunPython(create_unread_index, drop_unread_index),
    ]
