"""Exports of a CPD record: CSV, JSON with its schema, and the Social Work England check."""

import csv
import io
from datetime import UTC, date, datetime

from models import CpdActivityType, CpdEntry, CpdProvenance, CpdVisibility, Member

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
    "skills",
)


def _csv_cell(value: str) -> str:
    """Prefix text a spreadsheet would run as a formula."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def _skills_cell(skills: list[dict], area_names: dict[int, str]) -> str:
    """Describe each skill area with its levels, for a reader of the spreadsheet."""
    def level(value) -> str:
        return "not given" if value is None else str(value)

    return "; ".join(
        f"{area_names.get(skill['skill_area_id'], skill['skill_area_id'])}: level "
        f"{level(skill.get('level_before'))} to {level(skill.get('level_after'))}"
        for skill in skills
    )


def entries_to_csv(entries: list[CpdEntry], area_names: dict[int, str] | None = None) -> str:
    """Write entries as CSV with the stable column names in ``CSV_COLUMNS``.

    ``skill_area_ids`` is for programs and ``skills`` for people. ``skills`` names the same
    skill areas, each with the level before and after (0 to 4).
    """
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
            _csv_cell(_skills_cell(entry.skills, area_names or {})),
        ])
    return buffer.getvalue()


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
