"""Box constraints: keep genes inside ``[low, high]``.

Operators that can leave a box (:func:`evo.operators.mutation.gaussian`,
:func:`evo.operators.crossover.blend`, :func:`evo.operators.crossover.sbx`) and
:class:`evo.algorithms.ga.GeneticAlgorithm` take ``low``, ``high`` (scalars or arrays
of shape (G,); ``None`` for no bound on that side) and ``repair``:

- ``"clip"``: a gene beyond a bound is set to the bound;
- ``"reflect"``: a gene beyond a bound is mirrored back into the box, as
  often as needed (the box is folded with period ``2 (high - low)``), so
  that ``low - d`` becomes ``low + d``; it needs finite bounds on both sides.

Repaired genes lie in ``[low, high]`` after the cast to the genomes' dtype
too (a float32 gene never rounds past a float64 bound).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

REPAIRS = ("clip", "reflect")


def check(low: ArrayLike | None, high: ArrayLike | None, genes: int,
          repair: str = "clip") -> tuple[NDArray[np.float64], NDArray[np.float64]] | None:
    """Validate bounds for ``genes`` genes; return them as float64 arrays of shape (G,), or None if unbounded.

    Raises
    ------
    ValueError
        Wrong shape, NaN, ``low > high``, an unknown ``repair``, or
        ``"reflect"`` with an infinite bound.
    """
    if repair not in REPAIRS:
        raise ValueError(f"repair must be one of {', '.join(REPAIRS)}, got {repair!r}")
    if low is None and high is None:
        return None
    out = []
    for name, v, missing in (("low", low, -np.inf), ("high", high, np.inf)):
        try:
            a = np.asarray(missing if v is None else v, dtype=np.float64)
        except (TypeError, ValueError):
            raise ValueError(f"{name} must be a number or an array of numbers, got {v!r}") from None
        if a.ndim > 1 or (a.ndim == 1 and a.shape != (genes,)):
            raise ValueError(f"{name} must be a scalar or have shape ({genes},), got shape {a.shape}")
        if np.isnan(a).any():
            raise ValueError(f"{name} must not be NaN")
        out.append(np.broadcast_to(a, (genes,)).copy())
    lo, hi = out
    if not np.all(lo <= hi):
        raise ValueError("low must be <= high for every gene")
    if repair == "reflect" and not (np.isfinite(lo).all() and np.isfinite(hi).all()):
        raise ValueError("repair 'reflect' needs finite low and high for every gene")
    return lo, hi


def repair(x: NDArray, box: tuple[NDArray[np.float64], NDArray[np.float64]] | None, how: str,
           dtype=None) -> NDArray:
    """``x`` (shape (n, G)) brought into ``box`` (from :func:`check`) by ``how``, cast to ``dtype``.

    ``box=None`` only casts. The result is a new array.
    """
    dtype = np.dtype(x.dtype if dtype is None else dtype)
    if box is None:
        return np.array(x, dtype=dtype)
    lo, hi = box
    x = np.asarray(x, dtype=np.float64)
    if how == "reflect":
        width = hi - lo
        with np.errstate(invalid="ignore", divide="ignore"):
            y = np.mod(x - lo, 2.0 * width)
            y = np.where(y > width, 2.0 * width - y, y)
        inside = (x >= lo) & (x <= hi)
        x = np.where(inside | (width == 0), x, lo + y)
    out = np.clip(x, lo, hi).astype(dtype)
    if dtype.kind == "f" and dtype != np.float64:
        # bounds rounded inward in the output dtype, so that the cast cannot step outside
        lo_d, hi_d = lo.astype(dtype), hi.astype(dtype)
        lo_d = np.where(lo_d < lo, np.nextafter(lo_d, dtype.type(np.inf)), lo_d)
        hi_d = np.where(hi_d > hi, np.nextafter(hi_d, dtype.type(-np.inf)), hi_d)
        out = np.clip(out, lo_d, hi_d).astype(dtype, copy=False)
    return out
