"""Development sign-in, sign-out, sessions and the error pages."""

import pytest

from forum.app import create_app
from forum.auth.sessions import SESSION_COOKIE
from forum.config import Settings
from models import Member, WebSession
from tests.factories import SECRET_KEY, make_member


def _production_settings(database_url: str) -> Settings:
    return Settings(
        env="production",
        database_url=database_url,
        secret_key=SECRET_KEY,
        dev_sign_in=False,
        secure_cookies=True,
        base_url="https://forum.example.org",
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
    "target", ["https://evil.example", "//evil.example", "/\\evil.example", "javascript:alert(1)"]
)
async def test_sign_in_next_never_leaves_the_site(app, target):
    from forum.views.account import safe_next

    assert safe_next(target) == "/"


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
