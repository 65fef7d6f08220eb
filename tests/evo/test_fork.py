"""Runs that fork: neuroevo run --from RUN [--champion] [changed settings], and evolve(init=...)."""

import numpy as np
import pytest

import evo
from evo.cli import main
from evo.runs.config import tomllib
from evo.runs.rundir import RunDir

LONG = ["cartpole", "--pop", "24", "--episodes", "1", "--hidden", "8", "--target", "1e9"]


@pytest.fixture(scope="module")
def parent(tmp_path_factory):
    """A finished run of three generations, to fork."""
    d = tmp_path_factory.mktemp("fork") / "parent"
    assert main(["run", *LONG, "--generations", "3", "--out", str(d), "--quiet"]) == 0
    return d


def _config(d):
    return tomllib.loads((d / "config.toml").read_text())


def test_a_fork_starts_from_the_parents_last_population_and_records_its_parent(parent, tmp_path):
    out = tmp_path / "fork"
    assert main(["run", "--from", str(parent), "--generations", "2", "--seed", "5", "--out", str(out),
                 "--quiet"]) == 0
    config = _config(out)
    assert config["parent"] == {"run": str(parent), "generation": 3, "start": "population"}
    assert config["seed"] == 5 and config["generations"] == 2 and config["hidden"] == [8]  # changed, and kept
    assert config["pop_size"] == 24 and config["target"] == 1e9 and "parent" not in _config(parent)
    # the fork plays the parent's next population first: the same genomes, in the same order
    parent_run = RunDir(parent).load_checkpoint()
    first = evo.runs.driver.Evolution(RunDir(out).load_checkpoint().config, init=parent_run.algorithm.ask())
    assert first.algorithm.ask().tobytes() == parent_run.algorithm.ask().tobytes()


def test_the_forks_first_generation_plays_the_parents_genomes(parent, tmp_path):
    out = tmp_path / "fork0"
    assert main(["run", "--from", str(parent), "--generations", "1", "--out", str(out), "--quiet"]) == 0
    parent_run = RunDir(parent).load_checkpoint()
    # the fork's first generation played the parent's next population: its best genome is one of them
    fork_run = RunDir(out).load_checkpoint()
    assert any(np.array_equal(fork_run.bests[0], g) for g in parent_run.algorithm.ask())


def test_a_fork_from_the_champion_plays_copies_of_it_and_a_strategy_starts_at_it(parent, tmp_path):
    parent_run = RunDir(parent).load_checkpoint()
    out = tmp_path / "champ"
    assert main(["run", "--from", str(parent), "--champion", "--pop", "30", "--generations", "1",
                 "--out", str(out), "--quiet"]) == 0
    run = RunDir(out).load_checkpoint()
    assert _config(out)["parent"]["start"] == "champion" and run.config.pop_size == 30
    assert np.array_equal(run.bests[0], parent_run.champion)  # every genome was the champion
    config = run.config
    config.algorithm = {"name": "cmaes"}
    es = evo.runs.driver.Evolution(config.validate(), init=parent_run.champion)
    assert np.array_equal(es.algorithm.mean, parent_run.champion.astype(np.float64))


def test_evolve_starts_from_given_genomes():
    genomes = np.random.default_rng(0).normal(size=(3, 58)).astype(np.float32)
    seen = []
    hook = evo.runs.loggers.Callbacks(after_evaluation=lambda run, result: seen.append(run.algorithm.ask().copy()))
    evo.evolve("cartpole", generations=1, pop_size=7, episodes=1, hidden=[8], target=1e9, init=genomes, hooks=[hook])
    assert np.array_equal(seen[0], np.resize(genomes, (7, 58)))
    with pytest.raises(ValueError, match="init must be finite genomes of 58 genes"):
        evo.evolve("cartpole", generations=1, pop_size=7, hidden=[8], init=np.zeros((2, 5)))


@pytest.mark.parametrize("flags, message", [
    (["--hidden", "4"], "the fork's network has 30 genes and"),
    (["--resume", "{parent}"], "--from starts a new run and --resume continues one"),
    (["mountaincar"], "is a run of 'cartpole', not 'mountaincar'"),
    (["--out", "{parent}"], "already exists and is not empty"),
])
def test_a_fork_that_cannot_be_is_one_line(parent, tmp_path, capsys, flags, message):
    flags = [f.format(parent=parent) for f in flags]
    before = sorted(p.name for p in parent.iterdir())
    out = [] if "--out" in flags or "--resume" in flags else ["--out", str(tmp_path / "x")]
    assert main(["run", "--from", str(parent), *flags, *out, "--quiet"]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1 and not (tmp_path / "x").exists()
    assert sorted(p.name for p in parent.iterdir()) == before


def test_champion_without_from_and_a_missing_parent(tmp_path, capsys):
    assert main(["run", *LONG, "--champion", "--out", str(tmp_path / "x")]) == 2
    assert "--champion goes with --from RUN" in capsys.readouterr().err
    assert main(["run", "--from", str(tmp_path / "nowhere"), "--out", str(tmp_path / "x")]) == 2
    assert "no run directory at" in capsys.readouterr().err
