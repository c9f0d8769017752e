"""A member's own CPD record: entries, drafts, evidenced levels and the CSV export."""

import json
from datetime import UTC, date, datetime, timedelta

from quart import Blueprint, Response, current_app, g, redirect, render_template, request, url_for

from forum.auth.policy import Action, require
from forum.errors import SignInRequired, ValidationFailed
from forum.services import cpd, credentials, endorsements
from forum.services.browsing import get_taxonomy
from forum.services.privacy import CONFIRM_FIELD
from forum.views import role_profiles
from models import SkillLevel

blueprint = Blueprint("cpd", __name__, url_prefix="/cpd")
blueprint.register_blueprint(role_profiles.blueprint)


def _signed_in():
    if g.member is None:
        raise SignInRequired()
    require(g.member, Action.KEEP_CPD_RECORD)
    return g.member


def _parse_range(args) -> tuple[date | None, date | None, dict[str, str]]:
    errors = {}
    bounds = []
    for name in ("start", "end"):
        value = args.get(name, "").strip()
        if not value:
            bounds.append(None)
            continue
        try:
            bounds.append(date.fromisoformat(value))
        except ValueError:
            bounds.append(None)
            errors[name] = f"Enter the {name} date as YYYY-MM-DD, or leave it blank."
    if bounds[0] and bounds[1] and bounds[0] > bounds[1]:
        errors["end"] = "Enter an end date on or after the start date."
    return bounds[0], bounds[1], errors


class _BackToExportForm(Exception):
    """Raised when an export's dates are invalid, to send the member back to the form."""


def _export_range():
    """Return the export's dates, or raise to send the member back to the form with them."""
    start, end, errors = _parse_range(request.args)
    if errors:
        raise _BackToExportForm()
    return start, end


@blueprint.errorhandler(_BackToExportForm)
async def back_to_export_form(_error):
    args = {name: request.args.get(name, "") for name in ("start", "end")}
    return redirect(url_for("cpd.record", export="check", **args) + "#exports", 303)


@blueprint.get("")
async def record():
    """Show the member's record, drafting entries for anything new they did first."""
    member = _signed_in()
    await cpd.do_sync_drafts(member)
    entries = await cpd.list_entries(member)
    taxonomy = await get_taxonomy()
    area_names = {area.id: area.name for area in taxonomy.skill_areas}
    progress = await cpd.get_progress(member, entries, area_names, request.args.get("profile", ""))
    timeline = cpd.activity_by_month(entries, datetime.now(UTC).date())
    return await render_template(
        "cpd/record.html",
        progress=progress,
        timeline=timeline,
        timeline_peak=max([1, *(month.entries for month in timeline)]),
        drafts=[entry for entry in entries if entry.is_draft],
        entries=[entry for entry in entries if not entry.is_draft],
        evidence=await endorsements.get_evidenced_levels(member),
        received=await endorsements.list_received(member),
        issued=await credentials.list_credentials(member),
        level_names=dict(await SkillLevel.all().values_list("value", "name")),
        area_names=area_names,
        activity_labels=cpd.ACTIVITY_LABELS,
        export_values={name: request.args.get(name, "") for name in ("start", "end")},
        export_errors=_parse_range(request.args)[2] if request.args.get("export") else {},
    )


def _draft_from_form(form) -> cpd.EntryDraft:
    names = [name for name in cpd.EntryDraft.__dataclass_fields__ if name not in ("skills", "personal_data_confirmed")]
    skills = tuple(
        cpd.SkillRow(
            skill_area=form.get(f"skill_area_{index}", ""),
            level_before=form.get(f"level_before_{index}", ""),
            level_after=form.get(f"level_after_{index}", ""),
        )
        for index in range(cpd.SKILL_ROWS)
    )
    return cpd.EntryDraft(
        **{name: form.get(name, "") for name in names},
        skills=skills,
        personal_data_confirmed=form.get(CONFIRM_FIELD) == "yes",
    )


