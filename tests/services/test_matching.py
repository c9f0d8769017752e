"""The matching engine: hard filters, scores, explanations, and batch assignment.

The property tests draw small random batches and compare the engine's assignment with the
best one found by trying every possibility.
"""

import itertools
import random
from dataclasses import replace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from forum.services.matching import (
    TENTHS,
    Mentee,
    Mentor,
    Need,
    Rejection,
    Weights,
    assign,
    check_pair,
    count_supply,
    explain,
    rank_mentors,
    score_pair,
    slot_penalty_tenths,
)

pytestmark = pytest.mark.no_database

AREAS = (1, 2, 3)
WORDS = ("sql", "dax", "census", "episodes", "python", "dashboards")
FORMATS = ("video", "in_person", "messages")
SYSTEMS = ("liquidlogic", "mosaic")
RETURNS = ("cin-census", "ssda903")


def _subset(values):
    return st.frozensets(st.sampled_from(values), max_size=len(values))


@st.composite
def needs(draw):
    areas = draw(st.lists(st.sampled_from(AREAS), min_size=1, max_size=3, unique=True))
    result = []
    for area in areas:
        current = draw(st.integers(0, 3))
        result.append(Need(area, current, draw(st.integers(current, 4)), draw(st.integers(1, 3))))
    return tuple(result)


@st.composite
def mentees(draw, count):
    return [
        Mentee(
            request_id=100 + number,
            mentee_id=number + 1,
            needs=draw(needs()),
            organisation_id=draw(st.sampled_from((1, 2, None))),
            role_id=draw(st.sampled_from((1, 2))),
            goals=" ".join(draw(st.lists(st.sampled_from(WORDS), max_size=4))),
            formats=draw(_subset(FORMATS)),
            systems=draw(_subset(SYSTEMS)),
            returns=draw(_subset(RETURNS)),
            prefers_other_organisation=draw(st.booleans()),
            prefers_same_role=draw(st.booleans()),
            waiting_days=draw(st.integers(0, 90)),
        )
        for number in range(count)
    ]


@st.composite
def mentors(draw, count):
    # Mentor ids overlap mentee ids on purpose, so the same-person filter is exercised.
    return [
        Mentor(
            mentor_id=number + 1,
            levels=draw(st.dictionaries(st.sampled_from(AREAS), st.integers(0, 4))),
            free_places=draw(st.integers(0, 2)),
            current_mentees=draw(st.integers(0, 3)),
            organisation_id=draw(st.sampled_from((1, 2, None))),
            role_id=draw(st.sampled_from((1, 2))),
            offer=" ".join(draw(st.lists(st.sampled_from(WORDS), max_size=4))),
            formats=draw(_subset(FORMATS)),
            systems=draw(_subset(SYSTEMS)),
            returns=draw(_subset(RETURNS)),
            accepting=draw(st.booleans()) or draw(st.booleans()),
        )
        for number in range(count)
    ]


weights_strategy = st.builds(
    Weights,
    skill=st.integers(0, 50),
    goals=st.integers(0, 50),
    context=st.integers(0, 50),
    rarity=st.integers(0, 50),
    format=st.integers(0, 50),
    preference=st.integers(0, 50),
    waiting=st.integers(0, 50),
    min_score=st.integers(0, 70),
    load_penalty=st.integers(0, 10),
    full_boost_days=st.integers(0, 60),
)


@st.composite
def batches(draw):
    batch_mentees = draw(mentees(draw(st.integers(1, 5))))
    batch_mentors = draw(mentors(draw(st.integers(1, 3))))
    all_pairs = [(m.mentor_id, e.mentee_id) for m in batch_mentors for e in batch_mentees]
    excluded = frozenset(draw(st.lists(st.sampled_from(all_pairs), max_size=3)))
    return batch_mentees, batch_mentors, draw(weights_strategy), excluded


