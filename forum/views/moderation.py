"""Flagging, the review queue and the moderator tools for threads, posts and members."""

from quart import Blueprint, Response, current_app, g, redirect, render_template, request, url_for

from forum.auth import policy
from forum.auth.policy import Action, require
from forum.errors import NotFound, ValidationFailed
from forum.services import (
    audit,
    browsing,
    canned_reasons,
    moderation,
    moderation_members,
    moderation_threads,
    privacy,
)
from models import FlagReason, Thread

blueprint = Blueprint("moderation", __name__)


def _settings():
    return current_app.config["FORUM"]


def _thread_url(thread: Thread) -> str:
    return url_for("threads.show_thread", thread_id=thread.id, slug=thread.slug)


def _flash_url(url: str, message: str) -> str:
    """Add a short confirmation for the next page to show, before any #fragment."""
    address, hash_sign, fragment = url.partition("#")
    separator = "&" if "?" in address else "?"
    return f"{address}{separator}done={message}{hash_sign}{fragment}"


async def _reason(form, prefix: str = "", *, required: bool = True) -> str:
    return await canned_reasons.resolve_reason(
        form.get(f"{prefix}reason", ""), form.get(f"{prefix}canned_reason", ""), required=required
    )


# Flagging ------------------------------------------------------------------------------


async def _flag(item, back_url: str, what: str):
    require(g.member, Action.FLAG, item)
    values, errors = {"reason": "", "text": ""}, {}
    if request.method == "POST":
        form = await request.form
        values = {"reason": form.get("reason", ""), "text": form.get("text", "")}
        try:
            await moderation.do_flag(g.member, item, values["reason"], values["text"])
        except ValidationFailed as failure:
            errors = failure.errors
        else:
            return redirect(_flash_url(back_url, "flagged"), 303)

    return await render_template(
        "moderation/flag.html",
        item=item,
        what=what,
        back_url=back_url,
        values=values,
        errors=errors,
        reasons=moderation.REASON_LABELS,
        other=FlagReason.OTHER,
    ), (422 if errors else 200)


@blueprint.route("/posts/<int:post_id>/flag", methods=["GET", "POST"])
async def flag_post(post_id: int):
    """Show the flag form for a post, or record the flag."""
    post = await browsing.access_post(g.member, post_id)
    return await _flag(post, _thread_url(post.thread) + f"#post-{post.number}", "post")


@blueprint.route("/threads/<int:thread_id>/flag", methods=["GET", "POST"])
async def flag_thread(thread_id: int):
    """Show the flag form for a thread, or record the flag."""
    thread = await browsing.access_thread(g.member, thread_id)
    return await _flag(thread, _thread_url(thread), "thread")


# The review queue ----------------------------------------------------------------------


@blueprint.get("/moderation")
async def review_queue():
    """List flagged items, most severe and oldest first."""
    require(g.member, Action.REVIEW_FLAGS)
    items = await moderation.list_review_queue(g.member)
    held = await moderation.list_held_posts(g.member)
    pending = await moderation_members.list_pending_members(g.member)
    return await render_template(
        "moderation/queue.html",
        items=items,
        held_count=len(held),
        pending_count=len(pending),
        done=request.args.get("done"),
    )


@blueprint.route("/moderation/flags/<target_type>/<int:target_id>", methods=["GET", "POST"])
async def review_item(target_type: str, target_id: int):
    """Show one flagged item with its flags, or apply the moderator's outcome."""
    require(g.member, Action.REVIEW_FLAGS)
    item = await moderation.access_review_item(g.member, target_type, target_id)
    resolution, errors, quoted_in = moderation.Resolution(outcome=""), {}, []
    if request.method == "POST":
        form = await request.form
        resolution = moderation.Resolution(
            outcome=form.get("outcome", ""),
            reason=form.get("reason", ""),
            canned_reason_id=form.get("canned_reason", ""),
            new_text=form.get("new_text", ""),
            personal_data_confirmed=form.get("personal_data_confirmed") == "yes",
        )
        try:
            quoted_in = await moderation.do_resolve_flags(
                g.member, item, resolution, max_length=_settings().max_post_length
            )
        except ValidationFailed as failure:
            errors = failure.errors
        else:
            if quoted_in:
                return await render_template("moderation/quoted.html", quoted_in=quoted_in)
            return redirect(url_for("moderation.review_queue", done="resolved"), 303)

    return await render_template(
        "moderation/review_item.html",
        item=item,
        resolution=resolution,
        errors=errors,
        outcomes=moderation.OUTCOME_LABELS,
        canned=await canned_reasons.list_canned_reasons(),
        new_text=resolution.new_text or (item.post.source if item.post else item.thread.title),
    ), (422 if errors else 200)


