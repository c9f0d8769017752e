"""CPD entries that a member writes by hand: the form, its checks, and the member's own list."""

import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation

from forum.auth.policy import Action, can, require
from forum.errors import Forbidden, NotFound, ValidationFailed
from forum.services.privacy import check_personal_data
from models import CpdActivityType, CpdEntry, CpdProvenance, CpdVisibility, Member

logger = logging.getLogger(__name__)

TITLE_MAX = 200
TEXT_MAX = 10000
HOURS_MAX = Decimal("1000")
LINKS_MAX = 10
SKILL_ROWS = 3
TEXT_FIELDS = ("title", "description", "learning", "impact", "peer_reflection", "next_steps")

ACTIVITY_LABELS = {
    CpdActivityType.COURSE: "Course",
    CpdActivityType.SELF_DIRECTED_STUDY: "Self-directed study",
    CpdActivityType.MENTORING_RECEIVED: "Mentoring received",
    CpdActivityType.MENTORING_GIVEN: "Mentoring given",
    CpdActivityType.PEER_DISCUSSION: "Peer discussion",
    CpdActivityType.COMMUNITY_CONTRIBUTION: "Community contribution",
    CpdActivityType.WORK_PROJECT: "Work project",
    CpdActivityType.EVENT: "Event",
    CpdActivityType.SUPERVISION: "Supervision",
    CpdActivityType.TEACHING: "Teaching",
    CpdActivityType.READING: "Reading",
    CpdActivityType.OTHER: "Other",
}
VISIBILITY_LABELS = {
    CpdVisibility.PRIVATE: "Private: only you",
    CpdVisibility.MENTOR: "Shared with your mentor",
    CpdVisibility.PUBLIC_SUMMARY: "Public summary: title, type and dates only",
}


@dataclass(frozen=True)
class SkillRow:
    skill_area: str = ""
    level_before: str = ""
    level_after: str = ""


@dataclass(frozen=True)
class EntryDraft:
    """The CPD entry form as submitted, every field a string."""

    title: str = ""
    activity_type: str = ""
    started_on: str = ""
    ended_on: str = ""
    hours: str = ""
    description: str = ""
    learning: str = ""
    impact: str = ""
    peer_reflection: str = ""
    next_steps: str = ""
    evidence_links: str = ""
    visibility: str = CpdVisibility.PRIVATE
    skills: tuple[SkillRow, ...] = ()
    personal_data_confirmed: bool = False


def _parse_day(value: str) -> date | None:
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        return None


def _check_skills(rows: tuple[SkillRow, ...], skill_area_ids: set[int], errors: dict[str, str]) -> list[dict]:
    skills = []
    for index, row in enumerate(rows):
        if not row.skill_area.strip():
            continue
        if not row.skill_area.isdigit() or int(row.skill_area) not in skill_area_ids:
            errors[f"skill_area_{index}"] = "Choose a skill area from the list."
            continue
        levels = {}
        for name, value in (("level_before", row.level_before), ("level_after", row.level_after)):
            if value.strip() == "":
                levels[name] = None
            elif value.isdigit() and 0 <= int(value) <= 4:
                levels[name] = int(value)
            else:
                errors[f"{name}_{index}"] = "Choose a level from none to expert."
        skills.append({"skill_area_id": int(row.skill_area), **levels})
    return skills


def draft_from_entry(entry: CpdEntry) -> EntryDraft:
    """Return a stored entry's fields in the shape of its edit form."""
    skills = tuple(
        SkillRow(
            str(skill["skill_area_id"]),
            "" if skill.get("level_before") is None else str(skill["level_before"]),
            "" if skill.get("level_after") is None else str(skill["level_after"]),
        )
        for skill in entry.skills
    )
    return EntryDraft(
        title=entry.title,
        activity_type=entry.activity_type,
        started_on=entry.started_on.isoformat(),
        ended_on=entry.ended_on.isoformat() if entry.ended_on else "",
        hours=str(entry.hours) if entry.hours is not None else "",
        description=entry.description,
        learning=entry.learning,
        impact=entry.impact,
        peer_reflection=entry.peer_reflection,
        next_steps=entry.next_steps,
        evidence_links="\n".join(entry.evidence_links),
        visibility=entry.visibility,
        skills=skills,
    )


