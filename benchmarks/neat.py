"""NEAT against neat-python: evaluations and wall time to solve XOR and cartpole from the same config file.

Both tools read one neat-python config file per task, benchmarks/solve.py's
(the values of neat-python's XOR example with tanh nodes; XOR with its
sigmoid nodes): neat-python with ``neat.Config``, neuroevo with
``evo.neat.read_config``. A run is solved when a generation's best fitness
reaches the config's ``fitness_threshold``; evaluations to solve count every
genome evaluated up to and including that generation (a genome playing
several episodes counts once), and wall time to solve runs from the first
population to that moment (imports, config reading and neuroevo's one-time
kernel compilation, done before the timed seeds, are not counted). The file
leaves ``single_structural_mutation`` out: neat-python 2.0 then makes one
structural mutation per child (its default for the key is the string
'false', which is true in Python), and ``read_config`` reads the absent key
the same way, so both tools breed alike.

- XOR: fitness ``4 - sum over the four cases of (output - target)**2``, solved
  at 3.9 (neat-python's example). neat-python activates each
  ``neat.nn.FeedForwardNetwork`` on the four cases; neuroevo evaluates the
  population's compiled rows on the four cases in one call
  (``NEATNetwork.forward_cases``).
- cartpole: our cartpole game (500 steps), fitness the mean return of
  ``--episodes`` episodes, argmax actions, solved at 475. neat-python plays it
  through its Gymnasium wrapper (``gymnasium.make("neuroevo/CartPole-v1")``,
  what a neat-python user writes) with ``FeedForwardNetwork.activate`` at
  every step; neuroevo plays the whole population in the fused rollout
  (``evo.rollout``), on every core.

Each run stops at ``--generations`` generations ("not solved"). Medians over
``--seeds`` seeds, over the solved runs. The two tools take turns seed by
seed, so that a machine shared with other work loads both alike, and each
run is repeated ``--repeat`` times (the same seed gives the same run), its
shortest wall time counted. Print the CPU with every figure.

Run: python benchmarks/neat.py [--seeds 10] [--tasks xor,cartpole] [--generations 300] [--episodes 3]
                               [--repeat 3]
Needs neat-python (the ``bench`` extra).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time

import numpy as np
from machine import describe  # benchmarks/machine.py, beside this script  # noqa: E402

# this file is named neat.py: without its folder on the path, `import neat` finds neat-python
sys.path = [p for p in sys.path if os.path.abspath(p or ".") != os.path.dirname(os.path.abspath(__file__))]

def _solve_config() -> str:
    """The neat-python config of benchmarks/solve.py (neat-python's XOR example with tanh nodes)."""
    import importlib.util
    spec = importlib.util.spec_from_file_location("solve", os.path.join(os.path.dirname(__file__), "solve.py"))
    solve = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(solve)
    return solve.NEAT_CONFIG



TASKS = {
    "xor": dict(solved_at=3.9, activation="sigmoid", inputs=2, outputs=1),
    "cartpole": dict(solved_at=475.0, activation="tanh", inputs=4, outputs=2),
}
XOR_IN = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], np.float32)
XOR_OUT = np.array([0, 1, 1, 0], np.float32)


def config_file(task: str) -> str:
    fd, path = tempfile.mkstemp(suffix=f"-{task}.ini")
    task_ = TASKS[task]
    text = _solve_config().format(game=task, solved_at=task_["solved_at"], pop=150, inputs=task_["inputs"],
                                  outputs=task_["outputs"])
    with os.fdopen(fd, "w") as f:
        f.write(text.replace("= tanh", f"= {task_['activation']}"))
    return path


# -- neuroevo --------------------------------------------------------------------------------------


def ours(task: str, seed: int, generations: int, episodes: int) -> dict:
    """One neuroevo NEAT run: ``{"solved", "evaluations", "seconds", "generations"}``."""
    import envs
    import evo
    path = config_file(task)
    config = evo.neat.read_config(path)
    os.unlink(path)
    env = envs.make("cartpole") if task == "cartpole" else None
    start = time.perf_counter()
    algo = config.build(seed=seed)
    evaluations = 0
    for g in range(generations):
        rows = algo.ask()
        if env is None:
            fitness = 4.0 - ((algo.net.forward_cases(rows, XOR_IN)[:, :, 0] - XOR_OUT) ** 2).sum(axis=1)
        else:
            fitness = evo.rollout(env, algo.net, rows, episodes, seed * 100_003 + g).fitness
        evaluations += len(rows)
        if fitness.max() >= config.fitness_threshold:
            return dict(solved=True, evaluations=evaluations, seconds=time.perf_counter() - start, generations=g + 1)
        algo.tell(fitness)
    return dict(solved=False, evaluations=evaluations, seconds=time.perf_counter() - start, generations=generations)


