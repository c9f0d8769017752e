"""Re-render stored Markdown whose HTML an older ``forum/markdown.py`` produced.

Every row that keeps Markdown source beside its HTML also keeps the ``renderer_version``
that wrote the HTML. :func:`do_rerender` renders again, in batches, each row whose version
is older than ``RENDERER_VERSION``. ``forum rerender`` runs it after a deploy that raised
the version.
"""

import logging
from dataclasses import dataclass

from tortoise.models import Model
from tortoise.transactions import in_transaction

from forum.markdown import RENDERER_VERSION, MarkdownError, render_markdown
from forum.services import writing
from models import MentoringRequest, MentoringSession, MentorshipMessage, Post, Revision

logger = logging.getLogger(__name__)

DEFAULT_BATCH_SIZE = 500


@dataclass(frozen=True)
class RenderedField:
    """A Markdown source column, the HTML column rendered from it, and how it was rendered."""

    model: type[Model]
    source: str
    html: str
    # Posts and their revisions show the titles of threads that pasted links point to.
    adds_thread_titles: bool


RENDERED_FIELDS = (
    RenderedField(Post, "source", "html", adds_thread_titles=True),
    RenderedField(Revision, "source", "html", adds_thread_titles=True),
    RenderedField(MentoringRequest, "goals_source", "goals_html", adds_thread_titles=False),
    RenderedField(
        MentoringSession, "shared_notes_source", "shared_notes_html", adds_thread_titles=False
    ),
    RenderedField(MentorshipMessage, "source", "html", adds_thread_titles=False),
)


@dataclass
class RerenderCounts:
    """Counts of one run's work on the rows of one table with an older renderer version."""

    table: str
    rerendered: int = 0
    # Rows whose source no longer renders, such as one nested deeper than the limit now
    # allows. They keep their old HTML and version, and are tried again on the next run.
    failed: int = 0
    # Rows edited while the batch ran, so their new HTML was not written over the edit.
    skipped: int = 0


async def do_rerender(
    *, batch_size: int = DEFAULT_BATCH_SIZE, base_url: str = ""
) -> list[RerenderCounts]:
    """Re-render every stored HTML field older than ``RENDERER_VERSION``, table by table.

    Each batch of ``batch_size`` rows is written in one transaction. A row is written only
    if its source and version are still those that were read, so an edit made meanwhile is
    kept. ``base_url`` is the forum's public address, for titles of pasted thread links.
    """
    logger.info(
        "rerender started", extra={"renderer_version": RENDERER_VERSION, "batch_size": batch_size}
    )
    results = []
    for field in RENDERED_FIELDS:
        counts = await _rerender_table(field, batch_size=batch_size, base_url=base_url)
        logger.info(
            "rerender finished a table",
            extra={
                "table": counts.table,
                "rerendered": counts.rerendered,
                "failed": counts.failed,
                "skipped": counts.skipped,
            },
        )
        results.append(counts)
    logger.info(
        "rerender finished",
        extra={
            "renderer_version": RENDERER_VERSION,
            "rerendered": sum(counts.rerendered for counts in results),
            "failed": sum(counts.failed for counts in results),
            "skipped": sum(counts.skipped for counts in results),
        },
    )
    return results


async def _rerender_table(field: RenderedField, *, batch_size: int, base_url: str) -> RerenderCounts:
    table = field.model._meta.db_table
    counts = RerenderCounts(table=table)
    last_id = 0
    while True:
        rows = await (
            field.model.filter(id__gt=last_id, renderer_version__lt=RENDERER_VERSION)
            .order_by("id")
            .limit(batch_size)
            .values("id", "renderer_version", field.source)
        )
        if not rows:
            return counts
        last_id = rows[-1]["id"]

        rendered = []
        for row in rows:
            html = await _render(field, row[field.source], base_url=base_url, row_id=row["id"])
            if html is None:
                counts.failed += 1
            else:
                rendered.append((row, html))

        async with in_transaction():
            for row, html in rendered:
                written = await field.model.filter(
                    id=row["id"],
                    renderer_version=row["renderer_version"],
                    **{field.source: row[field.source]},
                ).update(**{field.html: html, "renderer_version": RENDERER_VERSION})
                if written:
                    counts.rerendered += 1
                else:
                    counts.skipped += 1
        logger.info("rerender batch written", extra={"table": table, "last_id": last_id})


async def _render(field: RenderedField, source: str, *, base_url: str, row_id: int) -> str | None:
    # Optional text, such as a session's shared notes, is stored as empty HTML when empty.
    if not source.strip():
        return ""
    try:
        # Stored text was accepted when it was written, so the current length limit,
        # which may have been lowered since, does not apply.
        html = render_markdown(source, max_length=len(source) + 1)
    except MarkdownError as error:
        logger.warning(
            "stored markdown no longer renders, old HTML kept",
            extra={"table": field.model._meta.db_table, "id": row_id, "error": str(error)},
        )
        return None
    if field.adds_thread_titles:
        html = await writing.add_thread_titles(html, base_url=base_url)
    return html
