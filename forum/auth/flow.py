"""The two halves of an OpenID sign-in: send the browser to the provider, then finish.

Views call these two functions. They tie together the stored attempt
(:mod:`forum.auth.pending`), the protocol (:mod:`forum.auth.oidc`) and the account rules
(:mod:`forum.services.accounts`).
"""

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass

from forum.auth.oidc import OidcClient, SignInFailed
from forum.auth.pending import SignInSecrets, do_save_pending, do_take_pending
from forum.services import accounts
from models import Member

logger = logging.getLogger(__name__)

_ERROR_CODE = re.compile(r"[^a-z0-9_.-]")


@dataclass(frozen=True)
class FinishedSignIn:
    member: Member
    next_url: str
    # True when a signed-in member linked another identity instead of signing in.
    linked: bool
    id_token: str


async def do_begin_sign_in(
    client: OidcClient, *, browser_key: str, next_url: str, link_member: Member | None = None
) -> str:
    """Store a new sign-in attempt for this browser; return the provider's authorization URL.

    :raises SignInFailed: when the provider's discovery document cannot be used.
    """
    secrets = SignInSecrets.generate()
    url = await client.authorization_url(
        state=secrets.state, nonce=secrets.nonce, code_verifier=secrets.code_verifier
    )
    await do_save_pending(
        secrets,
        browser_key=browser_key,
        provider=client.config.name,
        next_url=next_url,
        link_member=link_member,
    )
    return url


async def do_finish_sign_in(
    client: OidcClient,
    params: Mapping[str, str],
    *,
    browser_key: str | None,
    current_member: Member | None,
) -> FinishedSignIn:
    """Check the provider's response and return the member it signs in, or links.

    The stored attempt is used up first, so a state value fails the second time whatever
    happened the first.

    :raises SignInFailed: for a failed protocol step.
    :raises accounts.SignInRejected: when the account rules reject the sign-in.
    """
    pending = await do_take_pending(params.get("state"), browser_key=browser_key, provider=client.config.name)

    if "error" in params:
        code = _ERROR_CODE.sub("", params["error"].lower())[:40]
        raise SignInFailed(f"provider returned error {code!r}")
    await client.check_callback_issuer(params.get("iss"))
    code = params.get("code")
    if not code:
        raise SignInFailed("callback has no code parameter")

    verified = await client.complete(
        code=code,
        code_verifier=pending.code_verifier,
        nonce=pending.nonce,
        issued_after=pending.created_at.timestamp(),
    )
    identity = accounts.identity_from_sign_in(verified, client.config)

    if pending.link_member_id is not None:
        if current_member is None or current_member.id != pending.link_member_id:
            raise SignInFailed("link was started by a session that is no longer signed in here")
        await accounts.do_link_identity(current_member, identity)
        return FinishedSignIn(current_member, "/account", linked=True, id_token=verified.id_token)

    member = await accounts.do_sign_in_identity(identity)
    return FinishedSignIn(member, pending.next_url, linked=False, id_token=verified.id_token)
