from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0020_notification_post_index')]

    initial = False

    operations = [
        ops.CreateModel(
            name='WatcherNotice',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('post', fields.ForeignKeyField('models.Post', source_field='post_id', db_constraint=True, to_field='id', related_name='watcher_notices', on_delete=OnDelete.CASCADE)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'watcher_notice', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A post whose watchers the worker has still to notify.'},
            bases=['Model'],
        ),
    ]
