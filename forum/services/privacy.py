"""The personal-data check run before a thread title, post or edit is saved.

:func:`scan_text` searches the whole Markdown source, code blocks included, for data that
could identify a person. It looks for NHS numbers, Unique Pupil Numbers, National
Insurance numbers, full UK postcodes, a date of birth next to a capitalised name, UK phone
numbers and email addresses other than the author's. Numbers with check digits only match when
the check digit is valid, which keeps invented examples such as 123 456 7890 from matching.

An author shown a match may edit it away, or confirm that the data is synthetic or
public. The confirmation is recorded as a ``PersonalDataHold`` and the post is then held,
visible only to its author and moderators, until a moderator approves it.
"""

import logging
import re
from dataclasses import dataclass
from datetime import UTC, datetime

from forum.errors import ValidationFailed
from models import Member, PersonalDataHold, Post

logger = logging.getLogger(__name__)

CONFIRM_FIELD = "personal_data_confirmed"


@dataclass(frozen=True)
class Finding:
    """One part of a text that looks like personal data."""

    kind: str
    text: str
    start: int
    end: int


KIND_LABELS = {
    "nhs_number": "NHS number",
    "upn": "Unique Pupil Number",
    "ni_number": "National Insurance number",
    "postcode": "postcode",
    "date_of_birth": "date of birth",
    "phone": "phone number",
    "email": "email address",
}
KIND_REASONS = {
    "nhs_number": "10 digits whose last digit is a valid NHS number check digit",
    "upn": "13 characters whose first letter is a valid Unique Pupil Number check letter",
    "ni_number": "2 letters, 6 digits and a letter from A to D, as in a National Insurance number",
    "postcode": "a full UK postcode, which can point to a single household",
    "date_of_birth": "a full date next to a capitalised name, which could be someone's date of birth",
    "phone": "a UK phone number",
    "email": "an email address that is not your own",
}


# NHS numbers --------------------------------------------------------------------------

# 10 digits, grouped 3-3-4 with one kind of separator or none, not part of a longer number.
_NHS_RE = re.compile(r"(?<![\d.,/+-])(\d{3})([ -]?)(\d{3})\2(\d{4})(?![\d]|[.,/-]\d)")


def nhs_check_digit(first_nine: str) -> int | None:
    """Return the NHS number check digit for nine digits, or None when no digit can be valid.

    Weights run from 10 down to 2. The check digit is 11 minus the weighted sum modulo 11,
    with 11 written as 0, and a result of 10 means the nine digits are never issued.
    """
    total = sum(
        int(digit) * weight for digit, weight in zip(first_nine, range(10, 1, -1), strict=True)
    )
    check = 11 - total % 11
    if check == 11:
        return 0
    if check == 10:
        return None
    return check


def is_valid_nhs_number(value: str) -> bool:
    digits = re.sub(r"[ -]", "", value)
    if len(digits) != 10 or not digits.isdigit():
        return False
    return nhs_check_digit(digits[:9]) == int(digits[9])


# Unique Pupil Numbers -----------------------------------------------------------------

# Letters used for UPN check letters and temporary UPN endings, valued 0 to 22 in order.
# I, O and S are never used.
UPN_LETTERS = "ABCDEFGHJKLMNPQRTUVWXYZ"
_UPN_RE = re.compile(
    rf"(?<![A-Za-z0-9])([{UPN_LETTERS}])(\d{{11}})([\d{UPN_LETTERS}])(?![A-Za-z0-9])"
)


def upn_check_letter(last_twelve: str) -> str | None:
    """Return the check letter for a UPN's characters 2 to 13, or None if they are malformed.

    Character n (counting the check letter as 1) is weighted by n. A temporary UPN's
    final letter counts as its position in ``UPN_LETTERS``. The weighted sum modulo 23
    indexes ``UPN_LETTERS``. Source: the DfE's UPN guidance as summarised in the
    government data standards catalogue entry "Unique Pupil Number" version 2.0.
    """
    if len(last_twelve) != 12 or not last_twelve[:11].isdigit():
        return None
    final = last_twelve[11]
    if final.isdigit():
        final_value = int(final)
    elif final in UPN_LETTERS:
        final_value = UPN_LETTERS.index(final)
    else:
        return None
    values = [int(digit) for digit in last_twelve[:11]] + [final_value]
    total = sum(value * weight for value, weight in zip(values, range(2, 14), strict=True))
    return UPN_LETTERS[total % 23]


def is_valid_upn(value: str) -> bool:
    value = value.strip().upper()
    return len(value) == 13 and upn_check_letter(value[1:]) == value[0]


