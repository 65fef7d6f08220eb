"""The pool of Ray actors of this process: started, warmed up, replaced, resized to the cluster."""

from __future__ import annotations

import logging
import time

import ray
from ray.exceptions import OutOfMemoryError

from evo.ray import settings
from evo.ray.actor import Evaluator
from evo.ray.connect import check_local_node, cpus, session, smallest_node
from evo.ray.errors import ACTOR_LOST, HEAD_LOST, OBJECT_LOST, ClusterLost, first_line

log = logging.getLogger(__name__)


class Actor:
    """An actor of the pool and where it runs (known once it is warm)."""

    def __init__(self, threads: int, replacement: bool):
        self.handle = Evaluator.options(num_cpus=threads).remote(threads)
        self.replacement = replacement
        self.where = "a node not yet known"
        self.warm_seconds = None

    def warm(self, key: str, game: tuple):
        """Start the actor's warm-up for a game (:meth:`Evaluator.warm`); returns its object ref."""
        return self.handle.warm.remote(key, game)

    def play(self, key: str, game: tuple, genomes, start: int, stop: int, episodes: int, seed: int, kernel: str):
        """Hand the actor the chunk ``genomes[start:stop]`` (:meth:`Evaluator.rollout`); returns the
        object ref of its (returns, steps). Every chunk of every call goes through here."""
        return self.handle.rollout.remote(key, game, genomes, start, stop, episodes, seed, kernel)

    def kill(self) -> None:
        try:
            ray.kill(self.handle, no_restart=True)
        except Exception:  # noqa: BLE001 - already gone, or Ray is: either way it plays no more
            pass


class Pool:
    """The actors of this process on the current Ray cluster.

    ``ready`` actors are warm and take chunks; ``starting`` ones (warm-up
    reference -> actor) join when their warm-up returns. :meth:`resize`
    keeps ``len(ready) + len(starting)`` at one actor per ``threads`` CPUs of
    the cluster, looking at the cluster at most every ``settings.RESIZE_EVERY``
    seconds, and starts replacements for lost actors with a back-off (1 s,
    doubling up to 30 s while replacements keep failing).
    """

    def __init__(self, threads: int, want: int):
        self.threads, self.want = threads, want
        self.session = session()
        self.ready: list = []
        self.starting: dict = {}
        self.backoff = 0.0
        self.next_start = 0.0
        self.next_resize = 0.0
        self.lost = 0
        self.lost_to_memory = 0  # of them, killed by Ray's memory monitor

    @property
    def size(self) -> int:
        return len(self.ready) + len(self.starting)

    def resize(self, key: str, game: tuple) -> None:
        """Start or cancel unwarmed actors so the pool matches the cluster's CPUs now."""
        if time.monotonic() < self.next_resize:
            return
        self.next_resize = time.monotonic() + settings.RESIZE_EVERY
        check_local_node()
        try:
            target = max(1, cpus() // self.threads)
        except Exception as e:  # noqa: BLE001 - the head does not answer
            raise ClusterLost(f"Ray does not answer ({type(e).__name__}: {first_line(e)}): {HEAD_LOST}") from None
        while self.size > target and self.starting:  # capacity went: cancel actors still waiting
            _, actor = self.starting.popitem()
            actor.kill()
        if self.size < target and time.monotonic() >= self.next_start:
            for _ in range(target - self.size):
                actor = Actor(self.threads, replacement=bool(self.ready) or self.lost > 0)
                self.starting[actor.warm(key, game)] = actor

    def settle(self, ref) -> Actor | None:
        """The actor whose warm-up ``ref`` finished, now ready, or None if it died warming up."""
        actor = self.starting.pop(ref)
        try:
            node, pid, seconds = ray.get(ref)
        except (*ACTOR_LOST, *OBJECT_LOST) as e:
            self.backoff = min(30.0, max(1.0, 2 * self.backoff))
            self.next_start = time.monotonic() + self.backoff
            self._note_loss(actor, e, "while it started", f"{len(self.ready)} actor(s) play")
            return None
        actor.where, actor.warm_seconds = f"{node} (pid {pid})", seconds
        self.backoff = 0.0
        self.ready.append(actor)
        if actor.replacement:
            log.info("Ray: a new actor on %s is ready; %d actor(s) play now", actor.where, len(self.ready))
        return actor

    def lose(self, actor: Actor, error: Exception, span: str) -> None:
        """Drop a dead actor that was playing genomes ``span``; a replacement may start after the back-off."""
        if actor in self.ready:
            self.ready.remove(actor)
        self.next_start = max(self.next_start, time.monotonic() + max(1.0, self.backoff))
        self.next_resize = 0.0  # look again at the next chance
        self._note_loss(actor, error, f"while it played genomes {span}",
                        f"the {len(self.ready)} actor(s) left play them again")

    def _note_loss(self, actor: Actor, error: Exception, doing: str, then: str) -> None:
        actor.kill()
        self.lost += 1
        self.lost_to_memory += isinstance(error, OutOfMemoryError)
        log.warning("Ray: lost the actor on %s %s (%s); %s", actor.where, doing, type(error).__name__, then)

    def kill(self) -> None:
        for actor in [*self.ready, *self.starting.values()]:
            actor.kill()
        self.ready, self.starting = [], {}


_pool: Pool | None = None


def pool(threads_per_actor: int | None = None) -> Pool:
    """The :class:`Pool` of this process on the current Ray cluster (created empty on first use).

    Its actors reserve ``T`` CPUs each and run the kernel on ``T`` numba
    threads, where ``T = threads_per_actor`` or ``settings.THREADS_PER_ACTOR``
    or, by default, the CPU count of the smallest node. Few actors with many
    threads beat many single-thread actors: each actor is a process of a few
    hundred MB (Ray, numba, the kernels), every chunk costs a put, a round
    trip and a copy, and numba balances the episodes of a chunk across its
    threads for free.
    """
    global _pool
    want = int(threads_per_actor or settings.THREADS_PER_ACTOR or 0)
    if _pool is None or _pool.session != session() or _pool.want != want:
        shutdown()
        if cpus() < 1:
            raise ClusterLost("the Ray cluster has no CPUs to evaluate on")
        _pool = Pool(want or smallest_node(), want)
    return _pool


def shutdown() -> None:
    """Kill this process's actors (Ray itself keeps running); the next call makes new ones."""
    global _pool
    if _pool is not None and ray.is_initialized():
        _pool.kill()
    _pool = None


def warm(key: str, game: tuple, threads_per_actor: int | None = None) -> int:
    """Start the pool's actors warming up for a game (:func:`evo.ray.actor.game_key`); returns how many
    are still warming up."""
    p = pool(threads_per_actor)
    p.resize(key, game)
    return len(p.starting)
