"""Operators by name: the lookup behind ``selection.get``, ``crossover.get``, ``mutation.get``.

Each operator module keeps a ``NAMES`` table (the names a run config uses)
and makes its ``get`` with :func:`getter`, so an unknown name gives the same
one-line error everywhere: ``unknown <kind> 'x'; known: a, b, c``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TypeVar

T = TypeVar("T")


def lookup(table: Mapping[str, T], name: str, kind: str) -> T:
    """``table[name]``.

    Raises
    ------
    ValueError
        ``name`` is not a key of ``table`` (or not a string); the message
        names the ``kind`` and lists the known names.
    """
    try:
        return table[name]
    except (KeyError, TypeError):
        raise ValueError(f"unknown {kind} {name!r}; known: {', '.join(table)}") from None


def getter(table: Mapping[str, T], kind: str) -> Callable[[str], T]:
    """A ``get(name)`` function over ``table``: :func:`lookup` with ``kind`` in its error message."""

    def get(name: str) -> T:
        return lookup(table, name, kind)

    get.__doc__ = f"""Return the {kind} operator called ``name`` (a key of :data:`NAMES`).

    Raises
    ------
    ValueError
        If ``name`` is not a known operator; the message lists the known names.
    """
    return get
