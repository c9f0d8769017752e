"""Time one batch of the matching engine on synthetic data, and measure its peak memory.

Usage: .venv/bin/python bench/matching.py [--mentees 5000] [--mentors 1000] [--seed 7]

The data is random but seeded, and shaped like the forum's. There are 28 skill areas, a
few of them common and the rest rarer. Mentors offer two to five areas with one to six
free places. Mentees ask for one to three areas, with goals drawn from a shared vocabulary. The engine runs twice: once for wall time, then again under
tracemalloc for peak Python and NumPy allocation (tracemalloc slows the run, so its time
is not the one reported). CPU time is printed beside wall time because other work on the
machine stretches wall time but not the CPU time the run itself used.
"""

import argparse
import os
import platform
import random
import resource
import time
import tracemalloc

from forum.services.matching import Mentee, Mentor, Need, Weights, assign

AREAS = list(range(1, 29))
VOCABULARY = (
    "sql joins window functions dax measures power query census validation errors episodes "
    "placements annex lists dashboards python pandas git forecasting cohorts linkage dpia "
    "sharing agreements leadership storytelling costs sufficiency benchmarking kpis mosaic "
    "liquidlogic eclipse reporting tables pipelines automation ethics"
).split()
SYSTEMS = ["liquidlogic", "mosaic", "eclipse", "carefirst"]
RETURNS = ["cin-census", "ssda903", "workforce-census", "annex-a"]
FORMATS = ["video", "in_person", "messages"]


def _area(rng: random.Random) -> int:
    # A skewed choice, so some areas have many mentors and others very few.
    return AREAS[min(int(rng.expovariate(1 / 7)), len(AREAS) - 1)]


def make_mentors(count: int, rng: random.Random) -> list[Mentor]:
    mentors = []
    for number in range(count):
        areas = {_area(rng) for _ in range(rng.randint(2, 5))}
        capacity = rng.randint(1, 10)
        current = rng.randint(0, capacity - 1)
        mentors.append(
            Mentor(
                mentor_id=100_000 + number,
                levels={area: rng.randint(2, 4) for area in areas},
                free_places=min(capacity - current, 6),
                current_mentees=current,
                organisation_id=rng.randint(1, 150),
                role_id=rng.randint(1, 14),
                offer=" ".join(rng.sample(VOCABULARY, 8)),
                formats=frozenset(rng.sample(FORMATS, rng.randint(1, 3))),
                systems=frozenset(rng.sample(SYSTEMS, rng.randint(0, 2))),
                returns=frozenset(rng.sample(RETURNS, rng.randint(0, 2))),
            )
        )
    return mentors


def make_mentees(count: int, rng: random.Random) -> list[Mentee]:
    mentees = []
    for number in range(count):
        areas = sorted({_area(rng) for _ in range(rng.randint(1, 3))})
        needs = []
        for index, area in enumerate(areas):
            current = rng.randint(0, 2)
            needs.append(
                Need(
                    area,
                    current,
                    rng.randint(current + 1, 3),
                    3 if index == 0 else rng.randint(1, 2),
                )
            )
        mentees.append(
            Mentee(
                request_id=number + 1,
                mentee_id=number + 1,
                needs=tuple(needs),
                organisation_id=rng.randint(1, 150),
                role_id=rng.randint(1, 14),
                goals=" ".join(rng.sample(VOCABULARY, 6)),
                formats=frozenset(rng.sample(FORMATS, rng.randint(0, 2))),
                systems=frozenset(rng.sample(SYSTEMS, 1)),
                returns=frozenset(rng.sample(RETURNS, rng.randint(0, 2))),
                prefers_other_organisation=rng.random() < 0.5,
                prefers_same_role=rng.random() < 0.3,
                waiting_days=rng.uniform(0, 90),
            )
        )
    return mentees


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mentees", type=int, default=5000, help="Requests in the batch.")
    parser.add_argument("--mentors", type=int, default=1000, help="Mentors in the batch.")
    parser.add_argument("--seed", type=int, default=7, help="Seed for the synthetic data.")
    args = parser.parse_args()

    rng = random.Random(args.seed)
    mentors = make_mentors(args.mentors, rng)
    mentees = make_mentees(args.mentees, rng)
    weights = Weights()

    started, started_cpu = time.perf_counter(), time.process_time()
    result = assign(mentees, mentors, weights)
    elapsed, cpu = time.perf_counter() - started, time.process_time() - started_cpu

    tracemalloc.start()
    assign(mentees, mentors, weights)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    max_rss_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

    free_places = sum(mentor.free_places for mentor in mentors)
    print(
        f"machine: {platform.processor() or platform.machine()}, Python {platform.python_version()}"
    )
    print(f"mentees: {len(mentees)}, mentors: {len(mentors)}, free places: {free_places}")
    print(f"matched: {len(result.pairs)}, unmatched: {len(result.unmatched)}")
    print(f"mean score of matched pairs: {result.total_score / max(len(result.pairs), 1):.1f}")
    print(f"wall time: {elapsed:.2f} s, CPU time: {cpu:.2f} s")
    print(f"load average (1, 5, 15 min): {' '.join(f'{load:.1f}' for load in os.getloadavg())}")
    print(f"peak traced allocation: {peak / 2**20:.0f} MiB")
    print(f"process peak RSS: {max_rss_kib / 1024:.0f} MiB")


if __name__ == "__main__":
    main()
