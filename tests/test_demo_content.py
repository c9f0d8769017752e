"""Structure and safety checks for the demo seed data in forum.demo_content."""

import re

import pytest

from forum import demo_content

pytestmark = pytest.mark.no_database

SKILL_AREAS = {
    "social-care-practice",
    "statutory-returns",
    "inspection-data",
    "case-management-systems",
    "data-quality",
    "performance-management",
    "benchmarking",
    "sql-data-engineering",
    "bi-visualisation",
    "spreadsheet-modelling",
    "programming-reproducible-analysis",
    "statistics-methods",
    "information-governance",
    "data-ethics-ai",
    "data-linkage-standards",
    "insight-communication",
    "finance-commissioning-sufficiency",
    "data-leadership",
    # Sub-areas.
    "cin-census",
    "ssda903",
    "workforce-census",
    "liquidlogic",
    "mosaic",
    "eclipse",
    "python",
    "r",
    "git",
    "power-bi",
}

ROLES = {
    "la-data",
    "la-digital",
    "la-social-care",
    "la-leadership",
    "cg-data",
    "cg-digital",
    "cg-social-care",
    "cg-leadership",
    "other-public-sector",
    "supplier-partner",
    "consultant",
    "other-private-sector",
    "care-experienced",
    "no-care-experience",
}

ORGANISATION_KINDS = {
    "local_authority",
    "central_government",
    "other_public",
    "supplier",
    "consultancy",
    "charity",
    "other",
}
PERMISSIONS = {"member", "mentor", "moderator", "admin"}
THREAD_KINDS = {"question", "discussion", "resource", "announcement"}

HANDLE_PATTERN = re.compile(r"^[a-z0-9][a-z0-9.-]*$")

# Deliberately broad: a false positive here costs a reworded post, a miss
# could publish something that looks like real personal data.
POSTCODE_PATTERN = re.compile(r"\b[A-Z]{1,2}[0-9][A-Z0-9]? ?[0-9][A-Z]{2}\b")
EMAIL_PATTERN = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")
NHS_NUMBER_PATTERN = re.compile(r"\b\d{3}[ -]?\d{3}[ -]?\d{4}\b")

MEMBER_HANDLES = {member["handle"] for member in demo_content.MEMBERS}
ORGANISATION_SLUGS = {org["slug"] for org in demo_content.ORGANISATIONS}


def all_posts():
    """Yield (label, author, body) for every thread body and reply body."""
    for thread in demo_content.THREADS:
        yield thread["title"], thread["author"], thread["body"]
        for number, reply in enumerate(thread["replies"], start=1):
            yield f"{thread['title']} (reply {number})", reply["author"], reply["body"]


def free_text():
    """Yield (label, text) for every post body and member bio."""
    for label, _author, body in all_posts():
        yield label, body
    for member in demo_content.MEMBERS:
        yield f"bio of {member['handle']}", member["bio"]


def test_minimum_counts():
    assert len(demo_content.ORGANISATIONS) >= 6
    assert len(demo_content.MEMBERS) >= 12
    assert len(demo_content.THREADS) >= 30


def test_distinct_skill_areas():
    used = {thread["skill_area"] for thread in demo_content.THREADS}
    assert len(used) >= 10, sorted(used)


def test_organisation_fields():
    for org in demo_content.ORGANISATIONS:
        assert set(org) == {"slug", "name", "kind", "email_domains", "approved"}, org
        assert org["kind"] in ORGANISATION_KINDS, org["slug"]
        assert org["email_domains"], org["slug"]
        assert isinstance(org["approved"], bool), org["slug"]


def test_organisation_slugs_unique():
    slugs = [org["slug"] for org in demo_content.ORGANISATIONS]
    assert len(slugs) == len(set(slugs))


def test_organisation_kinds_cover_sector():
    kinds = [org["kind"] for org in demo_content.ORGANISATIONS]
    assert kinds.count("local_authority") >= 4
    for kind in ("central_government", "supplier", "consultancy", "charity"):
        assert kind in kinds, kind


