"""Load the demo's learning resources, completions, endorsements, CPD entries and credentials.

Everything goes through the services, so every endorsement rule, the personal-data check
and the drafting of CPD entries apply as they do for real members. Endorsements are dated
in the past with the services' ``now`` argument, oldest first, so that endorsers reach an
evidenced level before they endorse at the level above it.
"""

import dataclasses
import logging
from datetime import date, datetime, timedelta

from forum import demo_content
from forum.config import Settings
from models import (
    Endorsement,
    LearningResource,
    Member,
    Mentorship,
    Post,
    SkillArea,
    SkillLevel,
    Thread,
)

logger = logging.getLogger(__name__)


async def do_load_demo_cpd(
    members: dict[str, Member], areas: dict[str, SkillArea], now: datetime, settings: Settings
) -> dict[str, int]:
    """Add the demo's CPD content that is missing; return how many of each kind were added.

    Resources are matched by title. The rest is skipped as a whole once any demo
    endorsement exists, because endorsements cannot be repeated within a year.
    """
    from forum.services import cpd, credentials, endorsements, learning

    added = {"learning_resources": 0, "resource_completions": 0, "endorsements": 0, "cpd_entries": 0,
             "credentials": 0}
    admin = next(member for member in members.values() if member.permission == "admin")
    resources = {resource.title: resource for resource in await LearningResource.all()}
    for row in demo_content.LEARNING_RESOURCES:
        if row["title"] in resources:
            continue
        draft = learning.ResourceDraft(
            title=row["title"], provider=row["provider"], url=row["url"], format=row["format"], cost=row["cost"],
            description=row["description"],
            skill_area_ids=tuple(str(areas[slug].id) for slug in row["skill_areas"]),
            levels=tuple(str(level) for level in row["levels"]),
        )
        resources[row["title"]] = await learning.do_save_resource(admin, draft)
        added["learning_resources"] += 1

    demo_ids = [member.id for member in members.values()]
    if await Endorsement.filter(endorser_id__in=demo_ids).exists():
        return added

    for handle, title, rating in demo_content.RESOURCE_COMPLETIONS:
        await learning.do_mark_completed(members[handle], resources[title], "" if rating is None else str(rating))
        added["resource_completions"] += 1

    for row in demo_content.ENDORSEMENTS:
        endorser = members[row["endorser"]]
        evidence = await endorsements.access_evidence(endorser, *await _evidence_key(row["evidence"], members))
        observed_from, observed_to = (now - timedelta(days=days) for days in row["observed"])
        draft = endorsements.EndorsementDraft(
            skill_area=str(areas[row["skill_area"]].id), level=str(row["level"]), relationship=row["relationship"],
            observed_from=observed_from.date().isoformat(), observed_to=observed_to.date().isoformat(),
            statement=row["statement"],
        )
        await endorsements.do_endorse(endorser, evidence, draft, now=now - timedelta(days=row["days_ago"]))
        added["endorsements"] += 1

    today = now.date()
    for row in demo_content.CPD_ENTRIES:
        await cpd.do_save_entry(members[row["handle"]], _entry_draft(row, areas, today))
        added["cpd_entries"] += 1

    for handle, title_start, reflection in demo_content.CONFIRMED_DRAFTS:
        member = members[handle]
        await cpd.do_sync_drafts(member)
        entry = next(entry for entry in await cpd.list_entries(member) if entry.title.startswith(title_start))
        await cpd.do_save_entry(member, _confirmed_draft(entry, reflection), entry)

    level_names = dict(await SkillLevel.all().values_list("value", "name"))
    for handle, slug in demo_content.CREDENTIALS:
        await credentials.do_issue_credential(settings, members[handle], areas[slug].id, level_names)
        added["credentials"] += 1
    return added


async def _evidence_key(evidence: tuple, members: dict[str, Member]) -> tuple[str, int]:
    """Turn a demo evidence row into the (kind, object id) that access_evidence takes."""
    kind = evidence[0]
    if kind == "post":
        post = await Post.get(thread__title=evidence[1], thread__source_site__isnull=True, number=evidence[2])
        return "post", post.id
    if kind == "resource":
        thread = await Thread.get(title=evidence[1], source_site__isnull=True)
        return "resource", thread.id
    mentorship = await Mentorship.filter(
        mentor_id=members[evidence[1]].id, mentee_id=members[evidence[2]].id
    ).order_by("-id").first()
    return "mentorship", mentorship.id


def _entry_draft(row: dict, areas: dict[str, SkillArea], today: date):
    from forum.services.cpd import EntryDraft, SkillRow

    ended = row["ended_days_ago"]
    return EntryDraft(
        title=row["title"],
        activity_type=row["activity_type"],
        started_on=(today - timedelta(days=row["started_days_ago"])).isoformat(),
        ended_on="" if ended is None else (today - timedelta(days=ended)).isoformat(),
        hours=row["hours"],
        description=row["description"],
        learning=row["learning"],
        impact=row["impact"],
        peer_reflection=row["peer_reflection"],
        next_steps=row["next_steps"],
        visibility=row["visibility"],
        skills=tuple(SkillRow(str(areas[slug].id), str(before), str(after)) for slug, before, after in row["skills"]),
    )


def _confirmed_draft(entry, reflection: str):
    """Return a drafted entry's fields as the member would save them, with their reflection added."""
    from forum.services.cpd import draft_from_entry

    peer_reflection = entry.peer_reflection + "\n\n" + reflection if entry.peer_reflection else reflection
    return dataclasses.replace(draft_from_entry(entry), peer_reflection=peer_reflection, visibility="mentor")
