"""Role profiles as admins manage them: checks with their messages, audit entries, retirement."""

import pytest

from forum.errors import Conflict, Forbidden, SignInRequired, ValidationFailed
from forum.services import cpd, role_profiles
from forum.services.role_profiles import RoleProfileForm
from models import AuditEntry, RoleProfile, RoleProfileLevel
from tests.factories import make_member

# The migration's profiles. The shared fixture keeps the role profile tables between tests,
# so each test here works on a profile of its own, and the fixture below removes it after.
SEEDED = ("performance-analyst", "bi-developer", "data-engineer", "information-governance-lead")


@pytest.fixture(name="scratch_profile")
async def _scratch_profile(skill_areas):
    """A live profile named Scratch role. ``_remove_unseeded_profiles`` removes it afterwards."""
    profile = await RoleProfile.create(slug="scratch-role", name="Scratch role", position=50)
    await RoleProfileLevel.create(profile_id=profile.id, skill_area_id=skill_areas["python"].id, expected_level=3)
    return profile


@pytest.fixture(autouse=True)
async def _remove_unseeded_profiles():
    """Remove every profile a test added and bring back any seeded one it retired."""
    yield
    await RoleProfile.exclude(slug__in=SEEDED).delete()
    await RoleProfile.filter(slug__in=SEEDED).update(retired_at=None)


def _form(skill_areas, **fields) -> RoleProfileForm:
    levels = fields.pop("levels", None)
    if levels is None:
        levels = ((str(skill_areas["python"].id), "3"), (str(skill_areas["data-quality"].id), "2"))
    defaults = {
        "slug": "analytics-engineer",
        "name": "Analytics engineer",
        "description": "Builds tested data models for reporting.",
        "position": "5",
    }
    return RoleProfileForm(**{**defaults, **fields}, levels=levels)


async def test_admin_creates_profile_with_levels(skill_areas):
    admin = await make_member(permission="admin")

    profile = await role_profiles.do_create_role_profile(admin, _form(skill_areas))

    levels = dict(await RoleProfileLevel.filter(profile_id=profile.id).values_list("skill_area_id", "expected_level"))
    assert levels == {skill_areas["python"].id: 3, skill_areas["data-quality"].id: 2}
    assert profile.slug == "analytics-engineer"
    entry = await AuditEntry.get(action="role_profile_created", target_id=profile.id)
    assert entry.actor_id == admin.id
    assert entry.after["levels"] == {"data-quality": 2, "python": 3}


@pytest.mark.parametrize("permission", ["member", "mentor", "moderator"])
async def test_only_admins_manage_profiles(skill_areas, permission):
    member = await make_member(permission=permission)

    with pytest.raises(Forbidden):
        await role_profiles.do_create_role_profile(member, _form(skill_areas))
    with pytest.raises(Forbidden):
        await role_profiles.list_role_profiles(member)


async def test_anonymous_visitor_must_sign_in(skill_areas):
    with pytest.raises(SignInRequired):
        await role_profiles.do_create_role_profile(None, _form(skill_areas))


FORM_CASES = [
    ({"slug": ""}, "slug", "Enter a slug for the web address, such as performance-analyst."),
    ({"slug": "BI Developer!"}, "slug",
     "The slug can contain only lower-case letters, digits and single hyphens, such as bi-developer."),
    ({"slug": "a" * 81}, "slug", "Shorten the slug to 80 characters or fewer. It has 81."),
    ({"name": "  "}, "name", "Enter a name for the role, such as Performance analyst."),
    ({"name": "n" * 161}, "name", "Shorten the name to 160 characters or fewer. It has 161."),
    ({"description": "d" * 401}, "description", "Shorten the description to 400 characters or fewer. It has 401."),
    ({"position": "first"}, "position", "Enter the position in lists as a whole number, such as 3."),
    ({"position": "5000"}, "position", "Enter a position in lists from 0 to 1000."),
    ({"levels": ()}, "levels", "Choose an expected level in at least one skill area."),
    ({"levels": (("999999", "2"),)}, "levels",
     "One of the skill areas no longer exists. Reload the page and choose the levels again."),
]


@pytest.mark.parametrize(("fields", "field", "message"), FORM_CASES)
async def test_profile_form_validation(skill_areas, fields, field, message):
    admin = await make_member(permission="admin")

    with pytest.raises(ValidationFailed) as error:
        await role_profiles.do_create_role_profile(admin, _form(skill_areas, **fields))

    assert error.value.errors[field] == message


