"""The signposting directory of learning resources: curation, search, completion and rating.

Marking a resource completed drafts a CPD entry for the member.
"""

import logging
from dataclasses import dataclass
from datetime import UTC, datetime

from tortoise.expressions import Q
from tortoise.functions import Avg, Count
from tortoise.transactions import in_transaction

from forum.auth.policy import Action, require
from forum.errors import NotFound, ValidationFailed
from models import (
    CpdActivityType,
    LearningResource,
    Member,
    ResourceCompletion,
    ResourceCost,
    ResourceFormat,
)

logger = logging.getLogger(__name__)

FORMAT_LABELS = {
    ResourceFormat.COURSE: "Course",
    ResourceFormat.ARTICLE: "Article",
    ResourceFormat.VIDEO: "Video",
    ResourceFormat.BOOK: "Book",
    ResourceFormat.TOOL: "Tool",
    ResourceFormat.EVENT: "Event",
}
COST_LABELS = {ResourceCost.FREE: "Free", ResourceCost.PAID: "Paid"}
ACTIVITY_FOR_FORMAT = {
    ResourceFormat.COURSE: CpdActivityType.COURSE,
    ResourceFormat.ARTICLE: CpdActivityType.READING,
    ResourceFormat.BOOK: CpdActivityType.READING,
    ResourceFormat.VIDEO: CpdActivityType.SELF_DIRECTED_STUDY,
    ResourceFormat.TOOL: CpdActivityType.SELF_DIRECTED_STUDY,
    ResourceFormat.EVENT: CpdActivityType.EVENT,
}
SEARCH_MAX = 100


@dataclass(frozen=True)
class ResourceFilter:
    """The directory's filters, as typed into its form."""

    query: str = ""
    skill_area: str = ""
    format: str = ""
    cost: str = ""
    level: str = ""


async def list_resources(resource_filter: ResourceFilter) -> list[LearningResource]:
    """Return resources matching every filter given, with ``average_rating`` and ``rating_count`` set.

    Skill area and level filters run in Python over the JSON lists, so one query serves
    any filter. NOTE: that reads every resource matching the text filters, which suits a
    curated directory of hundreds, not tens of thousands.
    """
    query = LearningResource.all()
    text = resource_filter.query.strip()[:SEARCH_MAX]
    if text:
        query = query.filter(Q(title__icontains=text) | Q(provider__icontains=text) | Q(description__icontains=text))
    if resource_filter.format in set(ResourceFormat):
        query = query.filter(format=resource_filter.format)
    if resource_filter.cost in set(ResourceCost):
        query = query.filter(cost=resource_filter.cost)
    resources = await query
    if resource_filter.skill_area.isdigit():
        area_id = int(resource_filter.skill_area)
        resources = [resource for resource in resources if area_id in resource.skill_area_ids]
    if resource_filter.level.isdigit():
        level = int(resource_filter.level)
        resources = [resource for resource in resources if level in resource.levels]
    await _attach_ratings(resources)
    return resources


async def _attach_ratings(resources: list[LearningResource]) -> None:
    rows = await ResourceCompletion.filter(
        resource_id__in=[resource.id for resource in resources], rating__isnull=False
    ).group_by("resource_id").annotate(average=Avg("rating"), count=Count("id")).values("resource_id", "average", "count")
    by_id = {row["resource_id"]: row for row in rows}
    for resource in resources:
        row = by_id.get(resource.id)
        resource.average_rating = round(float(row["average"]), 1) if row else None
        resource.rating_count = row["count"] if row else 0


async def access_resource(resource_id: int) -> LearningResource:
    resource = await LearningResource.filter(id=resource_id).first()
    if resource is None:
        raise NotFound()
    await _attach_ratings([resource])
    return resource


@dataclass(frozen=True)
class ResourceDraft:
    title: str = ""
    provider: str = ""
    url: str = ""
    format: str = ""
    cost: str = ""
    description: str = ""
    skill_area_ids: tuple[str, ...] = ()
    levels: tuple[str, ...] = ()


def check_resource(draft: ResourceDraft, skill_area_ids: set[int]) -> dict:
    """Validate an admin's resource form.

    :raises ValidationFailed: with one message per invalid field.
    """
    errors: dict[str, str] = {}
    title, provider, url = draft.title.strip(), draft.provider.strip(), draft.url.strip()
    if not title or len(title) > 200:
        errors["title"] = "Enter a title of up to 200 characters."
    if not provider or len(provider) > 200:
        errors["provider"] = "Enter the provider, such as the organisation that runs the course, in up to 200 characters."
    if not url.startswith("https://") or len(url) > 500:
        errors["url"] = "Enter the link, starting with https://, in up to 500 characters."
    if draft.format not in set(ResourceFormat):
        errors["format"] = "Choose the format."
    if draft.cost not in set(ResourceCost):
        errors["cost"] = "Choose whether it is free or paid."
    areas = sorted({int(value) for value in draft.skill_area_ids if value.isdigit()})
    if not areas or any(area not in skill_area_ids for area in areas):
        errors["skill_area_ids"] = "Choose at least one skill area from the list."
    levels = sorted({int(value) for value in draft.levels if value.isdigit()})
    if not levels or any(not 0 <= level <= 4 for level in levels):
        errors["levels"] = "Choose at least one level the resource suits."
    if errors:
        raise ValidationFailed(errors)
    return {
        "title": title,
        "provider": provider,
        "url": url,
        "format": draft.format,
        "cost": draft.cost,
        "description": draft.description.strip(),
        "skill_area_ids": areas,
        "levels": levels,
    }