# Posts held by the personal-data check -------------------------------------------------


@blueprint.get("/moderation/held")
async def held_posts():
    """List posts held after their authors confirmed that flagged data is safe."""
    holds = await moderation.list_held_posts(g.member)
    return await render_template(
        "moderation/held.html",
        holds=holds,
        labels=privacy.KIND_LABELS,
        done=request.args.get("done"),
    )


@blueprint.post("/moderation/held/<int:hold_id>")
async def decide_held_post(hold_id: int):
    """Publish a held post or keep it hidden."""
    hold = await moderation.access_hold(g.member, hold_id)
    form = await request.form
    decision = form.get("decision")
    if decision not in {"approve", "reject"}:
        raise ValidationFailed(
            {"decision": "Choose whether to publish the post or keep it hidden."}
        )
    await moderation.do_decide_hold(
        g.member, hold, approve=decision == "approve", reason=form.get("reason", "").strip()[:500]
    )
    return redirect(url_for("moderation.held_posts", done=decision), 303)


# Thread tools --------------------------------------------------------------------------

THREAD_ACTIONS = (
    "lock",
    "unlock",
    "pin",
    "unpin",
    "move",
    "merge",
    "split",
    "hide",
    "unhide",
    "slow_mode",
    "clear_slow_mode",
)


async def _thread_tools_page(
    thread: Thread, *, form_name: str = "", values=None, errors=None, status=200
):
    require(g.member, Action.LOCK_THREAD, thread)
    posts, _ = await browsing.list_posts(thread, g.member, limit=browsing.POSTS_PER_PAGE)
    return await render_template(
        "moderation/thread_tools.html",
        thread=thread,
        posts=posts,
        taxonomy=await browsing.get_taxonomy(),
        canned=await canned_reasons.list_canned_reasons(),
        slow_mode_choices=moderation_threads.SLOW_MODE_CHOICES,
        form_name=form_name,
        values=values or {},
        errors=errors or {},
        done=request.args.get("done"),
    ), status


async def _access_any_thread(thread_id: int) -> Thread:
    """Return a thread for a moderator's tools, hidden or held ones included."""
    thread = await browsing.access_thread(g.member, thread_id)
    require(g.member, Action.LOCK_THREAD, thread)
    return thread


@blueprint.get("/moderation/threads/<int:thread_id>")
async def thread_tools(thread_id: int):
    """Show the moderator tools for one thread."""
    return await _thread_tools_page(await _access_any_thread(thread_id))


@blueprint.post("/moderation/threads/<int:thread_id>/<action>")
async def thread_action(thread_id: int, action: str):
    """Apply one moderator tool to a thread."""
    if action not in THREAD_ACTIONS:
        raise NotFound()
    thread = await _access_any_thread(thread_id)
    form = await request.form
    try:
        target = await _apply_thread_action(thread, action, form)
    except ValidationFailed as failure:
        return await _thread_tools_page(
            thread,
            form_name=action,
            values=form.to_dict(flat=True),
            errors=failure.errors,
            status=422,
        )
    return redirect(
        _flash_url(url_for("moderation.thread_tools", thread_id=target.id), action), 303
    )


async def _apply_thread_action(thread: Thread, action: str, form) -> Thread:
    """Run one tool and return the thread the moderator should see next."""
    member = g.member
    required = action in {"lock", "hide", "merge", "split", "slow_mode"}
    reason = await _reason(form, required=required)
    if action == "lock":
        return await moderation_threads.do_lock_thread(member, thread, reason)
    if action == "unlock":
        return await moderation_threads.do_unlock_thread(member, thread, reason)
    if action == "pin":
        until = _until_date(form, required=False, what="the pin ends")
        return await moderation_threads.do_pin_thread(member, thread, reason, until=until)
    if action == "unpin":
        return await moderation_threads.do_unpin_thread(member, thread, reason)
    if action == "move":
        return await moderation_threads.do_move_thread(
            member,
            thread,
            await browsing.get_taxonomy(),
            skill_area=form.get("skill_area", ""),
            roles=tuple(form.getlist("roles")),
            reason=reason,
        )
    if action == "merge":
        target_id = form.get("target", "").strip().lstrip("#")
        target = await Thread.filter(id=int(target_id)).first() if target_id.isdigit() else None
        if target is None:
            raise ValidationFailed(
                {"target": "Enter the number of an existing thread to merge into."}
            )
        return await moderation_threads.do_merge_threads(member, thread, target, reason)
    if action == "split":
        post_ids = [int(value) for value in form.getlist("posts") if value.isdigit()]
        return await moderation_threads.do_split_thread(
            member, thread, post_ids, title=form.get("title", ""), reason=reason
        )
    if action in {"hide", "unhide"}:
        return await moderation_threads.do_set_thread_hidden(
            member, thread, action == "hide", reason
        )
    if action == "slow_mode":
        seconds = form.get("seconds", "")
        until = _until_date(form, required=False, what="slow mode ends")
        return await moderation_threads.do_set_slow_mode(
            member, thread, int(seconds) if seconds.isdigit() else 0, reason, until=until
        )
    return await moderation_threads.do_clear_slow_mode(member, thread, reason)


