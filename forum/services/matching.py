"""The matching engine: which mentors may mentor a request, how well, and who gets whom.

Pure functions over the plain dataclasses below: no database and no HTTP, so the engine
can be tested on random instances against brute force and benchmarked on its own.
``forum.services.mentoring`` loads the data, calls the engine and stores the results.

A pair is first checked against hard filters (:func:`check_pair`). A pair that passes gets
a score from 0 to 100 (:func:`score_pair`): the weighted mean of seven factors, each
between 0 and 1, with weights that admins edit. :func:`rank_mentors` lists one request's
best mentors. :func:`assign` pairs a whole batch at once, respecting every mentor's free
places, as a min-cost flow solved exactly (see :func:`assign` for how).
"""

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache

import numpy as np
from scipy.sparse import csr_array
from scipy.sparse.csgraph import min_weight_full_bipartite_matching

FACTORS = ("skill", "goals", "context", "rarity", "format", "preference", "waiting")
LEVEL_NAMES = {0: "None", 1: "Awareness", 2: "Working", 3: "Practitioner", 4: "Expert"}
# A mentor must have at least this level (working) in a skill area to mentor it.
MIN_MENTOR_LEVEL = 2
ESSENTIAL = 3
SUGGESTIONS_PER_REQUEST = 5
# The goals factor is full when this many goal words also appear in the mentor's offer.
GOAL_TERMS_FOR_FULL = 4
# Scores are compared in tenths of a point, as integers, so that the solver's optimum and a
# brute-force optimum can be compared exactly.
TENTHS = 10

STOP_WORDS = frozenset(
    """about after also and any are around been being better but can could does doing done
    each for from get getting have help how into its just know like make more most much need
    needs new not now our out over own really some such than that the their them then there
    these they this those through too use using want way well were what when where which
    data team teams
    while who why will with work would you your""".split()
)


@dataclass(frozen=True)
class Weights:
    """The weight of each factor (their sum is the whole score), and the batch settings."""

    skill: int = 35
    goals: int = 15
    context: int = 15
    rarity: int = 10
    format: int = 10
    preference: int = 10
    waiting: int = 5
    # Pairs scoring below this are never suggested: the mentee stays unmatched instead.
    min_score: int = 40
    # Points taken off a pairing for each mentee the mentor already has, so load spreads.
    load_penalty: int = 3
    # Days of waiting after which the waiting factor is 1.
    full_boost_days: int = 60

    def factor_weights(self) -> dict[str, int]:
        return {name: getattr(self, name) for name in FACTORS}


@dataclass(frozen=True)
class Need:
    """One skill area of a request. Importance is 1 (nice to have) to 3 (essential)."""

    skill_area_id: int
    current_level: int
    target_level: int
    importance: int = 2


@dataclass(frozen=True)
class Mentee:
    """One open mentoring request, with what the engine needs to know about its member."""

    request_id: int
    mentee_id: int
    needs: tuple[Need, ...]
    organisation_id: int | None = None
    role_id: int | None = None
    goals: str = ""
    formats: frozenset[str] = frozenset()
    systems: frozenset[str] = frozenset()
    returns: frozenset[str] = frozenset()
    prefers_other_organisation: bool = False
    prefers_same_role: bool = False
    waiting_days: float = 0.0


@dataclass(frozen=True)
class Mentor:
    """A mentor's offer. ``levels`` maps skill area id to the mentor's level in it."""

    mentor_id: int
    levels: Mapping[int, int]
    free_places: int
    current_mentees: int = 0
    organisation_id: int | None = None
    role_id: int | None = None
    offer: str = ""
    formats: frozenset[str] = frozenset()
    systems: frozenset[str] = frozenset()
    returns: frozenset[str] = frozenset()
    # False when the mentor has paused, or the member is no longer active or a mentor.
    accepting: bool = True


class Rejection(StrEnum):
    """The hard filter a pair failed."""

    SAME_PERSON = "same_person"
    NOT_ACCEPTING = "not_accepting"
    NO_FREE_PLACE = "no_free_place"
    EXCLUDED_PAIR = "excluded_pair"
    SAME_ORGANISATION = "same_organisation"
    NO_SKILL_COVERED = "no_skill_covered"
    ESSENTIAL_NOT_COVERED = "essential_not_covered"


