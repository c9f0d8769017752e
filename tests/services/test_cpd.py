"""The CPD record: entries by hand, drafts from events, and the CSV export."""

import csv
import io
from datetime import date
from decimal import Decimal

import pytest

from forum.errors import NotFound, ValidationFailed
from forum.services import cpd, qa
from forum.services.cpd import EntryDraft, SkillRow
from forum.services.privacy import PersonalDataFound
from models import CpdEntry, MentoringEvent, MentorshipState, Post
from tests.factories import make_member, make_reply, make_thread
from tests.services.test_mentoring import _pair_in


def _entry(**fields) -> EntryDraft:
    defaults = {
        "title": "Power BI row-level security course",
        "activity_type": "course",
        "started_on": "2026-03-02",
        "ended_on": "2026-03-03",
        "hours": "7.5",
        "description": "A two-day course on securing shared reports.",
        "learning": "How roles filter rows for each user.",
        "impact": "Our school reports now show each head only their own school.",
        "peer_reflection": "Talked it through with our BI lead.",
        "evidence_links": "https://example.org/certificate\n/posts/1",
    }
    return EntryDraft(**{**defaults, **fields})


async def test_entry_saved_private_by_default(skill_areas):
    member = await make_member()
    area = skill_areas["data-quality"]

    entry = await cpd.do_save_entry(member, _entry(skills=(SkillRow(str(area.id), "1", "2"),)))

    assert entry.provenance == "manual"
    assert entry.visibility == "private"
    assert str(entry.hours) == "7.50"
    assert entry.skills == [{"skill_area_id": area.id, "level_before": 1, "level_after": 2}]
    assert entry.evidence_links == ["https://example.org/certificate", "/posts/1"]


ENTRY_CASES = [
    ({"title": " "}, "title", "Enter a title for this entry."),
    ({"title": "x" * 201}, "title", "Shorten the title to 200 characters or fewer. It has 201."),
    ({"activity_type": "holiday"}, "activity_type", "Choose the type of activity."),
    ({"started_on": "March"}, "started_on", "Enter the date the activity started, as YYYY-MM-DD."),
    ({"started_on": "2099-01-01", "ended_on": ""}, "started_on", "The start date must be today or in the past."),
    ({"ended_on": "2026-03-01"}, "ended_on", "The end date must be on or after the start date."),
    ({"ended_on": "soon"}, "ended_on", "Enter the date the activity ended, as YYYY-MM-DD, or leave it blank."),
    ({"hours": "seven"}, "hours", "Enter the hours as a number, such as 1.5, or leave it blank."),
    ({"hours": "0"}, "hours", "Enter hours above 0 and up to 1000, with at most 2 decimal places."),
    ({"hours": "1.255"}, "hours", "Enter hours above 0 and up to 1000, with at most 2 decimal places."),
    ({"learning": "x" * 10001}, "learning", "Shorten this to 10000 characters or fewer. It has 10001."),
    ({"evidence_links": "javascript:alert(1)"}, "evidence_links", "Enter each link on its own line, starting with https:// or /."),
    ({"evidence_links": "\n".join(["/a"] * 11)}, "evidence_links", "Enter at most 10 links."),
    ({"visibility": "everyone"}, "visibility", "Choose who can see this entry."),
    ({"skills": (SkillRow("99999", "1", "2"),)}, "skill_area_0", "Choose a skill area from the list."),
]


@pytest.mark.parametrize(("fields", "field", "message"), ENTRY_CASES)
async def test_entry_validation(fields, field, message):
    member = await make_member()

    with pytest.raises(ValidationFailed) as error:
        await cpd.do_save_entry(member, _entry(**fields))

    assert error.value.errors[field] == message


async def test_entry_level_outside_scale_refused(skill_areas):
    member = await make_member()
    row = SkillRow(str(skill_areas["data-quality"].id), "1", "7")

    with pytest.raises(ValidationFailed) as error:
        await cpd.do_save_entry(member, _entry(skills=(row,)))

    assert error.value.errors == {"level_after_0": "Choose a level from none to expert."}


