"""Argument checks shared by the public API: one-line errors naming the argument."""

import operator
import os

import numpy as np


def check_rng(rng: object) -> None:
    """Raise TypeError unless ``rng`` is a ``numpy.random.Generator``."""
    if not isinstance(rng, np.random.Generator):
        raise TypeError(
            f"rng must be a numpy.random.Generator (numpy.random.default_rng(seed)), "
            f"got {type(rng).__name__}"
        )


def check_int(name: str, value: object, low: int | None = None, high: int | None = None) -> int:
    """``value`` as an int, or a one-line TypeError/ValueError naming ``name``.

    Accepts Python and NumPy integers (not bools, not floats: nothing is
    silently truncated) within ``[low, high]``.
    """
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an integer, got {value!r}")
    value = int(value)
    if (low is not None and value < low) or (high is not None and value > high):
        bounds = f">= {low}" if high is None else f"in {low}..{high}" if low is not None else f"<= {high}"
        raise ValueError(f"{name} must be {bounds}, got {value}")
    return value


def check_index(name: str, value: object, low: int = 0) -> int:
    """``value`` as an int >= ``low``, anything ``operator.index`` takes, or a one-line ValueError naming ``name``."""
    try:
        value = operator.index(value)
    except TypeError:
        raise ValueError(f"{name} must be an integer, got {value!r}") from None
    if value < low:
        raise ValueError(f"{name} must be >= {low}, got {value}")
    return value


def check_number(name: str, value: object, low: float | None = None, high: float | None = None) -> float:
    """``value`` as a finite float in ``[low, high]``, or a one-line TypeError/ValueError naming ``name``."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name} must be a number, got {value!r}")
    value = float(value)
    if not np.isfinite(value) or (low is not None and value < low) or (high is not None and value > high):
        bounds = "finite" if low is None and high is None else f"in [{low}, {high}]" if None not in (
            low, high) else f">= {low}" if low is not None else f"<= {high}"
        raise ValueError(f"{name} must be {bounds}, got {value!r}")
    return value


# The largest seed numpy and the episode keys accept.
MAX_SEED = 2**64 - 1

def physical_memory() -> int | None:
    """Bytes of memory this machine has (None where unknown)."""
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, ValueError, OSError):
        return None


def check_memory(what: str, nbytes: float) -> None:
    """Refuse, with one line, work whose arrays would need more than this machine's memory."""
    total = physical_memory()
    if total is not None and nbytes > total:
        raise ValueError(f"{what} would need about {nbytes / 2**30:.3g} GiB of memory; "
                         f"this machine has {total / 2**30:.3g} GiB")
