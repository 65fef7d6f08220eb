"""Time to solve: ``neuroevo run`` against neat-python on the same games.

neuroevo: ``neuroevo run <game> --seed S --quiet --out TMP`` in a subprocess,
timed from before the process starts to its exit, with the game's default
settings. The run stops when the champion's mean over 100 fresh validation
episodes reaches the game's ``solved_at`` (the run validates each
generation's best genome itself); generations and the validation score come
from ``TMP/log.csv``. The first run of each game uses an empty kernel cache
(a fresh NEUROEVO_CACHE_DIR and NUMBA_CACHE_DIR) and is reported apart; the
timed seeds then run with that cache warm.

neat-python: what a neat-python user would write. A feed-forward NEAT config
(written below: the values of neat-python's documented XOR example, with the
game's inputs and outputs, tanh nodes and a population of 150), our games
stepped through their Gymnasium wrappers (``gymnasium.make("neuroevo/...")``),
a fitness function that plays each genome for ``EPISODES`` episodes (the
same number as neuroevo's preset) with ``neat.nn.FeedForwardNetwork`` and
argmax actions. Whenever a generation's best fitness reaches ``solved_at``,
that genome is played on 100 fresh episodes; the run is solved when their
mean reaches ``solved_at`` (the same criterion as neuroevo's). Each run is a
subprocess timed from outside, capped at ``--neat-cap`` seconds ("not
solved" when capped).

Medians over ``--seeds`` seeds, and the ratio neat / neuroevo of median wall
times, measured in the same invocation; also the time spent in generations
alone (neuroevo: ``timing.csv``; neat: from the first fitness call on), to
separate start-up from evolution.

Run: python benchmarks/solve.py [--seeds 5] [--games cartpole,flappy,snake]
                                [--neat-games cartpole,flappy] [--cap 300] [--neat-cap 300]
                                [--param flappy:gap_height=0.25]   (a harder variant, for both tools)
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from machine import describe  # benchmarks/machine.py, beside this script  # noqa: E402

EPISODES = {"cartpole": 3, "flappy": 5}  # episodes per genome of neuroevo's presets
NEAT_POP = 150
TARGET_CARTPOLE_S = 1.0  # neuroevo cartpole, median wall time, warm cache
TARGET_FLAPPY_SPEEDUP = 20.0  # neat / neuroevo on flappy

NEAT_CONFIG = """\
# Feed-forward NEAT for {game}: the values of neat-python's XOR example, except
# the sizes, tanh nodes, the population and the fitness threshold.
[NEAT]
fitness_criterion     = max
fitness_threshold     = {solved_at}
no_fitness_termination = True
pop_size              = {pop}
reset_on_extinction   = False

[DefaultGenome]
activation_default      = tanh
activation_mutate_rate  = 0.0
activation_options      = tanh
aggregation_default     = sum
aggregation_mutate_rate = 0.0
aggregation_options     = sum
bias_init_mean          = 0.0
bias_init_stdev         = 1.0
bias_max_value          = 30.0
bias_min_value          = -30.0
bias_mutate_power       = 0.5
bias_mutate_rate        = 0.7
bias_replace_rate       = 0.1
compatibility_disjoint_coefficient = 1.0
compatibility_weight_coefficient   = 0.5
conn_add_prob           = 0.5
conn_delete_prob        = 0.5
enabled_default         = True
enabled_mutate_rate     = 0.01
feed_forward            = True
initial_connection      = full_direct
node_add_prob           = 0.2
node_delete_prob        = 0.2
num_hidden              = 0
num_inputs              = {inputs}
num_outputs             = {outputs}
response_init_mean      = 1.0
response_init_stdev     = 0.0
response_max_value      = 30.0
response_min_value      = -30.0
response_mutate_power   = 0.0
response_mutate_rate    = 0.0
response_replace_rate   = 0.0
weight_init_mean        = 0.0
weight_init_stdev       = 1.0
weight_max_value        = 30
weight_min_value        = -30
weight_mutate_power     = 0.5
weight_mutate_rate      = 0.8
weight_replace_rate     = 0.1

[DefaultSpeciesSet]
compatibility_threshold = 3.0

[DefaultStagnation]
species_fitness_func = max
max_stagnation       = 20
species_elitism      = 2

