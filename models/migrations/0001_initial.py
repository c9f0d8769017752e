from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from models.members import MemberPermission, MemberState, OrganisationKind
from models.threads import ThreadKind, ThreadState
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    initial = True

    operations = [
        ops.CreateModel(
            name='Organisation',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('slug', fields.CharField(unique=True, max_length=80)),
                ('name', fields.CharField(max_length=200)),
                ('kind', fields.CharEnumField(default=OrganisationKind.OTHER, description='LOCAL_AUTHORITY: local_authority\nCENTRAL_GOVERNMENT: central_government\nOTHER_PUBLIC: other_public\nSUPPLIER: supplier\nCONSULTANCY: consultancy\nCHARITY: charity\nOTHER: other', enum_type=OrganisationKind, max_length=40)),
                ('email_domains', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('approved', fields.BooleanField(default=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'organisation', 'app': 'models', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Role',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('slug', fields.CharField(unique=True, max_length=80)),
                ('name', fields.CharField(max_length=160)),
                ('description', fields.CharField(default='', max_length=400)),
                ('position', fields.SmallIntField(default=0)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'role', 'app': 'models', 'pk_attr': 'id', 'table_description': "A professional role, used both as a member's own role and as a thread's audience."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Member',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('handle', fields.CharField(unique=True, max_length=40)),
                ('display_name', fields.CharField(max_length=120)),
                ('email', fields.CharField(null=True, unique=True, max_length=254)),
                ('organisation', fields.ForeignKeyField('models.Organisation', source_field='organisation_id', null=True, db_constraint=True, to_field='id', related_name='members', on_delete=OnDelete.SET_NULL)),
                ('role', fields.ForeignKeyField('models.Role', source_field='role_id', null=True, db_constraint=True, to_field='id', related_name='members', on_delete=OnDelete.SET_NULL)),
                ('permission', fields.CharEnumField(default=MemberPermission.MEMBER, description='MEMBER: member\nMENTOR: mentor\nMODERATOR: moderator\nADMIN: admin', enum_type=MemberPermission, max_length=20)),
                ('state', fields.CharEnumField(default=MemberState.ACTIVE, description='PENDING: pending\nACTIVE: active\nSUSPENDED: suspended\nERASED: erased', enum_type=MemberState, max_length=20)),
                ('bio', fields.TextField(default='', unique=False)),
                ('is_imported', fields.BooleanField(default=False)),
                ('source_site', fields.CharField(null=True, max_length=120)),
                ('source_id', fields.CharField(null=True, max_length=40)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'member', 'app': 'models', 'unique_together': (('source_site', 'source_id'),), 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='SkillArea',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('slug', fields.CharField(unique=True, max_length=80)),
                ('name', fields.CharField(max_length=160)),
                ('description', fields.TextField(unique=False)),
                ('parent', fields.ForeignKeyField('models.SkillArea', source_field='parent_id', null=True, db_constraint=True, to_field='id', related_name='children', on_delete=OnDelete.RESTRICT)),
                ('level_descriptors', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('position', fields.SmallIntField(default=0)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'skill_area', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A field of knowledge that threads, mentoring and CPD entries are organised by.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='SkillLevel',
            fields=[
                ('value', fields.SmallIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('name', fields.CharField(max_length=40)),
                ('description', fields.CharField(max_length=400)),
            ],
            options={'table': 'skill_level', 'app': 'models', 'pk_attr': 'value', 'table_description': 'One step of the skill scale, 0 (none) to 4 (expert).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Thread',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('title', fields.CharField(max_length=200)),
                ('slug', fields.CharField(max_length=120)),
                ('kind', fields.CharEnumField(default=ThreadKind.QUESTION, description='QUESTION: question\nDISCUSSION: discussion\nRESOURCE: resource\nANNOUNCEMENT: announcement', enum_type=ThreadKind, max_length=20)),
                ('state', fields.CharEnumField(default=ThreadState.OPEN, description='OPEN: open\nSOLVED: solved\nLOCKED: locked\nHIDDEN: hidden', enum_type=ThreadState, max_length=20)),
                ('pinned', fields.BooleanField(default=False)),
                ('skill_area', fields.ForeignKeyField('models.SkillArea', source_field='skill_area_id', db_constraint=True, to_field='id', related_name='threads', on_delete=OnDelete.RESTRICT)),
                ('audience_roles', fields.ManyToManyField('models.Role', unique=True, db_constraint=True, through='thread_role', forward_key='role_id', backward_key='thread_id', related_name='threads', on_delete=OnDelete.CASCADE)),
                ('author', fields.ForeignKeyField('models.Member', source_field='author_id', db_constraint=True, to_field='id', related_name='threads', on_delete=OnDelete.RESTRICT)),
                ('accepted_post_id', fields.IntField(null=True)),
                ('post_count', fields.IntField(default=0)),
                ('last_activity_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('last_poster', fields.ForeignKeyField('models.Member', source_field='last_poster_id', null=True, db_constraint=True, to_field='id', related_name='last_posted_threads', on_delete=OnDelete.SET_NULL)),
                ('source_site', fields.CharField(null=True, max_length=120)),
                ('source_id', fields.CharField(null=True, max_length=40)),
                ('source_url', fields.CharField(null=True, max_length=400)),
                ('source_license', fields.CharField(null=True, max_length=60)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'thread', 'app': 'models', 'unique_together': (('source_site', 'source_id'),), 'indexes': [Index(fields=['last_activity_at', 'id']), Index(fields=['skill_area_id', 'last_activity_at', 'id']), Index(fields=['state', 'last_activity_at', 'id']), Index(fields=['kind', 'last_activity_at', 'id']), Index(fields=['pinned', 'last_activity_at']), Index(fields=['author_id', 'created_at'])], 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Post',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('thread', fields.ForeignKeyField('models.Thread', source_field='thread_id', db_constraint=True, to_field='id', related_name='posts', on_delete=OnDelete.CASCADE)),
                ('number', fields.IntField()),
                ('author', fields.ForeignKeyField('models.Member', source_field='author_id', db_constraint=True, to_field='id', related_name='posts', on_delete=OnDelete.RESTRICT)),
                ('reply_to', fields.ForeignKeyField('models.Post', source_field='reply_to_id', null=True, db_constraint=True, to_field='id', related_name='replies', on_delete=OnDelete.SET_NULL)),
                ('source', fields.TextField(unique=False)),
                ('html', fields.TextField(unique=False)),
                ('renderer_version', fields.SmallIntField()),
                ('revision_count', fields.IntField(default=1)),
                ('is_hidden', fields.BooleanField(default=False)),
                ('score', fields.IntField(default=0)),
                ('source_site', fields.CharField(null=True, max_length=120)),
                ('source_id', fields.CharField(null=True, max_length=40)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('edited_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'post', 'app': 'models', 'unique_together': (('thread_id', 'number'), ('source_site', 'source_id')), 'indexes': [Index(fields=['author_id', 'created_at'])], 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Revision',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('post', fields.ForeignKeyField('models.Post', source_field='post_id', db_constraint=True, to_field='id', related_name='revisions', on_delete=OnDelete.CASCADE)),
                ('number', fields.IntField()),
                ('source', fields.TextField(unique=False)),
                ('html', fields.TextField(unique=False)),
                ('renderer_version', fields.SmallIntField()),
                ('editor', fields.ForeignKeyField('models.Member', source_field='editor_id', db_constraint=True, to_field='id', related_name='revisions', on_delete=OnDelete.RESTRICT)),
                ('reason', fields.CharField(default='', max_length=200)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'revision', 'app': 'models', 'unique_together': (('post_id', 'number'),), 'pk_attr': 'id', 'table_description': "A stored version of a post's markdown. Number 1 is the original."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='WebSession',
            fields=[
                ('id', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=64)),
                ('member', fields.ForeignKeyField('models.Member', source_field='member_id', db_constraint=True, to_field='id', related_name='web_sessions', on_delete=OnDelete.CASCADE)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('expires_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('revoked_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('user_agent', fields.CharField(default='', max_length=200)),
            ],
            options={'table': 'web_session', 'app': 'models', 'indexes': [Index(fields=['member_id', 'expires_at'])], 'pk_attr': 'id'},
            bases=['Model'],
        ),
    ]
