"""Learning resources that admins curate, and members' completions of them."""

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model


class ResourceFormat(StrEnum):
    COURSE = "course"
    ARTICLE = "article"
    VIDEO = "video"
    BOOK = "book"
    TOOL = "tool"
    EVENT = "event"


class ResourceCost(StrEnum):
    FREE = "free"
    PAID = "paid"


class LearningResource(Model):
    """A course, article or other resource in the signposting directory.

    ``skill_area_ids`` and ``levels`` are lists of ids and SkillLevel values the resource suits.
    """

    id = fields.IntField(primary_key=True)
    title = fields.CharField(max_length=200)
    provider = fields.CharField(max_length=200)
    url = fields.CharField(max_length=500)
    format = fields.CharEnumField(ResourceFormat, max_length=20)
    cost = fields.CharEnumField(ResourceCost, max_length=10)
    description = fields.TextField(default="")
    skill_area_ids: list = fields.JSONField(default=list)
    levels: list = fields.JSONField(default=list)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "learning_resource"
        ordering = ["title", "id"]


class ResourceCompletion(Model):
    """A member's record of finishing a learning resource, with an optional rating from 1 to 5."""

    id = fields.IntField(primary_key=True)
    member: fields.ForeignKeyRelation["Member"] = fields.ForeignKeyField(  # noqa: F821
        "models.Member", related_name="resource_completions", on_delete=fields.CASCADE
    )
    resource: fields.ForeignKeyRelation[LearningResource] = fields.ForeignKeyField(
        "models.LearningResource", related_name="completions", on_delete=fields.CASCADE
    )
    rating = fields.SmallIntField(null=True)
    completed_on = fields.DateField()
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "resource_completion"
        unique_together = (("member_id", "resource_id"),)
