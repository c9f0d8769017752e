from tortoise import migrations
from tortoise.migrations import operations as ops
from models.cpd import CpdActivityType, CpdProvenance, CpdVisibility
from models.endorsements import EndorsementRelationship, EndorsementState, EvidenceKind
from orjson import loads
from tortoise.fields.base import OnDelete
from tortoise.fields.data import JSON_DUMPS
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0013_email_outbox_and_watches')]

    initial = False

    operations = [
        ops.CreateModel(
            name='CpdEntry',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('member', fields.ForeignKeyField('models.Member', source_field='member_id', db_constraint=True, to_field='id', related_name='cpd_entries', on_delete=OnDelete.CASCADE)),
                ('title', fields.CharField(max_length=200)),
                ('activity_type', fields.CharEnumField(description='COURSE: course\nSELF_DIRECTED_STUDY: self_directed_study\nMENTORING_RECEIVED: mentoring_received\nMENTORING_GIVEN: mentoring_given\nPEER_DISCUSSION: peer_discussion\nCOMMUNITY_CONTRIBUTION: community_contribution\nWORK_PROJECT: work_project\nEVENT: event\nSUPERVISION: supervision\nTEACHING: teaching\nREADING: reading\nOTHER: other', enum_type=CpdActivityType, max_length=40)),
                ('started_on', fields.DateField()),
                ('ended_on', fields.DateField(null=True)),
                ('hours', fields.DecimalField(null=True, max_digits=6, decimal_places=2)),
                ('description', fields.TextField(default='', unique=False)),
                ('learning', fields.TextField(default='', unique=False)),
                ('impact', fields.TextField(default='', unique=False)),
                ('peer_reflection', fields.TextField(default='', unique=False)),
                ('next_steps', fields.TextField(default='', unique=False)),
                ('evidence_links', fields.JSONField(default=list, encoder=JSON_DUMPS, decoder=loads)),
                ('skills', fields.JSONField(default=list, encoder=JSON_DUMPS, decoder=loads)),
                ('provenance', fields.CharEnumField(default=CpdProvenance.MANUAL, description='MANUAL: manual\nDRAFTED: drafted', enum_type=CpdProvenance, max_length=20)),
                ('source_key', fields.CharField(null=True, max_length=100)),
                ('is_draft', fields.BooleanField(default=False)),
                ('visibility', fields.CharEnumField(default=CpdVisibility.PRIVATE, description='PRIVATE: private\nMENTOR: mentor\nPUBLIC_SUMMARY: public_summary', enum_type=CpdVisibility, max_length=20)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'cpd_entry', 'app': 'models', 'unique_together': (('member_id', 'source_key'),), 'indexes': [Index(fields=['member_id', 'started_on'])], 'pk_attr': 'id', 'table_description': "One piece of professional development in a member's record."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Endorsement',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('endorser', fields.ForeignKeyField('models.Member', source_field='endorser_id', db_constraint=True, to_field='id', related_name='endorsements_given', on_delete=OnDelete.CASCADE)),
                ('member', fields.ForeignKeyField('models.Member', source_field='member_id', db_constraint=True, to_field='id', related_name='endorsements_received', on_delete=OnDelete.CASCADE)),
                ('skill_area', fields.ForeignKeyField('models.SkillArea', source_field='skill_area_id', db_constraint=True, to_field='id', related_name='endorsements', on_delete=OnDelete.RESTRICT)),
                ('level', fields.SmallIntField()),
                ('relationship', fields.CharEnumField(description='WORKED_TOGETHER: worked_together\nMENTORED: mentored\nREVIEWED_WORK: reviewed_work\nSAW_IN_FORUM: saw_in_forum', enum_type=EndorsementRelationship, max_length=30)),
                ('observed_from', fields.DateField()),
                ('observed_to', fields.DateField()),
                ('statement', fields.TextField(unique=False)),
                ('evidence_kind', fields.CharEnumField(description='POST: post\nMENTORSHIP: mentorship\nRESOURCE: resource', enum_type=EvidenceKind, max_length=20)),
                ('evidence_id', fields.IntField()),
                ('state', fields.CharEnumField(default=EndorsementState.ACTIVE, description='ACTIVE: active\nWITHDRAWN: withdrawn\nVOIDED: voided', enum_type=EndorsementState, max_length=20)),
                ('hidden_by_member', fields.BooleanField(default=False)),
                ('is_reciprocal', fields.BooleanField(default=False)),
                ('same_organisation', fields.BooleanField(default=False)),
                ('withdrawn_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('voided_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('voided_by', fields.ForeignKeyField('models.Member', source_field='voided_by_id', null=True, db_constraint=True, to_field='id', related_name='endorsements_voided', on_delete=OnDelete.SET_NULL)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'endorsement', 'app': 'models', 'indexes': [Index(fields=['member_id', 'skill_area_id', 'state']), Index(fields=['endorser_id', 'created_at'])], 'pk_attr': 'id', 'table_description': 'One endorsement of ``member`` by ``endorser`` in one skill area at one level.'},
            bases=['Model'],
        ),
    ]
