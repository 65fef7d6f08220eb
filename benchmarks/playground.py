"""The playground at its defaults: test accuracy per task over seeds.

For xor, circles, spirals, blobs and iris, ``neuroevo run TASK --seed S`` at
the defaults (``evo.runs.driver.evolve``), ``--seeds`` seeds: solved or not, the
generations it took, and the champion's mean accuracy over the run's 1000
test episodes (points of the held-out split). Targets: spirals and iris at
least 0.95 test accuracy on the median seed; xor solved by a 2-2-1 network.

    python benchmarks/playground.py [--seeds 5] [--tasks xor,circles,spirals,blobs,iris]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

os.environ.setdefault("OMP_WAIT_POLICY", "passive")

from evo.runs.driver import evolve  # noqa: E402
from machine import describe  # benchmarks/machine.py, beside this script  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--tasks", default="xor,circles,spirals,blobs,iris")
    args = parser.parse_args()
    print(describe(), flush=True)
    print(f"load average {os.getloadavg()[0]:.2f} at start")
    print(f"{'task':>8} {'network':>14} {'solved':>7} {'generations (median)':>21} {'test accuracy (median)':>23} "
          f"{'per seed':>9}")
    medians = {}
    for task in args.tasks.split(","):
        t = time.perf_counter()
        runs = [evolve(task, seed=s) for s in range(args.seeds)]
        tests = [next(h["test"] for h in reversed(r.history) if h["test"] is not None) for r in runs]
        medians[task] = statistics.median(tests)
        sizes = "-".join(str(n) for n in runs[0].net.sizes)
        print(f"{task:>8} {sizes:>14} {sum(r.solved for r in runs):>4}/{args.seeds} "
              f"{statistics.median(r.generations for r in runs):>21} {medians[task]:>23.4f}   "
              + " ".join(f"{x:.3f}" for x in tests) + f"   ({time.perf_counter() - t:.0f} s)")
    for task in ("spirals", "iris"):
        if task in medians:
            print(f"target: {task} test accuracy >= 0.95 on the median seed: {medians[task]:.4f} "
                  f"[{'met' if medians[task] >= 0.95 else 'NOT met'}]")
    print(f"load average {os.getloadavg()[0]:.2f} at the end")


if __name__ == "__main__":
    main()
