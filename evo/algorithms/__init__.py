"""Search algorithms with the ask/tell surface: the GA, evolution strategies, novelty search, MAP-Elites, and a registry by name."""
