"""Classic control at Numba speed: our ports against a Python loop over Gymnasium's own classes.

For each of acrobot, mountaincar, mountaincar_continuous and pendulum, with a
network of 16 tanh units and glorot-random genomes (one episode each):

(a) a plain Python loop over Gymnasium's environment class (``AcrobotEnv``,
    ...), one environment at a time, a numpy forward pass per step: what a
    user would write without neuroevo (``--subset`` genomes, it is slow);
(c) ``evo.rollout`` on the port, P = ``--pop`` genomes.

Prints agent-steps/s of both (median of ``--repeats``, measured in the same
run) and c/a. Targets: c at least 1e7 agent-steps/s class, c/a >= 100.

    python benchmarks/classic_control.py [--pop 4096] [--subset 64] [--repeats 5]
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
from machine import describe  # benchmarks/machine.py, beside this script  # noqa: E402

GAMES = {  # our name: (Gymnasium class path, action scale for continuous games)
    "acrobot": ("gymnasium.envs.classic_control.acrobot:AcrobotEnv", None),
    "mountaincar": ("gymnasium.envs.classic_control.mountain_car:MountainCarEnv", None),
    "mountaincar_continuous": ("gymnasium.envs.classic_control.continuous_mountain_car:Continuous_MountainCarEnv",
                               1.0),
    "pendulum": ("gymnasium.envs.classic_control.pendulum:PendulumEnv", 2.0),
}


def gym_class(path):
    import importlib
    module, name = path.split(":")
    return getattr(importlib.import_module(module), name)


def numpy_policy(net, genome, discrete, scale):
    """A numpy forward pass of one genome, as a user would write it: returns obs -> action."""
    layers = [(net.layout.weights(genome, k).astype(np.float64), net.layout.biases(genome, k).astype(np.float64))
              for k in range(len(net.layout.layers))]

    def act(obs):
        h = np.asarray(obs, np.float64)
        for k, (W, b) in enumerate(layers):
            h = W @ h + b
            if k < len(layers) - 1:
                h = np.tanh(h)
        return int(np.argmax(h)) if discrete else np.tanh(h) * scale
    return act


def python_loop(name, net, genomes, max_steps) -> float:
    """Agent-steps/s of a Python loop over Gymnasium's class, one env per genome in turn."""
    path, scale = GAMES[name]
    env = gym_class(path)()
    steps = 0
    t = time.perf_counter()
    for p, genome in enumerate(genomes):
        act = numpy_policy(net, genome, scale is None, scale)
        obs, _ = env.reset(seed=p)
        for _ in range(max_steps):
            obs, _, terminated, _, _ = env.step(act(obs))
            steps += 1
            if terminated:
                break
    return steps / (time.perf_counter() - t)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pop", type=int, default=4096)
    parser.add_argument("--subset", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    print(describe(), flush=True)
    print(f"load average {os.getloadavg()[0]:.2f} at start; P = {args.pop}, Python loop over {args.subset} "
          f"genomes; medians of {args.repeats}")
    print(f"{'game':>24} {'(a) python loop':>16} {'(c) rollout':>12} {'c/a':>7}")
    worst = np.inf
    for name in GAMES:
        env = envs.make(name)
        net = MLP([env.obs_size, 16, env.num_outputs])
        genomes = net.init(np.random.default_rng(0), args.pop)
        rollout(env, net, genomes[:64], 1, 0)  # compile or load
        fused, loop = [], []
        for r in range(args.repeats):
            t = time.perf_counter()
            result = rollout(env, net, genomes, 1, r)
            fused.append(result.total_steps / (time.perf_counter() - t))
            if r < max(1, args.repeats // 2):  # the loop is slow and steadier: fewer repeats
                loop.append(python_loop(name, net, genomes[:args.subset], env.max_steps))
        a, c = statistics.median(loop), statistics.median(fused)
        worst = min(worst, c / a)
        print(f"{name:>24} {a:>16.3g} {c:>12.3g} {c / a:>7.0f}")
    print(f"target c/a >= 100 for every game: worst {worst:.0f} [{'met' if worst >= 100 else 'NOT met'}]")
    print(f"load average {os.getloadavg()[0]:.2f} at the end")


if __name__ == "__main__":
    main()
