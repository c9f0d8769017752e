"""Browsing and writing threads."""

from quart import Blueprint, current_app, g, redirect, render_template, request, url_for

from forum.auth.policy import Action, require
from forum.errors import NotFound, ValidationFailed
from forum.markdown import MarkdownError, render_markdown
from forum.services import (
    browsing,
    moderation_threads,
    page_cache,
    posting,
    privacy,
    qa,
    rate_limits,
)
from models import Post

blueprint = Blueprint("threads", __name__)


def _settings():
    return current_app.config["FORUM"]


def _filter_from_args(**fixed: str) -> browsing.ThreadFilter:
    args = request.args
    values = {name: args.get(name) or None for name in ("skill", "role", "state", "kind")}
    values.update(fixed)
    return browsing.ThreadFilter(**values)


@blueprint.get("/")
@page_cache.for_visitors
async def home():
    """List threads with the latest activity first."""
    taxonomy = await browsing.get_taxonomy()
    page = await browsing.list_threads(taxonomy, _filter_from_args(), request.args.get("after"))
    return await render_template(
        "threads/list.html", heading="Latest threads", page=page, taxonomy=taxonomy, fixed={}
    )


@blueprint.get("/skills")
@page_cache.for_visitors
async def list_skill_areas():
    """List every skill area with its sub-areas."""
    taxonomy = await browsing.get_taxonomy()
    return await render_template("threads/skill_areas.html", taxonomy=taxonomy)


@blueprint.get("/skills/<slug>")
@page_cache.for_visitors
async def show_skill_area(slug: str):
    """List the threads in a skill area and its sub-areas."""
    taxonomy = await browsing.get_taxonomy()
    area = taxonomy.skill_area(slug)
    if area is None:
        raise NotFound()
    page = await browsing.list_threads(
        taxonomy, _filter_from_args(skill=slug), request.args.get("after")
    )
    return await render_template(
        "threads/list.html", heading=area.name, page=page, taxonomy=taxonomy, area=area,
        fixed={"skill": slug},
    )


@blueprint.get("/roles")
@page_cache.for_visitors
async def list_roles():
    """List every role."""
    taxonomy = await browsing.get_taxonomy()
    return await render_template("threads/roles.html", taxonomy=taxonomy)


@blueprint.get("/roles/<slug>")
@page_cache.for_visitors
async def show_role(slug: str):
    """List the threads written for a role."""
    taxonomy = await browsing.get_taxonomy()
    role = taxonomy.role(slug)
    if role is None:
        raise NotFound()
    page = await browsing.list_threads(
        taxonomy, _filter_from_args(role=slug), request.args.get("after")
    )
    return await render_template(
        "threads/list.html", heading=f"Threads for {role.name}", page=page, taxonomy=taxonomy,
        role=role, fixed={"role": slug},
    )


@blueprint.get("/threads/<int:thread_id>")
@blueprint.get("/threads/<int:thread_id>/<slug>")
@page_cache.for_visitors
async def show_thread(thread_id: int, slug: str | None = None):
    """Show a thread's posts in order."""
    try:
        thread = await browsing.access_thread(g.member, thread_id)
    except NotFound:
        thread = None
    if thread is None or thread.merged_into_id is not None:
        # A merged thread is hidden and empty, so its old links go to the merged thread.
        target = await moderation_threads.find_merge_target(g.member, thread_id)
        return redirect(url_for("threads.show_thread", thread_id=target.id, slug=target.slug), 301)
    if slug is not None and slug != thread.slug:
        # One address per thread, whatever slug an old or mistyped link carries.
        return redirect(
            url_for("threads.show_thread", thread_id=thread.id, slug=thread.slug, **request.args),
            301,
        )
    after = request.args.get("after", type=int) or 0
    posts, next_after = await browsing.list_posts(thread, g.member, after)
    extras = await qa.get_thread_extras(
        g.member, thread, posts, quote_id=request.args.get("quote", type=int)
    )
    return await render_template(
        "threads/thread.html", thread=thread, posts=posts, next_after=next_after, after=after,
        body=extras.reply_body, errors={}, qa=extras,
    )


