"""The lockstep kernel plays exactly what the per-agent kernel plays, for every game and network."""

import sys
import textwrap
from types import SimpleNamespace

import numba

import numpy as np
import pytest

import envs
from evo import MLP, rollout
from evo.kernels.lanes import lane_wise
from evo.kernels.play import LOCKSTEP_MAX_GENES, LOCKSTEP_MIN_PAIRS, _run_lockstep, choose_kernel
from evo.networks.mlp import ACTIVATIONS
from evo.runs.driver import evolve


def both(env, net, genomes, episodes, seed):
    agent = rollout(env, net, genomes, episodes, seed, kernel="agent")
    lockstep = rollout(env, net, genomes, episodes, seed, kernel="lockstep")
    return agent, lockstep


def assert_same(agent, lockstep):
    np.testing.assert_array_equal(lockstep.returns, agent.returns)
    np.testing.assert_array_equal(lockstep.steps, agent.steps)


def genomes_for(net, n, seed, scale=1.0):
    """Random genomes, some scaled up so that networks saturate and games play long and short episodes."""
    g = np.random.default_rng(seed).normal(0.0, 1.0, (n, net.num_params))
    g[::3] *= 3.0 * scale
    return g.astype(np.float32)


@pytest.mark.parametrize("name", envs.names())
def test_same_returns_and_steps_on_every_game(name, game_envs, game_nets):
    env, net = game_envs[name], game_nets[name]
    agent, lockstep = both(env, net, genomes_for(net, 53, 1), episodes=3, seed=11)  # 159 pairs: a part block
    assert_same(agent, lockstep)
    assert agent.steps.min() >= 1
    if env.spec.test_params or name.startswith(("mountaincar", "maze")) or name == "pendulum":
        return  # fixed-length episodes (the playground, pendulum) or random play never at the flag or goal
    assert len(np.unique(agent.steps)) > 3  # episodes of many lengths: lanes are refilled mid-block


@pytest.mark.parametrize("name", [n for n in envs.names() if envs.make(n).describes])
def test_same_behaviour_descriptors_and_the_same_returns_with_them(name, game_envs, game_nets):
    env, net = game_envs[name], game_nets[name]
    genomes = genomes_for(net, 37, 5)
    agent = rollout(env, net, genomes, 2, 3, kernel="agent", behaviour=True)
    lockstep = rollout(env, net, genomes, 2, 3, kernel="lockstep", behaviour=True)
    assert_same(agent, lockstep)
    np.testing.assert_array_equal(lockstep.descriptors, agent.descriptors)
    assert_same(agent, rollout(env, net, genomes, 2, 3, kernel="agent"))  # asking for them changes no return
    assert agent.behaviour.shape == (37, len(env.behaviour_space[0]))
    assert len(np.unique(agent.behaviour[:, 0])) > 5  # the genomes ended in different places


LANE_WISE = [name for name in envs.names() if lane_wise(envs.make(name))]


def test_the_games_that_step_lane_wise():
    assert {"cartpole"} <= set(LANE_WISE)


@pytest.mark.parametrize("name", LANE_WISE)
@pytest.mark.parametrize("params", [{}, {"observe": 0}])
def test_a_lane_wise_game_stepped_lane_by_lane_plays_the_same(name, params, game_envs, game_nets):
    """The lockstep kernel's other path for these games: each lane's own step, as for every other game."""
    env, net = game_envs[name], game_nets[name]
    if params:  # the partially observed variant, where a game has one
        option = next((p for p in env.module.PARAM_NAMES if p.startswith("observe")), None)
        if option is None:
            return
        env = envs.make(name, **{option: 0.0})
    genomes = genomes_for(net, 37, 12)
    agent = rollout(env, net, genomes, 2, 4, kernel="agent")
    by_lane = type(agent)(np.zeros((37, 2)), np.zeros((37, 2), np.int64))
    _run_lockstep(env, net, genomes, 2, 4, by_lane.returns, by_lane.steps, by_lane=True)
    assert_same(agent, by_lane)
    assert_same(agent, rollout(env, net, genomes, 2, 4, kernel="lockstep"))


# Several hidden layers, every activation, each on a discrete and a continuous game, three activations
# as outputs, no hidden layer. Few shapes: each is played by one game and compiles two kernels of its own.
SHAPES = [
    ("cartpole", [48, 6, 3], ["relu", "step", "linear", "tanh"]),  # 563 genes (> 512): a block beyond L1
    ("racer", [6, 5, 4, 20], ["tanh", "sigmoid", "step", "relu", "linear"]),
    ("cartpole", [], ["sigmoid"]),  # no hidden layer
]