async def test_entry_personal_data_check_runs(skill_areas):
    member = await make_member()
    draft = _entry(impact="Helped the child with NHS number 943 476 5919 get a place.")

    with pytest.raises(PersonalDataFound):
        await cpd.do_save_entry(member, draft)
    confirmed = await cpd.do_save_entry(member, EntryDraft(**{**draft.__dict__, "personal_data_confirmed": True}))

    assert confirmed.id


async def test_other_members_entry_not_found():
    owner, other = await make_member(), await make_member()
    entry = await cpd.do_save_entry(owner, _entry())

    with pytest.raises(NotFound):
        await cpd.access_entry(other, entry.id)


async def test_saving_a_draft_confirms_it():
    member = await make_member()
    draft = await CpdEntry.create(
        member_id=member.id, title="Drafted", activity_type="other", started_on=date(2026, 1, 5),
        provenance="drafted", is_draft=True, source_key="test:1",
    )

    saved = await cpd.do_save_entry(member, _entry(), draft)

    assert not saved.is_draft
    assert saved.provenance == "drafted"


# Drafting from events ------------------------------------------------------------------


async def test_accepted_answer_drafts_entry_once():
    asker, answerer = await make_member(), await make_member()
    thread = await make_thread(author=asker, title="How do you check census returns for duplicates?")
    reply = await make_reply(thread, author=answerer)
    post = await Post.filter(id=reply.id).select_related("thread").get()
    await qa.do_accept_answer(asker, post)

    first = await cpd.do_sync_drafts(answerer)
    second = await cpd.do_sync_drafts(answerer)

    assert (first, second) == (1, 0)
    entry = await CpdEntry.get(member_id=answerer.id)
    assert entry.title == "Accepted answer: How do you check census returns for duplicates?"
    assert entry.activity_type == "community_contribution"
    assert entry.is_draft
    assert entry.visibility == "private"
    assert entry.evidence_links == [f"/posts/{reply.id}"]


async def test_mentoring_events_draft_entries_for_both_sides():
    pair = await _pair_in(MentorshipState.COMPLETED)

    await cpd.do_sync_drafts(pair.mentor)
    await cpd.do_sync_drafts(pair.mentee)

    mentor_types = sorted(await CpdEntry.filter(member_id=pair.mentor.id).values_list("activity_type", flat=True))
    mentee_entries = await CpdEntry.filter(member_id=pair.mentee.id).order_by("title")
    assert mentor_types == ["mentoring_given", "mentoring_given"]
    assert [entry.activity_type for entry in mentee_entries] == ["mentoring_received", "mentoring_received"]
    assert {entry.title.split(" with ")[0] for entry in mentee_entries} == {"Completed mentorship", "Mentoring session"}
    session_entry = next(entry for entry in mentee_entries if entry.title.startswith("Mentoring session"))
    assert str(session_entry.hours) == "0.75"
    assert all(entry.is_draft for entry in mentee_entries)
    assert await MentoringEvent.filter(mentorship_id=pair.mentorship.id, processed_at__isnull=True).count() == 0


async def test_sync_query_count_is_constant(count_queries):
    member = await make_member()
    await cpd.do_sync_drafts(member)
    empty = count_queries.count
    pair = await _pair_in(MentorshipState.COMPLETED)

    before = count_queries.count
    await cpd.do_sync_drafts(pair.mentee)

    assert count_queries.count - before <= empty + 3


# Export --------------------------------------------------------------------------------


async def test_csv_has_stable_columns_and_guards_formulas():
    member = await make_member()
    await cpd.do_save_entry(member, _entry(title="=HYPERLINK(1)"))

    text = cpd.entries_to_csv(await cpd.list_entries(member))

    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == [
        "id", "title", "activity_type", "started_on", "ended_on", "hours", "description", "learning", "impact",
        "peer_reflection", "next_steps", "evidence_links", "skill_area_ids", "provenance", "is_draft", "visibility",
        "skills",
    ]
    assert rows[1][1] == "'=HYPERLINK(1)"
    assert rows[1][3] == "2026-03-02"


