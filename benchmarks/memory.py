"""Memory: position-only CartPole needs a recurrent network; what a recurrent step costs.

1. Solving: CartPole with its velocities hidden (``observe_velocities = 0``),
   5 seeds at the run defaults, a GRU with 8 units against an MLP with about
   the same number of parameters (one hidden layer of 47). Solved means the
   champion's mean over the run's 1000 test episodes reaches 475. Target: the
   GRU solves at least 4 of 5 seeds, the MLP none.
2. Throughput: agent-steps/s of the fused rollout on full CartPole at
   P = 4096, random genomes, one episode each, for an MLP and each recurrent
   cell at equal hidden width (16); median of repeats, ratios to the MLP in
   the same run. Target: the GRU within 3x of the MLP.

    python benchmarks/memory.py [--seeds 5] [--repeats 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

os.environ.setdefault("OMP_WAIT_POLICY", "passive")

import numpy as np  # noqa: E402

import envs  # noqa: E402
from evo import RNN, MLP, rollout  # noqa: E402
from evo.runs.driver import evolve  # noqa: E402
from machine import describe  # benchmarks/machine.py, beside this script  # noqa: E402


def solving(seeds: int) -> None:
    print("== position-only cartpole (velocities hidden), run defaults, solved on 1000 test episodes ==")
    print(f"{'network':>16} {'params':>7}  per seed: solved (generations, test mean)")
    results = {}
    for label, network, hidden in (("gru 8", "gru", [8]), ("mlp 47", "mlp", [47])):
        rows = []
        for seed in range(seeds):
            r = evolve("cartpole", seed=seed, network=network, hidden=hidden,
                       env_params={"observe_velocities": 0.0})
            test = next((h["test"] for h in reversed(r.history) if h["test"] is not None), float("nan"))
            rows.append((r.solved, r.generations, test))
        results[label] = rows
        print(f"{label:>16} {r.net.num_params:>7}  " +
              "  ".join(f"{'yes' if s else 'no'} ({g}, {t:.1f})" for s, g, t in rows) +
              f"   -> {sum(s for s, _, _ in rows)}/{seeds} solved")
    gru = sum(s for s, _, _ in results["gru 8"])
    mlp = sum(s for s, _, _ in results["mlp 47"])
    print(f"target: GRU solves >= 4 of 5, MLP none: GRU {gru}/{seeds}, MLP {mlp}/{seeds} "
          f"[{'met' if gru >= min(4, seeds) and mlp == 0 else 'NOT met'}]")


def throughput(repeats: int, pop: int = 4096) -> None:
    print(f"\n== fused rollout on cartpole, P = {pop}, hidden width 16, agent-steps/s (median of {repeats}) ==")
    env = envs.make("cartpole")
    nets = {"mlp": MLP([4, 16, 2])} | {cell: RNN([4, 16, 2], cell=cell) for cell in ("elman", "gru", "lstm")}
    genomes = {k: n.init(np.random.default_rng(0), pop) for k, n in nets.items()}
    for k, n in nets.items():
        rollout(env, n, genomes[k][:64], 1, 0)  # compile or load
    rates = {k: [] for k in nets}
    for _ in range(repeats):  # interleaved, so load changes hit every network alike
        for k, n in nets.items():
            t = time.perf_counter()
            r = rollout(env, n, genomes[k], 1, 0)
            rates[k].append(r.total_steps / (time.perf_counter() - t))
    base = statistics.median(rates["mlp"])
    for k in nets:
        m = statistics.median(rates[k])
        print(f"{k:>6} {nets[k].num_params:>6} genes  {m:.3g} agent-steps/s  {base / m:.2f}x slower than the MLP")
    gru = base / statistics.median(rates["gru"])
    print(f"target: GRU within 3x of the MLP: {gru:.2f}x [{'met' if gru <= 3 else 'NOT met'}]")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--parts", default="solving,throughput")
    args = parser.parse_args()
    print(describe(), flush=True)
    print(f"load average {os.getloadavg()[0]:.2f} at start")
    if "solving" in args.parts:
        solving(args.seeds)
    if "throughput" in args.parts:
        throughput(args.repeats)
    print(f"load average {os.getloadavg()[0]:.2f} at the end")


if __name__ == "__main__":
    main()
