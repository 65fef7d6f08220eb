"""Rollout throughput and cold start: neuroevo's fused kernel against Gymnasium.

Agent-steps per second on CartPole with a 4-16-2 tanh network (hidden tanh,
output linear), random N(0, 1) genomes, one episode per genome, for

  a  a plain Python loop over Gymnasium's ``CartPoleEnv`` with a numpy
     forward per step (what tutorials do), one genome after another;
  b  Gymnasium's vectorised CartPole (``CartPoleVectorEnv``, one env per
     genome) with a batched numpy forward (einsum over the population), run
     until every env has finished its first episode; only first-episode
     steps count (finished envs keep being stepped: that is what a vector
     env does);
  c  ``evo.rollout(env, net, genomes, 1, seed)``, counting ``total_steps``.

All three play the same networks (the matrices of a and b are cut from the
same flat genomes). Medians of ``--repeats``; every ratio compares numbers
taken in the same run. Then: our steps/s for every game at P = 4096; the
compile time (first call in a fresh process with empty caches, against a
fresh process with warm caches); and the cold start of every game (process
start to the first evaluated generation of 256 genomes) with empty and warm
caches. "Empty" means a fresh temporary NEUROEVO_CACHE_DIR *and*
NUMBA_CACHE_DIR, so neither our generated kernels nor numba's per-function
caches exist. This process sets OPENBLAS_NUM_THREADS=1 (unless set) so that
the baselines' BLAS threads do not compete with Numba's; the fresh processes
get the caller's environment unchanged.

Run: python benchmarks/rollout.py [--repeats 5] [--sizes 256,4096] [--subset 512]
                                  [--parts cartpole,games,compile,cold]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

# The environment the user runs in, for the fresh processes (compile, cold start).
USER_ENV = dict(os.environ)
# Baselines a and b multiply tiny matrices, which gains nothing from BLAS threads; left on, OpenBLAS's
# idle worker threads compete with Numba's for the 2 cores and slowed (c) 3-5x in the same process.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
# Idle OpenMP workers of our kernel would otherwise spin on the cores while the
# baselines run in Python, slowing the baselines and inflating the ratios.
os.environ.setdefault("OMP_WAIT_POLICY", "passive")

import numpy as np  # noqa: E402

HIDDEN = 16
TARGET_RATIO = 200.0  # c/a and c/b at P = 4096
TARGET_WARM_START = 1.5  # seconds, any game


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


def bench_games(P, repeats):
    import envs
    from evo import MLP, rollout

    print(f"\n== every game, P = {P}, [obs, {HIDDEN}, outputs] tanh, N(0,1) genomes, one episode; "
          f"median of {repeats} ==")
    print(f"{'game':>10} {'steps/s':>10} {'ms/call':>9} {'mean ep. len':>13}")
    for name in envs.names():
        try:
            env = envs.make(name)
            net = MLP([env.obs_size, HIDDEN, env.num_outputs], hidden="tanh", output="linear")
            genomes = np.random.default_rng(1).normal(0, 1, (P, net.num_params)).astype(np.float32)
            t, _, s = timed(lambda: rollout(env, net, genomes, 1, 0).total_steps, repeats)
            print(f"{name:>10} {s / t:10.3g} {t * 1e3:9.2f} {s / P:13.1f}")
        except Exception as e:  # a game in progress must not hide the others
            print(f"{name:>10} FAILED: {type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}")


# -- fresh processes --------------------------------------------------------------------------


def fresh_cache_env(root):
    """Environment for a subprocess whose kernel caches live under ``root`` (empty if root is new)."""
    env = dict(USER_ENV)
    env["NEUROEVO_CACHE_DIR"] = os.path.join(root, "neuroevo")
    env["NUMBA_CACHE_DIR"] = os.path.join(root, "numba")
    return env


def wall(args, env=None, timeout=600):
    """Wall seconds of a subprocess, from before its start to its exit; raises on failure."""
    t = time.perf_counter()
    proc = subprocess.run(args, env=env, capture_output=True, text=True, timeout=timeout)
    dt = time.perf_counter() - t
    if proc.returncode != 0:
        raise RuntimeError((proc.stderr.strip().splitlines() or [f"exit {proc.returncode}"])[-1])
    return dt, proc.stdout


_COMPILE_SNIPPET = """
import json, time
t0 = time.perf_counter()
import numpy as np, envs
from evo import MLP, rollout
t1 = time.perf_counter()
env = envs.make("cartpole"); net = MLP([4, 16, 2])
g = np.random.default_rng(0).normal(0, 1, (4096, net.num_params)).astype(np.float32)
t2 = time.perf_counter(); rollout(env, net, g, 1, 0); t3 = time.perf_counter()
rollout(env, net, g, 1, 0); t4 = time.perf_counter()
print(json.dumps({"import": t1 - t0, "first": t3 - t2, "second": t4 - t3}))
"""


def bench_compile(repeats):
    print(f"\n== compile: CartPole rollout (P = 4096) in a fresh process; seconds (warm: median of {repeats}) ==")
    print(f"{'caches':>8} {'import':>8} {'1st call':>9} {'2nd call':>9}")
    with tempfile.TemporaryDirectory(prefix="neuroevo-bench-") as root:
        env = fresh_cache_env(root)
        _, out = wall([sys.executable, "-c", _COMPILE_SNIPPET], env)
        cold = json.loads(out)
        warm = [json.loads(wall([sys.executable, "-c", _COMPILE_SNIPPET], env)[1]) for _ in range(repeats)]
    med = {k: statistics.median(w[k] for w in warm) for k in warm[0]}
    for label, r in (("empty", cold), ("warm", med)):
        print(f"{label:>8} {r['import']:8.3f} {r['first']:9.3f} {r['second']:9.4f}")
    print(f"compile time (1st call, empty caches, minus a warm call): {cold['first'] - cold['second']:.2f} s; "
          f"loading the cached kernels (1st call, warm caches, minus a warm call): "
          f"{med['first'] - med['second']:.3f} s")


_COLD_SNIPPET = ("import envs, numpy as np; from evo import MLP, rollout; env=envs.make({name!r}); "
                 "net=MLP([env.obs_size,16,env.num_outputs]); "
                 "rollout(env, net, net.init(np.random.default_rng(0), 256), 1, 0)")

# The same, with clocks between the phases (the interpreter's own start is the rest of the wall time).
_PHASES_SNIPPET = """
import time; t0 = time.perf_counter()
import envs, numpy as np; from evo import MLP, rollout
t1 = time.perf_counter()
env = envs.make({name!r}); net = MLP([env.obs_size, 16, env.num_outputs])
g = net.init(np.random.default_rng(0), 256)
t2 = time.perf_counter()
rollout(env, net, g, 1, 0)
t3 = time.perf_counter()
print(t1 - t0, t2 - t1, t3 - t2)
"""


def bench_cold_start(repeats):
    import envs

    print(f"\n== cold start: process start to the first evaluated generation (256 genomes, one episode); "
          f"seconds; warm = median of {repeats} ==")
    ref = {}
    for label, code in (("python -c pass", "pass"), ('python -c "import numba"', "import numba")):
        ref[label] = statistics.median(wall([sys.executable, "-c", code], USER_ENV)[0] for _ in range(repeats))
        print(f"{label:>26} {ref[label]:7.2f}")
    print(f"{'game':>10} {'empty':>7} {'warm':>7}   warm, by phase (median): import envs+evo + make + "
          f"1st rollout + the rest (interpreter start and exit)")
    worst = 0.0
    for name in envs.names():
        code = _COLD_SNIPPET.format(name=name)
        try:
            with tempfile.TemporaryDirectory(prefix="neuroevo-bench-") as root:
                env = fresh_cache_env(root)
                empty, _ = wall([sys.executable, "-c", code], env)
                warm = statistics.median(wall([sys.executable, "-c", code], env)[0] for _ in range(repeats))
                phases = []
                for _ in range(repeats):
                    w, out = wall([sys.executable, "-c", _PHASES_SNIPPET.format(name=name)], env)
                    p = [float(v) for v in out.split()]
                    phases.append(p + [w - sum(p)])
        except Exception as e:
            print(f"{name:>10} FAILED: {e}")
            continue
        worst = max(worst, warm)
        imp, make, first, rest = (statistics.median(p[i] for p in phases) for i in range(4))
        print(f"{name:>10} {empty:7.2f} {warm:7.2f}   {imp:.2f} + {make:.2f} + {first:.2f} + {rest:.2f}")
    print(f"target: warm <= {TARGET_WARM_START} s for every game: worst {worst:.2f} s "
          f"[{'met' if worst <= TARGET_WARM_START else 'NOT met'}]")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5, help="timed repeats per measurement (median)")
    parser.add_argument("--sizes", default="256,4096", help="population sizes for the CartPole comparison")
    parser.add_argument("--subset", type=int, default=512,
                        help="the Python loop (a) plays at most this many genomes of a population")
    parser.add_argument("--games-pop", type=int, default=4096, help="population for the every-game table")
    parser.add_argument("--parts", default="cartpole,games,compile,cold",
                        help="comma-separated subset of cartpole,games,compile,cold")
    args = parser.parse_args()
    parts = set(args.parts.split(","))
    unknown = parts - {"cartpole", "games", "compile", "cold"}
    if unknown:
        parser.error(f"unknown parts: {', '.join(sorted(unknown))}")

    import numba
    import gymnasium
    print(f"python {sys.version.split()[0]}, numpy {np.__version__}, numba {numba.__version__} "
          f"({numba.get_num_threads()} threads), gymnasium {gymnasium.__version__}, "
          f"OPENBLAS_NUM_THREADS={os.environ['OPENBLAS_NUM_THREADS']}, OMP_WAIT_POLICY={os.environ['OMP_WAIT_POLICY']}, {os.cpu_count()} cpus, "
          f"load average {os.getloadavg()[0]:.2f} at start")
    if "cartpole" in parts:
        bench_cartpole([int(s) for s in args.sizes.split(",")], args.subset, args.repeats)
    if "games" in parts:
        bench_games(args.games_pop, args.repeats)
    if "compile" in parts:
        bench_compile(min(args.repeats, 3))
    if "cold" in parts:
        bench_cold_start(3)
    print(f"\nload average {os.getloadavg()[0]:.2f} at the end (the machine may be shared: "
          f"compare ratios, not absolute numbers, across runs)")


if __name__ == "__main__":
    main()
