"""Run configuration: every setting of a run, with per-game defaults, from TOML and flags.

A run's defaults are the general ones (:class:`RunConfig`) overlaid with its
game's preset (``PRESET`` in the game's module), which is tuned for the game's
own algorithm. The settings that belong to a kind of algorithm rather than to
the game (:data:`ALGORITHM_SETTINGS`: the population, episodes per genome and
the GA's operators) come from that kind's preset (:data:`KIND_PRESETS`) when a
run picks an algorithm of another kind: ``--algorithm cmaes`` on snake plays
32 genomes, not the truncation GA's 512 (:func:`default_config`).
"""

from __future__ import annotations

import dataclasses
import sys
from dataclasses import dataclass, field

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


# Settings a game's preset tunes for its own kind of algorithm; another kind takes them from KIND_PRESETS.
ALGORITHM_SETTINGS = ("pop_size", "episodes", "elite", "crossover_rate", "selection", "crossover", "mutation")
# Each kind's own settings over the general defaults: the strategies' small populations and few episodes are
# those docs/algorithms.md measured them with; the GAs take RunConfig's.
KIND_PRESETS = {"ga": {}, "strategy": {"pop_size": 32, "episodes": 2}}
# NEAT's species need room: a NEAT run plays the game's preset with at least neat-python's usual population.
NEAT_MIN_POP = 150
# Games whose GA preset NEAT needs changed (docs/neat.md): snake's fitness over 4 episodes left NEAT's
# selection chasing luck (1 of 5 seeds unsolved after 500 generations); over 8 every seed solved.
NEAT_PRESETS = {"snake": {"episodes": 8}}
# Fields only the GA's breeding reads (ga and novelty); other algorithms have their own table.
GA_FIELDS = ("selection", "crossover", "mutation", "crossover_rate", "elite")
GA_BREEDERS = ("ga", "novelty")


def algorithm_name(spec) -> str | None:
    """The algorithm a config value names (``"cmaes"`` or ``{name = "cmaes", ...}``); None when none is named."""
    if isinstance(spec, dict):
        spec = spec.get("name")
    return spec if isinstance(spec, str) else None


def algorithm_kind(name: str) -> str:
    """``"strategy"`` for an evolution strategy (:data:`evo.algorithms.strategies.ALGORITHMS`), else ``"ga"``
    (the GAs and those that breed a GA-sized population: novelty, MAP-Elites, NEAT)."""
    from evo.algorithms.strategies import ALGORITHMS
    return "strategy" if name in ALGORITHMS else "ga"


