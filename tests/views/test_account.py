"""Sign-in pages, development sign-in, the account page, sign-out, and the error pages."""

import json
import re
from datetime import UTC, datetime, timedelta

import pytest

from forum.app import create_app
from forum.auth.csrf import CSRF_COOKIE, make_token
from forum.auth.providers import load_providers
from forum.auth.sessions import SESSION_COOKIE, do_start_session
from forum.config import Settings
from models import Identity, Member, MemberState, WebSession
from tests.factories import SECRET_KEY, make_member, make_organisation


def _production_settings(database_url: str) -> Settings:
    return Settings(
        env="production",
        database_url=database_url,
        secret_key=SECRET_KEY,
        dev_sign_in=False,
        secure_cookies=True,
        base_url="https://forum.example.org",
        signing_key="-----BEGIN PRIVATE KEY-----\nnot read by these tests\n-----END PRIVATE KEY-----",
    )


async def test_dev_sign_in_lists_members_and_warns(client):
    await make_member(display_name="Priya Analyst")

    response = await client.get("/dev/sign-in")

    page = await response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Priya Analyst" in page
    assert "for development only" in page


async def test_dev_sign_in_does_not_exist_in_production(database_url):
    app = create_app(_production_settings(database_url))
    client = app.test_client()

    get = await client.get("/dev/sign-in")
    post = await client.post("/dev/sign-in", form={"handle": "anyone"})

    assert get.status_code == 404
    assert post.status_code in {400, 404}
    assert "Sign in as a demo member" not in await (await client.get("/sign-in")).get_data(
        as_text=True
    )


async def test_dev_sign_in_starts_a_server_side_session(app):
    member = await make_member(handle="signin.me")
    client = app.test_client()
    await client.get("/dev/sign-in")

    csrf_cookie = client.cookie_jar  # noqa: F841 - the first GET set the CSRF cookie
    from forum.auth.csrf import CSRF_COOKIE, make_token

    cookie_value = next(c.value for c in client.cookie_jar if c.name == CSRF_COOKIE)
    response = await client.post(
        "/dev/sign-in",
        form={
            "handle": "signin.me",
            "next": "/skills",
            "csrf_token": make_token(SECRET_KEY, cookie_value, None),
        },
    )

    assert response.status_code == 303
    assert response.headers["Location"] == "/skills"
    set_cookie = response.headers.get("Set-Cookie")
    assert SESSION_COOKIE in set_cookie
    assert "HttpOnly" in set_cookie
    assert "SameSite=Lax" in set_cookie
    assert await WebSession.filter(member_id=member.id).count() == 1


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example",
        "//evil.example",
        "/\\evil.example",
        "\\\\evil.example",
        "/\\/evil.example",
        "javascript:alert(1)",
        "evil.example/path",
        "/\r\nSet-Cookie: x=1",
        "/\tevil",
        "/\x00",
        "/\x7f",
        "",
        None,
        "/" + "a" * 600,
    ],
)
async def test_sign_in_next_never_leaves_the_site(app, target):
    from forum.views.account import safe_next

    assert safe_next(target) == "/"


@pytest.mark.parametrize("target", ["/", "/threads/12?page=2#post-3", "/skills/ssda903", "/search?q=%2F%2Fhost"])
async def test_sign_in_next_keeps_paths_on_this_site(target):
    from forum.views.account import safe_next

    assert safe_next(target) == target


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/sign-in?next=/threads/12", "/threads/12"),
        ("/sign-in?next=%2Fsign-in%3Fnext%3D%252Fskills", "/skills"),
        ("/sign-in/northmoor/callback?code=x", "/"),
        ("/dev/sign-in?next=/account", "/account"),
        ("/sign-out", "/"),
        ("/signed-out?everywhere=1", "/"),
        ("/account/sign-out-everywhere", "/"),
        ("/%73ign-in?next=/skills", "/skills"),
        ("/threads/../sign-in?next=/skills", "/skills"),
        ("/sign-in?next=https://evil.example", "/"),
        ("/sign-in", "/"),
    ],
)
async def test_sign_in_next_unwraps_sign_in_pages(target, expected):
    from forum.views.account import safe_next

    assert safe_next(target) == expected


