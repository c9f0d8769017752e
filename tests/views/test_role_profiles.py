"""The admins' role profile pages, for each role, and their error messages."""

import pytest

from models import AuditEntry, RoleProfile, RoleProfileLevel
from tests.factories import make_member
from tests.services.test_role_profiles import SEEDED


@pytest.fixture(autouse=True)
async def _remove_unseeded_profiles():
    yield
    await RoleProfile.exclude(slug__in=SEEDED).delete()
    await RoleProfile.filter(slug__in=SEEDED).update(retired_at=None)


def _form(skill_areas, **fields) -> dict:
    return {
        "slug": "reporting-analyst",
        "name": "Reporting analyst",
        "description": "Runs the monthly performance pack.",
        "position": "7",
        f"level_{skill_areas['data-quality'].id}": "2",
        **fields,
    }


PAGES = ["/cpd/role-profiles", "/cpd/role-profiles/new"]


@pytest.mark.parametrize("path", PAGES)
async def test_anonymous_visitor_sent_to_sign_in(client, path):
    response = await client.get(path)

    assert response.status_code in (302, 303, 401)


@pytest.mark.parametrize("permission", ["member", "mentor", "moderator"])
@pytest.mark.parametrize("path", PAGES)
async def test_non_admins_refused(sign_in, permission, path):
    client = await sign_in(await make_member(permission=permission))

    response = await client.get(path)

    assert response.status_code == 403


@pytest.mark.parametrize("permission", ["member", "moderator"])
async def test_non_admins_cannot_change_profiles(sign_in, skill_areas, permission):
    client = await sign_in(await make_member(permission=permission))
    profile = await RoleProfile.get(slug="bi-developer")

    created = await client.post("/cpd/role-profiles/new", form=_form(skill_areas))
    edited = await client.post(f"/cpd/role-profiles/{profile.id}", form=_form(skill_areas, name="Changed"))
    retired = await client.post(f"/cpd/role-profiles/{profile.id}/retirement", form={"retired": "true"})
    deleted = await client.post(f"/cpd/role-profiles/{profile.id}/delete")

    assert [created.status_code, edited.status_code, retired.status_code, deleted.status_code] == [403] * 4
    assert (await RoleProfile.get(id=profile.id)).name == "BI developer"
    assert (await RoleProfile.get(id=profile.id)).retired_at is None
    assert not await RoleProfile.filter(slug="reporting-analyst").exists()


async def test_admin_sees_every_profile(sign_in):
    client = await sign_in(await make_member(permission="admin"))

    response = await client.get("/cpd/role-profiles")

    html = await response.get_data(as_text=True)
    assert response.status_code == 200
    for name in ("Performance analyst", "BI developer", "Data engineer", "Information governance lead"):
        assert name in html


async def test_admin_adds_profile(sign_in, skill_areas):
    admin = await make_member(permission="admin")
    client = await sign_in(admin)

    response = await client.post("/cpd/role-profiles/new", form=_form(skill_areas))

    assert response.status_code == 303
    profile = await RoleProfile.get(slug="reporting-analyst")
    assert await RoleProfileLevel.filter(profile_id=profile.id).values_list("expected_level", flat=True) == [2]
    assert await AuditEntry.filter(action="role_profile_created", actor_id=admin.id).count() == 1
    listed = await (await client.get(response.headers["Location"])).get_data(as_text=True)
    assert "The role profile is added." in listed


async def test_admin_edit_form_shows_current_levels(sign_in, skill_areas):
    client = await sign_in(await make_member(permission="admin"))
    profile = await RoleProfile.get(slug="data-engineer")

    html = await (await client.get(f"/cpd/role-profiles/{profile.id}")).get_data(as_text=True)

    python_select = html.split(f'id="level_{skill_areas["python"].id}"')[1].split("</select>")[0]
    assert '<option value="3" selected>' in python_select


async def test_bad_input_names_field_and_fix(sign_in, skill_areas):
    client = await sign_in(await make_member(permission="admin"))
    area = skill_areas["data-quality"]

    response = await client.post(
        "/cpd/role-profiles/new",
        form=_form(skill_areas, slug="Not A Slug", name="", position="x", **{f"level_{area.id}": "9"}),
    )

    html = await response.get_data(as_text=True)
    assert response.status_code == 422
    assert "govuk-error-summary" in html
    assert "The slug can contain only lower-case letters, digits and single hyphens" in html
    assert "Enter a name for the role, such as Performance analyst." in html
    assert "Enter the position in lists as a whole number, such as 3." in html
    assert f"Choose the expected level in {area.name} from awareness to expert, or not expected." in html
    assert f'href="#level_{area.id}"' in html
    assert 'aria-describedby="slug-hint slug-error"' in html
    assert not await RoleProfile.filter(name="").exists()


async def test_no_levels_chosen_is_refused(sign_in, skill_areas):
    client = await sign_in(await make_member(permission="admin"))
    form = {key: value for key, value in _form(skill_areas).items() if not key.startswith("level_")}

    response = await client.post("/cpd/role-profiles/new", form=form)

    assert response.status_code == 422
    assert "Choose an expected level in at least one skill area." in await response.get_data(as_text=True)


async def test_admin_edits_levels(sign_in, skill_areas):
    client = await sign_in(await make_member(permission="admin"))
    await client.post("/cpd/role-profiles/new", form=_form(skill_areas))
    profile = await RoleProfile.get(slug="reporting-analyst")
    python = skill_areas["python"]

    response = await client.post(
        f"/cpd/role-profiles/{profile.id}",
        form=_form(skill_areas, name="Senior reporting analyst", **{f"level_{skill_areas['data-quality'].id}": "",
                                                                     f"level_{python.id}": "4"}),
    )

    assert response.status_code == 303
    assert (await RoleProfile.get(id=profile.id)).name == "Senior reporting analyst"
    levels = await RoleProfileLevel.filter(profile_id=profile.id).values_list("skill_area_id", "expected_level")
    assert levels == [(python.id, 4)]


async def test_live_profile_delete_explains_retire_first(sign_in):
    client = await sign_in(await make_member(permission="admin"))
    profile = await RoleProfile.get(slug="bi-developer")

    response = await client.post(f"/cpd/role-profiles/{profile.id}/delete")

    assert response.status_code == 409
    assert "Retire it first, then delete it." in await response.get_data(as_text=True)
    assert await RoleProfile.filter(id=profile.id).exists()


async def test_admin_retires_then_deletes(sign_in, skill_areas):
    admin = await make_member(permission="admin")
    client = await sign_in(admin)
    await client.post("/cpd/role-profiles/new", form=_form(skill_areas))
    profile = await RoleProfile.get(slug="reporting-analyst")

    retired = await client.post(f"/cpd/role-profiles/{profile.id}/retirement", form={"retired": "true"})
    record = await (await (await sign_in(await make_member())).get("/cpd?profile=reporting-analyst")).get_data(as_text=True)
    deleted = await client.post(f"/cpd/role-profiles/{profile.id}/delete")

    assert retired.status_code == 303
    assert "Reporting analyst" not in record
    assert deleted.status_code == 303
    assert not await RoleProfile.filter(id=profile.id).exists()
    actions = await AuditEntry.filter(target_id=profile.id, target_type="role_profile").values_list("action", flat=True)
    assert sorted(actions) == ["role_profile_created", "role_profile_deleted", "role_profile_retired"]


async def test_unknown_profile_not_found(sign_in):
    client = await sign_in(await make_member(permission="admin"))

    response = await client.get("/cpd/role-profiles/999999")

    assert response.status_code == 404
