"""The learning resources pages."""

import pytest

from models import LearningResource, ResourceCompletion
from tests.factories import make_member

FORM = {"title": "Data protection basics", "provider": "ICO", "url": "https://example.org/dp", "format": "article",
        "cost": "free", "description": "Lawful bases."}


async def _resource(number: int, area_id: int) -> LearningResource:
    return await LearningResource.create(
        title=f"Resource {number}", provider="Provider", url="https://example.org", format="article", cost="free",
        skill_area_ids=[area_id], levels=[1, 2],
    )


async def test_admin_adds_resource(sign_in, skill_areas):
    client = await sign_in(await make_member(permission="admin"))
    form = {**FORM, "skill_area_ids": str(skill_areas["information-governance"].id), "levels": "1"}

    response = await client.post("/learning/new", form=form)

    assert response.status_code == 303
    assert await LearningResource.filter(title="Data protection basics").exists()


async def test_member_cannot_open_resource_form(sign_in):
    client = await sign_in(await make_member())

    response = await client.get("/learning/new")

    assert response.status_code == 403


async def test_member_marks_completed(sign_in, skill_areas):
    resource = await _resource(0, skill_areas["data-quality"].id)
    member = await make_member()
    client = await sign_in(member)

    response = await client.post(f"/learning/{resource.id}", form={"rating": "4"})

    assert response.status_code == 303
    assert (await ResourceCompletion.get(member_id=member.id)).rating == 4


@pytest.mark.parametrize("path", ["/learning", "/learning/{id}"])
async def test_learning_pages_query_count_constant(client, count_queries, skill_areas, path):
    area_id = skill_areas["data-quality"].id
    first = await _resource(0, area_id)
    await client.get(path.format(id=first.id))
    count_queries.statements.clear()
    assert (await client.get(path.format(id=first.id))).status_code == 200
    small = count_queries.count

    for number in range(1, 10):
        resource = await _resource(number, area_id)
        await ResourceCompletion.create(member_id=(await make_member()).id, resource_id=resource.id, rating=3,
                                        completed_on="2026-01-01")
    count_queries.statements.clear()
    assert (await client.get(path.format(id=first.id))).status_code == 200

    assert count_queries.count == small, count_queries.statements


async def test_specialists_page_query_count_constant(client, count_queries):
    from tests.factories import make_mentor

    await make_mentor(levels={"r": 4})
    await client.get("/learning/specialists")
    count_queries.statements.clear()
    assert (await client.get("/learning/specialists")).status_code == 200
    small = count_queries.count

    for _ in range(3):
        await make_mentor(levels={"git": 3, "r": 3})
    count_queries.statements.clear()
    assert (await client.get("/learning/specialists")).status_code == 200

    assert count_queries.count == small, count_queries.statements
