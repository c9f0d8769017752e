"""The CPD record: entries a member writes, and drafts the forum writes from what they did.

Drafts come from an accepted answer, a mentoring session or mentorship completed (both
people), an endorsement received, and a learning resource completed. Each draft is
private and marked ``is_draft`` until the member reviews and saves it. The personal-data
check runs on every entry saved, and on the text of every draft before it is stored.
"""

import csv
import io
import logging
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation

from tortoise.expressions import Subquery
from tortoise.transactions import in_transaction

from forum.auth.policy import Action, require
from forum.errors import NotFound, ValidationFailed
from forum.services.privacy import check_personal_data, scan_text
from models import (
    CpdActivityType,
    CpdEntry,
    CpdProvenance,
    CpdVisibility,
    Endorsement,
    Member,
    MemberState,
    MentoringEvent,
    MentoringEventKind,
    MentorSkill,
    Post,
    RoleProfile,
    RoleProfileLevel,
    Thread,
    ThreadState,
)

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


# Entries written by hand ----------------------------------------------------------------


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


# Drafting from events ---------------------------------------------------------------------


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


# Exports ----------------------------------------------------------------------------------

CSV_COLUMNS = (
    "id",
    "title",
    "activity_type",
    "started_on",
    "ended_on",
    "hours",
    "description",
    "learning",
    "impact",
    "peer_reflection",
    "next_steps",
    "evidence_links",
    "skill_area_ids",
    "provenance",
    "is_draft",
    "visibility",
)


def _csv_cell(value: str) -> str:
    """Prefix text a spreadsheet would run as a formula."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def entries_to_csv(entries: list[CpdEntry]) -> str:
    """Write entries as CSV with the stable column names in ``CSV_COLUMNS``."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    for entry in entries:
        writer.writerow([
            entry.id,
            _csv_cell(entry.title),
            entry.activity_type,
            entry.started_on.isoformat(),
            entry.ended_on.isoformat() if entry.ended_on else "",
            str(entry.hours) if entry.hours is not None else "",
            _csv_cell(entry.description),
            _csv_cell(entry.learning),
            _csv_cell(entry.impact),
            _csv_cell(entry.peer_reflection),
            _csv_cell(entry.next_steps),
            " ".join(entry.evidence_links),
            " ".join(str(skill["skill_area_id"]) for skill in entry.skills),
            entry.provenance,
            "true" if entry.is_draft else "false",
            entry.visibility,
        ])
    return buffer.getvalue()