def warm_up(episodes: int) -> None:
    """Compile (or load) neuroevo's kernels once, as a user's first run does, before anything is timed."""
    ours("xor", 0, 1, episodes)
    ours("cartpole", 0, 1, episodes)


# -- neat-python ----------------------------------------------------------------------------------


class _Solved(Exception):
    pass


def theirs(task: str, seed: int, generations: int, episodes: int) -> dict:
    """One neat-python run, written as its users write one; the same result dict as :func:`ours`."""
    import neat
    path = config_file(task)
    config = neat.Config(neat.DefaultGenome, neat.DefaultReproduction, neat.DefaultSpeciesSet,
                         neat.DefaultStagnation, path)
    os.unlink(path)
    threshold = TASKS[task]["solved_at"]
    env = None
    if task == "cartpole":
        import gymnasium
        import envs.gym_wrappers  # noqa: F401  registers the neuroevo/ ids
        env = gymnasium.make("neuroevo/CartPole-v1")
        env.reset(seed=seed)
    state = {"evaluations": 0, "generations": 0}

    def play(net) -> float:
        obs, _ = env.reset()
        total, done = 0.0, False
        while not done:
            obs, reward, terminated, truncated, _ = env.step(int(np.argmax(net.activate(obs))))
            total += reward
            done = terminated or truncated
        return total

    def fitness(genomes, config):
        for _, genome in genomes:
            net = neat.nn.FeedForwardNetwork.create(genome, config)
            if env is None:
                genome.fitness = 4.0 - sum((net.activate(x)[0] - y) ** 2 for x, y in zip(XOR_IN.tolist(), XOR_OUT))
            else:
                genome.fitness = sum(play(net) for _ in range(episodes)) / episodes
        state["evaluations"] += len(genomes)
        state["generations"] += 1
        if max(g.fitness for _, g in genomes) >= threshold:
            raise _Solved

    start = time.perf_counter()
    population = neat.Population(config, seed=seed)
    try:
        population.run(fitness, generations)
        solved = False
    except _Solved:
        solved = True
    return dict(solved=solved, seconds=time.perf_counter() - start, **state)


# -- the table ---------------------------------------------------------------------------------------


def summary(runs: list) -> tuple:
    won = [r for r in runs if r["solved"]]
    if not won:
        return len(won), float("nan"), float("nan")
    return (len(won), statistics.median(r["evaluations"] for r in won), statistics.median(r["seconds"] for r in won))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--tasks", default="xor,cartpole")
    parser.add_argument("--generations", type=int, default=300, help="generations before a run counts as unsolved")
    parser.add_argument("--episodes", type=int, default=3, help="cartpole episodes per genome")
    parser.add_argument("--repeat", type=int, default=1, help="runs per seed and tool; the shortest wall time counts")
    args = parser.parse_args()
    print(describe(), flush=True)
    warm_up(args.episodes)
    print("| task | tool | solved | median evaluations to solve | median wall s to solve | neat-python / neuroevo |")
    print("| --- | --- | --- | --- | --- | --- |")
    for task in args.tasks.split(","):
        mine, other = [], []
        for seed in range(args.seeds):
            for runs, tool in ((mine, ours), (other, theirs)):
                tries = [tool(task, seed, args.generations, args.episodes) for _ in range(args.repeat)]
                runs.append(min(tries, key=lambda r: r["seconds"]))
        (n_a, e_a, t_a), (n_b, e_b, t_b) = summary(mine), summary(other)
        print(f"| {task} | neuroevo | {n_a}/{args.seeds} | {e_a:.0f} | {t_a:.3f} | |")
        print(f"| {task} | neat-python | {n_b}/{args.seeds} | {e_b:.0f} | {t_b:.3f} | {t_b / t_a:.1f}x wall |")


if __name__ == "__main__":
    main()
