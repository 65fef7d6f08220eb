"""The GA's defaults, game by game: each setting changed on its own, measured in steps to solve.

For every game (``--games``) the run ``neuroevo run <game>`` makes with no
options (the game's preset over the general defaults: population, episodes,
network, tournament of 3, uniform crossover with ``crossover_rate`` 0.5,
Gaussian mutation of sigma 0.1 on 10% of the genes, 2 elites) is the
baseline; every other row changes one setting of it (``VARIANTS``), and
``truncation_ga`` swaps the GA for the mutation-only truncation GA with its
own defaults; the last rows combine changes. Each row plays seeds 0..N-1 (``--seeds 5``,
``--first-seed 0``) to the run's end
(solved: the champion's mean over the held-out test episodes reaches the
game's target; or the preset's generation budget spent) and reports the
median training environment steps to solve (a seed that is not solved counts
as the whole budget's steps, and the median is ``-`` when most seeds are not
solved), the number of seeds solved, the median generations (the whole budget
for a seed that is not solved) and the steps per seed. Choose settings on
some seeds and confirm them on others (``--first-seed 5``).

Steps, not generations: a population twice as large spends twice the steps
per generation.

    nice -n 10 python benchmarks/ga_defaults.py [--games flappy,pong,acrobot,mountaincar] [--seeds 5]
        [--variants "baseline,sigma 0.05,..."] [--jobs 2]
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import statistics
import time
from concurrent.futures import ProcessPoolExecutor
from machine import describe  # benchmarks/machine.py, beside this script  # noqa: E402

os.environ.setdefault("OMP_WAIT_POLICY", "passive")

VARIANTS = {  # name: settings over the game's defaults
    "baseline": {},
    "sigma 0.05": {"mutation": {"name": "gaussian", "sigma": 0.05, "rate": 0.1}},
    "sigma 0.2": {"mutation": {"name": "gaussian", "sigma": 0.2, "rate": 0.1}},
    "rate 0.03": {"mutation": {"name": "gaussian", "sigma": 0.1, "rate": 0.03}},
    "rate 0.3": {"mutation": {"name": "gaussian", "sigma": 0.1, "rate": 0.3}},
    "rate 1 sigma 0.05": {"mutation": {"name": "gaussian", "sigma": 0.05, "rate": 1.0}},
    "elite 0": {"elite": 0},
    "elite 8": {"elite": 8},
    "no crossover": {"crossover_rate": 0.0},
    "crossover 0.9": {"crossover_rate": 0.9},
    "population / 2": {"pop_size": 0.5},
    "population x 2": {"pop_size": 2.0},
    "truncation_ga": {"algorithm": "truncation_ga"},
    # combinations
    "sigma 0.2 population / 2": {"mutation": {"name": "gaussian", "sigma": 0.2, "rate": 0.1}, "pop_size": 0.5},
    "sigma 0.2 no crossover": {"mutation": {"name": "gaussian", "sigma": 0.2, "rate": 0.1}, "crossover_rate": 0.0},
    "rate 0.03 elite 8": {"mutation": {"name": "gaussian", "sigma": 0.1, "rate": 0.03}, "elite": 8},
}


def one_run(job):
    """(game, variant, seed) -> (training steps to solve or None, training steps played, generations)."""
    from evo.runs.config import RunConfig, default_config
    from evo.runs.driver import Evolution

    game, variant, seed = job
    base = default_config(game)
    settings = {"seed": seed, **VARIANTS[variant]}
    if "pop_size" in settings:
        settings["pop_size"] = max(2, int(round(base.pop_size * settings["pop_size"])))
    run = Evolution(RunConfig.from_dict(settings, base=base))
    steps = 0
    while not run.finished:
        steps += run.step()["env_steps"]
    return (steps if run.solved else None), steps, run.generation


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--games", default="flappy,pong,acrobot,mountaincar")
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--first-seed", type=int, default=0, help="seeds first-seed .. first-seed + seeds - 1")
    parser.add_argument("--variants", default=",".join(VARIANTS))
    parser.add_argument("--jobs", type=int, default=1, help="runs played in this many processes at once")
    args = parser.parse_args()
    print(describe(), flush=True)
    variants = [v.strip() for v in args.variants.split(",") if v.strip()]
    unknown = [v for v in variants if v not in VARIANTS]
    if unknown:
        raise SystemExit(f"unknown variant {unknown[0]!r}; known: {', '.join(VARIANTS)}")
    if args.jobs > 1:  # one Numba thread per process; results do not depend on it
        os.environ["NUMBA_NUM_THREADS"] = "1"
    pool = ProcessPoolExecutor(args.jobs, mp_context=multiprocessing.get_context("spawn"))
    seeds = range(args.first_seed, args.first_seed + args.seeds)
    print(f"load average {os.getloadavg()[0]:.2f} at start; seeds {seeds[0]}..{seeds[-1]}")
    from evo.runs.config import default_config
    for game in [g for g in args.games.split(",") if g]:
        base = default_config(game)
        print(f"\n== {game}: population {base.pop_size}, {base.episodes} episodes, hidden {base.hidden}, "
              f"budget {base.generations} generations ==")
        print(f"{'variant':>26} {'steps to solve':>15} {'solved':>7} {'vs baseline':>12} {'generations':>12} {'s':>6}"
              "  steps per seed")
        baseline = None
        for variant in variants:
            t = time.perf_counter()
            runs = list(pool.map(one_run, [(game, variant, s) for s in seeds]))
            solved = sum(r[0] is not None for r in runs)
            # an unsolved seed counts its whole budget; the median is shown only when most seeds solve
            median = statistics.median(r[0] if r[0] is not None else r[1] for r in runs)
            shown = f"{median:.3g}" if solved * 2 > len(runs) else "-"
            if variant == "baseline":
                baseline = median
            ratio = f"{median / baseline:.2f}" if baseline and solved * 2 > len(runs) else ""
            generations = statistics.median(r[2] for r in runs)
            print(f"{variant:>26} {shown:>15} {solved:>4}/{len(runs)} {ratio:>12} {generations:>12g} "
                  f"{time.perf_counter() - t:>6.0f}  "
                  + " ".join(f"{r[0]:.2g}" if r[0] is not None else f"({r[1]:.2g})" for r in runs), flush=True)
    print(f"\nload average {os.getloadavg()[0]:.2f} at the end")


if __name__ == "__main__":
    main()
