"""The mentoring forms: what members type, and the checks that turn it into valid values.

Each ``check_*`` function validates one form and raises ValidationFailed with one message
per invalid field, keyed by the field's name in the form, so the page can show them all.
"""

import calendar
from dataclasses import dataclass, field
from datetime import date

from forum.errors import ValidationFailed
from forum.markdown import MarkdownError, render_markdown
from forum.services.browsing import Taxonomy
from models.mentoring import CASE_MANAGEMENT_SYSTEMS, FORMAT_LABELS, STATUTORY_RETURNS, Cadence

MAX_CAPACITY = 10
MAX_GOALS = 3
MAX_REQUEST_SKILLS = 3
TEXT_MAX = 5000


def add_months(day: date, months: int) -> date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def parse_date(day: str, month: str, year: str) -> date | None:
    """Read a GOV.UK date input's three fields, or return None when they make no real date."""
    try:
        return date(int(year.strip()), int(month.strip()), int(day.strip()))
    except (TypeError, ValueError):
        return None


@dataclass(frozen=True)
class ProfileDraft:
    """The mentor profile form as typed. ``levels`` maps skill area slugs to level text."""

    levels: dict[str, str] = field(default_factory=dict)
    capacity: str = "2"
    formats: tuple[str, ...] = ()
    availability: str = ""
    offer: str = ""
    systems: tuple[str, ...] = ()
    returns: tuple[str, ...] = ()
    accepting: bool = True


def check_profile(draft: ProfileDraft, taxonomy: Taxonomy) -> dict[int, int]:
    """Validate a profile and return {skill area id: level}, or raise with every field's problem."""
    errors: dict[str, str] = {}
    levels: dict[int, int] = {}
    for slug, text in draft.levels.items():
        if text in ("", "0"):
            continue
        area = taxonomy.skill_area(slug)
        if area is None or text not in ("2", "3", "4"):
            errors["levels"] = (
                "Choose working, practitioner or expert for each skill area you offer."
            )
            continue
        levels[area.id] = int(text)
    if not levels and "levels" not in errors:
        errors["levels"] = "Choose at least one skill area you can mentor in."

    if not draft.capacity.strip().isdigit() or not 0 <= int(draft.capacity) <= MAX_CAPACITY:
        errors["capacity"] = (
            f"Enter how many mentees you can take at once, from 0 to {MAX_CAPACITY}."
        )
    if not draft.formats:
        errors["formats"] = "Choose at least one way you can meet mentees."
    elif any(value not in FORMAT_LABELS for value in draft.formats):
        errors["formats"] = "Choose formats from the list."
    if len(draft.availability) > 500:
        errors["availability"] = "Keep your availability to 500 characters or fewer."
    if len(draft.offer) > 2000:
        errors["offer"] = "Keep what you offer to 2,000 characters or fewer."
    if any(value not in CASE_MANAGEMENT_SYSTEMS for value in draft.systems):
        errors["systems"] = "Choose case management systems from the list."
    if any(value not in STATUTORY_RETURNS for value in draft.returns):
        errors["returns"] = "Choose statutory returns from the list."

    if errors:
        raise ValidationFailed(errors)
    return levels


@dataclass(frozen=True)
class NeedDraft:
    skill_area: str = ""
    current_level: str = ""
    target_level: str = ""
    importance: str = "2"


@dataclass(frozen=True)
class RequestDraft:
    needs: tuple[NeedDraft, ...] = ()
    goals: str = ""
    prefers_other_organisation: bool = False
    prefers_same_role: bool = False
    formats: tuple[str, ...] = ()
    systems: tuple[str, ...] = ()
    returns: tuple[str, ...] = ()
    timeframe_months: str = "6"


def check_request(
    draft: RequestDraft, taxonomy: Taxonomy, *, max_length: int
) -> tuple[list[tuple[int, int, int, int]], str]:
    """Validate a request and return its (area id, current, target, importance) rows and the
    rendered goals, or raise ValidationFailed with every field's problem."""
    errors: dict[str, str] = {}
    needs, seen = [], set()
    for number, need in enumerate(draft.needs, start=1):
        prefix = f"need-{number}"
        if not need.skill_area:
            continue
        area = taxonomy.skill_area(need.skill_area)
        if area is None:
            errors[f"{prefix}-skill_area"] = (
                "That skill area does not exist. Choose one from the list."
            )
            continue
        if area.id in seen:
            errors[f"{prefix}-skill_area"] = (
                f"You chose {area.name} twice. Choose each skill area once."
            )
            continue
        seen.add(area.id)
        current, target = need.current_level, need.target_level
        if current not in ("0", "1", "2", "3"):
            errors[f"{prefix}-current_level"] = f"Choose your current level in {area.name}."
            continue
        if target not in ("1", "2", "3", "4") or int(target) <= int(current):
            errors[f"{prefix}-target_level"] = (
                f"Choose a target level in {area.name} above your current level."
            )
            continue
        if need.importance not in ("1", "2", "3"):
            errors[f"{prefix}-importance"] = f"Choose how important {area.name} is to you."
            continue
        needs.append((area.id, int(current), int(target), int(need.importance)))
    if not needs and not any(key.startswith("need-") for key in errors):
        errors["need-1-skill_area"] = "Choose at least one skill area you want help with."

    goals_html = ""
    if not draft.goals.strip():
        errors["goals"] = "Describe what you want to achieve with a mentor."
    else:
        try:
            goals_html = render_markdown(draft.goals, max_length=min(max_length, TEXT_MAX))
        except MarkdownError as error:
            errors["goals"] = str(error)

    if any(value not in FORMAT_LABELS for value in draft.formats):
        errors["formats"] = "Choose formats from the list."
    if any(value not in CASE_MANAGEMENT_SYSTEMS for value in draft.systems):
        errors["systems"] = "Choose case management systems from the list."
    if any(value not in STATUTORY_RETURNS for value in draft.returns):
        errors["returns"] = "Choose statutory returns from the list."
    if not draft.timeframe_months.isdigit() or not 1 <= int(draft.timeframe_months) <= 12:
        errors["timeframe_months"] = (
            "Choose how long you would like mentoring for, from 1 to 12 months."
        )

    if errors:
        raise ValidationFailed(errors)
    return needs, goals_html


