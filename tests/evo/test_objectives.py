"""Several objectives end to end: the objectives beside a game's return, runs that play them with NSGA-II,
their log columns, resumes, best.npz, fitness.png's front and the viewer's front panel."""

import csv

import numpy as np
import pytest
from PIL import Image

import envs
from envs import racer
from evo.cli import main
from evo.operators import selection
from evo.runs import objectives as O
from evo.runs.config import RunConfig, default_config
from evo.runs.driver import LOG_COLUMNS, Driver, Evolution
from evo.runs.latest import check_best
from evo.runs.plot import _FIRST, fitness_png
from evo.runs.loggers import Callbacks
from evo.runs.rundir import RunDir, RunFiles, load_npz

# cartpole's preset network (4-8-2), a small population
SMALL = ["cartpole", "--pop", "16", "--episodes", "2", "--target", "1e9"]


def config(game="cartpole", **settings) -> RunConfig:
    base = {"pop_size": 16, "episodes": 2, "target": 1e9, "validation_episodes": 5, "generations": 3}
    return RunConfig.from_dict({**base, **settings}, base=default_config(game))


def read_log(path):
    with open(path / "log.csv", newline="") as f:
        return list(csv.reader(f))


def test_genome_objectives_and_the_racer_s_pace_are_what_they_say():
    g = np.array([[0.5, -0.05, 0.0, -2.0], [0.1, 0.099, -0.1, 0.0]], dtype=np.float32)
    assert np.allclose(O.l1(g), [2.55, 0.299], atol=1e-6)
    assert list(O.size(g)) == [2.0, 2.0]  # |w| >= 0.1 counts: 0.5 and -2.0, 0.1 and -0.1
    params = racer.default_params()
    returns, steps = np.array([[1.0, 0.5]]), np.array([[600, 1]])  # 1 lap in 30 s; half a lap in one step
    dt = params[racer.DT]
    assert np.allclose(racer.pace(returns, steps, params), [[60.0 / (600 * dt), 0.5 * 60.0 / dt]])
    assert racer.pace(np.zeros((1, 1)), np.zeros((1, 1), dtype=np.int64), params)[0, 0] == 0.0  # no step: no pace


def test_the_algorithm_is_told_every_objective_maximised_and_the_log_shows_them_as_they_are():
    env = envs.make("racer")
    objectives = O.Objectives(["pace", "size"], env)
    assert objectives.directions == ("max", "max", "min")
    genomes = np.array([[1.0, 0.0], [0.2, 0.3], [0.0, 0.0]], dtype=np.float32)
    returns, steps = np.array([[1.0], [0.5], [0.0]]), np.array([[1000], [100], [50]])
    fitness = returns.mean(axis=1)
    told = objectives.told(genomes, returns, steps, fitness)
    pace = racer.pace(returns, steps, env.params)[:, 0]
    assert np.array_equal(told, np.column_stack([fitness, pace, -O.size(genomes)]))
    row = objectives.columns(told)
    assert list(row) == ["best_pace", "mean_pace", "best_size", "mean_size", "front"]
    assert row["best_pace"] == pace.max() and row["best_size"] == 0.0 and row["mean_size"] == 1.0
    assert row["front"] == int((selection.non_dominated_sort(told) == 0).sum()) == 3  # no row dominates another
    alone = O.Objectives([], env)
    assert alone.told(genomes, returns, steps, fitness) is fitness and alone.columns(fitness) == {}


@pytest.mark.parametrize("settings, message", [
    ({"objectives": ["speed"]}, "cartpole has no objective 'speed'; known: l1, size"),
    ({"objectives": ["size", "size"]}, "names one twice"),
    ({"objectives": ["return"]}, "always the first"),
    ({"objectives": "size"}, "must be a list"),
    ({"objectives": ["size"], "algorithm": "cmaes"}, "need the GA's nsga2 replacement"),
    ({"objectives": ["size"], "algorithm": {"name": "ga", "replacement": "plus"}}, "need the GA's nsga2"),
])
def test_bad_objectives_are_one_line(settings, message):
    with pytest.raises(ValueError, match=message):
        Evolution(config(**settings))


def test_a_run_of_one_objective_writes_what_it_wrote_before():
    c = config()
    assert "objectives" not in c.to_toml() and c.validate().algorithm.get("replacement") == "generational"
    run = Evolution(c)
    row = run.step()
    assert tuple(row) == LOG_COLUMNS and np.ndim(run.algorithm.last_fitness) == 1
    assert run.objectives.front(run.algorithm) is None


def test_objectives_choose_nsga2_and_a_run_tells_it_every_objective():
    run = Evolution(config(objectives=["size", "l1"]))
    assert run.config.algorithm["replacement"] == "nsga2" and "objectives = [" in run.config.to_toml()
    genomes = np.array(run.algorithm.ask())
    r = run.evaluate()
    row = run.step(r.returns, r.steps)
    told = run.algorithm.last_fitness
    assert np.array_equal(told, np.column_stack([r.fitness, -O.size(genomes), -O.l1(genomes)]))
    assert row["best_size"] == O.size(genomes).min() and row["mean_l1"] == O.l1(genomes).mean()
    names, values, ranks = run.objectives.front(run.algorithm)
    assert names == ("return", "size (minimised)", "l1 (minimised)")
    assert np.array_equal(values, -run.algorithm.parents_fitness * [-1, 1, 1])
    assert np.array_equal(ranks, selection.non_dominated_sort(run.algorithm.parents_fitness))


