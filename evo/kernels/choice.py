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

A timing taken while other processes used much of the CPU (more than
:data:`BUSY_SHARE` of the machine, read from ``/proc/stat``) may crown the
wrong kernel, so it is kept only until the combination is met again: then
both kernels are timed anew, until a timing is taken on a quiet machine or
:data:`BUSY_TIMINGS` busy timings in a row have been taken (the last of them
is then kept: a machine that is always busy is what the run meets).
"""

from __future__ import annotations

import json
import os

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
BUSY_SHARE = 0.25
"""A timing during which other processes kept more than this share of the machine's CPUs busy is a busy one ..."""
BUSY_TIMINGS = 3
"""... timed again when next met, until this many busy timings in a row (the last is then kept)."""

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
            _choices.update({k: v for k, v in data.items() if _kernel(v) is not None})
    return _choices


def _kernel(value) -> str | None:
    """The kernel of a kept value: ``"agent"``/``"lockstep"`` (settled), or ``{"kernel": ..., "busy": n}``
    (timed on a busy machine ``n`` times in a row, to be timed again)."""
    if isinstance(value, dict):
        n = value.get("busy")
        value = value.get("kernel") if isinstance(n, int) and not isinstance(n, bool) and n > 0 else None
    return value if value in ("agent", "lockstep") else None


def _value(env, net, pairs: int):
    if not getattr(env, "fused", False) or not hasattr(env, "module"):
        return None
    return _load().get(_key(env, net, pairs))


def known(env, net, pairs: int) -> str | None:
    """The kernel measured the faster for ``env``, ``net`` and about ``pairs`` pairs on this machine, if any."""
    return _kernel(_value(env, net, pairs))


def settled(env, net, pairs: int) -> bool:
    """Whether the kernel kept for ``env``, ``net`` and about ``pairs`` pairs stands (not timed on a busy machine)."""
    return isinstance(_value(env, net, pairs), str)


def busy_timings(env, net, pairs: int) -> int:
    """How many timings in a row of this combination were taken on a busy machine (0 where none or settled)."""
    value = _value(env, net, pairs)  # only valid values are kept (_load, store)
    return value["busy"] if isinstance(value, dict) else 0


def store(env, net, pairs: int, kind: str, busy: bool = False) -> None:
    """Keep ``kind`` as the faster kernel for ``env``, ``net`` and about ``pairs`` pairs on this machine; a
    ``busy`` timing is kept to be timed again, unless it is the :data:`BUSY_TIMINGS`-th in a row."""
    n = busy_timings(env, net, pairs) + 1 if busy else 0
    _store(_key(env, net, pairs), {"kernel": kind, "busy": n} if 0 < n < BUSY_TIMINGS else kind)


def cpu_ticks() -> tuple[int, int] | None:
    """Clock ticks the machine's CPUs spent busy (all processes, and time stolen by a hypervisor) and ticks
    this process spent, from Linux's ``/proc``; None where it cannot be read."""
    try:
        with open("/proc/stat", encoding="ascii") as f:
            fields = [int(x) for x in f.readline().split()[1:]]
        with open("/proc/self/stat", encoding="ascii") as f:
            own = f.read().rsplit(")", 1)[1].split()  # the process's name may hold spaces
        # user nice system idle iowait irq softirq steal: all but idle and iowait are busy
        return sum(fields[:8]) - fields[3] - fields[4], int(own[11]) + int(own[12])  # utime + stime
    except (OSError, ValueError, IndexError):
        return None


def others_share(before, after, seconds: float) -> float:
    """The share of the machine's CPUs that other processes kept busy between two :func:`cpu_ticks` readings
    ``seconds`` apart (0 where either is None)."""
    if before is None or after is None or seconds <= 0:
        return 0.0
    machine_, own = after[0] - before[0], after[1] - before[1]
    return max(0.0, machine_ - own) / (os.sysconf("SC_CLK_TCK") * seconds * (os.cpu_count() or 1))


def _store(key: str, kind) -> None:
    _load()[key] = kind
    path = _path()
    if path is None:
        return
    try:
        write_atomically(path, json.dumps(_choices, indent=0, sort_keys=True))
    except OSError:
        pass  # not kept: measured again next time
