"""Members and the organisations they work for."""

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model


class OrganisationKind(StrEnum):
    LOCAL_AUTHORITY = "local_authority"
    CENTRAL_GOVERNMENT = "central_government"
    OTHER_PUBLIC = "other_public"
    SUPPLIER = "supplier"
    CONSULTANCY = "consultancy"
    CHARITY = "charity"
    OTHER = "other"


class MemberPermission(StrEnum):
    """Site-wide permission, from least to most trusted."""

    MEMBER = "member"
    MENTOR = "mentor"
    MODERATOR = "moderator"
    ADMIN = "admin"


class MemberState(StrEnum):
    PENDING = "pending"
    ACTIVE = "active"
    SUSPENDED = "suspended"
    ERASED = "erased"
    # A moderator turned down the membership request of a member from an unapproved organisation.
    REJECTED = "rejected"


class Organisation(Model):
    id = fields.IntField(primary_key=True)
    slug = fields.CharField(max_length=80, unique=True)
    name = fields.CharField(max_length=200)
    kind = fields.CharEnumField(OrganisationKind, max_length=40, default=OrganisationKind.OTHER)
    # Lower-case email domains whose addresses belong to this organisation.
    email_domains: list = fields.JSONField(default=list)
    approved = fields.BooleanField(default=False)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "organisation"
        ordering = ["name"]


class Member(Model):
    id = fields.IntField(primary_key=True)
    handle = fields.CharField(max_length=40, unique=True)
    display_name = fields.CharField(max_length=120)
    email = fields.CharField(max_length=254, null=True, unique=True)
    organisation: fields.ForeignKeyNullableRelation[Organisation] = fields.ForeignKeyField(
        "models.Organisation", related_name="members", null=True, on_delete=fields.SET_NULL
    )
    role: fields.ForeignKeyNullableRelation["Role"] = fields.ForeignKeyField(  # noqa: F821
        "models.Role", related_name="members", null=True, on_delete=fields.SET_NULL
    )
    permission = fields.CharEnumField(
        MemberPermission, max_length=20, default=MemberPermission.MEMBER
    )
    state = fields.CharEnumField(MemberState, max_length=20, default=MemberState.ACTIVE)
    # Shown to the member while the state is SUSPENDED. The suspension ends at suspended_until.
    suspended_until = fields.DatetimeField(null=True)
    suspension_reason = fields.TextField(default="")
    # A silenced member can read but not post. NULL silenced_until means until lifted.
    is_silenced = fields.BooleanField(default=False)
    silenced_until = fields.DatetimeField(null=True)
    silence_reason = fields.TextField(default="")
    bio = fields.TextField(default="")
    # Placeholder authors created by an import carry the source's name and are never signed in.
    is_imported = fields.BooleanField(default=False)
    source_site = fields.CharField(max_length=120, null=True)
    source_id = fields.CharField(max_length=40, null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "member"
        ordering = ["display_name"]
        unique_together = (("source_site", "source_id"),)

    def __str__(self) -> str:
        return self.display_name
