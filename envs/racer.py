"""Racer: drive a car round a closed track without touching the walls.

Description
    A car drives on a closed track bounded by two walls. The track is data: a
    closed centre-line polyline read from ``envs/tracks/<name>.csv`` (one
    ``x,y`` point per line, in metres) and a constant ``half_width``. The walls
    are the centre line offset by ``half_width`` to either side (mitred
    corners). The car is a kinematic point model: speed changes with throttle,
    brake and quadratic drag; the yaw rate is the steering input times the
    smaller of ``max_curvature * speed`` (the tightest turning circle) and
    ``grip / speed`` (the lateral-acceleration limit), so the car must slow
    down for tight corners. The car senses the walls with seven distance rays.

    Shipped tracks, all counter-clockwise, starting on the bottom straight:
    ``oval`` (training, default; 388 m, a stadium with 30 m turns), ``kidney``
    (386 m, 35 m turns and a right-hand dip of radius 25 m) and ``hairpin``
    (485 m, S-bends and two 180-degree hairpins of radius 15 m), the latter
    two held out to test generalisation (``envs.make("racer", track="kidney")``).

State row
    ``X``, ``Y`` position (m); ``HEADING`` (rad, counter-clockwise from +x);
    ``SPEED`` (m/s); ``SEG`` cached index of the nearest centre-line segment;
    ``ARC`` arc-length of the nearest centre-line point (m, in [0, lap));
    ``PROGRESS`` laps driven (signed) and ``BEST`` its maximum so far;
    ``STALL`` steps since ``BEST`` last grew; ``STEER``, ``THROTTLE`` the last
    action (clipped); ``RAY0 .. RAY0 + 6`` the ray lengths (m). Draw the walls
    with ``track_geometry(params)``.

Observation
    =====  ===========================  ===  ===
    index  name                         min  max
    =====  ===========================  ===  ===
    0      ray -90 deg (right)          0    1
    1      ray -60 deg                  0    1
    2      ray -30 deg                  0    1
    3      ray 0 deg (ahead)            0    1
    4      ray +30 deg                  0    1
    5      ray +60 deg                  0    1
    6      ray +90 deg (left)           0    1
    7      speed                        0    1
    =====  ===========================  ===  ===

    A ray is the distance from the car to the first wall in that direction
    (angle relative to the heading, counter-clockwise positive), divided by
    ``ray_length`` and capped at 1. Speed is divided by the top speed
    ``sqrt(accel / drag)``.

Actions
    Box(-1, 1, (2,)): ``action[0]`` steering, +1 full left (counter-clockwise),
    -1 full right; ``action[1]`` throttle, positive accelerates with up to
    ``accel``, negative brakes with up to ``brake``. The car does not reverse:
    speed stays >= 0.

Reward
    Progress along the centre line this step, in laps: the arc-length gained
    by the car's nearest point on the centre line divided by the lap length,
    so one lap is worth 1.0. Moving backwards gives negative reward.

Start state
    At the start line (the first track point), heading along the first
    segment, at rest; position jittered by up to ``start_jitter`` metres
    along and across the track, heading by up to ``heading_jitter`` radians
    (three uniform draws at reset, nothing random afterwards).

Episode end
    Terminated when the car touches a wall (its distance to the centre line
    exceeds ``half_width - car_radius``; on the outside of a corner this
    rounded boundary lies within a few centimetres of the mitred wall the
    rays see) or when it has not beaten its best progress for
    ``stall_steps`` steps (stopped, reversed or circling).
    Truncated after 1500 steps (75 s).

Solved
    Mean return of at least 3.0 (three laps in 75 s) over 100 fresh episodes
    on the ``oval``.

Parameters
    ``dt`` 0.05 s, ``half_width`` 6.0 m, ``car_radius`` 1.0 m, ``accel``
    8.0 m/s^2, ``brake`` 15.0 m/s^2, ``drag`` 0.01 1/m (top speed 28.3 m/s),
    ``max_curvature`` 0.125 1/m (8 m turning radius), ``grip`` 12.0 m/s^2,
    ``ray_length`` 60.0 m, ``stall_steps`` 100, ``start_jitter`` 0.5 m,
    ``heading_jitter`` 0.05 rad. ``default_params(track="oval", ...)`` picks
    the track by name (or a path to a CSV file).

    Layout of the params array (float64): the scalars above in
    ``PARAM_NAMES`` order, then ``N`` (number of centre-line points) at
    ``TRACK_N``, the lap length at ``TRACK_LENGTH``, then ``N`` centre-line
    segment records of ``SEG_SIZE`` floats (``ax, ay, ex, ey, len,
    1/len^2, s0``: start point, direction vector, length, and arc-length at
    the start) from ``CENTRE``, then ``2N`` wall segment records of
    ``SEG_SIZE`` floats (``ax, ay, ex, ey, mx, my, r``: start point,
    direction vector, midpoint, half length), the left wall first. Segment
    ``i`` runs from point ``i`` to point ``i + 1`` (wrapping). The wall
    geometry is computed from ``half_width`` when the array is built; change
    the width through ``default_params``, not by writing into the array.
"""