# National Insurance numbers -----------------------------------------------------------

# HMRC never issues D, F, I, Q, U or V as either prefix letter, nor O as the second, nor
# the prefixes BG, GB, KN, NK, NT, TN and ZZ. The suffix is A, B, C or D.
_NI_RE = re.compile(
    r"(?<![A-Za-z0-9])(?!BG|GB|KN|NK|NT|TN|ZZ)"
    r"([A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z]) ?(\d{2}) ?(\d{2}) ?(\d{2}) ?([A-D])(?![A-Za-z0-9])",
    re.IGNORECASE,
)


def is_valid_ni_number(value: str) -> bool:
    match = _NI_RE.fullmatch(value.strip())
    return match is not None


# Postcodes ----------------------------------------------------------------------------

# The postcode areas of the UK, the Channel Islands and the Isle of Man.
POSTCODE_AREAS = frozenset(
    """AB AL B BA BB BD BH BL BN BR BS BT CA CB CF CH CM CO CR CT CV CW DA DD DE DG DH DL DN
    DT DY E EC EH EN EX FK FY G GL GU GY HA HD HG HP HR HS HU HX IG IM IP IV JE KA KT KW KY
    L LA LD LE LL LN LS LU M ME MK ML N NE NG NN NP NR NW OL OX PA PE PH PL PO PR RG RH RM S
    SA SE SG SK SL SM SN SO SP SR SS ST SW SY TA TD TF TN TQ TR TS TW UB W WA WC WD WF WN WR
    WS WV YO ZE""".split()
)
# Outward code, optional space, inward code. The inward letters never include C, I, K, M,
# O or V.
_POSTCODE_RE = re.compile(
    r"(?<![A-Za-z0-9])([A-Z]{1,2})(\d[A-Z\d]?) ?(\d[ABD-HJLNP-UW-Z]{2})(?![A-Za-z0-9])",
    re.IGNORECASE,
)


def is_full_postcode(value: str) -> bool:
    match = _POSTCODE_RE.fullmatch(value.strip())
    return match is not None and _postcode_match_counts(match)


def _postcode_match_counts(match: re.Match) -> bool:
    if match.group(1).upper() not in POSTCODE_AREAS:
        return False
    # Lower-case or mixed-case text counts only when spaced like a postcode, because
    # unspaced lower-case tokens such as "ab12ab" are usually identifiers or hex.
    text = match.group(0)
    return text.isupper() or " " in text


# Phone numbers ------------------------------------------------------------------------

_PHONE_RE = re.compile(r"(?<![\w+])(?:\+44[ -]?(?:\(0\)[ -]?)?|\(?0)(?:\d[ -]?\)?){8,9}\d(?![\w])")


def is_uk_phone_number(value: str) -> bool:
    digits = re.sub(r"\D", "", value)
    if value.strip().startswith("+44"):
        digits = "0" + digits[2:]
        if digits.startswith("00"):
            digits = digits[1:]
    # UK numbers are 0 and 10 digits, except a few older 0 and 9 digit area numbers. The
    # second digit shows the range: 1 and 2 geographic, 3 non-geographic, 7 mobile, 8 free.
    if not digits.startswith("0") or digits[1:2] not in {"1", "2", "3", "7", "8"}:
        return False
    return len(digits) == 11 or (len(digits) == 10 and digits[1] == "1")


# Email addresses ----------------------------------------------------------------------

_EMAIL_RE = re.compile(
    r"(?<![\w.%+-])[A-Za-z0-9][A-Za-z0-9._%+-]*@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*\.[A-Za-z]{2,}(?![\w-])"
)
# Domains reserved for examples and tests (RFC 2606 and RFC 6761), which name no one.
_RESERVED_EMAIL_DOMAIN_RE = re.compile(
    r"(^|\.)(example\.(com|org|net)|[^.]+\.(example|test|invalid|localhost))$", re.IGNORECASE
)


def _email_counts(address: str, author_email: str | None) -> bool:
    if author_email and address.lower() == author_email.lower():
        return False
    domain = address.rsplit("@", 1)[1]
    return not _RESERVED_EMAIL_DOMAIN_RE.search(domain) and not domain.lower().startswith(
        "example."
    )


# Dates of birth next to names ---------------------------------------------------------

