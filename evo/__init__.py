"""neuroevo's algorithm: networks as flat genomes, genetic operators, the GA loop, fused evaluation."""

from evo import crossover, mutation, selection
from evo.evaluate import Rollout, evaluate, rollout
from evo.ga import GeneticAlgorithm
from evo.networks import MLP, Layout

__all__ = ["selection", "crossover", "mutation", "MLP", "Layout", "GeneticAlgorithm",
           "evaluate", "rollout", "Rollout"]