import math
import os
from importlib import resources

import numpy as np
from numba import njit

from envs import rng as _rng
from envs.spec import EnvSpec, build_params

X, Y, HEADING, SPEED, SEG, ARC, PROGRESS, BEST, STALL, STEER, THROTTLE = range(11)
RAY0 = 11
NUM_RAYS = 7
STATE_SIZE = RAY0 + NUM_RAYS
RAY_ANGLES = np.radians(np.linspace(-90.0, 90.0, NUM_RAYS))
_RAY_COS = np.cos(RAY_ANGLES)
_RAY_SIN = np.sin(RAY_ANGLES)

PARAM_NAMES = ("dt", "half_width", "car_radius", "accel", "brake", "drag", "max_curvature",
               "grip", "ray_length", "stall_steps", "start_jitter", "heading_jitter")
PARAM_DEFAULTS = (0.05, 6.0, 1.0, 8.0, 15.0, 0.01, 0.125, 12.0, 60.0, 100.0, 0.5, 0.05)
PARAM_RANGES = ((0.005, 0.2), (1.0, 20.0), (0.1, 5.0), (0.5, 50.0), (0.5, 100.0), (0.001, 0.5),
                (0.01, 1.0), (1.0, 50.0), (5.0, 500.0), (10.0, 10000.0),
                (0.0, 5.0), (0.0, 0.5))  # (low, high) of each, inclusive
(DT, HALF_WIDTH, CAR_RADIUS, ACCEL, BRAKE, DRAG, MAX_CURVATURE, GRIP, RAY_LENGTH,
 STALL_STEPS, START_JITTER, HEADING_JITTER) = range(12)
TRACK_N = len(PARAM_NAMES)
TRACK_LENGTH = TRACK_N + 1
CENTRE = TRACK_N + 2
SEG_SIZE = 7
TRACKS = ("oval", "kidney", "hairpin")
_WINDOW = 2  # nearest-segment search covers the cached segment +- this many; safe because
# default_params rejects segments shorter than one step's travel at top speed

SPEC = EnvSpec(
    name="racer",
    obs_size=NUM_RAYS + 1,
    num_actions=None,
    action_size=2,
    max_steps=1500,
    dt=0.05,
    solved_at=3.0,
    solved_over=100,
    state_size=STATE_SIZE,
    obs_low=(0.0,) * (NUM_RAYS + 1),
    obs_high=(1.0,) * (NUM_RAYS + 1),
    obs_names=("ray -90", "ray -60", "ray -30", "ray 0", "ray +30", "ray +60", "ray +90", "speed"),
)


