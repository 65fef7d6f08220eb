"""Several objectives: what a run maximises beside its game's return, and what it logs of them.

A run config's ``objectives`` names the objectives a run plays for beside the
game's return, which is always the first: it still chooses the champion,
decides when the run is solved and fills ``log.csv``'s ``best`` and ``mean``.
Every objective is computed from what a generation's play already gives (each
genome, each episode's return and length), beside the return, so nothing
changes inside the game's kernels and every backend (local, Ray, the viewer's
stepwise play) gives the same values:

- a game's own objectives, declared in its module as ``OBJECTIVES = {name:
  (function, direction)}``, ``function(returns, steps, params)`` giving a value
  per episode, of shape (P, E), averaged over the episodes (the racer's
  ``pace``: laps per minute);
- objectives of the network itself (:data:`GENOME_OBJECTIVES`): ``l1``, the
  sum of the genome's absolute values, and ``size``, its genes (weights and
  biases) whose magnitude is at least :data:`SIZE_THRESHOLD`, both minimised.

A direction is ``"max"`` or ``"min"``; the algorithm (the GA's NSGA-II
replacement, :func:`evo.operators.selection.nsga2`) is told every objective
maximised (a minimised one negated), and every file and chart shows the
values as they are. ``log.csv`` gains, per objective, ``best_<name>`` and
``mean_<name>`` over the generation's population, and ``front``, the number
of its genomes on the first front (:func:`log_columns`).
"""

from __future__ import annotations

import re

import numpy as np

from evo.operators import selection

SIZE_THRESHOLD = 0.1
_NAME = re.compile(r"[a-z][a-z0-9_]*")


def l1(genomes: np.ndarray) -> np.ndarray:
    """The sum of each genome's absolute values (weights and biases), shape (P,)."""
    return np.abs(np.asarray(genomes, dtype=np.float64)).sum(axis=1)


def size(genomes: np.ndarray) -> np.ndarray:
    """Each genome's genes whose magnitude is at least :data:`SIZE_THRESHOLD`: the network's size once the
    smaller weights and biases are pruned, shape (P,), float64."""
    return (np.abs(np.asarray(genomes)) >= SIZE_THRESHOLD).sum(axis=1).astype(np.float64)


# objectives of the network itself: name -> (function of the genomes (P, G) -> (P,), direction)
GENOME_OBJECTIVES = {"l1": (l1, "min"), "size": (size, "min")}


def game_objectives(env) -> dict:
    """The objectives ``env``'s game declares (``OBJECTIVES`` in its module): name -> (function, direction)."""
    return dict(getattr(getattr(env, "module", None), "OBJECTIVES", {}))


def check_names(names) -> list:
    """``names`` as a list of distinct objective names; raises ValueError (one line) otherwise."""
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise ValueError(f"objectives must be a list of objective names, got {names!r}")
    for n in names:
        if not _NAME.fullmatch(n):
            raise ValueError(f"objective name {n!r} must be lower-case letters, digits and _")
    if len(set(names)) != len(names):
        raise ValueError(f"objectives names one twice: {names!r}")
    if "return" in names:
        raise ValueError("objectives lists those beside the game's return, which is always the first")
    return names


