"""Accepted answers, helpful votes, duplicates, drafts, mentions and revision diffs.

Every form here works as a plain POST that redirects back. Requests from htmx (the
``HX-Request`` header) get a fragment to swap in instead.
"""

from quart import Blueprint, current_app, g, redirect, render_template, request, url_for

from forum.auth.policy import Action, require
from forum.errors import ValidationFailed
from forum.services import browsing, qa, writing

blueprint = Blueprint("qa", __name__)


def _settings():
    return current_app.config["FORUM"]


def _is_htmx() -> bool:
    return request.headers.get("HX-Request") == "true"


def post_url(thread, post) -> str:
    """Return the address of a post in its place on the thread's pages."""
    page_start = ((post.number - 1) // browsing.POSTS_PER_PAGE) * browsing.POSTS_PER_PAGE
    args = {"after": page_start} if page_start else {}
    path = url_for("threads.show_thread", thread_id=thread.id, slug=thread.slug, **args)
    return f"{path}#post-{post.number}"


def _thread_url(thread, anchor: str = "") -> str:
    path = url_for("threads.show_thread", thread_id=thread.id, slug=thread.slug)
    return f"{path}#{anchor}" if anchor else path


@blueprint.get("/posts/<int:post_id>")
async def show_post(post_id: int):
    """Redirect to a post in its place in the thread."""
    post = await browsing.access_post(g.member, post_id)
    return redirect(post_url(post.thread, post))


@blueprint.post("/posts/<int:post_id>/accept")
async def accept_answer(post_id: int):
    """Mark a reply as the accepted answer to its question."""
    post = await browsing.access_post(g.member, post_id)
    await qa.do_accept_answer(g.member, post)
    return redirect(_thread_url(post.thread, "accepted-answer"), 303)


@blueprint.post("/threads/<int:thread_id>/accepted/remove")
async def remove_accepted_answer(thread_id: int):
    """Clear a question's accepted answer."""
    thread = await browsing.access_thread(g.member, thread_id)
    await qa.do_remove_accepted_answer(g.member, thread)
    return redirect(_thread_url(thread), 303)


@blueprint.post("/posts/<int:post_id>/vote")
async def vote(post_id: int):
    """Add or take back the member's helpful vote on a post."""
    post = await browsing.access_post(g.member, post_id)
    form = await request.form
    if form.get("undo"):
        result = await qa.do_unvote(g.member, post)
    else:
        result = await qa.do_vote(g.member, post)

    if _is_htmx():
        return await render_template("qa/_vote.html", post=post, voted=result.voted)
    return redirect(post_url(post.thread, post), 303)


@blueprint.route("/threads/<int:thread_id>/duplicates/new", methods=["GET", "POST"])
async def suggest_duplicate(thread_id: int):
    """Show the form to suggest an earlier thread that answers this one, or save it."""
    thread = await browsing.access_thread(g.member, thread_id)
    require(g.member, Action.SUGGEST_DUPLICATE, thread)
    reference, errors = "", {}

    if request.method == "POST":
        form = await request.form
        reference = form.get("canonical", "")
        try:
            await qa.do_suggest_duplicate(
                g.member, thread, reference, base_url=_settings().base_url
            )
        except ValidationFailed as failure:
            errors = failure.errors
        else:
            return redirect(_thread_url(thread, "duplicates"), 303)

    return await render_template(
        "qa/suggest_duplicate.html", thread=thread, reference=reference, errors=errors
    ), (422 if errors else 200)


@blueprint.post("/duplicates/<int:suggestion_id>/accept")
async def accept_duplicate(suggestion_id: int):
    """Agree that a thread is answered in the suggested thread."""
    suggestion = await qa.access_suggestion(g.member, suggestion_id)
    await qa.do_accept_duplicate(g.member, suggestion)
    return redirect(_thread_url(suggestion.thread, "duplicates"), 303)


@blueprint.post("/duplicates/<int:suggestion_id>/decline")
async def decline_duplicate(suggestion_id: int):
    """Decline a suggested duplicate, or stop a thread pointing to another."""
    suggestion = await qa.access_suggestion(g.member, suggestion_id)
    await qa.do_decline_duplicate(g.member, suggestion)
    return redirect(_thread_url(suggestion.thread, "duplicates"), 303)


@blueprint.post("/threads/<int:thread_id>/draft")
async def save_draft(thread_id: int):
    """Save the member's unsent reply on the server."""
    thread = await browsing.access_thread(g.member, thread_id)
    form = await request.form
    body = "" if form.get("discard") else form.get("body", "")
    try:
        draft = await writing.do_save_draft(
            g.member, thread, body, max_length=_settings().max_post_length
        )
    except ValidationFailed as failure:
        if _is_htmx():
            return await render_template(
                "qa/_draft_status.html", draft=None, error=failure.errors["body"]
            )
        raise

    if _is_htmx():
        return await render_template("qa/_draft_status.html", draft=draft, error=None)
    return redirect(_thread_url(thread, "reply"), 303)


@blueprint.post("/mentions/suggestions")
async def suggest_mentions():
    """List members to mention, matching the ``@`` word at the end of the text typed."""
    form = await request.form
    members = await writing.list_mention_suggestions(g.member, form.get("body", ""))
    return await render_template("qa/_mention_suggestions.html", members=members)


@blueprint.get("/posts/<int:post_id>/diff")
async def show_diff(post_id: int):
    """Show what changed between two revisions of a post."""
    post = await browsing.access_post(g.member, post_id)
    old_number = request.args.get("old", type=int)
    new_number = request.args.get("new", type=int)
    diff = await writing.get_revision_diff(g.member, post, old_number, new_number)
    return await render_template("qa/diff.html", post=post, diff=diff)
