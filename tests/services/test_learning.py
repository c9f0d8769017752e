"""The learning resources directory: curation, filters, completion and rating."""

import pytest

from forum.errors import Forbidden, ValidationFailed
from forum.services import cpd, learning
from forum.services.learning import ResourceDraft, ResourceFilter
from models import CpdEntry, ResourceCompletion
from tests.factories import make_member


def _draft(skill_areas, **fields) -> ResourceDraft:
    defaults = {
        "title": "Window functions in T-SQL",
        "provider": "Sector Data Academy",
        "url": "https://example.org/window-functions",
        "format": "course",
        "cost": "free",
        "description": "Running totals and ranking over episodes.",
        "skill_area_ids": (str(skill_areas["sql-data-engineering"].id),),
        "levels": ("2", "3"),
    }
    return ResourceDraft(**{**defaults, **fields})


async def _resource(skill_areas, **fields):
    admin = await make_member(permission="admin")
    return await learning.do_save_resource(admin, _draft(skill_areas, **fields))


RESOURCE_CASES = [
    ({"title": ""}, "title", "Enter a title of up to 200 characters."),
    ({"provider": ""}, "provider", "Enter the provider, such as the organisation that runs the course, in up to 200 characters."),
    ({"url": "http://example.org"}, "url", "Enter the link, starting with https://, in up to 500 characters."),
    ({"format": "podcast"}, "format", "Choose the format."),
    ({"cost": "cheap"}, "cost", "Choose whether it is free or paid."),
    ({"skill_area_ids": ()}, "skill_area_ids", "Choose at least one skill area from the list."),
    ({"skill_area_ids": ("99999",)}, "skill_area_ids", "Choose at least one skill area from the list."),
    ({"levels": ()}, "levels", "Choose at least one level the resource suits."),
    ({"levels": ("7",)}, "levels", "Choose at least one level the resource suits."),
]


@pytest.mark.parametrize(("fields", "field", "message"), RESOURCE_CASES)
async def test_resource_validation(skill_areas, fields, field, message):
    admin = await make_member(permission="admin")

    with pytest.raises(ValidationFailed) as error:
        await learning.do_save_resource(admin, _draft(skill_areas, **fields))

    assert error.value.errors[field] == message


async def test_only_admins_curate(skill_areas):
    with pytest.raises(Forbidden):
        await learning.do_save_resource(await make_member(permission="moderator"), _draft(skill_areas))


async def test_filters_combine(skill_areas):
    wanted = await _resource(skill_areas)
    await _resource(skill_areas, title="Paid SQL course", cost="paid")
    await _resource(skill_areas, title="Power BI basics", skill_area_ids=(str(skill_areas["power-bi"].id),))
    await _resource(skill_areas, title="Expert SQL tuning", levels=("4",))

    found = await learning.list_resources(ResourceFilter(
        query="sql", skill_area=str(skill_areas["sql-data-engineering"].id), cost="free", level="2", format="course"
    ))

    assert [resource.id for resource in found] == [wanted.id]


async def test_completion_drafts_entry_and_rates(skill_areas):
    resource = await _resource(skill_areas)
    member = await make_member()

    await learning.do_mark_completed(member, resource, "4")
    await learning.do_mark_completed(member, resource, "5")

    entry = await CpdEntry.get(member_id=member.id, source_key=f"resource:{resource.id}")
    assert entry.is_draft
    assert entry.activity_type == "course"
    assert entry.evidence_links == ["https://example.org/window-functions"]
    assert await ResourceCompletion.filter(member_id=member.id).count() == 1
    listed = await learning.list_resources(ResourceFilter())
    assert (listed[0].average_rating, listed[0].rating_count) == (5.0, 1)


async def test_rating_outside_scale_rejected(skill_areas):
    resource = await _resource(skill_areas)

    with pytest.raises(ValidationFailed) as error:
        await learning.do_mark_completed(await make_member(), resource, "9")

    assert error.value.errors == {"rating": "Choose a rating from 1 to 5 stars, or leave it blank."}


async def test_progress_gap_suggests_resources(skill_areas):
    resource = await _resource(skill_areas, levels=("1",))
    member = await make_member()
    area_names = {area.id: area.name for area in skill_areas.values()}

    progress = await cpd.get_progress(member, [], area_names, "data-engineer")

    sql = next(row for row in progress.rows if row.skill_area_id == skill_areas["sql-data-engineering"].id)
    assert [suggested.id for suggested in sql.resources] == [resource.id]


async def test_scarce_skills_list_specialists_with_hours(skill_areas):
    from tests.factories import make_mentor

    specialist = await make_mentor(levels={"r": 4}, availability="Fridays 2pm to 4pm")
    for _ in range(4):
        await make_mentor(levels={"python": 3})
    area_names = {area.id: area.name for area in skill_areas.values()}

    scarce = {skill.skill_area_id: skill for skill in await learning.list_scarce_specialists(area_names)}

    r_skill = scarce[skill_areas["r"].id]
    assert [(member.id, level, hours) for member, level, hours in r_skill.specialists] == [
        (specialist.id, 4, "Fridays 2pm to 4pm")
    ]
    assert skill_areas["python"].id not in scarce
    assert scarce[skill_areas["git"].id].specialists == []
