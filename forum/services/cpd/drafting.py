"""Drafting CPD entries from events: accepted answers, mentoring, endorsements and learning.

Each draft is private and marked ``is_draft`` until the member reviews and saves it. The
text of every draft goes through the personal-data check before it is stored.
"""

import logging
from datetime import UTC, datetime
from decimal import Decimal

from tortoise.expressions import Subquery
from tortoise.transactions import in_transaction

from forum.services.cpd.entries import TITLE_MAX, _parse_day
from forum.services.privacy import scan_text
from models import (
    CpdActivityType,
    CpdEntry,
    CpdProvenance,
    Endorsement,
    Member,
    MentoringEvent,
    MentoringEventKind,
    Post,
    Thread,
    ThreadState,
)

logger = logging.getLogger(__name__)


def _safe(text: str) -> str:
    """Return text for a drafted entry, or a neutral sentence if it looks like personal data."""
    if scan_text(text):
        return "Some details were left out because they looked like personal data. Add your own summary."
    return text


async def create_drafts(member_id: int, drafts: list[dict]) -> int:
    """Store drafted entries whose source_key the member has no entry for yet."""
    if not drafts:
        return 0
    keys = [draft["source_key"] for draft in drafts]
    existing = set(
        await CpdEntry.filter(member_id=member_id, source_key__in=keys).values_list("source_key", flat=True)
    )
    new = [
        CpdEntry(member_id=member_id, provenance=CpdProvenance.DRAFTED, is_draft=True, **draft)
        for draft in drafts
        if draft["source_key"] not in existing
    ]
    if new:
        await CpdEntry.bulk_create(new)
    return len(new)


async def do_draft_from_endorsement(endorsement: Endorsement, endorser: Member) -> None:
    """Draft a peer-reflection entry for the endorsed member. Called inside the endorsement's transaction."""
    await create_drafts(endorsement.member_id, [{
        "source_key": f"endorsement:{endorsement.id}",
        "title": f"Endorsement from {endorser.display_name}",
        "activity_type": CpdActivityType.PEER_DISCUSSION,
        "started_on": endorsement.observed_from,
        "ended_on": endorsement.observed_to,
        "description": "A colleague endorsed my work after observing it.",
        "peer_reflection": _safe(endorsement.statement),
        "evidence_links": [f"/endorsements/{endorsement.id}"],
        "skills": [{"skill_area_id": endorsement.skill_area_id, "level_before": None, "level_after": endorsement.level}],
    }])


def _mentoring_draft(event: MentoringEvent) -> dict:
    data = event.data
    is_mentor = data.get("side") == "mentor"
    other = data.get("other_name") or "a member"
    day = event.occurred_at.date()
    area_ids = data.get("skill_area_ids") or [goal.get("skill_area_id") for goal in data.get("goals", [])]
    skills = [
        {"skill_area_id": area_id, "level_before": None, "level_after": None} for area_id in area_ids if area_id
    ]
    if event.kind == MentoringEventKind.MENTORSHIP_COMPLETED:
        title = f"Completed mentorship {'of' if is_mentor else 'with'} {other}"
        started_on = _parse_day(data.get("started_on", "")) or day
        minutes = data.get("total_minutes") or 0
        description = f"A mentorship of {data.get('session_count', 0)} sessions."
    else:
        title = f"Mentoring session {'given to' if is_mentor else 'with'} {other}"
        started_on = _parse_day(data.get("held_on", "")) or day
        minutes = data.get("minutes") or 0
        description = "A mentoring session."
    return {
        "source_key": f"mentoring:{event.id}",
        "title": _safe(title)[:TITLE_MAX],
        "activity_type": CpdActivityType.MENTORING_GIVEN if is_mentor else CpdActivityType.MENTORING_RECEIVED,
        "started_on": started_on,
        "ended_on": day,
        "hours": (Decimal(minutes) / 60).quantize(Decimal("0.01")) if minutes else None,
        "description": description,
        "evidence_links": [f"/mentoring/mentorships/{event.mentorship_id}"],
        "skills": skills,
    }


async def do_sync_drafts(member: Member) -> int:
    """Draft entries for accepted answers and mentoring events not drafted yet.

    Runs when the member opens their record, so the record assembles itself without the
    Q&A and mentoring services calling in. Returns how many drafts were written. Issues
    at most six queries whatever the number of events.
    """
    now = datetime.now(UTC)
    threads = await Thread.filter(
        accepted_post_id__in=Subquery(Post.filter(author_id=member.id, is_hidden=False).values("id"))
    ).exclude(state=ThreadState.HIDDEN)
    answered_on = dict(
        await Post.filter(id__in=[thread.accepted_post_id for thread in threads]).values_list("id", "created_at")
    ) if threads else {}
    drafts = []
    for thread in threads:
        day = answered_on.get(thread.accepted_post_id, now).date()
        drafts.append({
            "source_key": f"accepted_answer:{thread.accepted_post_id}",
            "title": _safe(f"Accepted answer: {thread.title}")[:TITLE_MAX],
            "activity_type": CpdActivityType.COMMUNITY_CONTRIBUTION,
            "started_on": day,
            "ended_on": day,
            "description": "My answer to a colleague's question was accepted as the solution.",
            "evidence_links": [f"/posts/{thread.accepted_post_id}"],
            "skills": [{"skill_area_id": thread.skill_area_id, "level_before": None, "level_after": None}]
            if thread.skill_area_id
            else [],
        })
    events = await MentoringEvent.filter(member_id=member.id, processed_at__isnull=True)
    drafts.extend(_mentoring_draft(event) for event in events)
    async with in_transaction():
        written = await create_drafts(member.id, drafts)
        if events:
            await MentoringEvent.filter(id__in=[event.id for event in events]).update(processed_at=now)
    if written:
        logger.info("cpd entries drafted", extra={"member_id": member.id, "count": written})
    return written
