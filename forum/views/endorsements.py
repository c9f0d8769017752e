"""Endorsing a member from evidence, and withdrawing, voiding or hiding an endorsement."""

from quart import Blueprint, g, redirect, render_template, request, url_for

from forum.auth.policy import Action, can
from forum.errors import SignInRequired, ValidationFailed
from forum.services import endorsements
from forum.services.browsing import get_taxonomy
from forum.services.cpd import ACTIVITY_LABELS
from forum.services.privacy import CONFIRM_FIELD
from models import SkillLevel

blueprint = Blueprint("endorsements", __name__)

FIELD_ANCHORS = {"skill_area": "skill_area", "level": "level-1", "relationship": "relationship-worked_together",
                 "member": "member", CONFIRM_FIELD: "statement"}


def _signed_in():
    if g.member is None:
        raise SignInRequired()
    return g.member


@blueprint.route("/endorse/<kind>/<int:object_id>", methods=["GET", "POST"])
async def endorse(kind: str, object_id: int):
    """Show the endorsement form for a post or mentorship, or store the endorsement."""
    member = _signed_in()
    evidence = await endorsements.access_evidence(member, kind, object_id)
    taxonomy = await get_taxonomy()
    levels = await SkillLevel.filter(value__gte=1)
    draft = endorsements.EndorsementDraft(skill_area=request.args.get("skill_area", ""))
    errors: dict[str, str] = {}
    if request.method == "POST":
        form = await request.form
        draft = endorsements.EndorsementDraft(
            **{name: form.get(name, "") for name in endorsements.EndorsementDraft.__dataclass_fields__}
        )
        try:
            endorsement = await endorsements.do_endorse(member, evidence, draft)
        except ValidationFailed as failure:
            errors = failure.errors
        else:
            return redirect(url_for("endorsements.show", endorsement_id=endorsement.id), 303)
    return await render_template(
        "endorsements/new.html",
        evidence=evidence,
        draft=draft,
        errors=errors,
        anchors=FIELD_ANCHORS,
        skill_areas=taxonomy.skill_areas,
        levels=levels,
        relationships=endorsements.RELATIONSHIP_LABELS,
        is_self=evidence.member.id == member.id,
    ), (422 if errors else 200)


@blueprint.get("/endorsements/<int:endorsement_id>")
async def show(endorsement_id: int):
    endorsement = await endorsements.access_endorsement(g.member, endorsement_id)
    level_names = dict(await SkillLevel.all().values_list("value", "name"))
    return await render_template(
        "endorsements/show.html",
        endorsement=endorsement,
        level_name=level_names.get(endorsement.level, str(endorsement.level)),
        relationship=endorsements.RELATIONSHIP_LABELS[endorsement.relationship],
        may_withdraw=can(g.member, Action.WITHDRAW_ENDORSEMENT, endorsement),
        may_hide=can(g.member, Action.HIDE_ENDORSEMENT, endorsement),
        may_void=can(g.member, Action.VOID_ENDORSEMENT, endorsement),
        errors={},
    )


@blueprint.post("/endorsements/<int:endorsement_id>/withdraw")
async def withdraw(endorsement_id: int):
    member = _signed_in()
    endorsement = await endorsements.access_endorsement(member, endorsement_id)
    await endorsements.do_withdraw(member, endorsement)
    return redirect(url_for("endorsements.show", endorsement_id=endorsement_id), 303)


@blueprint.post("/endorsements/<int:endorsement_id>/visibility")
async def set_visibility(endorsement_id: int):
    """Hide an endorsement from the member's profile, or show it again."""
    member = _signed_in()
    endorsement = await endorsements.access_endorsement(member, endorsement_id)
    form = await request.form
    await endorsements.do_set_hidden(member, endorsement, form.get("hidden") == "true")
    return redirect(url_for("cpd.record") + "#endorsements", 303)


@blueprint.post("/endorsements/<int:endorsement_id>/void")
async def void(endorsement_id: int):
    member = _signed_in()
    endorsement = await endorsements.access_endorsement(member, endorsement_id)
    form = await request.form
    try:
        await endorsements.do_void(member, endorsement, form.get("reason", ""))
    except ValidationFailed as failure:
        level_names = dict(await SkillLevel.all().values_list("value", "name"))
        return await render_template(
            "endorsements/show.html",
            endorsement=endorsement,
            level_name=level_names.get(endorsement.level, str(endorsement.level)),
            relationship=endorsements.RELATIONSHIP_LABELS[endorsement.relationship],
            may_withdraw=False,
            may_hide=False,
            may_void=True,
            errors=failure.errors,
        ), 422
    return redirect(url_for("endorsements.show", endorsement_id=endorsement_id), 303)


@blueprint.get("/members/<handle>/skills")
async def member_skills(handle: str):
    """Show a member's evidenced levels and the CPD entries they made public, to anyone."""
    member, evidence, entries = await endorsements.get_public_profile(handle)
    return await render_template(
        "endorsements/profile.html",
        member=member,
        evidence=evidence,
        entries=entries,
        level_names=dict(await SkillLevel.all().values_list("value", "name")),
        activity_labels=ACTIVITY_LABELS,
    )
