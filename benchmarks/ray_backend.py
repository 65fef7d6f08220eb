"""The Ray backend against the local one: one generation of a large population.

One generation of flappy (network [obs, 16, outputs], random glorot genomes,
one episode per genome) evaluated

  local   ``evo.rollout(..., backend="local")``: this process, numba on every core;
  ray/Tt  ``evo.rollout(..., backend="ray")`` on a local Ray instance with every
          core, actors running the kernel on T numba threads each
          (cores // T actors), for every T in ``--threads-per-actor``; the
          default is T = the cores of a node (here: one actor).

Repeats are interleaved (local, ray/T1, local, ray/T1, ..., then local, ray/T2,
...) so that a noisy neighbour hurts both sides of a ratio alike (one pool of
actors at a time: a pool holds every CPU); medians are printed, with the ratio
ray/local and the per-generation overhead (ray - local). The results are
checked bit-identical. Then the pieces of the overhead: shipping the genomes
(``ray.put``), and the round trip of an empty actor call (paid per chunk and
for the gather).

Targets: ray within 1.3x of local at P = 65536, and no slower than 2x at P = 4096.

Run: python benchmarks/ray_backend.py [--sizes 4096,65536] [--repeats 5]
                                      [--threads-per-actor 1,2] [--game flappy]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

# Local and Ray runs alternate in this process: the driver's idle OpenMP workers would spin on
# the cores the actors need right after each local run (the actors wait passively themselves).
os.environ.setdefault("OMP_WAIT_POLICY", "passive")

import numpy as np  # noqa: E402

import envs  # noqa: E402
from evo import MLP, rollout  # noqa: E402
from evo.ray import backend, settings  # noqa: E402
from evo.ray.pool import pool  # noqa: E402
from evo.ray.scheduler import chunks  # noqa: E402
from machine import describe  # benchmarks/machine.py, beside this script  # noqa: E402

TARGETS = {65536: 1.3, 4096: 2.0}


def timed(fn):
    t = time.perf_counter()
    out = fn()
    return time.perf_counter() - t, out


def main() -> None:
    print(describe(), flush=True)
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="4096,65536")
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--threads-per-actor", default="1,2")
    ap.add_argument("--game", default="flappy")
    ap.add_argument("--episodes", type=int, default=1)
    args = ap.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    tpas = [int(t) for t in args.threads_per_actor.split(",")]

    import numba
    import ray

    env = envs.make(args.game)
    net = MLP([env.obs_size, 16, env.num_outputs])
    t_init, _ = timed(lambda: backend.init(None))
    cpus = int(ray.cluster_resources()["CPU"])
    print(f"{args.game}, network {list(net.sizes)} ({net.num_params} genes), {args.episodes} episode(s); "
          f"{os.cpu_count()} cores, numba {numba.get_num_threads()} threads locally, "
          f"Ray {ray.__version__} with {cpus} CPUs (ray.init {t_init:.2f} s)")
    contenders = ["local"] + [f"ray/T{t}" for t in tpas]

    def run(name, genomes, seed):
        if name == "local":
            return rollout(env, net, genomes, args.episodes, seed)
        settings.THREADS_PER_ACTOR = int(name[5:])
        return rollout(env, net, genomes, args.episodes, seed, backend="ray")

    summary = []
    for P in sizes:
        genomes = net.init(np.random.default_rng(P), P)
        times = {c: [] for c in contenders}
        ref = None
        for c in contenders:  # warm up: compile / load kernels, make the actors
            t_first, r = timed(lambda: run(c, genomes, 0))
            if c != "local" and P == sizes[0]:
                print(f"  first call {c}: {t_first:.2f} s (actors start, kernels load)")
            if ref is None:
                ref = r
            assert np.array_equal(r.returns, ref.returns) and np.array_equal(r.steps, ref.steps), c
        for c in contenders[1:]:  # a pool per T: interleave each with local, not with each other
            run(c, genomes, 0)
            for _ in range(args.repeats):
                for who in ("local", c):
                    dt, _ = timed(lambda: run(who, genomes, 0))
                    times[who].append(dt)
        med = {c: statistics.median(v) for c, v in times.items()}
        steps = ref.total_steps
        print(f"P = {P}: {steps} agent-steps per generation, medians of {args.repeats}")
        for c in contenders:
            extra = "" if c == "local" else (f"  ratio {med[c] / med['local']:.2f}x, "
                                             f"overhead {1e3 * (med[c] - med['local']):+.0f} ms")
            print(f"  {c:8s} {med[c]:.3f} s  ({steps / med[c]:.3g} steps/s){extra}")
        best = min((c for c in contenders if c != "local"), key=med.get)
        summary.append((P, best, med[best] / med["local"], med[best] - med["local"]))

    # pieces of the overhead
    settings.THREADS_PER_ACTOR = None  # the default: the CPUs of the smallest node
    big = net.init(np.random.default_rng(0), max(sizes))
    rollout(env, net, big[:64], args.episodes, 0, backend="ray")  # makes the default pool
    actors = [a.handle for a in pool().ready]
    puts = [timed(lambda: ray.put(big))[0] for _ in range(args.repeats)]
    trips = [timed(lambda: ray.get(actors[0].where.remote()))[0] for _ in range(20)]
    print(f"overhead pieces: ray.put of {big.nbytes / 1e6:.0f} MB genomes {1e3 * statistics.median(puts):.1f} ms; "
          f"empty actor round trip {1e3 * statistics.median(trips):.2f} ms; chunks per generation "
          + ", ".join(f"{len(chunks(P, args.episodes, len(actors)))} at P = {P}" for P in sizes)
          + f" (default pool: {len(actors)} actor(s) with T = {pool().threads})")
    print("targets:")
    for P, best, ratio, over in summary:
        target = TARGETS.get(P)
        verdict = "" if target is None else f" target <= {target}x: {'met' if ratio <= target else 'MISSED'}"
        print(f"  P = {P}: best ray ({best}) {ratio:.2f}x local, {1e3 * over:+.0f} ms/generation;{verdict}")


if __name__ == "__main__":
    main()
