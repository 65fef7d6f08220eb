"""An episode model without pygame: genomes playing one episode step by step, as the fused evaluation
plays its episode 0, with what the viewer draws of it (the leader, the dead fading out)."""

from __future__ import annotations

from contextlib import contextmanager

import numba
import numpy as np

FADE_SECONDS = 1.0     # simulated seconds a dead agent takes to fade out


@contextmanager
def one_thread():
    """Run Numba kernels on one thread: for a population's single forward pass per step, waking
    the thread pool costs more than the arithmetic (and far more on a busy machine)."""
    n = numba.get_num_threads()
    numba.set_num_threads(1)
    try:
        yield
    finally:
        numba.set_num_threads(n)


class Episode:
    """Genomes playing one episode step by step, as the fused evaluation plays its episode 0.

    Attributes
    ----------
    batch : envs.BatchEnv
        ``states``, ``done``, ``returns``, ``steps`` of every agent.
    genomes : ndarray of shape (P, G), float32
    obs : ndarray of shape (P, obs_size), float32
        The observation each agent acts on next.
    leader : int
        Highest return so far among the living (kept on ties; the last one once all are done).
    t : int
        Steps played.
    """

    def __init__(self, env, net, genomes: np.ndarray, seed: int):
        self.env, self.net = env, net
        self.genomes = np.array(genomes, dtype=np.float32)  # a copy: the GA replaces its population
        self.n = len(self.genomes)
        self.batch = env.batch(self.n, seed=seed)
        self.obs = self.batch.reset()
        self.memory = net.initial_state(self.n)  # a recurrent network's hidden state, empty for an MLP
        self.t = 0
        self.died = np.full(self.n, -1, np.int64)
        self.leader = 0
        self.actions = None
        self.fade_steps = max(1, int(round(FADE_SECONDS / float(env.dt))))

    @property
    def done(self) -> bool:
        return bool(self.batch.done.all())

    @property
    def alive(self) -> int:
        return int(self.n - self.batch.done.sum())

    def step(self) -> None:
        """One step of every living agent."""
        if self.done:
            return
        running = np.flatnonzero(~self.batch.done)
        k = self.env.num_actions
        with one_thread():
            if len(running) * 2 < self.n:  # many dead: think only for the living
                sub, memory = self.net.step(self.genomes[running], self.obs[running], self.memory[running], k)
                actions = np.zeros((self.n,) + sub.shape[1:], sub.dtype)
                actions[running] = sub
                self.memory[running] = memory
            else:
                actions, self.memory = self.net.step(self.genomes, self.obs, self.memory, k)
            self.obs, _, done = self.batch.step(actions)
        self.actions = actions
        self.t += 1
        self.died[done & (self.died < 0)] = self.t
        alive = ~done
        if alive.any():
            r = np.where(alive, self.batch.returns, -np.inf)
            if not (alive[self.leader] and r[self.leader] >= r.max()):
                self.leader = int(np.argmax(r))

    def fade(self) -> np.ndarray:
        """1 for the living; for the dead, from just below 1 at death down to 0 after FADE_SECONDS."""
        f = np.ones(self.n)
        dead = self.died >= 0
        f[dead] = 0.999 * np.clip(1.0 - (self.t - self.died[dead]) / self.fade_steps, 0.0, 1.0)
        return f

    def chosen(self) -> int | None:
        """The leader's last discrete action (None before the first step and for continuous games)."""
        if self.env.num_actions is None or self.actions is None:
            return None
        return int(self.actions[self.leader])

    def close(self) -> None:
        self.batch.close()


COMPILE = "import sys; from viz.episode import compile_request; compile_request(sys.argv[1])"
"""The program of the child that compiles what a viewer plays (:func:`evo.kernels.prepare.prepare`)."""


def compile_request(request: str) -> None:
    """In a child process: compile the fused rollout (:func:`evo.kernels.play.compile_request`) and what
    an :class:`Episode` steps with (the game's batch kernels, the network's step), into the cache."""
    import importlib
    import json

    from envs.core import Env
    from evo.kernels.play import compile_request as compile_rollout
    from evo.networks.registry import from_dict

    compile_rollout(request)
    spec = json.loads(request)
    env, net = Env(importlib.import_module(spec["game"])), from_dict(spec["network"])
    episode = Episode(env, net, np.zeros((2, net.num_params), np.float32), 0)
    for _ in range(2):
        episode.step()
    episode.close()
