"""The taxonomy cache: served from memory until a skill area or role changes."""

from forum.services import browsing
from models import CacheVersion, Role, SkillArea


async def test_taxonomy_served_from_memory_when_unchanged(count_queries):
    first = await browsing.get_taxonomy()
    count_queries.statements.clear()

    second = await browsing.get_taxonomy()

    assert second is first
    assert count_queries.count == 1, count_queries.statements


async def test_taxonomy_reloaded_after_skill_area_renamed():
    await browsing.get_taxonomy()
    area = await SkillArea.get(slug="cin-census")
    old_name = area.name
    area.name = "Children in Need census (renamed)"
    await area.save()
    try:
        taxonomy = await browsing.get_taxonomy()

        assert taxonomy.skill_area("cin-census").name == "Children in Need census (renamed)"
    finally:
        await SkillArea.filter(slug="cin-census").update(name=old_name)
    assert (await browsing.get_taxonomy()).skill_area("cin-census").name == old_name


async def test_taxonomy_reloaded_after_role_added_and_deleted():
    await browsing.get_taxonomy()
    await Role.create(slug="bench-test-role", name="A role added by a test", position=99)
    try:
        assert (await browsing.get_taxonomy()).role("bench-test-role") is not None
    finally:
        await Role.filter(slug="bench-test-role").delete()
    assert (await browsing.get_taxonomy()).role("bench-test-role") is None


async def test_taxonomy_loaded_every_time_without_version_row():
    version = await CacheVersion.get(name="taxonomy")
    await CacheVersion.filter(name="taxonomy").delete()
    try:
        first = await browsing.get_taxonomy()
        second = await browsing.get_taxonomy()

        assert second is not first
    finally:
        await CacheVersion.create(name="taxonomy", version=version.version + 1)