_MONTHS = (
    "January|February|March|April|May|June|July|August|September|October|November|December"
    "|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec"
)
_DATE_RE = re.compile(
    r"(?<![\w/.-])(?:"
    r"(?P<d1>\d{1,2})[/.-](?P<m1>\d{1,2})[/.-](?P<y1>\d{4})"
    r"|(?P<y2>\d{4})-(?P<m2>\d{2})-(?P<d2>\d{2})"
    rf"|(?P<d3>\d{{1,2}})(?:st|nd|rd|th)? (?P<m3>{_MONTHS})\.?,? (?P<y3>\d{{4}})"
    rf"|(?P<m4>{_MONTHS})\.? (?P<d4>\d{{1,2}})(?:st|nd|rd|th)?,? (?P<y4>\d{{4}})"
    r")(?![\w/-])",
    re.IGNORECASE,
)
_NAME_WORD = r"[A-Z][a-z]+(?:[-'][A-Z][a-z]+)?"
# A run of one to three capitalised words ending just before, or starting just after, a
# date, with only punctuation and an optional "born" or "DOB" label between them.
_DOB_LABEL = r"(?i:d\.?o\.?b\.?|date of birth|born(?: on)?|birthday)"
_GAP = rf"[\s,;:|()\[\]–-]{{0,4}}(?:{_DOB_LABEL}[\s:.,-]{{0,3}})?"
_NAME_BEFORE_RE = re.compile(rf"(?P<name>{_NAME_WORD}(?: {_NAME_WORD}){{0,2}})(?P<gap>{_GAP})$")
_NAME_AFTER_RE = re.compile(
    rf"^(?P<gap>[\s,;:|()\[\]–-]{{0,4}})(?P<name>{_NAME_WORD}(?: {_NAME_WORD}){{0,2}})"
)
_LABEL_RE = re.compile(_DOB_LABEL)
# Capitalised words that are common in this forum's posts and are not people's names.
NOT_NAMES = frozenset(
    """
    a an the on in at by from since until till before after as of for to and or but if
    when while during between around about last next this that these those our my your
    his her their its we i it he she they you on date day days week month year years
    monday tuesday wednesday thursday friday saturday sunday today yesterday tomorrow
    january february march april may june july august september october november december
    jan feb mar apr jun jul aug sep sept oct nov dec
    dob born birth birthday start started end ended due deadline published released
    release version updated update edited posted created closed opened modified deleted
    census return returns annex cin ssda903 school schools academy council authority local
    team data science meta community stack exchange question answer comment note see also
    ofsted dfe department education government gov uk england national report reports
    referral assessment plan review meeting visit panel court order hearing placement
    episode period reporting snapshot collection submission file table example sample
    test excel power python sql microsoft google windows server mac linux ubuntu
    happy new christmas easter bank holiday summer winter spring autumn term
    """.split()
)


def _plausible_birth_date(match: re.Match) -> bool:
    groups = match.groupdict()
    year = next(int(groups[key]) for key in ("y1", "y2", "y3", "y4") if groups[key])
    day_text = next((groups[key] for key in ("d1", "d2", "d3", "d4") if groups[key]), None)
    month_text = groups["m1"] or groups["m2"]
    if month_text is not None and not 1 <= int(month_text) <= 12:
        return False
    if day_text is not None and not 1 <= int(day_text) <= 31:
        return False
    return 1900 <= year <= datetime.now(UTC).year


def _is_name(words: str, has_label: bool) -> bool:
    parts = words.split()
    # Leading words such as "On" or "Published" start a sentence, not a name.
    while parts and parts[0].lower() in NOT_NAMES:
        parts.pop(0)
    if not parts or any(part.lower() in NOT_NAMES for part in parts):
        return False
    # A single capitalised word is a name only with a "born" or "DOB" label beside it.
    return len(parts) >= 2 or has_label


def _find_dates_of_birth(text: str) -> list[Finding]:
    findings = []
    for match in _DATE_RE.finditer(text):
        if not _plausible_birth_date(match):
            continue
        line_start = text.rfind("\n", 0, match.start()) + 1
        line_end = text.find("\n", match.end())
        line_end = len(text) if line_end == -1 else line_end

        before = _NAME_BEFORE_RE.search(text[max(line_start, match.start() - 80) : match.start()])
        if before and _is_name(before.group("name"), bool(_LABEL_RE.search(before.group("gap")))):
            start = match.start() - len(before.group(0))
            findings.append(Finding("date_of_birth", text[start : match.end()], start, match.end()))
            continue

        after = _NAME_AFTER_RE.match(text[match.end() : min(line_end, match.end() + 80)])
        if after and _is_name(after.group("name"), False):
            end = match.end() + len(after.group(0))
            findings.append(Finding("date_of_birth", text[match.start() : end], match.start(), end))
    return findings


