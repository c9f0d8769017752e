"""Every route that accepts a state-changing method refuses a request without a valid token."""

import pytest
from werkzeug.routing.converters import NumberConverter

from forum.auth.csrf import CSRF_COOKIE
from forum.auth.sessions import SESSION_COOKIE, do_start_session
from tests.factories import SECRET_KEY, make_member

UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
# One-click unsubscribe is posted by mail clients without a token, and a signed token in
# its URL protects it instead (tests/views/test_email_preferences.py checks that).
EXEMPT_RULES = {"/unsubscribe/<token>"}


def _unsafe_routes(app):
    for rule in app.url_map.iter_rules():
        for method in sorted(rule.methods & UNSAFE):
            # Fill each converter with a value that matches it, so the route is reached.
            values = {
                name: 1 if isinstance(conv, NumberConverter) else "x"
                for name, conv in rule._converters.items()
            }
            yield method, rule, values


async def test_url_map_has_unsafe_routes(app):
    assert len(list(_unsafe_routes(app))) >= 5


@pytest.mark.parametrize("token", [None, "", "forged-token"])
async def test_every_unsafe_route_rejects_missing_or_bad_token(app, token):
    member = await make_member(permission="admin")
    cookie, _ = await do_start_session(member, secret_key=SECRET_KEY, days=1)
    client = app.test_client()
    client.set_cookie("localhost", SESSION_COOKIE, cookie)
    client.set_cookie("localhost", CSRF_COOKIE, "a-csrf-cookie")
    form = {} if token is None else {"csrf_token": token}

    checked = []
    async with app.test_request_context("/"):
        routes = [
            (method, rule, rule.build(values)[1]) for method, rule, values in _unsafe_routes(app)
        ]
    for method, rule, path in routes:
        if rule.rule in EXEMPT_RULES:
            continue
        response = await client.open(path, method=method, form=form)
        body = await response.get_data(as_text=True)
        assert response.status_code == 400, (
            f"{method} {rule.rule} accepted a request without a valid token"
        )
        assert "This form has expired" in body
        checked.append(rule.rule)
    assert checked


async def test_token_from_another_session_is_rejected(app, sign_in):
    first = await sign_in(await make_member())
    second = await sign_in(await make_member())

    response = await second.client.post(
        "/preview", form={"csrf_token": first.csrf_token, "body": "hi"}
    )

    assert response.status_code == 400


async def test_valid_token_is_accepted(app, sign_in):
    client = await sign_in(await make_member())

    response = await client.post("/preview", {"body": "**bold**"})

    assert response.status_code == 200
    assert "<strong>bold</strong>" in await response.get_data(as_text=True)


async def test_only_unsubscribe_is_exempt(app):
    exempt = {rule.rule for _, rule, _ in _unsafe_routes(app) if rule.endpoint == "email_preferences.unsubscribe"}

    assert exempt == EXEMPT_RULES


async def test_unsubscribe_with_forged_token_is_not_found(app):
    response = await app.test_client().post("/unsubscribe/forged-token")

    assert response.status_code == 404