@pytest.mark.parametrize("name, hidden, acts", SHAPES)
def test_same_returns_and_steps_for_every_shape_and_activation(name, hidden, acts, game_envs):
    env = game_envs[name]
    net = MLP([env.obs_size, *hidden, env.num_outputs], activations=acts)
    assert_same(*both(env, net, genomes_for(net, 40, 2), episodes=2, seed=3))


def test_shapes_cover_every_activation_on_both_kinds_of_game():
    for game in ("cartpole", "racer"):
        assert {a for name, _, acts in SHAPES if name == game for a in acts} == set(ACTIVATIONS), game


@pytest.mark.parametrize("P", [1, 15, 16, 17])
def test_populations_smaller_than_a_block_and_around_one(P, game_envs):
    env = game_envs["flappy"]
    net = MLP([env.obs_size, 8, env.num_outputs])
    assert_same(*both(env, net, genomes_for(net, P, 4), episodes=1, seed=0))


def test_empty_population(game_envs):
    env = game_envs["cartpole"]
    net = MLP([4, 8, 2])
    r = rollout(env, net, np.zeros((0, net.num_params), np.float32), 2, 0, kernel="lockstep")
    assert r.returns.shape == (0, 2) and r.steps.shape == (0, 2)


def test_game_parameters_and_max_steps_reach_the_kernel():
    env = envs.make("cartpole", max_steps=60, gravity=3.0, force_mag=20.0)
    net = MLP([4, 8, 2])  # cartpole's preset shape: the kernels the other tests compiled
    agent, lockstep = both(env, net, genomes_for(net, 64, 5), episodes=2, seed=1)
    assert_same(agent, lockstep)
    assert agent.steps.max() == 60


def test_fast_trig_cartpole_same_in_both_kernels():
    env = envs.make("cartpole", fast_trig=1)
    net = MLP([4, 8, 2])
    assert_same(*both(env, net, genomes_for(net, 64, 6), episodes=2, seed=2))


ALLOCATING_GAME = '''
"""A game whose kernels allocate arrays (the lockstep kernel then compiles with reference counting)."""
import numpy as np
from numba import njit
from envs import rng as _rng
from envs.spec import EnvSpec, build_params

SPEC = EnvSpec(name="walker", obs_size=2, num_actions=None, action_size=1, max_steps=50, dt=0.1,
               solved_at=1.0, solved_over=1, state_size=2, obs_low=(-10.0, -10.0), obs_high=(10.0, 10.0),
               obs_names=("x", "v"))


PARAM_NAMES = ("drag",)
PARAM_DEFAULTS = (0.1,)
PARAM_RANGES = ((0.0, 1.0),)


def default_params(**overrides):
    return build_params(PARAM_NAMES, PARAM_DEFAULTS, PARAM_RANGES, overrides, "walker")


@njit
def reset(state, params, rng):
    state[0] = _rng.uniform(rng, -1.0, 1.0)
    state[1] = 0.0


@njit
def observe(state, params, obs):
    tmp = np.empty(2)
    tmp[:] = state[:2]
    obs[0] = tmp[0]
    obs[1] = tmp[1]


@njit
def step(state, params, action, rng):
    v = np.array([state[1] + 0.1 * action[0] - params[0] * state[1]])
    state[1] = v[0]
    state[0] += 0.1 * state[1]
    return -abs(state[0]), abs(state[0]) > 3.0
'''


@pytest.mark.slow  # a game written in the test: its kernels compile in every session
def test_a_game_whose_kernels_allocate_arrays(tmp_path, monkeypatch):
    (tmp_path / "walker_game.py").write_text(textwrap.dedent(ALLOCATING_GAME))
    monkeypatch.syspath_prepend(str(tmp_path))
    envs.register("walker", "walker_game")
    try:
        env = envs.make("walker")
        net = MLP([2, 4, 1])
        assert_same(*both(env, net, genomes_for(net, 40, 7), episodes=2, seed=9))
        assert_same(*both(env, net, genomes_for(net, 40, 8), episodes=2, seed=9))  # again, knowing it allocates
    finally:
        envs._GAMES.pop("walker")


def test_auto_picks_lockstep_for_small_networks_only():
    assert choose_kernel(MLP([4, 16, 2])) == "lockstep"
    assert choose_kernel(MLP([4, 32, 32, 2])) == "lockstep"
    assert choose_kernel(MLP([4, 64, 64, 2])) == "agent"
    assert MLP([4, 64, 64, 2]).num_params > LOCKSTEP_MAX_GENES >= MLP([4, 32, 32, 2]).num_params
    assert choose_kernel(MLP([4, 64, 64, 2]), "lockstep") == "lockstep"
    assert choose_kernel(MLP([4, 16, 2]), "agent") == "agent"
    with pytest.raises(ValueError, match="unknown kernel 'simd'; known: auto, lockstep, agent"):
        choose_kernel(MLP([4, 2]), "simd")


