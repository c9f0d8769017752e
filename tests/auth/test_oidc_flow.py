"""Sign-in through a real OpenID provider (npm oidc-provider) running on 127.0.0.1.

Each test drives the whole authorization code flow: the forum's sign-in button, the
provider's redirects, the callback, and the back-channel calls the forum makes itself.
Every negative case ends without a session, shows the one plain message, and logs its
reason at warning with the provider's name.
"""

import asyncio
import logging
import re

import pytest

from forum.auth.oidc import SIGN_IN_FAILED_MESSAGE
from forum.auth.pending import MAX_PENDING_PER_BROWSER, SIGN_IN_COOKIE
from forum.auth.sessions import SESSION_COOKIE, do_start_session
from forum.services.accounts import EMAIL_IN_USE_MESSAGE, IDENTITY_LINKED_ELSEWHERE_MESSAGE
from models import Identity, Member, MemberState, PendingSignIn, WebSession
from tests.factories import SECRET_KEY, make_member, make_organisation
from tests.oidc_provider.harness import (
    FORUM_BASE_URL,
    SsoBrowser,
    control,
    make_sso_app,
    query_value,
    running_provider,
    with_query,
)
from tests.oidc_provider.process import CUSTOM_NAME_CLAIM

FAILURE_LOGGER = "forum.views.account"


@pytest.fixture(name="provider")
def _provider():
    return running_provider()


@pytest.fixture(name="sso_app")
async def _sso_app(database_url, provider):
    await control(provider, "reset")
    app = make_sso_app(database_url, provider)
    yield app
    await app.extensions["forum_oidc"].aclose()


@pytest.fixture(name="sso_browser")
async def _sso_browser(sso_app):
    browser = SsoBrowser(sso_app)
    yield browser
    await browser.aclose()


@pytest.fixture(name="northmoor")
async def _northmoor():
    return await make_organisation(
        slug="northmoor", name="Northmoor Council", email_domains=["northmoor.gov.uk"], approved=True
    )


def _reasons(caplog) -> list[str]:
    return [
        f"{record.provider}: {record.reason}"
        for record in caplog.records
        if record.name == FAILURE_LOGGER
        and record.levelno == logging.WARNING
        and record.getMessage() in {"sign-in failed", "sign-in rejected"}
    ]


async def _assert_failed_without_session(response, caplog, reason: str, *, message=SIGN_IN_FAILED_MESSAGE):
    page = await response.get_data(as_text=True)
    assert response.status_code in {400, 403}
    assert message.replace("'", "&#39;") in page
    assert await WebSession.all().count() == 0
    reasons = _reasons(caplog)
    assert len(reasons) == 1, reasons
    assert reason in reasons[0]


# Signing in


async def test_first_sign_in_creates_active_member_with_session(sso_browser, northmoor, caplog):
    caplog.set_level(logging.INFO)

    response = await sso_browser.sign_in("test-basic", "alex", next_url="/skills/statutory-returns")

    assert response.status_code == 303
    assert response.headers["Location"] == "/skills/statutory-returns"
    session_cookie = next(
        value for value in response.headers.get_all("Set-Cookie") if value.startswith(SESSION_COOKIE)
    )
    assert "HttpOnly" in session_cookie
    assert "SameSite=Lax" in session_cookie
    member = await Member.get(handle="alex.rivers")
    assert member.display_name == "Alex Rivers"
    assert member.email == "alex.rivers@northmoor.gov.uk"
    assert member.state == MemberState.ACTIVE
    assert member.organisation_id == northmoor.id
    identity = await Identity.get(member_id=member.id)
    assert (identity.issuer, identity.subject, identity.provider) == (
        running_provider().issuer, "alex", "test-basic"
    )
    assert identity.email_verified is True
    session = await WebSession.get(member_id=member.id)
    assert session.provider == "test-basic"
    assert session.id_token_hint
    assert await PendingSignIn.all().count() == 0


async def test_signed_in_member_sees_pages_as_themselves(sso_browser, northmoor):
    await sso_browser.sign_in("test-basic", "alex")

    page = await (await sso_browser.forum.get("/account")).get_data(as_text=True)

    assert "Alex Rivers" in page
    assert "@alex.rivers" in page


async def test_second_sign_in_reuses_the_identity(sso_app, northmoor):
    first, second = SsoBrowser(sso_app), SsoBrowser(sso_app)
    await first.sign_in("test-basic", "alex")
    await second.sign_in("test-basic", "alex")
    await first.aclose()
    await second.aclose()

    assert await Member.all().count() == 1
    assert await Identity.all().count() == 1
    assert await WebSession.filter(revoked_at__isnull=True).count() == 2


