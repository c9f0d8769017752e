"""Async factories for test data, with defaults that make a valid object."""

from models import Member, Organisation, Role

SECRET_KEY = "test-secret-key-that-is-long-enough-for-tests"

_handles = iter(range(1, 1_000_000))


async def make_organisation(**fields) -> Organisation:
    number = next(_handles)
    defaults = {
        "slug": f"org-{number}",
        "name": f"Testshire Council {number}",
        "kind": "local_authority",
        "email_domains": [f"org{number}.example.org"],
        "approved": True,
    }
    return await Organisation.create(**{**defaults, **fields})


async def make_member(**fields) -> Member:
    number = next(_handles)
    defaults = {
        "handle": f"member{number}",
        "display_name": f"Member {number}",
        "email": f"member{number}@example.org",
        "role": await Role.get(slug="la-data"),
    }
    return await Member.create(**{**defaults, **fields})


async def make_thread(author: Member | None = None, **fields):
    from forum.services.browsing import get_taxonomy
    from forum.services.posting import ThreadDraft, do_create_thread

    author = author or await make_member()
    taxonomy = await get_taxonomy()
    draft = ThreadDraft(
        title=fields.pop("title", f"A question about returns number {next(_handles)}"),
        kind=fields.pop("kind", "question"),
        skill_area=fields.pop("skill_area", "data-quality"),
        roles=tuple(fields.pop("roles", ("la-data",))),
        body=fields.pop("body", "How do other councils check this?"),
    )
    return await do_create_thread(author, draft, taxonomy, max_length=20000)




async def make_reply(thread, author: Member | None = None, body: str = "Here is what we do.", **fields):
    from forum.services.posting import do_reply

    author = author or await make_member()
    return await do_reply(author, thread, body, max_length=20000, **fields)


async def make_mentor(levels: dict[str, int] | None = None, **fields) -> Member:
    """Make a member with the mentor permission and a mentor profile accepting mentees.

    ``levels`` maps skill area slugs to levels. Profile fields (capacity, offer, formats,
    systems, returns, accepting, availability) may be given too.
    """
    from forum.services.browsing import get_taxonomy
    from forum.services.mentoring import do_save_mentor_profile
    from forum.services.mentoring_forms import ProfileDraft

    profile_fields = {
        name: fields.pop(name)
        for name in ("capacity", "offer", "formats", "systems", "returns", "accepting", "availability")
        if name in fields
    }
    mentor = await make_member(permission="mentor", **fields)
    levels = levels or {"sql-data-engineering": 4, "power-bi": 3}
    draft = ProfileDraft(
        levels={slug: str(level) for slug, level in levels.items()},
        capacity=str(profile_fields.get("capacity", 2)),
        formats=tuple(profile_fields.get("formats", ("video",))),
        availability=profile_fields.get("availability", "Tuesday afternoons"),
        offer=profile_fields.get("offer", "SQL window functions, DAX measures and data models."),
        systems=tuple(profile_fields.get("systems", ())),
        returns=tuple(profile_fields.get("returns", ())),
        accepting=profile_fields.get("accepting", True),
    )
    await do_save_mentor_profile(mentor, draft, await get_taxonomy())
    return mentor


async def make_mentoring_request(mentee: Member | None = None, needs=(("sql-data-engineering", 1, 3, 3),), **fields):
    """Open a mentoring request. ``needs`` contains (skill area slug, current, target, importance) rows."""
    from forum.services.browsing import get_taxonomy
    from forum.services.mentoring import do_create_request
    from forum.services.mentoring_forms import NeedDraft, RequestDraft

    mentee = mentee or await make_member()
    draft = RequestDraft(
        needs=tuple(NeedDraft(slug, str(current), str(target), str(importance)) for slug, current, target, importance in needs),
        goals=fields.pop("goals", "I want to write SQL window functions for SSDA903 episodes."),
        formats=tuple(fields.pop("formats", ())),
        timeframe_months=str(fields.pop("timeframe_months", 6)),
        **fields,
    )
    return await do_create_request(mentee, draft, await get_taxonomy(), max_length=20000)
