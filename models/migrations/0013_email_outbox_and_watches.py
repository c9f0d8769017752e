from tortoise import migrations
from tortoise.migrations import operations as ops
from models.email import Delivery, DigestFrequency, OutboxState, WatchLevel, WatchTarget
from orjson import loads
from tortoise.fields.base import OnDelete
from tortoise.fields.data import JSON_DUMPS
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0012_restore_mentoring_request_indexes')]

    initial = False

    operations = [
        ops.CreateModel(
            name='DigestSchedule',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('member', fields.OneToOneField('models.Member', source_field='member_id', db_constraint=True, to_field='id', related_name='digest_schedule', on_delete=OnDelete.CASCADE)),
                ('frequency', fields.CharEnumField(default=DigestFrequency.DAILY, description='DAILY: daily\nWEEKLY: weekly\nOFF: off', enum_type=DigestFrequency, max_length=10)),
                ('last_sent_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'digest_schedule', 'app': 'models', 'pk_attr': 'id', 'table_description': 'How often a member gets a digest email, and when the last one was queued.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='NotificationPreference',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('member', fields.ForeignKeyField('models.Member', source_field='member_id', db_constraint=True, to_field='id', related_name='notification_preferences', on_delete=OnDelete.CASCADE)),
                ('kind', fields.CharField(max_length=40)),
                ('delivery', fields.CharEnumField(description='IN_APP: in_app\nEMAIL: email\nDIGEST: digest\nOFF: off', enum_type=Delivery, max_length=10)),
            ],
            options={'table': 'notification_preference', 'app': 'models', 'unique_together': (('member_id', 'kind'),), 'pk_attr': 'id', 'table_description': "A member's chosen delivery for one notification kind. Kinds without a row use the default."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='OutboxMessage',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('to_address', fields.CharField(max_length=320)),
                ('subject', fields.CharField(max_length=300)),
                ('text', fields.TextField(unique=False)),
                ('html', fields.TextField(unique=False)),
                ('headers', fields.JSONField(default=dict, encoder=JSON_DUMPS, decoder=loads)),
                ('kind', fields.CharField(max_length=40)),
                ('member', fields.ForeignKeyField('models.Member', source_field='member_id', null=True, db_constraint=True, to_field='id', related_name='outbox_messages', on_delete=OnDelete.SET_NULL)),
                ('status', fields.CharEnumField(default=OutboxState.QUEUED, description='QUEUED: queued\nSENDING: sending\nSENT: sent\nFAILED: failed', enum_type=OutboxState, max_length=10)),
                ('attempts', fields.IntField(default=0)),
                ('next_attempt_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('lease_until', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('claim_token', fields.CharField(null=True, max_length=32)),
                ('last_error', fields.CharField(default='', max_length=500)),
                ('idempotency_key', fields.CharField(unique=True, max_length=200)),
                ('message_id', fields.CharField(max_length=200)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('sent_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'outbox_message', 'app': 'models', 'indexes': [Index(fields=['status', 'next_attempt_at'])], 'pk_attr': 'id', 'table_description': 'One email waiting to be sent, being sent, sent, or given up on.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Watch',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('member', fields.ForeignKeyField('models.Member', source_field='member_id', db_constraint=True, to_field='id', related_name='watches', on_delete=OnDelete.CASCADE)),
                ('target_type', fields.CharEnumField(description='THREAD: thread\nSKILL_AREA: skill_area\nROLE: role', enum_type=WatchTarget, max_length=12)),
                ('target_id', fields.IntField()),
                ('level', fields.CharEnumField(description='WATCHING: watching\nNORMAL: normal\nMUTED: muted', enum_type=WatchLevel, max_length=10)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'watch', 'app': 'models', 'unique_together': (('member_id', 'target_type', 'target_id'),), 'indexes': [Index(fields=['target_type', 'target_id', 'level'])], 'pk_attr': 'id', 'table_description': "A member's watch level for one thread, skill area or role."},
            bases=['Model'],
        ),
    ]
