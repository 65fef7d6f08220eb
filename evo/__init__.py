"""neuroevo's algorithm: networks as flat genomes, genetic operators, search algorithms, fused evaluation, runs.

Subpackages, by what they hold:

- :mod:`evo.operators`: selection, crossover, mutation, bounds and fitness shaping, pure functions.
- :mod:`evo.networks`: genome layouts and forward passes (MLP, recurrent cells) as network modules.
- :mod:`evo.algorithms`: the GA, evolution strategies, novelty search and MAP-Elites, and their registry.
- :mod:`evo.kernels`: the fused rollout (one episode template, specialised per game and network), its threads.
- :mod:`evo.runs`: run configuration, the run driver, the run-directory format, plots.
- :mod:`evo.ray`: evaluation and sweeps on a Ray cluster.

Names are imported on first use, so ``import evo`` (and the ``neuroevo``
command, which starts there) loads nothing heavy until it is needed.
"""

import importlib
import os
import sys
import types

# The per-agent kernel and the forward passes run on Numba's OpenMP threads, which by default spin for a
# while after each call, taking the cores from the lockstep kernel's own threads (evo.kernels.threads)
# that run next. Idle OpenMP threads sleep instead, unless the user chose a policy. Read once, when
# OpenMP starts (the first parallel kernel), so it is set here, before any can run.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

_NAMES = {
    "MLP": "evo.networks.mlp", "Layout": "evo.networks.mlp", "RNN": "evo.networks.recurrent",
    "CNN": "evo.networks.cnn",
    "GeneticAlgorithm": "evo.algorithms.ga",
    "evaluate": "evo.kernels.evaluate", "rollout": "evo.kernels.evaluate", "Rollout": "evo.kernels.evaluate",
    "evolve": "evo.runs.driver",
}
_MODULES = {
    "selection": "evo.operators.selection", "crossover": "evo.operators.crossover",
    "mutation": "evo.operators.mutation", "bounds": "evo.operators.bounds", "shaping": "evo.operators.shaping",
    "strategies": "evo.algorithms.strategies", "neat": "evo.algorithms.neat",
}

__all__ = [*_MODULES, *_NAMES]


def __getattr__(name):
    if name in _NAMES:
        value = getattr(importlib.import_module(_NAMES[name]), name)
    elif name in _MODULES:
        value = importlib.import_module(_MODULES[name])
    else:
        raise AttributeError(f"module 'evo' has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(__all__))


class _Package(types.ModuleType):
    """The ``evo`` package: a submodule named like a public function never hides the function."""

    def __setattr__(self, name, value):
        if isinstance(value, types.ModuleType) and name in _NAMES:
            return  # the import system binds a submodule to its package; the public name wins
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package
