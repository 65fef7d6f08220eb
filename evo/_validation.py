"""Argument checks shared by the public API: one-line errors naming the argument."""

import json
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


def as_numbers(name: str, value: object, dtype=np.float64, *, contiguous: bool = False) -> np.ndarray:
    """``np.asarray(value, dtype)`` (``np.ascontiguousarray`` with ``contiguous``), or a one-line TypeError naming
    ``name`` when ``value`` is not numbers (text, None, ragged lists) instead of numpy's own words."""
    try:
        return (np.ascontiguousarray if contiguous else np.asarray)(value, dtype=dtype)
    except (TypeError, ValueError):
        text = repr(value)
        raise TypeError(f"{name} must be an array of numbers, got {text if len(text) < 60 else text[:57] + '...'}") \
            from None


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


# -- fields of a saved state (an algorithm's state_dict read back) --------------------------------


def state_int(what: str, state: dict, key: str, low: int | None = 0, high: int | None = None) -> int:
    """``state[key]`` as an int: a single integer in ``[low, high]``, or a one-line ValueError naming the field."""
    v = np.asarray(state[key])
    if v.shape != () or v.dtype.kind not in "iu":
        raise ValueError(f"{what} state {key!r} must be a single integer, got {v.dtype} of shape {v.shape}")
    value = int(v)
    if (low is not None and value < low) or (high is not None and value > high):
        bounds = f">= {low}" if high is None else f"in {low}..{high}"
        raise ValueError(f"{what} state {key!r} must be {bounds}, got {value}")
    return value


def state_number(what: str, state: dict, key: str, low: float | None = None, high: float | None = None, *,
                 finite: bool = True, positive: bool = False) -> float:
    """``state[key]`` as a float: a single number, never NaN, finite unless ``finite=False``, within
    ``[low, high]`` and > 0 with ``positive``; or a one-line ValueError naming the field."""
    v = np.asarray(state[key])
    if v.shape != () or v.dtype.kind not in "iuf":
        raise ValueError(f"{what} state {key!r} must be a single number, got {v.dtype} of shape {v.shape}")
    value = float(v)
    wrong = (np.isnan(value) or (finite and not np.isfinite(value)) or (positive and not value > 0)
             or (low is not None and value < low) or (high is not None and value > high))
    if wrong:
        parts = ["finite" if finite else "not NaN"] + (["> 0"] if positive else []) + (
            [f">= {low:g}"] if low is not None else []) + ([f"<= {high:g}"] if high is not None else [])
        raise ValueError(f"{what} state {key!r} must be {', '.join(parts)}, got {value!r}")
    return value


def state_text(what: str, state: dict, key: str) -> str:
    """``state[key]`` as a str: a single text value, or a one-line ValueError naming the field."""
    v = np.asarray(state[key])
    if v.shape != () or v.dtype.kind != "U":
        raise ValueError(f"{what} state {key!r} must be text, got {v.dtype} of shape {v.shape}")
    return str(v)


def state_array(what: str, state: dict, key: str, dtype, shape: tuple, *, finite: bool = True,
                positive: bool = False) -> np.ndarray:
    """A copy of ``state[key]``: of ``dtype`` and ``shape``, finite unless ``finite=False`` (NaN and inf
    then pass: the caller knows what they mean), every value > 0 with ``positive``; else a one-line ValueError."""
    v = np.asarray(state[key])
    wrong = v.dtype != dtype or v.shape != tuple(shape) or (finite and not np.isfinite(v).all()) or (
        positive and not (v > 0).all())
    if wrong:
        kind = ("finite " if finite else "") + ("positive " if positive else "")
        raise ValueError(f"{what} state {key!r} must be {kind}{np.dtype(dtype).name} of shape {tuple(shape)}, "
                         f"got {v.dtype} of shape {v.shape}")
    return v.copy()


def state_rng(what: str, state: dict, key: str, rng: np.random.Generator) -> None:
    """Set ``rng``'s bit generator from the JSON text ``state[key]``, or a one-line ValueError naming the field."""
    try:
        rng.bit_generator.state = json.loads(state_text(what, state, key))
    except (TypeError, ValueError, KeyError) as e:
        if isinstance(e, ValueError) and str(e).startswith(f"{what} state"):
            raise
        raise ValueError(f"{what} state {key!r} is not a {type(rng.bit_generator).__name__} state: {e}") from None