@dataclass(frozen=True)
class GoalDraft:
    skill_area: str = ""
    target_level: str = ""
    description: str = ""


@dataclass(frozen=True)
class AgreementDraft:
    goals: tuple[GoalDraft, ...] = ()
    cadence: str = ""
    end_day: str = ""
    end_month: str = ""
    end_year: str = ""


def check_agreement(
    draft: AgreementDraft, taxonomy: Taxonomy, today: date
) -> tuple[list[tuple[int, int, str]], Cadence, date]:
    """Validate an agreement: one to three goals, a cadence, an end date 1 to 12 months away."""
    errors: dict[str, str] = {}
    goals = []
    for number, goal in enumerate(draft.goals, start=1):
        prefix = f"goal-{number}"
        description = " ".join(goal.description.split())
        if not (goal.skill_area or goal.target_level or description):
            continue
        area = taxonomy.skill_area(goal.skill_area)
        if area is None:
            errors[f"{prefix}-skill_area"] = f"Choose the skill area for goal {number}."
        elif goal.target_level not in ("1", "2", "3", "4"):
            errors[f"{prefix}-target_level"] = f"Choose the target level for goal {number}."
        elif not description:
            errors[f"{prefix}-description"] = f"Describe goal {number} in a sentence."
        elif len(description) > 300:
            errors[f"{prefix}-description"] = f"Keep goal {number} to 300 characters or fewer."
        else:
            goals.append((area.id, int(goal.target_level), description))
    if not goals and not errors:
        errors["goal-1-skill_area"] = "Enter at least one goal."
    if len(goals) > MAX_GOALS:
        errors["goal-1-skill_area"] = f"Agree at most {MAX_GOALS} goals."

    cadence = None
    if draft.cadence not in set(Cadence):
        errors["cadence"] = "Choose how often you will meet."
    else:
        cadence = Cadence(draft.cadence)

    end_on = parse_date(draft.end_day, draft.end_month, draft.end_year)
    if end_on is None:
        errors["end_on"] = "Enter the end date as a real date, for example 31 3 2027."
    elif end_on < add_months(today, 1):
        errors["end_on"] = "The end date must be at least one month from today."
    elif end_on > add_months(today, 12):
        errors["end_on"] = "The end date must be no more than twelve months from today."

    if errors:
        raise ValidationFailed(errors)
    return goals, cadence, end_on


@dataclass(frozen=True)
class SessionDraft:
    held_day: str = ""
    held_month: str = ""
    held_year: str = ""
    minutes: str = ""
    skill_areas: tuple[str, ...] = ()
    shared_notes: str = ""
    private_notes: str = ""


def check_session(
    draft: SessionDraft, taxonomy: Taxonomy, *, earliest: date, today: date, max_length: int
) -> tuple[date, int, list[int], str]:
    """Validate a session and return its date, minutes, skill area ids and shared notes HTML."""
    errors: dict[str, str] = {}
    held_on = parse_date(draft.held_day, draft.held_month, draft.held_year)
    if held_on is None:
        errors["held_on"] = "Enter the date of the session as a real date, for example 14 2 2026."
    elif held_on > today:
        errors["held_on"] = "The session date must be today or in the past."
    elif held_on < earliest:
        errors["held_on"] = (
            f"The session date must be on or after {earliest:%-d %B %Y}, when the mentorship began."
        )

    minutes = 0
    if not draft.minutes.strip().isdigit() or not 5 <= int(draft.minutes) <= 480:
        errors["minutes"] = "Enter how long the session lasted, from 5 to 480 minutes."
    else:
        minutes = int(draft.minutes)

    areas = [taxonomy.skill_area(slug) for slug in dict.fromkeys(draft.skill_areas)]
    if not areas:
        errors["skill_areas"] = "Choose at least one skill area the session covered."
    elif any(area is None for area in areas):
        errors["skill_areas"] = "Choose skill areas from the list."

    shared_html = ""
    if draft.shared_notes.strip():
        try:
            shared_html = render_markdown(draft.shared_notes, max_length=min(max_length, TEXT_MAX))
        except MarkdownError as error:
            errors["shared_notes"] = str(error)
    if len(draft.private_notes) > TEXT_MAX:
        errors["private_notes"] = f"Keep your private notes to {TEXT_MAX} characters or fewer."

    if errors:
        raise ValidationFailed(errors)
    return held_on, minutes, [area.id for area in areas], shared_html