async def _entry_form(entry=None):
    member = _signed_in()
    draft = cpd.draft_from_entry(entry) if entry else cpd.EntryDraft()
    errors: dict[str, str] = {}
    if request.method == "POST":
        draft = _draft_from_form(await request.form)
        try:
            await cpd.do_save_entry(member, draft, entry)
        except ValidationFailed as failure:
            errors = failure.errors
        else:
            return redirect(url_for("cpd.record"), 303)
    taxonomy = await get_taxonomy()
    rows = list(draft.skills) + [cpd.SkillRow()] * (cpd.SKILL_ROWS - len(draft.skills))
    return await render_template(
        "cpd/entry_form.html",
        entry=entry,
        draft=draft,
        skill_rows=rows[: max(cpd.SKILL_ROWS, len(draft.skills))],
        errors=errors,
        skill_areas=taxonomy.skill_areas,
        levels=await SkillLevel.all(),
        activity_labels=cpd.ACTIVITY_LABELS,
        visibility_labels=cpd.VISIBILITY_LABELS,
        confirm_field=CONFIRM_FIELD,
    ), (422 if errors else 200)


@blueprint.route("/entries/new", methods=["GET", "POST"])
async def new_entry():
    return await _entry_form()


@blueprint.route("/entries/<int:entry_id>", methods=["GET", "POST"])
async def edit_entry(entry_id: int):
    """Edit an entry. Saving a drafted entry confirms it."""
    entry = await cpd.access_entry(_signed_in(), entry_id)
    return await _entry_form(entry)


@blueprint.post("/entries/<int:entry_id>/delete")
async def delete_entry(entry_id: int):
    member = _signed_in()
    entry = await cpd.access_entry(member, entry_id)
    await cpd.do_delete_entry(member, entry)
    return redirect(url_for("cpd.record"), 303)


@blueprint.get("/export.csv")
async def export_csv():
    """Download the record, or the entries started within ``start`` and ``end``, as CSV."""
    member = _signed_in()
    start, end = _export_range()
    entries = await cpd.list_entries(member, start=start, end=end)
    return Response(
        cpd.entries_to_csv(entries, {area.id: area.name for area in (await get_taxonomy()).skill_areas}),
        content_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="cpd-record.csv"'},
    )


async def _ranged_entries(member):
    start, end = _export_range()
    return start, end, await cpd.list_entries(member, start=start, end=end)


@blueprint.get("/export.json")
async def export_json():
    """Download the record, or the entries started within ``start`` and ``end``, as JSON."""
    member = _signed_in()
    start, end, entries = await _ranged_entries(member)
    taxonomy = await get_taxonomy()
    area_names = {area.id: area.name for area in taxonomy.skill_areas}
    body = json.dumps(cpd.entries_to_json(member, entries, area_names, start, end), ensure_ascii=False, indent=2)
    return Response(
        body,
        content_type="application/json; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="cpd-record.json"'},
    )


@blueprint.get("/export.schema.json")
async def export_schema():
    """Serve the JSON Schema of the JSON export."""
    return Response(json.dumps(cpd.EXPORT_SCHEMA, indent=2), content_type="application/schema+json")


@blueprint.get("/portfolio")
async def portfolio():
    """Show saved entries as a printable portfolio."""
    member = _signed_in()
    start, end, entries = await _ranged_entries(member)
    taxonomy = await get_taxonomy()
    return await render_template(
        "cpd/portfolio.html",
        member=member,
        start=start,
        end=end,
        entries=[entry for entry in entries if not entry.is_draft],
        area_names={area.id: area.name for area in taxonomy.skill_areas},
        level_names=dict(await SkillLevel.all().values_list("value", "name")),
        activity_labels=cpd.ACTIVITY_LABELS,
    )


