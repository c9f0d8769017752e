"""Role profiles as admins manage them: list, create, edit levels, retire, restore and delete.

A role profile is in use while it is live, because every member's CPD record and the
sector view measure against the live profiles. So a live profile cannot be deleted: an
admin retires it first, which takes it off records and the sector view, and may then
delete it or restore it. Every change is written to the audit log.
"""

import logging
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from forum.auth.policy import Action, require
from forum.errors import Conflict, NotFound, ValidationFailed
from forum.services.audit import do_audit
from models import Member, RoleProfile, RoleProfileLevel, SkillArea

logger = logging.getLogger(__name__)

SLUG_MAX = 80
NAME_MAX = 160
DESCRIPTION_MAX = 400
POSITION_MAX = 1000
EXPERT = 4
SLUG_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


@dataclass
class ProfileSummary:
    profile: RoleProfile
    # Expected level per skill area id.
    levels: dict[int, int] = field(default_factory=dict)

    @property
    def is_retired(self) -> bool:
        return self.profile.retired_at is not None


async def list_role_profiles(admin: Member) -> list[ProfileSummary]:
    """Return every role profile, live ones first, each with its expected levels. Two queries."""
    require(admin, Action.MANAGE_ROLE_PROFILES)
    profiles = await RoleProfile.all()
    rows = await RoleProfileLevel.all().values_list("profile_id", "skill_area_id", "expected_level")
    summaries = {profile.id: ProfileSummary(profile) for profile in profiles}
    for profile_id, area_id, level in rows:
        summaries[profile_id].levels[area_id] = level
    return sorted(summaries.values(), key=lambda summary: summary.is_retired)


async def access_role_profile(admin: Member, profile_id: int) -> ProfileSummary:
    """Return one role profile with its levels, or raise NotFound."""
    require(admin, Action.MANAGE_ROLE_PROFILES)
    profile = await RoleProfile.filter(id=profile_id).first()
    if profile is None:
        raise NotFound()
    levels = dict(await RoleProfileLevel.filter(profile_id=profile.id).values_list("skill_area_id", "expected_level"))
    return ProfileSummary(profile, levels)


@dataclass(frozen=True)
class RoleProfileForm:
    """The role profile form as submitted, every field a string.

    ``levels`` pairs a skill area id with the level chosen for it, "" for not expected.
    ``slug`` is read only when a profile is created, because members' links name it.
    """

    slug: str = ""
    name: str = ""
    description: str = ""
    position: str = "0"
    levels: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class CheckedProfile:
    slug: str
    name: str
    description: str
    position: int
    levels: dict[int, int]


def check_role_profile(form: RoleProfileForm, area_names: dict[int, str], *, creating: bool) -> CheckedProfile:
    """Validate the form, with one message per invalid field naming the field and the fix.

    Level errors are keyed ``level_<skill area id>``.

    :raises ValidationFailed: naming each invalid field.
    """
    errors: dict[str, str] = {}
    slug = form.slug.strip().lower()
    if creating:
        if not slug:
            errors["slug"] = "Enter a slug for the web address, such as performance-analyst."
        elif len(slug) > SLUG_MAX:
            errors["slug"] = f"Shorten the slug to {SLUG_MAX} characters or fewer. It has {len(slug)}."
        elif not SLUG_PATTERN.match(slug):
            errors["slug"] = "The slug can contain only lower-case letters, digits and single hyphens, such as bi-developer."

    name = " ".join(form.name.split())
    if not name:
        errors["name"] = "Enter a name for the role, such as Performance analyst."
    elif len(name) > NAME_MAX:
        errors["name"] = f"Shorten the name to {NAME_MAX} characters or fewer. It has {len(name)}."

    description = " ".join(form.description.split())
    if len(description) > DESCRIPTION_MAX:
        errors["description"] = f"Shorten the description to {DESCRIPTION_MAX} characters or fewer. It has {len(description)}."

    position = 0
    if form.position.strip():
        try:
            position = int(form.position.strip())
        except ValueError:
            errors["position"] = "Enter the position in lists as a whole number, such as 3."
        else:
            if not 0 <= position <= POSITION_MAX:
                errors["position"] = f"Enter a position in lists from 0 to {POSITION_MAX}."

    levels: dict[int, int] = {}
    for area_value, level_value in form.levels:
        if not area_value.isdigit() or int(area_value) not in area_names:
            errors["levels"] = "One of the skill areas no longer exists. Reload the page and choose the levels again."
            continue
        area_id = int(area_value)
        if not level_value.strip():
            continue
        if not level_value.strip().isdigit() or not 1 <= int(level_value) <= EXPERT:
            errors[f"level_{area_id}"] = (
                f"Choose the expected level in {area_names[area_id]} from awareness to expert, or not expected."
            )
            continue
        levels[area_id] = int(level_value)
    if not levels and "levels" not in errors and not any(key.startswith("level_") for key in errors):
        errors["levels"] = "Choose an expected level in at least one skill area."

    if errors:
        raise ValidationFailed(errors)
    return CheckedProfile(slug, name, description, position, levels)


