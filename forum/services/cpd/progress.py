"""A member's progress against a role profile, with mentors and resources suggested for each gap."""

from dataclasses import dataclass, field

from models import CpdEntry, Member, MemberState, MentorSkill, RoleProfile, RoleProfileLevel

MENTORS_PER_GAP = 3


@dataclass
class SkillProgress:
    """One skill area of a role profile: the expected level against the member's own."""

    skill_area_id: int
    name: str
    expected: int
    evidenced: int | None
    # The level after, from the member's latest saved entry that names the skill area.
    self_assessed: int | None
    mentors: list = field(default_factory=list)
    resources: list = field(default_factory=list)

    @property
    def best_known(self) -> int:
        if self.evidenced is not None:
            return self.evidenced
        return self.self_assessed or 0

    @property
    def is_gap(self) -> bool:
        return self.best_known < self.expected


@dataclass
class Progress:
    profiles: list[RoleProfile]
    profile: RoleProfile | None
    rows: list[SkillProgress]

    @property
    def gaps(self) -> list[SkillProgress]:
        return [row for row in self.rows if row.is_gap]


def _self_assessed(entries: list[CpdEntry]) -> dict[int, int]:
    """Return the latest stated level after, per skill area, from saved entries."""
    levels: dict[int, int] = {}
    for entry in sorted((e for e in entries if not e.is_draft), key=lambda e: (e.started_on, e.id)):
        for skill in entry.skills:
            if skill.get("level_after") is not None:
                levels[skill["skill_area_id"]] = skill["level_after"]
    return levels


async def get_progress(
    member: Member, entries: list[CpdEntry], area_names: dict[int, str], profile_slug: str = ""
) -> Progress:
    """Compare the member's levels with a role profile's, suggesting mentors and resources for each gap.

    ``profile_slug`` chooses the profile. Without it, or for an unknown slug, the first
    live profile is used. Retired profiles are never offered. At most six queries.
    """
    from forum.services.endorsements import get_evidenced_level_map

    profiles = await RoleProfile.filter(retired_at__isnull=True)
    profile = next((p for p in profiles if p.slug == profile_slug), profiles[0] if profiles else None)
    if profile is None:
        return Progress(profiles, None, [])

    expected = await RoleProfileLevel.filter(profile_id=profile.id).values_list("skill_area_id", "expected_level")
    evidenced = await get_evidenced_level_map([member.id])
    assessed = _self_assessed(entries)
    rows = [
        SkillProgress(
            skill_area_id=area_id,
            name=area_names.get(area_id, ""),
            expected=level,
            evidenced=evidenced.get((member.id, area_id)),
            self_assessed=assessed.get(area_id),
        )
        for area_id, level in expected
    ]
    order = list(area_names)
    rows.sort(key=lambda row: order.index(row.skill_area_id) if row.skill_area_id in order else len(order))
    gaps = [row for row in rows if row.is_gap]
    await _suggest_mentors(member, gaps)
    await _suggest_resources(gaps)
    return Progress(profiles, profile, rows)


async def _suggest_resources(gaps: list[SkillProgress]) -> None:
    """Attach up to three learning resources to each gap that suit the next level up. One query."""
    from forum.services.learning import list_suggestions

    if not gaps:
        return
    suggestions = await list_suggestions({gap.skill_area_id: min(gap.best_known + 1, 4) for gap in gaps})
    for gap in gaps:
        gap.resources = suggestions.get(gap.skill_area_id, [])


async def _suggest_mentors(member: Member, gaps: list[SkillProgress]) -> None:
    """Attach up to three accepting mentors to each gap, at or above the expected level. One query."""
    if not gaps:
        return
    offers = await MentorSkill.filter(
        skill_area_id__in=[gap.skill_area_id for gap in gaps],
        profile__accepting=True,
        profile__member__state=MemberState.ACTIVE,
    ).exclude(profile__member_id=member.id).select_related("profile__member").order_by("-level", "id")
    for gap in gaps:
        gap.mentors = [
            offer.profile.member
            for offer in offers
            if offer.skill_area_id == gap.skill_area_id and offer.level >= gap.expected
        ][:MENTORS_PER_GAP]
