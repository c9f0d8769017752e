"""Server-side browser sessions, so that a session can be revoked at once."""

from tortoise import fields
from tortoise.models import Model


class WebSession(Model):
    # SHA-256 of the random token held in the signed cookie; the token itself is never stored.
    id = fields.CharField(primary_key=True, max_length=64)
    member: fields.ForeignKeyRelation["Member"] = fields.ForeignKeyField(  # noqa: F821
        "models.Member", related_name="web_sessions", on_delete=fields.CASCADE
    )
    created_at = fields.DatetimeField(auto_now_add=True)
    # The absolute lifetime: the session ends then, however active the member is.
    expires_at = fields.DatetimeField()
    # The idle timeout: each request moves this forward by idle_timeout seconds, at most
    # up to expires_at. A session without a value (made before idle timeouts) has ended.
    idle_expires_at = fields.DatetimeField(null=True)
    idle_timeout = fields.IntField(default=8 * 3600)
    last_seen_at = fields.DatetimeField(null=True)
    revoked_at = fields.DatetimeField(null=True)
    user_agent = fields.CharField(max_length=200, default="")
    # The configured OpenID provider that signed this session in, or NULL for the
    # development sign-in. Sign-out uses it for the provider's end-session endpoint.
    provider = fields.CharField(max_length=60, null=True)
    # The ID token from that sign-in, sent back as id_token_hint at sign-out and cleared
    # when the session is revoked.
    id_token_hint = fields.TextField(null=True)

    class Meta:
        table = "web_session"
        indexes = (("member_id", "expires_at"),)