def load_track(track: str = "oval") -> np.ndarray:
    """Centre-line points of a track as an ndarray of shape (N, 2).

    Parameters
    ----------
    track : str
        A shipped track's name (see ``TRACKS``) or a path to a CSV file with
        one ``x,y`` point per line; lines starting with ``#`` and a header
        line are skipped, and a last point repeating the first is dropped
        (the polyline is closed anyway).

    Raises
    ------
    ValueError
        Unknown track, unreadable line, or fewer than 3 points.
    """
    if not isinstance(track, str):
        raise ValueError(f"racer: track must be a name or a path, got {track!r}")
    if track.endswith(".csv") or os.sep in track:
        try:
            with open(track) as f:
                text = f.read()
        except OSError as e:
            raise ValueError(f"racer: cannot read track file {track!r}: {e.strerror}") from None
    else:
        path = resources.files("envs").joinpath("tracks", f"{track}.csv")
        if not path.is_file():
            raise ValueError(f"racer: unknown track {track!r}; known: {', '.join(TRACKS)}")
        text = path.read_text()
    points = []
    for num, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        try:
            x, y = (float(v) for v in line.split(","))
        except ValueError:
            if not points and any(c.isalpha() for c in line):
                continue  # header
            raise ValueError(f"racer: track {track!r} line {num}: expected 'x,y', got {line!r}") from None
        points.append((x, y))
    if len(points) > 1 and math.dist(points[-1], points[0]) < 1e-6:
        points.pop()  # the polyline closes itself; a repeated first point is redundant
    if len(points) < 3:
        raise ValueError(f"racer: track {track!r} needs at least 3 points, has {len(points)}")
    return np.array(points, dtype=np.float64)


def _track_block(points: np.ndarray, half_width: float, name: str) -> np.ndarray:
    """Pack centre-line and wall segments of a closed polyline into one float64 array."""
    n = len(points)
    e = np.roll(points, -1, axis=0) - points
    length = np.hypot(e[:, 0], e[:, 1])
    if np.any(length <= 0):
        raise ValueError(f"racer: track {name!r} has repeated consecutive points")
    normal = np.stack([-e[:, 1], e[:, 0]], axis=1) / length[:, None]  # left of travel
    bisector = normal + np.roll(normal, 1, axis=0)
    norm = np.hypot(bisector[:, 0], bisector[:, 1])
    if np.any(norm < 1e-6):
        raise ValueError(f"racer: track {name!r} turns back on itself")
    bisector /= norm[:, None]
    miter = half_width / np.sum(bisector * normal, axis=1)
    centre = np.empty((n, SEG_SIZE))
    centre[:, 0:2] = points
    centre[:, 2:4] = e
    centre[:, 4] = length
    centre[:, 5] = 1.0 / length**2
    centre[:, 6] = np.concatenate([[0.0], np.cumsum(length)[:-1]])
    walls = []
    for side in (1.0, -1.0):
        a = points + side * miter[:, None] * bisector
        we = np.roll(a, -1, axis=0) - a
        if np.any(np.sum(we * e, axis=1) <= 0):
            raise ValueError(f"racer: track {name!r} bends too tightly for half_width {half_width}")
        w = np.empty((n, SEG_SIZE))
        w[:, 0:2] = a
        w[:, 2:4] = we
        w[:, 4:6] = a + 0.5 * we
        w[:, 6] = 0.5 * np.hypot(we[:, 0], we[:, 1])
        walls.append(w)
    return np.concatenate([[n, length.sum()], centre.ravel(), walls[0].ravel(), walls[1].ravel()])


