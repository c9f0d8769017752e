"""The admins' role profile pages: list, add, edit levels, retire, restore and delete.

Registered inside the CPD blueprint, so the pages live under /cpd/role-profiles.
"""

from quart import Blueprint, g, redirect, render_template, request, url_for

from forum.auth.policy import Action, require
from forum.errors import Conflict, SignInRequired, ValidationFailed
from forum.services import role_profiles
from forum.services.browsing import get_taxonomy
from models import SkillLevel

blueprint = Blueprint("role_profiles", __name__, url_prefix="/role-profiles")

DONE_MESSAGES = {
    "added": "The role profile is added.",
    "saved": "The role profile is saved.",
    "retired": "The role profile is retired. Members no longer see it on their records.",
    "restored": "The role profile is back in use.",
    "deleted": "The role profile is deleted.",
}


def _admin():
    if g.member is None:
        raise SignInRequired()
    require(g.member, Action.MANAGE_ROLE_PROFILES)
    return g.member


def _form_from_request(form, skill_areas) -> role_profiles.RoleProfileForm:
    return role_profiles.RoleProfileForm(
        slug=form.get("slug", ""),
        name=form.get("name", ""),
        description=form.get("description", ""),
        position=form.get("position", "0"),
        levels=tuple((str(area.id), form.get(f"level_{area.id}", "")) for area in skill_areas),
    )


def _form_from_profile(summary: role_profiles.ProfileSummary, skill_areas) -> role_profiles.RoleProfileForm:
    profile = summary.profile
    return role_profiles.RoleProfileForm(
        slug=profile.slug,
        name=profile.name,
        description=profile.description,
        position=str(profile.position),
        levels=tuple((str(area.id), str(summary.levels.get(area.id, ""))) for area in skill_areas),
    )


@blueprint.get("")
async def index():
    """List every role profile with its expected levels."""
    admin = _admin()
    taxonomy = await get_taxonomy()
    return await render_template(
        "cpd/role_profiles.html",
        summaries=await role_profiles.list_role_profiles(admin),
        area_names={area.id: area.name for area in taxonomy.skill_areas},
        level_names=dict(await SkillLevel.all().values_list("value", "name")),
        done=DONE_MESSAGES.get(request.args.get("done", "")),
        error=None,
    )


async def _form_page(summary, form, errors, status=200):
    taxonomy = await get_taxonomy()
    return await render_template(
        "cpd/role_profile_form.html",
        summary=summary,
        form=form,
        chosen=dict(form.levels),
        errors=errors,
        skill_areas=taxonomy.skill_areas,
        levels=await SkillLevel.filter(value__gte=1),
    ), status


@blueprint.route("/new", methods=["GET", "POST"])
async def new():
    """Add a role profile for a technical role."""
    admin = _admin()
    taxonomy = await get_taxonomy()
    form = role_profiles.RoleProfileForm()
    if request.method == "POST":
        form = _form_from_request(await request.form, taxonomy.skill_areas)
        try:
            await role_profiles.do_create_role_profile(admin, form)
        except ValidationFailed as failure:
            return await _form_page(None, form, failure.errors, 422)
        return redirect(url_for("cpd.role_profiles.index", done="added"), 303)
    return await _form_page(None, form, {})


@blueprint.route("/<int:profile_id>", methods=["GET", "POST"])
async def edit(profile_id: int):
    """Edit a profile's name, description, position and expected level per skill area."""
    admin = _admin()
    summary = await role_profiles.access_role_profile(admin, profile_id)
    taxonomy = await get_taxonomy()
    if request.method == "POST":
        form = _form_from_request(await request.form, taxonomy.skill_areas)
        try:
            await role_profiles.do_update_role_profile(admin, summary, form)
        except ValidationFailed as failure:
            return await _form_page(summary, form, failure.errors, 422)
        return redirect(url_for("cpd.role_profiles.index", done="saved"), 303)
    return await _form_page(summary, _form_from_profile(summary, taxonomy.skill_areas), {})


@blueprint.post("/<int:profile_id>/retirement")
async def set_retired(profile_id: int):
    """Retire a profile, or restore a retired one."""
    admin = _admin()
    summary = await role_profiles.access_role_profile(admin, profile_id)
    retire = (await request.form).get("retired") == "true"
    await role_profiles.do_set_retired(admin, summary.profile, retire)
    return redirect(url_for("cpd.role_profiles.index", done="retired" if retire else "restored"), 303)


@blueprint.post("/<int:profile_id>/delete")
async def delete(profile_id: int):
    """Delete a retired profile. A live one is in use, so the list shows why it was not deleted."""
    admin = _admin()
    summary = await role_profiles.access_role_profile(admin, profile_id)
    try:
        await role_profiles.do_delete_role_profile(admin, summary)
    except Conflict as conflict:
        taxonomy = await get_taxonomy()
        return await render_template(
            "cpd/role_profiles.html",
            summaries=await role_profiles.list_role_profiles(admin),
            area_names={area.id: area.name for area in taxonomy.skill_areas},
            level_names=dict(await SkillLevel.all().values_list("value", "name")),
            done=None,
            error=conflict.message,
        ), 409
    return redirect(url_for("cpd.role_profiles.index", done="deleted"), 303)