def check_entry(draft: EntryDraft, skill_area_ids: set[int], today: date) -> dict:
    """Validate the form and return the entry's fields.

    :raises ValidationFailed: with one message per invalid field.
    """
    errors: dict[str, str] = {}
    title = " ".join(draft.title.split())
    if not title:
        errors["title"] = "Enter a title for this entry."
    elif len(title) > TITLE_MAX:
        errors["title"] = f"Shorten the title to {TITLE_MAX} characters or fewer. It has {len(title)}."
    try:
        activity_type = CpdActivityType(draft.activity_type)
    except ValueError:
        activity_type = None
        errors["activity_type"] = "Choose the type of activity."
    started_on = _parse_day(draft.started_on)
    if started_on is None:
        errors["started_on"] = "Enter the date the activity started, as YYYY-MM-DD."
    elif started_on > today:
        errors["started_on"] = "The start date must be today or in the past."
    ended_on = None
    if draft.ended_on.strip():
        ended_on = _parse_day(draft.ended_on)
        if ended_on is None:
            errors["ended_on"] = "Enter the date the activity ended, as YYYY-MM-DD, or leave it blank."
        elif started_on and ended_on < started_on:
            errors["ended_on"] = "The end date must be on or after the start date."
    hours = None
    if draft.hours.strip():
        try:
            hours = Decimal(draft.hours.strip())
        except InvalidOperation:
            errors["hours"] = "Enter the hours as a number, such as 1.5, or leave it blank."
        else:
            if not Decimal(0) < hours <= HOURS_MAX or hours.as_tuple().exponent < -2:
                errors["hours"] = f"Enter hours above 0 and up to {HOURS_MAX}, with at most 2 decimal places."
    texts = {}
    for name in TEXT_FIELDS[1:]:
        value = getattr(draft, name).strip()
        if len(value) > TEXT_MAX:
            errors[name] = f"Shorten this to {TEXT_MAX} characters or fewer. It has {len(value)}."
        texts[name] = value
    links = [line.strip() for line in draft.evidence_links.splitlines() if line.strip()]
    if len(links) > LINKS_MAX:
        errors["evidence_links"] = f"Enter at most {LINKS_MAX} links."
    elif any(not link.startswith(("https://", "http://", "/")) for link in links):
        errors["evidence_links"] = "Enter each link on its own line, starting with https:// or /."
    try:
        visibility = CpdVisibility(draft.visibility)
    except ValueError:
        visibility = None
        errors["visibility"] = "Choose who can see this entry."
    skills = _check_skills(draft.skills, skill_area_ids, errors)
    if errors:
        raise ValidationFailed(errors)
    return {
        "title": title,
        "activity_type": activity_type,
        "started_on": started_on,
        "ended_on": ended_on,
        "hours": hours,
        **texts,
        "evidence_links": links,
        "visibility": visibility,
        "skills": skills,
    }


async def do_save_entry(member: Member, draft: EntryDraft, entry: CpdEntry | None = None) -> CpdEntry:
    """Create an entry, or update one (which also confirms a drafted entry).

    :raises ValidationFailed: for invalid fields.
    :raises PersonalDataFound: when a text looks like personal data and is not confirmed.
    """
    require(member, Action.KEEP_CPD_RECORD, entry)
    from models import SkillArea

    skill_area_ids = set(await SkillArea.all().values_list("id", flat=True))
    values = check_entry(draft, skill_area_ids, datetime.now(UTC).date())
    check_personal_data(
        member, {name: values[name] for name in TEXT_FIELDS}, confirmed=draft.personal_data_confirmed
    )
    if entry is None:
        entry = await CpdEntry.create(member_id=member.id, provenance=CpdProvenance.MANUAL, **values)
        logger.info("cpd entry written", extra={"entry_id": entry.id, "member_id": member.id})
        return entry
    await CpdEntry.filter(id=entry.id).update(is_draft=False, **values)
    logger.info("cpd entry updated", extra={"entry_id": entry.id, "member_id": member.id})
    return await CpdEntry.get(id=entry.id)


async def access_entry(member: Member | None, entry_id: int) -> CpdEntry:
    """Return one of the member's own entries, or raise NotFound."""
    entry = await CpdEntry.filter(id=entry_id).first()
    if entry is None or member is None or entry.member_id != member.id:
        raise NotFound()
    return entry


async def do_delete_entry(member: Member, entry: CpdEntry) -> None:
    require(member, Action.KEEP_CPD_RECORD, entry)
    await CpdEntry.filter(id=entry.id).delete()
    logger.info("cpd entry deleted", extra={"entry_id": entry.id, "member_id": member.id})


async def list_entries(member: Member, *, start: date | None = None, end: date | None = None) -> list[CpdEntry]:
    """Return the member's entries, newest first, optionally within a date range. One query."""
    require(member, Action.KEEP_CPD_RECORD)
    query = CpdEntry.filter(member_id=member.id)
    if start:
        query = query.filter(started_on__gte=start)
    if end:
        query = query.filter(started_on__lte=end)
    return await query


async def list_shared_with_mentor(viewer: Member, mentorship) -> list[CpdEntry]:
    """Return the mentee's saved entries shared with their mentor, newest first, read-only. One query.

    The policy lets the mentee and the mentor of a current (agreed, active or extended)
    mentorship see them. Drafts are never listed, because a draft is shared only once the
    member saves it with that visibility.
    """
    if viewer is not None and viewer.id == mentorship.mentor_id and not can(viewer, Action.VIEW_SHARED_CPD, mentorship):
        raise Forbidden(
            "This mentorship has ended, so the entries your mentee shared with you are closed. "
            "Ask them to share them again if you start a new mentorship."
        )
    require(viewer, Action.VIEW_SHARED_CPD, mentorship)
    return await CpdEntry.filter(
        member_id=mentorship.mentee_id, visibility=CpdVisibility.MENTOR, is_draft=False
    )