@dataclass(frozen=True)
class Factor:
    value: float
    weight: int
    points: float
    details: dict

    def as_dict(self) -> dict:
        return {
            "value": self.value,
            "weight": self.weight,
            "points": self.points,
            "details": self.details,
        }


@dataclass(frozen=True)
class PairScore:
    request_id: int
    mentor_id: int
    # The score in tenths of a point, 0 to 1000. ``score`` is the same in points.
    tenths: int
    factors: dict[str, Factor]

    @property
    def score(self) -> float:
        return self.tenths / TENTHS

    def factors_as_dict(self) -> dict:
        return {name: factor.as_dict() for name, factor in self.factors.items()}


@dataclass(frozen=True)
class Assignment:
    """A batch result: one pairing per matched request, ordered by request id."""

    pairs: list[PairScore]
    unmatched: list[int]
    # Sum of the pairs' scores minus the load penalties, in tenths: what the solver maximised.
    objective_tenths: int

    @property
    def total_score(self) -> float:
        return sum(pair.tenths for pair in self.pairs) / TENTHS


@lru_cache(maxsize=65536)
def goal_terms(text: str) -> frozenset[str]:
    """Return the distinctive lower-case words of a text: three letters or more, no stop words."""
    words = re.findall(r"[a-z0-9][a-z0-9+#]*", text.lower())
    return frozenset(word for word in words if len(word) >= 3 and word not in STOP_WORDS)


def covers(mentor: Mentor, need: Need) -> bool:
    """Return whether the mentor's level meets the need's target and is at least working."""
    return mentor.levels.get(need.skill_area_id, 0) >= max(need.target_level, MIN_MENTOR_LEVEL)


def count_supply(mentors: Iterable[Mentor]) -> dict[int, int]:
    """Count, per skill area, the mentors with a free place who offer it at working level or above."""
    supply: dict[int, int] = {}
    for mentor in mentors:
        if not mentor.accepting or mentor.free_places <= 0:
            continue
        for area_id, level in mentor.levels.items():
            if level >= MIN_MENTOR_LEVEL:
                supply[area_id] = supply.get(area_id, 0) + 1
    return supply


class _Labels:
    """Give each label (a format, system or return slug) a bit, so sets become integer masks."""

    def __init__(self) -> None:
        self.bits: dict[str, int] = {}

    def learn(self, labels: Iterable[str]) -> int:
        mask = 0
        for label in labels:
            if label not in self.bits:
                if len(self.bits) >= 62:
                    raise ValueError("A batch may use at most 62 distinct labels of one kind.")
                self.bits[label] = 1 << len(self.bits)
            mask |= self.bits[label]
        return mask

    def mask(self, labels: Iterable[str]) -> int:
        # A label no mentor has can match nobody, so it adds no bit.
        return sum(self.bits.get(label, 0) for label in set(labels))