@pytest.mark.parametrize(("depth", "expected"), [(3, "/skills"), (8, "/")])
async def test_sign_in_next_unwraps_a_few_levels(depth, expected):
    from forum.views.account import safe_next

    target = "/sign-in?next=" * depth + "/skills"

    assert safe_next(target) == expected


@pytest.mark.parametrize(
    ("page", "expected_next"),
    [
        ("/skills?role=la-data", "/skills?role%3Dla-data"),
        ("/sign-in?next=/skills", "/skills"),
        ("/sign-in?next=/sign-in?next=/roles", "/roles"),
        ("/signed-out", "/"),
    ],
)
async def test_sign_in_link_keeps_original_page(client, page, expected_next):
    response = await client.get(page)

    html = await response.get_data(as_text=True)
    link = re.search(r'<a class="govuk-header__link" href="([^"]+)">Sign in</a>', html)
    assert link is not None, page
    assert link.group(1) == f"/sign-in?next={expected_next}"


async def test_sign_out_revokes_the_session(sign_in):
    member = await make_member()
    client = await sign_in(member)

    response = await client.post("/sign-out")

    assert response.status_code == 303
    session = await WebSession.get(member_id=member.id)
    assert session.revoked_at is not None
    after = await client.get("/threads/new")
    assert after.status_code == 302


@pytest.mark.parametrize("state", ["suspended", "rejected", "erased"])
async def test_member_state_change_ends_sessions_at_once(sign_in, state):
    member = await make_member()
    client = await sign_in(member)
    await Member.filter(id=member.id).update(state=state)

    response = await client.get("/threads/new")

    assert response.status_code == 302
    assert response.headers["Location"].startswith("/sign-in")


async def test_unexpected_error_shows_our_page_without_internals(app, client):
    @app.get("/boom-for-test")
    async def boom():
        raise RuntimeError("secret internal detail")

    response = await client.get("/boom-for-test")

    page = await response.get_data(as_text=True)
    assert response.status_code == 500
    assert "Sorry, something went wrong" in page
    assert "secret internal detail" not in page
    assert "Traceback" not in page


async def test_json_errors_for_api_clients(client):
    response = await client.get("/threads/999999", headers={"Accept": "application/json"})

    assert response.status_code == 404
    assert (await response.get_json())["error"] == "not_found"


def _providers():
    entries = [
        {"name": "northmoor", "label": "Northmoor Council", "kind": "oidc", "issuer": "https://idp.northmoor.example",
         "client_id": "forum", "client_secret": "s"},
        {"name": "google", "label": "Google Workspace", "kind": "google", "client_id": "forum", "client_secret": "s",
         "hosted_domains": ["eastwick.gov.uk"]},
    ]
    return load_providers({"FORUM_OIDC_PROVIDERS": json.dumps(entries)}, production=False)


@pytest.fixture(name="settings")
def _settings_with_providers(database_url) -> Settings:
    """The usual test settings, with two providers that these tests never contact."""
    return Settings(env="test", database_url=database_url, secret_key=SECRET_KEY, oidc_providers=_providers())


async def _identity(member: Member, provider: str = "northmoor", subject: str = "jo") -> Identity:
    return await Identity.create(
        member=member, issuer=f"https://idp.{provider}.example", subject=subject, provider=provider,
        email_seen=f"{subject}@northmoor.gov.uk", last_used_at=datetime.now(UTC),
    )


async def test_sign_in_page_has_a_button_per_provider(client):
    response = await client.get("/sign-in?next=/skills")

    page = await response.get_data(as_text=True)
    assert response.status_code == 200
    assert page.count('name="next" value="/skills"') == 2
    assert 'action="/sign-in/northmoor"' in page
    assert "Sign in with Northmoor Council" in page
    assert "Sign in with Google Workspace" in page
    assert 'name="csrf_token"' in page
    assert "demo member" in page