[DefaultReproduction]
elitism            = 2
survival_threshold = 0.2
"""


# -- neat-python worker (runs in its own process) ---------------------------------------------


class _Stop(Exception):
    pass


def neat_worker(game: str, seed: int, cap: float, max_generations: int, params: dict) -> None:
    """Evolve with neat-python until solved or capped; prints one JSON line."""
    start = time.perf_counter()
    import gymnasium
    import neat
    import numpy as np

    import envs
    from envs.gym_wrappers import GYM_IDS

    gym_id = GYM_IDS[game]
    spec = envs.make(game, **params).spec
    solved_at, episodes = spec.solved_at, EPISODES.get(game, 3)
    with tempfile.NamedTemporaryFile("w", suffix=".ini", delete=False) as f:
        f.write(NEAT_CONFIG.format(game=game, solved_at=solved_at, pop=NEAT_POP, inputs=spec.obs_size,
                                   outputs=spec.num_outputs))
    config = neat.Config(neat.DefaultGenome, neat.DefaultReproduction, neat.DefaultSpeciesSet,
                         neat.DefaultStagnation, f.name)
    os.unlink(f.name)

    env = gymnasium.make(gym_id, **params)
    env.reset(seed=seed)
    val_env = gymnasium.make(gym_id, **params)
    val_env.reset(seed=10_000 + seed)

    def play(net, e):
        obs, _ = e.reset()
        total, done = 0.0, False
        while not done:
            action = int(np.argmax(net.activate(obs)))
            obs, reward, terminated, truncated, _ = e.step(action)
            total += reward
            done = terminated or truncated
        return total

    state = {"generations": 0, "validation": float("-inf"), "solved": False, "capped": False,
             "validations": 0, "setup": None}

    def fitness(genomes, config):
        if state["setup"] is None:  # imports, config, first population: done
            state["setup"] = time.perf_counter() - start
        for _, genome in genomes:
            net = neat.nn.FeedForwardNetwork.create(genome, config)
            genome.fitness = sum(play(net, env) for _ in range(episodes)) / episodes
            if time.perf_counter() - start > cap:
                for _, g in genomes:
                    if g.fitness is None:
                        g.fitness = 0.0
                state["capped"] = True
                raise _Stop
        state["generations"] += 1
        best = max((g for _, g in genomes), key=lambda g: g.fitness)
        if best.fitness >= solved_at:
            net = neat.nn.FeedForwardNetwork.create(best, config)
            score = sum(play(net, val_env) for _ in range(100)) / 100
            state["validations"] += 1
            state["validation"] = max(state["validation"], score)
            if score >= solved_at:
                state["solved"] = True
                raise _Stop

    population = neat.Population(config, seed=seed)
    try:
        population.run(fitness, max_generations)
    except _Stop:
        pass
    state["inner_wall"] = time.perf_counter() - start
    print(json.dumps(state))


# -- driver --------------------------------------------------------------------------------------


def neuroevo_command() -> list:
    exe = Path(sys.executable).with_name("neuroevo")
    return [str(exe)] if exe.exists() else [shutil.which("neuroevo") or "neuroevo"]


def cache_env(root: str) -> dict:
    env = dict(os.environ)
    env["NEUROEVO_CACHE_DIR"] = os.path.join(root, "neuroevo")
    env["NUMBA_CACHE_DIR"] = os.path.join(root, "numba")
    return env


def run_timed(cmd, env, cap):
    """(wall seconds, returncode or None if capped, stdout+stderr)."""
    t = time.perf_counter()
    try:
        p = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=cap)
        return time.perf_counter() - t, p.returncode, p.stdout + p.stderr
    except subprocess.TimeoutExpired as e:
        out = (e.stdout or b"") + (e.stderr or b"")
        return time.perf_counter() - t, None, out.decode() if isinstance(out, bytes) else out


def neuroevo_run(game, seed, env, cap, workdir, params):
    """One ``neuroevo run``; returns a dict with wall, solved, generations, validation, first_gen."""
    out = Path(workdir) / f"{game}-{seed}-{time.monotonic_ns()}"
    cmd = [*neuroevo_command(), "run", game, "--seed", str(seed), "--quiet", "--out", str(out)]
    if params:  # game parameters only come from a config file
        Path(workdir).mkdir(parents=True, exist_ok=True)
        config = Path(workdir) / f"{game}-params.toml"
        config.write_text(f"env = {json.dumps(game)}\n[env_params]\n"
                          + "".join(f"{k} = {json.dumps(v)}\n" for k, v in params.items()))
        cmd += ["--config", str(config)]
    wall, code, text = run_timed(cmd, env, cap)
    r = {"wall": wall, "capped": code is None, "error": None, "generations": 0,
         "validation": float("nan"), "solved": False, "first_gen": float("nan"), "summary": ""}
    if code not in (0, None):
        r["error"] = (text.strip().splitlines() or [f"exit {code}"])[-1]
        return r
    lines = [l for l in text.strip().splitlines() if l.startswith(f"{game}:")]
    r["summary"] = lines[-1] if lines else ""
    try:
        with open(out / "log.csv", newline="") as f:
            rows = list(csv.DictReader(f))
        with open(out / "timing.csv", newline="") as f:
            timing = list(csv.DictReader(f))
    except OSError:
        rows, timing = [], []
    if rows:
        r["generations"] = len(rows)
        r["validation"] = max(float(row["validation"]) for row in rows if row["validation"])
        import envs
        target = envs.make(game, **params).solved_at
        r["solved"] = any(row["test"] and float(row["test"]) >= target for row in rows) and not r["capped"]
    if timing:
        # wall time inside the loop to the end of generation 0: the rest of `wall` before it is startup
        r["evolve"] = float(timing[-1]["wall_seconds"])
        r["first_gen"] = float(timing[0]["wall_seconds"])
    shutil.rmtree(out, ignore_errors=True)
    return r


def neat_run(game, seed, cap, max_generations, params):
    cmd = [sys.executable, os.path.abspath(__file__), "--neat-worker", game, str(seed), str(cap),
           str(max_generations), json.dumps(params)]
    wall, code, text = run_timed(cmd, None, cap + 60)
    r = {"wall": wall, "capped": code is None, "error": None, "generations": 0, "validation": float("nan"),
         "solved": False}
    if code is None:
        return r
    if code != 0:
        r["error"] = (text.strip().splitlines() or [f"exit {code}"])[-1]
        return r
    state = json.loads(text.strip().splitlines()[-1])
    r.update(generations=state["generations"], validation=state["validation"], solved=state["solved"],
             capped=state["capped"], evolve=state["inner_wall"] - (state["setup"] or 0.0))
    return r


def describe(rs, cap):
    """One line: median wall (solved runs only count as solved), generations, validation."""
    solved = [r for r in rs if r["solved"]]
    med = statistics.median(r["wall"] for r in rs)
    gens = statistics.median(r["generations"] for r in rs)
    errors = [r["error"] for r in rs if r["error"]]
    text = (f"median {med:7.2f} s (min {min(r['wall'] for r in rs):.2f}, max {max(r['wall'] for r in rs):.2f}), "
            f"{gens:g} generations, solved {len(solved)}/{len(rs)}")
    capped = sum(r["capped"] for r in rs)
    if capped:
        text += f", {capped} capped at {cap:g} s"
    if errors:
        text += f"; error: {errors[0]}"
    return med, len(solved) == len(rs), text


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5, help="seeds 0..N-1 per game (median over them)")
    parser.add_argument("--games", default="cartpole,flappy,snake", help="games for neuroevo")
    parser.add_argument("--neat-games", default="cartpole,flappy",
                        help="games for neat-python (a subset of --games; empty to skip)")
    parser.add_argument("--cap", type=float, default=300.0, help="seconds before a neuroevo run is stopped")
    parser.add_argument("--neat-cap", type=float, default=300.0, help="seconds before a neat run is stopped")
    parser.add_argument("--neat-generations", type=int, default=1000, help="generation cap of a neat run")
    parser.add_argument("--param", action="append", default=[], metavar="GAME:NAME=VALUE",
                        help="game parameter for both tools, e.g. flappy:gap_height=0.25 (repeatable)")
    parser.add_argument("--neat-worker", nargs=5, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.neat_worker:
        game, seed, cap, gens, params = args.neat_worker
        neat_worker(game, int(seed), float(cap), int(gens), json.loads(params))
        return
    print(describe(), flush=True)
    params = {}
    for p in args.param:
        try:
            game, rest = p.split(":", 1)
            name, value = rest.split("=", 1)
            params.setdefault(game, {})[name] = float(value)
        except ValueError:
            parser.error(f"--param expects GAME:NAME=VALUE, got {p!r}")

    games = [g for g in args.games.split(",") if g]
    neat_games = [g for g in args.neat_games.split(",") if g]
    seeds = list(range(args.seeds))
    import numba
    print(f"python {sys.version.split()[0]}, numba {numba.__version__}, {os.cpu_count()} cpus, "
          f"load average {os.getloadavg()[0]:.2f} at start; seeds {seeds[0]}..{seeds[-1]}; "
          f"wall times from process start to exit"
          + "".join(f"; {g} with {', '.join(f'{k}={v:g}' for k, v in ps.items())}" for g, ps in params.items()))

    results = {}
    with tempfile.TemporaryDirectory(prefix="neuroevo-solve-") as root:
        env = cache_env(os.path.join(root, "cache"))
        work = os.path.join(root, "runs")
        print("\n== neuroevo run <game> --seed S --quiet (game presets) ==")
        for game in games:
            cold = neuroevo_run(game, seeds[0], env, args.cap, work, params.get(game, {}))
            print(f"{game:>9} empty cache, seed {seeds[0]}: {cold['wall']:.2f} s, {cold['generations']} generations"
                  + (f"; error: {cold['error']}" if cold["error"] else "")
                  + (" (capped)" if cold["capped"] else ""))
            rs = [neuroevo_run(game, s, env, args.cap, work, params.get(game, {})) for s in seeds]
            med, _, text = describe(rs, args.cap)
            results[("neuroevo", game)] = med
            results[("neuroevo-evolve", game)] = statistics.median(r.get("evolve", r["wall"]) for r in rs)
            print(f"{game:>9} warm cache: {text}")
            split = [(r["evolve"], r["wall"] - r["evolve"]) for r in rs if "evolve" in r]
            if split:
                print(f"{'':>9} of which generations {statistics.median(e for e, _ in split):.2f} s, "
                      f"the rest (process start-up, final files) {statistics.median(o for _, o in split):.2f} s "
                      f"(medians); validation scores " + ", ".join(f"{r['validation']:.4g}" for r in rs))

        if neat_games:
            import neat  # noqa: F401  (fail early when neat-python is missing)
            from importlib.metadata import version
            print(f"\n== neat-python {version('neat-python')}: pop {NEAT_POP}, Gymnasium wrappers, "
                  f"cap {args.neat_cap:g} s ==")
            for game in neat_games:
                rs = [neat_run(game, s, args.neat_cap, args.neat_generations, params.get(game, {})) for s in seeds]
                med, all_solved, text = describe(rs, args.neat_cap)
                results[("neat", game)] = (med, all_solved)
                results[("neat-evolve", game)] = statistics.median(r.get("evolve", r["wall"]) for r in rs)
                print(f"{game:>9} {text}")
                print(f"{'':>9} of which generations {results[('neat-evolve', game)]:.2f} s (median; the rest is "
                      f"start-up); validation scores " + ", ".join(f"{r['validation']:.4g}" for r in rs))

    print("\n== summary ==")
    if ("neuroevo", "cartpole") in results:
        t = results[("neuroevo", "cartpole")]
        print(f"target: neuroevo cartpole median < {TARGET_CARTPOLE_S:g} s (warm cache): {t:.2f} s "
              f"[{'met' if t < TARGET_CARTPOLE_S else 'NOT met'}]")
    for game in neat_games:
        if ("neuroevo", game) not in results:
            continue
        (t_neat, all_solved), t_ne = results[("neat", game)], results[("neuroevo", game)]
        ratio = t_neat / t_ne
        bound = "" if all_solved else " (a lower bound: not every neat run solved)"
        line = f"neat / neuroevo wall time, {game}: {ratio:.1f}x{bound}"
        if game == "flappy":
            line += f"; target >= {TARGET_FLAPPY_SPEEDUP:g}x [{'met' if ratio >= TARGET_FLAPPY_SPEEDUP else 'NOT met'}]"
        evolve = results[("neat-evolve", game)] / results[("neuroevo-evolve", game)]
        print(line + f"; generations only (no start-up): {evolve:.1f}x")
    print(f"load average {os.getloadavg()[0]:.2f} at the end (the machine may be shared)")


if __name__ == "__main__":
    main()