class Objectives:
    """The objectives of a run beside its game's return (none: a run of one objective).

    Parameters
    ----------
    names : list of str
        A run config's ``objectives``.
    env : envs.Env
        The run's game, whose module may declare objectives of its own.

    Raises
    ------
    ValueError
        One line naming an objective neither the game nor :data:`GENOME_OBJECTIVES` knows.
    """

    def __init__(self, names, env):
        self.names = tuple(check_names(list(names)))
        own = game_objectives(env)
        self._found = {}
        for name in self.names:
            if name in own:
                if not (isinstance(own[name], tuple) and len(own[name]) == 2 and callable(own[name][0])
                        and own[name][1] in ("max", "min")):
                    raise ValueError(f"{env.name}'s OBJECTIVES[{name!r}] must be (function, \"max\" or \"min\")")
                self._found[name] = (own[name], "game")
            elif name in GENOME_OBJECTIVES:
                self._found[name] = (GENOME_OBJECTIVES[name], "genome")
            else:
                known = sorted({*own, *GENOME_OBJECTIVES})
                raise ValueError(f"{env.name} has no objective {name!r}; known: {', '.join(known)}")
        self.params = env.params
        self._front = None  # (the array front() last read, what it gave): a viewer asks every frame
        # the direction of every objective, the return first
        self.directions = ("max",) + tuple(self._found[n][0][1] for n in self.names)

    def __len__(self) -> int:
        """How many objectives beside the return."""
        return len(self.names)

    def values(self, genomes, returns, steps) -> np.ndarray:
        """Every objective beside the return, as it is (not signed), shape (P, K), float64."""
        out = np.empty((len(returns), len(self.names)), dtype=np.float64)
        for k, name in enumerate(self.names):
            (function, _), source = self._found[name]
            if source == "genome":
                out[:, k] = function(genomes)
            else:
                per_episode = np.asarray(function(np.asarray(returns, np.float64), np.asarray(steps), self.params),
                                         dtype=np.float64)
                if per_episode.shape != np.shape(returns):
                    raise ValueError(f"objective {name!r} gave shape {per_episode.shape}, expected one value per "
                                     f"episode {np.shape(returns)}")
                out[:, k] = per_episode.mean(axis=1)
        return out

    def told(self, genomes, returns, steps, fitness: np.ndarray) -> np.ndarray:
        """What the algorithm is told: ``fitness`` itself for a run of one objective, otherwise (P, 1 + K)
        objectives, maximised, the return first (a minimised objective negated)."""
        if not self.names:
            return fitness
        return self.signed(np.column_stack([fitness, self.values(genomes, returns, steps)]))

    def signed(self, values: np.ndarray) -> np.ndarray:
        """(N, 1 + K) objective values as they are -> as maximised (a minimised one negated), or back."""
        sign = np.array([1.0 if d == "max" else -1.0 for d in self.directions])
        return np.asarray(values, dtype=np.float64) * sign

    def columns(self, told: np.ndarray) -> dict:
        """The log columns of a generation told ``told`` (:meth:`told`): none for a run of one objective."""
        if not self.names:
            return {}
        values = self.signed(told)
        row = {}
        for k, (name, direction) in enumerate(zip(self.names, self.directions[1:]), start=1):
            v = values[:, k]
            finite = v[np.isfinite(v)]
            best = (finite.max() if direction == "max" else finite.min()) if finite.size else np.nan
            row[f"best_{name}"] = float(best)
            row[f"mean_{name}"] = float(finite.mean()) if finite.size else float("nan")
        row["front"] = int((selection.non_dominated_sort(told) == 0).sum())
        return row

    def front(self, algorithm) -> tuple | None:
        """``(names, values, ranks)`` of the population the algorithm keeps (NSGA-II's survivors): the
        objectives' names (the return first, as ``"return"``; a minimised one marked so), their values as they are, shape (S, 1 + K),
        and each row's front rank (0 the first front); None for a run of one objective or before the
        algorithm has kept any."""
        kept = getattr(algorithm, "parents_fitness", None)
        if not self.names or kept is None or np.ndim(kept) != 2 or np.shape(kept)[1] != 1 + len(self.names):
            return None
        if self._front is None or self._front[0] is not kept:  # the GA keeps a new array each generation
            names = ("return", *(n if d == "max" else f"{n} (minimised)"
                                 for n, d in zip(self.names, self.directions[1:])))
            self._front = (kept, (names, self.signed(kept), selection.non_dominated_sort(kept)))
        return self._front[1]


def log_columns(history: list, base: tuple) -> tuple:
    """The columns of ``log.csv`` for ``history``: ``base`` (the driver's LOG_COLUMNS), then any objective
    columns its rows carry, in their order."""
    extra = tuple(k for k in history[0] if k not in base) if history else ()
    return tuple(base) + extra


def expected_columns(names) -> tuple:
    """The objective columns a log row has for a config's ``objectives`` (none for an empty list)."""
    if not names:
        return ()
    return tuple(c for n in names for c in (f"best_{n}", f"mean_{n}")) + ("front",)
