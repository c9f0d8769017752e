"""The audit log: appending, its immutability in the application and in PostgreSQL,
listing with filters, and the CSV export."""

import csv
import io

import pytest
from tortoise import connections
from tortoise.exceptions import OperationalError

from forum.errors import Forbidden, ValidationFailed
from forum.services.audit import AuditFilter, do_audit, export_audit_csv, list_audit_entries
from models import AuditEntry
from tests.conftest import IS_POSTGRES
from tests.factories import make_member


async def _entry(**overrides) -> AuditEntry:
    actor = overrides.pop("actor", None) or await make_member(permission="moderator")
    values = {
        "target_type": "thread",
        "target_id": 7,
        "reason": "Off topic",
        "before": {"state": "open"},
        "after": {"state": "locked"},
    }
    values.update(overrides)
    action = values.pop("action", "thread_locked")
    return await do_audit(actor, action, **values)


async def test_do_audit_stores_every_field():
    moderator = await make_member(permission="moderator")

    entry = await do_audit(
        moderator,
        "thread_locked",
        target_type="thread",
        target_id=7,
        reason=" Heated ",
        before={"state": "open"},
        after={"state": "locked"},
    )

    stored = await AuditEntry.get(id=entry.id)
    assert stored.actor_id == moderator.id
    assert stored.action == "thread_locked"
    assert (stored.target_type, stored.target_id) == ("thread", 7)
    assert stored.reason == "Heated"
    assert stored.before == {"state": "open"}
    assert stored.after == {"state": "locked"}
    assert stored.created_at is not None


async def test_do_audit_accepts_command_line_actor():
    entry = await do_audit(None, "member_promoted", target_type="member", target_id=3)

    assert (await AuditEntry.get(id=entry.id)).actor_id is None


async def test_saving_existing_entry_is_refused():
    entry = await _entry()
    entry.reason = "Rewritten"

    with pytest.raises(OperationalError, match="append-only"):
        await entry.save()

    assert (await AuditEntry.get(id=entry.id)).reason == "Off topic"


async def test_deleting_entry_is_refused():
    entry = await _entry()

    with pytest.raises(OperationalError, match="append-only"):
        await entry.delete()

    assert await AuditEntry.filter(id=entry.id).exists()


@pytest.mark.parametrize("operation", ["update", "delete", "bulk_update"])
async def test_queryset_changes_are_refused(operation):
    entry = await _entry()

    with pytest.raises(OperationalError, match="append-only"):
        if operation == "update":
            await AuditEntry.filter(id=entry.id).update(reason="Changed")
        elif operation == "delete":
            await AuditEntry.filter(id=entry.id).delete()
        else:
            entry.reason = "Changed"
            await AuditEntry.bulk_update([entry], fields=["reason"])

    assert (await AuditEntry.get(id=entry.id)).reason == "Off topic"


@pytest.mark.skipif(not IS_POSTGRES, reason="the trigger exists only on PostgreSQL")
@pytest.mark.parametrize(
    "statement",
    ["UPDATE audit_entry SET reason = 'Changed'", "DELETE FROM audit_entry"],
)
async def test_postgres_trigger_rejects_raw_changes(statement):
    entry = await _entry()
    connection = connections.get("default")

    with pytest.raises(Exception, match="append-only"):
        await connection.execute_script(statement)

    assert (await AuditEntry.get(id=entry.id)).reason == "Off topic"


async def test_list_is_newest_first_and_filters():
    moderator = await make_member(permission="moderator", handle="modone")
    other = await make_member(permission="moderator")
    first = await _entry(actor=moderator, action="thread_locked", target_id=1)
    second = await _entry(actor=other, action="post_hidden", target_type="post", target_id=2)
    third = await _entry(actor=moderator, action="post_hidden", target_type="post", target_id=3)

    everything = await list_audit_entries(moderator, AuditFilter())
    hidden = await list_audit_entries(moderator, AuditFilter(action="post_hidden"))
    by_actor = await list_audit_entries(moderator, AuditFilter(actor="@modone"))
    by_target = await list_audit_entries(moderator, AuditFilter(target_type="post", target_id="2"))

    assert [entry.id for entry in everything.entries] == [third.id, second.id, first.id]
    assert [entry.id for entry in hidden.entries] == [third.id, second.id]
    assert [entry.id for entry in by_actor.entries] == [third.id, first.id]
    assert [entry.id for entry in by_target.entries] == [second.id]
    assert everything.actions == ["post_hidden", "thread_locked"]


@pytest.mark.parametrize(
    ("audit_filter", "field", "message"),
    [
        (AuditFilter(target_id="abc"), "target_id", "Enter the target's number"),
        (AuditFilter(since="31/03/2025"), "since", "year-month-day"),
        (AuditFilter(until="yesterday"), "until", "year-month-day"),
    ],
)
async def test_list_rejects_unreadable_filters(audit_filter, field, message):
    moderator = await make_member(permission="moderator")

    with pytest.raises(ValidationFailed) as raised:
        await list_audit_entries(moderator, audit_filter)

    assert message in raised.value.errors[field]


async def test_list_needs_moderator():
    with pytest.raises(Forbidden):
        await list_audit_entries(await make_member(), AuditFilter())


async def test_list_pages_with_cursor():
    from forum.services import audit

    moderator = await make_member(permission="moderator")
    created = [
        await _entry(actor=moderator, target_id=number)
        for number in range(audit.ENTRIES_PER_PAGE + 3)
    ]

    first = await list_audit_entries(moderator, AuditFilter())
    second = await list_audit_entries(moderator, AuditFilter(), first.next_cursor)

    assert len(first.entries) == audit.ENTRIES_PER_PAGE
    assert [entry.id for entry in second.entries] == [entry.id for entry in reversed(created[:3])]
    assert second.next_cursor is None


async def test_csv_export_has_header_and_rows():
    moderator = await make_member(permission="moderator", handle="csvmod")
    await _entry(actor=moderator, reason='=HYPERLINK("http://evil")')

    text = await export_audit_csv(moderator, AuditFilter())

    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == [
        "id",
        "time",
        "actor",
        "action",
        "target_type",
        "target_id",
        "reason",
        "before",
        "after",
    ]
    assert rows[1][2:6] == ["csvmod", "thread_locked", "thread", "7"]
    assert rows[1][6].startswith("'="), "a formula in a cell must be neutralised"
    assert rows[1][7] == '{"state": "open"}'


async def test_promote_command_is_audited():
    from forum.services.members import do_promote

    member = await make_member(handle="tobepromoted")

    await do_promote("tobepromoted", "moderator")

    entry = await AuditEntry.get(action="member_promoted", target_id=member.id)
    assert entry.actor_id is None
    assert entry.before == {"permission": "member"}
    assert entry.after == {"permission": "moderator"}
