"""Search algorithms against each other and against the ``cma`` package, on test functions and on tasks.

Part ``functions`` (a correctness check): function evaluations to reach
f < 1e-8 on the 10-d sphere, ellipsoid (condition 1e6) and Rosenbrock from
mean 3 (Rosenbrock: 0) with sigma 0.5, median of ``--seeds`` seeds, for our
:class:`evo.algorithms.strategies.CMAES` and the ``cma`` package's CMA-ES at the same
population, and for our other strategies. Target: ours needs no more
evaluations than ``cma``.

Part ``tasks``: each method plays the task with the same network (16 tanh
units), the task's episodes per genome and generation (``TASKS``), and
neuroevo's validation and test rules (solved = the champion's mean over 1000
test episodes reaches the target); reported per method, median over seeds:
training environment steps to solve (``-`` when not solved within the
budget), the same counting every step played (validation, the champion's
replays and the test too), and the champion's test score at the end. The
strategies play at the task's population, the GAs at the game's preset (the
general defaults where the preset names an ES). The ``cma`` package's CMA-ES
is wrapped as an ask/tell algorithm and run under exactly the same rules.
neat-python (``solve.py``'s feed-forward config, population 150, its own
topologies) plays the same episodes through ``envs``' step-by-step path
under the same budget and test; its best genome is validated every
generation.

    python benchmarks/algorithms.py [--parts functions,tasks] [--seeds 5] [--tasks acrobot,pendulum] [--methods snes,cmaes]
                                    [--jobs 2] [--progress]

Needs the ``bench`` extra (``cma``, ``neat-python``).
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import time

os.environ.setdefault("OMP_WAIT_POLICY", "passive")

import numpy as np  # noqa: E402

from evo import strategies  # noqa: E402
from machine import describe  # benchmarks/machine.py, beside this script  # noqa: E402


def sphere(x):
    return np.sum(x**2, axis=-1)


def ellipsoid(x):
    n = x.shape[-1]
    return np.sum(1e6 ** (np.arange(n) / (n - 1)) * x**2, axis=-1)


def rosenbrock(x):
    return np.sum(100 * (x[..., 1:] - x[..., :-1] ** 2) ** 2 + (1 - x[..., :-1]) ** 2, axis=-1)


FUNCTIONS = {"sphere": (sphere, 3.0), "ellipsoid": (ellipsoid, 3.0), "rosenbrock": (rosenbrock, 0.0)}


def ours(name, fn, x0, seed, pop, cap=60_000):
    es = strategies.make(name, 10, pop_size=pop if name in ("cmaes", "sep_cmaes") else None, seed=seed,
                         mean=np.full(10, x0), **({"sigma": 0.5} if name in ("cmaes", "sep_cmaes", "snes") else {}))
    evals = 0
    while evals < cap:
        x = es.ask().astype(np.float64)
        f = fn(x)
        evals += len(x)
        es.tell(-f)
        if f.min() < 1e-8:
            return evals, float(f.min())
    return None, -es.best_fitness


def reference(fn, x0, seed, pop, cap=60_000):
    import cma
    es = cma.CMAEvolutionStrategy(np.full(10, x0), 0.5, {"popsize": pop, "seed": seed + 1, "verbose": -9,
                                                         "ftarget": 1e-8, "maxfevals": cap, "tolfun": 0,
                                                         "tolx": 0, "tolfunhist": 0})
    best = math.inf
    while not es.stop():
        x = np.array(es.ask())
        f = fn(x)
        best = min(best, float(f.min()))
        es.tell(list(x), list(f))
        if best < 1e-8:
            return es.countevals, best
    return None, best


def functions(seeds: int) -> None:
    pop = strategies.default_pop_size(10)
    print(f"== functions: evaluations to f < 1e-8, 10-d, population {pop} for both CMA-ES, median of {seeds} seeds ==")
    print(f"{'function':>12} {'cma package':>12} {'ours CMAES':>11} {'ratio':>6}  "
          + "  ".join(f"{n:>10}" for n in ("sep_cmaes", "snes", "openai_es", "pgpe")))
    worst = 0.0
    for fname, (fn, x0) in FUNCTIONS.items():
        ref = [reference(fn, x0, s, pop)[0] for s in range(seeds)]
        mine = [ours("cmaes", fn, x0, s, pop)[0] for s in range(seeds)]
        others = []
        for name in ("sep_cmaes", "snes", "openai_es", "pgpe"):
            runs = [ours(name, fn, x0, s, pop) for s in range(seeds)]
            reached = [e for e, _ in runs if e is not None]
            others.append(f"{statistics.median(reached):>10.0f}" if len(reached) * 2 > seeds
                          else f"{'best ' + format(statistics.median(b for _, b in runs), '.1e'):>10}")
        r, m = _median(ref), _median(mine)
        ratio = m / r if r and m else math.inf
        worst = max(worst, ratio)
        print(f"{fname:>12} {r or '-':>12} {m or '-':>11} {ratio:>6.2f}  " + "  ".join(others))
    print(f"target: ours needs no more evaluations than cma (ratio <= 1): worst {worst:.2f} "
          f"[{'met' if worst <= 1.0 else 'NOT met'}]")


def _median(values):
    reached = [v for v in values if v is not None]
    return statistics.median(reached) if len(reached) * 2 > len(values) else None


# -- tasks ------------------------------------------------------------------------------------------

TASKS = {  # name: (budget of training steps, population of the strategies, episodes per genome, extra settings)
    "acrobot": (1_000_000, 32, 2, {}),
    "pendulum": (2_000_000, 16, 1, {}),
    "mountaincar_continuous": (2_000_000, 32, 2, {}),
    "gym:LunarLander-v3": (5_000_000, 32, 1, {}),
    "snake": (10_000_000, 32, 2, {}),
    "racer": (5_000_000, 32, 2, {}),
}
METHODS = ("ga", "truncation_ga", "cmaes", "sep_cmaes", "snes", "openai_es", "pgpe", "cma package", "neat-python")


class CmaPackage:
    """The ``cma`` package's CMA-ES behind the ask/tell surface that a run drives (fitness maximised)."""

    def __init__(self, num_params, pop_size, seed):
        import cma
        self.es = cma.CMAEvolutionStrategy(np.zeros(num_params), 0.5, {"popsize": pop_size, "seed": seed + 1,
                                                                      "verbose": -9})
        self.generation, self.best_fitness, self.best_genome, self._x = 0, -math.inf, None, None

    def ask(self):
        if self._x is None:
            self._x = np.array(self.es.ask())
        return self._x.astype(np.float32)

    def tell(self, fitness):
        f = np.where(np.isnan(fitness), -np.inf, fitness)
        if f.max() > self.best_fitness:
            self.best_fitness, self.best_genome = float(f.max()), self._x[int(np.argmax(f))].astype(np.float32)
        self.es.tell(list(self._x), list(np.where(np.isfinite(f), -f, 1e300)))
        self.generation += 1
        self._x = None