async def test_csv_names_skill_areas_with_levels(skill_areas):
    member = await make_member()
    area = skill_areas["data-quality"]
    entry = await cpd.do_save_entry(member, _entry())
    entry.skills = [{"skill_area_id": area.id, "level_before": 1, "level_after": None}]

    text = cpd.entries_to_csv([entry], {area.id: area.name})

    row = next(csv.DictReader(io.StringIO(text)))
    assert row["skill_area_ids"] == str(area.id)
    assert row["skills"] == f"{area.name}: level 1 to not given"


async def test_list_entries_by_date_range():
    member = await make_member()
    await cpd.do_save_entry(member, _entry(title="Early", started_on="2025-01-10", ended_on=""))
    await cpd.do_save_entry(member, _entry(title="Late", started_on="2026-02-10", ended_on=""))

    entries = await cpd.list_entries(member, start=date(2026, 1, 1), end=date(2026, 12, 31))

    assert [entry.title for entry in entries] == ["Late"]


# Progress against a role profile ---------------------------------------------------------


async def test_role_profiles_seeded():
    from models import RoleProfile, RoleProfileLevel

    slugs = await RoleProfile.all().values_list("slug", flat=True)

    assert slugs == ["performance-analyst", "bi-developer", "data-engineer", "information-governance-lead"]
    assert await RoleProfileLevel.filter(profile__slug="data-engineer", skill_area__slug="sql-data-engineering").values_list(
        "expected_level", flat=True
    ) == [4]


async def test_progress_shows_gaps_with_mentors(skill_areas):
    from models import Endorsement
    from tests.factories import make_mentor

    member = await make_member()
    power_bi, visualisation = skill_areas["power-bi"], skill_areas["bi-visualisation"]
    for _ in range(2):
        await Endorsement.create(
            endorser_id=(await make_member()).id, member_id=member.id, skill_area_id=power_bi.id, level=3,
            relationship="worked_together", observed_from=date(2025, 1, 1), observed_to=date(2025, 2, 1),
            statement="Seen at work.", evidence_kind="post", evidence_id=1,
        )
    await cpd.do_save_entry(member, _entry(skills=(SkillRow(str(visualisation.id), "1", "2"),)))
    strong = await make_mentor(levels={"sql-data-engineering": 4})
    await make_mentor(levels={"sql-data-engineering": 2})
    area_names = {area.id: area.name for area in skill_areas.values()}

    progress = await cpd.get_progress(member, await cpd.list_entries(member), area_names, "bi-developer")

    rows = {row.skill_area_id: row for row in progress.rows}
    assert progress.profile.slug == "bi-developer"
    assert (rows[power_bi.id].evidenced, rows[power_bi.id].is_gap) == (3, False)
    assert (rows[visualisation.id].self_assessed, rows[visualisation.id].is_gap) == (2, True)
    sql = rows[skill_areas["sql-data-engineering"].id]
    assert sql.is_gap
    assert [mentor.id for mentor in sql.mentors] == [strong.id]


async def test_progress_unknown_profile_falls_back_to_first(skill_areas):
    member = await make_member()

    progress = await cpd.get_progress(member, [], {}, "astronaut")

    assert progress.profile.slug == "performance-analyst"


async def test_json_export_matches_schema(skill_areas):
    import jsonschema

    member = await make_member()
    area = skill_areas["data-quality"]
    await cpd.do_save_entry(member, _entry(skills=(SkillRow(str(area.id), "1", "3"),)))
    await cpd.do_save_entry(member, _entry(title="No hours", hours="", ended_on=""))
    area_names = {a.id: a.name for a in skill_areas.values()}

    document = cpd.entries_to_json(member, await cpd.list_entries(member), area_names, date(2026, 1, 1), None)

    jsonschema.Draft202012Validator(cpd.EXPORT_SCHEMA, format_checker=jsonschema.FormatChecker()).validate(document)
    skilled = next(entry for entry in document["entries"] if entry["skills"])
    assert skilled["skills"][0] == {
        "skill_area_id": area.id, "skill_area": area.name, "level_before": 1, "level_after": 3
    }
    assert skilled["hours"] == "7.50"