def _brute_force(batch_mentees, batch_mentors, weights, excluded):
    """Return the best objective and the best total score over every feasible assignment."""
    supply = count_supply(batch_mentors)
    options = []
    for mentee in batch_mentees:
        choices = [None]
        for index, mentor in enumerate(batch_mentors):
            if check_pair(mentee, mentor, excluded) is not None:
                continue
            pair = score_pair(mentee, mentor, weights, supply)
            if pair.tenths >= weights.min_score * TENTHS:
                choices.append((index, pair.tenths))
        options.append(choices)

    best_objective, best_total = 0, 0
    for combination in itertools.product(*options):
        load = [0] * len(batch_mentors)
        total = 0
        for choice in combination:
            if choice is not None:
                load[choice[0]] += 1
                total += choice[1]
        if any(load[i] > mentor.free_places for i, mentor in enumerate(batch_mentors)):
            continue
        penalty = sum(
            slot_penalty_tenths(mentor, slot, weights)
            for i, mentor in enumerate(batch_mentors)
            for slot in range(load[i])
        )
        best_objective = max(best_objective, total - penalty)
        best_total = max(best_total, total)
    return best_objective, best_total


SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
# Determinism and ranking need fewer random batches than optimality.
FEWER = settings(SETTINGS, max_examples=50)


@FEWER
@given(batches())
def test_total_score_optimal_without_penalty(batch):
    batch_mentees, batch_mentors, weights, excluded = batch
    weights = replace(weights, load_penalty=0)

    result = assign(batch_mentees, batch_mentors, weights, excluded_pairs=excluded)

    _, best_total = _brute_force(batch_mentees, batch_mentors, weights, excluded)
    assert round(result.total_score * TENTHS) == best_total


@SETTINGS
@given(batches())
def test_assignment_is_optimal_within_capacity_and_filters(batch):
    batch_mentees, batch_mentors, weights, excluded = batch
    by_request = {mentee.request_id: mentee for mentee in batch_mentees}
    by_mentor = {mentor.mentor_id: mentor for mentor in batch_mentors}

    result = assign(batch_mentees, batch_mentors, weights, excluded_pairs=excluded)

    best_objective, _ = _brute_force(batch_mentees, batch_mentors, weights, excluded)
    assert result.objective_tenths == best_objective

    loads = {}
    for pair in result.pairs:
        loads[pair.mentor_id] = loads.get(pair.mentor_id, 0) + 1
        assert check_pair(by_request[pair.request_id], by_mentor[pair.mentor_id], excluded) is None
        assert pair.tenths >= weights.min_score * TENTHS
    for mentor_id, load in loads.items():
        assert load <= by_mentor[mentor_id].free_places
    placed = [pair.request_id for pair in result.pairs] + result.unmatched
    assert sorted(placed) == sorted(by_request)


@FEWER
@given(batches(), st.randoms(use_true_random=False))
def test_assignment_is_deterministic(batch, shuffler):
    batch_mentees, batch_mentors, weights, excluded = batch
    first = assign(batch_mentees, batch_mentors, weights, excluded_pairs=excluded)

    shuffled_mentees, shuffled_mentors = list(batch_mentees), list(batch_mentors)
    shuffler.shuffle(shuffled_mentees)
    shuffler.shuffle(shuffled_mentors)
    second = assign(shuffled_mentees, shuffled_mentors, weights, excluded_pairs=excluded)

    assert [(p.request_id, p.mentor_id, p.tenths) for p in first.pairs] == [
        (p.request_id, p.mentor_id, p.tenths) for p in second.pairs
    ]
    assert first.unmatched == second.unmatched


@FEWER
@given(batches())
def test_ranking_is_sorted_eligible_and_consistent(batch):
    batch_mentees, batch_mentors, weights, excluded = batch
    mentee = batch_mentees[0]
    supply = count_supply(batch_mentors)

    ranked = rank_mentors(mentee, batch_mentors, weights, excluded_pairs=excluded, limit=2)

    assert len(ranked) <= 2
    keys = [(-pair.tenths, pair.mentor_id) for pair in ranked]
    assert keys == sorted(keys)
    by_mentor = {mentor.mentor_id: mentor for mentor in batch_mentors}
    for pair in ranked:
        mentor = by_mentor[pair.mentor_id]
        assert check_pair(mentee, mentor, excluded) is None
        assert pair.tenths == score_pair(mentee, mentor, weights, supply).tenths


def _mentee(**fields) -> Mentee:
    defaults = {
        "request_id": 1,
        "mentee_id": 1,
        "needs": (Need(10, 1, 3, 3),),
        "organisation_id": 5,
    }
    return Mentee(**{**defaults, **fields})


def _mentor(**fields) -> Mentor:
    defaults = {"mentor_id": 2, "levels": {10: 4}, "free_places": 1, "organisation_id": 6}
    return Mentor(**{**defaults, **fields})