# Post tools ----------------------------------------------------------------------------


@blueprint.route("/moderation/posts/<int:post_id>", methods=["GET", "POST"])
async def post_tools(post_id: int):
    """Hide, unhide or redact one post."""
    post = await browsing.access_post(g.member, post_id)
    require(g.member, Action.HIDE, post)
    errors, values, quoted_in = {}, {}, []
    if request.method == "POST":
        form = await request.form
        values = form.to_dict(flat=True)
        action = form.get("action", "")
        try:
            if action == "redact":
                if form.get("confirm") != "yes":
                    raise ValidationFailed(
                        {"confirm": "Tick the box to confirm that the redaction cannot be undone."}
                    )
                quoted_in = await moderation_threads.do_redact_post(
                    g.member, post, await _reason(form)
                )
                if quoted_in:
                    return await render_template("moderation/quoted.html", quoted_in=quoted_in)
            elif action in {"hide", "unhide"}:
                reason = await _reason(form, required=action == "hide")
                await moderation_threads.do_set_post_hidden(
                    g.member, post, action == "hide", reason
                )
            else:
                raise ValidationFailed({"action": "Choose what to do with the post."})
        except ValidationFailed as failure:
            errors = failure.errors
        else:
            return redirect(
                _flash_url(url_for("moderation.post_tools", post_id=post.id), action), 303
            )

    return await render_template(
        "moderation/post_tools.html",
        post=post,
        errors=errors,
        values=values,
        canned=await canned_reasons.list_canned_reasons(),
        done=request.args.get("done"),
    ), (422 if errors else 200)


# Members -------------------------------------------------------------------------------

MEMBER_ACTIONS = (
    "suspend",
    "lift_suspension",
    "silence",
    "lift_silence",
    "note",
    "approve",
    "reject",
)


@blueprint.get("/moderation/members/pending")
async def pending_members():
    """List new members from organisations that are not yet approved."""
    members = await moderation_members.list_pending_members(g.member)
    return await render_template(
        "moderation/pending.html", members=members, done=request.args.get("done")
    )


async def _member_page(member, *, form_name: str = "", values=None, errors=None, status=200):
    record = await moderation_members.get_member_record(g.member, member)
    return await render_template(
        "moderation/member.html",
        record=record,
        member=member,
        form_name=form_name,
        values=values or {},
        errors=errors or {},
        canned=await canned_reasons.list_canned_reasons(),
        done=request.args.get("done"),
    ), status


@blueprint.get("/moderation/members/<int:member_id>")
async def member_record(member_id: int):
    """Show a member's moderation record: state, notes and history."""
    member = await moderation_members.access_member(g.member, member_id)
    return await _member_page(member)


@blueprint.post("/moderation/members/<int:member_id>/<action>")
async def member_action(member_id: int, action: str):
    """Suspend, silence, note, approve or reject a member, or lift a restriction."""
    if action not in MEMBER_ACTIONS:
        raise NotFound()
    member = await moderation_members.access_member(g.member, member_id)
    form = await request.form
    try:
        await _apply_member_action(member, action, form)
    except ValidationFailed as failure:
        return await _member_page(
            member,
            form_name=action,
            values=form.to_dict(flat=True),
            errors=failure.errors,
            status=422,
        )
    if action in {"approve", "reject"} and form.get("back") == "pending":
        return redirect(url_for("moderation.pending_members", done=action), 303)
    return redirect(
        _flash_url(url_for("moderation.member_record", member_id=member.id), action), 303
    )


def _until_date(form, *, required: bool, what: str):
    """Read the form's GOV.UK date input named ``until`` as the start of that day."""
    return moderation.parse_day_start(
        form.get("until-day", ""),
        form.get("until-month", ""),
        form.get("until-year", ""),
        field="until",
        required=required,
        what=what,
    )


