"""Mentoring pages: the mentor directory, profiles, requests, the pair's space, and admin runs."""

from quart import Blueprint, current_app, g, redirect, render_template, request, url_for

from forum.auth.policy import Action, require
from forum.errors import NotFound, SignInRequired, ValidationFailed
from forum.services import match_runs, mentoring, mentoring_forms
from forum.services.browsing import get_taxonomy
from forum.services.matching import FACTORS, LEVEL_NAMES
from models import OrganisationKind
from models.mentoring import (
    CADENCE_LABELS,
    CASE_MANAGEMENT_SYSTEMS,
    FORMAT_LABELS,
    IMPORTANCE_LABELS,
    PLACE_HOLDING_STATES,
    STATUTORY_RETURNS,
    MentorshipState,
)

blueprint = Blueprint("mentoring", __name__, url_prefix="/mentoring")

STATE_LABELS = {
    MentorshipState.REQUESTED: "Waiting for an answer",
    MentorshipState.ACCEPTED: "Accepted",
    MentorshipState.DECLINED: "Declined",
    MentorshipState.EXPIRED: "Expired",
    MentorshipState.WITHDRAWN: "Withdrawn",
    MentorshipState.AGREED: "Agreed",
    MentorshipState.ACTIVE: "Active",
    MentorshipState.EXTENDED: "Extended",
    MentorshipState.COMPLETED: "Completed",
    MentorshipState.CLOSED_EARLY: "Closed early",
}
REQUEST_STATE_LABELS = {
    "open": "Open",
    "asked": "Mentor asked",
    "matched": "Matched",
    "closed": "Closed",
}
ORGANISATION_KIND_LABELS = {
    OrganisationKind.LOCAL_AUTHORITY: "Local authority",
    OrganisationKind.CENTRAL_GOVERNMENT: "Central government",
    OrganisationKind.OTHER_PUBLIC: "Other public sector",
    OrganisationKind.SUPPLIER: "Supplier",
    OrganisationKind.CONSULTANCY: "Consultancy",
    OrganisationKind.CHARITY: "Charity",
    OrganisationKind.OTHER: "Other",
}


@blueprint.context_processor
def _labels() -> dict:
    return {
        "state_labels": STATE_LABELS,
        "request_state_labels": REQUEST_STATE_LABELS,
        "level_names": LEVEL_NAMES,
        "format_labels": FORMAT_LABELS,
        "system_labels": CASE_MANAGEMENT_SYSTEMS,
        "return_labels": STATUTORY_RETURNS,
        "cadence_labels": CADENCE_LABELS,
        "importance_labels": IMPORTANCE_LABELS,
        "organisation_kind_labels": ORGANISATION_KIND_LABELS,
        "factor_names": FACTORS,
    }


def _max_length() -> int:
    return current_app.config["FORUM"].max_post_length


def _signed_in():
    if g.member is None:
        raise SignInRequired()
    return g.member


@blueprint.get("")
async def overview():
    """Show the member's mentor profile, requests and mentorships."""
    member = _signed_in()
    taxonomy = await get_taxonomy()
    page = await mentoring.get_overview(member, taxonomy)
    return await render_template("mentoring/overview.html", page=page, taxonomy=taxonomy)


@blueprint.get("/mentors")
async def directory():
    """List mentors with a free place, filtered by skill area, level, role and organisation kind."""
    taxonomy = await get_taxonomy()
    args = request.args
    directory_filter = mentoring.DirectoryFilter(
        skill=args.get("skill", ""),
        level=args.get("level", ""),
        role=args.get("role", ""),
        organisation_kind=args.get("organisation_kind", "")
        if args.get("organisation_kind") in set(OrganisationKind)
        else "",
        include_full=args.get("include_full") == "yes",
    )
    page_number = args.get("page", type=int) or 1
    entries, has_more = await mentoring.list_mentor_directory(
        taxonomy, directory_filter, page=page_number
    )
    return await render_template(
        "mentoring/directory.html",
        entries=entries,
        has_more=has_more,
        page_number=page_number,
        filter=directory_filter,
        taxonomy=taxonomy,
        page_args={name: value for name, value in args.items() if name != "page"},
    )


