"""Saved form submissions, so that sending the same form again saves nothing new."""

from tortoise import fields
from tortoise.models import Model


class FormSubmission(Model):
    """A reply or new-thread form that was saved, keyed by its one-time token and content.

    ``key`` is a SHA-256 digest of the form's token and the text it carried (see
    ``forum.services.posting.submission_key``). The unique index makes the second of two
    identical submissions fail inside its transaction, even when both arrive at once.
    """

    id = fields.IntField(primary_key=True)
    member: fields.ForeignKeyRelation["Member"] = fields.ForeignKeyField(  # noqa: F821
        "models.Member", related_name="form_submissions", on_delete=fields.CASCADE
    )
    key = fields.CharField(max_length=64)
    post: fields.ForeignKeyRelation["Post"] = fields.ForeignKeyField(  # noqa: F821
        "models.Post", related_name="form_submissions", on_delete=fields.CASCADE
    )
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "form_submission"
        unique_together = (("member_id", "key"),)