FILTER_CASES = [
    ("passes", {}, {}, frozenset(), None),
    ("same person", {}, {"mentor_id": 1}, frozenset(), Rejection.SAME_PERSON),
    ("paused", {}, {"accepting": False}, frozenset(), Rejection.NOT_ACCEPTING),
    ("full", {}, {"free_places": 0}, frozenset(), Rejection.NO_FREE_PLACE),
    ("declined before", {}, {}, frozenset({(2, 1)}), Rejection.EXCLUDED_PAIR),
    ("other pair excluded", {}, {}, frozenset({(2, 9)}), None),
    (
        "same organisation asked against",
        {"prefers_other_organisation": True},
        {"organisation_id": 5},
        frozenset(),
        Rejection.SAME_ORGANISATION,
    ),
    ("same organisation allowed", {}, {"organisation_id": 5}, frozenset(), None),
    ("below target", {}, {"levels": {10: 2}}, frozenset(), Rejection.NO_SKILL_COVERED),
    (
        "below working level",
        {"needs": (Need(10, 0, 1, 3),)},
        {"levels": {10: 1}},
        frozenset(),
        Rejection.NO_SKILL_COVERED,
    ),
    ("at working level", {"needs": (Need(10, 0, 1, 3),)}, {"levels": {10: 2}}, frozenset(), None),
    (
        "essential area missing",
        {"needs": (Need(10, 1, 3, 2), Need(11, 1, 2, 3))},
        {"levels": {10: 4}},
        frozenset(),
        Rejection.ESSENTIAL_NOT_COVERED,
    ),
    (
        "optional area missing",
        {"needs": (Need(10, 1, 3, 3), Need(11, 1, 2, 1))},
        {"levels": {10: 4}},
        frozenset(),
        None,
    ),
]


@pytest.mark.parametrize(
    ("mentee_fields", "mentor_fields", "excluded", "expected"),
    [case[1:] for case in FILTER_CASES],
    ids=[case[0] for case in FILTER_CASES],
)
def test_hard_filter(mentee_fields, mentor_fields, excluded, expected):
    assert check_pair(_mentee(**mentee_fields), _mentor(**mentor_fields), excluded) == expected


def test_perfect_pair_scores_one_hundred():
    mentee = _mentee(
        goals="DAX measures and Power Query",
        formats=frozenset({"video"}),
        systems=frozenset({"mosaic"}),
        returns=frozenset({"ssda903"}),
        prefers_same_role=True,
        role_id=3,
        waiting_days=60,
    )
    mentor = _mentor(
        offer="I teach DAX measures, Power Query and report design.",
        formats=frozenset({"video", "messages"}),
        systems=frozenset({"mosaic"}),
        returns=frozenset({"ssda903"}),
        role_id=3,
    )

    pair = score_pair(mentee, mentor, Weights(), {10: 1})

    assert pair.score == 100.0
    assert {name: factor.value for name, factor in pair.factors.items()} == dict.fromkeys(
        pair.factors, 1.0
    )


SCORE_CASES = [
    ("mentor at target counts three quarters", {}, {"levels": {10: 3}}, "skill", 0.75),
    ("mentor above target counts fully", {}, {"levels": {10: 4}}, "skill", 1.0),
    (
        "uncovered optional area lowers coverage",
        {"needs": (Need(10, 1, 3, 3), Need(11, 0, 2, 1))},
        {"levels": {10: 4}},
        "skill",
        0.75,
    ),
    (
        "two of four goal words shared",
        {"goals": "sql dax census python"},
        {"offer": "sql and dax"},
        "goals",
        0.5,
    ),
    ("no goal words", {"goals": ""}, {"offer": "sql"}, "goals", 0.0),
    (
        "shared system only",
        {"systems": frozenset({"mosaic"})},
        {"systems": frozenset({"mosaic"})},
        "context",
        0.6,
    ),
    (
        "shared return only",
        {"returns": frozenset({"ssda903"})},
        {"returns": frozenset({"ssda903"})},
        "context",
        0.4,
    ),
    (
        "format not offered",
        {"formats": frozenset({"in_person"})},
        {"formats": frozenset({"video"})},
        "format",
        0.0,
    ),
    ("no format stated", {}, {"formats": frozenset({"video"})}, "format", 1.0),
    (
        "different role asked the same",
        {"prefers_same_role": True, "role_id": 1},
        {"role_id": 2},
        "preference",
        0.0,
    ),
    ("no preference stated", {}, {}, "preference", 1.0),
    ("half the waiting boost", {"waiting_days": 30}, {}, "waiting", 0.5),
]