def test_member_fields():
    expected_keys = {
        "handle",
        "display_name",
        "email",
        "organisation",
        "role",
        "permission",
        "bio",
    }
    for member in demo_content.MEMBERS:
        assert set(member) == expected_keys, member["handle"]
        assert HANDLE_PATTERN.match(member["handle"]), member["handle"]
        assert member["role"] in ROLES, member["handle"]
        assert member["permission"] in PERMISSIONS, member["handle"]


def test_member_handles_unique():
    handles = [member["handle"] for member in demo_content.MEMBERS]
    assert len(handles) == len(set(handles))


def test_member_organisations_exist():
    for member in demo_content.MEMBERS:
        org = member["organisation"]
        assert org is None or org in ORGANISATION_SLUGS, member["handle"]


def test_member_email_matches_organisation():
    domains_by_slug = {
        org["slug"]: org["email_domains"] for org in demo_content.ORGANISATIONS
    }
    for member in demo_content.MEMBERS:
        domain = member["email"].rsplit("@", 1)[1]
        allowed = {"example.org"}
        if member["organisation"] is not None:
            allowed.update(domains_by_slug[member["organisation"]])
        assert domain in allowed, member["handle"]


def test_single_moderator_and_admin():
    moderators = [m["handle"] for m in demo_content.MEMBERS if m["permission"] == "moderator"]
    admins = [m["handle"] for m in demo_content.MEMBERS if m["permission"] == "admin"]
    assert moderators == ["mod.amira"]
    assert admins == ["admin.joe"]


def test_mentors_present():
    mentors = [m for m in demo_content.MEMBERS if m["permission"] == "mentor"]
    assert 2 <= len(mentors) <= 3


def test_thread_fields():
    expected_keys = {
        "title",
        "kind",
        "skill_area",
        "roles",
        "author",
        "body",
        "replies",
        "days_ago",
    }
    for thread in demo_content.THREADS:
        assert set(thread) == expected_keys, thread["title"]
        assert thread["kind"] in THREAD_KINDS, thread["title"]
        assert isinstance(thread["days_ago"], int), thread["title"]
        assert 0 <= thread["days_ago"] <= 120, thread["title"]
        assert 0 <= len(thread["replies"]) <= 5, thread["title"]


def test_thread_titles_unique():
    titles = [thread["title"] for thread in demo_content.THREADS]
    assert len(titles) == len(set(titles))


def test_thread_skill_areas_known():
    for thread in demo_content.THREADS:
        assert thread["skill_area"] in SKILL_AREAS, thread["title"]


def test_thread_roles_known():
    for thread in demo_content.THREADS:
        assert thread["roles"], thread["title"]
        for role in thread["roles"]:
            assert role in ROLES, (thread["title"], role)


def test_every_role_used_by_some_thread():
    used = {role for thread in demo_content.THREADS for role in thread["roles"]}
    assert used == ROLES


def test_authors_are_members():
    for label, author, _body in all_posts():
        assert author in MEMBER_HANDLES, (label, author)


def test_announcements_by_staff():
    for thread in demo_content.THREADS:
        if thread["kind"] == "announcement":
            assert thread["author"] in {"admin.joe", "mod.amira"}, thread["title"]


def test_bodies_not_blank():
    for label, _author, body in all_posts():
        assert body.strip(), label


@pytest.mark.parametrize(
    ("name", "pattern"),
    [
        ("postcode", POSTCODE_PATTERN),
        ("email address", EMAIL_PATTERN),
        ("NHS-number-like digits", NHS_NUMBER_PATTERN),
    ],
)
def test_free_text_has_no_personal_identifiers(name, pattern):
    for label, text in free_text():
        match = pattern.search(text)
        assert match is None, f"{name} {match.group()!r} in {label}"


def test_patterns_catch_examples():
    # Invented values: no postcode area starts with Q.
    assert POSTCODE_PATTERN.search("lives at QQ1A 1QQ")
    assert POSTCODE_PATTERN.search("near Q1 1QQ")
    assert EMAIL_PATTERN.search("write to someone@example.org")
    assert NHS_NUMBER_PATTERN.search("number 0123456789")
    assert NHS_NUMBER_PATTERN.search("number 012 345 6789")
    assert not POSTCODE_PATTERN.search("rule 8869 and CHILD-0001")
