"""``kernel="auto"`` as measured on this machine: which kernel was the faster the first time it mattered.

Which kernel is the faster depends on the game, the network's shape, the
number of (genome, episode) pairs and the CPU (its vector width, its caches),
so no fixed rule holds on every machine. The first time a run of at least
:data:`MEASURE_MIN_PAIRS` pairs meets a game and network shape, the run
compiles both kernels (in a child, :mod:`evo.kernels.prepare`) and plays its
first population a few times with each (:func:`evo.kernels.play.measure`); the faster one is kept in the cache
directory, in a file of this machine's CPU, for that game, network and number
of pairs (rounded down to a power of two), and :func:`evo.kernels.play.choose_kernel`
follows it from then on, in every process. Both kernels give the same results
to the bit, so the choice changes how long a run takes, never what it computes.
Below :data:`MEASURE_MIN_PAIRS` a generation takes milliseconds and compiling a
second kernel would cost more than it could save: the fixed rule decides, unless
both kernels are compiled already, when timing them costs a fraction of a second
(:func:`evo.kernels.play.auto_kernel`).
"""

from __future__ import annotations

import json

from envs.specialise import cache_dir, write_atomically
from evo.kernels import lanes as _lanes
from evo.kernels.prepare import machine

MEASURE_MIN_PAIRS = 1024
"""Fewest pairs of a run whose kernel is measured, not ruled."""
TIMED_PAIRS = 2048
"""Most pairs a timing plays (the run's first population, cut to this many genomes)."""
ROUNDS = 3
"""Fewest interleaved timings of each kernel; the median decides."""
TIMED_SECONDS = 0.2
"""Seconds each kernel plays at least (more rounds where a call takes milliseconds), ..."""
MOST_ROUNDS = 40
"""... in at most this many rounds."""

_choices: dict = {}
_read: list = []


def _path():
    directory = cache_dir()
    return None if directory is None else directory / f"kernel-choices.{machine()}.json"


def bucket(pairs: int) -> int:
    """``pairs`` rounded down to a power of two: runs of similar size share a measurement."""
    return 1 << max(0, int(pairs).bit_length() - 1)


def _key(env, net, pairs: int) -> str:
    return f"{env.module.__name__}|{net!r}|{_lanes.LANES}|{bucket(pairs)}"


def _load() -> dict:
    if not _read:
        _read.append(True)
        path = _path()
        try:
            data = json.loads(path.read_text(encoding="utf-8")) if path is not None and path.is_file() else {}
        except (OSError, ValueError):
            data = {}  # unreadable: measured again, and written anew
        if isinstance(data, dict):
            _choices.update({k: v for k, v in data.items() if v in ("agent", "lockstep")})
    return _choices


def known(env, net, pairs: int) -> str | None:
    """The kernel measured the faster for ``env``, ``net`` and about ``pairs`` pairs on this machine, if any."""
    if not getattr(env, "fused", False) or not hasattr(env, "module"):
        return None
    return _load().get(_key(env, net, pairs))


def store(env, net, pairs: int, kind: str) -> None:
    """Keep ``kind`` as the faster kernel for ``env``, ``net`` and about ``pairs`` pairs on this machine."""
    _store(_key(env, net, pairs), kind)


def _store(key: str, kind: str) -> None:
    _load()[key] = kind
    path = _path()
    if path is None:
        return
    try:
        write_atomically(path, json.dumps(_choices, indent=0, sort_keys=True))
    except OSError:
        pass  # not kept: measured again next time
