from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from models.qa import DuplicateState
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0002_taxonomy')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Draft',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('member', fields.ForeignKeyField('models.Member', source_field='member_id', db_constraint=True, to_field='id', related_name='drafts', on_delete=OnDelete.CASCADE)),
                ('thread', fields.ForeignKeyField('models.Thread', source_field='thread_id', db_constraint=True, to_field='id', related_name='drafts', on_delete=OnDelete.CASCADE)),
                ('body', fields.TextField(unique=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'draft', 'app': 'models', 'unique_together': (('member_id', 'thread_id'),), 'pk_attr': 'id', 'table_description': 'An unsent reply, saved on the server per member and thread.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='DuplicateSuggestion',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('thread', fields.ForeignKeyField('models.Thread', source_field='thread_id', db_constraint=True, to_field='id', related_name='duplicate_suggestions', on_delete=OnDelete.CASCADE)),
                ('canonical', fields.ForeignKeyField('models.Thread', source_field='canonical_id', db_constraint=True, to_field='id', related_name='canonical_suggestions', on_delete=OnDelete.CASCADE)),
                ('suggested_by', fields.ForeignKeyField('models.Member', source_field='suggested_by_id', db_constraint=True, to_field='id', related_name='duplicate_suggestions', on_delete=OnDelete.CASCADE)),
                ('state', fields.CharEnumField(default=DuplicateState.OPEN, description='OPEN: open\nACCEPTED: accepted\nDECLINED: declined', enum_type=DuplicateState, max_length=20)),
                ('decided_by', fields.ForeignKeyField('models.Member', source_field='decided_by_id', null=True, db_constraint=True, to_field='id', related_name='decided_duplicates', on_delete=OnDelete.SET_NULL)),
                ('decided_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'duplicate_suggestion', 'app': 'models', 'unique_together': (('thread_id', 'canonical_id'),), 'indexes': [Index(fields=['thread_id', 'state'])], 'pk_attr': 'id', 'table_description': "A member's suggestion that a thread is answered in another, canonical thread."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Notification',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('member', fields.ForeignKeyField('models.Member', source_field='member_id', db_constraint=True, to_field='id', related_name='notifications', on_delete=OnDelete.CASCADE)),
                ('kind', fields.CharField(max_length=40)),
                ('actor', fields.ForeignKeyField('models.Member', source_field='actor_id', null=True, db_constraint=True, to_field='id', related_name='caused_notifications', on_delete=OnDelete.SET_NULL)),
                ('thread', fields.ForeignKeyField('models.Thread', source_field='thread_id', null=True, db_constraint=True, to_field='id', related_name='notifications', on_delete=OnDelete.CASCADE)),
                ('post', fields.ForeignKeyField('models.Post', source_field='post_id', null=True, db_constraint=True, to_field='id', related_name='notifications', on_delete=OnDelete.CASCADE)),
                ('text', fields.CharField(max_length=300)),
                ('data', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('read_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'notification', 'app': 'models', 'indexes': [Index(fields=['member_id', 'read_at', 'created_at'])], 'pk_attr': 'id', 'table_description': 'One message for one member, unread until ``read_at`` is set.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Vote',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('post', fields.ForeignKeyField('models.Post', source_field='post_id', db_constraint=True, to_field='id', related_name='votes', on_delete=OnDelete.CASCADE)),
                ('member', fields.ForeignKeyField('models.Member', source_field='member_id', db_constraint=True, to_field='id', related_name='votes', on_delete=OnDelete.CASCADE)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'vote', 'app': 'models', 'unique_together': (('post_id', 'member_id'),), 'indexes': [Index(fields=['member_id', 'created_at'])], 'pk_attr': 'id', 'table_description': 'A member found a post helpful. The count is kept in ``Post.score``.'},
            bases=['Model'],
        ),
    ]