class MentorPool:
    """Mentors as NumPy columns, so that one request is filtered and scored against many at once.

    The hard filters and the factor values exist only here, in vector form. The one-pair
    functions :func:`check_pair` and :func:`score_pair` run the same code on a pool of one,
    so a batch and a single pair can never disagree about a score.
    """

    def __init__(self, mentors: Iterable[Mentor], supply: Mapping[int, int] | None = None):
        self.mentors = sorted(mentors, key=lambda mentor: mentor.mentor_id)
        self.supply = dict(supply) if supply is not None else count_supply(self.mentors)
        mentors = self.mentors

        self.ids = np.array([mentor.mentor_id for mentor in mentors], dtype=np.int64)
        self.organisations = _ids_or_minus_one(mentor.organisation_id for mentor in mentors)
        self.roles = _ids_or_minus_one(mentor.role_id for mentor in mentors)
        self.free_places = np.array([mentor.free_places for mentor in mentors], dtype=np.int64)
        self.current_mentees = np.array(
            [mentor.current_mentees for mentor in mentors], dtype=np.int64
        )
        self.accepting = np.array([mentor.accepting for mentor in mentors], dtype=bool)

        areas = sorted({area_id for mentor in mentors for area_id in mentor.levels})
        self.area_columns = {area_id: column for column, area_id in enumerate(areas)}
        self.levels = np.zeros((len(mentors), len(areas)), dtype=np.int64)
        for row, mentor in enumerate(mentors):
            for area_id, level in mentor.levels.items():
                self.levels[row, self.area_columns[area_id]] = level

        self.format_labels, self.system_labels, self.return_labels = _Labels(), _Labels(), _Labels()
        self.formats = np.array(
            [self.format_labels.learn(mentor.formats) for mentor in mentors], dtype=np.int64
        )
        self.systems = np.array(
            [self.system_labels.learn(mentor.systems) for mentor in mentors], dtype=np.int64
        )
        self.returns = np.array(
            [self.return_labels.learn(mentor.returns) for mentor in mentors], dtype=np.int64
        )

        term_rows: dict[str, list[int]] = {}
        for row, mentor in enumerate(mentors):
            for term in goal_terms(mentor.offer):
                term_rows.setdefault(term, []).append(row)
        self.term_rows = {term: np.array(rows, dtype=np.int64) for term, rows in term_rows.items()}

        available = self.accepting & (self.free_places > 0)
        self.by_area = {
            area_id: np.flatnonzero(available & (self.levels[:, column] >= MIN_MENTOR_LEVEL))
            for area_id, column in self.area_columns.items()
        }

    def __len__(self) -> int:
        return len(self.mentors)

    def candidates(self, mentee: Mentee) -> np.ndarray:
        """Return the rows of available mentors who offer any of the request's areas, sorted."""
        chosen = np.zeros(len(self.mentors), dtype=bool)
        for need in mentee.needs:
            rows = self.by_area.get(need.skill_area_id)
            if rows is not None:
                chosen[rows] = True
        return np.flatnonzero(chosen)

    def level_column(self, rows: np.ndarray, area_id: int) -> np.ndarray:
        column = self.area_columns.get(area_id)
        if column is None:
            return np.zeros(len(rows), dtype=np.int64)
        return self.levels[rows, column]

    def shared_term_counts(self, terms: frozenset[str]) -> np.ndarray:
        """Return, for every mentor, how many of ``terms`` their offer contains."""
        counts = np.zeros(len(self.mentors), dtype=np.int64)
        for term in terms:
            rows = self.term_rows.get(term)
            if rows is not None:
                counts[rows] += 1
        return counts


def _ids_or_minus_one(values: Iterable[int | None]) -> np.ndarray:
    return np.array([-1 if value is None else value for value in values], dtype=np.int64)


def _filter_masks(
    mentee: Mentee, pool: MentorPool, rows: np.ndarray, excluded_mentors: frozenset[int]
) -> list[tuple[Rejection, np.ndarray]]:
    """Return each hard filter, in order, with a mask that is True where the pair passes it."""
    ids = pool.ids[rows]
    any_covered = np.zeros(len(rows), dtype=bool)
    essential_covered = np.ones(len(rows), dtype=bool)
    for need in mentee.needs:
        covered = pool.level_column(rows, need.skill_area_id) >= max(
            need.target_level, MIN_MENTOR_LEVEL
        )
        any_covered |= covered
        if need.importance >= ESSENTIAL:
            essential_covered &= covered

    other_organisation = np.ones(len(rows), dtype=bool)
    if mentee.prefers_other_organisation and mentee.organisation_id is not None:
        other_organisation = pool.organisations[rows] != mentee.organisation_id

    return [
        (Rejection.SAME_PERSON, ids != mentee.mentee_id),
        (Rejection.NOT_ACCEPTING, pool.accepting[rows]),
        (Rejection.NO_FREE_PLACE, pool.free_places[rows] > 0),
        (Rejection.EXCLUDED_PAIR, ~np.isin(ids, list(excluded_mentors))),
        (Rejection.SAME_ORGANISATION, other_organisation),
        (Rejection.NO_SKILL_COVERED, any_covered),
        (Rejection.ESSENTIAL_NOT_COVERED, essential_covered),
    ]


