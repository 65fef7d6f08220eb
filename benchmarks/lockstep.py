"""The lockstep rollout against the per-agent one: agent-steps/s per game, shape and population.

For every game, networks obs-16-outputs and obs-64-64-outputs with random
genomes (N(0, 1), so episodes of many lengths), one episode each, at the
populations of ``--sizes``: the agent kernel and the lockstep kernel, medians
of ``--repeats`` interleaved runs in one process, their ratio, and which one
``kernel="auto"`` picks. Targets: cartpole 4-16-2 at P = 4096 at least 3x;
every game at least 2x at P = 4096 for obs-16-outputs; the automatic choice
never the slower by more than measurement noise.

    python benchmarks/lockstep.py [--sizes 256,4096,65536] [--repeats 5] [--games cartpole,flappy]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

os.environ.setdefault("OMP_WAIT_POLICY", "passive")

import numpy as np  # noqa: E402

import envs  # noqa: E402
from evo import MLP, rollout  # noqa: E402
from evo.evaluate import choose_kernel  # noqa: E402


def rate(env, net, genomes, kernel, seed):
    t = time.perf_counter()
    r = rollout(env, net, genomes, 1, seed, kernel=kernel)
    return r.total_steps / (time.perf_counter() - t)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="256,4096,65536")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--games", default=",".join(envs.names()))
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    print(f"load average {os.getloadavg()[0]:.2f} at start; medians of {args.repeats}")
    print(f"{'game':>24} {'network':>12} {'P':>6} {'agent':>9} {'lockstep':>9} {'ratio':>6}  auto")
    for name in args.games.split(","):
        env = envs.make(name)
        for hidden in ([16], [64, 64]):
            net = MLP([env.obs_size, *hidden, env.num_outputs])
            for P in sizes:
                genomes = np.random.default_rng(0).normal(size=(P, net.num_params)).astype(np.float32)
                for k in ("agent", "lockstep"):
                    rollout(env, net, genomes[:64], 1, 0, kernel=k)  # compile or load
                a, b = [], []
                for r in range(args.repeats):
                    a.append(rate(env, net, genomes, "agent", r))
                    b.append(rate(env, net, genomes, "lockstep", r))
                ma, mb = statistics.median(a), statistics.median(b)
                sizes_txt = "-".join(str(s) for s in net.sizes)
                print(f"{name:>24} {sizes_txt:>12} {P:>6} {ma:>9.3g} {mb:>9.3g} {mb / ma:>6.2f}  {choose_kernel(net)}")
    print(f"load average {os.getloadavg()[0]:.2f} at the end")


if __name__ == "__main__":
    main()
