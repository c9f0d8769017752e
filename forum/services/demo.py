"""Load the demo community: organisations, members, threads and replies.

It also loads mentoring, and through ``forum.services.demo_cpd`` learning resources,
endorsements, CPD entries and a credential.

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


async def do_load_demo(*, max_length: int = 20000, settings=None) -> dict[str, int]:
    """Create whatever demo content is missing; return how many of each kind were added.

    ``settings`` (a ``forum.config.Settings``) contains the key that signs the demo credential.
    Without it, the settings are read from the environment.
    """
    from forum.config import Settings
    from forum.services.demo_cpd import do_load_demo_cpd
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
        mentoring = await _add_demo_mentoring(members, areas, now)
        canned_reasons = await _add_demo_canned_reasons()
        cpd_added = await do_load_demo_cpd(members, areas, now, settings or Settings.from_env())

    logger.info(
        "demo content loaded",
        extra={**added, "accepted_answers": answers, "votes": votes, "canned_reasons": canned_reasons, **mentoring,
               **cpd_added},
    )
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

    for number, ((handle, body), moment) in enumerate(zip(bodies, moments, strict=True), start=1):
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


async def _add_demo_mentoring(members: dict[str, Member], areas: dict, now: datetime) -> dict[str, int]:
    """Add mentor profiles, open requests, an active and a completed mentorship.

    Rows are written directly, with past dates, rather than through the mentoring services,
    which stamp everything with the present. Each part is skipped when it already exists:
    a profile by member, a request by mentee, a mentorship by its pair.
    """
    from models import MentoringRequest, MentorProfile, Mentorship, MentorSkill, RequestSkill

    added = {"mentor_profiles": 0, "mentoring_requests": 0, "mentorships": 0}
    for row in demo_content.MENTOR_PROFILES:
        member = members[row["handle"]]
        if await MentorProfile.exists(member_id=member.id):
            continue
        profile = await MentorProfile.create(
            member=member,
            **{key: row[key] for key in ("capacity", "formats", "availability", "offer", "systems", "returns")},
        )
        await MentorSkill.bulk_create(
            [MentorSkill(profile_id=profile.id, skill_area_id=areas[slug].id, level=level)
             for slug, level in row["levels"].items()]
        )
        added["mentor_profiles"] += 1

    async def create_request(mentee, needs, goals, created_at, state, **extra):
        request = await MentoringRequest.create(
            mentee=mentee, state=state, goals_source=goals,
            goals_html=render_markdown(goals), renderer_version=RENDERER_VERSION,
            created_at=created_at, **extra,
        )
        await RequestSkill.bulk_create(
            [RequestSkill(request_id=request.id, skill_area_id=areas[slug].id, current_level=current,
                          target_level=target, importance=importance,
                          open_mentee_id=mentee.id if state == "open" else None)
             for slug, current, target, importance in needs]
        )
        return request

    for row in demo_content.MENTORING_REQUESTS:
        mentee = members[row["handle"]]
        if await MentoringRequest.exists(mentee_id=mentee.id):
            continue
        await create_request(
            mentee, row["needs"], row["goals"], now - timedelta(days=row["days_ago"]), "open",
            prefers_other_organisation=row["prefers_other_organisation"],
            formats=row["formats"], systems=row["systems"], returns=row["returns"],
        )
        added["mentoring_requests"] += 1

    for row in demo_content.MENTORSHIPS:
        mentor, mentee = members[row["mentor"]], members[row["mentee"]]
        if await Mentorship.exists(mentor_id=mentor.id, mentee_id=mentee.id):
            continue
        await _create_demo_mentorship(row, mentor, mentee, areas, now, create_request)
        added["mentorships"] += 1
    return added


async def _create_demo_mentorship(row, mentor, mentee, areas, now, create_request) -> None:
    from forum.services.mentoring_forms import add_months
    from models import (
        AgreementGoal,
        MentoringSession,
        MentorProfile,
        Mentorship,
        MentorshipAgreement,
        MentorshipFeedback,
        MentorshipMessage,
    )

    started = now - timedelta(days=row["days_ago"])
    request = await create_request(mentee, row["needs"], row["goals_text"], started - timedelta(days=5), "matched")
    completed = row["state"] == "completed"
    sessions = row["sessions"]
    ended_at = now - timedelta(days=sessions[-1][0] - 7) if completed else None
    mentorship = await Mentorship.create(
        request=request, mentor=mentor, mentee=mentee, state=row["state"],
        live_pair=None if completed else f"{mentor.id}:{mentee.id}",
        message="I would value your help with this.",
        requested_at=started - timedelta(days=3), expires_at=started + timedelta(days=11),
        decided_at=started - timedelta(days=2), agreed_at=started, started_at=started,
        ended_at=ended_at, ended_by=mentee if completed else None,
        last_session_at=now - timedelta(days=sessions[-1][0]),
    )
    agreement = await MentorshipAgreement.create(
        mentorship=mentorship, cadence=row["cadence"], end_on=add_months(started.date(), row["months"]),
        recorded_by=mentee,
    )
    for position, (slug, level, description) in enumerate(row["agreement_goals"]):
        await AgreementGoal.create(
            agreement=agreement, skill_area=areas[slug], target_level=level,
            description=description, position=position,
        )

    for days_ago, minutes, slugs, notes in sessions:
        held_at = now - timedelta(days=days_ago)
        session = await MentoringSession.create(
            mentorship=mentorship, logged_by=mentor, held_on=held_at.date(), minutes=minutes,
            skill_area_ids=[areas[slug].id for slug in slugs], shared_notes_source=notes,
            shared_notes_html=render_markdown(notes), renderer_version=RENDERER_VERSION,
        )
        await _create_demo_events(mentorship, mentor, mentee, "session_logged", held_at, session, {
            "session_id": session.id, "held_on": held_at.date().isoformat(), "minutes": minutes,
            "skill_area_ids": [areas[slug].id for slug in slugs],
            "skill_areas": [areas[slug].name for slug in slugs],
        })

    for author, body in row["messages"]:
        await MentorshipMessage.create(
            mentorship=mentorship, author=mentor if author == mentor.handle else mentee,
            source=body, html=render_markdown(body), renderer_version=RENDERER_VERSION,
        )

    if completed:
        await _create_demo_events(mentorship, mentor, mentee, "mentorship_completed", ended_at, None, {
            "started_on": started.date().isoformat(), "ended_on": ended_at.date().isoformat(),
            "session_count": len(sessions), "total_minutes": sum(s[1] for s in sessions),
            "goals": [{"skill_area_id": areas[slug].id, "skill_area": areas[slug].name,
                       "target_level": level, "description": description}
                      for slug, level, description in row["agreement_goals"]],
        })
        for author, rating, words in row.get("feedback", []):
            await MentorshipFeedback.create(
                mentorship=mentorship, author=mentor if author == mentor.handle else mentee,
                rating=rating, words=words,
            )
    else:
        profile = await MentorProfile.get(member_id=mentor.id)
        await MentorProfile.filter(id=profile.id).update(mentee_count=profile.mentee_count + 1)


async def _create_demo_events(mentorship, mentor, mentee, kind, occurred_at, session, data) -> None:
    from models import MentoringEvent

    for side, member, other in (("mentor", mentor, mentee), ("mentee", mentee, mentor)):
        await MentoringEvent.create(
            kind=kind, mentorship=mentorship, session=session, member=member, occurred_at=occurred_at,
            data={**data, "side": side, "mentorship_id": mentorship.id, "other_member_id": other.id,
                  "other_name": other.display_name},
            key=f"{kind}:{mentorship.id}:{session.id if session else 0}:{member.id}",
        )


async def _add_demo_canned_reasons() -> int:
    """Create the demo's canned reasons that are missing; return how many were added."""
    from models import CannedReason

    added = 0
    for position, row in enumerate(demo_content.CANNED_REASONS):
        _, created = await CannedReason.get_or_create(
            title=row["title"], defaults={"text": row["text"], "position": position}
        )
        added += created
    return added
