"""Local fused play: every (genome, episode) played to the end in one parallel kernel on this machine.

For every pair ``(p, e)``, in parallel::

    rng = key(seed, 0, e)                 # same episode for every genome (common random numbers)
    reset -> [observe -> network step -> act -> step] until terminated or max_steps

Every genome meets the same keys, so ``reset`` runs once per episode, not once
per pair: :func:`episode_starts` computes each episode's state row and
generator word after ``reset`` (in the game's own ``STARTS`` module,
:mod:`evo.kernels.episode`) before the kernels run, and each pair begins with
a copy of its episode's. A game that draws much at reset (the racer's
procedural tracks) then draws it once per episode key. This takes a game whose
``reset`` writes every state slot that its ``observe`` and ``step`` read,
whatever the row held before, as every kernel always has.

Two kernels do this, with the same result to the bit, both instances of one
episode template (:mod:`evo.kernels.episode`) in which the network is a module
and the game is a module:

- **agent**: one pair at a time per thread; each layer of the forward pass is
  vectorised over its neurons. Any network kind plays here.
- **lockstep**: :data:`~evo.kernels.lanes.LANES` pairs at a time per thread, stepped together. Their
  genomes are stored side by side, so one weight of all lanes is one vector
  and the forward pass is vectorised over the lanes; a lane whose episode ends is
  refilled at once with the next pair, so the block stays full. Once every
  pair is handed out, a block with :data:`~evo.kernels.lanes.TAIL_LANES` or fewer lanes still
  running plays them one at a time with the agent kernel's own episode
  function. Network kinds with a lockstep block (MLP) play here. A plain
  ``nogil`` function run on a thread pool, each thread taking chunks of pairs
  from a shared counter (:mod:`evo.kernels.threads`), rather than a ``parallel=True``
  kernel, which compiles slower. A game that
  provides ``observe_lanes`` and ``step_lanes`` (cartpole, mountaincar; see
  docs/games.md) steps lane-wise, its state a row per slot so that a slot of
  all lanes is one vector; any other steps lane by lane (its functions are
  inlined into the loop); :mod:`evo.kernels.lanes` holds the two adapters. Every lane
  computes exactly what the agent kernel computes for its pair: the same
  operations in the same order, no value crossing lanes (only "which lanes
  are running" steers the loop). Several times faster for small networks,
  less so as networks grow; :func:`choose_kernel` picks it for networks of at most
  ``LOCKSTEP_MAX_GENES`` genes.

Asked for behaviour descriptors (``rollout(..., behaviour=True)``), both
kernels also copy every pair's final state row out when its episode ends, the
same state in both; the game's ``describe`` turns them into descriptors
afterwards (``envs.Env.describe``), so nothing changes inside the step loop.

The per-pair generator is counter-based (:mod:`envs.rng`), and each pair's
return is summed in step order by one thread, so the result is bit-identical
whatever the kernel, the number of threads or how work is scheduled. The
kernels are specialised per game and network shape and cached on disk
(:mod:`envs.specialise`).
"""

from __future__ import annotations

import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numba
import numpy as np

from evo._validation import MAX_SEED, as_numbers, check_int, check_memory
from evo.kernels import episode as _episode
from evo.kernels import lanes as _lanes
from evo.kernels import threads as _threads
from evo.kernels.choice import known
from evo.kernels.prepare import prepare

@dataclass
class Rollout:
    """Returns and episode lengths of every (genome, episode) pair, and their behaviour descriptors if asked.

    Attributes
    ----------
    returns : ndarray of shape (P, E), float64
    steps : ndarray of shape (P, E), int64
    descriptors : ndarray of shape (P, E, D), float64, or None
    """

    returns: np.ndarray
    steps: np.ndarray
    descriptors: np.ndarray | None = None

    @property
    def behaviour(self) -> np.ndarray | None:
        """Mean behaviour descriptor over episodes, shape (P, D), float64 (None unless asked for)."""
        return None if self.descriptors is None else self.descriptors.mean(axis=1)

    @property
    def fitness(self) -> np.ndarray:
        """Mean return over episodes, shape (P,), float64."""
        return self.returns.mean(axis=1)

    @property
    def total_steps(self) -> int:
        """Agent-steps taken in all episodes."""
        return int(self.steps.sum())


