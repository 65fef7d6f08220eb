"""The rollout kernels against each other: agent-steps/s per game, network and population; compile and start-up.

For every game (``--games``), networks obs-16-outputs and a larger one
(``--large``, default obs-64-64-outputs), random N(0, 1) genomes (episodes
of many lengths), one episode each, at the populations of ``--pops``:

- ``agent``: the per-agent kernel (one (genome, episode) pair per thread);
- ``lockstep``: 16 pairs per thread in lockstep, as ``kernel="lockstep"``
  plays them (a game that provides ``step_lanes`` steps lane-wise);
- ``by lane``: for those games only, the lockstep kernel stepping the game
  lane by lane instead, as every other game steps;

agent-steps per wall second, medians of ``--repeats`` interleaved runs in
this process (its kernels compiled beforehand in a child process and loaded
from the cache here, as every run after a game's first loads them), the ratio lockstep / agent (and the same ratio by CPU seconds
of this process, less sensitive to other processes on a shared machine),
and which kernel ``kernel="auto"``'s timing (``evo.kernels.play.measure``) picks
on this table's genomes, then which a run of that many pairs plays
(``evo.kernels.play.auto_kernel``: the same timing on the run's first
population, ``net.init``, as both kernels are compiled here); ``!`` where that
is the slower by more than 10%. Targets: cartpole 4-16-2 at P = 4096 at least 3x; every game
at least 2x; ``auto`` never the slower.

Then per game and kernel (``--parts compile``), in fresh processes: the
compile time (first ``rollout`` call with empty caches, minus a second call)
and the warm start (process start to the first evaluated generation of 256
genomes with warm caches, median of 3). "Empty" means a fresh temporary
NEUROEVO_CACHE_DIR *and* NUMBA_CACHE_DIR. Targets: the lockstep kernel's
compile within 2x of the agent kernel's; every warm start under 1 s.

    python benchmarks/rollout.py [--games cartpole,flappy] [--pops 256,4096,65536] [--large 64,64] [--large-pops 256,4096]
                                 [--repeats 3] [--parts kernels,compile,tracks,trig]
                                 [--track-pop 1024] [--track-episodes 2]

``--parts tracks`` (quick on its own: ``--parts tracks``): the racer with its
preset network (8-16-2) and a run's first population (``net.init``) of
``--track-pop`` genomes, ``--track-episodes`` episodes each, as ``kernel="auto"``
plays it, on procedural tracks (a new track per episode key, as runs train)
against the same racer on fixed tracks: the hand-drawn ones, and one
procedural track drawn once and driven as a track file; agent-steps/s,
medians of ``--repeats`` interleaved runs (each repeat another seed: other
tracks, other starts), and the ratios fixed / procedural. A step casts its
rays against every wall segment, so a track of more points steps slower
(procedural tracks have 64, the oval 40): the procedural track driven as a
fixed one shows what drawing a track per episode still costs. Target:
procedural within 1.25x of the oval.

``--parts bound`` (not run by default): per game, the lockstep kernel with
a network of no hidden layer against the per-agent kernel with obs-16-out,
ns per agent-step at P = 4096: with the forward pass next to free, what is
left is the game's step, so that ratio bounds what any faster forward pass
could give lockstep for the game as it steps now.

``--parts trig`` (not run by default): cartpole's opt-in ``fast_trig=1``
against its exact trigonometry, on 200,000 random-genome episodes and on
about 200,000 long ones: how many end at another step, and the speed-up.

The load average is printed before and after every game: the machine may be
shared, so compare ratios taken in the same run, not absolute numbers across runs.
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

USER_ENV = dict(os.environ)  # for the fresh processes

import numpy as np  # noqa: E402

import envs  # noqa: E402
from evo import MLP, rollout  # noqa: E402
from evo.kernels.lanes import lane_wise  # noqa: E402
from evo.kernels.choice import TIMED_PAIRS  # noqa: E402
from evo.kernels.play import Rollout, _run_lockstep, auto_kernel, choose_kernel, measure  # noqa: E402
from machine import describe  # benchmarks/machine.py, beside this script  # noqa: E402

TARGET_CARTPOLE = 3.0
TARGET_EVERY_GAME = 2.0
TARGET_WARM_START = 1.0
TARGET_TRACKS = 1.25


def play(env, net, genomes, kind, seed):
    """(steps, wall seconds, CPU seconds) of one rollout by ``kind``: agent, lockstep or by lane."""
    c, t = time.process_time(), time.perf_counter()
    if kind == "by lane":
        P = genomes.shape[0]
        r = Rollout(np.zeros((P, 1)), np.zeros((P, 1), np.int64))
        _run_lockstep(env, net, genomes, 1, seed, r.returns, r.steps, by_lane=True)
    else:
        r = rollout(env, net, genomes, 1, seed, kernel=kind)
    return r.total_steps, time.perf_counter() - t, time.process_time() - c


def kinds_of(env):
    """The kernels timed for ``env``: "by lane" too for a game that steps lane-wise."""
    return ["agent", "lockstep"] + (["by lane"] if lane_wise(env) else [])


def compile_kernels(name, shapes):
    """Compile (or load) every kernel ``bench_kernels`` plays for game ``name``."""
    env = envs.make(name)
    for hidden, _ in shapes:
        net = MLP([env.obs_size, *hidden, env.num_outputs])
        genomes = np.zeros((64, net.num_params), np.float32)
        for k in kinds_of(env):
            play(env, net, genomes, k, 0)


def warm_cache(name, shapes):
    """Compile ``name``'s kernels in a child process, so that this one loads them from the cache.

    A kernel compiled in this process can run slower than the same kernel loaded from the cache: the
    per-agent kernel of snake 10-64-64-3 ran at 4.5-4.8e6 agent-steps/s in the process that compiled it
    and 7.5-8.3e6 in every later one (cartpole 4-16-2: 2.47e7 and 2.8e7; the lockstep kernel: the same
    in both). Every run after a game's first loads its kernels from the cache, so that is what is timed.
    """
    large = ",".join(str(w) for w in shapes[-1][0])
    subprocess.run([sys.executable, __file__, "--compile-only", "--games", name, "--large", large], check=True)


def bench_kernels(names, shapes, repeats):
    """``shapes``: (hidden widths, populations) pairs."""
    print(f"\n== agent-steps/s (wall), medians of {repeats} interleaved runs; ratio = lockstep / agent "
          f"(cpu: by CPU seconds) ==")
    print(f"{'game':>22} {'network':>10} {'P':>6} {'agent':>9} {'lockstep':>9} {'by lane':>9} {'ratio':>6} "
          f"{'cpu':>5} {'spread a/l':>10}  auto      (a run's)")
    ratios, misses, run_misses = {}, [], []
    for name in names:
        env = envs.make(name)
        kinds = kinds_of(env)
        warm_cache(name, shapes)
        for hidden, shape_pops in shapes:
            net = MLP([env.obs_size, *hidden, env.num_outputs])
            for P in shape_pops:
                genomes = np.random.default_rng(P).normal(size=(P, net.num_params)).astype(np.float32)
                for k in kinds:
                    play(env, net, genomes[:64], k, 0)  # compile or load
                runs = {k: [] for k in kinds}
                for r in range(repeats):
                    for k in kinds:
                        runs[k].append(play(env, net, genomes, k, r))
                wall = {k: statistics.median(s / w for s, w, _ in v) for k, v in runs.items()}
                cpu = {k: statistics.median(s / u for s, _, u in v) for k, v in runs.items()}
                ratio = wall["lockstep"] / wall["agent"]
                # what a run of P pairs plays (both kernels are compiled here, so timed on the run's first
                # population, net.init), and what the same timing picks on this table's genomes
                run_auto = auto_kernel(env, net, P, None)
                auto = measure(env, net, P, None, genomes=genomes[:TIMED_PAIRS], keep=False)
                slower = (auto == "lockstep" and ratio < 1 / 1.1) or (auto == "agent" and ratio > 1.1)
                run_slower = (run_auto == "lockstep" and ratio < 1 / 1.1) or (run_auto == "agent" and ratio > 1.1)
                ratios[name, len(hidden), P] = ratio
                shape = "-".join(str(s) for s in net.sizes)
                by_lane = f"{wall['by lane']:9.3g}" if "by lane" in wall else f"{'-':>9}"
                # run-to-run spread of each kernel: fastest over slowest of its repeats
                spread = {k: max(s / w for s, w, _ in v) / min(s / w for s, w, _ in v) for k, v in runs.items()}
                spreads = f"{spread['agent']:.2f}/{spread['lockstep']:.2f}"
                if slower:
                    misses.append(f"{name} {shape} P={P}")
                if run_slower:
                    run_misses.append(f"{name} {shape} P={P}")
                print(f"{name:>22} {shape:>10} {P:>6} {wall['agent']:9.3g} {wall['lockstep']:9.3g} {by_lane} "
                      f"{ratio:6.2f} {cpu['lockstep'] / cpu['agent']:5.2f} {spreads:>10}  {auto:<8}"
                      f"{'!' if slower else ' '} {run_auto}{' !' if run_slower else ''}", flush=True)
        print(f"{'':>22} load average {os.getloadavg()[0]:.2f}", flush=True)
    small = {k: v for k, v in ratios.items() if k[1] == 1}
    if ("cartpole", 1, 4096) in small:
        r = small["cartpole", 1, 4096]
        print(f"target: cartpole 4-16-2 at P = 4096 >= {TARGET_CARTPOLE}x: {r:.2f} "
              f"[{'met' if r >= TARGET_CARTPOLE else 'NOT met'}]")
    print(f"target: auto within 10% of the faster kernel in every cell: "
          f"{'met' if not misses else 'NOT met in ' + ', '.join(misses)} ({len(ratios) - len(misses)} of "
          f"{len(ratios)} cells)")
    print(f"  as a run times it (its first population, net.init): {len(ratios) - len(run_misses)} of "
          f"{len(ratios)} cells{': not ' + ', '.join(run_misses) if run_misses else ''}")
    below = sorted({k[0] for k, v in small.items() if v < TARGET_EVERY_GAME})
    print(f"target: every game >= {TARGET_EVERY_GAME}x (obs-16-out, every P): "
          f"{'met' if not below else 'NOT met by ' + ', '.join(below)}")


def bench_trig(repeats):
    """cartpole's fast_trig=1 against its exact trigonometry: speed, and how many episodes end elsewhere."""
    print("\n== cartpole 4-16-2, fast_trig=1 against 0 (lockstep kernel): episodes that end at another step, "
          "and agent-steps/s ==")
    exact, fast = envs.make("cartpole"), envs.make("cartpole", fast_trig=1)
    net = MLP([4, 16, 2])
    rng = np.random.default_rng(17)
    genomes = rng.normal(size=(200_000, net.num_params)).astype(np.float32)
    a, b = (rollout(e, net, genomes, 1, 0, kernel="lockstep") for e in (exact, fast))
    print(f"random genomes: {int((a.steps != b.steps).sum())} of {a.steps.size} episodes end at another step "
          f"(mean length {a.steps.mean():.0f})")
    lasting = genomes[a.steps[:, 0] >= 200]  # genomes that balance for a while play long episodes
    episodes = -(-200_000 // max(len(lasting), 1))
    a, b = (rollout(e, net, lasting, episodes, 1, kernel="lockstep") for e in (exact, fast))
    print(f"long episodes ({len(lasting)} genomes lasting 200 steps or more, {episodes} episodes each): "
          f"{int((a.steps != b.steps).sum())} of {a.steps.size} end at another step (mean length {a.steps.mean():.0f})")
    g = genomes[:4096]
    runs = {0: [], 1: []}
    for r in range(repeats):
        for k, e in ((0, exact), (1, fast)):
            t = time.perf_counter()
            runs[k].append(rollout(e, net, g, 1, r, kernel="lockstep").total_steps / (time.perf_counter() - t))
    print(f"P = 4096: exact {statistics.median(runs[0]):.3g}, fast_trig {statistics.median(runs[1]):.3g} "
          f"agent-steps/s ({statistics.median(runs[1]) / statistics.median(runs[0]):.2f}x)")


def bench_bound(names, repeats):
    """How far lockstep could go per game: the lockstep kernel with a network of no hidden layer (its
    forward pass next to free) against the per-agent kernel with obs-16-out. As long as a game steps
    the same way, no faster forward pass takes lockstep past that ratio."""
    print("\n== ns per agent-step at P = 4096, medians of interleaved runs: per-agent with obs-16-out, lockstep "
          "with obs-16-out and with obs-out (no hidden layer); bound = the first over the last ==")
    print(f"{'game':>22} {'agent 16':>9} {'lockstep 16':>12} {'lockstep 0':>11} {'ratio':>6} {'bound':>6} "
          f"{'of bound':>8}")
    far = []
    for name in names:
        env = envs.make(name)
        warm_cache(name, [([16], [4096]), ([], [4096])])
        cases = [("agent", [16]), ("lockstep", [16]), ("lockstep", [])]
        nets = [MLP([env.obs_size, *hidden, env.num_outputs]) for _, hidden in cases]
        genomes = [np.random.default_rng(0).normal(size=(4096, n.num_params)).astype(np.float32) for n in nets]
        runs = [[] for _ in cases]
        for (kind, _), net, g in zip(cases, nets, genomes):
            play(env, net, g[:64], kind, 0)
        for r in range(repeats):
            for i, ((kind, _), net, g) in enumerate(zip(cases, nets, genomes)):
                steps, seconds, _ = play(env, net, g, kind, r)
                runs[i].append(seconds / steps * 1e9)
        a, l16, l0 = (statistics.median(v) for v in runs)
        share = (a / l16) / (a / l0)
        if share < 0.75:
            far.append(name)
        print(f"{name:>22} {a:9.1f} {l16:12.1f} {l0:11.1f} {a / l16:6.2f} {a / l0:6.2f} {share:8.0%}", flush=True)
    print(f"target: every game's ratio within 25% of its bound: {'met' if not far else 'NOT met by ' + ', '.join(far)}"
          f" ({len(names) - len(far)} of {len(names)})")


def fixed_procedural_track(directory):
    """The racer on one procedural track (seed 0, episode 0) driven as a fixed track: its centre line
    written to a CSV file in ``directory``, its half width as the parameter."""
    from envs.racer import T_HALF_WIDTH, TRACK, track_geometry
    batch = envs.make("racer").batch(1, seed=0, episodes=np.zeros(1, np.int64))
    batch.reset()
    row = batch.states[0]
    path = os.path.join(directory, "procedural-0-0.csv")
    np.savetxt(path, track_geometry(row)[0], delimiter=",")
    return envs.make("racer", track=path, half_width=float(row[TRACK + T_HALF_WIDTH]))


def bench_tracks(repeats, pop, episodes):
    """The racer on procedural tracks against the same racer on fixed ones: the hand-drawn tracks and one
    procedural track drawn once (the same number of points as every procedural track, 64)."""
    print(f"\n== racer 8-16-2, P = {pop}, {episodes} episodes, kernel=auto: agent-steps/s (wall), medians of "
          f"{repeats} interleaved runs, on procedural tracks (a new one per episode key) and on fixed tracks "
          f"(points: the centre line's); ratio = fixed / procedural ==")
    warm_cache("racer", [([16], [pop])])
    with tempfile.TemporaryDirectory(prefix="neuroevo-bench-") as directory:
        tracks = {"procedural": envs.make("racer")}
        tracks.update({name: envs.make("racer", track=name) for name in ("oval", "kidney", "hairpin")})
        tracks["one procedural"] = fixed_procedural_track(directory)
        net = MLP([8, 16, 2])
        genomes = net.init(np.random.default_rng(0), pop)
        for env in tracks.values():
            rollout(env, net, genomes[:64], episodes, 0)  # load the kernels
        speed = {k: [] for k in tracks}
        length = {k: [] for k in tracks}
        for r in range(repeats):  # each repeat another seed: other procedural tracks, other starts
            for k, env in tracks.items():
                t = time.perf_counter()
                played = rollout(env, net, genomes, episodes, r)
                speed[k].append(played.total_steps / (time.perf_counter() - t))
                length[k].append(played.steps.mean())
    procedural = statistics.median(speed["procedural"])
    print(f"{'track':>16} {'points':>6} {'steps/s':>9} {'episode':>8} {'ratio':>6}")
    for k, env in tracks.items():
        points = int(env.params[env.module.PARAM_TRACK + env.module.T_N]) or env.module.MAX_POINTS
        print(f"{k:>16} {points:6} {statistics.median(speed[k]):9.3g} {statistics.median(length[k]):8.0f} "
              f"{statistics.median(speed[k]) / procedural:6.2f}", flush=True)
    ratio = statistics.median(speed["oval"]) / procedural
    print(f"kernel: {choose_kernel(net, 'auto', tracks['oval'], pop * episodes)}")
    print(f"target: procedural within {TARGET_TRACKS}x of the oval: {ratio:.2f}x "
          f"[{'met' if ratio <= TARGET_TRACKS else 'NOT met'}]")


def fresh_cache_env(root):
    """Environment for a subprocess whose kernel caches live under ``root`` (empty if root is new)."""
    env = dict(USER_ENV)
    env["NEUROEVO_CACHE_DIR"] = os.path.join(root, "neuroevo")
    env["NUMBA_CACHE_DIR"] = os.path.join(root, "numba")
    return env


def wall(args, env, timeout=600):
    """Wall seconds of a subprocess, from before its start to its exit, and its output; raises on failure."""
    t = time.perf_counter()
    proc = subprocess.run(args, env=env, capture_output=True, text=True, timeout=timeout)
    dt = time.perf_counter() - t
    if proc.returncode != 0:
        raise RuntimeError((proc.stderr.strip().splitlines() or [f"exit {proc.returncode}"])[-1])
    return dt, proc.stdout


# Process start to the first evaluated generation; prints the first and a second call's seconds.
_SNIPPET = """
import json, time
import envs, numpy as np
from evo import MLP, rollout
env = envs.make({name!r}); net = MLP([env.obs_size, 16, env.num_outputs])
g = net.init(np.random.default_rng(0), 256)
t = time.perf_counter(); rollout(env, net, g, 1, 0, kernel={kernel!r}); first = time.perf_counter() - t
t = time.perf_counter(); rollout(env, net, g, 1, 0, kernel={kernel!r}); second = time.perf_counter() - t
print(json.dumps([first, second]))
"""


def bench_compile(names):
    print("\n== per game and kernel, obs-16-out, 256 genomes, fresh processes: compile = 1st rollout call "
          "with empty caches minus a 2nd call; warm start = process start to exit after the 1st call, "
          "caches warm, median of 3; seconds ==")
    ref = statistics.median(wall([sys.executable, "-c", "import numba"], USER_ENV)[0] for _ in range(3))
    print(f'python -c "import numba": {ref:.2f} s')
    print(f"{'game':>22} {'compile agent':>14} {'lockstep':>9} {'ratio':>6} {'warm agent':>11} {'lockstep':>9}")
    worst_ratio, worst_warm = 0.0, 0.0
    for name in names:
        compile_s, warm_s = {}, {}
        for kernel in ("agent", "lockstep"):
            code = _SNIPPET.format(name=name, kernel=kernel)
            with tempfile.TemporaryDirectory(prefix="neuroevo-bench-") as root:
                env = fresh_cache_env(root)
                first, second = json.loads(wall([sys.executable, "-c", code], env)[1])
                compile_s[kernel] = first - second
                warm_s[kernel] = statistics.median(wall([sys.executable, "-c", code], env)[0] for _ in range(3))
        ratio = compile_s["lockstep"] / compile_s["agent"]
        worst_ratio = max(worst_ratio, ratio)
        worst_warm = max(worst_warm, *warm_s.values())
        print(f"{name:>22} {compile_s['agent']:14.2f} {compile_s['lockstep']:9.2f} {ratio:6.2f} "
              f"{warm_s['agent']:11.2f} {warm_s['lockstep']:9.2f}", flush=True)
    print(f"target: lockstep compile <= 2x agent's: worst {worst_ratio:.2f}x [{'met' if worst_ratio <= 2 else 'NOT met'}]; "
          f"warm start < {TARGET_WARM_START} s: worst {worst_warm:.2f} s "
          f"[{'met' if worst_warm < TARGET_WARM_START else 'NOT met'}]")


# Lockstep calls alone, and each right after a per-agent call; prints their medians (agent-steps/s).
_SPIN = """
import json, statistics, time
import envs, numpy as np
from evo import MLP, rollout
env = envs.make("cartpole"); net = MLP([4, 16, 2])
g = np.random.default_rng(0).normal(size=({pop}, net.num_params)).astype(np.float32)
def speed(kind, seed):
    t = time.perf_counter(); r = rollout(env, net, g, 1, seed, kernel=kind); return r.total_steps / (time.perf_counter() - t)
speed("agent", 0); speed("lockstep", 0)
alone, after = [], []
for r in range({repeats}):
    alone.append(speed("lockstep", r)); time.sleep(0.5)
    speed("agent", r); after.append(speed("lockstep", r))
print(json.dumps([statistics.median(alone), statistics.median(after), max(alone) / min(alone)]))
"""


def bench_spin(repeats, pop=4096):
    """The lockstep kernel right after a per-agent call, against alone, under each OpenMP wait policy."""
    print(f"\n== cartpole 4-16-2, P = {pop}: the lockstep kernel alone and right after a per-agent call, "
          f"medians of {repeats}, agent-steps/s, in a fresh process per OpenMP wait policy ==")
    print(f"{'OMP_WAIT_POLICY':>16} {'alone':>9} {'after':>9} {'after/alone':>12} {'spread alone':>13}")
    code = _SPIN.format(pop=pop, repeats=repeats)
    for policy in ("(package default)", "ACTIVE", "PASSIVE"):
        env = dict(USER_ENV)
        env.pop("OMP_WAIT_POLICY", None)
        if not policy.startswith("("):
            env["OMP_WAIT_POLICY"] = policy
        alone, after, spread = json.loads(wall([sys.executable, "-c", code], env)[1])
        print(f"{policy:>16} {alone:9.3g} {after:9.3g} {after / alone:12.2f} {spread:13.2f}", flush=True)


# neuroevo run GAME, cold (empty caches) and warm: seconds from process start to the compile notice, to
# the progress bar's first tick (generation 0 played) and to the exit.
def run_start(name, env, out):
    import select
    argv = [sys.executable, "-m", "evo", "run", name, "--generations", "2", "--out", out]
    t = time.perf_counter()
    proc = subprocess.Popen(argv, env={**env, "PYTHONUNBUFFERED": "1"}, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    seen, notice, first = b"", None, None
    while True:
        ready, _, _ = select.select([proc.stderr], [], [], 0.05)
        if ready:
            chunk = os.read(proc.stderr.fileno(), 65536)
            if not chunk:
                break
            seen += chunk
            now = time.perf_counter() - t
            if notice is None and b"compiling" in seen:
                notice = now
            if first is None and b"1/2" in seen:
                first = now
    proc.wait()
    if proc.returncode != 0:
        raise RuntimeError(seen.decode(errors="replace").strip().splitlines()[-1])
    return notice, first, time.perf_counter() - t


def bench_start(names):
    print("\n== neuroevo run GAME --generations 2, its preset otherwise: seconds from process start to the "
          "compile notice, to generation 0 played (the progress bar's first tick) and to the exit; cold: "
          "empty caches; warm: the same caches again ==")
    print(f"{'game':>22} {'cold notice':>12} {'1st gen':>8} {'exit':>6} {'warm 1st gen':>13} {'exit':>6}")
    for name in names:
        with tempfile.TemporaryDirectory(prefix="neuroevo-bench-") as root:
            env = fresh_cache_env(root)
            notice, cold_first, cold_exit = run_start(name, env, os.path.join(root, "cold"))
            _, warm_first, warm_exit = run_start(name, env, os.path.join(root, "warm"))
        fmt = lambda x: f"{x:.2f}" if x is not None else "-"  # noqa: E731
        print(f"{name:>22} {fmt(notice):>12} {fmt(cold_first):>8} {cold_exit:6.2f} {fmt(warm_first):>13} "
              f"{warm_exit:6.2f}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--games", default=",".join(n for n in envs.names() if envs.make(n).fused))
    parser.add_argument("--pops", default="256,4096,65536")
    parser.add_argument("--large", default="64,64", help="hidden widths of the larger network")
    parser.add_argument("--large-pops", default=None, help="populations for the larger network (default --pops)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--compile-only", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--parts", default="kernels,compile,tracks",
                        help="comma-separated subset of kernels,compile,tracks,trig,bound,spin,start (tracks: the "
                             "racer on procedural tracks against the oval; trig: cartpole's fast_trig option; bound: "
                             "lockstep's ceiling per game with its step as it is; spin: lockstep after a per-agent "
                             "call per OpenMP wait policy; start: neuroevo run's cold and warm start per game)")
    parser.add_argument("--track-pop", type=int, default=1024, help="population of --parts tracks")
    parser.add_argument("--track-episodes", type=int, default=2, help="episodes per genome of --parts tracks")
    args = parser.parse_args()
    if not args.compile_only:
        print(describe(), flush=True)
    parts = set(args.parts.split(","))
    known = {"kernels", "compile", "tracks", "trig", "bound", "spin", "start"}
    if parts - known:
        parser.error(f"unknown parts: {', '.join(sorted(parts - known))}")
    if args.track_pop < 1 or args.track_episodes < 1:
        parser.error("--track-pop and --track-episodes must be at least 1")
    names = args.games.split(",")
    unknown = [n for n in names if n not in envs.names()]
    if unknown:
        parser.error(f"unknown games: {', '.join(unknown)}")
    pops = [int(p) for p in args.pops.split(",")]
    large_pops = [int(p) for p in args.large_pops.split(",")] if args.large_pops else pops
    shapes = [([16], pops), ([int(w) for w in args.large.split(",") if w], large_pops)]  # "": no hidden layer
    if args.compile_only:
        for name in names:
            compile_kernels(name, shapes)
        return
    import numba
    print(f"python {sys.version.split()[0]}, numpy {np.__version__}, numba {numba.__version__} "
          f"({numba.get_num_threads()} threads), {os.cpu_count()} cpus, load average "
          f"{os.getloadavg()[0]:.2f} at start")
    if "kernels" in parts:
        bench_kernels(names, shapes, args.repeats)
    if "compile" in parts:
        bench_compile(names)
    if "tracks" in parts:
        bench_tracks(args.repeats, args.track_pop, args.track_episodes)
    if "trig" in parts:
        bench_trig(args.repeats)
    if "bound" in parts:
        bench_bound(names, args.repeats)
    if "spin" in parts:
        bench_spin(max(args.repeats, 5))
    if "start" in parts:
        bench_start(names)
    print(f"\nload average {os.getloadavg()[0]:.2f} at the end")


if __name__ == "__main__":
    main()
