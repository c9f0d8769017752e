"""Load the demo community: organisations, members, threads and replies.

Idempotent: organisations and members are matched by slug and handle, threads by title,
so running it twice adds nothing the second time.
"""

import logging
from datetime import UTC, datetime, timedelta

from tortoise.transactions import in_transaction

from forum import demo_content
from forum.markdown import RENDERER_VERSION, render_markdown
from forum.services.posting import slugify
from models import Member, Organisation, Post, Revision, Role, SkillArea, Thread, ThreadState, Vote

logger = logging.getLogger(__name__)


async def do_load_demo(*, max_length: int = 20000) -> dict[str, int]:
    """Create whatever demo content is missing; return how many of each kind were added."""
    added = {"organisations": 0, "members": 0, "threads": 0, "posts": 0}
    areas = {area.slug: area for area in await SkillArea.all()}
    roles = {role.slug: role for role in await Role.all()}

    async with in_transaction():
        organisations = {}
        for row in demo_content.ORGANISATIONS:
            organisation, created = await Organisation.get_or_create(
                slug=row["slug"],
                defaults={key: row[key] for key in ("name", "kind", "email_domains", "approved")},
            )
            organisations[row["slug"]] = organisation
            added["organisations"] += created

        members = {}
        for row in demo_content.MEMBERS:
            member, created = await Member.get_or_create(
                handle=row["handle"],
                defaults={
                    "display_name": row["display_name"],
                    "email": row["email"].lower(),
                    "organisation": organisations.get(row["organisation"]),
                    "role": roles.get(row["role"]),
                    "permission": row["permission"],
                    "bio": row.get("bio", ""),
                },
            )
            members[row["handle"]] = member
            added["members"] += created

        existing_titles = set(
            await Thread.filter(source_site__isnull=True).values_list("title", flat=True)
        )
        now = datetime.now(UTC)
        for row in demo_content.THREADS:
            if row["title"] in existing_titles:
                continue
            posts = await _create_demo_thread(row, areas, roles, members, now, max_length)
            added["threads"] += 1
            added["posts"] += posts

        answers = await _add_demo_accepted_answers()
        votes = await _add_demo_votes(members)

    logger.info("demo content loaded", extra={**added, "accepted_answers": answers, "votes": votes})
    return added


async def _create_demo_thread(row, areas, roles, members, now, max_length) -> int:
    started = now - timedelta(days=row["days_ago"], hours=len(row["title"]) % 9)
    bodies = [(row["author"], row["body"])] + [(r["author"], r["body"]) for r in row["replies"]]
    moments = [started + timedelta(hours=5 * index + index * index) for index in range(len(bodies))]
    moments = [min(moment, now) for moment in moments]

    thread = await Thread.create(
        title=row["title"],
        slug=slugify(row["title"]),
        kind=row["kind"],
        skill_area=areas[row["skill_area"]],
        author=members[row["author"]],
        post_count=len(bodies),
        last_activity_at=moments[-1],
        last_poster=members[bodies[-1][0]],
        created_at=started,
    )
    await thread.audience_roles.add(*[roles[slug] for slug in row["roles"]])

    for number, ((handle, body), moment) in enumerate(zip(bodies, moments), start=1):
        html = render_markdown(body, max_length=max_length)
        post = await Post.create(
            thread=thread,
            number=number,
            author=members[handle],
            source=body,
            html=html,
            renderer_version=RENDERER_VERSION,
            created_at=moment,
        )
        await Revision.create(
            post=post,
            number=1,
            source=body,
            html=html,
            renderer_version=RENDERER_VERSION,
            editor=members[handle],
        )
    return len(bodies)


async def _add_demo_accepted_answers() -> int:
    """Mark the demo's accepted answers, skipping questions that have one already."""
    added = 0
    for title, number in demo_content.ACCEPTED_ANSWERS:
        thread = await Thread.filter(title=title, source_site__isnull=True).first()
        if thread is None or thread.accepted_post_id is not None:
            continue
        post = await Post.get(thread_id=thread.id, number=number)
        state = ThreadState.SOLVED if thread.state == ThreadState.OPEN else thread.state
        await Thread.filter(id=thread.id).update(accepted_post_id=post.id, state=state)
        added += 1
    return added


async def _add_demo_votes(members: dict[str, Member]) -> int:
    """Add the demo's helpful votes that are missing, keeping each post's count in step."""
    added = 0
    for title, number, handles in demo_content.HELPFUL_VOTES:
        post = await Post.filter(
            thread__title=title, thread__source_site__isnull=True, number=number
        ).first()
        if post is None:
            continue
        voter_ids = [members[handle].id for handle in handles if members[handle].id != post.author_id]
        existing = set(
            await Vote.filter(post_id=post.id, member_id__in=voter_ids).values_list("member_id", flat=True)
        )
        new_ids = [voter_id for voter_id in voter_ids if voter_id not in existing]
        for voter_id in new_ids:
            await Vote.create(post_id=post.id, member_id=voter_id)
        if new_ids:
            await Post.filter(id=post.id).update(score=post.score + len(new_ids))
        added += len(new_ids)
    return added
