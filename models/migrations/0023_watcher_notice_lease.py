from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0022_watch_unread_notification')]

    initial = False

    operations = [
        ops.AddField(
            model_name='WatcherNotice',
            name='lease_token',
            field=fields.CharField(null=True, max_length=32),
        ),
        ops.AddField(
            model_name='WatcherNotice',
            name='lease_until',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
    ]
