"""Runs that fork: ``neuroevo run --from RUN [--champion] [changed settings]``.

A fork is a new run directory whose genomes start where RUN stands: its last checkpoint's
population (the genomes its next generation would play), or with ``--champion`` its champion
alone. Every setting is RUN's unless a flag or ``--config`` changes it, and the new config's
``parent`` table records where it came from (``run``, ``generation``, ``start``). The fork's
network must have RUN's number of genes; a population of another size takes RUN's genomes in turn
(genome ``i`` is row ``i % R``), and an evolution strategy starts from their mean. The fork keeps
its starting genomes in its own generation-0 checkpoint, so it resumes without its parent. A fork
that adds objectives to a run of the GA's generational loop plays them with NSGA-II (the ``nsga2``
replacement), as a new run given objectives does.
From Python, ``evo.evolve(game, init=genomes, ...)`` starts a run from any genomes alike.
"""

from __future__ import annotations

import numpy as np


def start_genomes(parent, champion: bool) -> np.ndarray:
    """The genomes a fork of ``parent`` (an :class:`~evo.runs.driver.Evolution`) starts from: (R, G) float32."""
    if champion:
        if parent.champion is None:
            raise ValueError(f"the run has no champion yet (generation {parent.generation}): fork its population "
                             f"(without --champion)")
        return np.array(parent.champion, dtype=np.float32)[None]
    return np.array(parent.algorithm.ask(), dtype=np.float32)


def fork_config(parent, from_run, champion: bool, settings: dict, flags: dict):
    """The fork's config: ``parent``'s (an :class:`~evo.runs.driver.Evolution`), changed by ``settings``
    (a ``--config`` file's) and ``flags`` (the command line's), with its ``parent`` table."""
    from evo.runs.config import RunConfig

    env = flags.get("env") or settings.get("env")
    if env not in (None, parent.config.env):
        raise ValueError(f"{from_run} is a run of {parent.config.env!r}, not {env!r}")
    flags = {k: v for k, v in flags.items() if k != "env"}
    base = RunConfig.from_dict(parent.config.to_dict())
    changed = {**settings, **flags}
    if changed.get("objectives") and "algorithm" not in changed and base.algorithm.get("name") == "ga" \
            and base.algorithm.get("replacement") == "generational":  # objectives added: the GA turns NSGA-II
        base.algorithm = {**base.algorithm, "replacement": "nsga2"}
    settings = {**settings, **flags, "env": parent.config.env,
                "parent": {"run": str(from_run), "generation": parent.generation,
                           "start": "champion" if champion else "population"}}
    return RunConfig.from_dict(settings, base=base).validate()


def fork(parent, from_run, champion: bool, settings: dict, flags: dict) -> tuple:
    """The fork of ``parent``: its config and the genomes it starts from, checked (ValueError, one line)."""
    from evo.runs.driver import Evolution

    config = fork_config(parent, from_run, champion, settings, flags)
    genomes = start_genomes(parent, champion)
    genes = Evolution(config).net.num_params
    if genomes.ndim != 2 or genomes.shape[1] != genes:
        raise ValueError(f"the fork's network has {genes} genes and {from_run}'s genomes "
                         f"{genomes.shape[-1]}: keep its network and hidden layers")
    Evolution(config, init=genomes)  # the algorithm takes them (a NEAT fork does not)
    return config, genomes