def test_a_racer_run_logs_its_pace(game_envs):
    run = Evolution(config("racer", objectives=["pace"], pop_size=8, episodes=1, test_episodes=5))
    r = run.evaluate()
    row = run.step(r.returns, r.steps)
    pace = racer.pace(r.returns, r.steps, run.env.params).mean(axis=1)
    assert row["best_pace"] == pace.max() and row["mean_pace"] == pace.mean()
    assert np.array_equal(run.algorithm.last_fitness[:, 1], pace)


def test_a_run_of_several_objectives_writes_resumes_and_draws_them(tmp_path):
    whole, part = tmp_path / "whole", tmp_path / "part"
    flags = [*SMALL, "--objectives", "size,l1", "--quiet"]
    assert main(["run", *flags, "--generations", "4", "--out", str(whole)]) == 0
    interrupted = Evolution(config(objectives=["size", "l1"], generations=4, validation_episodes=100))
    rundir = RunDir(part)
    rundir.create(interrupted)
    stop = Callbacks(generation_end=lambda run, row, seconds: row["generation"] < 1)  # stopped after two
    Driver(interrupted, [RunFiles(rundir, timing=[]), stop]).drive()
    rundir.unlock()
    assert len(read_log(part)) == 3
    assert main(["run", "--resume", str(part), "--generations", "4", "--quiet"]) == 0
    log = read_log(whole)
    extra = ["best_size", "mean_size", "best_l1", "mean_l1", "front"]
    assert log[0] == [*LOG_COLUMNS, *extra] and len(log) == 5
    assert (whole / "log.csv").read_bytes() == (part / "log.csv").read_bytes()  # resumed: the same run
    assert (whole / "fitness.png").read_bytes() == (part / "fitness.png").read_bytes()
    image = np.asarray(Image.open(whole / "fitness.png").convert("RGB"))
    assert image.shape == (420, 1440, 3)  # the curve, and the front beside it
    assert (image[:, 720:] == _FIRST).all(axis=2).sum() > 20  # the first front, highlighted
    best = check_best(load_npz(whole / "best.npz", "best"), 4 * 8 + 8 + 8 * 2 + 2, whole / "best.npz")
    run = RunDir(whole).load_checkpoint()
    assert best.generation == 3 and np.array_equal(best.genome, run.bests[3])
    assert best.front[0] == ("return", "size (minimised)", "l1 (minimised)")
    assert np.array_equal(best.front[1], run.objectives.front(run.algorithm)[1])


def test_a_history_must_carry_the_objective_columns_of_its_config(tmp_path):
    run = Evolution(config(objectives=["size"]))
    run.step()
    state = run.state_dict()
    Evolution.from_state_dict(state)  # its own: fine
    plain = Evolution(config())
    plain.step()
    broken = {**plain.state_dict(), "config": state["config"], **{k: v for k, v in state.items()
                                                                 if k.startswith("algorithm/")}}
    with pytest.raises(ValueError, match="history row 0 is malformed"):
        Evolution.from_state_dict(broken)


def test_fitness_png_of_one_objective_is_the_curve_alone():
    history = [{"generation": g, "best": float(g), "mean": g / 2, "validation": None} for g in range(3)]
    assert Image.open(__import__("io").BytesIO(fitness_png(history))).size == (720, 420)


def test_a_bad_objective_on_the_command_line_is_one_line_and_writes_nothing(tmp_path, capsys):
    out = tmp_path / "r"
    assert main(["run", *SMALL, "--objectives", "pace", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "cartpole has no objective 'pace'; known: l1, size" in err and len(err.strip().splitlines()) == 1
    assert main(["run", *SMALL, "--objectives", "size", "--algorithm", "cmaes", "--out", str(out)]) == 2
    assert "this run's algorithm is cmaes" in capsys.readouterr().err
    assert not out.exists()


def test_a_fork_that_adds_objectives_plays_nsga2():
    from evo.runs.fork import fork_config
    parent = Evolution(config())
    child = fork_config(parent, "runs/p", False, {}, {"objectives": ["size"]})
    assert child.objectives == ["size"] and child.algorithm["replacement"] == "nsga2"
    assert fork_config(parent, "runs/p", False, {}, {"pop_size": 12}).algorithm["replacement"] == "generational"
    with pytest.raises(ValueError, match="this run's algorithm is cmaes"):
        fork_config(parent, "runs/p", False, {}, {"objectives": ["size"], "algorithm": "cmaes"})


def test_a_game_s_objective_is_checked():
    class Game:
        name = "toy"
        params = np.zeros(1)

        class module:
            OBJECTIVES = {"bad": (len, "up"), "flat": (lambda returns, steps, params: returns.mean(axis=1), "max")}

    with pytest.raises(ValueError, match=r"toy's OBJECTIVES\['bad'\] must be"):
        O.Objectives(["bad"], Game())
    with pytest.raises(ValueError, match="objective 'flat' gave shape \\(2,\\), expected one value per episode"):
        O.Objectives(["flat"], Game()).values(np.zeros((2, 3)), np.zeros((2, 4)), np.ones((2, 4), dtype=np.int64))
