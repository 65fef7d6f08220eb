"""A network kind is one module: a kind written here, in the test, plays through both fused kernels.

``Leaky`` is a linear layer with a memory: every step ``s_j = sum_i w_ji x_i + (b_j + m_j)``, the
output is ``s``, and the memory becomes ``m_j = s_j / 2`` (zero at each episode's start). Its network
module provides the per-agent names and a lockstep block, and nothing in the package names it; the
returns are checked against a slow Python reference that plays the game's functions step by step.
"""

import numpy as np
import pytest

import envs
from envs.rng import key
from envs.specialise import specialise
from evo import rollout
from evo.kernels.play import _run_lockstep

TEMPLATE = '''\
"""A leaky linear network (tests/evo/test_network_kinds.py)."""
import numpy as np
from numba import njit

N_IN = $n_in
N_OUT = $n_out
MEMORY = N_OUT
WORK_A = WORK_B = 0
LOCKSTEP = True
LANES = $lanes
_GENES = N_OUT * (N_IN + 1)
_IN = _GENES * LANES  # block: genomes side by side, inputs, memories, outputs, one agent's memory and outputs
_MEM = _IN + N_IN * LANES
_OUT = _MEM + N_OUT * LANES
_AGENT = _OUT + N_OUT * LANES
BLOCK = _AGENT + 2 * N_OUT
_ZERO = np.float32(0.0)
_HALF = np.float32(0.5)


@njit(inline="always")
def reset(memory):
    memory[:] = 0.0


@njit
def step(genome, obs, memory, work_a, work_b, out):
    for j in range(N_OUT):
        s = _ZERO
        for i in range(N_IN):
            s += genome[j * N_IN + i] * obs[i]
        s += genome[N_IN * N_OUT + j] + memory[j]
        out[j] = s
        memory[j] = _HALF * s


@njit
def load_lane(mem, l, genome):
    for k in range(_GENES):
        mem[k * LANES + l] = genome[k]


@njit(inline="always")
def reset_lane(mem, l):
    for j in range(N_OUT):
        mem[_MEM + j * LANES + l] = 0.0


@njit(inline="always")
def inputs(mem):
    return mem[_IN:_IN + N_IN * LANES].reshape((N_IN, LANES))


@njit
def step_lanes(mem):
    for j in range(N_OUT):
        for l in range(LANES):
            s = _ZERO
            for i in range(N_IN):
                s += mem[(j * N_IN + i) * LANES + l] * mem[_IN + i * LANES + l]
            s += mem[(N_IN * N_OUT + j) * LANES + l] + mem[_MEM + j * LANES + l]
            mem[_OUT + j * LANES + l] = s
            mem[_MEM + j * LANES + l] = _HALF * s
    return _OUT


@njit(inline="always")
def lane_agent(mem, l):
    for j in range(N_OUT):
        mem[_AGENT + j] = mem[_MEM + j * LANES + l]
    return mem[_AGENT:_AGENT + N_OUT], mem[:0], mem[:0], mem[_AGENT + N_OUT:_AGENT + 2 * N_OUT]
'''


class Leaky:
    """The test's network kind: the Python side a kernel needs (sizes, genome length, its module)."""

    lockstep = True

    def __init__(self, n_in, n_out):
        self.sizes = (n_in, n_out)
        self.num_inputs, self.num_outputs = n_in, n_out
        self.num_params = n_out * (n_in + 1)

    def __repr__(self):
        return f"Leaky({self.num_inputs}, {self.num_outputs})"

    def network_module(self, lanes):
        return specialise(TEMPLATE, "leaky", n_in=str(self.num_inputs), n_out=str(self.num_outputs),
                          lanes=str(int(lanes)))


def reference(env, net, genomes, episodes, seed):
    """Returns and steps played in Python, one step at a time, with NumPy float32 arithmetic."""
    module, spec = env.module, env.spec
    n_in, n_out = net.num_inputs, net.num_outputs
    returns = np.zeros((len(genomes), episodes))
    steps = np.zeros((len(genomes), episodes), dtype=np.int64)
    for p, genome in enumerate(genomes):
        for e in range(episodes):
            rng = np.array([key(np.uint64(seed), 0, e)], dtype=np.uint64)
            state = np.zeros(spec.state_size)
            obs = np.zeros(spec.obs_size, dtype=np.float32)
            action = np.zeros(spec.action_buffer_size)
            memory = np.zeros(n_out, dtype=np.float32)
            module.reset(state, env.params, rng)
            total, t, done = 0.0, 0, False
            while t < env.max_steps and not done:
                module.observe(state, env.params, obs)
                out = np.zeros(n_out, dtype=np.float32)
                for j in range(n_out):
                    s = np.float32(0.0)
                    for i in range(n_in):
                        s = np.float32(s + genome[j * n_in + i] * obs[i])
                    s = np.float32(s + np.float32(genome[n_in * n_out + j] + memory[j]))
                    out[j] = s
                    memory[j] = np.float32(0.5) * s
                action[0] = int(np.argmax(out))  # the first of equal outputs, as the kernels take it
                r, done = module.step(state, env.params, action, rng)
                total += r
                t += 1
            returns[p, e], steps[p, e] = total, t
    return returns, steps


def test_a_network_kind_written_in_a_test_plays_both_kernels_as_the_reference():
    env = envs.make("cartpole", max_steps=200)  # steps lane-wise, and lane by lane below: both adapters
    assert env.spec.discrete
    net = Leaky(env.obs_size, env.num_outputs)
    genomes = np.random.default_rng(5).normal(0.0, 1.0, (23, net.num_params)).astype(np.float32)
    genomes[::4] *= 0.05  # some weak policies: long episodes, and blocks drained through the tail
    want_returns, want_steps = reference(env, net, genomes, 2, 9)
    assert len(set(want_steps.ravel())) >= 3  # episodes of several lengths
    for kernel in ("agent", "lockstep"):
        got = rollout(env, net, genomes, episodes=2, seed=9, kernel=kernel)
        np.testing.assert_array_equal(got.returns, want_returns, err_msg=kernel)
        np.testing.assert_array_equal(got.steps, want_steps, err_msg=kernel)
    returns, steps = np.zeros((23, 2)), np.zeros((23, 2), dtype=np.int64)
    _run_lockstep(env, net, genomes, 2, 9, returns, steps, by_lane=True)  # the other adapter, where there are two
    np.testing.assert_array_equal(returns, want_returns)
    np.testing.assert_array_equal(steps, want_steps)


def test_a_network_kind_without_a_lockstep_block_plays_per_agent_only():
    class PerAgent(Leaky):
        lockstep = False

    env = envs.make("cartpole", max_steps=50)
    net = PerAgent(env.obs_size, env.num_outputs)
    genomes = np.random.default_rng(6).normal(0.0, 1.0, (5, net.num_params)).astype(np.float32)
    got = rollout(env, net, genomes, episodes=1, seed=2)  # "auto" picks the agent kernel
    np.testing.assert_array_equal(got.returns, reference(env, net, genomes, 1, 2)[0])
    with pytest.raises(ValueError, match="lockstep"):
        rollout(env, net, genomes, episodes=1, seed=2, kernel="lockstep")
