"""Create role profiles and seed four technical roles with the level each expects.

The defaults are written out here so that this migration gives the same result whatever
later code does. Admins change the profiles in the database afterwards. Levels run from
1 (awareness) to 4 (expert).
"""

from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields


# (slug, name, description, {skill area slug: expected level})
ROLE_PROFILES = [
    ("performance-analyst", "Performance analyst",
     "Prepares statutory returns and performance reports for children's services.",
     {"statutory-returns": 3, "cin-census": 3, "ssda903": 3, "data-quality": 3, "performance-management": 3,
      "benchmarking": 2, "spreadsheet-modelling": 3, "sql-data-engineering": 2, "bi-visualisation": 2,
      "insight-communication": 3, "social-care-practice": 2, "information-governance": 2}),
    ("bi-developer", "BI developer",
     "Builds the reports and dashboards that managers and practitioners use.",
     {"bi-visualisation": 3, "power-bi": 3, "sql-data-engineering": 3, "data-quality": 2,
      "performance-management": 2, "insight-communication": 3, "case-management-systems": 2,
      "information-governance": 2}),
    ("data-engineer", "Data engineer",
     "Moves and models data from case management systems into the warehouse.",
     {"sql-data-engineering": 4, "case-management-systems": 3, "programming-reproducible-analysis": 3,
      "python": 3, "git": 3, "data-quality": 3, "data-linkage-standards": 3, "information-governance": 2}),
    ("information-governance-lead", "Information governance lead",
     "Leads data protection, data sharing and records management for the service.",
     {"information-governance": 4, "data-ethics-ai": 3, "data-linkage-standards": 2,
      "social-care-practice": 2, "case-management-systems": 2, "data-leadership": 3}),
]


async def load_role_profiles(apps, schema_editor) -> None:
    role_profile = apps.get_model("models", "RoleProfile")
    role_profile_level = apps.get_model("models", "RoleProfileLevel")
    skill_area = apps.get_model("models", "SkillArea")
    area_ids = {area.slug: area.id for area in await skill_area.all()}
    for position, (slug, name, description, levels) in enumerate(ROLE_PROFILES):
        profile = await role_profile.create(slug=slug, name=name, description=description, position=position)
        for area_slug, level in levels.items():
            await role_profile_level.create(
                profile_id=profile.id, skill_area_id=area_ids[area_slug], expected_level=level
            )


async def unload_role_profiles(apps, schema_editor) -> None:
    await apps.get_model("models", "RoleProfileLevel").all().delete()
    await apps.get_model("models", "RoleProfile").all().delete()


class Migration(migrations.Migration):
    dependencies = [('models', '0014_endorsements_and_cpd')]

    initial = False

    operations = [
        ops.CreateModel(
            name='RoleProfile',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('slug', fields.CharField(unique=True, max_length=80)),
                ('name', fields.CharField(max_length=160)),
                ('description', fields.CharField(default='', max_length=400)),
                ('position', fields.SmallIntField(default=0)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'role_profile', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A technical role, such as BI developer, with the level it expects in each skill area.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='RoleProfileLevel',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('profile', fields.ForeignKeyField('models.RoleProfile', source_field='profile_id', db_constraint=True, to_field='id', related_name='levels', on_delete=OnDelete.CASCADE)),
                ('skill_area', fields.ForeignKeyField('models.SkillArea', source_field='skill_area_id', db_constraint=True, to_field='id', related_name='role_profile_levels', on_delete=OnDelete.CASCADE)),
                ('expected_level', fields.SmallIntField()),
            ],
            options={'table': 'role_profile_level', 'app': 'models', 'unique_together': (('profile_id', 'skill_area_id'),), 'pk_attr': 'id', 'table_description': 'The level a role profile expects in one skill area.'},
            bases=['Model'],
        ),
        ops.RunPython(load_role_profiles, unload_role_profiles),
    ]
