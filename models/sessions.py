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
    expires_at = fields.DatetimeField()
    revoked_at = fields.DatetimeField(null=True)
    user_agent = fields.CharField(max_length=200, default="")

    class Meta:
        table = "web_session"
        indexes = (("member_id", "expires_at"),)