def check_genomes(env, net, genomes, episodes, seed) -> np.ndarray:
    """``genomes`` as a read-only C-contiguous float32 array, after checking them, ``episodes`` and ``seed`` against
    ``env`` and ``net``; ValueError or TypeError with one line saying what is wrong."""
    check_int("episodes", episodes, 1)
    check_int("seed", seed, 0, MAX_SEED)
    try:
        fits = net.num_inputs == env.obs_size and net.num_outputs == env.num_outputs
    except AttributeError:
        raise TypeError(f"env must be a game from envs.make(name) and net a network such as evo.MLP([...]), "
                        f"got env {type(env).__name__} and net {type(net).__name__}") from None
    if not fits:
        raise ValueError(f"network {list(net.sizes)} does not fit {env.name}: it needs "
                         f"{env.obs_size} inputs and {env.num_outputs} outputs")
    genomes = as_numbers("genomes", genomes, np.float32, contiguous=True)
    if genomes.ndim != 2 or genomes.shape[1] != net.num_params:
        raise ValueError(f"genomes must have shape (P, {net.num_params}), got {np.shape(genomes)}")
    state_size = getattr(getattr(env, "spec", None), "state_size", 0)  # an episode's start (episode_starts)
    check_memory(f"{genomes.shape[0]} genomes x {episodes} episodes",
                 16.0 * genomes.shape[0] * episodes + 8.0 * (state_size + 1) * episodes)
    # always a read-only view: Numba compiles a kernel once per argument type, and read-only arrays (an
    # algorithm's population, what Ray hands an actor) are another type than writable ones
    view = genomes.view()
    view.flags.writeable = False
    return view


KERNELS = ("auto", "lockstep", "agent")
LOCKSTEP_MAX_GENES = 2048
"""Largest network (genes) the lockstep kernel plays under ``kernel="auto"``, unless the game's module sets
its own. A block of ``LANES`` genomes (``genes * LANES * 4`` bytes) outgrows the core's L1 cache from about
512 genes on; each neuron's weights of all lanes are one contiguous block read front to back, which the
hardware prefetches, but for networks much larger than this the per-agent kernel is as fast or faster
(docs/performance.md)."""
LOCKSTEP_MIN_PAIRS = 0
"""Fewest (genome, episode) pairs a call plays in lockstep under ``kernel="auto"``, unless the
game's module sets its own ``LOCKSTEP_MIN_PAIRS``. Games whose random genomes play mostly very short
episodes and a few as long as the game allows may: with few pairs a lockstep block then spends most of
its time part-empty, waiting on its longest episode, and the first run compiles a second kernel."""
CHUNK = 64
"""Pairs handed out at a time to a thread's lanes (a thread's lanes keep playing from one chunk to the
next, so only the last episodes of each thread run in a part-empty block)."""


def compiled(env, net, kind: str = "agent", counted: bool = False, by_lane: bool = False):
    """The fused rollout of ``kind`` ("agent" or "lockstep") compiled for ``env``'s game and ``net``'s shape.

    Compiled on first use, or loaded from the cache on disk (:mod:`evo.kernels.episode`). ``counted``:
    the lockstep kernel with reference counting, which games that allocate arrays need
    (:func:`_lockstep_kernel` picks it). ``by_lane``: the lockstep kernel steps the game lane by lane
    even where it could step lane-wise.
    """
    if kind == "agent":
        return _episode.agent_module(env, net, _lanes.LANES).rollout
    return _episode.lockstep_module(env, net, _lanes.LANES, _lanes.TAIL_LANES, counted, by_lane).rollout


_STARTS: dict = {}
"""Each game's ``starts`` function (:data:`evo.kernels.episode.STARTS`), once per process."""
STARTS_PER_THREAD = 32
"""Fewest episodes per thread :func:`episode_starts` hands a thread of its own."""


