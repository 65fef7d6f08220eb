"""Fitness shaping: fitness values turned into weights that depend only on their order (or scale).

Evolution strategies estimate a search direction from a population's fitness;
shaping makes that estimate indifferent to monotone changes of the fitness
(ranks) or to its offset and scale (z-scores), which keeps a few outliers from
steering the search. Fitness is maximised and NaN counts as the worst.
"""

from __future__ import annotations

import numpy as np

from evo._validation import as_numbers


def _clean(fitness) -> np.ndarray:
    f = as_numbers("fitness", fitness)
    if f.ndim != 1:
        raise ValueError(f"fitness must be a vector, got shape {f.shape}")
    return np.where(np.isnan(f), -np.inf, f)


def ranks(fitness) -> np.ndarray:
    """0 for the worst, ``P - 1`` for the best (ties broken by position, NaN worst), float64 of shape (P,)."""
    f = _clean(fitness)
    order = np.argsort(f, kind="stable")
    r = np.empty(len(f))
    r[order] = np.arange(len(f))
    return r


def centered_ranks(fitness) -> np.ndarray:
    """Ranks scaled to [-0.5, 0.5], the best 0.5 (Salimans et al. 2017), float64 of shape (P,).

    Examples
    --------
    >>> centered_ranks([3.0, 1.0, 2.0])
    array([ 0.5, -0.5,  0. ])
    """
    f = _clean(fitness)
    if len(f) < 2:
        return np.zeros(len(f))
    return ranks(f) / (len(f) - 1) - 0.5


def z_scores(fitness) -> np.ndarray:
    """``(f - mean) / std`` over the finite values; NaN or -inf fitness gets the lowest score, +inf the highest.

    All-equal fitness gives zeros.
    """
    f = _clean(fitness)
    finite = np.isfinite(f)
    out = np.zeros(len(f))
    if finite.sum() >= 2:
        std = f[finite].std()
        if std > 0:
            out[finite] = (f[finite] - f[finite].mean()) / std
    if finite.any():
        out[~finite] = np.where(f[~finite] > 0, out[finite].max(), out[finite].min())
    return out


__all__ = ["ranks", "centered_ranks", "z_scores"]