@dataclass
class RunConfig:
    """Everything that determines a run. Same config, same seed: same result, bit for bit."""

    env: str = "cartpole"
    """Game name (``neuroevo envs`` lists them) or ``gym:<Gymnasium id>``."""
    level: str = ""
    """The game's level (``neuroevo envs`` lists them): a named set of its parameters; empty for the
    game's default level, which :meth:`validate` names."""
    env_params: dict = field(default_factory=dict)
    """Game parameters overriding the level's, by name."""
    generations: int = 100
    """Maximum number of generations."""
    pop_size: int = 256
    """Genomes per generation."""
    episodes: int = 3
    """Episodes per genome per generation (every genome meets the same ones)."""
    seed: int = 0
    """Seed of the GA and of every episode."""
    hidden: list = field(default_factory=lambda: [16])
    """Hidden layer widths (recurrent layers for a recurrent network)."""
    network: str = "mlp"
    """``mlp`` (feed-forward) or a recurrent cell: ``elman``, ``gru``, ``lstm`` (:mod:`evo.networks.recurrent`)."""
    activation: str = "tanh"
    """Hidden activation: tanh, sigmoid, relu, step or linear."""
    output: str = "linear"
    """Output activation."""
    init: str = "glorot"
    """Weight initialisation: normal, glorot or he."""
    obs: str = "features"
    """What the networks see: the game's ``features`` (a vector) or ``pixels`` (a small image the game draws,
    :mod:`envs.pixels`). Written to a run's files only when ``pixels``."""
    conv: list = field(default_factory=list)
    """A ``cnn`` network's convolution layers, ``[[channels, kernel, stride], ...]``; ``hidden`` then lists its
    dense layers (:class:`evo.CNN`). Written to a run's files only when set."""
    algorithm: dict = field(default_factory=lambda: {"name": "ga"})
    """The search algorithm and its parameters (:mod:`evo.algorithms.registry`): ``ga`` (with the operators
    below), ``truncation_ga``, or an evolution strategy such as ``cmaes``."""
    objectives: list = field(default_factory=list)
    """Objectives beside the game's return, which stays the first and chooses the champion
    (:mod:`evo.runs.objectives`: the game's own, ``l1``, ``size``); they need the GA's ``nsga2``
    replacement, which a ``ga`` table that names no replacement gets. Written to files only when set."""
    selection: dict = field(default_factory=lambda: {"name": "tournament", "size": 3})
    """Selection operator and its parameters (``evo.operators.selection``)."""
    crossover: dict = field(default_factory=lambda: {"name": "uniform", "p": 0.5})
    """Crossover operator and its parameters (``evo.operators.crossover``)."""
    mutation: dict = field(default_factory=lambda: {"name": "gaussian", "sigma": 0.1, "rate": 0.1})
    """Mutation operator and its parameters (``evo.operators.mutation``); sigma may be a schedule table."""
    crossover_rate: float = 0.5
    """Probability that a child is made by crossover rather than copied."""
    elite: int = 2
    """Best genomes carried unchanged into the next generation."""
    target: float | None = None
    """Stop when the champion's mean over fresh validation episodes reaches this; default the game's solved_at."""
    validation_episodes: int = 100
    """Fresh episodes on which a generation's best genome is validated; the champion is the best validated."""
    validate_on: str = "improvement"
    """When to validate: on ``improvement`` (a generation's best matches or beats the training fitness
    of every genome validated before, a tie counting as returns are often capped, or the champion
    replayed on the generation's own episodes) or ``every`` generation."""
    test_episodes: int = 1000
    """Episodes, keyed apart from training and validation, on which a champion whose validation
    reaches the target is tested; the run is solved when the test mean reaches the target."""
    checkpoint_every: int = 10
    """Write checkpoint.npz every this many generations (and at the end)."""
    max_steps: int | None = None
    """A budget: stop, with a checkpoint, once the run has played this many environment steps (training,
    validation and test episodes, the ``env_steps`` and ``validation_steps`` of ``log.csv``), checked after
    every generation; unset: no limit."""
    max_evaluations: int | None = None
    """A budget: stop once this many genomes have been evaluated on training episodes (each genome of each
    generation counts once, whatever its episodes: ``log.csv``'s ``evaluations``); unset: no limit."""
    parent: dict = field(default_factory=dict)
    """The run this one was forked from (``neuroevo run --from``): ``run`` (its directory), ``generation``
    (of its checkpoint) and ``start`` (``population`` or ``champion``, what the genomes started from);
    empty for a run started from random genomes."""
    max_seconds: float | None = None
    """A budget: stop once this process has driven the run this many wall-clock seconds, checked after every
    generation (a resumed run counts again from its start); unset: no limit."""
    threads: int = 0
    """Numba threads; 0 uses every core."""
    backend: str = "local"
    """Where each generation is evaluated: ``local`` (this process) or ``ray`` (Ray actors); same results.
    A config file may name it; a run's own files do not (its ``timing.csv`` says where each
    generation was played), so they are the same files whichever backend played the run."""
    address: str = ""
    """Ray cluster for ``backend = "ray"``: ``auto``, ``ray://host:port``, or empty to start a local Ray
    (or join ``RAY_ADDRESS``). Taken from the command line only: never read from or written to a file."""

    def validate(self) -> "RunConfig":
        """Check every value's type and range; raises ValueError with one line naming the field."""
        from evo._validation import MAX_SEED, check_int, check_number
        from evo.networks.mlp import ACTIVATIONS, INITS

        breeds = algorithm_name(self.algorithm) in GA_BREEDERS  # the only ones that carry config.elite over
        if (breeds and isinstance(self.elite, int) and isinstance(self.pop_size, int)
                and not isinstance(self.pop_size, bool) and 1 <= self.pop_size <= self.elite):
            raise ValueError(f"a population of {self.pop_size} leaves no room for children beside the {self.elite} "
                             f"elite genomes carried over each generation: use pop_size > {self.elite} "
                             f"(e.g. --pop {max(2 * self.elite, self.elite + 2)}) or set elite lower")
        try:
            for name in ("generations", "pop_size", "episodes", "validation_episodes", "test_episodes",
                         "checkpoint_every"):
                check_int(name, getattr(self, name), 1)
            check_int("seed", self.seed, 0, MAX_SEED)
            check_int("elite", self.elite, 0, self.pop_size - 1 if breeds else None)
            check_int("threads", self.threads, 0)
            check_number("crossover_rate", self.crossover_rate, 0.0, 1.0)
            if self.target is not None:
                check_number("target", self.target)
            if not isinstance(self.parent, dict) or not all(
                    isinstance(v, (str, int)) and not isinstance(v, bool) for v in self.parent.values()):
                raise ValueError(f"parent must be a table of run, generation and start, got {self.parent!r}")
            for name in ("max_steps", "max_evaluations"):
                if getattr(self, name) is not None:
                    check_int(name, getattr(self, name), 1)
            if self.max_seconds is not None and check_number("max_seconds", self.max_seconds, 0.0) == 0.0:
                raise ValueError("max_seconds must be > 0, got 0.0")
        except TypeError as e:
            raise ValueError(str(e)) from None
        if breeds and self.elite >= self.pop_size:
            raise ValueError(f"elite must be smaller than pop_size ({self.pop_size}), got {self.elite}")
        if not isinstance(self.env, str) or not self.env.strip():
            raise ValueError(f"env must be a game name, got {self.env!r}")
        if not isinstance(self.level, str):
            raise ValueError(f"level must be a level name, got {self.level!r}")
        if not self.level and not self.env.startswith("gym:"):
            import envs
            self.level = envs.default_level(self.env)
        if not isinstance(self.env_params, dict) or not all(
                isinstance(v, (int, float, str)) and not isinstance(v, bool) for v in self.env_params.values()):
            raise ValueError(f"env_params must be a table of name = number (or string), got {self.env_params!r}")
        if not isinstance(self.hidden, list) or not all(
                isinstance(h, int) and not isinstance(h, bool) and h >= 1 for h in self.hidden):
            raise ValueError(f"hidden must be a list of positive layer widths, got {self.hidden!r}")
        if self.network not in ("mlp", "cnn") and not self.hidden:
            raise ValueError(f"a {self.network} network needs at least one hidden (recurrent) layer")
        for name, known in (("activation", ACTIVATIONS), ("output", ACTIVATIONS), ("init", INITS),
                            ("network", ("mlp", "elman", "gru", "lstm", "cnn")), ("obs", ("features", "pixels"))):
            if getattr(self, name) not in known:
                raise ValueError(f"{name} must be one of {', '.join(known)}, got {getattr(self, name)!r}")
        self._validate_conv()
        from evo.runs.objectives import check_names
        check_names(self.objectives)
        if self.validate_on not in ("improvement", "every"):
            raise ValueError(f"validate_on must be improvement or every, got {self.validate_on!r}")
        from evo.algorithms import registry as algorithms
        self.algorithm = algorithms.parameters(self.algorithm)
        if self.objectives and (self.algorithm["name"] != "ga" or self.algorithm.get("replacement") != "nsga2"):
            now = self.algorithm["name"] + (f" with replacement {self.algorithm['replacement']}"
                                            if "replacement" in self.algorithm else "")
            raise ValueError(f"several objectives need the GA's nsga2 replacement (algorithm = {{ name = \"ga\", "
                             f"replacement = \"nsga2\" }}); this run's algorithm is {now}")
        if self.backend not in ("local", "ray"):
            raise ValueError(f"backend must be local or ray, got {self.backend!r}")
        if not isinstance(self.address, str) or self.address != self.address.strip():
            raise ValueError(f"address must be a Ray address such as auto or ray://host:10001, got {self.address!r}")
        for kind in ("selection", "crossover", "mutation"):
            spec = getattr(self, kind)
            if not isinstance(spec, dict) or not isinstance(spec.get("name"), str):
                raise ValueError(f"{kind} must be a table with a name, e.g. {kind} = {{ name = \"...\" }}")
        return self

    def _validate_conv(self) -> None:
        if not isinstance(self.conv, list) or not all(
                isinstance(c, list) and len(c) == 3 and all(isinstance(v, int) and not isinstance(v, bool) and v >= 1
                                                           for v in c) for c in self.conv):
            raise ValueError(f"conv must be a list of [channels, kernel, stride], positive integers, got {self.conv!r}")
        if self.network == "cnn" and self.obs != "pixels":
            raise ValueError("a cnn network reads images: observe the game as pixels (--obs pixels, obs = \"pixels\")")
        if self.network == "cnn" and not self.conv:
            raise ValueError("a cnn network needs at least one convolution layer (conv = [[channels, kernel, stride]])")
        if self.conv and self.network != "cnn":
            raise ValueError(f"conv layers are for a cnn network, not {self.network}")

    def to_dict(self) -> dict:
        """The settings a file keeps: every field but ``backend`` and ``address`` (``target`` only when set,
        ``obs`` only when ``pixels``, ``conv`` only when it lists layers).

        Where a run is played changes nothing it computes, so it stays out of
        the files that a local and a Ray run must share byte for byte.
        """
        d = dataclasses.asdict(self)
        del d["backend"], d["address"]
        if d["target"] is None:
            del d["target"]
        if d["obs"] == "features":
            del d["obs"]
        if not d["objectives"]:
            del d["objectives"]
        if not d["conv"]:
            del d["conv"]
        for name in ("max_steps", "max_evaluations", "max_seconds"):  # budgets: only when set
            if d[name] is None:
                del d[name]
        if not d["parent"]:  # only a fork has a parent
            del d["parent"]
        return d

    def to_toml(self, applicable: bool = False) -> str:
        """:meth:`to_dict` as TOML; with ``applicable``, without the fields the run's algorithm never reads
        (the GA's operators, crossover rate and elite for any algorithm but ``ga`` and ``novelty``)."""
        import tomli_w
        d = self.to_dict()
        if applicable and algorithm_name(self.algorithm) not in GA_BREEDERS:
            for name in GA_FIELDS:
                del d[name]
        return tomli_w.dumps(d)

    @classmethod
    def from_dict(cls, d: dict, base: "RunConfig | None" = None) -> "RunConfig":
        """Overlay the keys of ``d`` on ``base`` (or the defaults); unknown keys are an error."""
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(d) - known)
        if unknown:
            raise ValueError(f"unknown config key {unknown[0]!r}; known: {', '.join(sorted(known))}")
        values = dataclasses.asdict(base) if base is not None else {}
        values.update(d)
        if isinstance(values.get("algorithm"), str):
            values["algorithm"] = {"name": values["algorithm"]}
        if isinstance(d.get("algorithm"), (str, dict)) and base is not None:
            # another algorithm's parameters do not carry over from the base
            given = d["algorithm"] if isinstance(d["algorithm"], dict) else {"name": d["algorithm"]}
            values["algorithm"] = dict(given)
        if values.get("objectives") and isinstance(values.get("algorithm"), dict) \
                and values["algorithm"].get("name") == "ga" and "replacement" not in values["algorithm"]:
            values["algorithm"] = {**values["algorithm"], "replacement": "nsga2"}  # several objectives: NSGA-II
        if isinstance(values.get("target"), bool):
            raise ValueError("target must be a number")
        return cls(**values)