async def _area_names() -> dict[int, str]:
    return dict(await SkillArea.all().values_list("id", "name"))


def _audit_fields(checked: CheckedProfile | ProfileSummary, slugs: dict[int, str]) -> dict:
    """Summarise a profile for the audit log, with levels keyed by skill area slug so they read on their own."""
    if isinstance(checked, ProfileSummary):
        profile = checked.profile
        values = {"name": profile.name, "description": profile.description, "position": profile.position}
        levels = checked.levels
    else:
        values = {"name": checked.name, "description": checked.description, "position": checked.position}
        levels = checked.levels
    return {**values, "levels": {slugs.get(area_id, str(area_id)): level for area_id, level in sorted(levels.items())}}


async def _area_slugs() -> dict[int, str]:
    return dict(await SkillArea.all().values_list("id", "slug"))


async def do_create_role_profile(admin: Member, form: RoleProfileForm) -> RoleProfile:
    """Create a role profile with its expected levels.

    :raises ValidationFailed: for invalid fields, or a slug another profile has.
    """
    require(admin, Action.MANAGE_ROLE_PROFILES)
    checked = check_role_profile(form, await _area_names(), creating=True)
    if await RoleProfile.filter(slug=checked.slug).exists():
        raise ValidationFailed({"slug": f"Another role profile already uses the slug {checked.slug}. Choose another slug."})
    try:
        async with in_transaction():
            profile = await RoleProfile.create(
                slug=checked.slug, name=checked.name, description=checked.description, position=checked.position
            )
            await RoleProfileLevel.bulk_create([
                RoleProfileLevel(profile_id=profile.id, skill_area_id=area_id, expected_level=level)
                for area_id, level in checked.levels.items()
            ])
            await do_audit(
                admin,
                "role_profile_created",
                target_type="role_profile",
                target_id=profile.id,
                after={"slug": checked.slug, **_audit_fields(checked, await _area_slugs())},
            )
    except IntegrityError:
        # Another admin created the same slug between the check and the insert.
        raise ValidationFailed(
            {"slug": f"Another role profile already uses the slug {checked.slug}. Choose another slug."}
        ) from None
    logger.info("role profile created", extra={"profile_id": profile.id, "member_id": admin.id})
    return profile


async def do_update_role_profile(admin: Member, summary: ProfileSummary, form: RoleProfileForm) -> None:
    """Change a profile's name, description, position and expected levels.

    :raises ValidationFailed: for invalid fields.
    """
    require(admin, Action.MANAGE_ROLE_PROFILES)
    checked = check_role_profile(form, await _area_names(), creating=False)
    slugs = await _area_slugs()
    profile = summary.profile
    async with in_transaction():
        await RoleProfile.filter(id=profile.id).update(
            name=checked.name, description=checked.description, position=checked.position
        )
        await RoleProfileLevel.filter(profile_id=profile.id).delete()
        await RoleProfileLevel.bulk_create([
            RoleProfileLevel(profile_id=profile.id, skill_area_id=area_id, expected_level=level)
            for area_id, level in checked.levels.items()
        ])
        await do_audit(
            admin,
            "role_profile_updated",
            target_type="role_profile",
            target_id=profile.id,
            before=_audit_fields(summary, slugs),
            after=_audit_fields(checked, slugs),
        )
    logger.info("role profile updated", extra={"profile_id": profile.id, "member_id": admin.id})


async def do_set_retired(admin: Member, profile: RoleProfile, retired: bool) -> None:
    """Retire a profile (take it off members' records and the sector view) or restore it."""
    require(admin, Action.MANAGE_ROLE_PROFILES)
    if (profile.retired_at is not None) == retired:
        return
    retired_at = datetime.now(UTC) if retired else None
    async with in_transaction():
        await RoleProfile.filter(id=profile.id).update(retired_at=retired_at)
        await do_audit(
            admin,
            "role_profile_retired" if retired else "role_profile_restored",
            target_type="role_profile",
            target_id=profile.id,
            before={"retired": not retired},
            after={"retired": retired},
        )
    profile.retired_at = retired_at
    logger.info(
        "role profile retired" if retired else "role profile restored",
        extra={"profile_id": profile.id, "member_id": admin.id},
    )


async def do_delete_role_profile(admin: Member, summary: ProfileSummary) -> None:
    """Delete a retired profile and its levels, keeping its last state in the audit log.

    :raises Conflict: for a live profile, which is in use.
    """
    require(admin, Action.MANAGE_ROLE_PROFILES)
    profile = summary.profile
    if profile.retired_at is None:
        raise Conflict(
            f"The {profile.name} profile is in use: members' records and the sector view measure against it. "
            "Retire it first, then delete it."
        )
    slugs = await _area_slugs()
    async with in_transaction():
        await do_audit(
            admin,
            "role_profile_deleted",
            target_type="role_profile",
            target_id=profile.id,
            before={"slug": profile.slug, **_audit_fields(summary, slugs)},
        )
        await RoleProfile.filter(id=profile.id).delete()
    logger.info("role profile deleted", extra={"profile_id": profile.id, "member_id": admin.id})