# Progress against a role profile ----------------------------------------------------------

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
    profile is used. At most six queries.
    """
    from forum.services.endorsements import get_evidenced_level_map

    profiles = await RoleProfile.all()
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


# JSON export and its schema ----------------------------------------------------------------

EXPORT_SCHEMA_VERSION = 1
_TEXT = {"type": "string"}
_DAY = {"type": "string", "format": "date", "pattern": r"^\d{4}-\d{2}-\d{2}$"}
_LEVEL = {"type": ["integer", "null"], "minimum": 0, "maximum": 4}

# JSON Schema (draft 2020-12) of the JSON export, also served at /cpd/export.schema.json.
EXPORT_SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "CPD record export",
    "type": "object",
    "required": ["schema_version", "member", "generated_at", "start", "end", "entries"],
    "additionalProperties": False,
    "properties": {
        "schema_version": {"const": EXPORT_SCHEMA_VERSION},
        "member": {
            "type": "object",
            "required": ["handle", "display_name"],
            "additionalProperties": False,
            "properties": {"handle": _TEXT, "display_name": _TEXT},
        },
        "generated_at": {"type": "string", "format": "date-time"},
        "start": {"oneOf": [_DAY, {"type": "null"}]},
        "end": {"oneOf": [_DAY, {"type": "null"}]},
        "entries": {
            "type": "array",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": [
                    "id", "title", "activity_type", "started_on", "ended_on", "hours", "description",
                    "learning", "impact", "peer_reflection", "next_steps", "evidence_links", "skills",
                    "provenance", "is_draft", "visibility",
                ],
                "properties": {
                    "id": {"type": "integer"},
                    "title": _TEXT,
                    "activity_type": {"enum": [str(value) for value in CpdActivityType]},
                    "started_on": _DAY,
                    "ended_on": {"oneOf": [_DAY, {"type": "null"}]},
                    "hours": {"type": ["string", "null"], "pattern": r"^\d+(\.\d{1,2})?$",
                              "description": "Decimal hours as a string, so no precision is lost."},
                    "description": _TEXT,
                    "learning": _TEXT,
                    "impact": _TEXT,
                    "peer_reflection": _TEXT,
                    "next_steps": _TEXT,
                    "evidence_links": {"type": "array", "items": _TEXT},
                    "skills": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "additionalProperties": False,
                            "required": ["skill_area_id", "skill_area", "level_before", "level_after"],
                            "properties": {
                                "skill_area_id": {"type": "integer"},
                                "skill_area": _TEXT,
                                "level_before": _LEVEL,
                                "level_after": _LEVEL,
                            },
                        },
                    },
                    "provenance": {"enum": [str(value) for value in CpdProvenance]},
                    "is_draft": {"type": "boolean"},
                    "visibility": {"enum": [str(value) for value in CpdVisibility]},
                },
            },
        },
    },
}


def entries_to_json(
    member: Member, entries: list[CpdEntry], area_names: dict[int, str], start: date | None, end: date | None
) -> dict:
    """Build the JSON export, which ``EXPORT_SCHEMA`` describes."""
    return {
        "schema_version": EXPORT_SCHEMA_VERSION,
        "member": {"handle": member.handle, "display_name": member.display_name},
        "generated_at": datetime.now(UTC).isoformat(),
        "start": start.isoformat() if start else None,
        "end": end.isoformat() if end else None,
        "entries": [
            {
                "id": entry.id,
                "title": entry.title,
                "activity_type": str(entry.activity_type),
                "started_on": entry.started_on.isoformat(),
                "ended_on": entry.ended_on.isoformat() if entry.ended_on else None,
                "hours": str(entry.hours) if entry.hours is not None else None,
                "description": entry.description,
                "learning": entry.learning,
                "impact": entry.impact,
                "peer_reflection": entry.peer_reflection,
                "next_steps": entry.next_steps,
                "evidence_links": list(entry.evidence_links),
                "skills": [
                    {
                        "skill_area_id": skill["skill_area_id"],
                        "skill_area": area_names.get(skill["skill_area_id"], ""),
                        "level_before": skill.get("level_before"),
                        "level_after": skill.get("level_after"),
                    }
                    for skill in entry.skills
                ],
                "provenance": str(entry.provenance),
                "is_draft": entry.is_draft,
                "visibility": str(entry.visibility),
            }
            for entry in entries
        ],
    }


# Social Work England's CPD form ------------------------------------------------------------

SWE_MINIMUM_ENTRIES = 2


def check_swe_requirement(entries: list[CpdEntry]) -> list[str]:
    """Return what the saved entries still lack for one year's Social Work England renewal.

    The regulator requires at least two entries a year, one of them with peer reflection.
    Returns an empty list when both are met. Drafts do not count.
    """
    saved = [entry for entry in entries if not entry.is_draft]
    missing = []
    if len(saved) < SWE_MINIMUM_ENTRIES:
        missing.append(f"Add {SWE_MINIMUM_ENTRIES - len(saved)} more entry, because at least {SWE_MINIMUM_ENTRIES} are needed."
                       if len(saved) == 1 else f"Add at least {SWE_MINIMUM_ENTRIES} entries.")
    if not any(entry.peer_reflection.strip() for entry in saved):
        missing.append("Add peer reflection to at least one entry.")
    return missing


# Activity timeline ---------------------------------------------------------------------------

TIMELINE_MONTHS = 12


@dataclass(frozen=True)
class MonthActivity:
    month: date
    entries: int
    hours: Decimal


def activity_by_month(entries: list[CpdEntry], today: date) -> list[MonthActivity]:
    """Count saved entries and their hours per month, for the 12 months up to ``today``, oldest first."""
    months = []
    year, month = today.year, today.month
    for _ in range(TIMELINE_MONTHS):
        months.append(date(year, month, 1))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    months.reverse()
    totals = {start: [0, Decimal(0)] for start in months}
    for entry in entries:
        start = entry.started_on.replace(day=1)
        if entry.is_draft or start not in totals:
            continue
        totals[start][0] += 1
        totals[start][1] += entry.hours or Decimal(0)
    return [MonthActivity(start, count, hours) for start, (count, hours) in totals.items()]


# Sector view for admins ---------------------------------------------------------------------

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
    profiles = await RoleProfile.all()
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
