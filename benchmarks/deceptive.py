"""The deceptive maze: a GA following the score against novelty search and MAP-Elites.

Every method plays ``maze`` (:mod:`envs.maze`) through ``evo.evolve`` with the
game's preset (population 128, one episode per genome, an 8-unit hidden
layer, the preset's GA operators), for at most ``--generations`` generations
(``--generations * 128`` evaluations), on seeds 0..``--seeds - 1``, one run
after another:

- ``ga``: the GA on the score (the negative final distance to the goal);
- ``novelty``: novelty search on where the robot stops (k = 15, the archive's
  adaptive threshold), the same GA breeding on novelty;
- ``novelty+fitness``: the same with ``fitness_weight = 0.5``;
- ``map_elites``: MAP-Elites on a 20 x 20 grid of stopping places.

A run *reaches* the goal when one of its training episodes ends within the
goal radius (return >= 0.95, the success of Lehman and Stanley); it is
*solved* when a genome's validation episode and then its test episode (both
from other start jitters) do too, and it stops there (the preset validates
every generation's best). Printed per method: runs that reached the goal and
runs solved, the median evaluations to each (a run that did not counts as its
whole budget, so a median above the budget reads "> budget"), and the median
closest distance to the goal (units; the trap right under the goal is about
45 units away).

Run: python benchmarks/deceptive.py [--seeds 5] [--generations 200] [--methods ga,novelty,...]
"""

from __future__ import annotations

import argparse
import statistics
import time

from envs.maze import SPEC, START_DISTANCE
from evo.runs.driver import evolve
from machine import describe  # benchmarks/machine.py, beside this script  # noqa: E402

SOLVED = SPEC.solved_at
METHODS = {
    "ga": "ga",
    "novelty": "novelty",
    "novelty+fitness": {"name": "novelty", "fitness_weight": 0.5},
    "map_elites": "map_elites",
}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--generations", type=int, default=200)
    parser.add_argument("--methods", default=",".join(METHODS))
    args = parser.parse_args(argv)
    print(describe(), flush=True)
    methods = args.methods.split(",")
    unknown = [m for m in methods if m not in METHODS]
    if unknown:
        parser.error(f"unknown method {unknown[0]!r}; known: {', '.join(METHODS)}")
    rows = []
    for method in methods:
        to_reach, to_solve, distances, seconds = [], [], [], 0.0
        for seed in range(args.seeds):
            t = time.perf_counter()
            r = evolve("maze", generations=args.generations, seed=seed, algorithm=METHODS[method])
            seconds += time.perf_counter() - t
            pop = r.config.pop_size
            budget = args.generations * pop
            best = [h["best"] for h in r.history]
            reached = next((g + 1 for g, b in enumerate(best) if b >= SOLVED), None)
            to_reach.append(reached * pop if reached else budget + 1)
            to_solve.append(r.generations * pop if r.solved else budget + 1)
            distances.append(START_DISTANCE * (1.0 - max(best)))
            print(f"{method:16s} seed {seed}: goal reached after {reached * pop if reached else '-'} evaluations, "
                  f"{'solved' if r.solved else 'not solved'} after {r.generations * pop}, "
                  f"closest {distances[-1]:.1f} units", flush=True)

        def median(evals):
            m = statistics.median(evals)
            return f"{m:.0f}" if m <= budget else f"> {budget}"

        rows.append((method, sum(e <= budget for e in to_reach), median(to_reach),
                     sum(e <= budget for e in to_solve), median(to_solve), statistics.median(distances), seconds))
    n = args.seeds
    print(f"\nmaze, {n} seeds, at most {args.generations} generations of {pop} genomes (median evaluations)")
    print(f"{'method':16s} {'reached':>8s} {'to reach':>9s} {'solved':>7s} {'to solve':>9s} {'closest':>8s} {'seconds':>8s}")
    for method, reached, reach, solved, solve, distance, seconds in rows:
        print(f"{method:16s} {reached:>4d}/{n:<3d} {reach:>9s} {solved:>3d}/{n:<3d} {solve:>9s} {distance:>8.1f} "
              f"{seconds:>8.1f}")


if __name__ == "__main__":
    main()
