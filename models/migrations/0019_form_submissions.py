from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0018_role_profile_retirement')]

    initial = False

    operations = [
        ops.CreateModel(
            name='FormSubmission',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('member', fields.ForeignKeyField('models.Member', source_field='member_id', db_constraint=True, to_field='id', related_name='form_submissions', on_delete=OnDelete.CASCADE)),
                ('key', fields.CharField(max_length=64)),
                ('post', fields.ForeignKeyField('models.Post', source_field='post_id', db_constraint=True, to_field='id', related_name='form_submissions', on_delete=OnDelete.CASCADE)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'form_submission', 'app': 'models', 'unique_together': (('member_id', 'key'),), 'pk_attr': 'id', 'table_description': 'A reply or new-thread form that was saved, keyed by its one-time token and content.'},
            bases=['Model'],
        ),
    ]
