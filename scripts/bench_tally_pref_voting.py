"""Times pref_voting on the profiles `commons-bench tally` wrote, for its baseline.

Reads DIR/ranked.blt (complete rankings: plurality, instant runoff, Schulze, ranked
pairs) and DIR/stv.blt (truncated rankings, several seats: Scottish and Meek STV), and
prints one JSON object: per method the time to build pref_voting's profile from the
ballots, the time of the method on a built profile (best of REPEATS, each on a fresh
profile so nothing cached is reused; a method slower than SLOW_S is timed once) and the
winners, 0-based like the BLT order.
"""

import json
import sys
import time

import pref_voting
from pref_voting.iterative_methods import instant_runoff
from pref_voting.margin_based_methods import beat_path, ranked_pairs
from pref_voting.profiles import Profile
from pref_voting.profiles_with_ties import ProfileWithTies
from pref_voting.proportional_methods import stv_meek, stv_scottish
from pref_voting.scoring_methods import plurality


def read_blt(path):
    """Candidates, seats and ballots (weight, [candidates 0-based]) of a BLT file
    without equal ranks or withdrawals, as the benchmark writes them."""
    with open(path) as f:
        lines = [line.strip() for line in f if line.strip()]
    n_candidates, seats = map(int, lines[0].split())
    ballots = []
    for line in lines[1:]:
        if line == "0":
            break
        numbers = [int(t) for t in line.split()]
        assert numbers[-1] == 0
        ballots.append((numbers[0], [c - 1 for c in numbers[1:-1]]))
    return n_candidates, seats, ballots


def complete_profile(ballots):
    rankings = [ranking for _, ranking in ballots]
    counts = [weight for weight, _ in ballots]
    return Profile(rankings, rcounts=counts)


def truncated_profile(n_candidates, ballots):
    rankings = [{c: rank + 1 for rank, c in enumerate(ranking)} for _, ranking in ballots]
    counts = [weight for weight, _ in ballots]
    return ProfileWithTies(rankings, rcounts=counts, candidates=list(range(n_candidates)))


SLOW_S = 10.0  # a method whose first run takes longer is timed once


def measure(build, method, repeats):
    build_best = method_best = float("inf")
    winners = None
    for repeat in range(repeats):
        if repeat > 0 and build_best + method_best > SLOW_S:
            break
        start = time.perf_counter()
        profile = build()
        built = time.perf_counter()
        winners = method(profile)
        done = time.perf_counter()
        build_best = min(build_best, built - start)
        method_best = min(method_best, done - built)
    return {
        "profile_build_s": build_best,
        "method_s": method_best,
        "winners": sorted(int(c) for c in winners),
    }


def main():
    directory, repeats = sys.argv[1], int(sys.argv[2])
    n_ranked, _, ranked = read_blt(f"{directory}/ranked.blt")
    n_stv, seats, stv = read_blt(f"{directory}/stv.blt")
    build_ranked = lambda: complete_profile(ranked)
    build_stv = lambda: truncated_profile(n_stv, stv)
    results = {
        "plurality": measure(build_ranked, plurality, repeats),
        "irv": measure(build_ranked, instant_runoff, repeats),
        "schulze": measure(build_ranked, beat_path, repeats),
        "ranked-pairs": measure(build_ranked, ranked_pairs, repeats),
        "stv-scottish": measure(build_stv, lambda p: stv_scottish(p, num_seats=seats), repeats),
        "stv-meek": measure(build_stv, lambda p: stv_meek(p, num_seats=seats), repeats),
    }
    print(json.dumps({"pref_voting": pref_voting.__version__, "results": results}))


if __name__ == "__main__":
    main()
