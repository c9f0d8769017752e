from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0005_mentoring')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Identity',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('member', fields.ForeignKeyField('models.Member', source_field='member_id', db_constraint=True, to_field='id', related_name='identities', on_delete=OnDelete.CASCADE)),
                ('issuer', fields.CharField(max_length=255)),
                ('subject', fields.CharField(max_length=255)),
                ('provider', fields.CharField(max_length=60)),
                ('email_seen', fields.CharField(null=True, max_length=254)),
                ('email_verified', fields.BooleanField(default=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('last_used_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'identity', 'app': 'models', 'unique_together': (('issuer', 'subject'),), 'indexes': [Index(fields=['member_id', 'created_at'])], 'pk_attr': 'id', 'table_description': 'An account at an OpenID provider, linked to one member by issuer and subject.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='PendingSignIn',
            fields=[
                ('id', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=64)),
                ('browser_key', fields.CharField(max_length=64)),
                ('provider', fields.CharField(max_length=60)),
                ('nonce', fields.CharField(max_length=100)),
                ('code_verifier', fields.CharField(max_length=128)),
                ('next_url', fields.CharField(default='/', max_length=500)),
                ('link_member', fields.ForeignKeyField('models.Member', source_field='link_member_id', null=True, db_constraint=True, to_field='id', related_name='pending_links', on_delete=OnDelete.CASCADE)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('expires_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'pending_sign_in', 'app': 'models', 'indexes': [Index(fields=['browser_key', 'created_at']), Index(fields=['expires_at'])], 'pk_attr': 'id', 'table_description': 'A sign-in sent to an OpenID provider and not yet completed.'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='WebSession',
            name='id_token_hint',
            field=fields.TextField(null=True, unique=False),
        ),
        ops.AddField(
            model_name='WebSession',
            name='idle_expires_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='WebSession',
            name='idle_timeout',
            field=fields.IntField(default=28800),
        ),
        ops.AddField(
            model_name='WebSession',
            name='last_seen_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='WebSession',
            name='provider',
            field=fields.CharField(null=True, max_length=60),
        ),
    ]
