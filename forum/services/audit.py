"""The append-only audit log of moderator and admin actions.

Every service that changes something on a moderator's or admin's authority calls
:func:`do_audit` inside the transaction of that change, so an entry exists exactly when
the change does. Entries are never updated or deleted (see ``models.moderation``).
"""

import csv
import io
import json
import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from tortoise.expressions import Q

from forum.auth.policy import Action, require
from forum.errors import ValidationFailed
from forum.services.browsing import decode_cursor, encode_cursor
from models import AuditEntry, Member

logger = logging.getLogger(__name__)

ENTRIES_PER_PAGE = 50
# The CSV export stops here, so one request cannot read an unbounded table into memory.
EXPORT_MAX_ROWS = 50_000
REASON_MAX = 2000
CSV_COLUMNS = (
    "id",
    "time",
    "actor",
    "action",
    "target_type",
    "target_id",
    "reason",
    "before",
    "after",
)


async def do_audit(
    actor: Member | None,
    action: str,
    *,
    target_type: str,
    target_id: int,
    reason: str = "",
    before: dict | None = None,
    after: dict | None = None,
) -> AuditEntry:
    """Append one entry to the audit log and return it.

    ``actor`` is None only for actions run from the command line. ``before`` and ``after``
    summarise the changed fields as JSON and must never hold a post body or other personal
    data, because entries cannot be removed later.
    """
    entry = await AuditEntry.create(
        actor_id=actor.id if actor else None,
        action=str(action)[:60],
        target_type=str(target_type)[:30],
        target_id=target_id,
        reason=(reason or "").strip()[:REASON_MAX],
        before=before,
        after=after,
    )
    logger.info(
        "audit entry written",
        extra={
            "audit_id": entry.id,
            "action": entry.action,
            "target": f"{entry.target_type}:{entry.target_id}",
            "member_id": entry.actor_id,
        },
    )
    return entry


@dataclass(frozen=True)
class AuditFilter:
    """The audit page's filters, each optional, as typed into its form."""

    action: str = ""
    actor: str = ""
    target_type: str = ""
    target_id: str = ""
    since: str = ""
    until: str = ""

    def query_args(self) -> dict[str, str]:
        return {name: value for name, value in vars(self).items() if value}


@dataclass
class AuditPage:
    entries: list[AuditEntry]
    next_cursor: str | None
    filter: AuditFilter
    actions: list[str]


def _parse_day(value: str, field: str, errors: dict[str, str]) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        errors[field] = f"Enter the date as year-month-day, for example 2025-03-31, not {value!r}."
        return None


def _filtered_query(audit_filter: AuditFilter):
    """Build the query for a filter, or raise ValidationFailed naming each unreadable field."""
    errors: dict[str, str] = {}
    query = AuditEntry.all()

    if audit_filter.action:
        query = query.filter(action=audit_filter.action)
    if audit_filter.actor:
        query = query.filter(actor__handle=audit_filter.actor.lstrip("@"))
    if audit_filter.target_type:
        query = query.filter(target_type=audit_filter.target_type)
    if audit_filter.target_id:
        if audit_filter.target_id.isdigit():
            query = query.filter(target_id=int(audit_filter.target_id))
        else:
            errors["target_id"] = "Enter the target's number, for example 42."

    since = _parse_day(audit_filter.since, "since", errors)
    until = _parse_day(audit_filter.until, "until", errors)
    if since:
        query = query.filter(created_at__gte=datetime.combine(since, time.min, UTC))
    if until:
        query = query.filter(
            created_at__lt=datetime.combine(until + timedelta(days=1), time.min, UTC)
        )

    if errors:
        raise ValidationFailed(errors)
    return query


async def list_audit_entries(
    member: Member, audit_filter: AuditFilter, cursor: str | None = None
) -> AuditPage:
    """List entries newest first, one keyset page at a time, in a fixed number of queries."""
    require(member, Action.VIEW_AUDIT_LOG)
    query = _filtered_query(audit_filter)

    position = decode_cursor(cursor)
    if position:
        moment, entry_id = position
        query = query.filter(Q(created_at__lt=moment) | Q(created_at=moment, id__lt=entry_id))

    rows = await (
        query.order_by("-created_at", "-id").limit(ENTRIES_PER_PAGE + 1).select_related("actor")
    )
    next_cursor = None
    if len(rows) > ENTRIES_PER_PAGE:
        rows = rows[:ENTRIES_PER_PAGE]
        next_cursor = encode_cursor(rows[-1].created_at, rows[-1].id)

    actions = await AuditEntry.all().distinct().order_by("action").values_list("action", flat=True)
    return AuditPage(
        entries=rows, next_cursor=next_cursor, filter=audit_filter, actions=list(actions)
    )


def _csv_cell(value: str) -> str:
    """Stop a spreadsheet from running a cell as a formula (CSV injection)."""
    if value and value[0] in "=+-@\t\r":
        return "'" + value
    return value


async def export_audit_csv(member: Member, audit_filter: AuditFilter) -> str:
    """Return the filtered entries, oldest first, as CSV text with a header row."""
    require(member, Action.VIEW_AUDIT_LOG)
    rows = await (
        _filtered_query(audit_filter)
        .order_by("created_at", "id")
        .limit(EXPORT_MAX_ROWS)
        .select_related("actor")
    )

    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    for entry in rows:
        writer.writerow(
            [
                entry.id,
                entry.created_at.astimezone(UTC).isoformat(),
                _csv_cell(entry.actor.handle if entry.actor else "command line"),
                _csv_cell(entry.action),
                _csv_cell(entry.target_type),
                entry.target_id,
                _csv_cell(entry.reason),
                _csv_cell(_json_text(entry.before)),
                _csv_cell(_json_text(entry.after)),
            ]
        )
    logger.info("audit log exported", extra={"member_id": member.id, "rows": len(rows)})
    return buffer.getvalue()


def _json_text(value: dict | None) -> str:
    return "" if value is None else json.dumps(value, sort_keys=True, ensure_ascii=False)