@blueprint.route("/profile", methods=["GET", "POST"])
async def edit_profile():
    """Show the mentor profile form, or save it."""
    member = _signed_in()
    require(member, Action.OFFER_MENTORING)
    taxonomy = await get_taxonomy()
    profile, levels = await mentoring.get_mentor_profile(member)
    by_id = {area.id: area.slug for area in taxonomy.skill_areas}
    draft = mentoring_forms.ProfileDraft(
        levels={by_id[a]: str(level) for a, level in levels.items() if a in by_id},
        capacity=str(profile.capacity) if profile else "2",
        formats=tuple(profile.formats) if profile else (),
        availability=profile.availability if profile else "",
        offer=profile.offer if profile else "",
        systems=tuple(profile.systems) if profile else (),
        returns=tuple(profile.returns) if profile else (),
        accepting=profile.accepting if profile else True,
    )
    errors: dict[str, str] = {}

    if request.method == "POST":
        form = await request.form
        draft = mentoring_forms.ProfileDraft(
            levels={area.slug: form.get(f"level-{area.slug}", "") for area in taxonomy.skill_areas},
            capacity=form.get("capacity", ""),
            formats=tuple(form.getlist("formats")),
            availability=form.get("availability", ""),
            offer=form.get("offer", ""),
            systems=tuple(form.getlist("systems")),
            returns=tuple(form.getlist("returns")),
            accepting=form.get("accepting") == "yes",
        )
        try:
            await mentoring.do_save_mentor_profile(member, draft, taxonomy)
        except ValidationFailed as failure:
            errors = failure.errors
        else:
            return redirect(url_for("mentoring.overview"), 303)

    return await render_template(
        "mentoring/profile.html", draft=draft, errors=errors, taxonomy=taxonomy, profile=profile
    ), (422 if errors else 200)


@blueprint.route("/requests/new", methods=["GET", "POST"])
async def new_request():
    """Show the mentoring request form, or open the request."""
    member = _signed_in()
    require(member, Action.REQUEST_MENTORING)
    taxonomy = await get_taxonomy()
    skill = request.args.get("skill", "")
    draft = mentoring_forms.RequestDraft(needs=(mentoring_forms.NeedDraft(skill_area=skill),))
    errors: dict[str, str] = {}

    if request.method == "POST":
        form = await request.form
        needs = tuple(
            mentoring_forms.NeedDraft(
                skill_area=form.get(f"need-{n}-skill_area", ""),
                current_level=form.get(f"need-{n}-current_level", ""),
                target_level=form.get(f"need-{n}-target_level", ""),
                importance=form.get(f"need-{n}-importance", "2"),
            )
            for n in range(1, mentoring_forms.MAX_REQUEST_SKILLS + 1)
        )
        draft = mentoring_forms.RequestDraft(
            needs=needs,
            goals=form.get("goals", ""),
            prefers_other_organisation=form.get("prefers_other_organisation") == "yes",
            prefers_same_role=form.get("prefers_same_role") == "yes",
            formats=tuple(form.getlist("formats")),
            systems=tuple(form.getlist("systems")),
            returns=tuple(form.getlist("returns")),
            timeframe_months=form.get("timeframe_months", ""),
        )
        try:
            created = await mentoring.do_create_request(
                member, draft, taxonomy, max_length=_max_length()
            )
        except ValidationFailed as failure:
            errors = failure.errors
        else:
            return redirect(url_for("mentoring.show_request", request_id=created.id), 303)

    rows = list(draft.needs) + [mentoring_forms.NeedDraft()] * (
        mentoring_forms.MAX_REQUEST_SKILLS - len(draft.needs)
    )
    return await render_template(
        "mentoring/request_new.html", draft=draft, rows=rows, errors=errors, taxonomy=taxonomy
    ), (422 if errors else 200)


