"""The Ray backend: one generation's evaluation spread over the cores of a Ray cluster.

``evo.rollout(env, net, genomes, episodes, seed, backend="ray")`` lands here.
The population is cut into contiguous chunks of genomes; each chunk is played
by a long-lived Ray actor with the same fused kernel as the local backend
(:func:`evo.evaluate.rollout`), and the chunks' returns are put back in
order. Because every (genome, episode) is keyed by (seed, episode) only, a
chunk's rows are exactly the rows the local backend computes for those
genomes: the result is bit-identical whatever the split and the cluster.

How the work moves:

- Every genome goes into Ray's object store once per call (``ray.put``),
  chunk by chunk: the first chunk of each actor first, so that the actors
  play while the rest of the population is being put. On one machine the
  actors read the store's memory without a copy.
- The actors of a pool live as long as the process (or until
  :func:`shutdown`) and cache each (game, parameters, network) they have been
  given, so the compiled kernel stays loaded between generations; only a
  small description of the game and the network travels with each task.
- Chunks are handed out as actors come free (more chunks than actors), so a
  slow node or a noisy core does not hold the whole generation back.
- An actor that dies mid-generation (killed, out of memory, its node gone)
  is replaced by a fresh actor and its chunk submitted again; the result is
  the undisturbed one. This is done here rather than by Ray's
  ``max_restarts``/``max_task_retries``: retriable actor tasks cost about
  3 ms more per chunk (measured), and a restart is no cheaper than a new actor.

Ray is started for you on first use (:func:`init`): ``address=None`` starts a
quiet local instance with every core (or joins the cluster Ray already knows
about, e.g. ``RAY_ADDRESS``), ``"auto"`` joins the cluster started with
``ray start`` on this machine, ``"ray://host:10001"`` connects a Ray client.
"""

from __future__ import annotations

import json
import logging
import os
import time
from pathlib import Path

import numpy as np
import ray
from ray.exceptions import RayActorError

THREADS_PER_ACTOR: int | None = None
"""Numba threads (and CPUs reserved) per actor; None: the CPUs of the smallest node, so one
actor per node on a uniform cluster. See :func:`pool`."""
CHUNKS_PER_ACTOR = 2
"""Most chunks per actor in a generation: more balance the load, fewer cost less per generation."""
SPLIT_ABOVE = 8192
"""(genome, episode) pairs per chunk below which an actor gets one chunk only: each chunk
costs a few milliseconds in Ray (measured: benchmarks/ray_backend.py)."""
REPLACEMENTS = 4
"""Actors replaced within one call before it gives up (a chunk that kills every actor is a bug)."""

_pool: dict = {}


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

    def pid(self) -> int:
        return os.getpid()

    def rollout(self, key: str, game: tuple, genomes: np.ndarray, start: int, stop: int, episodes: int,
                seed: int, delay: float = 0.0, kernel: str = "auto"):
        """Returns and steps of ``genomes[start:stop]`` (arrays of shape (stop - start, episodes))."""
        import numba

        from evo.evaluate import rollout

        if delay:  # tests: keep the chunk in flight long enough to kill this actor
            time.sleep(delay)
        numba.set_num_threads(self.threads)  # per calling thread: set it on every call
        if key not in self.cache:
            self.cache[key] = _make(game)
        env, net = self.cache[key]
        # A writable copy: numba compiles a second kernel for the store's read-only arrays.
        r = rollout(env, net, np.array(genomes[start:stop]), episodes, seed, kernel=kernel)
        return r.returns, r.steps


def _make(game: tuple):
    import envs
    from evo.networks import from_dict

    name, max_steps, options, net, module = game
    if module is not None and name not in envs.names():  # a game registered in the driver only
        envs.register(name, module)
    return envs.make(name, max_steps=max_steps, **options), from_dict(net)


def game_key(env, net) -> tuple:
    """What an actor needs to rebuild ``env`` and ``net``, and a string naming it."""
    module = env.module.__name__ if env.fused else None  # lets an actor register a game made with envs.register
    game = (env.name, int(env.max_steps), dict(env.options), net.to_dict(), module)
    return json.dumps(game, sort_keys=True, default=repr), game