async def test_private_key_jwt_client_signs_in(sso_browser, northmoor):
    response = await sso_browser.sign_in("test-jwt", "alex")

    assert response.status_code == 303
    assert await WebSession.filter(provider="test-jwt").count() == 1


async def test_govuk_userinfo_claims_and_params(sso_browser, northmoor, provider):
    response = await sso_browser.sign_in("test-govuk", "alex")

    assert response.status_code == 303
    member = await Member.get(email="alex.rivers@northmoor.gov.uk")
    assert member.display_name == "Alex Rivers (Performance team)"
    authorization = (await control(provider, "state"))["last_authorization"]
    assert authorization["vtr"] == '["Cl.Cm"]'
    assert authorization["ui_locales"] == "en"
    assert CUSTOM_NAME_CLAIM in authorization["claims"]
    assert authorization["scope"] == "openid email"


async def test_authorization_request_uses_pkce_state_and_nonce(sso_browser):
    url = await sso_browser.start("test-basic")

    assert query_value(url, "code_challenge_method") == "S256"
    assert len(query_value(url, "code_challenge")) == 43
    assert len(query_value(url, "state")) >= 43
    assert len(query_value(url, "nonce")) >= 43
    assert query_value(url, "response_type") == "code"
    assert query_value(url, "redirect_uri") == f"{FORUM_BASE_URL}/sign-in/test-basic/callback"
    assert "code_verifier" not in url


async def test_sign_in_cookie_is_http_only_and_lax(sso_app):
    browser = SsoBrowser(sso_app)
    token = await browser.csrf_token()

    response = await browser.forum.post("/sign-in/test-basic", form={"csrf_token": token})
    await browser.aclose()

    cookie = next(value for value in response.headers.get_all("Set-Cookie") if value.startswith(SIGN_IN_COOKIE))
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert "Max-Age=600" in cookie


async def test_sign_in_replaces_the_previous_session(sso_browser, northmoor):
    earlier = await make_member()
    cookie, earlier_session = await do_start_session(earlier, secret_key=SECRET_KEY, days=1)
    sso_browser.forum.set_cookie("localhost", SESSION_COOKIE, cookie)

    await sso_browser.sign_in("test-basic", "alex")

    assert sso_browser.cookie(SESSION_COOKIE) not in {None, cookie}
    assert (await WebSession.get(id=earlier_session.id)).revoked_at is not None


async def test_key_rotation_refetches_jwks(sso_browser, northmoor, provider):
    await sso_browser.sign_in("test-basic", "alex")
    await control(provider, "rotate")

    response = await SsoBrowser(sso_browser.app).sign_in("test-basic", "rotated-key")

    assert response.status_code == 303
    assert (await control(provider, "state"))["jwks_requests"] == 2


# Pending, suspended and rejected members


async def test_member_from_unapproved_organisation_waits_without_session(sso_browser, caplog):
    await make_organisation(email_domains=["kestrelvale.gov.uk"], approved=False, name="Kestrel Vale Council")

    response = await sso_browser.sign_in("test-basic", "kim")

    assert response.status_code == 303
    assert response.headers["Location"].startswith("/sign-in/waiting?ticket=")
    assert await WebSession.all().count() == 0
    member = await Member.get(handle="kim.lowe")
    assert member.state == MemberState.PENDING
    page = await (await sso_browser.forum.get(response.headers["Location"])).get_data(as_text=True)
    assert "waiting for approval" in page
    assert "Kim Lowe" in page
    assert "Kestrel Vale Council" in page


async def test_member_from_unknown_organisation_waits(sso_browser):
    response = await sso_browser.sign_in("test-basic", "alex")

    assert response.headers["Location"].startswith("/sign-in/waiting")
    assert (await Member.get(handle="alex.rivers")).organisation_id is None
    assert await WebSession.all().count() == 0


async def test_suspended_member_is_rejected_without_session(sso_browser, northmoor, provider, caplog):
    member = await make_member(state=MemberState.SUSPENDED, suspension_reason="Posting a child's name.")
    await Identity.create(
        member=member, issuer=provider.issuer, subject="alex", provider="test-basic", last_used_at=member.created_at
    )

    response = await sso_browser.sign_in("test-basic", "alex")

    await _assert_failed_without_session(
        response, caplog, "test-basic: member is suspended", message="Your account is suspended"
    )
    assert "Posting a child" in await response.get_data(as_text=True)