@pytest.mark.parametrize(
    ("mentee_fields", "mentor_fields", "factor", "expected"),
    [case[1:] for case in SCORE_CASES],
    ids=[case[0] for case in SCORE_CASES],
)
def test_factor_value(mentee_fields, mentor_fields, factor, expected):
    pair = score_pair(_mentee(**mentee_fields), _mentor(**mentor_fields), Weights(), {10: 4})

    assert pair.factors[factor].value == expected


def test_rarity_is_higher_for_a_scarce_skill():
    mentee, mentor = _mentee(), _mentor()

    scarce = score_pair(mentee, mentor, Weights(), {10: 1}).factors["rarity"].value
    common = score_pair(mentee, mentor, Weights(), {10: 16}).factors["rarity"].value

    assert scarce == 1.0
    assert common == 0.25


def test_load_spreads_across_equal_mentors():
    batch_mentees = [_mentee(request_id=n, mentee_id=n) for n in (1, 2)]
    batch_mentors = [_mentor(mentor_id=10, free_places=2), _mentor(mentor_id=11, free_places=2)]

    result = assign(batch_mentees, batch_mentors, Weights(load_penalty=3))

    assert sorted(pair.mentor_id for pair in result.pairs) == [10, 11]


def test_existing_mentees_make_a_mentor_less_attractive():
    busy = _mentor(mentor_id=10, current_mentees=3)
    free = _mentor(mentor_id=11)

    result = assign([_mentee()], [busy, free], Weights(load_penalty=3))

    assert [pair.mentor_id for pair in result.pairs] == [11]


def test_below_minimum_score_stays_unmatched():
    result = assign([_mentee()], [_mentor()], Weights(min_score=100))

    assert result.pairs == []
    assert result.unmatched == [1]


def test_capacity_limits_a_popular_mentor():
    batch_mentees = [_mentee(request_id=n, mentee_id=n, waiting_days=n) for n in (1, 2, 3)]

    result = assign(batch_mentees, [_mentor(mentor_id=10, free_places=2)], Weights())

    assert len(result.pairs) == 2
    # The longest wait gets the boost, so the request waiting one day is left out.
    assert result.unmatched == [1]


def test_repeated_mentee_is_rejected():
    twice = [_mentee(request_id=1), _mentee(request_id=2)]

    with pytest.raises(ValueError, match="mentee may appear only once"):
        assign(twice, [_mentor()], Weights())


def test_explanation_names_each_reason():
    mentee = _mentee(
        goals="dax measures",
        formats=frozenset({"video"}),
        systems=frozenset({"mosaic"}),
        prefers_other_organisation=True,
        waiting_days=20,
    )
    mentor = _mentor(
        offer="dax measures", formats=frozenset({"video"}), systems=frozenset({"mosaic"})
    )
    pair = score_pair(mentee, mentor, Weights(), {10: 2})

    sentences = explain(pair, {10: "Power BI"}, {"mosaic": "Mosaic", "video": "Video call"})

    assert sentences == [
        "Offers Power BI at expert level, above the practitioner level you are aiming for.",
        "Your goals and their offer both mention dax and measures.",
        "Knows the same systems or returns as you: Mosaic.",
        "Only 2 mentors offer Power BI now, so this pairing makes good use of a scarce skill.",
        "Offers a format you asked for: Video call.",
        "Works for a different organisation, as you asked.",
        "You have waited 20 days, so your request comes sooner.",
    ]


def test_oversubscribed_batch_fills_every_place():
    rng = random.Random(3)
    batch_mentors = [
        _mentor(
            mentor_id=1000 + n, levels={10: 4, 11: rng.randint(2, 4)}, free_places=rng.randint(1, 3)
        )
        for n in range(40)
    ]
    batch_mentees = [
        _mentee(request_id=n, mentee_id=n, waiting_days=rng.randint(0, 60)) for n in range(1, 201)
    ]

    result = assign(batch_mentees, batch_mentors, Weights())

    assert len(result.pairs) == sum(mentor.free_places for mentor in batch_mentors)