async def test_production_sign_in_page_hides_dev_sign_in(database_url):
    settings = Settings(**{**_production_settings(database_url).__dict__, "oidc_providers": _providers()})
    client = create_app(settings).test_client()

    page = await (await client.get("/sign-in")).get_data(as_text=True)

    assert "Sign in with Northmoor Council" in page
    assert "demo member" not in page


async def test_sign_in_page_without_providers(database_url):
    client = create_app(_production_settings(database_url)).test_client()

    page = await (await client.get("/sign-in")).get_data(as_text=True)

    assert "No identity provider is set up yet" in page


async def test_session_cookie_is_secure_when_configured(database_url):
    settings = Settings(env="test", database_url=database_url, secret_key=SECRET_KEY, secure_cookies=True)
    client = create_app(settings).test_client()
    await make_member(handle="secure.cookie")
    await client.get("/dev/sign-in")
    csrf = next(cookie.value for cookie in client.cookie_jar if cookie.name == CSRF_COOKIE)

    response = await client.post(
        "/dev/sign-in", form={"handle": "secure.cookie", "csrf_token": make_token(SECRET_KEY, csrf, None)}
    )

    session_cookie = next(c for c in response.headers.get_all("Set-Cookie") if c.startswith(SESSION_COOKIE))
    assert "Secure" in session_cookie
    assert "HttpOnly" in session_cookie
    assert "SameSite=Lax" in session_cookie


async def test_dev_sign_in_replaces_the_previous_session(sign_in):
    first = await make_member(handle="first.member")
    await make_member(handle="second.member")
    client = await sign_in(first)

    response = await client.post("/dev/sign-in", {"handle": "second.member"})

    assert response.status_code == 303
    assert (await WebSession.get(member_id=first.id)).revoked_at is not None


async def test_account_page_needs_sign_in(client):
    response = await client.get("/account")

    assert response.status_code == 302
    assert response.headers["Location"] == "/sign-in?next=/account"


async def test_account_page_shows_identities_sessions_and_link_buttons(sign_in):
    organisation = await make_organisation(name="Northmoor Council")
    member = await make_member(display_name="Jo Bloggs", handle="jo.bloggs", organisation=organisation)
    await _identity(member)
    client = await sign_in(member)

    response = await client.get("/account")

    page = await response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Jo Bloggs" in page
    assert "@jo.bloggs" in page
    assert "jo@northmoor.gov.uk" in page
    assert "Northmoor Council" in page
    assert "This browser" in page
    assert 'action="/account/link/google"' in page
    assert "Sign out everywhere" in page
    assert "Remove" not in page


async def test_pending_member_can_see_their_account(sign_in):
    client = await sign_in(await make_member(state=MemberState.PENDING))

    assert (await client.get("/account")).status_code == 200


async def test_member_removes_a_second_identity(sign_in):
    member = await make_member()
    first = await _identity(member)
    await _identity(member, provider="google", subject="jo.google")
    client = await sign_in(member)

    response = await client.post(f"/account/identities/{first.id}/remove")

    assert response.status_code == 303
    assert await Identity.filter(member_id=member.id).values_list("provider", flat=True) == ["google"]


async def test_last_identity_cannot_be_removed(sign_in):
    member = await make_member()
    only = await _identity(member)
    client = await sign_in(member)

    response = await client.post(f"/account/identities/{only.id}/remove")

    assert response.status_code == 409
    assert "only way to sign in" in await response.get_data(as_text=True)
    assert await Identity.filter(id=only.id).exists()


async def test_another_members_identity_cannot_be_removed(sign_in):
    owner = await make_member()
    theirs = await _identity(owner)
    await _identity(owner, provider="google", subject="owner.google")
    client = await sign_in(await make_member())

    response = await client.post(f"/account/identities/{theirs.id}/remove")

    assert response.status_code == 404
    assert await Identity.filter(id=theirs.id).exists()


