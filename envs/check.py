"""``neuroevo check-game MODULE``: what is wrong with a game module, in one screen.

:func:`check_game` runs the game contract's checks (``docs/games.md``) and
returns one :class:`Finding` per check: the spec's fields, the parameters and
their ranges, whether Numba compiles ``reset``/``observe``/``step`` (its
message cut to what matters), observations inside the declared bounds under
random play, finite rewards, a ``reset`` that leaves nothing of the previous
episode behind, an ``observe`` that does not change the state, and the same
trajectory for the same key.
"""

from __future__ import annotations

import importlib
import importlib.util
import math
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numba.core.dispatcher import Dispatcher

from envs import rng as _rng
from envs.spec import EnvSpec

EPISODES = 48


@dataclass
class Finding:
    ok: bool
    check: str
    detail: str = ""

    def __str__(self) -> str:
        return f"{'OK  ' if self.ok else 'FAIL'}  {self.check}{': ' + self.detail if self.detail else ''}"


def load(target: str):
    """Import a game module from a dotted path or a ``.py`` file (ValueError if there is none)."""
    if target.endswith(".py"):
        path = Path(target)
        if not path.is_file():
            raise ValueError(f"no file {target}")
        spec = importlib.util.spec_from_file_location(path.stem, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[path.stem] = module
        sys.path.insert(0, str(path.parent.resolve()))
        spec.loader.exec_module(module)
        return module
    try:  # imported, not looked up: a module may provide its games as modules (envs.playground.xor)
        return importlib.import_module(target)
    except ModuleNotFoundError as e:
        if e.name != target and not target.startswith(f"{e.name}."):
            raise  # the game module itself imports something missing: that is what its author needs to see
        raise ValueError(f"no module named {target!r} (give a dotted module path or a .py file)") from None


def _numba_message(e: Exception) -> str:
    """The lines of a Numba error a game author needs: what failed and where in their file."""
    lines = [line.strip() for line in str(e).splitlines() if line.strip()]
    keep = [line for line in lines if not line.startswith(("During:", "Enable logging", "- Resolution", "[1]"))]
    where = next((line for line in lines if line.startswith("File ")), "")
    text = " | ".join(keep[:3])
    return (text[:300] + (" | " + where if where and where not in text else "")).strip()


def _spec_findings(module) -> list:
    spec = getattr(module, "SPEC", None)
    if not isinstance(spec, EnvSpec):
        return [Finding(False, "spec", "SPEC must be an envs.EnvSpec")]
    problems = []
    for field in ("obs_size", "max_steps", "solved_over", "state_size"):
        value = getattr(spec, field)
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            problems.append(f"{field} must be a positive integer, got {value!r}")
    if (spec.num_actions is None) == (spec.action_size is None):
        problems.append("exactly one of num_actions (discrete) and action_size (continuous) must be set")
    for field in ("num_actions", "action_size"):
        value = getattr(spec, field)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
            problems.append(f"{field} must be a positive integer or None, got {value!r}")
    if not isinstance(spec.dt, (int, float)) or not spec.dt > 0:
        problems.append(f"dt must be a positive number of seconds, got {spec.dt!r}")
    if not isinstance(spec.solved_at, (int, float)) or not math.isfinite(spec.solved_at):
        problems.append(f"solved_at must be a finite number, got {spec.solved_at!r}")
    for field in ("obs_low", "obs_high", "obs_names"):
        value = getattr(spec, field)
        if not isinstance(value, tuple) or len(value) != spec.obs_size:
            problems.append(f"{field} must be a tuple of obs_size ({spec.obs_size}) entries")
    if not problems and not all(lo < hi for lo, hi in zip(spec.obs_low, spec.obs_high)):
        problems.append("every obs_low must be below its obs_high")
    if not (module.__doc__ or "").count("Observation"):
        problems.append("the module docstring is the game's spec: it needs an Observation table")
    return [Finding(not problems, "spec", "; ".join(problems))]


def _param_findings(module) -> tuple:
    names = getattr(module, "PARAM_NAMES", None)
    defaults = getattr(module, "PARAM_DEFAULTS", None)
    ranges = getattr(module, "PARAM_RANGES", None)
    if names is None or defaults is None or ranges is None:
        return [Finding(False, "parameters", "PARAM_NAMES, PARAM_DEFAULTS and PARAM_RANGES are all needed "
                                           "(every parameter has a range)")], None
    problems = []
    if not len(names) == len(defaults) == len(ranges):
        problems.append(f"{len(names)} names, {len(defaults)} defaults and {len(ranges)} ranges")
    else:
        for n, d, r in zip(names, defaults, ranges):
            if not (isinstance(r, tuple) and len(r) == 2 and r[0] <= d <= r[1]):
                problems.append(f"{n}: default {d!r} outside its range {r!r}")
    try:
        params = module.default_params()
        if not isinstance(params, np.ndarray) or params.dtype != np.float64 or params.ndim != 1:
            problems.append("default_params() must return a 1-d float64 array")
            params = None
    except Exception as e:  # the author's code: any failure is a finding
        problems.append(f"default_params() fails: {type(e).__name__}: {e}")
        params = None
    return [Finding(not problems, "parameters", "; ".join(problems))], params


def _random_action(spec, rng, action):
    if spec.num_actions is not None:
        action[0] = rng.integers(0, spec.num_actions)
    else:
        action[:] = rng.uniform(-1, 1, spec.action_size)


def _episode(module, params, key, actions_seed, steps, start=None):
    """Play one episode with random actions; returns (observations, rewards, ended, observe_changed)."""
    spec = module.SPEC
    state = np.zeros(spec.state_size) if start is None else start.copy()
    obs = np.zeros(spec.obs_size, np.float32)
    action = np.zeros(spec.action_buffer_size)
    r = np.array([key], np.uint64)
    rng = np.random.default_rng(actions_seed)
    module.reset(state, params, r)
    seen, rewards, ended, changed = [], [], False, False
    for _ in range(steps):
        before = state.copy()
        module.observe(state, params, obs)
        changed |= not np.array_equal(before, state, equal_nan=True)
        seen.append(obs.copy())
        _random_action(spec, rng, action)
        reward, terminated = module.step(state, params, action, r)
        rewards.append(float(reward))
        if terminated:
            ended = True
            break
    return np.array(seen), np.array(rewards), ended, changed


def check_game(target) -> list:
    """Every check of the game contract on ``target`` (a module, a dotted path or a ``.py`` file).

    Raises
    ------
    ValueError
        ``target`` names no module or file.
    """
    module = load(target) if isinstance(target, str) else target
    findings = _spec_findings(module)
    param_findings, params = _param_findings(module)
    findings += param_findings
    missing = [f for f in ("reset", "observe", "step") if not isinstance(getattr(module, f, None), Dispatcher)]
    if missing:
        return findings + [Finding(False, "kernels", f"{', '.join(missing)} must be @njit functions")]
    if not findings[0].ok or params is None:
        return findings + [Finding(False, "kernels", "not tried: fix the spec and parameters first")]
    spec = module.SPEC
    try:
        _episode(module, params, int(_rng.keys(0, 0, [0])[0]), 0, 2)
    except Exception as e:  # Numba's typing and lowering errors, or the author's own
        return findings + [Finding(False, "kernels compile", _numba_message(e))]
    findings.append(Finding(True, "kernels compile"))
    keys = _rng.keys(1, 0, np.arange(EPISODES))
    low, high = np.array(spec.obs_low), np.array(spec.obs_high)
    bad_obs, bad_reward, ends, observe_changes, leaks, differs = [], [], 0, False, 0, 0
    for e, k in enumerate(keys):
        obs, rewards, ended, changed = _episode(module, params, int(k), e, spec.max_steps)
        ends += ended
        observe_changes |= changed
        outside = ~np.isfinite(obs) | (obs < low.astype(np.float32)) | (obs > high.astype(np.float32))
        if outside.any():
            i, j = np.argwhere(outside)[0]
            bad_obs.append(f"episode {e} step {i}: {spec.obs_names[j]} = {obs[i, j]:g} outside "
                           f"[{spec.obs_low[j]:g}, {spec.obs_high[j]:g}]")
        if not np.isfinite(rewards).all():
            bad_reward.append(f"episode {e}")
        if e < 8:
            again = _episode(module, params, int(k), e, 50)
            dirty = _episode(module, params, int(k), e, 50, start=np.full(spec.state_size, np.nan))
            differs += not (np.array_equal(again[0], obs[:50], equal_nan=True) and
                            np.array_equal(again[1], rewards[:50]))
            leaks += not (np.array_equal(dirty[0], again[0], equal_nan=True) and np.array_equal(dirty[1], again[1]))
    findings += [
        Finding(not bad_obs, "observations inside the declared bounds",
                f"{len(bad_obs)} of {EPISODES} episodes, first {bad_obs[0]}" if bad_obs else ""),
        Finding(not bad_reward, "finite rewards", f"non-finite in {', '.join(bad_reward[:3])}" if bad_reward else ""),
        Finding(not leaks, "reset sets the whole state",
                "an episode started from a state full of NaN plays differently: reset leaves a slot of the "
                "previous episode in place" if leaks else ""),
        Finding(not observe_changes, "observe leaves the state alone",
                "observe wrote into the state row" if observe_changes else ""),
        Finding(not differs, "same key, same episode",
                "two episodes with the same key and actions differ: draw random numbers only from the rng "
                "argument" if differs else ""),
        Finding(True, "episodes end",
                f"{ends} of {EPISODES} random episodes terminated; the others were truncated at max_steps "
                f"({spec.max_steps})"),
    ]
    return findings
