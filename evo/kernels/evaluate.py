"""The evaluation API: :func:`rollout` and :func:`evaluate`, on this machine's cores or on Ray.

The local fused play is :mod:`evo.kernels.play`; ``backend="ray"`` hands chunks
of the population to :mod:`evo.ray.backend`, imported only then, which plays
them with :func:`evo.kernels.play.play` on its actors.
"""

from __future__ import annotations

import numpy as np

from evo.kernels.play import Rollout, check_genomes, choose_kernel, play

__all__ = ["Rollout", "evaluate", "rollout"]


def rollout(env, net, genomes, episodes: int = 1, seed: int = 0, *, kernel: str = "auto",
            backend: str = "local", address: str | None = None, behaviour: bool = False) -> Rollout:
    """Play ``episodes`` episodes with every genome; see :class:`Rollout`.

    Parameters
    ----------
    env : envs.Env
    net : evo.MLP
        Network whose input and output sizes match the game.
    genomes : ndarray of shape (P, G)
    episodes : int
        Episodes per genome; episode ``e`` is the same for every genome.
    seed : int
        Key of the episodes: the same seed gives the same episodes.
    kernel : {"auto", "lockstep", "agent"}
        Which fused kernel plays (:mod:`evo.kernels.play`); the same result to the
        bit. ``"auto"``: lockstep for networks of at most
        :data:`evo.kernels.play.LOCKSTEP_MAX_GENES` genes and at least
        :data:`evo.kernels.play.LOCKSTEP_MIN_PAIRS` pairs per thread (or the game's own
        limits), where it is the faster.
    backend : {"local", "ray"}
        ``"local"``: this process's cores. ``"ray"``: chunks of the population
        on Ray actors (:mod:`evo.ray.backend`); the same result to the bit, or
        :class:`evo.ray.errors.ClusterLost` when Ray cannot finish it.
    address : str, optional
        Ray cluster for ``backend="ray"``: ``None`` starts a local Ray unless
        one is running, ``"auto"`` joins ``ray start``'s cluster, ``"ray://host:port"``.
    behaviour : bool
        Also give every episode's behaviour descriptor (:attr:`Rollout.descriptors`), which the game
        computes from the episode's final state (``env.describe``). The kernels copy each final state
        out and play exactly as without it. Numba games that describe behaviour, local backend only.
    """
    genomes = check_genomes(env, net, genomes, episodes, seed)  # first: a bad argument is named
    kind = choose_kernel(net, kernel, env, genomes.shape[0] * episodes)
    if behaviour and backend != "local":
        raise ValueError("behaviour descriptors are computed on the local backend only")
    if backend not in ("local", "ray"):
        raise ValueError(f"unknown backend {backend!r}; known: local, ray")
    if backend == "local":
        return play(env, net, genomes, episodes, seed, kernel=kind, behaviour=behaviour)
    from evo.ray import backend as ray_backend
    return ray_backend.rollout(env, net, check_genomes(env, net, genomes, episodes, seed), int(episodes),
                               int(seed), address=address or None, kernel=kind)


def evaluate(env, net, genomes, episodes: int = 1, seed: int = 0, *, kernel: str = "auto",
             backend: str = "local", address: str | None = None) -> np.ndarray:
    """Fitness of every genome: its mean return over ``episodes`` shared episodes.

    ``kernel``, ``backend`` and ``address`` as in :func:`rollout`.

    Returns
    -------
    ndarray of shape (P,), float64
    """
    return rollout(env, net, genomes, episodes, seed, kernel=kernel, backend=backend, address=address).fitness