async def test_sign_out_everywhere_ends_every_session(sign_in):
    member = await make_member()
    client = await sign_in(member)
    await do_start_session(member, secret_key=SECRET_KEY, days=1)
    other = await make_member()
    await do_start_session(other, secret_key=SECRET_KEY, days=1)

    response = await client.post("/account/sign-out-everywhere")

    assert response.status_code == 303
    assert response.headers["Location"] == "/signed-out?everywhere=1"
    assert await WebSession.filter(member_id=member.id, revoked_at__isnull=True).count() == 0
    assert await WebSession.filter(member_id=other.id, revoked_at__isnull=True).count() == 1
    page = await (await client.get(response.headers["Location"])).get_data(as_text=True)
    assert "in every browser and on every device" in page


async def test_sign_out_goes_to_signed_out_page(sign_in):
    client = await sign_in(await make_member())

    response = await client.post("/sign-out")

    assert response.headers["Location"] == "/signed-out"
    assert "You have signed out" in await (await client.get("/signed-out")).get_data(as_text=True)


async def test_starting_a_link_needs_sign_in(client):
    await client.get("/sign-in")
    csrf = next(cookie.value for cookie in client.cookie_jar if cookie.name == CSRF_COOKIE)

    response = await client.post("/account/link/google", form={"csrf_token": make_token(SECRET_KEY, csrf, None)})

    assert response.status_code == 302
    assert response.headers["Location"].startswith("/sign-in")


async def test_waiting_page_names_the_member_and_organisation(app, client):
    from forum.views.account import _waiting_serializer

    organisation = await make_organisation(name="Kestrel Vale Council", approved=False)
    member = await make_member(display_name="Kim Lowe", state=MemberState.PENDING, organisation=organisation)
    async with app.test_request_context("/"):
        ticket = _waiting_serializer().dumps(member.id)

    page = await (await client.get(f"/sign-in/waiting?ticket={ticket}")).get_data(as_text=True)

    assert "Your membership is waiting for approval" in page
    assert "Kim Lowe" in page
    assert "Kestrel Vale Council" in page


@pytest.mark.parametrize("ticket", ["", "forged", "WyJub3QiXQ.forged"])
async def test_waiting_page_with_bad_ticket_shows_general_text(client, ticket):
    response = await client.get(f"/sign-in/waiting?ticket={ticket}")

    page = await response.get_data(as_text=True)
    assert response.status_code == 200
    assert "check each new member" in page


QUERY_PAGES = ["/sign-in", "/signed-out", "/sign-in/waiting", "/account"]
# Queries each page adds to those every signed-in page makes (the session, and whatever
# the layout shows): the account page reads the organisation, identities and sessions.
OWN_QUERY_BUDGET = {"/sign-in": 0, "/signed-out": 0, "/sign-in/waiting": 0, "/account": 3}


async def _count_queries_for(client, count_queries, path: str) -> int:
    count_queries.statements.clear()
    assert (await client.get(path)).status_code == 200
    return count_queries.count


@pytest.mark.parametrize("path", QUERY_PAGES)
async def test_account_pages_use_a_fixed_number_of_queries(sign_in, count_queries, path):
    organisation = await make_organisation()
    member = await make_member(organisation=organisation)
    await _identity(member)
    client = await sign_in(member)
    layout = await _count_queries_for(client, count_queries, "/signed-out")
    small = await _count_queries_for(client, count_queries, path)

    for number in range(5):
        await _identity(member, provider="google", subject=f"more-{number}")
        await do_start_session(member, secret_key=SECRET_KEY, days=1)
    large = await _count_queries_for(client, count_queries, path)

    assert large == small, count_queries.statements
    assert small - layout <= OWN_QUERY_BUDGET[path], count_queries.statements


async def test_expired_sign_in_session_redirects_to_sign_in(sign_in):
    member = await make_member()
    client = await sign_in(member)
    await WebSession.filter(member_id=member.id).update(idle_expires_at=datetime.now(UTC) - timedelta(minutes=1))

    response = await client.get("/account")

    assert response.status_code == 302


async def test_forms_may_redirect_to_the_providers(client):
    response = await client.get("/sign-in")

    policy = response.headers["Content-Security-Policy"]
    assert "form-action 'self' https://accounts.google.com https://idp.northmoor.example;" in policy
    assert "script-src 'self';" in policy
