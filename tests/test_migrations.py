"""The migrations build the schema from empty, and agree with the models."""

from tortoise import Tortoise
from tortoise.migrations.autodetector import MigrationAutodetector

from forum.db import tortoise_config
from models import Role, SkillArea, SkillLevel


async def test_models_and_migrations_agree(database_url):
    config = tortoise_config(database_url)
    apps_config = config["apps"]

    detector = MigrationAutodetector(Tortoise.apps, apps_config)
    writers = await detector.changes()

    pending = [operation.describe() for writer in writers for operation in writer.operations]
    assert pending == [], f"models differ from migrations; run makemigrations: {pending}"


async def test_taxonomy_loaded_by_migration():
    top_level = await SkillArea.filter(parent_id__isnull=True).count()
    roles = await Role.all().values_list("slug", flat=True)
    levels = await SkillLevel.all().values_list("value", "name")

    assert top_level == 18
    assert len(roles) == 14
    assert "care-experienced" in roles
    assert levels == [
        (0, "None"),
        (1, "Awareness"),
        (2, "Working"),
        (3, "Practitioner"),
        (4, "Expert"),
    ]


async def test_sub_areas_hang_under_their_parent():
    ssda903 = await SkillArea.get(slug="ssda903").prefetch_related("parent")

    assert ssda903.parent.slug == "statutory-returns"
    assert set(ssda903.level_descriptors) == {"0", "1", "2", "3", "4"}