async def _request_page(member, mentoring_request, *, errors=None, status=200):
    taxonomy = await get_taxonomy()
    skills = await mentoring.list_request_skills(mentoring_request, taxonomy)
    suggestions = []
    if mentoring_request.state == "open":
        suggestions = await match_runs.list_suggestions(mentoring_request, member)
    asked = await mentoring.list_request_mentorships(mentoring_request)
    return await render_template(
        "mentoring/request.html",
        mentoring_request=mentoring_request,
        skills=skills,
        suggestions=suggestions,
        asked=asked,
        errors=errors or {},
    ), status


@blueprint.get("/requests/<int:request_id>")
async def show_request(request_id: int):
    """Show a request with the five mentors who suit it best, and why."""
    member = _signed_in()
    mentoring_request = await mentoring.access_request(member, request_id)
    return await _request_page(member, mentoring_request)


@blueprint.post("/requests/<int:request_id>/ask")
async def ask_mentor(request_id: int):
    """Ask one mentor to take on the request."""
    member = _signed_in()
    mentoring_request = await mentoring.access_request(member, request_id)
    form = await request.form
    mentor_id = form.get("mentor_id", "")
    if not mentor_id.isdigit():
        raise NotFound()
    try:
        mentorship = await mentoring.do_ask_mentor(
            member, mentoring_request, int(mentor_id), message=form.get("message", "")
        )
    except ValidationFailed as failure:
        return await _request_page(member, mentoring_request, errors=failure.errors, status=422)
    return redirect(url_for("mentoring.show_mentorship", mentorship_id=mentorship.id), 303)


@blueprint.post("/requests/<int:request_id>/close")
async def close_request(request_id: int):
    """Close an open request."""
    member = _signed_in()
    mentoring_request = await mentoring.access_request(member, request_id)
    await mentoring.do_close_request(member, mentoring_request)
    return redirect(url_for("mentoring.overview"), 303)


async def _space_page(mentorship, viewer, *, space=None, errors=None, form=None, status=200):
    taxonomy = await get_taxonomy()
    space = space or await mentoring.get_space(mentorship, viewer, taxonomy)
    return await render_template(
        "mentoring/mentorship.html",
        space=space,
        m=space.mentorship,
        taxonomy=taxonomy,
        errors=errors or {},
        form=form or {},
        running=mentorship.state in PLACE_HOLDING_STATES,
    ), status


@blueprint.get("/mentorships/<int:mentorship_id>")
async def show_mentorship(mentorship_id: int):
    """Show the pair's private space: agreement, sessions and messages."""
    member = _signed_in()
    mentorship = await mentoring.access_mentorship(member, mentorship_id)
    return await _space_page(mentorship, member)


async def _act(mentorship_id: int, action):
    """Run one lifecycle change from a form, re-showing the space with errors when invalid."""
    member = _signed_in()
    mentorship = await mentoring.access_mentorship(member, mentorship_id)
    form = await request.form
    try:
        await action(member, mentorship, form)
    except ValidationFailed as failure:
        return await _space_page(mentorship, member, errors=failure.errors, form=form, status=422)
    return redirect(url_for("mentoring.show_mentorship", mentorship_id=mentorship.id), 303)


@blueprint.post("/mentorships/<int:mentorship_id>/accept")
async def accept(mentorship_id: int):
    """Accept a request as its mentor."""
    return await _act(mentorship_id, lambda member, m, form: mentoring.do_accept(member, m))


@blueprint.post("/mentorships/<int:mentorship_id>/decline")
async def decline(mentorship_id: int):
    """Decline a request as its mentor, with a reason."""
    return await _act(
        mentorship_id,
        lambda member, m, form: mentoring.do_decline(member, m, form.get("reason", "")),
    )


@blueprint.post("/mentorships/<int:mentorship_id>/withdraw")
async def withdraw(mentorship_id: int):
    """Withdraw a request before the mentor answers."""
    return await _act(mentorship_id, lambda member, m, form: mentoring.do_withdraw(member, m))