async def test_unverified_email_matching_a_member_is_rejected(sso_browser, caplog):
    existing = await make_member(email="sam.patel@northmoor.gov.uk")

    response = await sso_browser.sign_in("test-basic", "sam")

    await _assert_failed_without_session(response, caplog, "unverified email matches an existing member")
    assert await Identity.filter(member_id=existing.id).count() == 0
    assert await Member.all().count() == 1


async def test_taken_verified_email_not_linked(sso_browser, northmoor, caplog):
    existing = await make_member(email="alex.rivers@northmoor.gov.uk")

    response = await sso_browser.sign_in("test-basic", "alex")

    await _assert_failed_without_session(
        response, caplog, "verified email belongs to a member", message=EMAIL_IN_USE_MESSAGE
    )
    assert await Identity.filter(member_id=existing.id).count() == 0


async def test_unverified_email_alone_makes_pending_member_without_email(sso_browser, northmoor):
    response = await sso_browser.sign_in("test-basic", "sam")

    assert response.headers["Location"].startswith("/sign-in/waiting")
    member = await Member.get(handle="sam.patel")
    assert member.state == MemberState.PENDING
    assert member.email is None
    assert member.organisation_id is None


# Negative cases at the callback


async def test_tampered_state_is_rejected(sso_browser, caplog):
    callback = await sso_browser.authorize(await sso_browser.start("test-basic"), "alex")

    response = await sso_browser.callback(with_query(callback, state="tampered" + query_value(callback, "state")))

    await _assert_failed_without_session(response, caplog, "state is unknown")


async def test_missing_state_is_rejected(sso_browser, caplog):
    callback = await sso_browser.authorize(await sso_browser.start("test-basic"), "alex")

    response = await sso_browser.callback(with_query(callback, state=None))

    await _assert_failed_without_session(response, caplog, "callback has no state parameter")


async def test_callback_replayed_in_another_browser_is_rejected(sso_app, northmoor, caplog):
    victim, attacker = SsoBrowser(sso_app), SsoBrowser(sso_app)
    callback = await victim.authorize(await victim.start("test-basic"), "alex")

    stolen = await attacker.callback(callback)

    await _assert_failed_without_session(stolen, caplog, "browser has no valid sign-in cookie")
    # The attempt is still the victim's to finish: the other browser could not use it up.
    assert (await victim.callback(callback)).status_code == 303
    await victim.aclose()
    await attacker.aclose()


async def test_callback_with_another_browsers_cookie_is_rejected(sso_app, caplog):
    victim, attacker = SsoBrowser(sso_app), SsoBrowser(sso_app)
    callback = await victim.authorize(await victim.start("test-basic"), "alex")
    await attacker.start("test-basic")

    stolen = await attacker.callback(callback)

    await _assert_failed_without_session(stolen, caplog, "state is unknown, expired, already used or from another browser")
    await victim.aclose()
    await attacker.aclose()


async def test_wrong_iss_parameter_is_rejected(sso_browser, caplog):
    callback = await sso_browser.authorize(await sso_browser.start("test-basic"), "alex")

    response = await sso_browser.callback(with_query(callback, iss="https://attacker.example"))

    await _assert_failed_without_session(response, caplog, "iss parameter is not the provider's issuer")


async def test_missing_iss_parameter_is_rejected_when_advertised(sso_browser, caplog):
    callback = await sso_browser.authorize(await sso_browser.start("test-basic"), "alex")

    response = await sso_browser.callback(with_query(callback, iss=None))

    await _assert_failed_without_session(response, caplog, "authorization response has no iss parameter")


async def test_callback_used_twice_is_rejected(sso_browser, northmoor, caplog):
    callback = await sso_browser.authorize(await sso_browser.start("test-basic"), "alex")
    assert (await sso_browser.callback(callback)).status_code == 303
    await WebSession.all().delete()

    response = await sso_browser.callback(callback)

    await _assert_failed_without_session(response, caplog, "state is unknown, expired, already used")


async def test_replayed_code_is_rejected_by_the_provider(sso_browser, northmoor, caplog):
    first_callback = await sso_browser.authorize(await sso_browser.start("test-basic"), "alex")
    assert (await sso_browser.callback(first_callback)).status_code == 303
    await WebSession.all().delete()
    second_callback = await sso_browser.authorize(await sso_browser.start("test-basic"), "alex")

    replayed = with_query(second_callback, code=query_value(first_callback, "code"))
    response = await sso_browser.callback(replayed)

    await _assert_failed_without_session(response, caplog, "token request rejected: invalid_grant")


async def test_expired_code_is_rejected_by_the_provider(sso_browser, caplog):
    callback = await sso_browser.authorize(await sso_browser.start("test-basic"), "slow-code")
    # The provider gives this account's codes a lifetime of one second.
    await asyncio.sleep(2.1)

    response = await sso_browser.callback(callback)

    await _assert_failed_without_session(response, caplog, "token request rejected: invalid_grant")


