from tortoise import migrations
from tortoise.migrations import operations as ops
from models.learning import ResourceCost, ResourceFormat
from orjson import loads
from tortoise.fields.base import OnDelete
from tortoise.fields.data import JSON_DUMPS
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0016_issued_credentials')]

    initial = False

    operations = [
        ops.CreateModel(
            name='LearningResource',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('title', fields.CharField(max_length=200)),
                ('provider', fields.CharField(max_length=200)),
                ('url', fields.CharField(max_length=500)),
                ('format', fields.CharEnumField(description='COURSE: course\nARTICLE: article\nVIDEO: video\nBOOK: book\nTOOL: tool\nEVENT: event', enum_type=ResourceFormat, max_length=20)),
                ('cost', fields.CharEnumField(description='FREE: free\nPAID: paid', enum_type=ResourceCost, max_length=10)),
                ('description', fields.TextField(default='', unique=False)),
                ('skill_area_ids', fields.JSONField(default=list, encoder=JSON_DUMPS, decoder=loads)),
                ('levels', fields.JSONField(default=list, encoder=JSON_DUMPS, decoder=loads)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'learning_resource', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A course, article or other resource in the signposting directory.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ResourceCompletion',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('member', fields.ForeignKeyField('models.Member', source_field='member_id', db_constraint=True, to_field='id', related_name='resource_completions', on_delete=OnDelete.CASCADE)),
                ('resource', fields.ForeignKeyField('models.LearningResource', source_field='resource_id', db_constraint=True, to_field='id', related_name='completions', on_delete=OnDelete.CASCADE)),
                ('rating', fields.SmallIntField(null=True)),
                ('completed_on', fields.DateField()),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'resource_completion', 'app': 'models', 'unique_together': (('member_id', 'resource_id'),), 'pk_attr': 'id', 'table_description': "A member's record of finishing a learning resource, with an optional rating from 1 to 5."},
            bases=['Model'],
        ),
    ]