@blueprint.post("/mentorships/<int:mentorship_id>/messages")
async def send_message(mentorship_id: int):
    """Add a message to the pair's private space."""
    return await _act(
        mentorship_id,
        lambda member, m, form: mentoring.do_send_message(
            member, m, form.get("body", ""), max_length=_max_length()
        ),
    )


@blueprint.post("/mentorships/<int:mentorship_id>/extend")
async def extend(mentorship_id: int):
    """Move the mentorship's end date later."""
    return await _act(
        mentorship_id,
        lambda member, m, form: mentoring.do_extend(
            member, m, form.get("end_day", ""), form.get("end_month", ""), form.get("end_year", "")
        ),
    )


@blueprint.post("/mentorships/<int:mentorship_id>/complete")
async def complete(mentorship_id: int):
    """Mark the mentorship completed."""
    return await _act(mentorship_id, lambda member, m, form: mentoring.do_complete(member, m))


@blueprint.post("/mentorships/<int:mentorship_id>/close")
async def close_early(mentorship_id: int):
    """Close the mentorship early, with a reason."""
    return await _act(
        mentorship_id,
        lambda member, m, form: mentoring.do_close_early(member, m, form.get("reason", "")),
    )


@blueprint.post("/mentorships/<int:mentorship_id>/feedback")
async def give_feedback(mentorship_id: int):
    """Give private feedback on an ended mentorship."""
    return await _act(
        mentorship_id,
        lambda member, m, form: mentoring.do_give_feedback(
            member, m, form.get("rating", ""), form.get("words", "")
        ),
    )


@blueprint.route("/mentorships/<int:mentorship_id>/agreement", methods=["GET", "POST"])
async def record_agreement(mentorship_id: int):
    """Show the agreement form, or record the agreement."""
    member = _signed_in()
    mentorship = await mentoring.access_mentorship(member, mentorship_id)
    require(member, Action.AGREE_MENTORSHIP, mentorship)
    taxonomy = await get_taxonomy()
    draft = mentoring_forms.AgreementDraft(
        goals=(mentoring_forms.GoalDraft(),) * mentoring_forms.MAX_GOALS
    )
    errors: dict[str, str] = {}

    if request.method == "POST":
        form = await request.form
        draft = mentoring_forms.AgreementDraft(
            goals=tuple(
                mentoring_forms.GoalDraft(
                    skill_area=form.get(f"goal-{n}-skill_area", ""),
                    target_level=form.get(f"goal-{n}-target_level", ""),
                    description=form.get(f"goal-{n}-description", ""),
                )
                for n in range(1, mentoring_forms.MAX_GOALS + 1)
            ),
            cadence=form.get("cadence", ""),
            end_day=form.get("end_day", ""),
            end_month=form.get("end_month", ""),
            end_year=form.get("end_year", ""),
        )
        try:
            await mentoring.do_record_agreement(member, mentorship, draft, taxonomy)
        except ValidationFailed as failure:
            errors = failure.errors
        else:
            return redirect(url_for("mentoring.show_mentorship", mentorship_id=mentorship.id), 303)
    else:
        mentoring.check_transition(mentorship, mentoring.MentorshipStep.AGREE)

    return await render_template(
        "mentoring/agreement.html", m=mentorship, draft=draft, errors=errors, taxonomy=taxonomy
    ), (422 if errors else 200)