async def test_expired_sign_in_attempt_is_rejected(sso_browser, caplog):
    callback = await sso_browser.authorize(await sso_browser.start("test-basic"), "alex")
    await PendingSignIn.all().update(expires_at=(await PendingSignIn.first()).created_at)

    response = await sso_browser.callback(callback)

    await _assert_failed_without_session(response, caplog, "state is unknown, expired")


async def test_oldest_attempt_is_dropped_past_the_limit(sso_browser, caplog):
    urls = [await sso_browser.start("test-basic") for _ in range(MAX_PENDING_PER_BROWSER + 1)]
    callback = await sso_browser.authorize(urls[0], "alex")

    response = await sso_browser.callback(callback)

    assert await PendingSignIn.all().count() == MAX_PENDING_PER_BROWSER
    await _assert_failed_without_session(response, caplog, "state is unknown")


async def test_state_for_another_provider_is_rejected(sso_browser, caplog):
    callback = await sso_browser.authorize(await sso_browser.start("test-basic"), "alex")

    response = await sso_browser.callback(callback.replace("/sign-in/test-basic/", "/sign-in/test-jwt/"))

    await _assert_failed_without_session(response, caplog, "test-jwt: state belongs to provider 'test-basic'")


async def test_provider_error_is_rejected(sso_browser, caplog):
    authorization_url = await sso_browser.start("test-basic")
    chooser = await sso_browser.provider.get(authorization_url, follow_redirects=True)
    abort = re.search(r'action="(/interaction/[^"]+/abort)"', chooser.text).group(1)
    answer = await sso_browser.provider.post(str(chooser.url.join(abort)), follow_redirects=False)
    while not answer.headers["location"].startswith(FORUM_BASE_URL):
        answer = await sso_browser.provider.get(str(answer.url.join(answer.headers["location"])))

    response = await sso_browser.callback(answer.headers["location"])

    assert query_value(answer.headers["location"], "error") == "access_denied"
    await _assert_failed_without_session(response, caplog, "provider returned error 'access_denied'")


@pytest.mark.parametrize(
    ("provider_name", "account", "reason"),
    [
        ("test-basic", "wrong-audience", "ID token aud does not contain the client id"),
        ("test-jwt", "wrong-audience", "ID token aud does not contain the client id"),
        ("test-basic", "unknown-key", "no key in the provider's JWKS has the ID token's kid 'outsider-key'"),
        ("test-basic", "forged-signature", "ID token signature is invalid"),
        ("test-basic", "hs256", "ID token algorithm 'HS256' is not accepted"),
        ("test-basic", "alg-none", "ID token algorithm 'none' is not accepted"),
        ("test-basic", "expired-id-token", "ID token has expired"),
        ("test-basic", "wrong-issuer", "ID token iss is not the provider's issuer"),
        ("test-basic", "userinfo-other-sub", "userinfo sub is not the ID token's sub"),
    ],
)
async def test_bad_id_token_is_rejected(sso_browser, northmoor, caplog, provider_name, account, reason):
    response = await sso_browser.sign_in(provider_name, account)

    await _assert_failed_without_session(response, caplog, f"{provider_name}: {reason}")
    assert await Member.all().count() == 0


async def test_unknown_kid_refetches_jwks_once(sso_browser, provider):
    await sso_browser.sign_in("test-basic", "unknown-key")

    assert (await control(provider, "state"))["jwks_requests"] == 2


async def test_replayed_id_token_fails_on_nonce(sso_app, northmoor, caplog):
    first, second = SsoBrowser(sso_app), SsoBrowser(sso_app)
    assert (await first.sign_in("test-basic", "replayed-id-token")).status_code == 303
    await WebSession.all().delete()

    response = await second.sign_in("test-basic", "replayed-id-token")

    await _assert_failed_without_session(response, caplog, "ID token nonce does not match this sign-in")
    await first.aclose()
    await second.aclose()


async def test_discovery_document_with_another_issuer_is_rejected(sso_browser, caplog):
    token = await sso_browser.csrf_token()

    response = await sso_browser.forum.post("/sign-in/test-wrong-issuer", form={"csrf_token": token})

    await _assert_failed_without_session(response, caplog, "discovery document issuer")
    assert await PendingSignIn.all().count() == 0