def default_params(track: str = "oval", **overrides) -> np.ndarray:
    """Parameters as a float64 array: the scalars (overridable by name), then the track's geometry.

    Parameters
    ----------
    track : str
        Track name (``"oval"``, ``"kidney"``, ``"hairpin"``) or path to a CSV file.
    **overrides
        Scalar parameters by name, e.g. ``half_width=5.0``.
    """
    scalars = build_params(PARAM_NAMES, PARAM_DEFAULTS, PARAM_RANGES, overrides, SPEC.name)
    if not scalars[CAR_RADIUS] < scalars[HALF_WIDTH]:
        raise ValueError("racer: need car_radius < half_width")
    points = load_track(track)
    shortest = np.hypot(*(np.roll(points, -1, axis=0) - points).T).min()
    reach = math.sqrt(scalars[ACCEL] / scalars[DRAG]) * scalars[DT]
    if shortest < reach:
        raise ValueError(f"racer: track {track!r} has a {shortest:.2f} m segment, shorter than "
                         f"the {reach:.2f} m the car can move in one step")
    return np.concatenate([scalars, _track_block(points, scalars[HALF_WIDTH], track)])


def track_geometry(params: np.ndarray) -> tuple:
    """Centre line, left wall and right wall vertices, each an ndarray of shape (N, 2), for drawing."""
    n = int(params[TRACK_N])
    centre = params[CENTRE:CENTRE + n * SEG_SIZE].reshape(n, SEG_SIZE)[:, 0:2]
    walls = params[CENTRE + n * SEG_SIZE:CENTRE + 3 * n * SEG_SIZE].reshape(2 * n, SEG_SIZE)[:, 0:2]
    return centre.copy(), walls[:n].copy(), walls[n:].copy()


@njit
def _locate(params, x, y, k):
    """Nearest centre-line segment to (x, y) among ``k +- _WINDOW``: (segment, arc-length, squared distance)."""
    n = int(params[TRACK_N])
    best_j, best_s, best_d2 = k, 0.0, np.inf
    for off in range(-_WINDOW, _WINDOW + 1):
        j = (k + off) % n
        o = CENTRE + j * SEG_SIZE
        ex, ey = params[o + 2], params[o + 3]
        wx, wy = x - params[o], y - params[o + 1]
        t = min(max((wx * ex + wy * ey) * params[o + 5], 0.0), 1.0)
        dx, dy = wx - t * ex, wy - t * ey
        d2 = dx * dx + dy * dy
        if d2 < best_d2:
            best_j, best_s, best_d2 = j, params[o + 6] + t * params[o + 4], d2
    return best_j, best_s, best_d2


@njit
def _cast_rays(state, params):
    """Write the distance to the first wall along every ray into ``state[RAY0:]``."""
    n = int(params[TRACK_N])
    reach = params[RAY_LENGTH]
    px, py = state[X], state[Y]
    ch, sh = math.cos(state[HEADING]), math.sin(state[HEADING])
    for i in range(NUM_RAYS):
        state[RAY0 + i] = reach
    base = CENTRE + n * SEG_SIZE
    for j in range(2 * n):
        o = base + j * SEG_SIZE
        mx, my = params[o + 4] - px, params[o + 5] - py
        r = reach + params[o + 6]
        if mx * mx + my * my > r * r:
            continue  # segment wholly out of reach
        wx, wy = params[o] - px, params[o + 1] - py
        ex, ey = params[o + 2], params[o + 3]
        ahead = wx * ch + wy * sh
        if ahead < 0.0 and ahead + ex * ch + ey * sh < 0.0:
            continue  # segment wholly behind the car, where no ray points
        wxe = wx * ey - wy * ex
        for i in range(NUM_RAYS):
            dx = ch * _RAY_COS[i] - sh * _RAY_SIN[i]
            dy = sh * _RAY_COS[i] + ch * _RAY_SIN[i]
            den = dx * ey - dy * ex
            if den == 0.0:
                continue
            t = wxe / den
            if t < 0.0 or t >= state[RAY0 + i]:
                continue
            u = (wx * dy - wy * dx) / den
            if 0.0 <= u <= 1.0:
                state[RAY0 + i] = t