async def do_save_resource(
    admin: Member, draft: ResourceDraft, resource: LearningResource | None = None
) -> LearningResource:
    require(admin, Action.MANAGE_LEARNING_RESOURCES)
    from models import SkillArea

    values = check_resource(draft, set(await SkillArea.all().values_list("id", flat=True)))
    if resource is None:
        resource = await LearningResource.create(**values)
    else:
        await LearningResource.filter(id=resource.id).update(**values)
    logger.info("learning resource saved", extra={"resource_id": resource.id, "member_id": admin.id})
    return resource


async def get_completion(member: Member | None, resource: LearningResource) -> ResourceCompletion | None:
    if member is None:
        return None
    return await ResourceCompletion.filter(member_id=member.id, resource_id=resource.id).first()


async def do_mark_completed(member: Member, resource: LearningResource, rating: str = "") -> ResourceCompletion:
    """Record that the member finished the resource, with an optional rating, and draft a CPD entry.

    Marking again updates the rating and leaves the drafted entry as it is.
    """
    from forum.services.cpd import create_drafts

    require(member, Action.COMPLETE_RESOURCE)
    score = None
    if rating.strip():
        if not rating.strip().isdigit() or not 1 <= int(rating) <= 5:
            raise ValidationFailed({"rating": "Choose a rating from 1 to 5 stars, or leave it blank."})
        score = int(rating)
    today = datetime.now(UTC).date()
    async with in_transaction():
        completion = await ResourceCompletion.filter(member_id=member.id, resource_id=resource.id).first()
        if completion is None:
            completion = await ResourceCompletion.create(
                member_id=member.id, resource_id=resource.id, rating=score, completed_on=today
            )
        else:
            await ResourceCompletion.filter(id=completion.id).update(rating=score)
            completion.rating = score
        await create_drafts(member.id, [{
            "source_key": f"resource:{resource.id}",
            "title": f"{resource.title} ({resource.provider})"[:200],
            "activity_type": ACTIVITY_FOR_FORMAT[ResourceFormat(resource.format)],
            "started_on": today,
            "ended_on": today,
            "description": resource.description[:2000],
            "evidence_links": [resource.url],
            "skills": [
                {"skill_area_id": area_id, "level_before": None, "level_after": None}
                for area_id in resource.skill_area_ids
            ],
        }])
    logger.info("learning resource completed", extra={"resource_id": resource.id, "member_id": member.id})
    return completion


async def list_suggestions(area_levels: dict[int, int]) -> dict[int, list[LearningResource]]:
    """Return up to three resources per skill area that suit the level given for it. One query."""
    resources = await LearningResource.all()
    suggestions: dict[int, list[LearningResource]] = {}
    for area_id, level in area_levels.items():
        suggestions[area_id] = [
            resource for resource in resources if area_id in resource.skill_area_ids and level in resource.levels
        ][:3]
    return suggestions


# Specialists for scarce skills ------------------------------------------------------------------

# A skill area is scarce when at most this many accepting mentors offer it at practitioner level or above.
SCARCE_MAX_MENTORS = 3
SPECIALIST_LEVEL = 3


@dataclass
class ScarceSkill:
    skill_area_id: int
    name: str
    # (member, level, availability) for each specialist, highest level first.
    specialists: list


async def list_scarce_specialists(area_names: dict[int, str]) -> list[ScarceSkill]:
    """Return the skill areas with few specialists, and those specialists' office hours. One query.

    Areas that no mentor offers at practitioner level are listed too, with no specialists,
    so that admins can see where help is missing.
    """
    from models import MemberState, MentorSkill

    offers = await MentorSkill.filter(
        level__gte=SPECIALIST_LEVEL, profile__accepting=True, profile__member__state=MemberState.ACTIVE
    ).select_related("profile__member").order_by("-level", "id")
    by_area: dict[int, list] = {}
    for offer in offers:
        by_area.setdefault(offer.skill_area_id, []).append(
            (offer.profile.member, offer.level, offer.profile.availability)
        )
    return [
        ScarceSkill(area_id, name, by_area.get(area_id, []))
        for area_id, name in area_names.items()
        if len(by_area.get(area_id, [])) <= SCARCE_MAX_MENTORS
    ]
