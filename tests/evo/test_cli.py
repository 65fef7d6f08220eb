"""The neuroevo command line: files, resume, bad input."""

import csv
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from evo.cli import main

# A run that never reaches its target, so it goes the full number of generations.
# cartpole's preset network: the kernels the other tests compile
LONG = ["cartpole", "--pop", "24", "--episodes", "1", "--hidden", "8", "--target", "1e9"]


def cli(*args):
    return [sys.executable, "-m", "evo", *args]


def test_run_writes_a_complete_run_directory(tmp_path, capsys):
    out = tmp_path / "r"
    assert main(["run", *LONG, "--generations", "4", "--out", str(out), "--quiet"]) == 0
    summary = capsys.readouterr().out
    assert "not solved after 4 generations" in summary and str(out) in summary
    assert sorted(p.name for p in out.iterdir()) == [".lock", "best.npz", "champion.npz", "checkpoint.npz",
                                                      "config.toml", "fitness.png", "log.csv", "timing.csv"]
    with open(out / "log.csv") as f:
        rows = list(csv.DictReader(f))
    assert [int(r["generation"]) for r in rows] == [0, 1, 2, 3]
    assert set(rows[0]) == {"generation", "best", "mean", "median", "std", "min", "validation", "test",
                            "test_lower", "env_steps", "validation_steps", "evaluations"}
    # an unsolved run's champion is tested once, when the run ends
    assert [r["test"] != "" for r in rows] == [False, False, False, True]
    assert all(float(r["min"]) <= float(r["median"]) <= float(r["best"]) for r in rows)
    with np.load(out / "champion.npz", allow_pickle=False) as z:
        assert z["genome"].dtype == np.float32 and str(z["env"]) == "cartpole"
    assert (out / "fitness.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.slow  # a run until cartpole is solved
def test_run_solves_cartpole_with_defaults_and_eval_confirms(tmp_path, capsys):
    out = tmp_path / "solved"
    assert main(["run", "cartpole", "--out", str(out), "--quiet"]) == 0
    summary = capsys.readouterr().out
    assert "cartpole: solved" in summary and "over 1000 test episodes" in summary
    decided = summary.split(": ")[2].split(" over ")[0]  # "test mean 500, 95% lower bound 500 >= 475"
    assert decided.startswith("test mean ") and ">= 475" in decided
    assert main(["eval", str(out)]) == 0  # the champion's own test episodes: the same verdict, the same numbers
    line = capsys.readouterr().out
    assert "over the run's test episodes" in line and line.rstrip().endswith(f"solved: {decided}")
    assert main(["eval", str(out), "--episodes", "100", "--seed", "5"]) == 0
    assert "over 100 episodes" in capsys.readouterr().out


def test_print_config_feeds_back_in(tmp_path, capsys):
    assert main(["run", "flappy", "--pop", "64", "--hidden", "6,5", "--print-config"]) == 0
    text = capsys.readouterr().out
    assert 'env = "flappy"' in text and "pop_size = 64" in text and "hidden = [" in text
    path = tmp_path / "c.toml"
    path.write_text(text)
    assert main(["run", "--config", str(path), "--print-config"]) == 0
    assert capsys.readouterr().out == text
    # flags override the file
    assert main(["run", "--config", str(path), "--seed", "9", "--print-config"]) == 0
    assert "seed = 9" in capsys.readouterr().out


def test_config_file_sets_operators(tmp_path, capsys):
    path = tmp_path / "c.toml"
    path.write_text('env = "cartpole"\n[selection]\nname = "rank"\npressure = 1.8\n'
                    '[mutation]\nname = "gaussian"\nrate = 0.2\n[mutation.sigma]\nkind = "linear"\n'
                    'start = 0.3\nend = 0.05\ngenerations = 10\n')
    assert main(["run", "--config", str(path), "--print-config"]) == 0
    text = capsys.readouterr().out
    assert 'name = "rank"' in text and "pressure = 1.8" in text and 'kind = "linear"' in text


def test_envs_lists_every_game(capsys):
    import envs
    assert main(["envs"]) == 0
    text = capsys.readouterr().out
    for name in envs.names():
        assert name in text


def read(path):
    return path.read_bytes()


def wait_for_rows(log, n, proc, timeout=120):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if log.exists() and len(log.read_text().splitlines()) > n:
            return
        assert proc.poll() is None, "the run ended before it could be interrupted"
        time.sleep(0.02)
    raise AssertionError("the run made no progress")


@pytest.mark.slow  # child processes
def test_sigkill_and_resume_give_the_same_files_byte_for_byte(tmp_path):
    args = [*LONG, "--generations", "30", "--checkpoint-every", "4", "--quiet"]
    straight = tmp_path / "straight"
    subprocess.run(cli("run", *args, "--out", str(straight)), check=True, capture_output=True, timeout=300)
    killed = tmp_path / "killed"
    proc = subprocess.Popen(cli("run", *args, "--out", str(killed)), stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    wait_for_rows(killed / "log.csv", 11, proc)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert len((killed / "log.csv").read_text().splitlines()) < 31
    res = subprocess.run(cli("run", "--resume", str(killed), "--quiet"), capture_output=True, text=True,
                         timeout=300)
    assert res.returncode == 0, res.stderr
    for name in ("log.csv", "champion.npz", "checkpoint.npz", "config.toml"):
        assert read(killed / name) == read(straight / name), name


@pytest.mark.slow  # child processes
def test_ctrl_c_saves_a_checkpoint_and_resume_finishes(tmp_path):
    args = [*LONG, "--generations", "40", "--checkpoint-every", "100", "--quiet"]
    out = tmp_path / "r"
    proc = subprocess.Popen(cli("run", *args, "--out", str(out)), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    wait_for_rows(out / "log.csv", 3, proc)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130 and "--resume" in err and "Traceback" not in err
    stopped_at = len((out / "log.csv").read_text().splitlines()) - 1
    res = subprocess.run(cli("run", "--resume", str(out), "--quiet"), capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr
    rows = (out / "log.csv").read_text().splitlines()
    assert len(rows) == 41 and stopped_at < 40


@pytest.mark.slow  # a sweep of three runs in two child processes
def test_sweep_runs_every_seed_and_summarises(tmp_path, capsys):
    out = tmp_path / "sweep"
    code = main(["sweep", "cartpole", "--seeds", "0-2", "--jobs", "2", "--generations", "5", "--out", str(out)])
    assert code == 0
    with open(out / "summary.csv") as f:
        rows = list(csv.DictReader(f))
    assert [int(r["seed"]) for r in rows] == [0, 1, 2]
    assert all(r["solved"] in ("yes", "no") for r in rows)
    assert all((out / f"seed-{s}" / "champion.npz").exists() for s in range(3))
    assert "solved; summary in" in capsys.readouterr().out


@pytest.mark.parametrize("args,message", [
    (["run", "tetris"], "unknown game 'tetris'"),
    (["run", "cartpole", "--pop", "0"], "pop_size must be >= 1"),
    (["run", "cartpole", "--pop", "-5"], "pop_size must be >= 1"),
    (["run", "cartpole", "--generations", "x"], "invalid int value"),
    (["run", "cartpole", "--hidden", "16,a"], "comma-separated integers"),
    (["run"], "name a game"),
    (["eval", "/nonexistent/run"], "no champion at"),
    (["run", "--resume", "/nonexistent/run"], "no run directory at"),
    (["sweep", "cartpole", "--seeds", "x"], "expected seeds"),
    (["run", "cartpole", "--threads", "999"], "exceeds"),
    (["run", "cartpole", "--backend", "gpu"], "invalid choice: 'gpu'"),
    (["sweep", "cartpole", "--backend", "dask"], "invalid choice: 'dask'"),
])
def test_bad_input_is_one_line_and_exit_2(args, message, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(args) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert not (tmp_path / "runs").exists()


@pytest.mark.parametrize("toml,message", [
    ('env = "cartpole"\npop_size = [', "malformed TOML"),
    ('env = "cartpole"\npopulation = 10\n', "unknown config key 'population'"),
    ('env = "cartpole"\n[selection]\nname = "lottery"\n', "unknown selection 'lottery'"),
    ('env = "cartpole"\n[mutation]\nname = "gaussian"\nsigmaa = 1\n', "no parameter 'sigmaa'"),
    ('env = "cartpole"\n[env_params]\ngravity = "strong"\n', "must be a number"),
    ('env = "cartpole"\nelite = 1000\n', "leaves no room for children"),
])
def test_bad_config_file_is_one_line_and_exit_2(toml, message, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "c.toml"
    path.write_text(toml)
    assert main(["run", "--config", str(path)]) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1
    assert path.read_text() == toml and not (tmp_path / "runs").exists()


def test_corrupted_checkpoint_and_other_game_are_refused_untouched(tmp_path, capsys):
    out = tmp_path / "r"
    assert main(["run", *LONG, "--generations", "2", "--out", str(out), "--quiet"]) == 0
    capsys.readouterr()
    before = {p.name: read(p) for p in out.iterdir()}
    assert main(["run", "flappy", "--resume", str(out)]) == 2
    assert "is a run of 'cartpole', not 'flappy'" in capsys.readouterr().err
    ckpt = out / "checkpoint.npz"
    ckpt.write_bytes(before["checkpoint.npz"][: len(before["checkpoint.npz"]) // 2])
    assert main(["run", "--resume", str(out)]) == 2
    err = capsys.readouterr().err
    assert "corrupted checkpoint" in err and len(err.strip().splitlines()) == 1
    (out / "champion.npz").write_bytes(b"not a zip")
    assert main(["eval", str(out)]) == 2
    assert "corrupted champion" in capsys.readouterr().err
    after = {p.name: read(p) for p in out.iterdir()}
    assert after["log.csv"] == before["log.csv"] and after["config.toml"] == before["config.toml"]
    assert set(after) == set(before)


def test_run_refuses_a_non_empty_output_directory(tmp_path, capsys):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("keep me")
    assert main(["run", "cartpole", "--out", str(out)]) == 2
    assert "already exists" in capsys.readouterr().err
    assert [p.name for p in out.iterdir()] == ["notes.txt"]


@pytest.mark.slow  # child processes
def test_import_evo_is_light_and_keeps_its_public_names():
    code = ("import sys, evo; assert 'numba' not in sys.modules; import evo.kernels.evaluate, evo.runs.driver; "
            "from evo import evaluate, evolve, MLP, selection; assert callable(evaluate) and callable(evolve); "
            "assert evo.evaluate is evaluate is evo.kernels.evaluate.evaluate and selection.tournament")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                         env={**os.environ, "PYTHONPATH": os.path.dirname(os.path.dirname(os.path.dirname(
                             os.path.abspath(__file__))))})
    assert res.returncode == 0, res.stderr


@pytest.mark.slow  # child processes
def test_version_and_python_dash_m_evo():
    env = {**os.environ, "PYTHONPATH": os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))}
    res = subprocess.run([sys.executable, "-m", "evo", "--version"], capture_output=True, text=True, timeout=120,
                         env=env)
    assert res.returncode == 0 and res.stdout.startswith("neuroevo ")


@pytest.mark.parametrize("args,message", [
    (["run", "flapy"], "did you mean 'flappy'?"),
    (["run", "cartpole", "--popp", "3"], "did you mean --pop?"),
    (["run", "cartpole", "--pop", "1"], "a population of 1 leaves no room"),
])
def test_typos_and_small_populations_are_explained(args, message, capsys):
    assert main(args) == 2
    assert message in capsys.readouterr().err


def test_game_names_are_case_insensitive(capsys):
    assert main(["run", "CartPole", "--print-config"]) == 0
    assert 'env = "cartpole"' in capsys.readouterr().out


def test_timing_has_per_generation_seconds(tmp_path, capsys):
    out = tmp_path / "r"
    assert main(["run", *LONG, "--generations", "3", "--out", str(out), "--quiet"]) == 0
    with open(out / "timing.csv") as f:
        rows = list(csv.DictReader(f))
    assert [int(r["generation"]) for r in rows] == [0, 1, 2]
    seconds = [float(r["seconds"]) for r in rows]
    walls = [float(r["wall_seconds"]) for r in rows]
    assert all(s > 0 for s in seconds) and walls == sorted(walls) and walls[-1] >= sum(seconds) - 1e-3
    assert [r["backend"] for r in rows] == ["local"] * 3


def test_eval_reports_each_test_track_and_env_param_picks_one(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "racer"
    assert main(["run", "racer", "--generations", "1", "--pop", "8", "--episodes", "1", "--hidden", "16",
                 "--out", str(out), "--quiet"]) == 0
    test = float(capsys.readouterr().out.split("test mean ")[1].split(",")[0])
    assert main(["eval", str(out)]) == 0  # the run's test episodes: its test score is the worst track's mean
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "racer: the run's test episodes on each test set"
    means = {line.split()[0]: float(line.split()[1]) for line in lines[1:4]}
    assert list(means) == ["oval", "kidney", "hairpin"]
    assert lines[4].startswith(f"worst set: not solved: test mean {min(means.values()):.4g}, 95% lower bound ")
    assert min(means.values()) == pytest.approx(test, rel=1e-3)
    assert main(["eval", str(out), "--episodes", "5", "--env-param", "track=kidney", "--env-param",
                 "half_width=5"]) == 0
    line = capsys.readouterr().out
    assert line.startswith("racer with track=kidney half_width=5: ") and "over 5 episodes" in line
    for bad, message in ((["--env-param", "warp=2"], "unknown parameter 'warp'"),
                         (["--env-param", "track"], "expected KEY=VALUE"),
                         (["--env-param", "track=monza"], "unknown track 'monza'")):
        for command in ("eval", "replay", "record"):
            assert main([command, str(out), *bad]) == 2
            err = capsys.readouterr().err
            assert message in err and len(err.strip().splitlines()) == 1, (command, err)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["racer"]  # nothing recorded


def test_the_sweep_pool_hands_back_each_process_as_it_ends(tmp_path):
    from evo.runs.sweep import run_processes

    flag = tmp_path / "second-handed-back"
    waits = ("import pathlib, sys, time\nfor _ in range(600):\n    if pathlib.Path(sys.argv[1]).exists(): break\n"
             "    time.sleep(0.1)\nprint('first'); sys.exit(3)")
    commands = [("a", [sys.executable, "-c", waits, str(flag)]),  # ends only once the second was handed back
                ("b", [sys.executable, "-c", "print('second')"]),
                ("c", [sys.executable, "-c", "print('third')"])]
    seen = []

    def handed_back(key, code, text):
        seen.append((key, code, text))
        if key == "b":
            flag.touch()

    run_processes(commands, 2, handed_back)
    assert seen[0] == ("b", 0, "second") and sorted(seen) == [("a", 3, "first"), ("b", 0, "second"),
                                                              ("c", 0, "third")]


# -- the words of the command line ----------------------------------------------------------


def test_resume_names_the_flag_it_refuses(tmp_path, capsys):
    from evo.cli import build_parser
    from evo.runs.commands import CONFIG_FLAGS, flag_name

    out = tmp_path / "r"
    assert main(["run", *LONG, "--generations", "1", "--out", str(out), "--quiet"]) == 0
    capsys.readouterr()
    assert main(["run", "--resume", str(out), "--pop", "30"]) == 2
    err = capsys.readouterr().err
    assert "it does not take --pop (start a new run" in err and "--pop-size" not in err
    flags = {o for a in build_parser()._subparsers._group_actions[0].choices["run"]._actions for o in a.option_strings}
    assert {flag_name(k) for k in CONFIG_FLAGS} <= flags  # every flag a refusal can name exists


def test_debug_is_taken_after_the_command_and_a_misplaced_flag_says_where_it_goes(tmp_path, capsys):
    assert main(["run", *LONG, "--generations", "1", "--out", str(tmp_path / "r"), "--quiet", "--debug"]) == 0
    assert main(["eval", str(tmp_path / "r"), "--episodes", "3", "--debug"]) == 0
    capsys.readouterr()
    assert main(["run", "cartpole", "--version"]) == 2
    err = capsys.readouterr().err
    assert "unrecognized arguments: --version (--version goes before the command: neuroevo --version" in err
    assert "did you mean --version" not in err


def test_the_memory_refusal_names_the_setting_that_decides(capsys):
    assert main(["run", "cartpole", "--pop", "100000000000", "--episodes", "1"]) == 2
    assert "a generation of pop_size 100000000000 x episodes 1 would need about" in capsys.readouterr().err


def test_the_memory_refusal_of_a_test_names_test_episodes(tmp_path, capsys):
    path = tmp_path / "c.toml"
    path.write_text('env = "cartpole"\ntest_episodes = 100000000000\n')
    assert main(["run", "--config", str(path)]) == 2
    err = capsys.readouterr().err
    assert "test_episodes 100000000000 (each champion's test) would need about" in err and "pop_size" not in err


def test_a_misspelt_algorithm_gets_a_suggestion(capsys):
    assert main(["run", "cartpole", "--algorithm", "cma-es"]) == 2
    assert "unknown algorithm 'cma-es' (did you mean cmaes?); known: ga" in capsys.readouterr().err
    assert main(["run", "cartpole", "--algorithm", "SepCMAES"]) == 2
    assert "(did you mean sep_cmaes?)" in capsys.readouterr().err


def test_help_names_every_algorithm_and_the_solved_rule_and_quiet_means_one_thing(capsys):
    from evo.algorithms.registry import names
    from evo.cli import build_parser

    runs = build_parser()._subparsers._group_actions[0].choices
    helps = {name: {a.dest: a.help for a in p._actions} for name, p in runs.items()}
    for name in names():
        assert name in helps["run"]["algorithm"], name
    target = helps["run"]["target"]
    assert "lower end of the 95%%" in target and "test episodes" in target and "validation" not in target
    assert helps["run"]["quiet"] == helps["watch"]["quiet"] == helps["sweep"].get("quiet", helps["run"]["quiet"])
    assert "last line" in helps["run"]["quiet"]
