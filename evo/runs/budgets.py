"""Budgets that end a run: ``max_steps``, ``max_evaluations`` and ``max_seconds`` of its config.

A run's use of each budget is read from its history (environment steps and genomes evaluated,
the ``env_steps``, ``validation_steps`` and ``evaluations`` of ``log.csv``) and from the seconds
:meth:`evo.runs.driver.Driver.drive` has driven it in this process. :attr:`Evolution.budget_spent
<evo.runs.driver.Evolution.budget_spent>` names the first budget spent, checked after every
generation; a spent budget finishes the run like its last generation.
"""

from __future__ import annotations

import json

import numpy as np

NAMES = ("max_steps", "max_evaluations", "max_seconds")
"""The config fields that end a run on a budget."""
_WHAT = {"max_steps": "environment steps played", "max_evaluations": "genomes evaluated",
         "max_seconds": "seconds in this process"}


def used(run) -> dict:
    """What ``run`` has used of each budget: environment steps played (training, validation and test),
    genomes evaluated on training episodes, and seconds this process has driven it (None until a driver has)."""
    history = run.history
    return {"max_steps": sum(r["env_steps"] + r["validation_steps"] for r in history),
            "max_evaluations": history[-1]["evaluations"] if history else 0,
            "max_seconds": run.driven_seconds}


def spent(run) -> str | None:
    """The first budget of :data:`NAMES` that ``run`` has spent, or None (also when it sets none)."""
    config = run.config
    limits = {name: getattr(config, name) for name in NAMES if getattr(config, name) is not None}
    if not limits:
        return None
    use = used(run)
    return next((name for name, limit in limits.items() if use[name] is not None and use[name] >= limit), None)


def note(run) -> str:
    """One line saying which budget ended ``run`` and how much of it was used (a run with a spent budget)."""
    name = spent(run)
    use, limit = used(run)[name], getattr(run.config, name)
    amount = f"{use:.1f} {_WHAT[name]} of {limit:g}" if name == "max_seconds" else f"{use} {_WHAT[name]} of {limit}"
    return f"{run.config.env}: the {name} budget ended the run at generation {run.generation}: {amount}"


def with_evaluations(value, pop_size: int):
    """A checkpoint's history (JSON text) with the ``evaluations`` of a run written before they were
    logged: ``pop_size`` per generation. Anything else is returned as it was, to be checked."""
    text = np.asarray(value)
    if text.shape != () or text.dtype.kind != "U":
        return value
    try:
        history = json.loads(str(text))
    except ValueError:
        return value
    if not isinstance(history, list) or not history or not all(
            isinstance(row, dict) and "evaluations" not in row for row in history):
        return value
    return np.array(json.dumps([{**row, "evaluations": pop_size * (i + 1)} for i, row in enumerate(history)]))
