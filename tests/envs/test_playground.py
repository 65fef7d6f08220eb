"""The playground: data sets, their fixed splits, accuracy as the return, the held-out test split."""

import importlib
import subprocess
import sys

import numpy as np
import pytest

import envs
from envs import playground
from evo import MLP, rollout

TASKS = ("xor", "circles", "spirals", "blobs", "iris")


@pytest.mark.parametrize("name", TASKS)
def test_data_and_split(name, game_envs):
    env = game_envs[name]
    x_tr, y_tr = playground.data(env.params, test=False)
    x_te, y_te = playground.data(env.params, test=True)
    k = int(env.params[playground.N_CLASSES])
    assert x_tr.shape[1] == x_te.shape[1] == env.obs_size
    assert set(np.unique(y_tr)) == set(np.unique(y_te)) == set(range(k))
    assert np.abs(x_tr).max() <= 1 and np.abs(x_te).max() <= 1
    assert not any((row == x_te).all(axis=1).any() for row in x_tr[:50])  # held out: no point in both
    assert env.num_outputs == (1 if k == 2 else k)


def test_iris_is_fishers_data_split_by_species():
    env = envs.make("iris")
    x_tr, y_tr = playground.data(env.params, test=False)
    x_te, y_te = playground.data(env.params, test=True)
    assert len(y_tr) + len(y_te) == 150 and list(np.bincount(y_te)) == [15, 15, 15]
    assert "UCI Machine Learning Repository" in playground.iris.__doc__


def test_every_task_is_a_game_module_of_the_one_table_playing_the_same_kernels():
    assert tuple(playground.DATASETS) == TASKS
    for name in TASKS:
        module = importlib.import_module(f"envs.playground.{name}")
        assert module is getattr(playground, name) and envs.make(name).module is module
        assert module.SPEC.name == name and module.ACTION_NAMES and module.PRESET["generations"] > 0
        assert (module.reset, module.observe, module.step) == (playground.reset, playground.observe, playground.step)
        assert module.SPEC.num_outputs == len(module.ACTION_NAMES)
        assert f"{len(module.SPEC.obs_names) - 1}      {module.SPEC.obs_names[-1]}" in module.__doc__


@pytest.mark.slow  # a child process
def test_a_task_module_imports_by_name_in_a_fresh_process():
    code = ("import importlib; m = importlib.import_module('envs.playground.spirals'); "
            "from envs.playground.blobs import step, SPEC; print(m.SPEC.name, SPEC.num_outputs)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["spirals", "3"]


def test_xor_labels_are_the_exclusive_or_of_the_signs():
    x, y = playground.data(envs.make("xor").params, test=False)
    np.testing.assert_array_equal(y, (x[:, 0] > 0) != (x[:, 1] > 0))


def test_a_return_is_an_accuracy_and_the_test_split_is_held_out(game_envs):
    env = game_envs["xor"]
    net = MLP([2, 2, 1])
    # by hand: with s = x + y, the classes differ exactly when |s| < 0.5, and
    # tanh(20 (s + 0.5)) - tanh(20 (s - 0.5)) - 1 is positive exactly there
    perfect = np.zeros(net.num_params, np.float32)
    net.layout.weights(perfect, 0)[:] = [[20.0, 20.0], [20.0, 20.0]]
    net.layout.biases(perfect, 0)[:] = [10.0, -10.0]
    net.layout.weights(perfect, 1)[:] = [[1.0, -1.0]]
    net.layout.biases(perfect, 1)[:] = [-1.0]
    r = rollout(env, net, np.stack([perfect]), episodes=50, seed=1)
    assert r.returns.max() <= 1.0 + 1e-9 and r.returns.min() == 1.0
    test_env = env.held_out()
    assert test_env.params[playground.SPLIT] == 1.0 and env.params[playground.SPLIT] == 0.0
    batch = test_env.batch(200, seed=2, episodes=np.arange(200))
    batch.reset()
    n_train = int(env.params[playground.N_TRAIN])
    assert (batch.states[:, playground.INDEX] >= n_train).all()  # test episodes show test points only
    assert rollout(test_env, net, perfect[None], episodes=20, seed=3).returns.min() == 1.0


def test_cross_entropy_is_a_negative_log_likelihood(game_envs):
    env = envs.make("iris", loss=1)
    net = MLP([4, 8, 3])  # iris's preset: the kernel the other tests compile
    r = rollout(env, net, net.init(np.random.default_rng(0), 8), episodes=3, seed=0)
    assert (r.returns < 0).all() and np.isfinite(r.returns).all()
    with pytest.raises(ValueError, match="split and loss 0 or 1"):
        envs.make("iris", loss=0.5)


def test_a_run_is_solved_on_the_test_split(tmp_path, capsys):
    from evo.cli import main
    out = tmp_path / "r"
    assert main(["run", "blobs", "--generations", "30", "--out", str(out), "--quiet"]) == 0
    assert "blobs: solved" in capsys.readouterr().out
    assert main(["eval", str(out)]) == 0
    verdict = capsys.readouterr().out
    assert "solved: test mean" in verdict and ">= 0.95" in verdict  # the run's rule: the lower bound decides


def test_the_viewer_draws_the_leaders_decision_boundary():
    pygame = pytest.importorskip("pygame")
    from viz.app import open_window
    from viz.renderers import renderer_for
    env = envs.make("circles")
    screen = open_window((300, 300))
    r = renderer_for(env)
    net = MLP([2, 4, 1])
    g = net.init(np.random.default_rng(0), 2)
    batch = env.batch(2, seed=0)
    batch.reset()
    images = []
    for genome in g:
        r.show_policy(net, genome)
        r.draw(screen, screen.get_rect(), batch.states, np.ones(2), 0)
        images.append(pygame.surfarray.array3d(screen).copy())
    assert images[0].std() > 10 and not np.array_equal(images[0], images[1])  # the boundary follows the genome
