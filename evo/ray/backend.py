"""The Ray backend's entry points: connect, warm up, play a generation, sweep, shut down.

``evo.rollout(env, net, genomes, episodes, seed, backend="ray")`` lands in
:func:`rollout`. Each call runs in this process, or, after
``init(isolated=True)``, in the child process that drives Ray for this one
(:mod:`evo.ray.messages`), with the same result.
"""

from __future__ import annotations

import numpy as np

from evo.kernels.play import Rollout
from evo.ray import messages, pool, scheduler
from evo.ray import sweep as _sweep
from evo.ray.actor import game_key
from evo.ray.connect import connect
from evo.ray.errors import ClusterLost, Interrupted

__all__ = ["ClusterLost", "Interrupted", "init", "close", "request_stop", "warm", "rollout", "sweep", "shutdown"]

_driver: messages.Driver | None = None  # the child process driving Ray, after init(isolated=True)


def init(address: str | None = None, *, isolated: bool = False, verbose: bool = False) -> None:
    """Connect to Ray unless already connected.

    ``address=None`` starts a local instance with ``os.cpu_count()`` CPUs,
    without dashboard and without forwarding worker logs (or joins the
    cluster named by ``RAY_ADDRESS``); ``"auto"``, ``"host:port"`` or
    ``"ray://host:port"`` join a running cluster.

    ``isolated=True`` drives Ray from a child process instead
    (:mod:`evo.ray.messages`); every later call of this module in this
    process goes through it until :func:`close`. The child's own output
    (Ray's messages about dying nodes, raylet logs) is dropped unless
    ``verbose``.

    Raises
    ------
    ValueError
        One line: the cluster cannot be reached (or ``ray://`` without ``ray[client]``).
    """
    global _driver
    if isolated:
        if _driver is None:
            _driver = messages.Driver(address, verbose)
        return
    connect(address)


def close() -> None:
    """End the child process of ``init(isolated=True)``, if any (its actors end with it)."""
    global _driver
    if _driver is not None:
        driver, _driver = _driver, None
        driver.close()
    messages.STOP.clear()


def request_stop() -> None:
    """Make the call now waiting for Ray (or the next one) raise :class:`Interrupted`.

    Safe in a signal handler. Applies to calls through ``init(isolated=True)``;
    :func:`close` clears it.
    """
    messages.STOP.set()


def shutdown() -> None:
    """Kill this process's actors (Ray itself keeps running); the next call makes new ones."""
    if _driver is not None:
        _driver.call("shutdown")
        return
    pool.shutdown()


def warm(env, net, *, address: str | None = None, threads_per_actor: int | None = None) -> int:
    """Start the pool's actors warming up for ``env`` and ``net`` and return at once.

    Call it before the first generation and do other work meanwhile: each
    node compiles the kernels on first use (much faster from the kernel
    cache). Returns the number of actors still warming up.
    """
    key, game = game_key(env, net)
    if _driver is not None:
        return _driver.call("warm", key, game, threads_per_actor)
    connect(address)
    return pool.warm(key, game, threads_per_actor)


def rollout(env, net, genomes: np.ndarray, episodes: int, seed: int, *, address: str | None = None,
            threads_per_actor: int | None = None, kernel: str = "auto"):
    """:func:`evo.rollout` on Ray actors; same arguments, same result to the bit.

    ``genomes`` must be checked already (float32, C-contiguous, shape (P, G)).

    Raises
    ------
    ClusterLost
        Ray could not finish the call (see the class); nothing is kept.
    Interrupted
        :func:`request_stop` was called (child-process mode).
    """
    P, E = genomes.shape[0], int(episodes)
    if P == 0:
        return Rollout(np.zeros((0, E)), np.zeros((0, E), dtype=np.int64))
    key, game = game_key(env, net)
    if _driver is not None:
        returns, steps = _driver.rollout(key, game, genomes, E, int(seed), threads_per_actor, kernel)
    else:
        connect(address)
        returns, steps = scheduler.play(key, game, genomes, E, int(seed), threads_per_actor, kernel)
    return Rollout(returns, steps)


def sweep(config_toml: str, seeds, out, *, address: str | None = None, jobs: int | None = None):
    """Run ``neuroevo run --config <config_toml> --seed S`` for every seed as a Ray task (one CPU each).

    Yields ``(seed, exit status, output, {file name: bytes})`` as runs finish;
    at most ``jobs`` at once (default: as many as the cluster has CPUs). A
    task whose worker or node dies is run again from the start (same seed,
    same files), twice at most.

    Raises
    ------
    ClusterLost
        The cluster had no CPU for ``settings.WAIT_FOR_ACTORS`` seconds, or Ray failed.
    """
    if _driver is not None:
        yield from _driver.stream("sweep", config_toml, list(seeds), str(out), jobs)
        return
    connect(address)
    yield from _sweep.run(config_toml, list(seeds), str(out), jobs)
