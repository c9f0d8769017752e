"""Tortoise models for the forum. Migrations live in ``models.migrations``."""

from models.members import Member, MemberPermission, MemberState, Organisation, OrganisationKind
from models.sessions import WebSession
from models.taxonomy import Role, SkillArea, SkillLevel
from models.threads import Post, Revision, Thread, ThreadKind, ThreadState

__all__ = [
    "Member",
    "MemberPermission",
    "MemberState",
    "Organisation",
    "OrganisationKind",
    "Post",
    "Revision",
    "Role",
    "SkillArea",
    "SkillLevel",
    "Thread",
    "ThreadKind",
    "ThreadState",
    "WebSession",
]
