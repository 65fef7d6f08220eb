"""The search algorithms a run can use, by name, with their parameters.

A run config names one in its ``[algorithm]`` table (or ``algorithm = "name"``,
or ``--algorithm NAME``):

``ga``
    :class:`evo.algorithms.ga.GeneticAlgorithm` with the config's ``selection``,
    ``crossover``, ``mutation``, ``elite`` and ``crossover_rate``; the table
    may add the loop's options (:data:`GA_OPTIONS`: ``replacement``,
    ``survivors``, ``children_per_pair``, ``mutation_rate``, ``low``, ``high``,
    ``repair``).
``truncation_ga``
    The mutation-only GA of the deep-neuroevolution literature (Such et al.,
    "Deep Neuroevolution", 2017): the best ``fraction`` of the population are
    the parents, every child is a parent plus Gaussian noise of ``sigma`` on
    every gene, no crossover, ``elite`` best kept.
``novelty``
    :class:`evo.algorithms.diversity.NoveltySearch`: the GA of ``ga`` (the config's
    operators) breeding on novelty; ``k``, ``threshold``, ``max_added`` and
    ``fitness_weight`` in the table.
``map_elites``
    :class:`evo.algorithms.diversity.MAPElites` over the game's two behaviour
    dimensions; ``bins``, ``low``, ``high``, ``sigma`` and ``line`` in the table.
``neat``
    :class:`evo.algorithms.neat.NEAT`, which evolves the topology with the
    weights: its networks (:func:`neat_network`) replace the config's
    ``network`` and ``hidden``; the table's keys are
    :data:`evo.algorithms.neat.DEFAULTS` (neat-python's names).
any name in :data:`evo.algorithms.strategies.ALGORITHMS`
    An evolution strategy (``cmaes``, ``sep_cmaes``, ``openai_es``, ``snes``,
    ``pgpe``); the table's other keys are its constructor's parameters.

Every algorithm has the ask/tell surface of ``GeneticAlgorithm``: ``ask()``,
``tell(fitness)``, ``generation``, ``best_genome``, ``best_fitness``,
``state_dict()`` and ``from_state_dict()``; those with ``needs_behaviour``
(``novelty``, ``map_elites``) are told ``tell(fitness, behaviour)``, the
descriptors the rollout gives with ``behaviour=True``.
"""

from __future__ import annotations

import inspect

import numpy as np

from evo.algorithms.ga import GeneticAlgorithm

GA_NAMES = ("ga", "truncation_ga")
DIVERSITY = {"novelty": "NoveltySearch", "map_elites": "MAPElites"}
TRUNCATION_GA = {"fraction": 0.2, "sigma": 0.05, "elite": 1}
GA_OPTIONS = {"replacement": "generational", "survivors": None, "children_per_pair": 1, "mutation_rate": 1.0,
              "low": None, "high": None, "repair": "clip"}


def _strategies() -> dict:
    try:
        from evo.algorithms import strategies
    except ImportError:  # pragma: no cover - the module ships with the package
        return {}
    return dict(strategies.ALGORITHMS)


def names() -> list[str]:
    """Every algorithm a run config can name."""
    return [*GA_NAMES, *DIVERSITY, "neat", *_strategies()]


def _diversity(name: str):
    from evo.algorithms import diversity
    return getattr(diversity, DIVERSITY[name])


def parameters(spec: dict) -> dict:
    """``spec`` (a config's ``[algorithm]`` table) with every parameter of the algorithm filled in.

    Raises
    ------
    ValueError
        Unknown algorithm (the known ones are listed) or unknown parameter.
    """
    if not isinstance(spec, dict) or not isinstance(spec.get("name"), str):
        raise ValueError(f"algorithm must be a name or a table with a name, got {spec!r}")
    name, given = spec["name"], {k: v for k, v in spec.items() if k != "name"}
    if name == "ga":
        defaults = dict(GA_OPTIONS)
    elif name == "truncation_ga":
        defaults = dict(TRUNCATION_GA)
    elif name == "neat":
        from evo.algorithms.neat import DEFAULTS as defaults
        defaults = dict(defaults)
    elif name in _strategies() or name in DIVERSITY:
        signature = inspect.signature(_diversity(name) if name in DIVERSITY else _strategies()[name])
        own = [p for p in signature.parameters.values()  # what the run sets is not the table's
               if p.name not in ("num_params", "pop_size", "seed", "init") and p.kind != p.VAR_KEYWORD]
        defaults = {p.name: p.default for p in own
                    if p.default is not inspect.Parameter.empty and p.default is not None}
        defaults.update({p.name: None for p in own if p.default is None})
    else:
        import difflib
        squeezed = {n.replace("_", ""): n for n in names()}  # cma-es, CMA_ES, sepcmaes: cmaes, sep_cmaes
        close = difflib.get_close_matches(name.lower().replace("-", "").replace("_", ""), squeezed, n=1)
        hint = f" (did you mean {squeezed[close[0]]}?)" if close else ""
        raise ValueError(f"unknown algorithm {name!r}{hint}; known: {', '.join(names())}")
    unknown = sorted(set(given) - set(defaults))
    if unknown:
        raise ValueError(f"algorithm {name!r} has no parameter {unknown[0]!r}; "
                         f"known: {', '.join(sorted(defaults)) or 'none'}")
    # None means "the algorithm's own default" and cannot be written to TOML
    return {"name": name, **{k: v for k, v in {**defaults, **given}.items() if v is not None}}


