"""Budgets: --max-steps, --max-evaluations and --max-seconds stop a run cleanly, with a checkpoint, saying which."""

import csv
import json

import numpy as np
import pytest

import evo
from evo.cli import main
from evo.runs.config import RunConfig, default_config
from evo.runs.rundir import RunDir, load_npz, save_npz

# a run that never reaches its target (cartpole's preset network: kernels other tests compile too)
LONG = ["cartpole", "--pop", "24", "--episodes", "1", "--hidden", "8", "--target", "1e9", "--generations", "40"]


def _log(d):
    with open(d / "log.csv") as f:
        return list(csv.DictReader(f))


def _run(tmp_path, name, *flags):
    d = tmp_path / name
    code = main(["run", *LONG, *flags, "--out", str(d), "--quiet"])
    return code, d


def test_max_evaluations_stops_after_the_generation_that_reaches_it(tmp_path, capsys):
    code, d = _run(tmp_path, "evals", "--max-evaluations", "50")
    out = capsys.readouterr().out
    assert code == 0
    assert "cartpole: the max_evaluations budget ended the run at generation 3: 72 genomes evaluated of 50" in out
    assert "not solved after 3 generations" in out.splitlines()[-1]
    rows = _log(d)
    assert [int(r["evaluations"]) for r in rows] == [24, 48, 72]
    run = RunDir(d).load_checkpoint()  # the checkpoint holds the stopped run
    assert run.generation == 3 and run.budget_spent == "max_evaluations" and run.finished
    assert run.config.max_evaluations == 50 and "max_evaluations = 50" in (d / "config.toml").read_text()


def test_max_steps_counts_every_environment_step(tmp_path, capsys):
    code, d = _run(tmp_path, "steps", "--max-steps", "600")
    out = capsys.readouterr().out
    assert code == 0 and "the max_steps budget ended the run" in out
    played = np.cumsum([int(r["env_steps"]) + int(r["validation_steps"]) for r in _log(d)])
    assert played[-1] >= 600 and (len(played) == 1 or played[-2] < 600)
    assert f": {played[-1]} environment steps played of 600" in out
    assert RunDir(d).load_checkpoint().generation == len(played)


def test_max_seconds_stops_the_run_after_a_generation(tmp_path, capsys):
    code, d = _run(tmp_path, "seconds", "--max-seconds", "1e-9")
    out = capsys.readouterr().out
    assert code == 0 and "the max_seconds budget ended the run at generation 1" in out
    assert len(_log(d)) == 1 and RunDir(d).load_checkpoint().generation == 1
    # a resumed run counts its seconds again: it plays one more generation
    assert main(["run", "--resume", str(d), "--quiet"]) == 0
    assert len(_log(d)) == 2 and "at generation 2" in capsys.readouterr().out


def test_a_budget_raised_on_resume_continues_to_the_same_files_as_an_unbroken_run(tmp_path, capsys):
    code, d = _run(tmp_path, "broken", "--max-evaluations", "48")
    assert code == 0 and len(_log(d)) == 2
    # resumed without a larger budget: nothing more to do, the same line again
    assert main(["run", "--resume", str(d), "--quiet"]) == 0
    assert "budget ended the run at generation 2" in capsys.readouterr().out and len(_log(d)) == 2
    assert main(["run", "--resume", str(d), "--max-evaluations", "96", "--quiet"]) == 0
    code, whole = _run(tmp_path, "whole", "--max-evaluations", "96")
    assert code == 0
    for name in ("log.csv", "champion.npz", "config.toml"):
        assert (d / name).read_bytes() == (whole / name).read_bytes(), name


def test_a_run_directory_from_before_evaluations_were_logged_resumes(tmp_path, capsys):
    code, d = _run(tmp_path, "old", "--generations", "2")
    assert code == 0
    code, whole = _run(tmp_path, "new", "--generations", "4")
    state = load_npz(d / "checkpoint.npz", "checkpoint")
    history = json.loads(str(state["history"]))
    state["history"] = np.array(json.dumps([{k: v for k, v in r.items() if k != "evaluations"} for r in history]))
    save_npz(d / "checkpoint.npz", state)
    assert main(["run", "--resume", str(d), "--generations", "4", "--quiet"]) == 0
    assert [int(r["evaluations"]) for r in _log(d)] == [24, 48, 72, 96]
    # the generations before the resume are logged as a run that always logged evaluations logs them
    assert _log(d)[0] == _log(whole)[0]
    assert [r["evaluations"] for r in _log(d)] == [r["evaluations"] for r in _log(whole)]


@pytest.mark.parametrize("flags, message", [
    (["--max-steps", "0"], "max_steps must be >= 1, got 0"),
    (["--max-evaluations", "-3"], "max_evaluations must be >= 1"),
    (["--max-seconds", "0"], "max_seconds must be > 0"),
    (["--max-seconds", "nan"], "max_seconds must be >= 0.0"),
])
def test_a_bad_budget_is_one_line_and_no_run_directory(tmp_path, capsys, flags, message):
    code, d = _run(tmp_path, "bad", *flags)
    err = capsys.readouterr().err
    assert code == 2 and message in err and err.count("\n") == 1 and not d.exists()


def test_budgets_in_a_config_file_and_in_python(tmp_path, capsys):
    (tmp_path / "b.toml").write_text('env = "cartpole"\nmax_steps = "many"\n')
    assert main(["run", "--config", str(tmp_path / "b.toml"), "--out", str(tmp_path / "x")]) == 2
    assert "max_steps must be an integer" in capsys.readouterr().err
    # unset budgets stay out of the files, which stay those of runs made before budgets existed
    assert "max_" not in default_config("cartpole").to_toml()
    config = RunConfig.from_dict({"max_seconds": 30}, base=default_config("cartpole")).validate()
    assert "max_seconds = 30" in config.to_toml()
    result = evo.evolve("cartpole", generations=30, pop_size=24, episodes=1, hidden=[8], target=1e9,
                        max_evaluations=48)
    assert result.generations == 2 and result.history[-1]["evaluations"] == 48