async def test_level_outside_scale_names_skill_area(skill_areas):
    admin = await make_member(permission="admin")
    area = skill_areas["python"]

    with pytest.raises(ValidationFailed) as error:
        await role_profiles.do_create_role_profile(admin, _form(skill_areas, levels=((str(area.id), "7"),)))

    assert error.value.errors == {
        f"level_{area.id}": f"Choose the expected level in {area.name} from awareness to expert, or not expected."
    }


async def test_duplicate_slug_refused(skill_areas):
    admin = await make_member(permission="admin")

    with pytest.raises(ValidationFailed) as error:
        await role_profiles.do_create_role_profile(admin, _form(skill_areas, slug="bi-developer"))

    assert error.value.errors == {
        "slug": "Another role profile already uses the slug bi-developer. Choose another slug."
    }


async def test_update_changes_levels_and_audits_both_sides(skill_areas, scratch_profile):
    admin = await make_member(permission="admin")
    profile = scratch_profile
    summary = await role_profiles.access_role_profile(admin, profile.id)
    python, quality = skill_areas["python"], skill_areas["data-quality"]

    await role_profiles.do_update_role_profile(
        admin, summary, _form(skill_areas, slug="ignored", name="Scratch role", levels=((str(python.id), "4"),
                                                                                      (str(quality.id), "1")))
    )

    levels = dict(await RoleProfileLevel.filter(profile_id=profile.id).values_list("skill_area_id", "expected_level"))
    assert levels == {python.id: 4, quality.id: 1}
    assert (await RoleProfile.get(id=profile.id)).slug == "scratch-role"
    entry = await AuditEntry.get(action="role_profile_updated", target_id=profile.id)
    assert entry.before["levels"] == {"python": 3}
    assert entry.after["levels"] == {"data-quality": 1, "python": 4}


async def test_live_profile_cannot_be_deleted():
    admin = await make_member(permission="admin")
    profile = await RoleProfile.get(slug="bi-developer")
    summary = await role_profiles.access_role_profile(admin, profile.id)

    with pytest.raises(Conflict) as error:
        await role_profiles.do_delete_role_profile(admin, summary)

    assert error.value.message == (
        "The BI developer profile is in use: members' records and the sector view measure against it. "
        "Retire it first, then delete it."
    )
    assert await RoleProfile.filter(id=profile.id).exists()


async def test_retired_profile_leaves_records_then_deletes(scratch_profile):
    admin = await make_member(permission="admin")
    member = await make_member()
    profile = scratch_profile

    await role_profiles.do_set_retired(admin, profile, True)
    progress = await cpd.get_progress(member, [], {}, "scratch-role")
    summary = await role_profiles.access_role_profile(admin, profile.id)
    await role_profiles.do_delete_role_profile(admin, summary)

    assert "scratch-role" not in [offered.slug for offered in progress.profiles]
    assert progress.profile.slug == "performance-analyst"
    assert not await RoleProfile.filter(id=profile.id).exists()
    assert not await RoleProfileLevel.filter(profile_id=profile.id).exists()
    actions = await AuditEntry.filter(target_type="role_profile", target_id=profile.id).values_list("action", flat=True)
    assert sorted(actions) == ["role_profile_deleted", "role_profile_retired"]


async def test_restored_profile_returns_to_records(scratch_profile):
    admin = await make_member(permission="admin")
    profile = scratch_profile
    await role_profiles.do_set_retired(admin, profile, True)

    await role_profiles.do_set_retired(admin, profile, False)
    progress = await cpd.get_progress(await make_member(), [], {}, "scratch-role")

    assert progress.profile.slug == "scratch-role"
    assert await AuditEntry.filter(action="role_profile_restored", target_id=profile.id).count() == 1


async def test_sector_view_leaves_out_retired_profiles(scratch_profile):
    admin = await make_member(permission="admin")
    live = await cpd.get_sector_view(admin, {}, {})

    await role_profiles.do_set_retired(admin, scratch_profile, True)
    retired = await cpd.get_sector_view(admin, {}, {})

    assert "Scratch role" in live.profile_rows
    assert "Scratch role" not in retired.profile_rows
    assert "Data engineer" in retired.profile_rows
