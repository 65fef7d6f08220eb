"""A game outside the package: register it, check it, run it, watch it; and what the checker catches."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
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


@pytest.mark.slow  # check-game compiles the game's functions, then a run, eval and watch
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


@pytest.mark.slow  # a child process
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


# -- what a game declares beside its kernels: preset, labels, keys, drawing ------------------------------


def _docs_example(tmp_path) -> Path:
    """The complete game of docs/games.md (the block after ``<!-- file: seeker.py -->``), written out."""
    text = (ROOT / "docs" / "games.md").read_text()
    after = text.split("<!-- file: seeker.py -->", 1)[1]
    source = after.split("```python\n", 1)[1].split("\n```", 1)[0]
    path = tmp_path / "seeker.py"
    path.write_text(source + "\n")
    return path


@pytest.fixture
def seeker(monkeypatch, tmp_path):
    path = _docs_example(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setitem(envs._GAMES, "seeker", "seeker")
    envs.register("seeker", "seeker")
    yield path
    sys.modules.pop("seeker", None)


def test_the_docs_game_declares_its_preset_labels_keys_and_drawing(seeker, tmp_path, capsys):
    from evo.runs.config import default_config

    assert all(f.ok for f in check_game(str(seeker))), [f for f in check_game(str(seeker)) if not f.ok]
    declared = envs.declaration("seeker")
    assert declared.preset == {"generations": 30, "pop_size": 64, "episodes": 3, "hidden": [8]}
    config = default_config("seeker")
    assert (config.pop_size, config.hidden, config.generations) == (64, [8], 30)
    env = envs.make("seeker")
    assert declared.labels(env.params, env.num_outputs) == ("stay", "left", "right", "down", "up")
    assert main(["run", "seeker", "--print-config"]) == 0
    assert "pop_size = 64" in capsys.readouterr().out

    pygame = pytest.importorskip("pygame")
    os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
    from viz.drawing import ShapeRenderer
    from viz.play import Play, human_action
    from viz.renderers import render_rgb, renderer_for
    from viz.window import open_window

    r = renderer_for(env)
    assert isinstance(r, ShapeRenderer) and r.action_names == declared.labels(env.params, 5)
    batch = env.batch(1, seed=0)
    batch.reset()
    frame = render_rgb(env, batch.states[0])
    assert frame.std() > 0 and "from the target" in r.info(batch.states[0])

    class Held:
        def __init__(self, *keys):
            self.keys = set(keys)

        def __getitem__(self, k):
            return k in self.keys

    assert human_action(env, Held(pygame.K_UP), set())[0] == 4
    assert human_action(env, Held(), set())[0] == 0
    game = Play(env, open_window((480, 360)), frame_time=1 / 60)
    start = batch.states[0].copy()
    game.run(frames=30, keys={f: (pygame.K_UP,) for f in range(30)})
    assert game.batch.states[0, 1] > start[1]  # up moved the dot up


def test_a_game_declaring_nothing_gets_generic_labels_drawing_and_keys(walker, tmp_path):
    env = envs.make("walker")
    declared = envs.declaration("walker")
    assert declared.preset == {} and declared.controls is None and declared.drawing is None
    assert declared.labels(env.params, env.num_outputs) == ("out 0", "out 1")
    pygame = pytest.importorskip("pygame")
    os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
    from viz.drawing import ObservationRenderer
    from viz.play import controls_for, human_action
    from viz.renderers import renderer_for

    assert isinstance(renderer_for(env), ObservationRenderer)
    assert set(controls_for(env).keys) >= {"1", "2", "left", "right"}
    held = type("Held", (), {"__getitem__": lambda self, k: k == pygame.K_RIGHT})()
    assert human_action(env, held, set())[0] == 1
    assert main(["play", "walker", "--frames", "5", "--screenshot", str(tmp_path / "p.png")]) == 0


def test_registration_declares_over_the_module(walker, monkeypatch):
    from evo.runs.config import default_config

    monkeypatch.setitem(envs._GAMES, "walker_fast", "walker")
    monkeypatch.setitem(envs._DECLARED, "walker_fast", {})
    envs.register("walker_fast", "walker", preset={"pop_size": 20}, action_names=("left", "right"))
    assert default_config("walker_fast").pop_size == 20
    assert envs.declaration("walker_fast").labels(None, 2) == ("left", "right")
    envs.declaration("walker_fast").preset["pop_size"] = 99  # a copy: the registration keeps its own
    assert default_config("walker_fast").pop_size == 20
    with pytest.raises(ValueError, match="preset must be a dict"):
        envs.register("walker_bad", "walker", preset=[("pop_size", 20)])


def test_every_built_in_game_declares_its_preset_and_labels():
    from evo.runs.config import default_config

    for name in envs.names():
        declared = envs.declaration(name)
        env = envs.make(name)
        assert declared.preset, name
        assert not declared.labels(env.params, env.num_outputs)[0].startswith("out "), name
        assert default_config(name).pop_size == declared.preset["pop_size"], name
    assert default_config("gym:CartPole-v1").pop_size == 256  # no preset: the general default
    assert envs.declaration("cartpole").controls.keys == {"left": 0, "right": 1}


def test_gymnasium_frames_come_from_the_renderer_registered_with_the_adapter(monkeypatch):
    gymnasium = pytest.importorskip("gymnasium")
    from envs import gym_wrappers

    assert envs.declaration(envs.make("gym:CartPole-v1")) == envs.Declaration(preset={})
    monkeypatch.setattr(gym_wrappers, "_rgb_renderer", [])
    env = gymnasium.make("neuroevo/CartPole-v1", render_mode="rgb_array")
    env.reset(seed=0)
    frame = env.unwrapped.render()  # the viewer's renderer, declared as an installed entry point
    assert frame.dtype == np.uint8 and frame.ndim == 3 and frame.shape[2] == 3 and frame.std() > 0
    import importlib.metadata
    monkeypatch.setattr(gym_wrappers, "_rgb_renderer", [])
    monkeypatch.setattr(importlib.metadata, "entry_points", lambda group: [])
    with pytest.raises(RuntimeError, match="set_rgb_renderer"):
        env.unwrapped.render()
    gym_wrappers.set_rgb_renderer(lambda game, state: np.full((2, 3, 3), int(state[0] == state[0]), np.uint8))
    assert env.unwrapped.render().shape == (2, 3, 3)
    with pytest.raises(ValueError, match="callable"):
        gym_wrappers.set_rgb_renderer("not a function")


@pytest.mark.parametrize("old,new,message", [
    ('ACTION_NAMES = ("stay", "left", "right", "down", "up")', 'ACTION_NAMES = ("left", "right")', "5 strings"),
    ('"up": 4}', '"up": 5}', "action index below 5"),
    ("canvas.dot((state[X], state[Y]), 2.0)", "canvas.dot((state[X], state[Z]), 2.0)", "DRAWING fails: NameError"),
    ("box=(-1.1, 1.1, -1.1, 1.1)", "box=(1.1, -1.1, -1.1, 1.1)", "x0 < x1"),
    ('PRESET = {"generations"', 'PRESET = {3: 1, "generations"', "PRESET must be a dict"),
])
def test_the_checker_tries_what_a_game_declares(old, new, message, tmp_path):
    source = _docs_example(tmp_path).read_text()
    assert old in source
    path = tmp_path / f"seeker_broken_{abs(hash(new)) % 10**6}.py"
    path.write_text(source.replace(old, new))
    findings = {f.check: f for f in check_game(str(path))}
    assert not findings["declarations"].ok and message in findings["declarations"].detail, findings["declarations"]


def test_a_game_made_from_its_module_without_registering_reads_the_module(tmp_path):
    from envs.check import load
    from envs.core import Env

    source = _docs_example(tmp_path).read_text()
    path = tmp_path / "seeker_unregistered.py"
    path.write_text(source)
    try:
        env = Env(load(str(path)))
        declared = envs.declaration(env)
        assert declared.preset["pop_size"] == 64 and declared.drawing is not None
        assert declared.labels(env.params, env.num_outputs)[4] == "up"
    finally:
        sys.modules.pop("seeker_unregistered", None)