@njit
def reset(state, params, rng):
    """Write a start state into ``state``: at rest on the start line, slightly jittered."""
    o = CENTRE
    ex, ey, length = params[o + 2], params[o + 3], params[o + 4]
    ux, uy = ex / length, ey / length
    along = _rng.uniform(rng, -params[START_JITTER], params[START_JITTER])
    across = _rng.uniform(rng, -params[START_JITTER], params[START_JITTER])
    dh = _rng.uniform(rng, -params[HEADING_JITTER], params[HEADING_JITTER])
    state[X] = params[o] + along * ux - across * uy
    state[Y] = params[o + 1] + along * uy + across * ux
    state[HEADING] = math.atan2(ey, ex) + dh
    state[SPEED] = 0.0
    j, s, _ = _locate(params, state[X], state[Y], 0)
    state[SEG] = j
    state[ARC] = s
    state[PROGRESS] = 0.0
    state[BEST] = 0.0
    state[STALL] = 0.0
    state[STEER] = 0.0
    state[THROTTLE] = 0.0
    _cast_rays(state, params)


@njit
def observe(state, params, obs):
    """Write the seven ray lengths and the speed, each scaled to [0, 1], into ``obs``."""
    inv = 1.0 / params[RAY_LENGTH]
    for i in range(NUM_RAYS):
        obs[i] = min(max(state[RAY0 + i] * inv, 0.0), 1.0)
    obs[NUM_RAYS] = min(max(state[SPEED] / math.sqrt(params[ACCEL] / params[DRAG]), 0.0), 1.0)


@njit
def step(state, params, action, rng):
    """Advance one step with ``action = (steering, throttle)``. Returns (reward in laps, terminated)."""
    dt = params[DT]
    steer = min(max(action[0], -1.0), 1.0)
    throttle = min(max(action[1], -1.0), 1.0)
    v = state[SPEED]
    acc = throttle * (params[ACCEL] if throttle >= 0.0 else params[BRAKE])
    v = max(v + dt * (acc - params[DRAG] * v * v), 0.0)
    yaw_rate = 0.0
    if v > 0.0:
        yaw_rate = steer * min(params[MAX_CURVATURE] * v, params[GRIP] / v)
    h = state[HEADING] + dt * yaw_rate
    if h > math.pi:
        h -= 2.0 * math.pi
    elif h < -math.pi:
        h += 2.0 * math.pi
    state[X] += dt * v * math.cos(h)
    state[Y] += dt * v * math.sin(h)
    state[HEADING] = h
    state[SPEED] = v
    state[STEER] = steer
    state[THROTTLE] = throttle

    j, s, d2 = _locate(params, state[X], state[Y], int(state[SEG]))
    lap = params[TRACK_LENGTH]
    ds = s - state[ARC]
    if ds > 0.5 * lap:
        ds -= lap
    elif ds < -0.5 * lap:
        ds += lap
    state[SEG] = j
    state[ARC] = s
    reward = ds / lap
    state[PROGRESS] += reward
    if state[PROGRESS] > state[BEST]:
        state[BEST] = state[PROGRESS]
        state[STALL] = 0.0
    else:
        state[STALL] += 1.0
    _cast_rays(state, params)
    limit = params[HALF_WIDTH] - params[CAR_RADIUS]
    terminated = d2 > limit * limit or state[STALL] >= params[STALL_STEPS]
    return reward, terminated


BEHAVIOUR_NAMES = ("x", "y")
BEHAVIOUR_LOW = (0.0, 0.0)
BEHAVIOUR_HIGH = (1.0, 1.0)


def describe(states, params):
    """Behaviour descriptor of final states (N, STATE_SIZE): where the car stopped, as fractions of the
    track's bounding box (walls included), shape (N, 2)."""
    n = int(params[TRACK_N])
    points = params[CENTRE:CENTRE + n * SEG_SIZE].reshape(n, SEG_SIZE)[:, :2]
    low = points.min(axis=0) - params[HALF_WIDTH]
    high = points.max(axis=0) + params[HALF_WIDTH]
    return np.clip((states[:, [X, Y]] - low) / (high - low), 0.0, 1.0)