@blueprint.get("/social-work-england")
async def swe_view():
    """Show saved entries in the order of Social Work England's CPD form, for the last year by default."""
    member = _signed_in()
    if not request.args.get("start") and not request.args.get("end"):
        end = datetime.now(UTC).date()
        start = end - timedelta(days=365)
        entries = await cpd.list_entries(member, start=start, end=end)
    else:
        start, end, entries = await _ranged_entries(member)
    saved = [entry for entry in entries if not entry.is_draft]
    return await render_template(
        "cpd/swe.html",
        start=start,
        end=end,
        entries=saved,
        missing=cpd.check_swe_requirement(saved),
        activity_labels=cpd.ACTIVITY_LABELS,
    )


@blueprint.get("/mentorships/<int:mentorship_id>/shared")
async def shared_with_mentor(mentorship_id: int):
    """Show the mentee's entries shared with their mentor, read-only, to the pair only."""
    from forum.services import mentoring

    if g.member is None:
        raise SignInRequired()
    mentorship = await mentoring.access_mentorship(g.member, mentorship_id)
    entries = await cpd.list_shared_with_mentor(g.member, mentorship)
    taxonomy = await get_taxonomy()
    return await render_template(
        "cpd/shared.html",
        mentorship=mentorship,
        is_mentee=g.member.id == mentorship.mentee_id,
        entries=entries,
        area_names={area.id: area.name for area in taxonomy.skill_areas},
        level_names=dict(await SkillLevel.all().values_list("value", "name")),
        activity_labels=cpd.ACTIVITY_LABELS,
    )


# Open Badges credentials -----------------------------------------------------------------


@blueprint.post("/credentials")
async def issue_credential():
    """Sign a credential for one evidenced level and show it for copying."""
    member = _signed_in()
    form = await request.form
    area_id = form.get("skill_area", "")
    level_names = dict(await SkillLevel.all().values_list("value", "name"))
    token = await credentials.do_issue_credential(
        current_app.config["FORUM"], member, int(area_id) if area_id.isdigit() else 0, level_names
    )
    return await render_template("cpd/credential.html", token=token)


@blueprint.post("/credentials/<credential_id>/revoke")
async def revoke_credential(credential_id: str):
    member = _signed_in()
    await credentials.do_revoke_credential(member, credential_id)
    return redirect(url_for("cpd.record") + "#credentials", 303)


public_blueprint = Blueprint("credentials", __name__)


@public_blueprint.get("/.well-known/jwks.json")
async def jwks():
    """Publish the public key that verifies the site's credentials."""
    body = json.dumps(credentials.public_jwks(current_app.config["FORUM"]))
    return Response(body, content_type="application/json", headers={"Cache-Control": "public, max-age=3600"})


@public_blueprint.route("/credentials/verify", methods=["GET", "POST"])
async def verify():
    """Check a pasted credential. Open to everyone, signed in or not."""
    token = ""
    verification = None
    errors: dict[str, str] = {}
    if request.method == "POST":
        token = (await request.form).get("credential", "").strip()
        if not token:
            errors["credential"] = "Paste the credential to check. It is a long text in three parts separated by dots."
        else:
            verification = await credentials.verify_credential(current_app.config["FORUM"], token)
    return await render_template(
        "cpd/verify.html", token=token, verification=verification, errors=errors
    ), (422 if errors else 200)


@blueprint.get("/sector")
async def sector():
    """Show admins evidenced levels against role profiles and mentoring demand against supply."""
    if g.member is None:
        raise SignInRequired()
    taxonomy = await get_taxonomy()
    view = await cpd.get_sector_view(
        g.member,
        {area.id: area.name for area in taxonomy.skill_areas},
        {role.id: role.name for role in taxonomy.roles},
    )
    return await render_template(
        "cpd/sector.html",
        view=view,
        level_names=dict(await SkillLevel.all().values_list("value", "name")),
        threshold=cpd.SUPPRESSION_THRESHOLD,
    )
