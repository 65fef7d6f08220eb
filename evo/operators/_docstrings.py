"""Docstring sections that several operators of a module share, written once.

A line that holds only ``$name`` in a decorated function's docstring is
replaced by the text ``parts[name]``, indented as the placeholder was:
``help()`` and the API pages show the whole docstring, the source holds each
shared section once (as numpydoc templates are shared in SciPy).
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from typing import TypeVar

F = TypeVar("F", bound=Callable)

RNG = ("rng : numpy.random.Generator", "Source of randomness.")
"""The entry every operator's ``rng`` has."""


def section(title: str, *entries: tuple) -> str:
    """A numpydoc section: ``title``, its underline, then every ``(name : type, description)`` entry."""
    lines = [title, "-" * len(title)]
    for head, text in entries:
        lines += [head, textwrap.indent(text, "    ")]
    return "\n".join(lines)


def fill(doc: str, parts: dict) -> str:
    """``doc`` with every line that is only ``$name`` (``name`` a key of ``parts``) replaced by that part."""
    out = []
    for line in doc.splitlines():
        key = line.strip()[1:]
        if line.strip().startswith("$") and key in parts:
            indent = line[:len(line) - len(line.lstrip())]
            out += [indent + text if text else text for text in parts[key].splitlines()]
        else:
            out.append(line)
    return "\n".join(out) + ("\n" if doc.endswith("\n") else "")


def shared(**parts: str) -> Callable[[F], F]:
    """A decorator filling a function's docstring with ``parts`` (see :func:`fill`)."""

    def apply(fn: F) -> F:
        fn.__doc__ = fill(fn.__doc__, parts)
        return fn

    return apply