def episode_starts(env, episodes: int, seed: int) -> tuple:
    """Every episode's start: what ``env``'s ``reset`` gives for the key ``(seed, 0, e)``.

    Returns
    -------
    rows : ndarray of shape (episodes, state_size), float64
        Row ``e``: the state row after ``reset`` for episode ``e``.
    rngs : ndarray of shape (episodes,), uint64
        ``rngs[e]``: the generator word after that ``reset``, from which episode ``e``'s steps draw.
    """
    starts = _STARTS.get(env.module)
    if starts is None:
        starts = _STARTS[env.module] = _episode.starts_module(env).starts
    rows = np.zeros((episodes, env.spec.state_size), dtype=np.float64)
    rngs = np.zeros(episodes, dtype=np.uint64)
    threads = max(1, min(numba.get_num_threads(), episodes // STARTS_PER_THREAD))
    _threads.run(starts, threads, np.int64(threads), env.params, np.uint64(seed), rows, rngs)
    return rows, rngs


_AGENT_KERNELS: dict = {}
"""The per-agent kernel of each game and network shape, once per process (finding it means generating
its source and hashing what it reaches)."""


def _network_key(net) -> tuple:
    return (type(net), repr(net), _lanes.LANES)


def _agent_kernel(env, net):
    key = (env.module, _network_key(net))
    kernel = _AGENT_KERNELS.get(key)
    if kernel is None:
        kernel = _AGENT_KERNELS[key] = compiled(env, net)
    return kernel


_LOCKSTEP_KERNELS: dict = {}
"""The lockstep kernel chosen for each game, network shape and stepping, once per process: finding it
(the kernel's source, its cache entry, the check that it compiles without reference counting) costs
more than a small rollout."""


def _lockstep_kernel(env, net, by_lane):
    """The lockstep kernel for ``env`` and ``net``: without reference counting, unless the game's functions
    allocate arrays (then compiling it fails, which a file beside it in the cache remembers)."""
    key = (env.module, _network_key(net), bool(by_lane))
    kernel = _LOCKSTEP_KERNELS.get(key)
    if kernel is None:
        kernel = compiled(env, net, "lockstep", by_lane=by_lane)
        counted = Path(sys.modules[kernel.py_func.__module__].__file__).with_suffix(".counted")
        if counted.exists():
            kernel = compiled(env, net, "lockstep", counted=True, by_lane=by_lane)
        _LOCKSTEP_KERNELS[key] = kernel
    return kernel


def _checked(kernel, env, net, args, by_lane):
    """``kernel``, or the one with reference counting if ``kernel`` does not compile for ``args``."""
    if kernel.signatures or kernel.targetoptions.get("_nrt", True):
        return kernel
    try:
        kernel.compile(tuple(numba.typeof(a) for a in args))
        return kernel
    except numba.core.errors.NumbaError:
        Path(sys.modules[kernel.py_func.__module__].__file__).with_suffix(".counted").touch()
    key = (env.module, _network_key(net), bool(by_lane))
    kernel = _LOCKSTEP_KERNELS[key] = compiled(env, net, "lockstep", counted=True, by_lane=by_lane)
    return kernel


def choose_kernel(net, kernel: str = "auto", env=None, pairs: int | None = None) -> str:
    """The kernel :func:`rollout` uses: ``kernel`` itself, or for "auto" "lockstep" when the network
    has at most :data:`LOCKSTEP_MAX_GENES` genes and there are at least :data:`LOCKSTEP_MIN_PAIRS`
    (genome, episode) pairs to play (``pairs``, when given), and "agent" otherwise. The game's module
    may set either limit for itself, and the network its fewest pairs (``net.lockstep_min_pairs``).
    Where the two were timed on this machine for this game, network and about this many pairs
    (:mod:`evo.kernels.choice`), the faster of them instead. The choice never
    depends on the thread count: a sweep's one-thread jobs play the kernel a run on every core compiled."""
    if kernel not in KERNELS:
        raise ValueError(f"unknown kernel {kernel!r}; known: {', '.join(KERNELS)}")
    if not getattr(net, "lockstep", False):
        if kernel == "lockstep":
            raise ValueError(f"the lockstep kernel does not play {type(net).__name__} networks (feed-forward only)")
        return "agent"
    if kernel == "auto":
        measured = None if pairs is None else known(env, net, pairs)
        if measured is not None:
            return measured
        module = getattr(env, "module", None)
        most = getattr(module, "LOCKSTEP_MAX_GENES", LOCKSTEP_MAX_GENES)
        least = getattr(net, "lockstep_min_pairs", getattr(module, "LOCKSTEP_MIN_PAIRS", LOCKSTEP_MIN_PAIRS))
        return "lockstep" if net.num_params <= most and (pairs is None or pairs >= least) else "agent"
    return kernel


def _lines(*parts) -> list:
    """Zero-filled C-contiguous arrays, one per ``(shape, dtype)`` of ``parts``, carved from one allocation
    so that each begins on a 64-byte cache line boundary and each of their rows (along axis 0) is a
    whole number of cache lines: rows used by different threads never share a line (false sharing). One
    allocation, not one per array, which is quicker and leaves nothing about their placement to chance."""
    sizes = []
    for shape, dtype in parts:
        row = int(np.prod(shape[1:])) * np.dtype(dtype).itemsize
        if row % 64:
            raise ValueError(f"a row of {row} bytes is not a whole number of cache lines")
        sizes.append(row * shape[0])
    buf = np.zeros(sum(sizes) + 64, dtype=np.uint8)
    at = -buf.ctypes.data % 64
    arrays = []
    for (shape, dtype), size in zip(parts, sizes):
        arrays.append(buf[at:at + size].view(dtype).reshape(shape))
        at += size
    return arrays


def _run_lockstep(env, net, genomes, episodes, seed, returns, steps, finals=None, by_lane=False):
    spec = env.spec
    if finals is None:  # no final states asked for
        finals = np.zeros((0, 0, 0), dtype=np.float64)
    threads = min(numba.get_num_threads(), -(-genomes.shape[0] * episodes // CHUNK))  # one per chunk at most
    starts, start_rngs = episode_starts(env, episodes, seed)
    kernel = _lockstep_kernel(env, net, by_lane)
    module = sys.modules[kernel.py_func.__module__]
    floats = module._BLOCK + spec.obs_size  # the network's block, then an observation
    slots = spec.state_size + spec.action_buffer_size  # a lane's state and action
    f32, f64, i64, u64, one, counter = _lines(
        ((threads, -(-floats // 16) * 16), np.float32), ((threads, *module._SHAPE), np.float64),
        ((threads, 2, _lanes.LANES), np.int64), ((threads, _lanes.LANES), np.uint64),
        ((threads, -(-slots // 8) * 8), np.float64),  # a lane's state and action, played alone
        ((1, 8), np.int64))  # chunks handed out
    i64[:] = -1  # every lane idle
    counter = counter[0]
    args = [counter, genomes, env.params, starts, start_rngs, np.int64(episodes), np.int64(env.max_steps),
            np.int64(CHUNK), returns, steps, finals, f32, f64, i64, u64, one]
    _threads.run(_checked(kernel, env, net, [np.int64(0)] + args, by_lane), threads, *args)


def play(env, net, genomes, episodes: int = 1, seed: int = 0, *, kernel: str = "auto",
         behaviour: bool = False) -> Rollout:
    """Play ``episodes`` episodes with every genome on this machine's cores; see :func:`evo.rollout`.

    ``kernel`` and ``behaviour`` as in :func:`evo.kernels.evaluate.rollout`; ``genomes`` are checked
    (:func:`check_genomes`) here.
    """
    genomes = check_genomes(env, net, genomes, episodes, seed)
    kind = choose_kernel(net, kernel, env, genomes.shape[0] * episodes)
    if behaviour and not (env.fused and env.describes):
        raise ValueError(f"{env.name} has no behaviour descriptor")
    if not env.fused:  # played step by step (a Gymnasium environment)
        return Rollout(*env.play(net, genomes, int(episodes), int(seed)))
    P, E = genomes.shape[0], int(episodes)
    returns = np.zeros((P, E), dtype=np.float64)
    steps = np.zeros((P, E), dtype=np.int64)
    finals = np.zeros((P, E, env.spec.state_size) if behaviour else (0, 0, 0), dtype=np.float64)
    if P:
        prepare(env, net, kind)
        spec = env.spec
        numba.set_parallel_chunksize(1)  # dynamic scheduling: episode lengths vary widely
        if kind == "lockstep":
            _run_lockstep(env, net, genomes, E, seed, returns, steps, finals)
        else:
            starts, start_rngs = episode_starts(env, E, seed)
            _agent_kernel(env, net)(genomes, env.params, starts, start_rngs, E, env.max_steps, spec.discrete,
                                    spec.state_size, spec.obs_size, spec.action_buffer_size, returns, steps, finals)
    if not behaviour:
        return Rollout(returns, steps)
    described = env.describe(finals.reshape(P * E, -1))
    return Rollout(returns, steps, described.reshape(P, E, -1))


def measure(env, net, pairs: int, say="notice", genomes=None, keep: bool = True) -> str:
    """The faster kernel for ``env``, ``net`` and ``pairs`` pairs on this machine (:mod:`evo.kernels.choice`),
    measured now unless it was before.

    Compiles both kernels first where needed (saying so, ``say`` as in
    :func:`evo.kernels.prepare.prepare`), then plays ``genomes`` (default:
    ``net.init`` genomes, as a run's first population) one episode each with
    each kernel in turn, in at least :data:`evo.kernels.choice.ROUNDS` rounds and
    until each kernel has played :data:`evo.kernels.choice.TIMED_SECONDS`
    seconds (at most :data:`evo.kernels.choice.MOST_ROUNDS` rounds); the higher
    median of agent-steps per second wins. ``keep``: store the result for later
    runs (a benchmark that times other genomes does not). A result kept from a
    timing on a busy machine is timed again (:mod:`evo.kernels.choice`).
    """
    from evo.kernels import choice, prepare as _prepare
    kind = choice.known(env, net, pairs) if keep else None
    if kind is not None and choice.settled(env, net, pairs):
        return kind
    for k in ("agent", "lockstep"):
        prepare(env, net, k, say)
    say = _prepare.notice if say == "notice" else say
    if say is not None:
        say(f"timing both kernels on {env.name} again: the last timing was taken on a busy machine" if kind else
            f"timing both kernels on {env.name} to play the faster, first time only")
    if genomes is None:
        genomes = net.init(np.random.default_rng(0), max(1, min(pairs, choice.TIMED_PAIRS)))
    speed = {"agent": [], "lockstep": []}
    spent = {"agent": 0.0, "lockstep": 0.0}
    for k in speed:  # loaded from the cache, outside the timings
        play(env, net, genomes[:1], 1, 0, kernel=k)
    r = 0
    ticks, start = choice.cpu_ticks(), time.perf_counter()
    while r < choice.ROUNDS or (min(spent.values()) < choice.TIMED_SECONDS and r < choice.MOST_ROUNDS):
        for k in speed:
            t = time.perf_counter()
            steps = play(env, net, genomes, 1, r, kernel=k).total_steps
            took = max(time.perf_counter() - t, 1e-9)
            spent[k] += took
            speed[k].append(steps / took)
        r += 1
    busy = choice.others_share(ticks, choice.cpu_ticks(), time.perf_counter() - start) > choice.BUSY_SHARE
    kind = max(speed, key=lambda k: statistics.median(speed[k]))
    if keep:
        choice.store(env, net, pairs, kind, busy)
    return kind


def auto_kernel(env, net, pairs: int, say="notice") -> str:
    """The kernel ``kernel="auto"`` plays for a run of ``pairs`` (genome, episode) pairs on ``env`` with
    ``net``, decided before the run starts: the one measured the faster here (:func:`measure`, the first
    time) when the run is large enough to repay compiling both (:data:`evo.kernels.choice.MEASURE_MIN_PAIRS`
    pairs) or both are compiled already, so that timing them costs a fraction of a second (a small run
    follows a kept choice, even one to be timed again); else the fixed rule of :func:`choose_kernel`."""
    from evo.kernels.choice import MEASURE_MIN_PAIRS
    from evo.kernels.prepare import pending
    if getattr(net, "lockstep", False) and getattr(env, "fused", False) and (
            pairs >= MEASURE_MIN_PAIRS or not (known(env, net, pairs) or pending(env, net, "agent")
                                               or pending(env, net, "lockstep"))):
        return measure(env, net, pairs, say)
    return choose_kernel(net, "auto", env, pairs)  # a small run follows a busy timing rather than time again


def compile_request(request: str) -> None:
    """A child of :func:`evo.kernels.prepare.prepare`: one small rollout of the requested kernel, which
    compiles it into the cache."""
    import importlib
    import json

    spec = json.loads(request)  # its path is this process's already (evo.kernels.prepare._SAME_PATH)
    import envs  # noqa: F401  (registers the games, plugins included)
    from envs.core import Env
    from evo.networks.registry import from_dict
    _lanes.LANES = spec["lanes"]  # the parent's width, whatever this process would choose
    env = Env(importlib.import_module(spec["game"]))
    net = from_dict(spec["network"])
    play(env, net, np.zeros((1, net.num_params), dtype=np.float32), 1, 0, kernel=spec["kind"])
