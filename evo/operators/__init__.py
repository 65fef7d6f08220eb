"""Genetic operators: pure functions over ``(population, genes)`` arrays (selection, crossover, mutation, bounds, shaping)."""
