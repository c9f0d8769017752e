"""Searching threads and posts, as a page, as JSON, and as suggestions for a new thread's title."""

from quart import Blueprint, jsonify, render_template, request, url_for
from werkzeug.datastructures import MultiDict

from forum.errors import ValidationFailed
from forum.services import browsing, page_cache, search

blueprint = Blueprint("search", __name__)

DATE_PARTS = ("day", "month", "year")


def _date_parts(args: MultiDict, name: str) -> tuple[str, str, str]:
    day, month, year = (args.get(f"{name}-{part}", "")[:10] for part in DATE_PARTS)
    return day, month, year


def _form_from_args(args: MultiDict) -> search.SearchForm:
    page = args.get("page", "1")
    return search.SearchForm(
        text=args.get("q", "")[: search.MAX_QUERY_LENGTH * 2],
        skill=args.get("skill", ""),
        role=args.get("role", ""),
        solved=args.get("solved") == "yes",
        author=args.get("author", "")[: search.AUTHOR_MAX_LENGTH * 2],
        posted_after=_date_parts(args, "posted_after"),
        posted_before=_date_parts(args, "posted_before"),
        page=int(page) if page.isdigit() else 1,
    )


def result_url(result: search.SearchResult) -> str:
    args = {"after": result.page_start} if result.page_start else {}
    return (
        url_for("threads.show_thread", thread_id=result.thread_id, slug=result.thread_slug, **args)
        + f"#post-{result.post_number}"
    )


def _page_args(page: int) -> dict[str, str]:
    """Return the query string for another page of the same search."""
    args = {name: value for name, value in request.args.items() if name != "page"}
    args["page"] = str(page)
    return args


@blueprint.get("/search")
@page_cache.for_visitors
async def search_page():
    """Search thread titles and posts, with filters."""
    taxonomy = await browsing.get_taxonomy()
    form = _form_from_args(request.args)
    page, errors = None, {}

    if "q" in request.args:
        try:
            page = await search.search_posts(search.check_search(form, taxonomy))
        except ValidationFailed as failure:
            errors = failure.errors

    return await render_template(
        "search/search.html",
        form=form,
        page=page,
        errors=errors,
        taxonomy=taxonomy,
        result_url=result_url,
        page_args=_page_args,
        per_page=search.RESULTS_PER_PAGE,
    ), (422 if errors else 200)


@blueprint.get("/api/search")
async def search_json():
    """Search thread titles and posts; return JSON."""
    taxonomy = await browsing.get_taxonomy()
    form = _form_from_args(request.args)
    page = await search.search_posts(search.check_search(form, taxonomy))
    return jsonify(
        {
            "query": page.request.query.display(),
            "page": page.request.page,
            "has_next": page.has_next,
            "results": [
                {
                    "post_id": result.post_id,
                    "thread_id": result.thread_id,
                    "thread_title": result.thread_title,
                    "url": result_url(result),
                    "title_html": str(result.title_html),
                    "snippet_html": str(result.snippet_html),
                    "author": result.author_name,
                    "skill_area": result.skill_area_slug,
                    "solved": result.thread_state == "solved",
                    "created_at": result.created_at.isoformat(),
                }
                for result in page.results
            ],
        }
    )


@blueprint.get("/search/similar")
async def similar_threads():
    """List up to five threads whose titles resemble the title being typed."""
    threads = await search.list_similar_threads(request.args.get("title", ""))
    return await render_template("search/_similar.html", threads=threads)
