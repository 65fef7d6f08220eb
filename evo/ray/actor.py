"""The Ray actor that plays chunks of a population, and the description of a game it is sent."""

from __future__ import annotations

import json
import os
import time

import numpy as np
import ray


@ray.remote(max_restarts=0, max_task_retries=0)
class Evaluator:
    """A worker holding compiled games and networks, keyed by :func:`game_key`.

    It plays with the local backend's fused kernels (:func:`evo.kernels.play.play`)
    on ``threads`` numba threads. Ray does not restart it nor retry its tasks:
    the scheduler replaces a lost actor and plays its chunk elsewhere.
    """

    def __init__(self, threads: int = 1):
        # Between chunks, OpenMP workers that spin-wait (the default) would take the cores from
        # the driver and from other actors on the node; set before numba first launches them.
        os.environ.setdefault("OMP_WAIT_POLICY", "passive")
        import numba

        self.threads = max(1, min(int(threads), numba.config.NUMBA_NUM_THREADS))
        self.cache: dict = {}

    def where(self) -> tuple:
        """(node id, process id)."""
        return ray.get_runtime_context().get_node_id(), os.getpid()

    def warm(self, key: str, game: tuple) -> tuple:
        """Build the game and network, compile (or load) the kernel and play one episode.

        Returns (node address, process id, seconds it took).
        """
        start = time.perf_counter()
        net = self._game(key, game)[1]
        self._play(key, game, np.zeros((1, net.num_params), np.float32), 1, 0, "auto")
        return ray.util.get_node_ip_address(), os.getpid(), time.perf_counter() - start

    def rollout(self, key: str, game: tuple, genomes: np.ndarray, start: int, stop: int, episodes: int,
                seed: int, kernel: str = "auto") -> tuple:
        """Returns and steps of ``genomes[start:stop]`` (arrays of shape (stop - start, episodes))."""
        # A writable copy: numba compiles a second kernel for the store's read-only arrays.
        return self._play(key, game, np.array(genomes[start:stop]), episodes, seed, kernel)

    def _play(self, key, game, genomes, episodes, seed, kernel) -> tuple:
        import numba

        from evo.kernels.play import play

        numba.set_num_threads(self.threads)  # per calling thread: set it on every call
        env, net = self._game(key, game)
        r = play(env, net, genomes, episodes, seed, kernel=kernel)
        return r.returns, r.steps

    def _game(self, key: str, game: tuple) -> tuple:
        if key not in self.cache:
            self.cache[key] = make_game(game)
        return self.cache[key]


def game_key(env, net) -> tuple:
    """(a string naming the pair, the description :func:`make_game` rebuilds ``env`` and ``net`` from)."""
    # lets an actor register a game made with envs.register (a pixel variant's game: env.obs says which)
    module = getattr(env.module, "GAME", env.module.__name__) if env.fused else None
    game = (env.name, int(env.max_steps), getattr(env, "level", None), dict(env.options), net.to_dict(), module,
            env.obs)
    return json.dumps(game, sort_keys=True, default=repr), game


def make_game(game: tuple) -> tuple:
    """The (env, net) a :func:`game_key` description names, built in this process."""
    import envs
    from evo.networks.registry import from_dict

    name, max_steps, level, options, net, module, obs = game
    if module is not None and name not in envs.names():  # a game registered in the driver only
        envs.register(name, module)
    return envs.make(name, level=level, max_steps=max_steps, obs=obs, **options), from_dict(net)
