"""One generation on the pool: the population cut into chunks, handed to warm actors, put back in order.

Every genome goes into Ray's object store once per call (``ray.put``), chunk
by chunk: the first chunk of each actor first, so that the actors play while
the rest of the population is being put. Chunks are handed out as actors come
free (more chunks than actors for large populations), so a slow node does not
hold the whole generation back.

When an actor is lost its chunk goes back in the queue at once and the actors
left play it; a lost object is put again; a chunk far later than the others
(a frozen worker, or a dead node Ray has not declared dead yet) is given to an
idle actor too, and the first copy to finish counts. Every copy of a chunk
gives the same rows, so the result is the local backend's to the bit.
"""

from __future__ import annotations

import logging
import time

import numpy as np
import ray
from ray import exceptions as rex

from evo.ray import settings
from evo.ray.connect import check_local_node, cpus
from evo.ray.errors import ACTOR_LOST, OBJECT_LOST, RAY_FAILED, ClusterLost, Interrupted, ray_failed
from evo.ray.pool import Actor, Pool, pool

log = logging.getLogger(__name__)


def chunks(P: int, episodes: int, n_actors: int) -> list:
    """Contiguous row ranges ``(start, stop)`` covering ``range(P)``: one per actor, up to
    ``settings.CHUNKS_PER_ACTOR`` per actor for large populations."""
    n = max(1, min(max(n_actors, (P * episodes) // settings.SPLIT_ABOVE), n_actors * settings.CHUNKS_PER_ACTOR, P))
    bounds = np.linspace(0, P, n + 1).round().astype(int)
    return [(int(a), int(b)) for a, b in zip(bounds[:-1], bounds[1:]) if b > a]


def play(key: str, game: tuple, genomes: np.ndarray, E: int, seed: int, threads_per_actor: int | None = None,
         kernel: str = "auto") -> tuple:
    """The returns and steps of every genome (arrays of shape (P, E)), played in chunks by this process's pool.

    ``genomes`` are checked already; ``key`` and ``game`` come from :func:`evo.ray.actor.game_key`.

    Raises
    ------
    ClusterLost
        Ray could not finish the call; nothing is kept.
    """
    try:
        return Generation(key, game, genomes, E, seed, pool(threads_per_actor), kernel).play()
    except (ClusterLost, Interrupted, rex.RayTaskError):
        raise
    except RAY_FAILED as e:  # Ray itself failed: the head, the store
        raise ray_failed(e) from None


def give_up_message(span: str, causes: list, lost: int) -> str:
    """The line of a call that gave up on genomes ``span`` after its actors died of ``causes`` (errors).

    Out of memory (Ray's memory monitor, :class:`ray.exceptions.OutOfMemoryError`) is said as such,
    with what to change; otherwise the likely causes are a bug or a node that kills what it runs.
    """
    names = sorted({type(e).__name__ for e in causes})
    head = (f"genomes {span} failed on Ray {len(causes)} time(s) in a row ({', '.join(names)}; "
            f"{lost} actor(s) lost in all)")
    if any(isinstance(e, rex.OutOfMemoryError) for e in causes):
        return (f"{head}: out of memory: Ray's memory monitor killed the actors playing them; give the nodes "
                f"more memory, or play fewer genomes (--pop) or episodes at once")
    return f"{head}: a bug, or a node that kills what it runs"


class Generation:
    """One call of :func:`play`: chunks handed to warm actors until every chunk has its result.

    A chunk still running when everything else is handed out and an actor is
    idle, ``settings.LATE_AFTER`` times longer than the median chunk of the
    call (and at least ``settings.LATE_MIN`` seconds), is given to that actor
    too: the first copy to finish counts (both give the same rows). This
    bounds what a chunk sent to a node that has just died costs when Ray
    takes its time (up to about 30 s) to say so. No wait is unbounded: when
    no actor can play for ``settings.WAIT_FOR_ACTORS`` seconds, or one chunk
    has lost ``settings.LOSSES_PER_CHUNK`` actors, :meth:`play` raises
    :class:`ClusterLost`.
    """

    def __init__(self, key: str, game: tuple, genomes: np.ndarray, E: int, seed: int, pool_: Pool, kernel: str):
        self.key, self.game, self.genomes, self.E, self.seed, self.kernel = key, game, genomes, E, seed, kernel
        self.pool = pool_
        pool_.resize(key, game)
        self.spans = chunks(genomes.shape[0], E, pool_.size)
        self.results: list = [None] * len(self.spans)
        self.losses = [0] * len(self.spans)
        self.causes: list = [[] for _ in self.spans]  # the errors of each chunk's losses
        self.todo = list(range(len(self.spans)))[::-1]  # popped from the end: first chunk first
        self.running: dict = {}  # object ref -> (actor, chunk, when it was handed out)
        self.idle = list(pool_.ready)
        self.took: list = []  # seconds of each chunk finished so far
        self.refs: dict = {}  # chunk (or "all") -> its genomes in the object store
        # Small populations in one chunk per actor go in one put (a put costs about as much however
        # small); otherwise chunk by chunk, so that each node fetches only its share.
        self.whole = len(self.spans) <= pool_.size and genomes.nbytes <= (4 << 20)

    def put(self, i: int) -> tuple:
        """(object ref, start, stop) of chunk ``i``'s genomes in the store, put there on first use."""
        a, b = self.spans[i]
        if self.whole:
            if "all" not in self.refs:
                self.refs["all"] = ray.put(self.genomes)
            return self.refs["all"], a, b
        if i not in self.refs:
            self.refs[i] = ray.put(self.genomes[a:b])
        return self.refs[i], 0, b - a

    def submit(self, actor: Actor, i: int) -> None:
        ref = actor.play(self.key, self.game, *self.put(i), self.E, self.seed, self.kernel)
        self.running[ref] = (actor, i, time.monotonic())

    def copies(self, i: int) -> int:
        return sum(j == i for _, j, _ in self.running.values())

    def play(self) -> tuple:
        """(returns, steps) of the whole population, in order."""
        first, starved = True, None
        next_probe = time.monotonic() + 4 * settings.POLL
        while any(r is None for r in self.results):
            while self.todo and self.idle:
                self.submit(self.idle.pop(0), self.todo.pop())
            if first and self.running:  # the rest of the genomes travel while the first chunks play
                for i in self.todo:
                    self.put(i)
                first = False
            if not self.running and not self.idle:  # chunks to play, nobody to play them
                starved = starved or time.monotonic()
                if time.monotonic() - starved > settings.WAIT_FOR_ACTORS:
                    raise ClusterLost(self._starved_message())
                self.pool.resize(self.key, self.game)
            else:
                starved = None
            self._hedge()
            self._wait()
            if time.monotonic() > next_probe:  # a task of a dead node can wait for Ray's GCS timeout (60 s)
                check_local_node()
                next_probe = time.monotonic() + 4 * settings.POLL
        returns = np.concatenate([r for r, _ in self.results])
        steps = np.concatenate([s for _, s in self.results])
        return returns, steps

    def _hedge(self) -> None:
        """Give late chunks to idle actors too (see the class docstring)."""
        if self.todo or not self.idle or not self.took:
            return
        late = max(settings.LATE_AFTER * float(np.median(self.took)), settings.LATE_MIN)
        for actor, i, since in list(self.running.values()):
            if self.idle and self.results[i] is None and self.copies(i) == 1 and time.monotonic() - since > late:
                log.info("Ray: genomes %s are late on %s (%.1f s); another actor plays them too", self._span(i),
                         actor.where, time.monotonic() - since)
                self.submit(self.idle.pop(0), i)

    def _wait(self) -> None:
        starting = list(self.pool.starting)
        needed = [r for r, (_, i, _) in self.running.items() if self.results[i] is None]
        if self.todo or len(needed) < len(self.running):  # the next one to finish may be all it takes
            if not self.running and not starting:
                time.sleep(settings.POLL)  # a replacement starts after its back-off
                return
            done, _ = ray.wait(list(self.running) + starting, num_returns=1, timeout=settings.POLL)
        else:  # everything is handed out: wait for all at once (each ray.wait costs a round trip)
            done, _ = ray.wait(list(self.running), num_returns=len(self.running), timeout=settings.POLL)
            if starting:
                done += ray.wait(starting, num_returns=len(starting), timeout=0)[0]
        for ref in done:
            if ref in self.pool.starting:
                actor = self.pool.settle(ref)
                if actor is not None:
                    self.idle.append(actor)
            else:
                self._collect(ref)

    def _collect(self, ref) -> None:
        actor, i, since = self.running.pop(ref)
        try:
            result = ray.get(ref)
            self.idle.append(actor)
            if self.results[i] is None:
                self.results[i] = result
                self.took.append(time.monotonic() - since)
            return
        except OBJECT_LOST as e:  # the actor may be fine; the genomes must be put again
            self.refs.pop("all" if self.whole else i, None)
            self.idle.append(actor)
            log.warning("Ray: genomes %s lost (%s); put again", self._span(i), type(e).__name__)
            cause = e
        except ACTOR_LOST as e:
            check_local_node()
            self.pool.lose(actor, e, self._span(i))
            cause = e
        if self.results[i] is not None or self.copies(i):  # another copy has it, or is playing it
            return
        self.losses[i] += 1
        self.causes[i].append(cause)
        if self.losses[i] >= settings.LOSSES_PER_CHUNK:
            raise ClusterLost(give_up_message(self._span(i), self.causes[i], self.pool.lost))
        self.todo.append(i)

    def _span(self, i: int) -> str:
        return f"{self.spans[i][0]}..{self.spans[i][1] - 1}"

    def _starved_message(self) -> str:
        memory = self.pool.lost_to_memory
        if memory:
            return (f"no Ray actor could play for {settings.WAIT_FOR_ACTORS:g} s: out of memory: Ray's memory "
                    f"monitor killed {memory} of the {self.pool.lost} actor(s) lost; give the nodes more memory, "
                    f"or play fewer genomes (--pop) or episodes at once")
        return (f"no Ray actor could play for {settings.WAIT_FOR_ACTORS:g} s ({self.pool.lost} lost, "
                f"{len(self.pool.starting)} starting: waiting for a CPU, or compiling; the cluster has "
                f"{cpus()} CPU(s), each actor needs {self.pool.threads})")
