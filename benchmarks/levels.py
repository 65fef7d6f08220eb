"""Generations to solve each game at its defaults, held-out scores, and pong by self-play.

Levels (``--parts levels``): for every game (``--games``) and seed
(``--seeds 5``: seeds 0-4), the run ``neuroevo run <game> --seed S`` makes
with no options (the game's default level and preset), played in this
process to its end. Per game: generations to solve (the run is solved when
its champion's mean over the test episodes, held out from training and
validation, reaches the game's ``solved_at``; a run that is not solved counts
its whole budget), median and count of seeds solved within the preset
budget; the champions' held-out test scores; and generation 0: the best
genome of the random first population scored on those held-out episodes,
and on how many seeds it would already have solved the game. Targets: median
>= 15 generations for flappy, snake and pong, every seed solved, and no seed
solved by generation 0 (cartpole keeps Gymnasium's CartPole-v1, which the
random population often solves).

Self-play (``--parts self-play``): pong at its default level, trained against
the built-in opponent and, with ``self_play = 1``, against a hall of fame (the
built-in opponent and every earlier generation's best, one drawn per
generation), for ``--self-play-generations`` generations each (no early
stop). Both champions (chosen on validation episodes against the built-in
opponent) play ``--win-episodes`` held-out episodes against the built-in
opponent: the win rate (episodes in which the agent reached 5 points first)
and the mean return, per seed and median.

Run: python benchmarks/levels.py [--seeds 5] [--games cartpole,flappy,snake,pong]
                                 [--parts levels,self-play] [--self-play-generations 60]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

import numpy as np

import envs
from evo.runs.config import RunConfig, default_config
from evo.kernels.evaluate import rollout
from evo.runs.driver import Evolution, held_out_seed
from machine import describe  # benchmarks/machine.py, beside this script  # noqa: E402

MIN_GENERATIONS = 15
HARD = ("flappy", "snake", "pong")


def play_run(config: RunConfig) -> Evolution:
    run = Evolution(config)
    while not run.finished:
        run.step()
    return run


def held_out(run: Evolution, genome: np.ndarray, episodes: int | None = None) -> np.ndarray:
    """Returns of ``genome`` on the run's held-out test episodes."""
    n = run.config.test_episodes if episodes is None else episodes
    return rollout(run.env.held_out(), run.net, genome[None], n, held_out_seed(run.config.seed)).returns[0]


def levels(games, seeds) -> None:
    print("== every game at its defaults: generations to solve, held-out scores, generation 0 ==")
    summary = []
    for game in games:
        rows = []
        for seed in seeds:
            t = time.perf_counter()
            run = play_run(RunConfig.from_dict({"seed": seed}, base=default_config(game)))
            first = held_out(run, run.bests[0]).mean()
            rows.append({"generations": run.generation, "solved": run.solved, "test": run.champion_test,
                         "first": first, "first_solved": first >= run.target, "wall": time.perf_counter() - t})
        level = run.env.level
        solved = sum(r["solved"] for r in rows)
        median = statistics.median(r["generations"] for r in rows)
        first_solved = sum(r["first_solved"] for r in rows)
        print(f"{game:>9} (level {level}, budget {run.config.generations} generations, pop {run.config.pop_size}): "
              f"median {median:g} generations to solve, solved {solved}/{len(rows)}; "
              f"generation 0 solved {first_solved}/{len(rows)}")
        print(f"{'':>9} generations " + ", ".join(str(r["generations"]) for r in rows)
              + "; held-out test " + ", ".join("-" if r["test"] is None else f"{r['test']:.4g}" for r in rows)
              + f" (median {statistics.median(r['test'] for r in rows if r['test'] is not None):.4g},"
              f" target {run.target:g}); generation 0's best on the held-out episodes "
              + ", ".join(f"{r['first']:.3g}" for r in rows)
              + f"; wall {statistics.median(r['wall'] for r in rows):.1f} s median")
        summary.append((game, median, solved, len(rows), first_solved))
    print("\n== targets ==")
    for game, median, solved, n, first_solved in summary:
        checks = [f"solved {solved}/{n} [{'met' if solved == n else 'NOT met'}]"]
        if game in HARD:
            checks.insert(0, f"median {median:g} >= {MIN_GENERATIONS} [{'met' if median >= MIN_GENERATIONS else 'NOT met'}]")
            checks.append(f"generation 0 solved none [{'met' if first_solved == 0 else 'NOT met'}]")
        print(f"{game:>9}: " + ", ".join(checks))


def self_play(seeds, generations: int, episodes: int) -> None:
    print(f"\n== pong (level {envs.default_level('pong')}): built-in opponent against self-play, "
          f"{generations} generations each, win rate over {episodes} held-out episodes against the built-in opponent ==")
    rates = {False: [], True: []}
    for seed in seeds:
        line = []
        for sp in (False, True):
            config = RunConfig.from_dict({"seed": seed, "generations": generations, "target": 1e9,
                                          "env_params": {"self_play": 1} if sp else {}}, base=default_config("pong"))
            run = play_run(config)
            returns = held_out(run, run.champion, episodes)
            rate = float(np.mean(returns > 0))  # the first to 5 points wins; a truncated tie is no win
            rates[sp].append(rate)
            line.append(f"{'self-play' if sp else 'built-in'} {rate:.1%} won, mean return {returns.mean():+.2f}")
        print(f"seed {seed}: " + "; ".join(line))
    print(f"median win rate: built-in opponent {statistics.median(rates[False]):.1%}, "
          f"self-play {statistics.median(rates[True]):.1%}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5, help="seeds 0..N-1")
    parser.add_argument("--games", default="cartpole,flappy,snake,pong")
    parser.add_argument("--parts", default="levels,self-play")
    parser.add_argument("--self-play-generations", type=int, default=60)
    parser.add_argument("--win-episodes", type=int, default=1000)
    args = parser.parse_args()
    print(describe(), flush=True)
    seeds = list(range(args.seeds))
    import numba
    print(f"python {sys.version.split()[0]}, numba {numba.__version__}, {os.cpu_count()} cpus, "
          f"load average {os.getloadavg()[0]:.2f} at start; seeds {seeds[0]}..{seeds[-1]}")
    parts = args.parts.split(",")
    if "levels" in parts:
        levels([envs.canonical_name(g) for g in args.games.split(",") if g], seeds)
    if "self-play" in parts:
        self_play(seeds, args.self_play_generations, args.win_episodes)
    print(f"load average {os.getloadavg()[0]:.2f} at the end (the machine may be shared)")


if __name__ == "__main__":
    main()