def task_run(task, method, seed):
    from evo.algorithms.registry import GA_NAMES
    from evo.runs.config import RunConfig, default_config
    from evo.runs.driver import Evolution

    budget, pop, episodes, extra = TASKS[task]
    settings = {"hidden": [16], "episodes": episodes, "generations": 100_000, "seed": seed, **extra}
    if method not in ("ga", "truncation_ga"):
        settings["pop_size"] = pop
        settings["algorithm"] = "cmaes" if method == "cma package" else method
    else:
        settings["algorithm"] = method
        if default_config(task).algorithm["name"] not in GA_NAMES:  # the preset is an ES's: the GAs get the defaults
            settings["pop_size"] = RunConfig().pop_size
    run = Evolution(RunConfig.from_dict(settings, base=default_config(task)))
    if method == "cma package":
        run.algorithm = CmaPackage(run.net.num_params, pop, seed)
    steps = all_steps = 0
    while not run.finished and steps < budget:
        row = run.step()
        steps += row["env_steps"]
        all_steps += row["env_steps"] + row["validation_steps"]
        if os.environ.get("NEUROEVO_BENCH_PROGRESS") and run.generation % 20 == 0:
            print(f"  [{task} {method} seed {seed}] generation {run.generation}: {steps:.3g} training steps, "
                  f"{all_steps:.3g} in all, champion validated {run.champion_score}", flush=True)
    test = run.champion_test
    if test is None and run.champion is not None:  # not tested yet: test it now, as a run's end would
        from evo.kernels.evaluate import rollout
        from evo.runs.driver import held_out_seed
        test = float(rollout(run.env, run.net, run.champion[None], run.config.test_episodes,
                             held_out_seed(seed)).fitness[0])
    solved = run.solved and steps <= budget  # a generation that starts within the budget may end past it
    return (steps if solved else None), test, (all_steps if solved else None)


class NeatNets:
    """neat-python networks behind the surface :func:`envs.core.play` steps: genome ``[i]`` is network ``i``."""

    def __init__(self, nets):
        self.nets = nets

    def initial_state(self, n):
        return np.zeros((n, 0))

    def step(self, genomes, obs, memory, num_actions):
        out = np.array([self.nets[int(g[0])].activate(o) for g, o in zip(genomes, obs)])
        return (np.argmax(out, axis=1) if num_actions else np.tanh(out)), memory


class _Stop(Exception):
    pass