# The scan -----------------------------------------------------------------------------


def scan_text(text: str, *, author_email: str | None = None) -> list[Finding]:
    """Return every part of ``text`` that looks like personal data, in order of position.

    Where two matches overlap, the longer one is kept, so a phone number is not also
    reported as an NHS number.
    """
    candidates: list[Finding] = []

    def add(kind: str, match: re.Match) -> None:
        candidates.append(Finding(kind, match.group(0), match.start(), match.end()))

    for match in _NHS_RE.finditer(text):
        if is_valid_nhs_number(match.group(0)):
            add("nhs_number", match)
    for match in _UPN_RE.finditer(text):
        if is_valid_upn(match.group(0)):
            add("upn", match)
    for match in _NI_RE.finditer(text):
        add("ni_number", match)
    for match in _POSTCODE_RE.finditer(text):
        if _postcode_match_counts(match):
            add("postcode", match)
    for match in _PHONE_RE.finditer(text):
        if is_uk_phone_number(match.group(0)):
            add("phone", match)
    for match in _EMAIL_RE.finditer(text):
        if _email_counts(match.group(0), author_email):
            add("email", match)
    candidates.extend(_find_dates_of_birth(text))

    kept: list[Finding] = []
    for finding in sorted(candidates, key=lambda item: (-(item.end - item.start), item.start)):
        if all(finding.end <= other.start or finding.start >= other.end for other in kept):
            kept.append(finding)
    return sorted(kept, key=lambda item: item.start)


def describe_findings(findings: list[Finding]) -> str:
    """Build one message for the author's form that names each match and why it matched."""
    parts = [
        f"{KIND_LABELS[finding.kind]} “{finding.text.strip()}” ({KIND_REASONS[finding.kind]})"
        for finding in findings
    ]
    return (
        "What you wrote may identify a person: "
        + "; ".join(parts)
        + ". Remove or change it, or if it is made up or already public, tick the box to "
        "confirm that. A moderator will then check the post before anyone else can see it."
    )


class PersonalDataFound(ValidationFailed):
    """Raised when a title or post may hold personal data and the author has not confirmed
    that it is synthetic or public. ``findings`` lists every match by field."""

    code = "personal_data_found"

    def __init__(self, findings: dict[str, list[Finding]]) -> None:
        self.findings = findings
        every = [finding for field_findings in findings.values() for finding in field_findings]
        super().__init__({CONFIRM_FIELD: describe_findings(every)})


def check_personal_data(member: Member, texts: dict[str, str], *, confirmed: bool) -> list[str]:
    """Scan each named text (such as ``title`` and ``body``) before it is saved.

    Returns the kinds found when the author confirmed that the data is synthetic or
    public, so that the caller can hold the post, or an empty list when nothing was found.

    :raises PersonalDataFound: when something was found and the author has not confirmed.
    """
    findings = {
        field: found
        for field, text in texts.items()
        if (found := scan_text(text, author_email=member.email))
    }
    if not findings:
        return []
    if not confirmed:
        logger.info(
            "personal data check matched",
            extra={
                "member_id": member.id,
                "kinds": sorted({f.kind for items in findings.values() for f in items}),
            },
        )
        raise PersonalDataFound(findings)
    return sorted({finding.kind for items in findings.values() for finding in items})


async def do_hold_post(
    member: Member, post: Post, kinds: list[str], *, opens_thread: bool
) -> PersonalDataHold:
    """Record the author's confirmation and hold the post for a moderator.

    The caller has already saved the post with ``held_for_review`` set (and, for a new
    thread, the thread as HELD) in the same transaction.
    """
    hold = await PersonalDataHold.create(
        post_id=post.id, author_id=member.id, kinds=kinds, opens_thread=opens_thread
    )
    logger.info(
        "post held for personal data review",
        extra={"post_id": post.id, "member_id": member.id, "kinds": kinds, "hold_id": hold.id},
    )
    return hold


def check_before_saving(member: Member, texts: dict[str, str], *, confirmed: bool) -> list[str]:
    """Run the check for the posting service and return the kinds that make the post held.

    A moderator's confirmed post is not held, because moderators are the reviewers.

    :raises PersonalDataFound: when something was found and the author has not confirmed.
    """
    from forum.auth.policy import Action, can

    kinds = check_personal_data(member, texts, confirmed=confirmed)
    return [] if can(member, Action.REVIEW_HELD_POSTS) else kinds