def build(config, net, init=None):
    """The algorithm of a run config, for genomes of ``net``.

    ``init``, an array of shape (R, G), starts the run from those genomes instead of ``net.init``'s:
    a population's genome ``i`` is row ``i % R``, an evolution strategy's mean is the rows' mean
    (``neuroevo run --from``). NEAT, whose genomes are graphs, cannot start from them.
    """
    spec = parameters(config.algorithm)
    name, params = spec.pop("name"), spec
    start = net.init
    if init is not None:
        init = np.asarray(init, dtype=np.float32)
        if name == "neat":
            raise ValueError("a NEAT run cannot start from flat genomes: its genomes are graphs")
        if name not in ("ga", "truncation_ga", "novelty", "map_elites") and "mean" not in params:
            params["mean"] = init.astype(np.float64).mean(axis=0)
        start = lambda rng, n: np.resize(init, (n, init.shape[1]))  # noqa: E731
    if name == "ga":
        return GeneticAlgorithm(
            num_params=net.num_params, pop_size=config.pop_size, seed=config.seed,
            selection=dict(config.selection), crossover=dict(config.crossover),
            mutation=dict(config.mutation), elite=config.elite, crossover_rate=config.crossover_rate,
            init=start, layout=net.layout, **params)
    if name == "truncation_ga":
        return GeneticAlgorithm(
            num_params=net.num_params, pop_size=config.pop_size, seed=config.seed,
            selection=("truncation", {"fraction": params["fraction"]}), crossover="uniform",
            mutation={"name": "gaussian", "sigma": params["sigma"], "rate": 1.0},
            elite=params["elite"], crossover_rate=0.0, init=start, layout=net.layout)
    if name == "novelty":
        return _diversity(name)(
            net.num_params, config.pop_size, config.seed, **params,
            selection=dict(config.selection), crossover=dict(config.crossover), mutation=dict(config.mutation),
            elite=config.elite, crossover_rate=config.crossover_rate, init=start, layout=net.layout)
    if name == "map_elites":
        return _diversity(name)(net.num_params, config.pop_size, config.seed, **params, init=start)
    if name == "neat":
        from evo.algorithms.neat import NEAT
        return NEAT(net.num_inputs, net.num_outputs, config.pop_size, config.seed, **params)
    return _strategies()[name](net.num_params, pop_size=config.pop_size, seed=config.seed, **params)


def restore(config, net, state: dict):
    """The algorithm of a run config from its ``state_dict()``."""
    name = parameters(config.algorithm)["name"]
    if name in GA_NAMES:
        return GeneticAlgorithm.from_state_dict(state, layout=net.layout)
    if name == "novelty":
        return _diversity(name).from_state_dict(state, layout=net.layout)
    if name == "map_elites":
        return _diversity(name).from_state_dict(state)
    if name == "neat":
        from evo.algorithms.neat import NEAT
        return NEAT.from_state_dict(state)
    return _strategies()[name].from_state_dict(state)


def neat_network(config, env):
    """The compiled NEAT networks of a run config whose algorithm is ``neat``, for ``env``: a
    :class:`evo.networks.neat.NEATNetwork` of the table's ``max_nodes``, ``max_conns`` and ``feed_forward``."""
    from evo.networks.neat import NEATNetwork
    spec = parameters(config.algorithm)
    return NEATNetwork(env.obs_size, env.num_outputs, spec["max_nodes"], spec["max_conns"], not spec["feed_forward"])
