"""A game outside the package: register it, check it, run it, watch it; and what the checker catches."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import envs
from envs.check import check_game
from evo.cli import main

HERE = Path(__file__).resolve().parent / "example_game"
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def walker(monkeypatch):
    monkeypatch.syspath_prepend(str(HERE))
    monkeypatch.setitem(envs._GAMES, "walker", "walker")  # the registration below ends with the test
    envs.register("walker", "walker")
    return "walker"


def test_register_check_run_eval_and_watch(walker, tmp_path, capsys):
    assert main(["check-game", "walker"]) == 0
    out = capsys.readouterr().out
    assert "all checks pass" in out and "FAIL" not in out
    run = tmp_path / "run"
    assert main(["run", "walker", "--pop", "32", "--generations", "5", "--out", str(run), "--quiet"]) == 0
    assert main(["eval", str(run)]) == 0
    os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
    assert main(["watch", "walker", "--pop", "8", "--frames", "20", "--screenshot", str(tmp_path / "w.png")]) == 0
    assert (tmp_path / "w.png").is_file() and "walker" in envs.names()


BROKEN = [
    ("obs_size=2,", "obs_size=3,", "spec", "obs_low must be a tuple of obs_size (3) entries"),
    ("PARAM_RANGES = ((0.01, 0.5),)", "PARAM_RANGES = ((0.1, 0.5),)", "parameters", "outside its range"),
    ("    obs[1] = state[GOAL]", "    obs[1] = state[GOAL] + undefined_name", "kernels compile", "undefined_name"),
    ("    obs[0] = state[POSITION]", "    obs[0] = state[POSITION] * 5.0", "observations inside", "position"),
    ("    state[POSITION] = 0.0\n", "", "reset sets the whole state", "NaN"),
    ("    obs[1] = state[GOAL]", "    obs[1] = state[GOAL]\n    state[GOAL] += 0.0 * obs[0] + 1e-9",
     "observe leaves the state alone", "wrote into the state"),
    ("    state[GOAL] = _rng.uniform(rng, -0.9, 0.9)", "    state[GOAL] = np.random.uniform(-0.9, 0.9)",
     "same key, same episode", "differ"),
]


@pytest.mark.parametrize("old,new,check,message", BROKEN)
def test_the_checker_names_what_is_wrong(old, new, check, message, tmp_path):
    source = (HERE / "walker.py").read_text()
    assert old in source
    path = tmp_path / f"broken_{abs(hash((old, new))) % 10**6}.py"
    path.write_text(source.replace(old, new))
    findings = {f.check: f for f in check_game(str(path))}
    failing = [f for f in findings.values() if not f.ok]
    assert any(f.check.startswith(check) and message in f.detail for f in failing), failing


def test_a_missing_module_is_bad_input(capsys):
    assert main(["check-game", "no_such_module_anywhere"]) == 2
    assert "no module named" in capsys.readouterr().err


def test_registration_is_checked():
    for bad in ("Bad Name", "cartpole", 3):
        with pytest.raises(ValueError):
            envs.register(bad, "walker")
    with pytest.raises(ValueError, match="dotted module name"):
        envs.register("ok_name", "not a module")


def test_an_installed_packages_games_appear_through_its_entry_point(tmp_path):
    site = tmp_path / "site"
    dist = site / "walkergame-1.0.dist-info"
    dist.mkdir(parents=True)
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: walkergame\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text("[neuroevo.envs]\nwalker = walker\n")
    shutil.copy(HERE / "walker.py", site / "walker.py")
    code = "import envs; print(envs.names()[-1]); print(envs.make('walker').obs_size)"
    env = {**os.environ, "PYTHONPATH": f"{site}{os.pathsep}{ROOT}"}
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert res.returncode == 0, res.stderr
    assert res.stdout.split() == ["walker", "2"]
