"""The sector view for admins: evidenced levels against role profiles, and mentoring demand against supply."""

from dataclasses import dataclass

from forum.auth.policy import Action, require
from models import Member, MemberState, MentorSkill, RoleProfile, RoleProfileLevel

# Figures about fewer people than this are shown as suppressed, so no one can be singled out.
SUPPRESSION_THRESHOLD = 10


def suppress(count: int) -> int | None:
    """Return the count, or None when it is about fewer than 10 people (including 0)."""
    return count if count >= SUPPRESSION_THRESHOLD else None


@dataclass(frozen=True)
class SectorRow:
    label: str
    # Each value is a count, or None where it is suppressed.
    values: tuple


@dataclass
class SectorView:
    profile_rows: dict[str, list[SectorRow]]
    mentoring_by_area: list[SectorRow]
    mentoring_by_role: list[SectorRow]


async def get_sector_view(admin: Member, area_names: dict[int, str], role_names: dict[int, str]) -> SectorView:
    """Count evidenced levels against each role profile, and mentoring demand against supply.

    Every count under 10 people is suppressed. Runs a fixed number of queries.
    """
    from forum.services.endorsements import get_evidenced_level_map
    from models import Endorsement, EndorsementState, RequestSkill, RequestState

    require(admin, Action.VIEW_SECTOR)
    endorsed_ids = await Endorsement.filter(state=EndorsementState.ACTIVE).order_by("member_id").distinct().values_list(
        "member_id", flat=True
    )
    levels = await get_evidenced_level_map(list(endorsed_ids)) if endorsed_ids else {}
    profiles = await RoleProfile.filter(retired_at__isnull=True)
    expected = await RoleProfileLevel.all().values_list("profile_id", "skill_area_id", "expected_level")

    profile_rows: dict[str, list[SectorRow]] = {}
    for profile in profiles:
        rows = []
        for profile_id, area_id, level in expected:
            if profile_id != profile.id:
                continue
            in_area = [value for (_, area), value in levels.items() if area == area_id]
            meeting = sum(1 for value in in_area if value >= level)
            rows.append(SectorRow(area_names.get(area_id, ""), (level, suppress(len(in_area)), suppress(meeting))))
        profile_rows[profile.name] = rows

    open_states = [RequestState.OPEN, RequestState.ASKED]
    demand = await RequestSkill.filter(request__state__in=open_states).values_list(
        "skill_area_id", "request__mentee_id", "request__mentee__role_id"
    )
    supply = await MentorSkill.filter(
        profile__accepting=True, profile__member__state=MemberState.ACTIVE
    ).values_list("skill_area_id", "profile__member_id", "profile__member__role_id")

    def people_by(rows, index):
        grouped: dict[int, set[int]] = {}
        for row in rows:
            if row[index] is not None:
                grouped.setdefault(row[index], set()).add(row[1])
        return grouped

    demand_areas, supply_areas = people_by(demand, 0), people_by(supply, 0)
    demand_roles, supply_roles = people_by(demand, 2), people_by(supply, 2)
    by_area = [
        SectorRow(name, (suppress(len(demand_areas.get(area_id, ()))), suppress(len(supply_areas.get(area_id, ())))))
        for area_id, name in area_names.items()
    ]
    by_role = [
        SectorRow(name, (suppress(len(demand_roles.get(role_id, ()))), suppress(len(supply_roles.get(role_id, ())))))
        for role_id, name in role_names.items()
    ]
    return SectorView(profile_rows, by_area, by_role)