def load_toml(path: str) -> dict:
    """Read a run config from a TOML file.

    Raises
    ------
    ValueError
        One line: the file is missing, unreadable or malformed, names a Ray
        ``address`` (a file never chooses where the program connects), or
        names a Gymnasium id that would import a module.
    """
    import envs

    try:
        with open(path, "rb") as f:
            settings = tomllib.load(f)
        if "address" in settings:
            raise ValueError(f"{path}: address is taken from --address or RAY_ADDRESS, never from a file")
        if "env" in settings:
            envs.check_file_id(settings["env"])
        return settings
    except FileNotFoundError:
        raise ValueError(f"config file not found: {path}") from None
    except tomllib.TOMLDecodeError as e:
        raise ValueError(f"malformed TOML in {path}: {e}") from None
    except OSError as e:
        raise ValueError(f"cannot read {path}: {e.strerror}") from None


def default_config(env: str, algorithm=None, obs=None, network=None) -> RunConfig:
    """The defaults for ``env``: the general defaults overlaid with the preset its game declares.

    With ``obs="pixels"`` the preset is a ``cnn`` network (relu, He init) overlaid with the game's
    ``PIXEL_PRESET`` (:func:`envs.pixels.preset`: its ``conv`` and dense ``hidden`` layers, population, ...)
    instead of its ``PRESET``; when the run names another ``network``, without the convolutions.

    A game declares its preset as ``PRESET`` in its module or by ``envs.register(..., preset=...)``
    (:func:`envs.declaration`); a ``gym:<id>`` environment has none. The preset is tuned for the
    game's own algorithm (its ``algorithm``, else ``ga``). When ``algorithm`` (a name or an
    ``[algorithm]`` table: the one the run will use) is of another kind (:func:`algorithm_kind`),
    the preset's :data:`ALGORITHM_SETTINGS` are left out and that kind's :data:`KIND_PRESETS` used.

    Raises
    ------
    ValueError
        An unknown game (one line naming it and the known ones).
    """
    import envs

    if not isinstance(env, str):
        raise ValueError(f"env must be a game name, got {env!r}")
    preset = dict(envs.declaration(env).preset)
    if obs == "pixels":  # a CNN, as the game's pixel preset sets it up
        preset = {"network": "cnn", "activation": "relu", "init": "he", **envs.pixels.preset(envs.make(env).module),
                  "obs": "pixels"}
        if network not in (None, "cnn"):
            preset = {k: v for k, v in preset.items() if k not in ("network", "conv")}
    chosen = algorithm_name(algorithm)
    if chosen is not None:
        kind = algorithm_kind(chosen)
        if kind != algorithm_kind(algorithm_name(preset.get("algorithm")) or "ga"):
            preset = {k: v for k, v in preset.items() if k not in ALGORITHM_SETTINGS}
            preset.update(KIND_PRESETS[kind])
        if chosen == "neat":
            preset["pop_size"] = max(int(preset.get("pop_size", RunConfig.pop_size)), NEAT_MIN_POP)
            preset.update(NEAT_PRESETS.get(env, {}))
    return RunConfig.from_dict({"env": env, **preset})