async def _apply_member_action(member, action: str, form) -> None:
    moderator = g.member
    if action == "note":
        await moderation_members.do_add_note(moderator, member, form.get("note", ""))
        return
    reason = await _reason(form, required=action in {"suspend", "silence", "reject"})
    if action == "suspend":
        until = _until_date(form, required=True, what="the suspension ends")
        await moderation_members.do_suspend_member(moderator, member, until=until, reason=reason)
    elif action == "lift_suspension":
        await moderation_members.do_lift_suspension(moderator, member, reason)
    elif action == "silence":
        until = _until_date(form, required=False, what="the silence ends")
        await moderation_members.do_silence_member(moderator, member, reason=reason, until=until)
    elif action == "lift_silence":
        await moderation_members.do_lift_silence(moderator, member, reason)
    elif action == "approve":
        await moderation_members.do_approve_member(
            moderator,
            member,
            reason=reason,
            approve_organisation=form.get("approve_organisation") == "yes",
        )
    else:
        await moderation_members.do_reject_member(moderator, member, reason=reason)


# Audit log -----------------------------------------------------------------------------


def _audit_filter() -> audit.AuditFilter:
    args = request.args
    return audit.AuditFilter(
        **{
            name: args.get(name, "").strip()
            for name in ("action", "actor", "target_type", "target_id", "since", "until")
        }
    )


@blueprint.get("/moderation/audit")
async def audit_log():
    """List audit entries, newest first, with filters."""
    require(g.member, Action.VIEW_AUDIT_LOG)
    audit_filter = _audit_filter()
    try:
        page = await audit.list_audit_entries(g.member, audit_filter, request.args.get("after"))
        errors = {}
    except ValidationFailed as failure:
        page = audit.AuditPage(entries=[], next_cursor=None, filter=audit_filter, actions=[])
        errors = failure.errors
    return await render_template("moderation/audit.html", page=page, errors=errors), (
        422 if errors else 200
    )


@blueprint.get("/moderation/audit.csv")
async def audit_log_csv():
    """Download the filtered audit entries as CSV."""
    require(g.member, Action.VIEW_AUDIT_LOG)
    text = await audit.export_audit_csv(g.member, _audit_filter())
    return Response(
        text,
        content_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="audit-log.csv"'},
    )


# Canned reasons ------------------------------------------------------------------------


async def _canned_page(*, values=None, errors=None, editing: int | None = None, status=200):
    require(g.member, Action.MANAGE_CANNED_REASONS)
    reasons = await canned_reasons.list_canned_reasons(include_archived=True)
    return await render_template(
        "moderation/canned_reasons.html",
        reasons=reasons,
        values=values or {},
        errors=errors or {},
        editing=editing,
        done=request.args.get("done"),
    ), status


@blueprint.get("/moderation/canned-reasons")
async def list_canned_reasons():
    """List canned reasons, with a form to add one (admins only)."""
    return await _canned_page()


@blueprint.post("/moderation/canned-reasons")
async def create_canned_reason():
    """Add a canned reason."""
    form = await request.form
    values = canned_reasons.CannedReasonForm(
        title=form.get("title", ""), text=form.get("text", ""), position=form.get("position", "0")
    )
    try:
        await canned_reasons.do_create_canned_reason(g.member, values)
    except ValidationFailed as failure:
        return await _canned_page(values=vars(values), errors=failure.errors, status=422)
    return redirect(url_for("moderation.list_canned_reasons", done="added"), 303)


@blueprint.post("/moderation/canned-reasons/<int:reason_id>")
async def update_canned_reason(reason_id: int):
    """Change, archive or restore a canned reason."""
    form = await request.form
    action = form.get("action", "save")
    try:
        if action in {"archive", "restore"}:
            await canned_reasons.do_set_canned_reason_active(
                g.member, reason_id, action == "restore"
            )
        else:
            values = canned_reasons.CannedReasonForm(
                title=form.get("title", ""),
                text=form.get("text", ""),
                position=form.get("position", "0"),
            )
            await canned_reasons.do_update_canned_reason(g.member, reason_id, values)
    except ValidationFailed as failure:
        return await _canned_page(
            values=form.to_dict(flat=True), errors=failure.errors, editing=reason_id, status=422
        )
    return redirect(url_for("moderation.list_canned_reasons", done=action), 303)


@blueprint.app_template_global()
def describe_restriction(member):
    """Offer templates the reason a signed-in member is suspended or read-only."""
    return policy.describe_restriction(member)
