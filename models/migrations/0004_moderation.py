from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from models.members import MemberState
from models.moderation import FlagOutcome, FlagReason, FlagState, FlagTarget, HoldState
from models.threads import ThreadState
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

# PostgreSQL rejects UPDATE and DELETE on the audit log whatever code runs them. TRUNCATE
# does not fire row triggers, so the table owner can still empty a test database.
AUDIT_TRIGGER_SQL = """
CREATE OR REPLACE FUNCTION audit_entry_reject_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit_entry is append-only: % is not allowed', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER audit_entry_append_only
    BEFORE UPDATE OR DELETE ON audit_entry
    FOR EACH ROW EXECUTE FUNCTION audit_entry_reject_change();
"""

DROP_AUDIT_TRIGGER_SQL = """
DROP TRIGGER IF EXISTS audit_entry_append_only ON audit_entry;
DROP FUNCTION IF EXISTS audit_entry_reject_change();
"""


def _is_postgres(schema_editor) -> bool:
    return schema_editor.DIALECT == "postgres"


async def add_audit_trigger(apps, schema_editor) -> None:
    if _is_postgres(schema_editor):
        await schema_editor.client.execute_script(AUDIT_TRIGGER_SQL)


async def drop_audit_trigger(apps, schema_editor) -> None:
    if _is_postgres(schema_editor):
        await schema_editor.client.execute_script(DROP_AUDIT_TRIGGER_SQL)


async def mark_existing_locks(apps, schema_editor) -> None:
    """Give threads locked before this migration a lock time, so unhiding keeps them locked."""
    await schema_editor.client.execute_script(
        "UPDATE thread SET locked_at = updated_at WHERE state = 'locked' AND locked_at IS NULL"
    )


async def do_nothing(apps, schema_editor) -> None:
    return None


