"""CartPole throughput: neuroevo's fused rollout against Gymnasium.

Agent-steps per second on CartPole with a 4-16-2 tanh network (hidden tanh,
output linear), random N(0, 1) genomes, one episode per genome, for

  a  a plain Python loop over Gymnasium's ``CartPoleEnv`` with a numpy
     forward per step (what tutorials do), one genome after another;
  b  Gymnasium's vectorised CartPole (``CartPoleVectorEnv``, one env per
     genome) with a batched numpy forward (einsum over the population), run
     until every env has finished its first episode; only first-episode
     steps count (finished envs keep being stepped: that is what a vector
     env does);
  c  ``evo.rollout(env, net, genomes, 1, seed)`` (its default kernel),
     counting ``total_steps``.

All three play the same networks (the matrices of a and b are cut from the
same flat genomes). Medians of ``--repeats``; every ratio compares numbers
taken in the same run. This process sets OPENBLAS_NUM_THREADS=1 (unless set)
so that the baselines' BLAS threads do not compete with Numba's. The kernels
against each other, compile times and start-up: benchmarks/rollout.py.

Run: python benchmarks/gym_cartpole.py [--repeats 5] [--sizes 256,4096] [--subset 512]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

# Baselines a and b multiply tiny matrices, which gains nothing from BLAS threads; left on, OpenBLAS's
# idle worker threads compete with Numba's for the 2 cores and slowed (c) 3-5x in the same process.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
# Idle OpenMP workers of our kernel would otherwise spin on the cores while the
# baselines run in Python, slowing the baselines and inflating the ratios.
os.environ.setdefault("OMP_WAIT_POLICY", "passive")

import numpy as np  # noqa: E402
from machine import describe  # benchmarks/machine.py, beside this script  # noqa: E402

HIDDEN = 16
TARGET_RATIO = 200.0  # c/a and c/b at P = 4096


# -- the three contenders --------------------------------------------------------------------


def matrices(net, genomes):
    """Per-genome weight and bias arrays cut from the flat genomes (float32): W1 (P,16,4), b1, W2, b2."""
    lay = net.layout
    out = []
    for k in range(len(lay.layers)):
        out.append(np.ascontiguousarray(np.stack([lay.weights(g, k) for g in genomes])))
        out.append(np.ascontiguousarray(np.stack([lay.biases(g, k) for g in genomes])))
    return out


def python_loop(W1, b1, W2, b2, seed=0):
    """a: one genome at a time, Gymnasium CartPoleEnv, numpy forward per step. Returns total steps."""
    from gymnasium.envs.classic_control.cartpole import CartPoleEnv

    env = CartPoleEnv()
    total = 0
    for i in range(len(W1)):
        w1, c1, w2, c2 = W1[i], b1[i], W2[i], b2[i]
        obs, _ = env.reset(seed=seed + i)
        for t in range(500):
            h = np.tanh(w1 @ obs + c1)
            out = w2 @ h + c2
            obs, reward, terminated, truncated, _ = env.step(int(np.argmax(out)))
            total += 1
            if terminated or truncated:
                break
    env.close()
    return total


def make_vector(P):
    import gymnasium
    return gymnasium.make_vec("CartPole-v1", num_envs=P, vectorization_mode="vector_entry_point")


def vector_loop(vec, W1, b1, W2, b2, seed=0):
    """b: all genomes at once in CartPoleVectorEnv, einsum forward; counts first-episode steps only."""
    P = len(W1)
    obs, _ = vec.reset(seed=seed)
    done = np.zeros(P, dtype=bool)
    steps = np.zeros(P, dtype=np.int64)
    while not done.all():
        h = np.tanh(np.einsum("phi,pi->ph", W1, obs) + b1)
        out = np.einsum("poh,ph->po", W2, h) + b2
        obs, reward, terminated, truncated, _ = vec.step(out.argmax(axis=1))
        steps += ~done
        done |= terminated | truncated
    return int(steps.sum())


def timed(fn, repeats, warmup=True):
    """Median wall seconds, median CPU seconds of this process (all threads) and the steps of the last call."""
    if warmup:
        fn()
    walls, cpus, steps = [], [], 0
    for _ in range(repeats):
        c, t = time.process_time(), time.perf_counter()
        steps = fn()
        walls.append(time.perf_counter() - t)
        cpus.append(time.process_time() - c)
    return statistics.median(walls), statistics.median(cpus), steps


def bench_cartpole(sizes, subset, repeats):
    import envs
    from evo import MLP, rollout

    env = envs.make("cartpole")
    net = MLP([4, HIDDEN, 2], hidden="tanh", output="linear")
    import numba

    threads = numba.get_num_threads()
    print(f"\n== CartPole, 4-{HIDDEN}-2 tanh, N(0,1) genomes, one episode each; agent-steps per wall second, "
          f"median of {repeats}; c1 = c on 1 thread ==")
    print(f"{'P':>6} {'a: py loop':>11} {'b: gym vec':>11} {'c: neuroevo':>11} {'c1':>9} {'c/a':>6} {'c/b':>6}  "
          f"mean ep. len a/b/c")
    results, cpu_rates = {}, {}
    for P in sizes:
        rng = np.random.default_rng(P)
        genomes = rng.normal(0, 1, (P, net.num_params)).astype(np.float32)
        W1, b1, W2, b2 = matrices(net, genomes)
        n_a = min(P, subset)
        t_a, u_a, s_a = timed(lambda: python_loop(W1[:n_a], b1[:n_a], W2[:n_a], b2[:n_a]), repeats, warmup=False)
        vec = make_vector(P)
        t_b, u_b, s_b = timed(lambda: vector_loop(vec, W1, b1, W2, b2), repeats)
        vec.close()
        t_c, u_c, s_c = timed(lambda: rollout(env, net, genomes, 1, 0).total_steps, repeats)
        numba.set_num_threads(1)
        try:
            t_c1, u_c1, _ = timed(lambda: rollout(env, net, genomes, 1, 0).total_steps, repeats)
        finally:
            numba.set_num_threads(threads)
        a, b, c = s_a / t_a, s_b / t_b, s_c / t_c
        results[P] = (a, b, c)
        cpu_rates[P] = (s_a / u_a, s_b / u_b, s_c / max(u_c, 1e-9), s_c / max(u_c1, 1e-9))
        note = f" (a on {n_a} of {P} genomes)" if n_a < P else ""
        print(f"{P:>6} {a:11.3g} {b:11.3g} {c:11.3g} {s_c / t_c1:9.3g} {c / a:6.0f} {c / b:6.0f}  "
              f"{s_a / n_a:.0f}/{s_b / P:.0f}/{s_c / P:.0f}{note}")
    big = max(sizes)
    a, b, c = results[big]
    print(f"targets at P = {big}: c/a >= {TARGET_RATIO:.0f}: {c / a:.0f} "
          f"[{'met' if c / a >= TARGET_RATIO else 'NOT met'}]; c/b >= {TARGET_RATIO:.0f}: {c / b:.0f} "
          f"[{'met' if c / b >= TARGET_RATIO else 'NOT met'}]")
    print("the same per CPU-second of this process (process_time summed over threads: work per core; less "
          "sensitive to other processes on a shared machine):")
    for P, (a, b, c, c1) in cpu_rates.items():
        print(f"{P:>6} {a:11.3g} {b:11.3g} {c:11.3g} {c1:9.3g} {c / a:6.0f} {c / b:6.0f}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5, help="timed repeats per measurement (median)")
    parser.add_argument("--sizes", default="256,4096", help="population sizes")
    parser.add_argument("--subset", type=int, default=512,
                        help="the Python loop (a) plays at most this many genomes of a population")
    args = parser.parse_args()
    print(describe(), flush=True)

    import numba
    import gymnasium
    print(f"python {sys.version.split()[0]}, numpy {np.__version__}, numba {numba.__version__} "
          f"({numba.get_num_threads()} threads), gymnasium {gymnasium.__version__}, "
          f"OPENBLAS_NUM_THREADS={os.environ['OPENBLAS_NUM_THREADS']}, OMP_WAIT_POLICY={os.environ['OMP_WAIT_POLICY']}, "
          f"{os.cpu_count()} cpus, load average {os.getloadavg()[0]:.2f} at start")
    bench_cartpole([int(s) for s in args.sizes.split(",")], args.subset, args.repeats)
    print(f"\nload average {os.getloadavg()[0]:.2f} at the end (the machine may be shared: "
          f"compare ratios, not absolute numbers, across runs)")


if __name__ == "__main__":
    main()
