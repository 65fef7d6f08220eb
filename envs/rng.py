"""Counter-based random numbers for game kernels.

Every agent carries its own generator state: one ``uint64`` word in an array of
shape ``(1,)``. The word is derived from ``(seed, stream, index)`` by
:func:`key`, and :func:`next_u64` advances it with SplitMix64 (Steele, Lea and
Flood, "Fast splittable pseudorandom number generators", OOPSLA 2014). No
state is shared between agents, so results do not depend on the order or the
thread in which agents run, and two agents given the same key see the same
numbers (common random numbers).
"""

import numpy as np
from numba import njit

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_S30 = np.uint64(30)
_S27 = np.uint64(27)
_S31 = np.uint64(31)
_S11 = np.uint64(11)
_INV53 = 1.0 / 9007199254740992.0  # 2**-53


@njit
def _mix(z):
    z = (z ^ (z >> _S30)) * _M1
    z = (z ^ (z >> _S27)) * _M2
    return z ^ (z >> _S31)


@njit
def key(seed, stream, index):
    """Generator state for ``(seed, stream, index)``: a well-mixed ``uint64``.

    Distinct triples give unrelated streams. ``stream`` is typically the
    generation and ``index`` the episode.
    """
    z = _mix(np.uint64(seed) + _GOLDEN)
    z = _mix(z ^ (np.uint64(stream) + _GOLDEN))
    return _mix(z ^ (np.uint64(index) + _GOLDEN))


@njit
def next_u64(rng):
    """Advance the generator ``rng`` (uint64 array of shape (1,)) and return 64 random bits."""
    rng[0] += _GOLDEN
    return _mix(rng[0])


@njit
def uniform(rng, low=0.0, high=1.0):
    """A float64 uniform in ``[low, high)`` from the generator ``rng``."""
    u = np.float64(next_u64(rng) >> _S11) * _INV53
    return low + (high - low) * u


@njit
def randint(rng, n):
    """An integer uniform in ``[0, n)`` (n > 0) from the generator ``rng``."""
    return min(int(uniform(rng) * n), n - 1)


def keys(seed, stream, indices):
    """Python helper: generator states for many indices, as a uint64 array of shape (N,)."""
    return _keys(np.uint64(seed), np.uint64(stream), np.asarray(indices, dtype=np.uint64))


@njit
def _keys(seed, stream, indices):
    out = np.empty(indices.shape[0], dtype=np.uint64)
    for i in range(indices.shape[0]):
        out[i] = key(seed, stream, indices[i])
    return out
