from tortoise import migrations
from tortoise.migrations import operations as ops
from models.mentoring import RequestState
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0009_cache_version')]

    initial = False

    operations = [
        ops.AlterField(
            model_name='MentoringRequest',
            name='state',
            field=fields.CharEnumField(default=RequestState.OPEN, description='OPEN: open\nASKED: asked\nMATCHED: matched\nCLOSED: closed', enum_type=RequestState, max_length=20),
        ),
    ]