def neat_run(task, seed):
    """neat-python (``solve.py``'s feed-forward config, population 150) under the same budget and test;
    every generation's best is validated on 100 fresh episodes (validation steps are not training steps)."""
    import tempfile

    import neat

    import envs
    from evo.runs.driver import episode_seed, held_out_seed
    from solve import NEAT_CONFIG, NEAT_POP

    budget, _, episodes, extra = TASKS[task]
    env = envs.make(task, **extra.get("env_params", {}))
    with tempfile.NamedTemporaryFile("w", suffix=".ini", delete=False) as f:
        f.write(NEAT_CONFIG.format(game=task, solved_at=env.solved_at, pop=NEAT_POP, inputs=env.obs_size,
                                   outputs=env.num_outputs))
    config = neat.Config(neat.DefaultGenome, neat.DefaultReproduction, neat.DefaultSpeciesSet,
                         neat.DefaultStagnation, f.name)
    os.unlink(f.name)
    state = {"generation": 0, "steps": 0, "all": 0, "score": -math.inf, "champion": None, "test": None}

    def play(e, nets, n, key):
        returns, steps = e.play(NeatNets(nets), np.arange(len(nets), dtype=np.float32)[:, None], n, key)
        state["all"] += int(steps.sum())
        return returns.mean(axis=1), int(steps.sum())

    def fitness(genomes, config):
        nets = [neat.nn.FeedForwardNetwork.create(g, config) for _, g in genomes]
        fit, steps = play(env, nets, episodes, episode_seed(seed, state["generation"], 1))
        state["steps"] += steps
        for (_, g), v in zip(genomes, fit):
            g.fitness = float(v)
        best = nets[int(np.argmax(fit))]
        score = play(env, [best], 100, episode_seed(seed, state["generation"], 2))[0][0]
        state["generation"] += 1
        if score > state["score"]:
            state["score"], state["champion"], state["test"] = score, best, None
            if score >= env.solved_at:
                state["test"] = play(env.held_out(), [best], 1000, held_out_seed(seed))[0][0]
                if state["test"] >= env.solved_at:
                    raise _Stop
        if state["steps"] >= budget:
            raise _Stop

    try:
        neat.Population(config, seed=seed).run(fitness, 100_000)
    except _Stop:
        pass
    if state["test"] is None and state["champion"] is not None:
        state["test"] = play(env.held_out(), [state["champion"]], 1000, held_out_seed(seed))[0][0]
    solved = state["test"] is not None and state["test"] >= env.solved_at and state["steps"] <= budget
    return (state["steps"] if solved else None), float(state["test"]), (state["all"] if solved else None)


def _one(job):
    task, method, seed = job
    return neat_run(task, seed) if method == "neat-python" else task_run(task, method, seed)


def tasks(seeds: int, names, methods, jobs: int = 1) -> None:
    import envs
    pool = None
    if jobs > 1:  # seeds in separate processes, one Numba thread each; results do not depend on it
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor
        os.environ["NUMBA_NUM_THREADS"] = "1"
        pool = ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("spawn"))
    for task in names:
        budget, pop, episodes, extra = TASKS[task]
        target = envs.make(task, **extra.get("env_params", {})).solved_at
        print(f"\n== {task}: target {target:g} on 1000 test episodes, budget {budget:.0e} training steps, "
              f"{seeds} seeds, {episodes} episode(s) per genome; strategies at population {pop}, "
              f"the GAs at the game's preset ==")
        print(f"{'method':>14} {'training steps to solve':>24} {'all steps':>10} {'solved':>7} "
              f"{'test score':>11} {'s':>6}  training steps per seed")
        for method in methods:
            t = time.perf_counter()
            work = [(task, method, s) for s in range(seeds)]
            runs = list(pool.map(_one, work)) if pool else [_one(job) for job in work]
            solved = [st for st, _, _ in runs if st is not None]
            med, med_all = _median([st for st, _, _ in runs]), _median([a for _, _, a in runs])
            print(f"{method:>14} {format(med, '.3g') if med else '-':>24} {format(med_all, '.3g') if med_all else '-':>10} "
                  f"{len(solved):>4}/{seeds} {statistics.median(ts for _, ts, _ in runs):>11.4g} "
                  f"{time.perf_counter() - t:>6.0f}  {' '.join(format(st, '.2g') if st else '-' for st, _, _ in runs)}",
                  flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parts", default="functions,tasks")
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--tasks", default=",".join(t for t in TASKS if not t.startswith("gym:")),
                        help="LunarLander (gym:LunarLander-v3) only when named: hours on 2 cores")
    parser.add_argument("--methods", default=",".join(METHODS))
    parser.add_argument("--jobs", type=int, default=1, help="seeds played in this many processes at once")
    parser.add_argument("--progress", action="store_true", help="a line every 20 generations of each task run")
    args = parser.parse_args()
    print(describe(), flush=True)
    print(f"load average {os.getloadavg()[0]:.2f} at start")
    if args.progress:
        os.environ["NEUROEVO_BENCH_PROGRESS"] = "1"
    if "functions" in args.parts:
        functions(args.seeds)
    if "tasks" in args.parts:
        tasks(args.seeds, [t for t in args.tasks.split(",") if t], [m for m in args.methods.split(",") if m],
              args.jobs)
    print(f"load average {os.getloadavg()[0]:.2f} at the end")


if __name__ == "__main__":
    main()