def _factor_values(
    mentee: Mentee, pool: MentorPool, rows: np.ndarray, weights: Weights
) -> dict[str, np.ndarray]:
    """Return each factor's value, 0 to 1, for the request against each mentor in ``rows``.

    skill: importance-weighted coverage, 1 per area where the mentor is above the target
    (or expert), 0.75 where exactly at it, 0 where not covered. goals: shared goal words
    over the smaller of the mentee's word count and four. context: 0.6 for a shared case
    management system plus 0.4 for a shared return. rarity: the importance-weighted mean of
    1 / sqrt(mentors offering the area) over the covered areas. format: 1 when the mentee
    named no format or the two share one. preference: the share of stated preferences met,
    1 when none was stated. waiting: days waited over ``weights.full_boost_days``, at most 1.
    """
    count = len(rows)
    zeros = np.zeros(count)

    skill_gained = zeros
    importance_total = 0.0
    rarity_weighted, rarity_total = zeros, zeros
    for need in mentee.needs:
        importance_total += need.importance
        level = pool.level_column(rows, need.skill_area_id)
        covered = level >= max(need.target_level, MIN_MENTOR_LEVEL)
        quality = np.where((level > need.target_level) | (level == 4), 1.0, 0.75)
        skill_gained = skill_gained + np.where(covered, need.importance * quality, 0.0)
        scarcity = need.importance / math.sqrt(max(pool.supply.get(need.skill_area_id, 1), 1))
        rarity_weighted = rarity_weighted + np.where(covered, scarcity, 0.0)
        rarity_total = rarity_total + np.where(covered, float(need.importance), 0.0)
    skill = skill_gained / importance_total if importance_total else zeros
    rarity = np.divide(rarity_weighted, rarity_total, out=np.zeros(count), where=rarity_total > 0)

    wanted = goal_terms(mentee.goals)
    goals = zeros
    if wanted:
        shared = pool.shared_term_counts(wanted)[rows]
        goals = np.minimum(1.0, shared / min(len(wanted), GOAL_TERMS_FOR_FULL))

    shares_system = (pool.systems[rows] & pool.system_labels.mask(mentee.systems)) != 0
    shares_return = (pool.returns[rows] & pool.return_labels.mask(mentee.returns)) != 0
    context = np.where(shares_system, 0.6, 0.0) + np.where(shares_return, 0.4, 0.0)

    format_fit = np.ones(count)
    if mentee.formats:
        shares_format = (pool.formats[rows] & pool.format_labels.mask(mentee.formats)) != 0
        format_fit = np.where(shares_format, 1.0, 0.0)

    preference = np.ones(count)
    stated = int(mentee.prefers_other_organisation) + int(mentee.prefers_same_role)
    if stated:
        # The different-organisation preference is a hard filter, so a scored pair meets it.
        met = np.full(count, float(mentee.prefers_other_organisation))
        if mentee.prefers_same_role and mentee.role_id is not None:
            met = met + np.where(pool.roles[rows] == mentee.role_id, 1.0, 0.0)
        preference = met / stated

    waiting = np.full(count, _waiting_value(mentee, weights))
    return {
        "skill": skill,
        "goals": goals,
        "context": context,
        "rarity": rarity,
        "format": format_fit,
        "preference": preference,
        "waiting": waiting,
    }


def _waiting_value(mentee: Mentee, weights: Weights) -> float:
    if weights.full_boost_days <= 0:
        return 1.0
    return min(1.0, max(mentee.waiting_days, 0.0) / weights.full_boost_days)


def _tenths(values: dict[str, np.ndarray], weights: Weights, count: int) -> np.ndarray:
    """Combine factor values into scores in tenths of a point (0 to 1000), as integers."""
    factor_weights = weights.factor_weights()
    total_weight = sum(factor_weights.values())
    if total_weight <= 0:
        return np.zeros(count, dtype=np.int64)

    weighted = np.zeros(count)
    for name in FACTORS:
        weighted = weighted + factor_weights[name] * values[name]
    return np.rint(1000 * weighted / total_weight).astype(np.int64)


def _score_request(
    mentee: Mentee, pool: MentorPool, weights: Weights, excluded_mentors: frozenset[int]
) -> tuple[np.ndarray, np.ndarray]:
    """Return the mentor rows that pass every hard filter and the minimum score, with scores."""
    rows = pool.candidates(mentee)
    if len(rows) == 0:
        return rows, np.zeros(0, dtype=np.int64)

    passes = np.ones(len(rows), dtype=bool)
    for _, mask in _filter_masks(mentee, pool, rows, excluded_mentors):
        passes &= mask
    rows = rows[passes]
    tenths = _tenths(_factor_values(mentee, pool, rows, weights), weights, len(rows))
    keep = tenths >= weights.min_score * TENTHS
    return rows[keep], tenths[keep]


