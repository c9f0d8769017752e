"""The CPD record pages and the CSV export."""

from models import CpdEntry, Endorsement
from tests.factories import make_member

ENTRY_FORM = {
    "title": "Data protection refresher",
    "activity_type": "course",
    "started_on": "2026-02-02",
    "description": "Annual refresher.",
    "visibility": "private",
}


async def test_record_needs_sign_in(client):
    response = await client.get("/cpd")

    assert response.status_code in (302, 303, 401)


async def test_add_entry_then_see_it_in_record(sign_in):
    member = await make_member()
    client = await sign_in(member)

    saved = await client.post("/cpd/entries/new", form=ENTRY_FORM)
    record = await client.get("/cpd")

    assert saved.status_code == 303
    assert "Data protection refresher" in await record.get_data(as_text=True)


async def test_entry_form_shows_field_errors(sign_in):
    client = await sign_in(await make_member())

    response = await client.post("/cpd/entries/new", form={**ENTRY_FORM, "title": "", "started_on": "soon"})

    html = await response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Enter a title for this entry." in html
    assert 'aria-describedby="started_on-hint started_on-error"' in html


async def test_entry_form_asks_to_confirm_personal_data(sign_in):
    member = await make_member()
    client = await sign_in(member)
    form = {**ENTRY_FORM, "impact": "Helped the family at SW1A 1AA."}

    asked = await client.post("/cpd/entries/new", form=form)
    confirmed = await client.post("/cpd/entries/new", form={**form, "personal_data_confirmed": "yes"})

    assert asked.status_code == 422
    assert "postcode" in await asked.get_data(as_text=True)
    assert confirmed.status_code == 303


async def test_other_members_entry_is_not_found(sign_in):
    owner = await make_member()
    entry = await CpdEntry.create(member_id=owner.id, title="Mine", activity_type="other", started_on="2026-01-01")
    client = await sign_in(await make_member())

    response = await client.get(f"/cpd/entries/{entry.id}")

    assert response.status_code == 404


async def test_csv_export_downloads_range(sign_in):
    member = await make_member()
    client = await sign_in(member)
    await client.post("/cpd/entries/new", form=ENTRY_FORM)
    await client.post("/cpd/entries/new", form={**ENTRY_FORM, "title": "Old course", "started_on": "2024-05-01"})

    response = await client.get("/cpd/export.csv?start=2026-01-01&end=2026-12-31")

    text = await response.get_data(as_text=True)
    assert response.headers["Content-Type"].startswith("text/csv")
    assert "attachment" in response.headers["Content-Disposition"]
    assert "Data protection refresher" in text
    assert "Old course" not in text


async def test_csv_export_rejects_bad_date(sign_in):
    client = await sign_in(await make_member())

    response = await client.get("/cpd/export.csv?start=yesterday")

    assert response.status_code == 422


_entry_numbers = iter(range(1_000_000))


async def _fill_record(member, count: int, skill_area_id: int) -> None:
    for _ in range(count):
        number = next(_entry_numbers)
        await CpdEntry.create(
            member_id=member.id, title=f"Entry {number}", activity_type="reading", started_on="2026-01-01",
            is_draft=number % 2 == 0, provenance="drafted" if number % 2 == 0 else "manual",
            source_key=f"test:{number}" if number % 2 == 0 else None,
        )
        endorser = await make_member()
        await Endorsement.create(
            endorser_id=endorser.id, member_id=member.id, skill_area_id=skill_area_id, level=2,
            relationship="worked_together", observed_from="2025-01-01", observed_to="2025-02-01",
            statement="Seen at work.", evidence_kind="post", evidence_id=1,
        )


async def test_record_query_count_constant(sign_in, count_queries, skill_areas):
    member = await make_member()
    client = await sign_in(member)
    area_id = skill_areas["data-quality"].id
    await _fill_record(member, 1, area_id)
    await client.get("/cpd")
    count_queries.statements.clear()
    assert (await client.get("/cpd")).status_code == 200
    small = count_queries.count

    await _fill_record(member, 8, area_id)
    await client.get("/cpd")
    count_queries.statements.clear()
    assert (await client.get("/cpd")).status_code == 200

    assert count_queries.count == small, count_queries.statements


async def test_entry_form_query_count_constant(sign_in, count_queries, skill_areas):
    member = await make_member()
    client = await sign_in(member)
    await _fill_record(member, 1, skill_areas["data-quality"].id)
    count_queries.statements.clear()
    assert (await client.get("/cpd/entries/new")).status_code == 200
    small = count_queries.count

    await _fill_record(member, 8, skill_areas["data-quality"].id)
    count_queries.statements.clear()
    assert (await client.get("/cpd/entries/new")).status_code == 200

    assert count_queries.count == small, count_queries.statements


async def test_record_shows_chart_and_table_for_profile(sign_in):
    client = await sign_in(await make_member())

    response = await client.get("/cpd?profile=data-engineer")

    html = await response.get_data(as_text=True)
    assert '<svg xmlns="http://www.w3.org/2000/svg"' in html
    assert 'aria-labelledby="progress-chart-title"' in html
    assert "Levels against the Data engineer profile" in html
    assert "Gap" in html
