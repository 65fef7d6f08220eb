"""The Gymnasium path (``gym:<id>``) against a plain Python loop over the same environment.

(a) one environment at a time, a numpy forward pass per step: what a user
    writes without neuroevo; (b) ``evo.rollout`` on ``envs.make("gym:<id>")``,
    which steps only the agents still playing and runs one forward pass per
    step over them. Both play the same genomes, one episode each; printed:
    agent-steps/s of each (median of ``--repeats``), b/a, and whether the
    steps neuroevo counted equal the steps Gymnasium executed.
    Target: b/a >= 1 for every id.

    python benchmarks/gym_path.py [--ids CartPole-v1,Acrobot-v1,LunarLander-v3] [--pop 64]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

os.environ.setdefault("OMP_WAIT_POLICY", "passive")

import gymnasium  # noqa: E402
import numpy as np  # noqa: E402

import envs  # noqa: E402
from evo import MLP, rollout  # noqa: E402
from machine import describe  # benchmarks/machine.py, beside this script  # noqa: E402


class Counting(gymnasium.Wrapper):
    executed = 0

    def step(self, action):
        Counting.executed += 1
        return super().step(action)


def python_loop(gym_id, net, genomes, env) -> tuple:
    steps, t = 0, time.perf_counter()
    g = gymnasium.make(gym_id)
    for p, genome in enumerate(genomes):
        obs, _ = g.reset(seed=p)
        for _ in range(env.max_steps):
            out = net.forward(genome[None], np.asarray(obs, np.float32)[None])[0]
            a = int(np.argmax(out)) if env.num_actions else env.to_gym_action(np.tanh(out)[None])[0]
            obs, _, term, trunc, _ = g.step(a)
            steps += 1
            if term or trunc:
                break
    return steps / (time.perf_counter() - t)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ids", default="CartPole-v1,Acrobot-v1,LunarLander-v3")
    parser.add_argument("--pop", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    print(describe(), flush=True)
    print(f"load average {os.getloadavg()[0]:.2f} at start; P = {args.pop}, one episode each")
    print(f"{'id':>16} {'(a) python loop':>16} {'(b) gym: path':>14} {'b/a':>6}  counted == executed")
    for gym_id in args.ids.split(","):
        env = envs.make(f"gym:{gym_id}")
        net = MLP([env.obs_size, 16, env.num_outputs])
        genomes = net.init(np.random.default_rng(0), args.pop)
        a, b, same = [], [], True
        for r in range(args.repeats):
            a.append(python_loop(gym_id, net, genomes, env))
            gymnasium.envs.registration.registry[gym_id]  # the id exists
            Counting.executed = 0
            original = gymnasium.make
            gymnasium.make = lambda *x, **k: Counting(original(*x, **k))  # count what Gymnasium executes
            try:
                t = time.perf_counter()
                result = rollout(env, net, genomes, 1, r)
                b.append(result.total_steps / (time.perf_counter() - t))
            finally:
                gymnasium.make = original
            same &= result.total_steps == Counting.executed
        ma, mb = statistics.median(a), statistics.median(b)
        print(f"{gym_id:>16} {ma:>16.3g} {mb:>14.3g} {mb / ma:>6.2f}  {same}")
    print(f"load average {os.getloadavg()[0]:.2f} at the end")


if __name__ == "__main__":
    main()
