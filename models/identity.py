"""Accounts at OpenID providers, and sign-ins waiting for a provider's answer."""

from tortoise import fields
from tortoise.models import Model


class Identity(Model):
    """An account at an OpenID provider, linked to one member by issuer and subject.

    The pair (issuer, subject) is the only thing that identifies the account. The email
    address is kept for the member's account page and for support, never for matching.
    """

    id = fields.IntField(primary_key=True)
    member: fields.ForeignKeyRelation["Member"] = fields.ForeignKeyField(  # noqa: F821
        "models.Member", related_name="identities", on_delete=fields.CASCADE
    )
    issuer = fields.CharField(max_length=255)
    subject = fields.CharField(max_length=255)
    # Name of the provider in the forum's configuration, which can change without
    # breaking the link because matching uses the issuer.
    provider = fields.CharField(max_length=60)
    email_seen = fields.CharField(max_length=254, null=True)
    email_verified = fields.BooleanField(default=False)
    created_at = fields.DatetimeField(auto_now_add=True)
    last_used_at = fields.DatetimeField()

    class Meta:
        table = "identity"
        unique_together = (("issuer", "subject"),)
        indexes = (("member_id", "created_at"),)


class PendingSignIn(Model):
    """A sign-in sent to an OpenID provider and not yet completed.

    The row is deleted when the callback uses it, so each state value works once. It
    belongs to the browser whose sign-in cookie hashes to browser_key, and it stops
    working at expires_at.
    """

    # SHA-256 of the state parameter sent to the provider.
    id = fields.CharField(primary_key=True, max_length=64)
    # SHA-256 of the random value in the browser's sign-in cookie.
    browser_key = fields.CharField(max_length=64)
    provider = fields.CharField(max_length=60)
    nonce = fields.CharField(max_length=100)
    code_verifier = fields.CharField(max_length=128)
    next_url = fields.CharField(max_length=500, default="/")
    # Set when a signed-in member links another provider instead of signing in.
    link_member: fields.ForeignKeyNullableRelation["Member"] = fields.ForeignKeyField(  # noqa: F821
        "models.Member", related_name="pending_links", null=True, on_delete=fields.CASCADE
    )
    created_at = fields.DatetimeField(auto_now_add=True)
    expires_at = fields.DatetimeField()

    class Meta:
        table = "pending_sign_in"
        indexes = (("browser_key", "created_at"), ("expires_at",))
