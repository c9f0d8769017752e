"""Tortoise models for the forum. Migrations live in ``models.migrations``."""

from models.members import Member, MemberPermission, MemberState, Organisation, OrganisationKind
from models.notifications import Notification, NotificationKind
from models.qa import Draft, DuplicateState, DuplicateSuggestion, Vote
from models.sessions import WebSession
from models.taxonomy import Role, SkillArea, SkillLevel
from models.threads import Post, Revision, Thread, ThreadKind, ThreadState

__all__ = [
    "Draft",
    "DuplicateState",
    "DuplicateSuggestion",
    "Member",
    "MemberPermission",
    "MemberState",
    "Notification",
    "NotificationKind",
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
    "Vote",
    "WebSession",
]