def init(address: str | None = None) -> None:
    """Connect to Ray unless already connected.

    ``address=None`` starts a local instance with ``os.cpu_count()`` CPUs,
    without dashboard and without forwarding worker logs (or joins the
    cluster named by ``RAY_ADDRESS``); ``"auto"`` or ``"ray://..."`` join a
    running cluster.
    """
    if ray.is_initialized():
        return
    try:
        if address or os.environ.get("RAY_ADDRESS"):
            ray.init(address=address or None, log_to_driver=False, logging_level=logging.WARNING)
        else:
            ray.init(num_cpus=os.cpu_count(), include_dashboard=False, log_to_driver=False,
                     logging_level=logging.ERROR)
    except ConnectionError as e:
        where = address or os.environ.get("RAY_ADDRESS")
        raise ValueError(f"cannot connect to Ray at {where}: {str(e).splitlines()[0]}") from None


def _session() -> tuple:
    ctx = ray.get_runtime_context()
    return ctx.get_node_id(), ctx.get_job_id()


def pool(threads_per_actor: int | None = None) -> list:
    """The actors of this process on the current Ray cluster, created on first use.

    ``cluster CPUs // T`` actors, each reserving ``T`` CPUs and running the
    kernel on ``T`` numba threads, where ``T = threads_per_actor`` or
    :data:`THREADS_PER_ACTOR` or, by default, the CPU count of the smallest
    node. Few actors with many threads beat many single-thread actors: each
    actor is a process of about 330 MB (Ray, numba, the kernels), every chunk
    costs a put, a round trip and a copy, and numba balances the episodes of a
    chunk across its threads for free (measured: benchmarks/ray_backend.py).
    """
    want = int(threads_per_actor or THREADS_PER_ACTOR or 0)
    if _pool.get("session") != _session() or _pool.get("want") != want:
        shutdown()
        cpus = int(ray.cluster_resources().get("CPU", 0))
        if cpus < 1:
            raise RuntimeError("the Ray cluster has no CPUs to evaluate on")
        t = min(want or _smallest_node(), cpus)
        _pool.update(session=_session(), want=want, threads=t)
        _pool["actors"] = [_new_actor() for _ in range(max(1, cpus // t))]
    return _pool["actors"]


def _smallest_node() -> int:
    sizes = [int(n["Resources"].get("CPU", 0)) for n in ray.nodes() if n.get("Alive")]
    return min([c for c in sizes if c >= 1] or [1])


def _new_actor():
    return Evaluator.options(num_cpus=_pool["threads"]).remote(_pool["threads"])


def shutdown() -> None:
    """Kill this process's actors (Ray itself keeps running); the next call makes new ones."""
    actors = _pool.pop("actors", [])
    _pool.clear()
    if ray.is_initialized():
        for a in actors:
            ray.kill(a, no_restart=True)


def chunks(P: int, episodes: int, n_actors: int) -> list:
    """Contiguous row ranges ``(start, stop)`` covering ``range(P)``: one per actor, up to
    :data:`CHUNKS_PER_ACTOR` per actor for large populations."""
    n = max(1, min(max(n_actors, (P * episodes) // SPLIT_ABOVE), n_actors * CHUNKS_PER_ACTOR, P))
    bounds = np.linspace(0, P, n + 1).round().astype(int)
    return [(int(a), int(b)) for a, b in zip(bounds[:-1], bounds[1:]) if b > a]


def rollout(env, net, genomes: np.ndarray, episodes: int, seed: int, *, address: str | None = None,
            threads_per_actor: int | None = None, kernel: str = "auto", _delay: float = 0.0):
    """:func:`evo.evaluate.rollout` on Ray actors; same arguments, same result to the bit.

    ``genomes`` must be checked already (float32, C-contiguous, shape (P, G)).
    """
    from evo.evaluate import Rollout

    P, E = genomes.shape[0], int(episodes)
    if P == 0:
        return Rollout(np.zeros((0, E)), np.zeros((0, E), dtype=np.int64))
    init(address)
    actors = pool(threads_per_actor)
    key, game = game_key(env, net)
    spans = chunks(P, E, len(actors))
    refs: dict = {}  # chunk -> its genomes in the object store
    results: list = [None] * len(spans)
    running: dict = {}  # object ref -> (actor, chunk)
    todo = list(range(len(spans)))[::-1]  # popped from the end: first chunk first
    idle = list(actors)
    replaced = 0

    # Small populations in one chunk per actor go in one put (a put costs ~2 ms however small);
    # otherwise chunk by chunk, so that each node fetches only its share.
    whole = len(spans) <= len(actors) and genomes.nbytes <= (4 << 20)

    def put(i):
        if whole:
            if "all" not in refs:
                refs["all"] = ray.put(genomes)
            return refs["all"], spans[i][0], spans[i][1]
        if i not in refs:
            refs[i] = ray.put(genomes[spans[i][0]:spans[i][1]])
        return refs[i], 0, spans[i][1] - spans[i][0]

    def submit(actor, i):
        running[actor.rollout.remote(key, game, *put(i), E, int(seed), _delay, kernel)] = (actor, i)

    first = True
    while todo or running:
        while todo and idle:
            submit(idle.pop(0), todo.pop())
        if first:  # the rest of the genomes travel while the first chunks play
            for i in todo:
                put(i)
            first = False
        # nothing left to hand out: wait for all at once (each ray.wait costs a round trip)
        done, _ = ray.wait(list(running), num_returns=1 if todo else len(running))
        for r in done:
            actor, i = running.pop(r)
            try:
                results[i] = ray.get(r)
                idle.append(actor)
            except RayActorError:  # the actor died: a new one takes its place and the chunk
                ray.kill(actor, no_restart=True)
                replaced += 1
                if replaced > REPLACEMENTS:
                    raise RuntimeError(f"Ray actors keep dying on genomes {spans[i][0]}..{spans[i][1] - 1}; "
                                       f"gave up after {REPLACEMENTS} replacements") from None
                fresh = _new_actor()
                _pool["actors"] = [fresh if a is actor else a for a in _pool["actors"]]
                todo.append(i)
                idle.append(fresh)
    returns = np.concatenate([r for r, _ in results])
    steps = np.concatenate([s for _, s in results])
    return Rollout(returns, steps)


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
        cmd = [sys.executable, "-m", "evo.cli", "run", "--config", str(config), "--seed", str(seed),
               "--out", str(out), "--threads", "1", "--quiet", "--backend", "local", "--address", ""]
        proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=tmp)
        files = {p.name: p.read_bytes() for p in sorted(out.iterdir()) if p.is_file() and not p.name.startswith(".")} \
            if out.is_dir() else {}
        return proc.returncode, proc.stdout.strip().replace(str(out), dest), files


def sweep(config_toml: str, seeds, out, *, address: str | None = None, jobs: int | None = None):
    """Run ``neuroevo run --config <config_toml> --seed S`` for every seed as a Ray task (one CPU each).

    Yields ``(seed, exit status, output, {file name: bytes})`` as runs finish;
    at most ``jobs`` at once (default: as many as the cluster has CPUs). A
    task whose worker dies is run again from the start (same seed, same files).
    """
    init(address)
    shutdown()  # an evaluation pool would hold the CPUs these tasks need
    pending = list(seeds)[::-1]
    running: dict = {}
    while pending or running:
        while pending and (jobs is None or len(running) < jobs):
            seed = pending.pop()
            running[_sweep_run.remote(config_toml, int(seed), str(Path(out) / f"seed-{seed}"))] = seed
        done, _ = ray.wait(list(running), num_returns=1)
        for r in done:
            seed = running.pop(r)
            try:
                code, text, files = ray.get(r)
            except ray.exceptions.RayError as e:
                code, text, files = 1, f"failed on Ray: {type(e).__name__}", {}
            yield seed, code, text, files
