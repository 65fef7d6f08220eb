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
from envs.spec import Controls, Drawing, EnvSpec

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


class _Recorder:
    """A canvas that checks and counts what a game's drawing asks for, drawing nothing (no viewer needed)."""

    def __init__(self):
        self.shapes, self.colour, self.width = 0, None, 2.0

    def _point(self, p):
        x, y = (float(v) for v in p)
        if not (math.isfinite(x) and math.isfinite(y)):
            raise ValueError(f"a point that is not finite: {p!r}")

    def _colour(self, colour):
        if colour is not None and not isinstance(colour, str) and len(tuple(colour)) != 3:
            raise ValueError(f"a colour is None, a palette name or (r, g, b), got {colour!r}")

    def line(self, a, b, colour=None, width=1.0):
        self._point(a), self._point(b), self._colour(colour)
        self.shapes += 1

    def lines(self, points, colour=None, width=1.0, closed=False):
        for p in points:
            self._point(p)
        self._colour(colour)
        self.shapes += 1

    def circle(self, centre, radius, colour=None, width=0.0):
        self._point(centre), self._colour(colour)
        self.shapes += 1

    def dot(self, centre, size=1.0, colour=None):
        self._point(centre), self._colour(colour)
        self.shapes += 1

    def polygon(self, points, colour=None):
        self.lines(points, colour)

    def rect(self, x0, y0, x1, y1, colour=None):
        self._point((x0, y0)), self._point((x1, y1)), self._colour(colour)
        self.shapes += 1

    def text(self, s, at, size=0.1, colour=None):
        self._point(at), self._colour(colour)
        self.shapes += 1


def _declaration_findings(module, params) -> list:
    """What the module declares beside its kernels (PRESET, ACTION_NAMES, CONTROLS, DRAWING), tried out."""
    spec, problems, declared = module.SPEC, [], []
    preset = getattr(module, "PRESET", None)
    if preset is not None:
        declared.append("PRESET")
        if not isinstance(preset, dict) or not all(isinstance(k, str) for k in preset):
            problems.append("PRESET must be a dict of run settings by name")
    names = getattr(module, "ACTION_NAMES", None)
    if names is not None:
        declared.append("ACTION_NAMES")
        try:
            names = tuple(names(params) if callable(names) else names)
            if len(names) != spec.num_outputs or not all(isinstance(n, str) for n in names):
                problems.append(f"ACTION_NAMES must be {spec.num_outputs} strings (one per network output)")
        except Exception as e:  # the author's code
            problems.append(f"ACTION_NAMES fails: {type(e).__name__}: {e}")
    controls = getattr(module, "CONTROLS", None)
    if controls is not None:
        declared.append("CONTROLS")
        if not isinstance(controls, Controls) or not isinstance(controls.keys, dict):
            problems.append("CONTROLS must be an envs.Controls with a dict of keys")
        else:
            for key, value in controls.keys.items():
                fits = (isinstance(value, int) and 0 <= value < spec.num_actions if spec.discrete else
                        isinstance(value, tuple) and len(value) == spec.action_size
                        and all(-1.0 <= float(v) <= 1.0 for v in value))
                if not isinstance(key, str) or not fits:
                    want = f"an action index below {spec.num_actions}" if spec.discrete else \
                        f"a tuple of {spec.action_size} values in [-1, 1]"
                    problems.append(f"CONTROLS key {key!r} must map to {want}, got {value!r}")
    drawing = getattr(module, "DRAWING", None)
    if drawing is not None:
        declared.append("DRAWING")
        try:
            if not isinstance(drawing, Drawing):
                raise ValueError("DRAWING must be an envs.Drawing")
            x0, x1, y0, y1 = drawing.bounds(params)
            if not (x0 < x1 and y0 < y1):
                raise ValueError(f"the box {(x0, x1, y0, y1)} must have x0 < x1 and y0 < y1")
            state = np.zeros(spec.state_size)
            module.reset(state, params, np.array([int(_rng.keys(2, 0, [0])[0])], np.uint64))
            canvas = _Recorder()
            if drawing.scene is not None:
                drawing.scene(canvas, params)
            drawing.agent(canvas, state, params)
            if drawing.info is not None and not isinstance(drawing.info(state, params), str):
                raise ValueError("DRAWING's info must return a str")
            if not canvas.shapes:
                raise ValueError("DRAWING draws nothing for a start state")
        except Exception as e:  # the author's code
            problems.append(f"DRAWING fails: {type(e).__name__}: {e}")
    detail = "; ".join(problems) if problems else (
        f"declares {', '.join(declared)}" if declared else "declares none: generic labels, keys and drawing")
    return [Finding(not problems, "declarations", detail)]


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
    return findings + _declaration_findings(module, params)