def test_auto_follows_a_game_s_own_limits(tmp_path, monkeypatch):
    from evo.kernels import choice
    monkeypatch.setattr(choice, "_path", lambda: tmp_path / "kernel-choices.json")  # nothing measured: the rule
    monkeypatch.setattr(choice, "_choices", {})
    monkeypatch.setattr(choice, "_read", [])
    net = MLP([4, 16, 2])
    assert LOCKSTEP_MIN_PAIRS == 0 and choose_kernel(net, "auto", None, 1) == "lockstep"
    cartpole = envs.make("cartpole")
    enough = cartpole.module.LOCKSTEP_MIN_PAIRS
    for threads in sorted({1, numba.config.NUMBA_NUM_THREADS}):  # not the thread count (a sweep job has one)
        numba.set_num_threads(threads)
        try:
            assert choose_kernel(net, "auto", cartpole, enough - 1) == "agent"
            assert choose_kernel(net, "auto", cartpole, enough) == "lockstep"
        finally:
            numba.set_num_threads(numba.config.NUMBA_NUM_THREADS)
    assert choose_kernel(net, "lockstep", cartpole, 1) == "lockstep"
    capped = SimpleNamespace(module=SimpleNamespace(LOCKSTEP_MAX_GENES=net.num_params - 1))
    assert choose_kernel(net, "auto", capped, 10 ** 6) == "agent"
    assert choose_kernel(MLP([4, 15, 2]), "auto", capped, 10 ** 6) == "lockstep"
    for name in ("pong", "maze", "acrobot"):  # their own cap: large networks play in lockstep, the others' per agent
        env = envs.make(name)
        big = MLP([env.obs_size, 64, 64, env.num_outputs])
        assert LOCKSTEP_MAX_GENES < big.num_params <= env.module.LOCKSTEP_MAX_GENES
        assert choose_kernel(big, "auto", env, 10 ** 6) == "lockstep"
    assert choose_kernel(MLP([4, 64, 64, 2]), "auto", cartpole, 10 ** 6) == "agent"


def test_the_lockstep_kernel_is_found_once_per_game_and_shape(monkeypatch):
    module = sys.modules["evo.kernels.play"]
    env, net = envs.make("cartpole"), MLP([4, 8, 2])
    genomes = genomes_for(net, 20, 3)
    first = rollout(env, net, genomes, episodes=2, seed=4, kernel="lockstep")
    monkeypatch.setattr(module, "compiled", lambda *a, **kw: pytest.fail("looked up again"))
    again = rollout(env, net, genomes, episodes=2, seed=4, kernel="lockstep")
    assert np.array_equal(first.returns, again.returns) and np.array_equal(first.steps, again.steps)


def test_a_run_has_the_same_history_with_either_kernel(monkeypatch):
    import evo.runs.driver

    histories = {}
    for kernel in ("agent", "lockstep"):
        monkeypatch.setattr(evo.runs.driver, "rollout", lambda *a, kernel=kernel, **kw: rollout(*a, kernel=kernel, **kw))
        histories[kernel] = evolve("flappy", generations=3, pop_size=48, seed=5, target=1e9, episodes=2).history
    assert histories["agent"] == histories["lockstep"] and len(histories["agent"]) == 3


@pytest.mark.parametrize("width", [8, 16])
@pytest.mark.parametrize("name", ["cartpole", "snake", "racer"])  # lane-wise, lane by lane, a long state
def test_every_lane_width_plays_the_per_agent_results(name, width, game_envs, game_nets, monkeypatch):
    from evo.kernels import lanes, play
    env, net = game_envs[name], game_nets[name]
    genomes = genomes_for(net, 45, 7)  # 90 pairs: blocks refilled, a part block at the end
    agent = rollout(env, net, genomes, 2, 3, kernel="agent")  # at this machine's width, as runs play
    monkeypatch.setattr(lanes, "LANES", width)
    assert_same(agent, rollout(env, net, genomes, 2, 3, kernel="lockstep"))
    kernel = play._lockstep_kernel(env, net, False)
    assert sys.modules[kernel.py_func.__module__]._LANES == width  # the width asked for, compiled as a constant


def test_the_lane_width_is_16_unless_the_variable_says(monkeypatch, capsys):
    from evo.kernels.lanes import lane_width
    monkeypatch.delenv("NEUROEVO_LANES", raising=False)
    assert lane_width() == 16
    monkeypatch.setenv("NEUROEVO_LANES", "8")
    assert lane_width() == 8
    monkeypatch.setenv("NEUROEVO_LANES", "12")
    assert lane_width() == 16 and "NEUROEVO_LANES must be 8, 16, 32 or 64" in capsys.readouterr().err
