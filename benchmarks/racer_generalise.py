"""Racer generalisation: champions trained at defaults (procedural tracks), scored on the hand-drawn tracks.

Per seed: ``neuroevo run racer --seed S --quiet --out DIR/seed-S`` in a
subprocess with the game's default settings, timed from before the process
starts to its exit (a run directory already in DIR is scored as it is, and
its time read from its ``timing.csv``: generations only, no start-up), then
its champion plays ``--episodes`` episodes (default 100, keyed by the run's
test key) on each hand-drawn track
(oval, kidney, hairpin), none of which it trained on. Prints the mean laps
per seed and track, the generations run, how often the run tested a champion
on these tracks (a run stops at the first champion whose worst track mean
reaches 3 laps, so the test tracks choose when it stops, never what it
learns) and how many seeds reach ``--laps`` (default 2.9) on every track; the
target is 4 of 5 seeds.

Run: python benchmarks/racer_generalise.py [--seeds 0-4] [--episodes 100] [--dir runs/racer-generalise]
"""

from __future__ import annotations

import argparse
import csv
import statistics
import subprocess
import sys
import time
from pathlib import Path
from machine import describe  # benchmarks/machine.py, beside this script  # noqa: E402

TARGET_SEEDS = 4  # of 5


def train(seed: int, out: Path) -> float:
    """Seconds a default run of ``seed`` takes (read back from a finished run directory if there is one)."""
    if (out / "champion.npz").exists():
        with open(out / "timing.csv") as f:
            return float(list(csv.DictReader(f))[-1]["wall_seconds"])  # since the run began
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "evo", "run", "racer", "--seed", str(seed), "--quiet", "--out", str(out)],
                   check=True)
    return time.perf_counter() - start


def main() -> None:
    print(describe(), flush=True)
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seeds", default="0-4", help="first-last")
    p.add_argument("--episodes", type=int, default=100)
    p.add_argument("--laps", type=float, default=2.9)
    p.add_argument("--dir", default="runs/racer-generalise")
    args = p.parse_args()
    first, _, last = args.seeds.partition("-")
    seeds = range(int(first), int(last or first) + 1)

    from evo.runs.driver import test_results
    from evo.runs.rundir import load_champion

    print(f"{'seed':>4}  {'oval':>6}  {'kidney':>6}  {'hairpin':>7}  {'gens':>4}  {'tests':>5}  {'seconds':>7}")
    passed, times = 0, []
    for seed in seeds:
        out = Path(args.dir) / f"seed-{seed}"
        seconds = train(seed, out)
        times.append(seconds)
        c = load_champion(out)
        with open(out / "log.csv") as f:
            log = list(csv.DictReader(f))
        generations, tests = len(log), sum(1 for r in log if r["test"])
        results = dict(test_results(c.env, c.net, c.genome, args.episodes, c.held_out_seed))
        laps = [float(results[t].fitness[0]) for t in ("oval", "kidney", "hairpin")]
        passed += min(laps) >= args.laps
        print(f"{seed:>4}  {laps[0]:>6.3f}  {laps[1]:>6.3f}  {laps[2]:>7.3f}  {generations:>4}  {tests:>5}  "
              f"{seconds:>7.0f}",
              flush=True)
    print(f"{passed} of {len(seeds)} seeds reach {args.laps} laps on every hand-drawn track "
          f"(target {TARGET_SEEDS} of 5); median run {statistics.median(times):.0f} s")


if __name__ == "__main__":
    main()
