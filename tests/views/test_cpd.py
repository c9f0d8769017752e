"""The CPD record pages and the CSV export."""

import pytest

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

    flagged = await client.post("/cpd/entries/new", form=form)
    confirmed = await client.post("/cpd/entries/new", form={**form, "personal_data_confirmed": "yes"})

    assert flagged.status_code == 422
    assert "postcode" in await flagged.get_data(as_text=True)
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


@pytest.mark.parametrize("path", ["/cpd/export.csv", "/cpd/export.json", "/cpd/portfolio", "/cpd/social-work-england"])
async def test_export_with_bad_date_goes_back_to_form(sign_in, path):
    client = await sign_in(await make_member())

    response = await client.get(f"{path}?start=yesterday&end=2026-03-01")
    form = await client.get(response.headers["Location"].split("#")[0])

    html = await form.get_data(as_text=True)
    assert response.status_code == 303
    assert response.headers["Location"].endswith("#exports")
    assert "Enter the start date as YYYY-MM-DD, or leave it blank." in html
    assert 'value="yesterday"' in html
    assert 'value="2026-03-01"' in html


async def test_export_with_start_after_end_is_refused(sign_in):
    client = await sign_in(await make_member())

    response = await client.get("/cpd/export.json?start=2026-12-01&end=2026-01-01")
    form = await client.get(response.headers["Location"].split("#")[0])

    assert response.status_code == 303
    assert "Enter an end date on or after the start date." in await form.get_data(as_text=True)


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


async def test_json_export_downloads(sign_in):
    import json

    client = await sign_in(await make_member())
    await client.post("/cpd/entries/new", form=ENTRY_FORM)

    response = await client.get("/cpd/export.json")

    document = json.loads(await response.get_data(as_text=True))
    assert response.headers["Content-Type"].startswith("application/json")
    assert [entry["title"] for entry in document["entries"]] == ["Data protection refresher"]


async def test_schema_is_published(client):
    response = await client.get("/cpd/export.schema.json")

    assert response.status_code == 200
    assert "CPD record export" in await response.get_data(as_text=True)


async def test_portfolio_and_swe_show_saved_entries_only(sign_in):
    member = await make_member()
    client = await sign_in(member)
    await client.post("/cpd/entries/new", form={**ENTRY_FORM, "peer_reflection": "Talked it over with Ann."})
    await CpdEntry.create(member_id=member.id, title="Unreviewed draft", activity_type="other",
                          started_on="2026-01-01", is_draft=True, provenance="drafted", source_key="test:draft")

    portfolio = await (await client.get("/cpd/portfolio")).get_data(as_text=True)
    swe = await (await client.get("/cpd/social-work-england?start=2026-01-01")).get_data(as_text=True)

    assert "Data protection refresher" in portfolio
    assert "Unreviewed draft" not in portfolio
    assert swe.index("Type of CPD") < swe.index("Description and relevance") < swe.index("Peer reflection")
    assert "Add 1 more entry, because at least 2 are needed." in swe
    assert "Unreviewed draft" not in swe


async def test_export_pages_query_count_constant(sign_in, count_queries, skill_areas):
    member = await make_member()
    client = await sign_in(member)
    counts = {}
    for size in (1, 8):
        await _fill_record(member, size, skill_areas["data-quality"].id)
        for path in ("/cpd/export.csv", "/cpd/export.json", "/cpd/portfolio", "/cpd/social-work-england"):
            count_queries.statements.clear()
            assert (await client.get(path)).status_code == 200
            counts.setdefault(path, []).append(count_queries.count)

    assert all(small == large for small, large in counts.values()), counts


# Credentials -------------------------------------------------------------------------------


async def test_issue_then_verify_on_public_page(sign_in, client, skill_areas):
    import re

    member = await make_member()
    await _fill_record(member, 2, skill_areas["data-quality"].id)
    signed_in = await sign_in(member)

    issued = await signed_in.post("/cpd/credentials", form={"skill_area": str(skill_areas["data-quality"].id)})
    token = re.search(r'<textarea class="govuk-textarea" id="credential" rows="10" readonly>([^<]+)</textarea>',
                      await issued.get_data(as_text=True)).group(1)
    checked = await signed_in.post("/credentials/verify", form={"credential": token})

    assert issued.status_code == 200
    html = await checked.get_data(as_text=True)
    assert "The credential is valid." in html
    assert "Not revoked." in html


async def test_verify_page_open_to_visitors(client):
    response = await client.get("/credentials/verify")

    assert response.status_code == 200


async def test_verify_needs_a_credential(sign_in):
    client = await sign_in(await make_member())

    response = await client.post("/credentials/verify", form={"credential": " "})

    assert response.status_code == 422
    assert "Paste the credential to check." in await response.get_data(as_text=True)


async def test_jwks_is_published(client):
    response = await client.get("/.well-known/jwks.json")

    keys = (await response.get_json())["keys"]
    assert [key["kty"] for key in keys] == ["EC"]
    assert "d" not in keys[0]


async def test_issue_without_evidence_is_refused(sign_in, skill_areas):
    client = await sign_in(await make_member())

    response = await client.post("/cpd/credentials", form={"skill_area": str(skill_areas["python"].id)})

    assert response.status_code == 422


async def test_credential_pages_query_count(client, count_queries):
    for path in ("/credentials/verify", "/.well-known/jwks.json"):
        count_queries.statements.clear()
        assert (await client.get(path)).status_code == 200
        assert count_queries.count <= 2, (path, count_queries.statements)


async def test_record_shows_timeline_with_table(sign_in):
    client = await sign_in(await make_member())

    html = await (await client.get("/cpd")).get_data(as_text=True)

    assert 'aria-labelledby="timeline-chart-title"' in html
    assert "Saved entries and hours per month" in html


async def test_sector_page_for_admins_only(sign_in):
    admin = await sign_in(await make_member(permission="admin"))
    member = await sign_in(await make_member())

    shown = await admin.get("/cpd/sector")
    refused = await member.get("/cpd/sector")

    assert shown.status_code == 200
    assert "fewer than 10" in await shown.get_data(as_text=True)
    assert refused.status_code == 403


async def test_sector_page_query_count_constant(sign_in, count_queries, skill_areas):
    client = await sign_in(await make_member(permission="admin"))
    await client.get("/cpd/sector")
    counts = []
    for size in (1, 8):
        await _fill_record(await make_member(), size, skill_areas["data-quality"].id)
        count_queries.statements.clear()
        assert (await client.get("/cpd/sector")).status_code == 200
        counts.append(count_queries.count)

    assert counts[0] == counts[1], count_queries.statements