def _breakdown(mentee: Mentee, pool: MentorPool, row: int, weights: Weights) -> PairScore:
    """Score one pair with every factor's value, points and details."""
    rows = np.array([row], dtype=np.int64)
    values = _factor_values(mentee, pool, rows, weights)
    tenths = int(_tenths(values, weights, 1)[0])
    factor_weights = weights.factor_weights()
    total_weight = sum(factor_weights.values())
    details = _details(mentee, pool.mentors[row], pool.supply)

    factors = {}
    for name in FACTORS:
        value = float(values[name][0])
        weight = factor_weights[name]
        points = 100 * weight * value / total_weight if total_weight > 0 else 0.0
        factors[name] = Factor(round(value, 3), weight, round(points, 1), details[name])
    return PairScore(mentee.request_id, pool.mentors[row].mentor_id, tenths, factors)


def _details(mentee: Mentee, mentor: Mentor, supply: Mapping[int, int]) -> dict[str, dict]:
    """Return what each factor found, in JSON-ready form, for explanations and review."""
    covered, missing, scarce = [], [], []
    for need in mentee.needs:
        if covers(mentor, need):
            level = mentor.levels.get(need.skill_area_id, 0)
            covered.append([need.skill_area_id, level, need.target_level])
            scarce.append([need.skill_area_id, max(supply.get(need.skill_area_id, 1), 1)])
        else:
            missing.append(need.skill_area_id)

    same_role = None
    if mentee.prefers_same_role:
        same_role = mentee.role_id is not None and mentee.role_id == mentor.role_id
    return {
        "skill": {"covered": covered, "missing": missing},
        "goals": {"shared": sorted(goal_terms(mentee.goals) & goal_terms(mentor.offer))[:8]},
        "context": {
            "systems": sorted(mentee.systems & mentor.systems),
            "returns": sorted(mentee.returns & mentor.returns),
        },
        "rarity": {"areas": scarce},
        "format": {
            "shared": sorted(mentee.formats & mentor.formats),
            "stated": bool(mentee.formats),
        },
        "preference": {
            "other_organisation": True if mentee.prefers_other_organisation else None,
            "same_role": same_role,
        },
        "waiting": {"days": int(max(mentee.waiting_days, 0.0))},
    }


def _excluded_by_mentee(excluded_pairs: Iterable[tuple[int, int]]) -> dict[int, frozenset[int]]:
    grouped: dict[int, set[int]] = {}
    for mentor_id, mentee_id in excluded_pairs:
        grouped.setdefault(mentee_id, set()).add(mentor_id)
    return {mentee_id: frozenset(mentors) for mentee_id, mentors in grouped.items()}


def check_pair(
    mentee: Mentee, mentor: Mentor, excluded_pairs: frozenset[tuple[int, int]] = frozenset()
) -> Rejection | None:
    """Apply the hard filters to one pair and return the first it fails, or None.

    The filters, in order: not the same person, the mentor is accepting and has a free
    place, the pair is not in ``excluded_pairs``, the mentor is from another organisation
    when the mentee asked for that, and the mentor covers at least one of the request's
    areas and every essential one. ``excluded_pairs`` holds (mentor id, mentee id) pairs that
    may not be matched: a request declined, a mentorship closed early, or one already live.
    """
    pool = MentorPool([mentor])
    excluded = _excluded_by_mentee(excluded_pairs).get(mentee.mentee_id, frozenset())
    for rejection, mask in _filter_masks(mentee, pool, np.array([0]), excluded):
        if not mask[0]:
            return rejection
    return None


def score_pair(
    mentee: Mentee, mentor: Mentor, weights: Weights, supply: Mapping[int, int] | None = None
) -> PairScore:
    """Score one pair from 0 to 100, with each factor's part.

    ``supply`` counts the mentors offering each skill area (see :func:`count_supply`) for
    the rarity factor. Pass the whole batch's count to get the score the batch gives.
    """
    return _breakdown(mentee, MentorPool([mentor], supply=supply), 0, weights)


def rank_mentors(
    mentee: Mentee,
    mentors: Iterable[Mentor],
    weights: Weights,
    *,
    excluded_pairs: frozenset[tuple[int, int]] = frozenset(),
    limit: int = SUGGESTIONS_PER_REQUEST,
) -> list[PairScore]:
    """Return one request's best mentors at or above the minimum score, best first.

    Ties go to the lower mentor id, so the order is the same for the same input.
    """
    pool = MentorPool(mentors)
    excluded = _excluded_by_mentee(excluded_pairs).get(mentee.mentee_id, frozenset())
    rows, tenths = _score_request(mentee, pool, weights, excluded)
    order = np.lexsort((pool.ids[rows], -tenths))[:limit]
    return [_breakdown(mentee, pool, int(rows[index]), weights) for index in order]


