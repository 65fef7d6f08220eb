"""``best.npz``: the last generation's best genome, written by a run at every generation's end.

A window following a run from outside (``neuroevo watch --follow RUN``,
:mod:`viz.follow`) reads it to draw each new generation's best as it lands,
where the checkpoint, which holds every generation's best, is written only
every ``checkpoint_every`` generations. It is small (one genome, and for a
run of several objectives the objectives of the population NSGA-II keeps)
and written like every run file, through a temporary file and a rename
(:meth:`evo.runs.rundir.RunDir.save_best`), so a reader always finds a
whole one. Like ``log.csv`` it holds only what the config and seed decide.

Members: ``generation`` (int64, the generation whose best it is),
``genome`` (float32, shape (G,)); with several objectives also ``names``
(JSON text: the objectives' names, the return first), ``values`` (float64,
shape (S, M), as they are) and ``ranks`` (int64, shape (S,), front ranks,
0 the first).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np


def best_arrays(run) -> dict:
    """The members of ``best.npz`` for ``run`` (an :class:`evo.runs.driver.Evolution`) after a generation."""
    d = {"generation": np.array(run.generation - 1, dtype=np.int64), "genome": run.bests[-1]}
    front = run.objectives.front(run.algorithm)
    if front is not None:
        names, values, ranks = front
        d.update(names=np.array(json.dumps(list(names))), values=np.asarray(values, np.float64),
                 ranks=np.asarray(ranks, np.int64))
    return d


@dataclass
class Best:
    """What :func:`check_best` gives: a generation's best genome and, for a run of several objectives,
    the front (``(names, values, ranks)`` as :meth:`evo.runs.objectives.Objectives.front` gives it)."""

    generation: int
    genome: np.ndarray
    front: tuple | None = None


def check_best(d: dict, num_params: int, path) -> Best:
    """The members ``d`` of a ``best.npz`` at ``path`` (:func:`evo.runs.rundir.load_npz` reads them), written
    for a network of ``num_params`` genes, every member checked.

    Raises
    ------
    ValueError
        One line: a member missing, or of the wrong type or shape.
    """
    from evo.runs.fields import genome_field, scalar_field, text_field

    try:
        generation = scalar_field(d, "generation", np.integer)
        if generation < 0:
            raise ValueError(f"'generation' must be >= 0, got {generation}")
        genome = genome_field(d["genome"], num_params, "genome")
        front = None
        if "names" in d:
            names = json.loads(text_field(d["names"], "names"))
            values, ranks = np.asarray(d["values"]), np.asarray(d["ranks"])
            if not (isinstance(names, list) and len(names) >= 2 and all(isinstance(n, str) for n in names)) \
                    or values.dtype != np.float64 or values.ndim != 2 or values.shape[1] != len(names) \
                    or ranks.dtype != np.int64 or ranks.shape != values.shape[:1]:
                raise ValueError("its names, values and ranks disagree")
            front = (tuple(names), values, ranks)
    except KeyError as e:
        raise ValueError(f"corrupted best genome {path}: missing {e.args[0]!r}") from None
    except (ValueError, TypeError, json.JSONDecodeError) as e:
        raise ValueError(f"corrupted best genome {path}: {e}") from None
    return Best(generation, genome, front)
