"""Run configuration: every setting of a run, with per-game defaults, from TOML and flags."""

from __future__ import annotations

import dataclasses
import sys
from dataclasses import dataclass, field
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


@dataclass
class RunConfig:
    """Everything that determines a run. Same config, same seed: same result, bit for bit."""

    env: str = "cartpole"
    """Game name (``neuroevo envs`` lists them) or ``gym:<Gymnasium id>``."""
    env_params: dict = field(default_factory=dict)
    """Game parameters overriding the game's defaults, by name."""
    generations: int = 100
    """Maximum number of generations."""
    pop_size: int = 256
    """Genomes per generation."""
    episodes: int = 3
    """Episodes per genome per generation (every genome meets the same ones)."""
    seed: int = 0
    """Seed of the GA and of every episode."""
    hidden: list = field(default_factory=lambda: [16])
    """Hidden layer widths."""
    activation: str = "tanh"
    """Hidden activation: tanh, sigmoid, relu, step or linear."""
    output: str = "linear"
    """Output activation."""
    init: str = "glorot"
    """Weight initialisation: normal, glorot or he."""
    selection: dict = field(default_factory=lambda: {"name": "tournament", "size": 3})
    """Selection operator and its parameters (``evo.selection``)."""
    crossover: dict = field(default_factory=lambda: {"name": "uniform", "p": 0.5})
    """Crossover operator and its parameters (``evo.crossover``)."""
    mutation: dict = field(default_factory=lambda: {"name": "gaussian", "sigma": 0.1, "rate": 0.1})
    """Mutation operator and its parameters (``evo.mutation``); sigma may be a schedule table."""
    crossover_rate: float = 0.5
    """Probability that a child is made by crossover rather than copied."""
    elite: int = 2
    """Best genomes carried unchanged into the next generation."""
    target: float | None = None
    """Stop when the champion's mean over fresh validation episodes reaches this; default the game's solved_at."""
    validation_episodes: int = 100
    """Fresh episodes on which each generation's best genome is validated."""
    checkpoint_every: int = 10
    """Write checkpoint.npz every this many generations (and at the end)."""
    threads: int = 0
    """Numba threads; 0 uses every core."""
    backend: str = "local"
    """Where each generation is evaluated: ``local`` (this process) or ``ray`` (Ray actors); same results."""
    address: str = ""
    """Ray cluster for ``backend = "ray"``: ``auto``, ``ray://host:port``, or empty to start a local Ray."""

    def validate(self) -> "RunConfig":
        """Check every value; raises ValueError with one line naming the problem."""
        def positive(name):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int) or v < 1:
                raise ValueError(f"{name} must be a positive integer, got {v!r}")
        for name in ("generations", "pop_size", "episodes", "validation_episodes", "checkpoint_every"):
            positive(name)
        if not isinstance(self.env, str) or not self.env:
            raise ValueError(f"env must be a game name, got {self.env!r}")
        if not isinstance(self.env_params, dict):
            raise ValueError("env_params must be a table of parameter = value")
        if isinstance(self.seed, bool) or not isinstance(self.seed, int) or self.seed < 0:
            raise ValueError(f"seed must be a non-negative integer, got {self.seed!r}")
        if (not isinstance(self.hidden, list)
                or not all(isinstance(h, int) and not isinstance(h, bool) and h >= 1 for h in self.hidden)):
            raise ValueError(f"hidden must be a list of positive layer widths, got {self.hidden!r}")
        if isinstance(self.elite, bool) or not isinstance(self.elite, int) or not 0 <= self.elite < self.pop_size:
            raise ValueError(f"elite must be an integer in [0, pop_size), got {self.elite!r}")
        if isinstance(self.threads, bool) or not isinstance(self.threads, int) or self.threads < 0:
            raise ValueError(f"threads must be a non-negative integer, got {self.threads!r}")
        if self.backend not in ("local", "ray"):
            raise ValueError(f"backend must be local or ray, got {self.backend!r}")
        if not isinstance(self.address, str) or self.address != self.address.strip():
            raise ValueError(f"address must be a Ray address such as auto or ray://host:10001, got {self.address!r}")
        if not isinstance(self.crossover_rate, (int, float)) or not 0 <= self.crossover_rate <= 1:
            raise ValueError(f"crossover_rate must be in [0, 1], got {self.crossover_rate!r}")
        if self.target is not None and (isinstance(self.target, bool) or not isinstance(self.target, (int, float))):
            raise ValueError(f"target must be a number, got {self.target!r}")
        for kind in ("selection", "crossover", "mutation"):
            spec = getattr(self, kind)
            if not isinstance(spec, dict) or not isinstance(spec.get("name"), str):
                raise ValueError(f"{kind} must be a table with a name, e.g. {kind} = {{ name = \"...\" }}")
        return self

    def to_dict(self) -> dict:
        d = dataclasses.asdict(self)
        if d["target"] is None:
            del d["target"]
        return d

    def to_toml(self) -> str:
        import tomli_w
        return tomli_w.dumps(self.to_dict())

    @classmethod
    def from_dict(cls, d: dict, base: "RunConfig | None" = None) -> "RunConfig":
        """Overlay the keys of ``d`` on ``base`` (or the defaults); unknown keys are an error."""
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(d) - known)
        if unknown:
            raise ValueError(f"unknown config key {unknown[0]!r}; known: {', '.join(sorted(known))}")
        values = dataclasses.asdict(base) if base is not None else {}
        values.update(d)
        if isinstance(values.get("target"), bool):
            raise ValueError("target must be a number")
        return cls(**values)


def load_toml(path: str) -> dict:
    """Read a TOML file; a missing or malformed file raises ValueError with one line."""
    try:
        with open(path, "rb") as f:
            return tomllib.load(f)
    except FileNotFoundError:
        raise ValueError(f"config file not found: {path}") from None
    except tomllib.TOMLDecodeError as e:
        raise ValueError(f"malformed TOML in {path}: {e}") from None
    except OSError as e:
        raise ValueError(f"cannot read {path}: {e.strerror}") from None


# Per-game defaults: settings that get each game solved with no options.
PRESETS: dict[str, dict[str, Any]] = {
    "cartpole": {"generations": 50, "pop_size": 128, "episodes": 3, "hidden": [8]},
    "flappy": {"generations": 60, "pop_size": 256, "episodes": 3, "hidden": [8]},
    "snake": {"generations": 300, "pop_size": 512, "episodes": 4, "hidden": [16]},
    "pong": {"generations": 100, "pop_size": 256, "episodes": 4, "hidden": [16]},
    "racer": {"generations": 150, "pop_size": 256, "episodes": 3, "hidden": [16]},
}


def default_config(env: str) -> RunConfig:
    """The defaults for ``env``: the general defaults overlaid with the game's preset."""
    return RunConfig.from_dict({"env": env, **PRESETS.get(env, {})})