async def test_failures_never_log_codes_or_tokens(sso_browser, northmoor, caplog):
    caplog.set_level(logging.DEBUG)
    callback = await sso_browser.authorize(await sso_browser.start("test-basic"), "alex")

    await sso_browser.callback(with_query(callback, iss="https://attacker.example"))

    forum_log = "\n".join(
        f"{record.getMessage()} {vars(record)}" for record in caplog.records if record.name.startswith("forum")
    )
    assert "sign-in failed" in forum_log
    for secret in (query_value(callback, "code"), query_value(callback, "state")):
        assert secret not in forum_log


async def test_unknown_provider_is_not_found(sso_browser):
    token = await sso_browser.csrf_token()

    start = await sso_browser.forum.post("/sign-in/nobody", form={"csrf_token": token})
    callback = await sso_browser.forum.get("/sign-in/nobody/callback?state=x&code=y")

    assert start.status_code == 404
    assert callback.status_code == 404


# Linking a second provider


async def _signed_in_browser(app, member: Member) -> SsoBrowser:
    browser = SsoBrowser(app)
    cookie, _ = await do_start_session(member, secret_key=SECRET_KEY, days=1)
    browser.forum.set_cookie("localhost", SESSION_COOKIE, cookie)
    return browser


async def test_member_links_a_second_provider(sso_app):
    member = await make_member(email="someone.else@northmoor.gov.uk")
    browser = await _signed_in_browser(sso_app, member)

    callback = await browser.authorize(await browser.start_link("test-jwt"), "alex")
    response = await browser.callback(callback)

    assert response.status_code == 303
    assert response.headers["Location"] == "/account?linked=test-jwt"
    identity = await Identity.get(member_id=member.id)
    assert (identity.subject, identity.provider) == ("alex", "test-jwt")
    page = await (await browser.forum.get(response.headers["Location"])).get_data(as_text=True)
    assert "You can now sign in with the test provider (private key) too." in page
    await browser.aclose()


async def test_linking_an_identity_of_another_member_is_rejected(sso_app, northmoor, caplog):
    first = SsoBrowser(sso_app)
    await first.sign_in("test-basic", "alex")
    other = await make_member()
    browser = await _signed_in_browser(sso_app, other)

    response = await browser.callback(await browser.authorize(await browser.start_link("test-basic"), "alex"))

    assert response.status_code == 403
    assert IDENTITY_LINKED_ELSEWHERE_MESSAGE in await response.get_data(as_text=True)
    assert await Identity.filter(member_id=other.id).count() == 0
    assert "identity is linked to another member" in _reasons(caplog)[0]
    await first.aclose()
    await browser.aclose()


async def test_link_finished_in_another_session_is_rejected(sso_app, caplog):
    member = await make_member()
    browser = await _signed_in_browser(sso_app, member)
    callback = await browser.authorize(await browser.start_link("test-basic"), "alex")
    browser.forum.delete_cookie("localhost", SESSION_COOKIE)

    response = await browser.callback(callback)

    assert response.status_code == 400
    assert await Identity.all().count() == 0
    assert "link was started by a session that is no longer signed in here" in _reasons(caplog)[0]
    await browser.aclose()


# Signing out at the provider


async def test_sign_out_at_provider_too(sso_browser, northmoor):
    await sso_browser.sign_in("test-basic", "alex")
    session = await WebSession.get()
    token = await sso_browser.csrf_token("/account")

    response = await sso_browser.forum.post("/sign-out", form={"csrf_token": token})

    location = response.headers["Location"]
    assert response.status_code == 303
    assert location.startswith(running_provider().issuer + "/session/end?")
    assert query_value(location, "id_token_hint") == session.id_token_hint
    assert query_value(location, "post_logout_redirect_uri") == f"{FORUM_BASE_URL}/signed-out"
    assert query_value(location, "client_id") == "forum-basic"
    refreshed = await WebSession.get(id=session.id)
    assert refreshed.revoked_at is not None
    assert refreshed.id_token_hint is None

    confirm_page = await sso_browser.provider.get(location)
    form = dict(re.findall(r'name="([^"]+)" value="([^"]*)"', confirm_page.text))
    action = re.search(r'action="([^"]+)"', confirm_page.text).group(1)
    done = await sso_browser.provider.post(str(confirm_page.url.join(action)), data={**form, "logout": "yes"})
    assert done.status_code in {302, 303}
    assert done.headers["location"].startswith(f"{FORUM_BASE_URL}/signed-out")


async def test_dev_session_sign_out_stays_local(sso_app):
    browser = await _signed_in_browser(sso_app, await make_member())
    token = await browser.csrf_token("/account")

    response = await browser.forum.post("/sign-out", form={"csrf_token": token})

    assert response.headers["Location"] == "/signed-out"
    await browser.aclose()