def slot_penalty_tenths(mentor: Mentor, slot: int, weights: Weights) -> int:
    """Return the load penalty, in tenths, of giving ``mentor`` their ``slot``-th new mentee (0-based)."""
    return weights.load_penalty * TENTHS * (mentor.current_mentees + slot)


def assign(
    mentees: Iterable[Mentee],
    mentors: Iterable[Mentor],
    weights: Weights,
    *,
    excluded_pairs: frozenset[tuple[int, int]] = frozenset(),
) -> Assignment:
    """Pair a batch of requests with mentors, maximising total score minus load penalties.

    The problem is a min-cost flow: each request sends at most one unit through one mentor
    to the sink, and a mentor's arc to the sink carries at most their free places, at a cost
    that grows with each extra mentee (:func:`slot_penalty_tenths`). Because that cost is
    convex, the flow equals an assignment of requests to mentor "slots", where a mentor's
    slot k carries the k-th penalty, plus one "unmatched" slot per request worth nothing.
    SciPy's LAPJVsp solves that assignment exactly. Pairs that fail a hard filter, score
    below ``weights.min_score`` or are worth nothing after the penalty get no arc, so such
    a request stays unmatched rather than be paired badly.

    Precondition: at most one request per mentee, so nobody gets the same mentor twice in
    one batch. Raises ValueError when a mentee, request or mentor id repeats.
    """
    mentees = sorted(mentees, key=lambda mentee: mentee.request_id)
    pool = MentorPool(mentors)
    _check_unique([mentee.mentee_id for mentee in mentees], "mentee")
    _check_unique([mentee.request_id for mentee in mentees], "request")
    _check_unique(pool.ids.tolist(), "mentor")
    if not mentees:
        return Assignment(pairs=[], unmatched=[], objective_tenths=0)

    excluded = _excluded_by_mentee(excluded_pairs)
    pair_rows, pair_mentors, pair_tenths = [], [], []
    for row, mentee in enumerate(mentees):
        mentor_rows, tenths = _score_request(
            mentee, pool, weights, excluded.get(mentee.mentee_id, frozenset())
        )
        pair_rows.append(np.full(len(mentor_rows), row, dtype=np.int64))
        pair_mentors.append(mentor_rows)
        pair_tenths.append(tenths)
    pairs = _Pairs(
        np.concatenate(pair_rows), np.concatenate(pair_mentors), np.concatenate(pair_tenths)
    )

    slot_counts = np.minimum(
        np.maximum(pool.free_places, 0), np.bincount(pairs.mentors, minlength=len(pool))
    )
    matrix, slot_owner = _cost_matrix(pairs, slot_counts, pool, weights, len(mentees))
    matched_rows, matched_columns = min_weight_full_bipartite_matching(matrix)

    chosen, unmatched = [], []
    load = np.zeros(len(pool), dtype=np.int64)
    for row, column in zip(matched_rows.tolist(), matched_columns.tolist(), strict=True):
        if column >= len(slot_owner):
            unmatched.append(mentees[row].request_id)
            continue
        mentor_row = int(slot_owner[column])
        chosen.append(_breakdown(mentees[row], pool, mentor_row, weights))
        load[mentor_row] += 1

    penalty = sum(
        slot_penalty_tenths(pool.mentors[index], slot, weights)
        for index in np.flatnonzero(load)
        for slot in range(int(load[index]))
    )
    objective = sum(pair.tenths for pair in chosen) - penalty
    return Assignment(pairs=chosen, unmatched=unmatched, objective_tenths=objective)


@dataclass(frozen=True)
class _Pairs:
    """Every eligible pair of a batch as parallel arrays: request row, mentor row, score."""

    rows: np.ndarray
    mentors: np.ndarray
    tenths: np.ndarray


def _check_unique(ids: list[int], name: str) -> None:
    if len(ids) != len(set(ids)):
        raise ValueError(f"Each {name} may appear only once in a batch, but an id repeats.")


