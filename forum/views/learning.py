"""The learning resources directory, a resource's page, and the admins' resource form."""

from quart import Blueprint, g, redirect, render_template, request, url_for

from forum.auth.policy import Action, can, require
from forum.errors import SignInRequired, ValidationFailed
from forum.services import learning
from forum.services.browsing import get_taxonomy
from models import SkillLevel

blueprint = Blueprint("learning", __name__, url_prefix="/learning")


async def _choices() -> dict:
    taxonomy = await get_taxonomy()
    return {
        "skill_areas": taxonomy.skill_areas,
        "area_names": {area.id: area.name for area in taxonomy.skill_areas},
        "levels": await SkillLevel.all(),
        "format_labels": learning.FORMAT_LABELS,
        "cost_labels": learning.COST_LABELS,
    }


@blueprint.get("")
async def directory():
    """List resources, filtered by text, skill area, format, cost and level."""
    resource_filter = learning.ResourceFilter(
        **{name: request.args.get(name, "") for name in learning.ResourceFilter.__dataclass_fields__}
    )
    return await render_template(
        "cpd/learning_directory.html",
        resources=await learning.list_resources(resource_filter),
        resource_filter=resource_filter,
        may_manage=can(g.member, Action.MANAGE_LEARNING_RESOURCES),
        **await _choices(),
    )


@blueprint.get("/specialists")
async def specialists():
    """List the skill areas with few specialists, with each specialist's office hours."""
    choices = await _choices()
    return await render_template(
        "cpd/specialists.html",
        scarce=await learning.list_scarce_specialists(choices["area_names"]),
        level_names={level.value: level.name for level in choices["levels"]},
        scarce_max=learning.SCARCE_MAX_MENTORS,
    )


@blueprint.route("/<int:resource_id>", methods=["GET", "POST"])
async def show(resource_id: int):
    """Show a resource. POST marks it completed, with an optional rating."""
    resource = await learning.access_resource(resource_id)
    errors: dict[str, str] = {}
    if request.method == "POST":
        if g.member is None:
            raise SignInRequired()
        try:
            await learning.do_mark_completed(g.member, resource, (await request.form).get("rating", ""))
        except ValidationFailed as failure:
            errors = failure.errors
        else:
            return redirect(url_for("learning.show", resource_id=resource_id), 303)
    return await render_template(
        "cpd/learning_resource.html",
        resource=resource,
        completion=await learning.get_completion(g.member, resource),
        may_manage=can(g.member, Action.MANAGE_LEARNING_RESOURCES),
        errors=errors,
        **await _choices(),
    ), (422 if errors else 200)


async def _resource_form(resource=None):
    require(g.member, Action.MANAGE_LEARNING_RESOURCES)
    if resource is None:
        draft = learning.ResourceDraft()
    else:
        draft = learning.ResourceDraft(
            title=resource.title, provider=resource.provider, url=resource.url, format=resource.format,
            cost=resource.cost, description=resource.description,
            skill_area_ids=tuple(str(area) for area in resource.skill_area_ids),
            levels=tuple(str(level) for level in resource.levels),
        )
    errors: dict[str, str] = {}
    if request.method == "POST":
        form = await request.form
        draft = learning.ResourceDraft(
            title=form.get("title", ""), provider=form.get("provider", ""), url=form.get("url", ""),
            format=form.get("format", ""), cost=form.get("cost", ""), description=form.get("description", ""),
            skill_area_ids=tuple(form.getlist("skill_area_ids")), levels=tuple(form.getlist("levels")),
        )
        try:
            saved = await learning.do_save_resource(g.member, draft, resource)
        except ValidationFailed as failure:
            errors = failure.errors
        else:
            return redirect(url_for("learning.show", resource_id=saved.id), 303)
    return await render_template(
        "cpd/learning_form.html", resource=resource, draft=draft, errors=errors, **await _choices()
    ), (422 if errors else 200)


@blueprint.route("/new", methods=["GET", "POST"])
async def new_resource():
    return await _resource_form()


@blueprint.route("/<int:resource_id>/edit", methods=["GET", "POST"])
async def edit_resource(resource_id: int):
    require(g.member, Action.MANAGE_LEARNING_RESOURCES)
    return await _resource_form(await learning.access_resource(resource_id))
