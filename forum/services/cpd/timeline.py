"""The activity timeline: saved entries and hours per month."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from models import CpdEntry

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