@blueprint.route("/threads/new", methods=["GET", "POST"])
async def new_thread():
    """Show the new-thread form, or create the thread."""
    require(g.member, Action.CREATE_THREAD)
    taxonomy = await browsing.get_taxonomy()
    draft = posting.ThreadDraft(
        skill_area=request.args.get("skill", ""),
        roles=tuple(filter(None, [request.args.get("role", "")])),
    )
    errors: dict[str, str] = {}

    if request.method == "POST":
        form = await request.form
        draft = posting.ThreadDraft(
            title=form.get("title", ""),
            kind=form.get("kind", ""),
            skill_area=form.get("skill_area", ""),
            roles=tuple(form.getlist("roles")),
            body=form.get("body", ""),
        )
        try:
            thread = await posting.do_create_thread(
                g.member, draft, taxonomy, max_length=_settings().max_post_length,
                base_url=_settings().base_url,
                personal_data_confirmed=form.get(privacy.CONFIRM_FIELD) == "yes",
                submission_token=form.get(posting.SUBMISSION_TOKEN_FIELD),
            )
        except posting.RepeatedSubmission as repeat:
            rate_limits.release_allowance()
            thread = repeat.post.thread
            return redirect(url_for("threads.show_thread", thread_id=thread.id, slug=thread.slug), 303)
        except ValidationFailed as failure:
            errors = failure.errors
        else:
            return redirect(url_for("threads.show_thread", thread_id=thread.id, slug=thread.slug), 303)

    status = 422 if errors else 200
    return await render_template(
        "threads/new.html", draft=draft, errors=errors, taxonomy=taxonomy
    ), status


@blueprint.post("/threads/<int:thread_id>/reply")
async def post_reply(thread_id: int):
    """Add a reply to a thread."""
    thread = await browsing.access_thread(g.member, thread_id, for_page=False)
    form = await request.form
    body = form.get("body", "")
    reply_to = None
    if form.get("reply_to", "").isdigit():
        reply_to = await Post.filter(id=int(form["reply_to"]), thread_id=thread.id).first()

    try:
        post = await posting.do_reply(
            g.member, thread, body, max_length=_settings().max_post_length, reply_to=reply_to,
            base_url=_settings().base_url,
            personal_data_confirmed=form.get(privacy.CONFIRM_FIELD) == "yes",
            submission_token=form.get(posting.SUBMISSION_TOKEN_FIELD),
        )
    except posting.RepeatedSubmission as repeat:
        rate_limits.release_allowance()
        return redirect(_post_url(thread, repeat.post), 303)
    except ValidationFailed as failure:
        await browsing.load_thread_page_parts(thread)
        posts, next_after = await browsing.list_posts(thread, g.member)
        extras = await qa.get_thread_extras(g.member, thread, posts)
        extras.quoted_post_id = reply_to.id if reply_to else None
        return await render_template(
            "threads/thread.html", thread=thread, posts=posts, next_after=next_after, after=0,
            body=body, errors=failure.errors, qa=extras,
        ), 422

    return redirect(_post_url(thread, post), 303)


@blueprint.app_template_global()
def submission_token() -> str:
    """Return a one-time token for a reply or new-thread form, so a repeat saves nothing."""
    return posting.new_submission_token()


def _post_url(thread, post) -> str:
    page_start = ((post.number - 1) // browsing.POSTS_PER_PAGE) * browsing.POSTS_PER_PAGE
    args = {"after": page_start} if page_start else {}
    return url_for("threads.show_thread", thread_id=thread.id, slug=thread.slug, **args) + f"#post-{post.number}"


@blueprint.route("/posts/<int:post_id>/edit", methods=["GET", "POST"])
async def edit_post(post_id: int):
    """Show the edit form for a post, or save the new version."""
    post = await browsing.access_post(g.member, post_id)
    require(g.member, Action.EDIT_POST, post)
    body, reason, errors = post.source, "", {}

    if request.method == "POST":
        form = await request.form
        body, reason = form.get("body", ""), form.get("reason", "")
        try:
            await posting.do_edit_post(
                g.member, post, body, max_length=_settings().max_post_length, reason=reason,
                base_url=_settings().base_url,
                personal_data_confirmed=form.get(privacy.CONFIRM_FIELD) == "yes",
            )
        except ValidationFailed as failure:
            errors = failure.errors
        else:
            return redirect(_post_url(post.thread, post), 303)

    return await render_template(
        "threads/edit.html", post=post, body=body, reason=reason, errors=errors
    ), (422 if errors else 200)


@blueprint.get("/posts/<int:post_id>/revisions")
async def show_revisions(post_id: int):
    """List every stored revision of a post."""
    post = await browsing.access_post(g.member, post_id)
    require(g.member, Action.VIEW_REVISIONS, post)
    revisions = await browsing.list_revisions(post)
    return await render_template("threads/revisions.html", post=post, revisions=revisions)


@blueprint.post("/preview")
async def preview():
    """Render markdown for the live preview beside a post form."""
    require(g.member, Action.PREVIEW_MARKDOWN)
    form = await request.form
    try:
        html = render_markdown(form.get("body", ""), max_length=_settings().max_post_length)
        message = None
    except MarkdownError as error:
        html, message = "", str(error)
    return await render_template("threads/_preview.html", html=html, message=message)