def test_json_schema_rejects_a_wrong_document():
    import jsonschema

    document = {"schema_version": 1, "member": {"handle": "a", "display_name": "A"}, "generated_at": "x",
                "start": None, "end": None, "entries": [{"id": "seven"}]}

    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(document, cpd.EXPORT_SCHEMA)


def _saved(peer_reflection: str = "", is_draft: bool = False) -> CpdEntry:
    return CpdEntry(title="x", activity_type="course", started_on=date(2026, 1, 1), peer_reflection=peer_reflection,
                    is_draft=is_draft)


SWE_CASES = [
    ([], ["Add at least 2 entries.", "Add peer reflection to at least one entry."]),
    ([_saved("Discussed with my team.")], ["Add 1 more entry, because at least 2 are needed."]),
    ([_saved(), _saved()], ["Add peer reflection to at least one entry."]),
    ([_saved(), _saved("Discussed in supervision.")], []),
    ([_saved(), _saved("Discussed.", is_draft=True)], ["Add 1 more entry, because at least 2 are needed.",
                                                         "Add peer reflection to at least one entry."]),
]


@pytest.mark.parametrize(("entries", "missing"), SWE_CASES)
def test_swe_requirement(entries, missing):
    assert cpd.check_swe_requirement(entries) == missing


def test_activity_by_month_counts_saved_entries():
    entries = [
        CpdEntry(started_on=date(2026, 3, 5), hours=Decimal("1.5"), is_draft=False),
        CpdEntry(started_on=date(2026, 3, 20), hours=None, is_draft=False),
        CpdEntry(started_on=date(2026, 3, 21), hours=Decimal("9"), is_draft=True),
        CpdEntry(started_on=date(2025, 4, 30), hours=Decimal("2"), is_draft=False),
        CpdEntry(started_on=date(2025, 3, 31), hours=Decimal("4"), is_draft=False),
    ]

    months = cpd.activity_by_month(entries, date(2026, 3, 31))

    assert len(months) == 12
    assert months[0].month == date(2025, 4, 1)
    assert (months[0].entries, months[0].hours) == (1, Decimal("2"))
    assert (months[-1].month, months[-1].entries, months[-1].hours) == (date(2026, 3, 1), 2, Decimal("1.5"))
    assert sum(month.entries for month in months) == 3


# Sector view --------------------------------------------------------------------------------


@pytest.mark.parametrize(("count", "shown"), [(0, None), (1, None), (9, None), (10, 10), (250, 250)])
def test_suppress_under_ten(count, shown):
    assert cpd.suppress(count) == shown


async def _endorse_many(count: int, area, level: int) -> None:
    from models import Endorsement

    endorser = await make_member()
    for _ in range(count):
        await Endorsement.create(
            endorser_id=endorser.id, member_id=(await make_member()).id, skill_area_id=area.id, level=level,
            relationship="worked_together", observed_from=date(2025, 1, 1), observed_to=date(2025, 2, 1),
            statement="Seen at work.", evidence_kind="post", evidence_id=1,
        )


async def test_sector_view_shows_ten_and_suppresses_nine(skill_areas):
    sql, python = skill_areas["sql-data-engineering"], skill_areas["python"]
    await _endorse_many(10, sql, 4)
    await _endorse_many(9, python, 3)
    admin = await make_member(permission="admin")
    area_names = {area.id: area.name for area in skill_areas.values()}

    view = await cpd.get_sector_view(admin, area_names, {})

    engineer = {row.label: row.values for row in view.profile_rows["Data engineer"]}
    assert engineer[sql.name] == (4, 10, 10)
    assert engineer[python.name] == (3, None, None)


async def test_sector_view_admins_only():
    from forum.errors import Forbidden

    with pytest.raises(Forbidden):
        await cpd.get_sector_view(await make_member(permission="moderator"), {}, {})
