"""The CPD record: entries a member writes, and drafts the forum writes from what they did.

Drafts come from an accepted answer, a mentoring session or mentorship completed (both
people), an endorsement received, and a learning resource completed. Each draft is
private and marked ``is_draft`` until the member reviews and saves it. The personal-data
check runs on every entry saved, and on the text of every draft before it is stored.

The modules of this package each hold one concern: ``entries`` (the form and the
member's own list), ``drafting`` (entries drafted from events), ``progress`` (against a
role profile), ``exports`` (CSV, JSON and the Social Work England check), ``timeline``
and ``sector``. This module re-exports their public names, so callers write ``cpd.X``.
"""

from forum.services.cpd.drafting import create_drafts, do_draft_from_endorsement, do_sync_drafts
from forum.services.cpd.entries import (
    ACTIVITY_LABELS,
    HOURS_MAX,
    LINKS_MAX,
    SKILL_ROWS,
    TEXT_FIELDS,
    TEXT_MAX,
    TITLE_MAX,
    VISIBILITY_LABELS,
    EntryDraft,
    SkillRow,
    access_entry,
    check_entry,
    do_delete_entry,
    do_save_entry,
    draft_from_entry,
    list_entries,
    list_shared_with_mentor,
)
from forum.services.cpd.exports import (
    CSV_COLUMNS,
    EXPORT_SCHEMA,
    EXPORT_SCHEMA_VERSION,
    SWE_MINIMUM_ENTRIES,
    check_swe_requirement,
    entries_to_csv,
    entries_to_json,
)
from forum.services.cpd.progress import MENTORS_PER_GAP, Progress, SkillProgress, get_progress
from forum.services.cpd.sector import (
    SUPPRESSION_THRESHOLD,
    SectorRow,
    SectorView,
    get_sector_view,
    suppress,
)
from forum.services.cpd.timeline import TIMELINE_MONTHS, MonthActivity, activity_by_month

__all__ = [
    "ACTIVITY_LABELS",
    "CSV_COLUMNS",
    "EXPORT_SCHEMA",
    "EXPORT_SCHEMA_VERSION",
    "HOURS_MAX",
    "LINKS_MAX",
    "MENTORS_PER_GAP",
    "SKILL_ROWS",
    "SUPPRESSION_THRESHOLD",
    "SWE_MINIMUM_ENTRIES",
    "TEXT_FIELDS",
    "TEXT_MAX",
    "TIMELINE_MONTHS",
    "TITLE_MAX",
    "VISIBILITY_LABELS",
    "EntryDraft",
    "MonthActivity",
    "Progress",
    "SectorRow",
    "SectorView",
    "SkillProgress",
    "SkillRow",
    "access_entry",
    "activity_by_month",
    "check_entry",
    "draft_from_entry",
    "check_swe_requirement",
    "create_drafts",
    "do_delete_entry",
    "do_draft_from_endorsement",
    "do_save_entry",
    "do_sync_drafts",
    "entries_to_csv",
    "entries_to_json",
    "get_progress",
    "get_sector_view",
    "list_entries",
    "list_shared_with_mentor",
    "suppress",
]
