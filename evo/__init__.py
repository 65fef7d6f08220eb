"""neuroevo's algorithm: networks as flat genomes, genetic operators, the GA loop, fused evaluation.

Names are imported on first use, so ``import evo`` (and the ``neuroevo``
command, which starts there) loads nothing heavy until it is needed.
"""

import importlib
import sys
import types

_NAMES = {
    "MLP": "evo.networks", "Layout": "evo.networks", "RNN": "evo.recurrent",
    "GeneticAlgorithm": "evo.ga",
    "evaluate": "evo.evaluate", "rollout": "evo.evaluate", "Rollout": "evo.evaluate",
    "evolve": "evo.run",
}
_MODULES = ("selection", "crossover", "mutation", "strategies", "shaping")

__all__ = [*_MODULES, *_NAMES]


def __getattr__(name):
    if name in _NAMES:
        value = getattr(importlib.import_module(_NAMES[name]), name)
    elif name in _MODULES:
        value = importlib.import_module(f"evo.{name}")
    else:
        raise AttributeError(f"module 'evo' has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(__all__))


class _Package(types.ModuleType):
    """The ``evo`` package: importing the submodule ``evo.evaluate`` does not hide the function ``evaluate``."""

    def __setattr__(self, name, value):
        if isinstance(value, types.ModuleType) and name in _NAMES:
            return  # the import system binds a submodule to its package; the public name wins
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package