@blueprint.route("/mentorships/<int:mentorship_id>/sessions/new", methods=["GET", "POST"])
async def log_session(mentorship_id: int):
    """Show the session form, or log the session."""
    member = _signed_in()
    mentorship = await mentoring.access_mentorship(member, mentorship_id)
    require(member, Action.LOG_SESSION, mentorship)
    taxonomy = await get_taxonomy()
    draft = mentoring_forms.SessionDraft()
    errors: dict[str, str] = {}

    if request.method == "POST":
        form = await request.form
        draft = mentoring_forms.SessionDraft(
            held_day=form.get("held_day", ""),
            held_month=form.get("held_month", ""),
            held_year=form.get("held_year", ""),
            minutes=form.get("minutes", ""),
            skill_areas=tuple(form.getlist("skill_areas")),
            shared_notes=form.get("shared_notes", ""),
            private_notes=form.get("private_notes", ""),
        )
        try:
            await mentoring.do_log_session(
                member, mentorship, draft, taxonomy, max_length=_max_length()
            )
        except ValidationFailed as failure:
            errors = failure.errors
        else:
            return redirect(url_for("mentoring.show_mentorship", mentorship_id=mentorship.id), 303)

    return await render_template(
        "mentoring/session_new.html", m=mentorship, draft=draft, errors=errors, taxonomy=taxonomy
    ), (422 if errors else 200)


@blueprint.route("/mentorships/<int:mentorship_id>/moderate", methods=["GET", "POST"])
async def open_as_moderator(mentorship_id: int):
    """Ask a moderator for a reason, then show the pair's space and audit the opening."""
    member = _signed_in()
    require(member, Action.OPEN_MENTORSHIP_AS_MODERATOR)
    errors: dict[str, str] = {}
    reason = ""

    if request.method == "POST":
        form = await request.form
        reason = form.get("reason", "")
        taxonomy = await get_taxonomy()
        try:
            space = await mentoring.do_open_as_moderator(member, mentorship_id, reason, taxonomy)
        except ValidationFailed as failure:
            errors = failure.errors
        else:
            return await _space_page(space.mentorship, member, space=space)

    return await render_template(
        "mentoring/moderate.html", mentorship_id=mentorship_id, reason=reason, errors=errors
    ), (422 if errors else 200)


# Admin ------------------------------------------------------------------------------------


@blueprint.get("/admin")
async def admin_runs():
    """List match runs, newest first."""
    member = _signed_in()
    runs = await match_runs.list_runs(member)
    return await render_template("mentoring/admin_runs.html", runs=runs)


@blueprint.post("/admin/runs")
async def start_run():
    """Run the matching engine now and store the result as a draft for review."""
    member = _signed_in()
    outcome = await match_runs.do_run_matching(member)
    return redirect(url_for("mentoring.show_run", run_id=outcome.run.id), 303)


@blueprint.get("/admin/runs/<int:run_id>")
async def show_run(run_id: int):
    """Show a match run's suggestions with their scores and reasons."""
    member = _signed_in()
    run, suggestions = await match_runs.access_run(member, run_id)
    return await render_template("mentoring/admin_run.html", run=run, suggestions=suggestions)


@blueprint.post("/admin/runs/<int:run_id>/publish")
async def publish_run(run_id: int):
    """Publish a draft run's suggestions to their mentees."""
    member = _signed_in()
    await match_runs.do_publish_run(member, run_id)
    return redirect(url_for("mentoring.show_run", run_id=run_id), 303)


@blueprint.route("/admin/weights", methods=["GET", "POST"])
async def edit_weights():
    """Show the matching weights form, or save it."""
    member = _signed_in()
    require(member, Action.EDIT_MATCHING_WEIGHTS)
    values = {name: str(value) for name, value in vars(await match_runs.get_weights()).items()}
    errors: dict[str, str] = {}

    if request.method == "POST":
        form = await request.form
        values = {name: form.get(name, "") for name in match_runs.WEIGHT_FIELDS}
        try:
            await match_runs.do_save_weights(member, values)
        except ValidationFailed as failure:
            errors = failure.errors
        else:
            return redirect(url_for("mentoring.admin_runs"), 303)

    return await render_template(
        "mentoring/admin_weights.html",
        values=values,
        errors=errors,
        limits=match_runs.WEIGHT_LIMITS,
    ), (422 if errors else 200)


@blueprint.get("/admin/feedback")
async def admin_feedback():
    """List mentoring feedback with its private ratings."""
    member = _signed_in()
    feedback = await mentoring.list_feedback(member)
    return await render_template("mentoring/admin_feedback.html", feedback=feedback)
