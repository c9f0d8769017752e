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
