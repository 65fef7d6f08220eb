"""The Ray backend: one generation's evaluation spread over the cores of a Ray cluster.

``evo.rollout(env, net, genomes, episodes, seed, backend="ray")`` lands here.
The population is cut into contiguous chunks of genomes; each chunk is played
by a long-lived Ray actor with the same fused kernel as the local backend
(:func:`evo.kernels.play.play`), and the chunks' returns are put back in
order. Because every (genome, episode) is keyed by (seed, episode) only, a
chunk's rows are exactly the rows the local backend computes for those
genomes: the result is bit-identical whatever the split, the cluster, and
whichever actor ends up playing a chunk.

How the work moves:

- Every genome goes into Ray's object store once per call (``ray.put``),
  chunk by chunk: the first chunk of each actor first, so that the actors
  play while the rest of the population is being put.
- The actors of a pool live as long as the process (or until
  :func:`shutdown`) and cache each (game, parameters, network) they have been
  given, so the compiled kernel stays loaded between generations; only a
  small description of the game and the network travels with each task.
- A new actor warms up first (builds the game, compiles or loads the kernel,
  plays one episode) and takes chunks only once warm, so a node that compiles
  for ten seconds, or an actor that cannot be placed at all, holds nothing
  back. :func:`warm` starts the warm-up early, while the caller does its own
  first work.
- Chunks are handed out as actors come free (more chunks than actors for
  large populations), so a slow node does not hold the whole generation back.

When things fail. Whatever kills an actor -- killed, out of memory, its node
gone -- its chunk goes back in the queue at once and the actors left play it:
the pool shrinks and the generation goes on at reduced speed, with the same
result. The pool grows back to one actor per ``T`` CPUs as the cluster
regains capacity (replacements wait, unwarmed, until Ray can place them). A
lost object is put again. A chunk far later than the others (a frozen
worker, or a dead node Ray has not declared dead yet) is given to an idle
actor too, and the first copy to finish counts. No wait is unbounded: when
no actor can play for :data:`WAIT_FOR_ACTORS` seconds, when one chunk has
failed :data:`LOSSES_PER_CHUNK` times, or when Ray itself fails, the call
raises :class:`ClusterLost` with one line saying what happened. Losses and
replacements are logged on the ``evo.ray.distributed`` logger (losses as
warnings). Recovery is done here rather than by Ray's ``max_restarts`` and
``max_task_retries``: retriable actor tasks cost about 3 ms more per chunk
(measured), a restart is no cheaper than a new actor, and a restarted actor
waits for a CPU like any other while its chunk waits with it.

One failure cannot be caught in the process that drives Ray: when the Ray
node a driver is attached to stops (the head node, for a driver started
there), Ray ends the driver's process. ``neuroevo run`` and ``neuroevo
sweep`` therefore drive Ray from a child process (``init(isolated=True)``):
if Ray ends it, the command notices, keeps its checkpoint and says so in one
line; a stop request (:func:`request_stop`, the CLI's SIGINT/SIGTERM) ends
the wait for a generation at once.

Ray is started for you on first use (:func:`init`): ``address=None`` starts a
quiet local instance with every core (or joins ``RAY_ADDRESS``), ``"auto"``
joins the cluster started with ``ray start`` on this machine,
``"ray://host:10001"`` connects a Ray client (``pip install 'ray[client]'``).
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from pathlib import Path

import numpy as np
import ray
from ray import exceptions as rex

THREADS_PER_ACTOR: int | None = None
"""Numba threads (and CPUs reserved) per actor; None: the CPUs of the smallest node, so one
actor per node on a uniform cluster. See :func:`pool`."""
CHUNKS_PER_ACTOR = 2
"""Most chunks per actor in a generation: more balance the load, fewer cost less per generation."""
SPLIT_ABOVE = 8192
"""(genome, episode) pairs per chunk below which an actor gets one chunk only: each chunk
costs a few milliseconds in Ray (measured: benchmarks/ray_backend.py)."""
WAIT_FOR_ACTORS = 60.0
"""Seconds a call waits while no actor can play (all lost, or none placed yet) before it raises
:class:`ClusterLost`. Ray takes about 15 s to declare a silent node dead."""
LOSSES_PER_CHUNK = 3
"""Actors one chunk may lose in one call before the call gives up (a chunk that kills every actor
it meets is a bug, not bad luck)."""
RESIZE_EVERY = 2.0
"""Seconds between looks at the cluster's CPUs (to grow or shrink the pool); each costs a request
to the head and a few milliseconds."""
CONNECT_TIMEOUT = 120.0
"""Seconds ``init(isolated=True)`` waits for Ray to answer (``ray.init`` itself retries an address
that does not answer for ever); starting a local instance takes 3-8 s here."""
LATE_AFTER = 3.0
LATE_MIN = 2.0
"""A chunk running ``LATE_AFTER`` times longer than the median chunk of its call, and at least
``LATE_MIN`` seconds, is also given to an idle actor (see ``_Generation``)."""
POLL = 0.5
"""Seconds between checks while waiting on Ray (stop requests, starving pools, the child process)."""

log = logging.getLogger(__name__)


class ClusterLost(RuntimeError):
    """Ray cannot go on with this call; the message is one line saying what happened.

    Raised when no actor could play for :data:`WAIT_FOR_ACTORS` seconds,
    when one chunk lost :data:`LOSSES_PER_CHUNK` actors, when a call to Ray
    itself fails (head node unreachable), or when the child process driving
    Ray ends. Nothing of the call's result is kept; the caller's state is as
    it was before the call.
    """


class Interrupted(Exception):
    """:func:`request_stop` was called while a call waited for Ray."""


# Whatever a task can die of that is not the task's own fault: the chunk is played again elsewhere.
_ACTOR_LOST = (rex.RayActorError, rex.ActorUnschedulableError, rex.OutOfMemoryError, rex.WorkerCrashedError,
               rex.NodeDiedError, rex.TaskUnschedulableError)
_OBJECT_LOST = (rex.ObjectLostError,)


# -- actors ---------------------------------------------------------------------------------


@ray.remote(max_restarts=0, max_task_retries=0)
class Evaluator:
    """A worker holding compiled games and networks, keyed by :func:`game_key`."""

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
        env, net = self._game(key, game)
        self.rollout(key, game, np.zeros((1, net.num_params), np.float32), 0, 1, 1, 0)
        return ray.util.get_node_ip_address(), os.getpid(), time.perf_counter() - start

    def _game(self, key: str, game: tuple) -> tuple:
        if key not in self.cache:
            self.cache[key] = _make(game)
        return self.cache[key]

    def rollout(self, key: str, game: tuple, genomes: np.ndarray, start: int, stop: int, episodes: int,
                seed: int, delay: float = 0.0, fail: str = "", kernel: str = "auto"):
        """Returns and steps of ``genomes[start:stop]`` (arrays of shape (stop - start, episodes)).

        ``delay`` and ``fail`` are for tests: keep the chunk in flight long
        enough to kill this actor, or raise one of :data:`_SIMULATED`.
        """
        import numba

        from evo.kernels.play import play

        if delay:
            time.sleep(delay)
        if fail:
            raise _SIMULATED[fail]()
        numba.set_num_threads(self.threads)  # per calling thread: set it on every call
        env, net = self._game(key, game)
        # A writable copy: numba compiles a second kernel for the store's read-only arrays.
        r = play(env, net, np.array(genomes[start:stop]), episodes, seed, kernel=kernel)
        return r.returns, r.steps


# Tests: the errors Ray raises when it loses a worker or an object, raised by a chunk on purpose.
_SIMULATED = {
    "OutOfMemoryError": lambda: rex.OutOfMemoryError("simulated: the memory monitor killed this worker"),
    "ObjectLostError": lambda: rex.ObjectLostError("0" * 56, None, "simulated"),
    "NodeDiedError": lambda: rex.NodeDiedError("simulated: the node died"),
}


def _make(game: tuple):
    import envs
    from evo.networks.mlp import from_dict

    name, max_steps, level, options, net, module = game
    if module is not None and name not in envs.names():  # a game registered in the driver only
        envs.register(name, module)
    return envs.make(name, level=level, max_steps=max_steps, **options), from_dict(net)


def game_key(env, net) -> tuple:
    """What an actor needs to rebuild ``env`` and ``net``, and a string naming it."""
    module = env.module.__name__ if env.fused else None  # lets an actor register a game made with envs.register
    game = (env.name, int(env.max_steps), getattr(env, "level", None), dict(env.options), net.to_dict(), module)
    return json.dumps(game, sort_keys=True, default=repr), game


# -- connecting -----------------------------------------------------------------------------

_helper = None  # the child process driving Ray, when init(isolated=True)
_stop = threading.Event()


def init(address: str | None = None, *, isolated: bool = False, verbose: bool = False) -> None:
    """Connect to Ray unless already connected.

    ``address=None`` starts a local instance with ``os.cpu_count()`` CPUs,
    without dashboard and without forwarding worker logs (or joins the
    cluster named by ``RAY_ADDRESS``); ``"auto"``, ``"host:port"`` or
    ``"ray://host:port"`` join a running cluster.

    ``isolated=True`` drives Ray from a child process instead (see the module
    docstring); every later call of this module in this process goes
    through it until :func:`close`. The child's own output (Ray's messages
    about dying nodes, raylet logs) is dropped unless ``verbose``.

    Raises
    ------
    ValueError
        One line: the cluster cannot be reached (or ``ray://`` without ``ray[client]``).
    """
    global _helper
    if isolated:
        if _helper is None:
            _helper = _Helper(address, verbose)
        return
    if ray.is_initialized():
        return
    where = address or os.environ.get("RAY_ADDRESS")
    try:
        if where:
            ray.init(address=address or None, log_to_driver=False, logging_level=logging.WARNING)
        else:  # "local": a new instance, never one that happens to be running on this machine
            ray.init(address="local", num_cpus=os.cpu_count(), include_dashboard=False, log_to_driver=False,
                     logging_level=logging.ERROR)
    except (ConnectionError, rex.RayError) as e:
        raise ValueError(f"cannot connect to Ray at {where}: {_first_line(e)}{_auth_hint(where)}") from None
    except ImportError as e:  # ray:// needs the client extra
        raise ValueError(f"cannot connect to Ray at {where}: {e} (pip install 'ray[client]')") from None


def close() -> None:
    """End the child process of ``init(isolated=True)``, if any (its actors end with it)."""
    global _helper
    if _helper is not None:
        helper, _helper = _helper, None
        helper.close()
    _stop.clear()


def request_stop() -> None:
    """Make the call now waiting for Ray (or the next one) raise :class:`Interrupted`.

    Safe in a signal handler. Applies to calls through ``init(isolated=True)``;
    :func:`close` clears it.
    """
    _stop.set()


def _session() -> tuple:
    ctx = ray.get_runtime_context()
    return ctx.get_node_id(), ctx.get_job_id()


# -- the pool -------------------------------------------------------------------------------


class _Actor:
    """An actor of the pool and where it runs (known once it is warm)."""

    def __init__(self, threads: int, replacement: bool):
        self.handle = Evaluator.options(num_cpus=threads).remote(threads)
        self.replacement = replacement
        self.where = "a node not yet known"
        self.warm_seconds = None

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
    the cluster, looking at the cluster at most every :data:`RESIZE_EVERY`
    seconds, and starts replacements for lost actors with a back-off (1 s,
    doubling up to 30 s while replacements keep failing).
    """

    def __init__(self, threads: int, want: int):
        self.threads, self.want = threads, want
        self.session = _session()
        self.ready: list = []
        self.starting: dict = {}
        self.backoff = 0.0
        self.next_start = 0.0
        self.next_resize = 0.0
        self.lost = 0

    @property
    def size(self) -> int:
        return len(self.ready) + len(self.starting)

    def resize(self, key: str, game: tuple) -> None:
        """Start or cancel unwarmed actors so the pool matches the cluster's CPUs now."""
        if time.monotonic() < self.next_resize:
            return
        self.next_resize = time.monotonic() + RESIZE_EVERY
        _check_local_node()
        try:
            cpus = int(ray.cluster_resources().get("CPU", 0))
        except Exception as e:  # noqa: BLE001 - the head does not answer
            raise ClusterLost(f"Ray does not answer: {_first_line(e)}") from None
        target = max(1, cpus // self.threads)
        while self.size > target and self.starting:  # capacity went: cancel actors still waiting
            _, actor = self.starting.popitem()
            actor.kill()
        if self.size < target and time.monotonic() >= self.next_start:
            for _ in range(target - self.size):
                actor = _Actor(self.threads, replacement=bool(self.ready) or self.lost > 0)
                self.starting[actor.handle.warm.remote(key, game)] = actor

    def settle(self, ref) -> _Actor | None:
        """The actor whose warm-up ``ref`` finished, now ready, or None if it died warming up."""
        actor = self.starting.pop(ref)
        try:
            node, pid, seconds = ray.get(ref)
        except (*_ACTOR_LOST, *_OBJECT_LOST) as e:
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

    def lose(self, actor: _Actor, error: Exception, span: str) -> None:
        """Drop a dead actor that was playing genomes ``span``; a replacement may start after the back-off."""
        if actor in self.ready:
            self.ready.remove(actor)
        self.next_start = max(self.next_start, time.monotonic() + max(1.0, self.backoff))
        self.next_resize = 0.0  # look again at the next chance
        self._note_loss(actor, error, f"while it played genomes {span}",
                        f"the {len(self.ready)} actor(s) left play them again")

    def _note_loss(self, actor: _Actor, error: Exception, doing: str, then: str) -> None:
        actor.kill()
        self.lost += 1
        log.warning("Ray: lost the actor on %s %s (%s); %s", actor.where, doing, type(error).__name__, then)

    def kill(self) -> None:
        for actor in [*self.ready, *self.starting.values()]:
            actor.kill()
        self.ready, self.starting = [], {}


_pool: Pool | None = None


def pool(threads_per_actor: int | None = None) -> Pool:
    """The :class:`Pool` of this process on the current Ray cluster (created empty on first use).

    Its actors reserve ``T`` CPUs each and run the kernel on ``T`` numba
    threads, where ``T = threads_per_actor`` or :data:`THREADS_PER_ACTOR` or,
    by default, the CPU count of the smallest node. Few actors with many
    threads beat many single-thread actors: each actor is a process of about
    330 MB (Ray, numba, the kernels), every chunk costs a put, a round trip
    and a copy, and numba balances the episodes of a chunk across its threads
    for free (measured: benchmarks/ray_backend.py).
    """
    global _pool
    want = int(threads_per_actor or THREADS_PER_ACTOR or 0)
    if _pool is None or _pool.session != _session() or _pool.want != want:
        shutdown()
        if int(ray.cluster_resources().get("CPU", 0)) < 1:
            raise ClusterLost("the Ray cluster has no CPUs to evaluate on")
        _pool = Pool(want or _smallest_node(), want)
    return _pool


def _smallest_node() -> int:
    sizes = [int(n["Resources"].get("CPU", 0)) for n in ray.nodes() if n.get("Alive")]
    return min([c for c in sizes if c >= 1] or [1])


def shutdown() -> None:
    """Kill this process's actors (Ray itself keeps running); the next call makes new ones."""
    global _pool
    if _helper is not None:
        _helper.call("shutdown")
        return
    if _pool is not None and ray.is_initialized():
        _pool.kill()
    _pool = None


def warm(env, net, *, address: str | None = None, threads_per_actor: int | None = None) -> int:
    """Start the pool's actors warming up for ``env`` and ``net`` and return at once.

    Call it before the first generation and do other work meanwhile: each
    node compiles the kernels on first use (10-20 s cold, well under a second
    from the kernel cache). Returns the number of actors still warming up.
    """
    key, game = game_key(env, net)
    if _helper is not None:
        return _helper.call("warm", key, game, threads_per_actor)
    init(address)
    return _warm(key, game, threads_per_actor)


def _warm(key: str, game: tuple, threads_per_actor: int | None) -> int:
    p = pool(threads_per_actor)
    p.resize(key, game)
    return len(p.starting)


def chunks(P: int, episodes: int, n_actors: int) -> list:
    """Contiguous row ranges ``(start, stop)`` covering ``range(P)``: one per actor, up to
    :data:`CHUNKS_PER_ACTOR` per actor for large populations."""
    n = max(1, min(max(n_actors, (P * episodes) // SPLIT_ABOVE), n_actors * CHUNKS_PER_ACTOR, P))
    bounds = np.linspace(0, P, n + 1).round().astype(int)
    return [(int(a), int(b)) for a, b in zip(bounds[:-1], bounds[1:]) if b > a]


# -- one generation -------------------------------------------------------------------------


def rollout(env, net, genomes: np.ndarray, episodes: int, seed: int, *, address: str | None = None,
            threads_per_actor: int | None = None, kernel: str = "auto", _delay: float = 0.0,
            _fail: dict | None = None):
    """:func:`evo.rollout` on Ray actors; same arguments, same result to the bit.

    ``genomes`` must be checked already (float32, C-contiguous, shape (P, G)).

    Raises
    ------
    ClusterLost
        Ray could not finish the call (see the class); nothing is kept.
    Interrupted
        :func:`request_stop` was called (child-process mode).
    """
    from evo.kernels.play import Rollout

    P, E = genomes.shape[0], int(episodes)
    if P == 0:
        return Rollout(np.zeros((0, E)), np.zeros((0, E), dtype=np.int64))
    key, game = game_key(env, net)
    if _helper is not None:
        returns, steps = _helper.rollout(key, game, genomes, E, int(seed), threads_per_actor, _delay, _fail,
                                         kernel)
    else:
        init(address)
        returns, steps = _play(key, game, genomes, E, int(seed), threads_per_actor, _delay, _fail or {}, kernel)
    return Rollout(returns, steps)


def _play(key: str, game: tuple, genomes: np.ndarray, E: int, seed: int, threads_per_actor: int | None,
          delay: float = 0.0, fail: dict | None = None, kernel: str = "auto") -> tuple:
    """The returns and steps of every genome, played in chunks by the pool (see the module docstring).

    ``fail`` (tests) maps a chunk index to a ``ray.exceptions`` name its first attempt raises.
    """
    try:
        return _Generation(key, game, genomes, E, seed, pool(threads_per_actor), delay, dict(fail or {}),
                           kernel).play()
    except (ClusterLost, Interrupted, rex.RayTaskError):
        raise
    except (rex.RayError, ConnectionError, OSError) as e:  # Ray itself failed: the head, the store
        raise ClusterLost(f"Ray failed: {type(e).__name__}: {_first_line(e)}") from None


class _Generation:
    """One call of :func:`rollout`: chunks handed to warm actors until every chunk has its result.

    A chunk still running when everything else is handed out and an actor is
    idle, :data:`LATE_AFTER` times longer than the median chunk of the call
    (and at least :data:`LATE_MIN` seconds), is given to that actor too: the
    first copy to finish counts (both give the same rows). This bounds what a
    chunk sent to a node that has just died costs when Ray takes its time
    (up to about 30 s) to say so.
    """

    def __init__(self, key, game, genomes, E, seed, pool_, delay, fail, kernel):
        self.key, self.game, self.genomes, self.E, self.seed, self.kernel = key, game, genomes, E, seed, kernel
        self.pool, self.delay, self.fail = pool_, delay, fail
        pool_.resize(key, game)
        self.spans = chunks(genomes.shape[0], E, pool_.size)
        self.results: list = [None] * len(self.spans)
        self.losses = [0] * len(self.spans)
        self.todo = list(range(len(self.spans)))[::-1]  # popped from the end: first chunk first
        self.running: dict = {}  # object ref -> (actor, chunk, when it was handed out)
        self.idle = list(pool_.ready)
        self.took: list = []  # seconds of each chunk finished so far
        self.refs: dict = {}  # chunk (or "all") -> its genomes in the object store
        # Small populations in one chunk per actor go in one put (a put costs ~2 ms however
        # small); otherwise chunk by chunk, so that each node fetches only its share.
        self.whole = len(self.spans) <= pool_.size and genomes.nbytes <= (4 << 20)

    def put(self, i: int) -> tuple:
        a, b = self.spans[i]
        if self.whole:
            if "all" not in self.refs:
                self.refs["all"] = ray.put(self.genomes)
            return self.refs["all"], a, b
        if i not in self.refs:
            self.refs[i] = ray.put(self.genomes[a:b])
        return self.refs[i], 0, b - a

    def submit(self, actor: _Actor, i: int) -> None:
        fail = self.fail.pop(i, "")
        ref = actor.handle.rollout.remote(self.key, self.game, *self.put(i), self.E, self.seed, self.delay, fail,
                                           self.kernel)
        self.running[ref] = (actor, i, time.monotonic())

    def copies(self, i: int) -> int:
        return sum(j == i for _, j, _ in self.running.values())

    def play(self) -> tuple:
        first, starved = True, None
        next_probe = time.monotonic() + 4 * POLL
        while any(r is None for r in self.results):
            while self.todo and self.idle:
                self.submit(self.idle.pop(0), self.todo.pop())
            if first and self.running:  # the rest of the genomes travel while the first chunks play
                for i in self.todo:
                    self.put(i)
                first = False
            if not self.running and not self.idle:  # chunks to play, nobody to play them
                starved = starved or time.monotonic()
                if time.monotonic() - starved > WAIT_FOR_ACTORS:
                    raise ClusterLost(self._starved_message())
                self.pool.resize(self.key, self.game)
            else:
                starved = None
            self._hedge()
            self._wait()
            if time.monotonic() > next_probe:  # a task of a dead node can wait for Ray's GCS timeout (60 s)
                _check_local_node()
                next_probe = time.monotonic() + 4 * POLL
        returns = np.concatenate([r for r, _ in self.results])
        steps = np.concatenate([s for _, s in self.results])
        return returns, steps

    def _hedge(self) -> None:
        """Give late chunks to idle actors too (see the class docstring)."""
        if self.todo or not self.idle or not self.took:
            return
        late = max(LATE_AFTER * float(np.median(self.took)), LATE_MIN)
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
                time.sleep(POLL)  # a replacement starts after its back-off
                return
            done, _ = ray.wait(list(self.running) + starting, num_returns=1, timeout=POLL)
        else:  # everything is handed out: wait for all at once (each ray.wait costs a round trip)
            done, _ = ray.wait(list(self.running), num_returns=len(self.running), timeout=POLL)
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
        except _OBJECT_LOST as e:  # the actor may be fine; the genomes must be put again
            self.refs.pop("all" if self.whole else i, None)
            self.idle.append(actor)
            log.warning("Ray: genomes %s lost (%s); put again", self._span(i), type(e).__name__)
        except _ACTOR_LOST as e:
            _check_local_node()
            self.pool.lose(actor, e, self._span(i))
        if self.results[i] is not None or self.copies(i):  # another copy has it, or is playing it
            return
        self.losses[i] += 1
        if self.losses[i] >= LOSSES_PER_CHUNK:
            raise ClusterLost(f"genomes {self._span(i)} failed on Ray {LOSSES_PER_CHUNK} time(s) in a row "
                              f"({self.pool.lost} actor(s) lost in all): a bug, or a node that kills what it runs")
        self.todo.append(i)

    def _span(self, i: int) -> str:
        return f"{self.spans[i][0]}..{self.spans[i][1] - 1}"

    def _starved_message(self) -> str:
        cpus = int(ray.cluster_resources().get("CPU", 0))
        return (f"no Ray actor could play for {WAIT_FOR_ACTORS:g} s ({self.pool.lost} lost, "
                f"{len(self.pool.starting)} starting: waiting for a CPU, or compiling; the cluster has "
                f"{cpus} CPU(s), each actor needs {self.pool.threads})")


def _check_local_node() -> None:
    """Raise :class:`ClusterLost` if the Ray node this process is attached to has stopped.

    Without it, the next call to the cluster's head would wait for Ray's GCS
    reconnection timeout (60 s) before Ray ends the process; the node's
    socket refusing a connection says so at once.
    """
    node = getattr(ray._private.worker.global_worker, "node", None)  # None for a ray:// client
    path = getattr(node, "raylet_socket_name", None)
    if not path:
        return
    import socket
    with socket.socket(socket.AF_UNIX) as s:
        try:
            s.connect(path)
        except OSError as e:
            raise ClusterLost(f"the Ray node this driver is attached to has stopped (its raylet: {e.strerror}); "
                              f"was the head node lost?") from None


def _auth_hint(address: str | None) -> str:
    """A hint for a cluster that refused or ignored us: Ray 2.5x heads enable token authentication."""
    if not address or os.environ.get("RAY_AUTH_MODE", "").lower() == "token":
        return ""
    return " (a cluster with token authentication needs RAY_AUTH_MODE=token and its token here)"


def _first_line(e: BaseException) -> str:
    text = str(e).strip()
    return text.splitlines()[0] if text else type(e).__name__


# -- sweeps: one run per seed, as Ray tasks -----------------------------------------------


@ray.remote(num_cpus=1, max_retries=2)
def _sweep_run(config_toml: str, seed: int, dest: str) -> tuple:
    """``neuroevo run`` for one seed on whichever node Ray picks, in a scratch directory.

    Returns (exit status, output with the scratch path replaced by ``dest``,
    {file name: bytes} of the run directory), so the driver writes the run
    directory where it wants it: no shared file system needed.
    """
    import subprocess
    import sys
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory(prefix="neuroevo-sweep-") as tmp:
        config, out = Path(tmp) / "config.toml", Path(tmp) / f"seed-{seed}"
        config.write_text(config_toml)
        cmd = [sys.executable, "-m", "evo", "run", "--config", str(config), "--seed", str(seed),
               "--out", str(out), "--threads", "1", "--quiet", "--backend", "local", "--address", ""]
        proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=tmp)
        files = {p.name: p.read_bytes() for p in sorted(out.iterdir()) if p.is_file() and not p.name.startswith(".")} \
            if out.is_dir() else {}
        return proc.returncode, proc.stdout.strip().replace(str(out), dest), files


def sweep(config_toml: str, seeds, out, *, address: str | None = None, jobs: int | None = None):
    """Run ``neuroevo run --config <config_toml> --seed S`` for every seed as a Ray task (one CPU each).

    Yields ``(seed, exit status, output, {file name: bytes})`` as runs finish;
    at most ``jobs`` at once (default: as many as the cluster has CPUs). A
    task whose worker or node dies is run again from the start (same seed,
    same files), twice at most.

    Raises
    ------
    ClusterLost
        The cluster had no CPU for :data:`WAIT_FOR_ACTORS` seconds, or Ray failed.
    """
    if _helper is not None:
        yield from _helper.stream("sweep", config_toml, list(seeds), str(out), jobs)
        return
    init(address)
    try:
        yield from _sweep(config_toml, list(seeds), str(out), jobs)
    except (rex.RayError, ConnectionError, OSError) as e:
        raise ClusterLost(f"Ray failed: {type(e).__name__}: {_first_line(e)}") from None


def _sweep(config_toml: str, seeds: list, out: str, jobs: int | None):
    shutdown()  # an evaluation pool would hold the CPUs these tasks need
    pending = seeds[::-1]
    running: dict = {}
    starved, next_check = None, 0.0
    while pending or running:
        while pending and (jobs is None or len(running) < jobs):
            seed = pending.pop()
            running[_sweep_run.remote(config_toml, int(seed), str(Path(out) / f"seed-{seed}"))] = seed
        done, _ = ray.wait(list(running), num_returns=1, timeout=POLL)
        if not done and time.monotonic() >= next_check:  # every few seconds: is there still a cluster?
            next_check = time.monotonic() + 10 * POLL
            _check_local_node()
            if int(ray.cluster_resources().get("CPU", 0)) >= 1:
                starved = None
            elif time.monotonic() - (starved := starved or time.monotonic()) > WAIT_FOR_ACTORS:
                raise ClusterLost(f"the Ray cluster has had no CPU for {WAIT_FOR_ACTORS:g} s "
                                  f"({len(running) + len(pending)} run(s) not finished)")
        for r in done:
            seed = running.pop(r)
            try:
                code, text, files = ray.get(r)
            except rex.RayError as e:
                code, text, files = 1, f"failed on Ray: {type(e).__name__}", {}
            yield seed, code, text, files


# -- the child process that drives Ray for the CLI -------------------------------------------


class _Helper:
    """A child process that is this process's Ray driver (see :func:`init`).

    A plain ``python`` process in a session of its own (a Ctrl-C at the
    terminal reaches this process only), talking over a socket pair, with
    genomes in shared memory. It answers with a value, a stream of items or
    an error, and forwards the records of its ``evo.ray.distributed`` logger to
    this process's. Every wait here checks, each :data:`POLL` seconds, for a
    stop request and for the child's death.
    """

    def __init__(self, address: str | None, verbose: bool = False):
        import atexit
        import socket
        import subprocess
        import sys
        from multiprocessing.connection import Connection

        ours, theirs = socket.socketpair()
        root = str(Path(__file__).resolve().parent.parent)  # where evo is imported from, here and there
        code = f"import sys; sys.path.insert(0, {root!r}); import evo.ray.distributed as d; d._serve({theirs.fileno()})"
        quiet = None if verbose else subprocess.DEVNULL  # Ray's own messages stay out of the terminal
        self.proc = subprocess.Popen([sys.executable, "-c", code], pass_fds=(theirs.fileno(),),
                                     stdin=subprocess.DEVNULL, stdout=quiet, stderr=quiet, start_new_session=True)
        theirs.close()
        self.conn = Connection(ours.detach())
        self.shm = None
        self.broken = False  # after a ClusterLost: the child is not asked for anything again
        self.busy = True  # until the child says it is connected
        atexit.register(self.close)
        joining = address or os.environ.get("RAY_ADDRESS")
        where = joining or "a new local instance"
        try:
            self.conn.send((address, {k: globals()[k] for k in _SETTINGS}, verbose))
            self._receive(deadline=time.monotonic() + CONNECT_TIMEOUT)
            self.busy = False
        except TimeoutError:
            self.close()
            raise ValueError(f"cannot connect to Ray at {where}: no answer within {CONNECT_TIMEOUT:g} s"
                             f"{_auth_hint(joining)}") from None
        except ClusterLost as e:
            self.close()
            raise ValueError(f"cannot connect to Ray at {where}: {e}") from None
        except BaseException:
            self.close()
            raise

    def call(self, name: str, *args):
        self._send((name, args))
        kind, value = self._receive()
        self.busy = False
        return value

    def stream(self, name: str, *args):
        self._send((name, args))
        while True:
            kind, value = self._receive()
            if kind == "end":
                self.busy = False
                return
            self.busy = True  # an "error" in between cleared it; a stream is busy until its "end"
            yield value

    def rollout(self, key, game, genomes, E, seed, threads, delay, fail, kernel) -> tuple:
        from multiprocessing import shared_memory

        if self.shm is None or self.shm.size < genomes.nbytes:
            self._free()
            self.shm = shared_memory.SharedMemory(create=True, size=max(genomes.nbytes, 1 << 16))
        np.ndarray(genomes.shape, genomes.dtype, buffer=self.shm.buf)[...] = genomes
        return self.call("rollout", key, game, self.shm.name, genomes.shape, E, seed, threads, delay, fail,
                         kernel)

    def _send(self, message) -> None:
        if _stop.is_set():
            raise Interrupted()
        if self.busy:  # an earlier call was interrupted: its answer would be taken for this one's
            raise ClusterLost("the Ray driver process is still busy with an interrupted call")
        if self.broken:
            raise ClusterLost("the Ray driver process lost its cluster earlier")
        try:
            self.conn.send(message)
        except OSError:
            self.broken = True
            raise ClusterLost(self._death()) from None
        self.busy = True

    def _receive(self, deadline: float | None = None) -> tuple:
        """The next answer of the child: (kind, value); notes are logged, errors raised here.

        Raises TimeoutError past ``deadline`` (a ``time.monotonic()`` value).
        """
        while True:
            if _stop.is_set():
                raise Interrupted()
            try:
                message = self.conn.recv() if self.conn.poll(POLL) else None
            except (EOFError, OSError):
                self.broken = True
                raise ClusterLost(self._death()) from None
            if message is None:
                if self.proc.poll() is not None:
                    self.broken = True
                    raise ClusterLost(self._death())
                if deadline is not None and time.monotonic() > deadline:
                    raise TimeoutError
                continue
            kind, value = message
            if kind == "note":
                log.log(*value)
            elif kind == "error":
                self.busy = False
                self.broken = value[0] == "ClusterLost"
                raise _ERRORS.get(value[0], RuntimeError)(value[1])
            else:
                return kind, value

    def _death(self) -> str:
        import subprocess

        try:
            code = self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            code = None
        how = "is still running" if code is None else f"exited with status {code}" if code >= 0 else \
            f"was killed by signal {-code}"
        return (f"lost the Ray driver process: it {how} (Ray ends a driver when the Ray node it is attached "
                f"to stops: was the head node lost?)")

    def _free(self) -> None:
        if self.shm is not None:
            self.shm.close()
            self.shm.unlink()
            self.shm = None

    def close(self) -> None:
        """End the child: asked, or at once if it is busy or lost its cluster (a stop must not wait)."""
        import subprocess

        if self.proc.poll() is None and not self.busy and not self.broken:
            try:
                self.conn.send(("close", ()))
                self.proc.wait(timeout=10)
            except (OSError, subprocess.TimeoutExpired):
                pass
        # Ray's SIGTERM handler runs only when the call it interrupts returns: wait for that briefly.
        for end, wait in ((self.proc.terminate, 2), (self.proc.kill, 10)):
            if self.proc.poll() is None:
                end()
                try:
                    self.proc.wait(timeout=wait)
                except subprocess.TimeoutExpired:
                    pass
        self.conn.close()
        self._free()


_SETTINGS = ("THREADS_PER_ACTOR", "CHUNKS_PER_ACTOR", "SPLIT_ABOVE", "WAIT_FOR_ACTORS", "LOSSES_PER_CHUNK",
             "RESIZE_EVERY", "LATE_AFTER", "LATE_MIN", "POLL")
"""The module settings a child process takes from its parent."""
_ERRORS = {"ClusterLost": ClusterLost, "ValueError": ValueError, "TypeError": TypeError}


class _Forward(logging.Handler):
    """Sends the child's log records to the parent, which logs them again."""

    def __init__(self, conn):
        super().__init__(logging.INFO)
        self.conn = conn

    def emit(self, record):
        try:
            self.conn.send(("note", (record.levelno, record.getMessage())))
        except (OSError, ValueError):
            pass


def _serve(fd: int) -> None:
    """The child process: connect, then answer requests until told to close or the parent goes."""
    import traceback
    from multiprocessing import resource_tracker, shared_memory
    from multiprocessing.connection import Connection

    conn = Connection(fd)
    address, settings, verbose = conn.recv()
    globals().update(settings)
    log.addHandler(_Forward(conn))
    log.setLevel(logging.INFO)
    log.propagate = False
    try:
        init(address)
    except ValueError as e:
        conn.send(("error", ("ValueError", str(e))))
        return
    conn.send(("value", None))
    memory: dict = {}

    def genomes(name, shape):
        if name not in memory:
            memory[name] = shared_memory.SharedMemory(name=name)
            # The parent owns it; before Python 3.13, attaching registers it with this process's
            # resource tracker too, which would unlink it when this process ends.
            resource_tracker.unregister(memory[name]._name, "shared_memory")
        return np.ndarray(shape, np.float32, buffer=memory[name].buf)

    served = {
        "rollout": lambda key, game, name, shape, E, seed, threads, delay, fail, kernel:
            _play(key, game, genomes(name, shape), E, seed, threads, delay, fail, kernel),
        "warm": _warm,
        "shutdown": shutdown,
        "sweep": _sweep_served,
    }
    while True:
        try:
            name, args = conn.recv()
        except (EOFError, OSError):  # the parent is gone
            break
        if name == "close":
            break
        try:
            result = served[name](*args)
            if name == "sweep":
                for item in result:
                    conn.send(("item", item))
                conn.send(("end", None))
            else:
                conn.send(("value", result))
        except (EOFError, OSError):
            break
        except Exception as e:  # noqa: BLE001 - every error goes back to the parent as one line
            if verbose:
                traceback.print_exc()
            conn.send(("error", (type(e).__name__, str(e) or type(e).__name__)))
    for m in memory.values():
        m.close()
    shutdown()
    ray.shutdown()


def _sweep_served(config_toml, seeds, out, jobs):
    try:
        yield from _sweep(config_toml, seeds, out, jobs)
    except (rex.RayError, ConnectionError, OSError) as e:
        raise ClusterLost(f"Ray failed: {type(e).__name__}: {_first_line(e)}") from None