def _cost_matrix(
    pairs: _Pairs, slot_counts: np.ndarray, pool: MentorPool, weights: Weights, request_count: int
):
    """Build the sparse cost matrix of requests against mentor slots and "unmatched" slots.

    Returns the matrix and, for each slot column, the mentor row that owns it.
    """
    slot_starts = np.concatenate(([0], np.cumsum(slot_counts)[:-1]))
    slot_total = int(slot_counts.sum())

    # Repeat each pair once per slot of its mentor, numbering the slots 0, 1, 2 ...
    repeats = slot_counts[pairs.mentors]
    rows = np.repeat(pairs.rows, repeats)
    mentors = np.repeat(pairs.mentors, repeats)
    group_starts = np.repeat(np.cumsum(repeats) - repeats, repeats)
    slots = np.arange(int(repeats.sum()), dtype=np.int64) - group_starts

    penalties = weights.load_penalty * TENTHS * (pool.current_mentees[mentors] + slots)
    values = np.repeat(pairs.tenths, repeats) - penalties
    worth = values > 0
    rows, columns, values = rows[worth], (slot_starts[mentors] + slots)[worth], values[worth]

    # LAPJVsp reads a zero as a missing edge, so every cost is positive: a pair costs
    # ``offset - value`` and a request's own "unmatched" column costs ``offset``.
    offset = int(values.max()) + 1 if len(values) else 1
    request_rows = np.arange(request_count, dtype=np.int64)
    all_rows = np.concatenate((rows, request_rows))
    all_columns = np.concatenate((columns, slot_total + request_rows))
    costs = np.concatenate((offset - values, np.full(request_count, offset))).astype(np.float64)
    matrix = csr_array(
        (costs, (all_rows, all_columns)), shape=(request_count, slot_total + request_count)
    )
    slot_owner = np.repeat(np.arange(len(pool), dtype=np.int64), slot_counts)
    return matrix, slot_owner


def explain(
    pair: PairScore, area_names: Mapping[int, str], labels: Mapping[str, str] | None = None
) -> list[str]:
    """Say in plain words why this mentor suits this request, one sentence per factor that counted.

    ``area_names`` maps skill area ids to names. ``labels`` maps the slugs of systems,
    returns and formats to the words shown for them.
    """
    labels = labels or {}
    sentences = []
    factors = pair.factors

    def area(area_id: int) -> str:
        return area_names.get(area_id, "a skill area")

    for area_id, level, target in factors["skill"].details["covered"]:
        sentences.append(
            f"Offers {area(area_id)} at {LEVEL_NAMES[level].lower()} level, "
            f"{'above' if level > target else 'at'} the {LEVEL_NAMES[target].lower()} "
            "level you are aiming for."
        )
    for area_id in factors["skill"].details["missing"]:
        sentences.append(f"Does not offer {area(area_id)} at the level you are aiming for.")

    shared_terms = factors["goals"].details["shared"]
    if shared_terms:
        sentences.append("Your goals and their offer both mention " + _join(shared_terms) + ".")

    context = factors["context"].details
    if context["systems"] or context["returns"]:
        known = [labels.get(slug, slug) for slug in [*context["systems"], *context["returns"]]]
        sentences.append("Knows the same systems or returns as you: " + _join(known) + ".")

    for area_id, offered_by in factors["rarity"].details["areas"]:
        if offered_by <= 3:
            mentors_word = "mentor offers" if offered_by == 1 else "mentors offer"
            sentences.append(
                f"Only {offered_by} {mentors_word} {area(area_id)} now, "
                "so this pairing makes good use of a scarce skill."
            )

    formats = factors["format"].details
    if formats["shared"]:
        shared_formats = [labels.get(slug, slug) for slug in formats["shared"]]
        sentences.append("Offers a format you asked for: " + _join(shared_formats) + ".")
    elif formats["stated"]:
        sentences.append("Does not offer the formats you asked for.")

    preference = factors["preference"].details
    if preference["other_organisation"]:
        sentences.append("Works for a different organisation, as you asked.")
    if preference["same_role"] is True:
        sentences.append("Works in the same role as you, as you asked.")
    elif preference["same_role"] is False:
        sentences.append("Works in a different role from yours.")

    days = factors["waiting"].details["days"]
    if days >= 14:
        sentences.append(f"You have waited {days} days, so your request comes sooner.")
    return sentences


def _join(words: list[str]) -> str:
    words = [word.replace("_", " ") for word in words]
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + " and " + words[-1]