class Migration(migrations.Migration):
    dependencies = [('models', '0003_qa_and_notifications')]

    initial = False

    operations = [
        ops.CreateModel(
            name='AuditEntry',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('actor', fields.ForeignKeyField('models.Member', source_field='actor_id', null=True, db_constraint=True, to_field='id', related_name='audit_entries', on_delete=OnDelete.RESTRICT)),
                ('action', fields.CharField(max_length=60)),
                ('target_type', fields.CharField(max_length=30)),
                ('target_id', fields.IntField()),
                ('reason', fields.TextField(default='', unique=False)),
                ('before', fields.JSONField(null=True, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('after', fields.JSONField(null=True, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'audit_entry', 'app': 'models', 'indexes': [Index(fields=['created_at', 'id']), Index(fields=['target_type', 'target_id']), Index(fields=['actor_id', 'created_at']), Index(fields=['action', 'created_at'])], 'pk_attr': 'id', 'table_description': 'One moderator or admin action, written once and never changed.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='CannedReason',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('title', fields.CharField(unique=True, max_length=80)),
                ('text', fields.CharField(max_length=500)),
                ('position', fields.SmallIntField(default=0)),
                ('is_active', fields.BooleanField(default=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'canned_reason', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A ready-written reason that moderators can choose instead of typing one.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Flag',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('reporter', fields.ForeignKeyField('models.Member', source_field='reporter_id', db_constraint=True, to_field='id', related_name='flags_made', on_delete=OnDelete.CASCADE)),
                ('target_type', fields.CharEnumField(description='POST: post\nTHREAD: thread', enum_type=FlagTarget, max_length=10)),
                ('post', fields.ForeignKeyField('models.Post', source_field='post_id', null=True, db_constraint=True, to_field='id', related_name='flags', on_delete=OnDelete.CASCADE)),
                ('thread', fields.ForeignKeyField('models.Thread', source_field='thread_id', null=True, db_constraint=True, to_field='id', related_name='flags', on_delete=OnDelete.CASCADE)),
                ('reason', fields.CharEnumField(description='OFF_TOPIC: off_topic\nUNKIND: unkind\nSPAM: spam\nIDENTIFIES_CHILD: identifies_child\nOTHER: other', enum_type=FlagReason, max_length=30)),
                ('text', fields.TextField(default='', unique=False)),
                ('severity', fields.SmallIntField()),
                ('state', fields.CharEnumField(default=FlagState.OPEN, description='OPEN: open\nRESOLVED: resolved', enum_type=FlagState, max_length=10)),
                ('open_key', fields.CharField(null=True, unique=True, max_length=60)),
                ('outcome', fields.CharEnumField(null=True, description='DISMISSED: dismissed\nHIDDEN: hidden\nEDITED: edited\nREDACTED: redacted\nWARNED: warned', enum_type=FlagOutcome, max_length=20)),
                ('resolution_note', fields.TextField(default='', unique=False)),
                ('resolved_by', fields.ForeignKeyField('models.Member', source_field='resolved_by_id', null=True, db_constraint=True, to_field='id', related_name='flags_resolved', on_delete=OnDelete.SET_NULL)),
                ('resolved_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'flag', 'app': 'models', 'indexes': [Index(fields=['state', 'severity', 'created_at']), Index(fields=['reporter_id', 'created_at'])], 'pk_attr': 'id', 'table_description': "A member's report that a post or thread needs a moderator."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ModeratorNote',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('member', fields.ForeignKeyField('models.Member', source_field='member_id', db_constraint=True, to_field='id', related_name='moderator_notes', on_delete=OnDelete.CASCADE)),
                ('author', fields.ForeignKeyField('models.Member', source_field='author_id', db_constraint=True, to_field='id', related_name='notes_written', on_delete=OnDelete.RESTRICT)),
                ('text', fields.TextField(unique=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'moderator_note', 'app': 'models', 'indexes': [Index(fields=['member_id', 'created_at'])], 'pk_attr': 'id', 'table_description': 'A note about a member that only moderators and admins can read.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='PersonalDataHold',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('post', fields.ForeignKeyField('models.Post', source_field='post_id', db_constraint=True, to_field='id', related_name='personal_data_holds', on_delete=OnDelete.CASCADE)),
                ('author', fields.ForeignKeyField('models.Member', source_field='author_id', db_constraint=True, to_field='id', related_name='personal_data_holds', on_delete=OnDelete.CASCADE)),
                ('kinds', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('opens_thread', fields.BooleanField(default=False)),
                ('state', fields.CharEnumField(default=HoldState.WAITING, description='WAITING: waiting\nAPPROVED: approved\nREJECTED: rejected', enum_type=HoldState, max_length=10)),
                ('decided_by', fields.ForeignKeyField('models.Member', source_field='decided_by_id', null=True, db_constraint=True, to_field='id', related_name='holds_decided', on_delete=OnDelete.SET_NULL)),
                ('decided_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'personal_data_hold', 'app': 'models', 'indexes': [Index(fields=['state', 'created_at'])], 'pk_attr': 'id', 'table_description': "An author's confirmation that flagged personal data is synthetic or public."},
            bases=['Model'],
        ),
        ops.AlterField(
            model_name='Member',
            name='state',
            field=fields.CharEnumField(default=MemberState.ACTIVE, description='PENDING: pending\nACTIVE: active\nSUSPENDED: suspended\nERASED: erased\nREJECTED: rejected', enum_type=MemberState, max_length=20),
        ),
        ops.AddField(
            model_name='Member',
            name='is_silenced',
            field=fields.BooleanField(default=False),
        ),
        ops.AddField(
            model_name='Member',
            name='silence_reason',
            field=fields.TextField(default='', unique=False),
        ),
        ops.AddField(
            model_name='Member',
            name='silenced_until',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='Member',
            name='suspended_until',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='Member',
            name='suspension_reason',
            field=fields.TextField(default='', unique=False),
        ),
        ops.AddField(
            model_name='Post',
            name='held_for_review',
            field=fields.BooleanField(default=False),
        ),
        ops.AddField(
            model_name='Post',
            name='redacted_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='Post',
            name='redacted_by',
            field=fields.ForeignKeyField('models.Member', source_field='redacted_by_id', null=True, db_constraint=True, to_field='id', related_name='redacted_posts', on_delete=OnDelete.SET_NULL),
        ),
        ops.AddField(
            model_name='Post',
            name='redaction_reason',
            field=fields.CharField(default='', max_length=500),
        ),
        ops.AlterField(
            model_name='Thread',
            name='state',
            field=fields.CharEnumField(default=ThreadState.OPEN, description='OPEN: open\nSOLVED: solved\nLOCKED: locked\nHIDDEN: hidden\nHELD: held', enum_type=ThreadState, max_length=20),
        ),
        ops.AddField(
            model_name='Thread',
            name='lock_reason',
            field=fields.CharField(default='', max_length=500),
        ),
        ops.AddField(
            model_name='Thread',
            name='locked_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='Thread',
            name='merged_into_id',
            field=fields.IntField(null=True),
        ),
        ops.AddField(
            model_name='Thread',
            name='pinned_until',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='Thread',
            name='slow_mode_by',
            field=fields.ForeignKeyField('models.Member', source_field='slow_mode_by_id', null=True, db_constraint=True, to_field='id', related_name='slow_mode_threads', on_delete=OnDelete.SET_NULL),
        ),
        ops.AddField(
            model_name='Thread',
            name='slow_mode_reason',
            field=fields.CharField(default='', max_length=500),
        ),
        ops.AddField(
            model_name='Thread',
            name='slow_mode_seconds',
            field=fields.IntField(default=0),
        ),
        ops.AddField(
            model_name='Thread',
            name='slow_mode_until',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.RunPython(add_audit_trigger, drop_audit_trigger),
        ops.RunPython(mark_existing_locks, do_nothing),
    ]
