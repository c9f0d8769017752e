"""The notification settings page, one-click unsubscribe, and watch controls."""

import pytest
from itsdangerous import URLSafeSerializer

from forum.services import email, watches
from forum.services.posting import do_reply
from models import (
    Delivery,
    DigestFrequency,
    DigestSchedule,
    NotificationPreference,
    OutboxMessage,
    SkillArea,
    Watch,
    WatchLevel,
)
from tests.factories import make_member, make_thread


@pytest.fixture(autouse=True)
def _configured(app):
    # The app configures the email module with the test settings, which sign the tokens.
    return app


async def test_preferences_page_shows_every_kind(sign_in):
    client = await sign_in(await make_member())

    response = await client.get("/account/notifications")

    body = await response.get_data(as_text=True)
    assert response.status_code == 200
    for label in email.KIND_LABELS.values():
        assert label in body
    assert '<legend class="govuk-fieldset__legend govuk-fieldset__legend--m">How often do you want a digest email?</legend>' in body


async def test_preferences_page_needs_sign_in(client):
    response = await client.get("/account/notifications")

    assert response.status_code in {302, 303, 401, 403}


async def test_preferences_are_saved(sign_in):
    member = await make_member()
    client = await sign_in(member)

    response = await client.post(
        "/account/notifications",
        {"kind-mention": "digest", "kind-reply": "off", "digest_frequency": "daily"},
    )

    assert response.status_code == 303
    stored = dict(await NotificationPreference.filter(member=member).values_list("kind", "delivery"))
    assert stored == {"mention": Delivery.DIGEST, "reply": Delivery.OFF}
    assert (await DigestSchedule.get(member=member)).frequency == DigestFrequency.DAILY


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("kind-mention", "sometimes", "Choose how you hear about: mentions of you."),
        ("digest_frequency", "hourly", "Choose daily, weekly or never for your digest."),
    ],
)
async def test_invalid_preference_shows_error(sign_in, field, value, message):
    member = await make_member()
    client = await sign_in(member)

    response = await client.post("/account/notifications", {field: value})

    body = await response.get_data(as_text=True)
    assert response.status_code == 422
    assert message in body
    assert f'aria-describedby="{field}-error"' in body
    assert not await NotificationPreference.filter(member=member).exists()


async def test_unsubscribe_get_only_asks(client):
    member = await make_member()
    token = email.make_unsubscribe_token(member.id, "mention")

    response = await client.get(f"/unsubscribe/{token}")

    body = await response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Unsubscribe from emails about mentions of you" in body
    assert not await NotificationPreference.filter(member=member).exists()


async def test_one_click_unsubscribe_without_sign_in_or_csrf(client):
    member = await make_member()
    token = email.make_unsubscribe_token(member.id, "mention")

    response = await client.post(
        f"/unsubscribe/{token}", form={"List-Unsubscribe": "One-Click"}
    )

    assert response.status_code == 200
    assert "You are unsubscribed" in await response.get_data(as_text=True)
    preference = await NotificationPreference.get(member=member, kind="mention")
    assert preference.delivery == Delivery.IN_APP


async def test_digest_unsubscribe_turns_digest_off(client):
    member = await make_member()
    token = email.make_unsubscribe_token(member.id, email.DIGEST_KIND)

    response = await client.post(f"/unsubscribe/{token}")

    assert response.status_code == 200
    assert (await DigestSchedule.get(member=member)).frequency == DigestFrequency.OFF


def _tamper(token: str) -> str:
    payload, _, signature = token.rpartition(".")
    return payload + "." + ("A" if signature[0] != "A" else "B") + signature[1:]


@pytest.mark.parametrize("change", ["signature", "member", "kind", "garbage"])
async def test_tampered_unsubscribe_token_is_rejected(client, change):
    member, other = await make_member(), await make_member()
    token = email.make_unsubscribe_token(member.id, "mention")
    wrong_key = URLSafeSerializer("a-key-the-forum-does-not-use", salt="forum.unsubscribe")
    own_signature = token.rpartition(".")[2]
    forged = {
        "signature": _tamper(token),
        # Another member's id with this member's signature.
        "member": wrong_key.dumps([other.id, "mention"]).rpartition(".")[0] + "." + own_signature,
        "kind": wrong_key.dumps([member.id, "reply"]),
        "garbage": "not-a-token",
    }[change]

    for method in ("GET", "POST"):
        response = await client.open(f"/unsubscribe/{forged}", method=method)
        assert response.status_code == 404
    assert not await NotificationPreference.exists()


async def test_unsubscribe_link_from_delivered_email_works(client, settings):
    member = await make_member()
    thread = await make_thread(author=member)
    await do_reply(await make_member(), thread, "A reply to you.", max_length=1000)
    # The worker queues a reply's emails.
    await watches.do_send_watcher_notices()

    message = await OutboxMessage.get(member=member, kind="reply")
    url = message.headers["List-Unsubscribe"].strip("<>")
    path = url.removeprefix(settings.base_url)

    response = await client.post(path, form={"List-Unsubscribe": "One-Click"})

    assert response.status_code == 200
    assert (await NotificationPreference.get(member=member, kind="reply")).delivery == Delivery.IN_APP


async def test_thread_page_shows_watch_controls(sign_in):
    member = await make_member()
    thread = await make_thread(author=member)
    client = await sign_in(member)

    body = await (await client.get(f"/threads/{thread.id}")).get_data(as_text=True)

    assert "Notifications for this thread" in body
    assert 'id="watch-thread-watching" name="level" type="radio" value="watching" checked' in body


async def test_watch_control_sets_level(sign_in):
    member = await make_member()
    client = await sign_in(member)
    area = await SkillArea.get(slug="cin-census")

    response = await client.post(
        f"/watch/skill_area/{area.id}", {"level": "watching", "next": "/skills/cin-census"}
    )

    assert response.status_code == 303
    assert response.headers["Location"] == "/skills/cin-census"
    watch = await Watch.get(member=member, target_type="skill_area", target_id=area.id)
    assert watch.level == WatchLevel.WATCHING


async def test_watch_control_ignores_offsite_next(sign_in):
    client = await sign_in(await make_member())
    area = await SkillArea.get(slug="cin-census")

    response = await client.post(
        f"/watch/skill_area/{area.id}", {"level": "muted", "next": "//evil.example"}
    )

    assert response.headers["Location"] == "/account/notifications"


async def test_preferences_page_query_count_is_constant(sign_in, count_queries):
    member = await make_member()
    client = await sign_in(member)
    count_queries.statements.clear()
    assert (await client.get("/account/notifications")).status_code == 200
    few = count_queries.count

    for kind in list(email.KIND_LABELS)[:8]:
        await NotificationPreference.create(member=member, kind=kind, delivery=Delivery.DIGEST)
    count_queries.statements.clear()
    assert (await client.get("/account/notifications")).status_code == 200

    assert count_queries.count == few, count_queries.statements
    # Session, unread count, preferences, digest frequency.
    assert few <= 4, count_queries.statements


async def test_unsubscribe_page_query_count_is_constant(client, count_queries):
    member = await make_member()
    token = email.make_unsubscribe_token(member.id, "mention")
    count_queries.statements.clear()

    assert (await client.get(f"/unsubscribe/{token}")).status_code == 200

    assert count_queries.count <= 1, count_queries.statements
