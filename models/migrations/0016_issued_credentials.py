from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from uuid import uuid4
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0015_role_profiles')]

    initial = False

    operations = [
        ops.CreateModel(
            name='IssuedCredential',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('member', fields.ForeignKeyField('models.Member', source_field='member_id', db_constraint=True, to_field='id', related_name='credentials', on_delete=OnDelete.CASCADE)),
                ('skill_area', fields.ForeignKeyField('models.SkillArea', source_field='skill_area_id', db_constraint=True, to_field='id', related_name='credentials', on_delete=OnDelete.RESTRICT)),
                ('level', fields.SmallIntField()),
                ('issued_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('expires_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('revoked_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'issued_credential', 'app': 'models', 'pk_attr': 'id', 'table_description': "An Open Badges credential the site signed for a member's evidenced level in a skill area."},
            bases=['Model'],
        ),
    ]
