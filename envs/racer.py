"""Racer: drive a car round a closed track without touching the walls.

Description
    A car drives on a closed track bounded by two walls. The track is a closed
    centre-line polyline and a half width; the walls are the centre line
    offset by the half width to either side (mitred corners). By default every
    episode key has its own procedural track (``track="procedural"``), so a
    run trains on tracks it has never seen; the hand-drawn tracks are the
    test set. The car is a kinematic point model: speed changes with throttle,
    brake and quadratic drag; the yaw rate is the steering input times the
    smaller of ``max_curvature * speed`` (the tightest turning circle) and
    ``grip / speed`` (the lateral-acceleration limit), so the car must slow
    down for tight corners. The car senses the walls with seven distance rays.

    Procedural tracks: a closed cubic B-spline over 8 to 16 control points at
    jittered angles round a circle, their radii perturbed by up to 30-90 %,
    half of them mirrored (clockwise), scaled to a lap of 300 to 650 m and
    resampled at 64 points evenly spaced in arc-length; half width 4.5 to
    7 m; no bend tighter than 10 m (centre line) and the walls of different
    parts of the track at least 3 m apart. A draw that breaks a rule is
    discarded and the next one drawn from the same generator, so a key always
    gives the same track (see ``_generate``).

    Hand-drawn tracks, read from ``envs/tracks/<name>.csv`` (one ``x,y``
    point per line, in metres), all counter-clockwise, starting on the bottom
    straight, with the ``half_width`` parameter: ``oval`` (388 m, a stadium
    with 30 m turns), ``kidney`` (386 m, 35 m turns and a right-hand dip of
    radius 25 m) and ``hairpin`` (485 m, S-bends and two 180-degree hairpins
    of radius 15 m). A run's test score is the worst of their means
    (``SPEC.test_sets``); ``envs.make("racer", track="kidney")`` drives one.

State row
    ``X``, ``Y`` position (m); ``HEADING`` (rad, counter-clockwise from +x);
    ``SPEED`` (m/s); ``SEG`` cached index of the nearest centre-line segment;
    ``ARC`` arc-length of the nearest centre-line point (m, in [0, lap));
    ``PROGRESS`` laps driven (signed) and ``BEST`` its maximum so far;
    ``STALL`` steps since ``BEST`` last grew; ``STEER``, ``THROTTLE`` the last
    action (clipped); ``RAY0 .. RAY0 + 6`` the ray lengths (m); from
    ``TRACK`` the episode's track block (``TRACK_SIZE`` floats): the number
    of points ``N`` at ``T_N``, the lap length at ``T_LENGTH``, the half
    width at ``T_HALF_WIDTH``, then ``MAX_POINTS`` point records of
    ``POINT_SIZE`` floats from ``T_POINTS`` (centre ``x, y``, its
    arc-length, left wall ``x, y``, right wall ``x, y``), the first ``N``
    used. Segment ``i`` runs from point ``i`` to point ``i + 1`` (wrapping).
    Draw it with ``track_geometry(state)``.

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
    The episode's track: the hand-drawn one copied from the parameters, or
    the procedural one drawn from the episode's generator. The car at the
    start line (the first track point), heading along the first segment, at
    rest; position jittered by up to ``start_jitter`` metres along and across
    the track, heading by up to ``heading_jitter`` radians (uniform draws at
    reset, nothing random afterwards).

Episode end
    Terminated when the car touches a wall (its distance to the centre line
    exceeds the track's half width minus ``car_radius``; on the outside of a corner this
    rounded boundary lies within a few centimetres of the mitred wall the
    rays see) or when it has not beaten its best progress for
    ``stall_steps`` steps (stopped, reversed or circling).
    Truncated after 1500 steps (75 s).

Solved
    Mean return of at least 3.0 (three laps in 75 s) over 100 fresh episodes
    on every hand-drawn track.

Parameters
    ``dt`` 0.05 s, ``half_width`` 6.0 m (hand-drawn tracks; procedural ones
    draw their own), ``car_radius`` 1.0 m, ``accel`` 8.0 m/s^2, ``brake``
    15.0 m/s^2, ``drag`` 0.01 1/m (top speed 28.3 m/s), ``max_curvature``
    0.125 1/m (8 m turning radius), ``grip`` 12.0 m/s^2, ``ray_length``
    60.0 m, ``stall_steps`` 100, ``start_jitter`` 0.5 m, ``heading_jitter``
    0.05 rad. ``default_params(track="procedural", ...)`` picks the track:
    ``"procedural"``, a hand-drawn track's name or a path to a CSV file of at
    most ``MAX_POINTS`` points.

    Layout of the params array (float64): the scalars above in
    ``PARAM_NAMES`` order, then from ``PARAM_TRACK`` a track block laid out
    as the state row's (empty, ``N`` = 0, for procedural tracks). The wall
    geometry is computed from ``half_width`` when the array is built; change
    the width through ``default_params``, not by writing into the array.
"""

import math
import os
from importlib import resources

import numpy as np
from numba import njit

from envs import rng as _rng
from envs.spec import Controls, EnvSpec, build_params

X, Y, HEADING, SPEED, SEG, ARC, PROGRESS, BEST, STALL, STEER, THROTTLE = range(11)
RAY0 = 11
NUM_RAYS = 7
RAY_ANGLES = np.radians(np.linspace(-90.0, 90.0, NUM_RAYS))
_RAY_COS = np.cos(RAY_ANGLES)
_RAY_SIN = np.sin(RAY_ANGLES)

# the track block, in the state row from TRACK and in the params array from PARAM_TRACK
TRACK = RAY0 + NUM_RAYS
T_N, T_LENGTH, T_HALF_WIDTH, T_POINTS = range(4)
MAX_POINTS = 64
POINT_SIZE = 7  # centre x, y, arc-length; left wall x, y; right wall x, y
TRACK_SIZE = T_POINTS + MAX_POINTS * POINT_SIZE
STATE_SIZE = TRACK + TRACK_SIZE

PARAM_NAMES = ("dt", "half_width", "car_radius", "accel", "brake", "drag", "max_curvature",
               "grip", "ray_length", "stall_steps", "start_jitter", "heading_jitter")
PARAM_DEFAULTS = (0.05, 6.0, 1.0, 8.0, 15.0, 0.01, 0.125, 12.0, 60.0, 100.0, 0.5, 0.05)
PARAM_RANGES = ((0.005, 0.2), (1.0, 20.0), (0.1, 5.0), (0.5, 50.0), (0.5, 100.0), (0.001, 0.5),
                (0.01, 1.0), (1.0, 50.0), (5.0, 500.0), (10.0, 10000.0),
                (0.0, 5.0), (0.0, 0.5))  # (low, high) of each, inclusive
(DT, HALF_WIDTH, CAR_RADIUS, ACCEL, BRAKE, DRAG, MAX_CURVATURE, GRIP, RAY_LENGTH,
 STALL_STEPS, START_JITTER, HEADING_JITTER) = range(12)
PARAM_TRACK = len(PARAM_NAMES)
TRACKS = ("oval", "kidney", "hairpin")  # hand-drawn: the test set
PROCEDURAL = "procedural"

# the procedural generator's ranges (uniform draws)
CONTROL_POINTS = (8, 17)       # control points of the closed spline, low inclusive, high exclusive
LENGTH_RANGE = (300.0, 650.0)  # lap length (m)
WIDTH_RANGE = (4.5, 7.0)       # half width (m)
WOBBLE_RANGE = (0.3, 0.9)      # radial perturbation of the control points, relative
STRETCH_RANGE = (1.0, 3.5)     # the control points' circle stretched into an ellipse this long
MIN_RADIUS = 10.0              # tightest centre-line bend (m)
CLEARANCE = 3.0                # least gap between walls of different parts of the track (m)
_ATTEMPTS = 200                # draws before the generator settles for a circle
_FINE = 8                      # spline samples per output point when measuring arc-length

_WINDOW = 2  # nearest-segment search covers the cached segment +- this many; safe because
# every segment is longer than one step's travel at top speed (checked for files, by construction
# for procedural tracks)

# kernel="auto" plays the racer per agent: its ray casts leave the lockstep kernel little to gain
# (docs/performance.md)
LOCKSTEP_MAX_GENES = 0

SPEC = EnvSpec(name="racer", obs_size=NUM_RAYS + 1, num_actions=None, action_size=2, max_steps=1500, dt=0.05,
               solved_at=3.0, solved_over=100, state_size=STATE_SIZE, obs_low=(0.0,) * (NUM_RAYS + 1),
               obs_high=(1.0,) * (NUM_RAYS + 1),
               obs_names=("ray -90", "ray -60", "ray -30", "ray 0", "ray +30", "ray +60", "ray +90", "speed"),
               test_sets=tuple((name, (("track", name),)) for name in TRACKS))


def load_track(track: str = "oval") -> np.ndarray:
    """Centre-line points of a hand-drawn track as an ndarray of shape (N, 2).

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
        Unknown track, unreadable line, fewer than 3 or more than ``MAX_POINTS`` points.
    """
    if not isinstance(track, str):
        raise ValueError(f"racer: track must be a name or a path, got {track!r}")
    if track.endswith(".csv") or os.sep in track:
        try:
            if not os.path.isfile(track):  # a FIFO or a device would block the read, or never end it
                raise ValueError(f"racer: track file {track!r} is not a regular file" if os.path.exists(track)
                                 else f"racer: no track file {track!r}")
            if os.path.getsize(track) > 1_000_000:
                raise ValueError(f"racer: track file {track!r} is larger than 1 MB; a track has at most "
                                 f"{MAX_POINTS} points")
            with open(track) as f:
                text = f.read()
        except OSError as e:
            raise ValueError(f"racer: cannot read track file {track!r}: {e.strerror}") from None
        except UnicodeDecodeError:
            raise ValueError(f"racer: track file {track!r} is not text") from None
    else:
        path = resources.files("envs").joinpath("tracks", f"{track}.csv")
        if not path.is_file():
            raise ValueError(f"racer: unknown track {track!r}; known: {PROCEDURAL}, {', '.join(TRACKS)}")
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
        if not (math.isfinite(x) and math.isfinite(y)):
            raise ValueError(f"racer: track {track!r} line {num}: coordinates must be finite numbers, got {line!r}")
        points.append((x, y))
    if len(points) > 1 and math.dist(points[-1], points[0]) < 1e-6:
        points.pop()  # the polyline closes itself; a repeated first point is redundant
    if not 3 <= len(points) <= MAX_POINTS:
        raise ValueError(f"racer: track {track!r} needs 3 to {MAX_POINTS} points, has {len(points)}")
    return np.array(points, dtype=np.float64)


@njit
def _build_walls(row, t, n, half_width):
    """Complete the track block at ``row[t:]`` whose ``n`` centre points are written: arc-lengths,
    lap length, half width and the mitred walls. Returns 0 if fine, 1 for repeated points, 2 for
    a bend the walls cannot follow (a wall segment runs backwards)."""
    p = t + T_POINTS
    row[t + T_N] = n
    row[t + T_HALF_WIDTH] = half_width
    s = 0.0
    for i in range(n):
        o, o1 = p + i * POINT_SIZE, p + ((i + 1) % n) * POINT_SIZE
        length = math.hypot(row[o1] - row[o], row[o1 + 1] - row[o + 1])
        if length <= 0.0:
            return 1
        row[o + 2] = s
        s += length
    row[t + T_LENGTH] = s
    for i in range(n):
        o, ob, o1 = p + i * POINT_SIZE, p + ((i - 1) % n) * POINT_SIZE, p + ((i + 1) % n) * POINT_SIZE
        ex, ey = row[o1] - row[o], row[o1 + 1] - row[o + 1]
        bx, by = row[o] - row[ob], row[o + 1] - row[ob + 1]
        le, lb = math.hypot(ex, ey), math.hypot(bx, by)
        nx, ny = -ey / le - by / lb, ex / le + bx / lb  # sum of the two unit left normals
        norm = math.hypot(nx, ny)
        if norm < 1e-6:
            return 2  # turns back on itself
        nx, ny = nx / norm, ny / norm
        miter = half_width / ((nx * -ey + ny * ex) / le)
        row[o + 3], row[o + 4] = row[o] + miter * nx, row[o + 1] + miter * ny
        row[o + 5], row[o + 6] = row[o] - miter * nx, row[o + 1] - miter * ny
    for i in range(n):
        o, o1 = p + i * POINT_SIZE, p + ((i + 1) % n) * POINT_SIZE
        ex, ey = row[o1] - row[o], row[o1 + 1] - row[o + 1]
        for w in (3, 5):
            if (row[o1 + w] - row[o + w]) * ex + (row[o1 + w + 1] - row[o + w + 1]) * ey <= 0.0:
                return 2
    return 0


def _track_block(points: np.ndarray, half_width: float, name: str) -> np.ndarray:
    """The track block of a hand-drawn track (the layout the state row holds from ``TRACK``)."""
    block = np.zeros(TRACK_SIZE)
    n = len(points)
    block[T_POINTS:T_POINTS + n * POINT_SIZE].reshape(n, POINT_SIZE)[:, 0:2] = points
    status = _build_walls(block, 0, n, half_width)
    if status == 1:
        raise ValueError(f"racer: track {name!r} has repeated consecutive points")
    if status == 2:
        raise ValueError(f"racer: track {name!r} bends too tightly for half_width {half_width}")
    return block


def default_params(track: str = PROCEDURAL, **overrides) -> np.ndarray:
    """Parameters as a float64 array: the scalars (overridable by name), then the track block.

    Parameters
    ----------
    track : str
        ``"procedural"`` (a new track for every episode key; the block is
        then empty), a hand-drawn track's name (``"oval"``, ``"kidney"``,
        ``"hairpin"``) or a path to a CSV file.
    **overrides
        Scalar parameters by name, e.g. ``half_width=5.0`` (the width of a
        hand-drawn track; procedural tracks draw their own).
    """
    scalars = build_params(PARAM_NAMES, PARAM_DEFAULTS, PARAM_RANGES, overrides, SPEC.name)
    reach = math.sqrt(scalars[ACCEL] / scalars[DRAG]) * scalars[DT]
    if track == PROCEDURAL:
        if not scalars[CAR_RADIUS] < WIDTH_RANGE[0]:
            raise ValueError(f"racer: procedural tracks need car_radius < {WIDTH_RANGE[0]}")
        if LENGTH_RANGE[0] / MAX_POINTS < reach:
            raise ValueError(f"racer: the car moves {reach:.2f} m in one step, more than a procedural "
                             f"track's {LENGTH_RANGE[0] / MAX_POINTS:.2f} m segments")
        return np.concatenate([scalars, np.zeros(TRACK_SIZE)])
    if not scalars[CAR_RADIUS] < scalars[HALF_WIDTH]:
        raise ValueError("racer: need car_radius < half_width")
    points = load_track(track)
    shortest = np.hypot(*(np.roll(points, -1, axis=0) - points).T).min()
    if shortest < reach:
        raise ValueError(f"racer: track {track!r} has a {shortest:.2f} m segment, shorter than "
                         f"the {reach:.2f} m the car can move in one step")
    return np.concatenate([scalars, _track_block(points, scalars[HALF_WIDTH], track)])


def track_geometry(row: np.ndarray, at: int = TRACK) -> tuple:
    """Centre line, left wall and right wall vertices of the track block at ``row[at:]`` (a state
    row's by default; ``at=PARAM_TRACK`` for a params array's), each an ndarray of shape (N, 2)."""
    n = int(row[at + T_N])
    p = row[at + T_POINTS:at + T_POINTS + n * POINT_SIZE].reshape(n, POINT_SIZE)
    return p[:, 0:2].copy(), p[:, 3:5].copy(), p[:, 5:7].copy()


def track_key(row: np.ndarray, at: int = TRACK) -> tuple:
    """Numbers that tell the track block at ``row[at:]`` from another's (a cache key for drawing)."""
    return tuple(float(v) for v in row[at:at + T_POINTS + 2])


# -- the procedural generator ----------------------------------------------------------------


@njit
def _spline(row, k, u):
    """Point at ``u`` in [0, k) of the closed uniform cubic B-spline over the ``k`` control points
    kept in the right-wall slots of the state's track block (free until the walls are built)."""
    i = int(math.floor(u))
    f = u - i
    f2, f3 = f * f, f * f * f
    w = ((1.0 - f) ** 3 / 6.0, (3.0 * f3 - 6.0 * f2 + 4.0) / 6.0,
         (-3.0 * f3 + 3.0 * f2 + 3.0 * f + 1.0) / 6.0, f3 / 6.0)
    x = y = 0.0
    for d in range(4):
        o = TRACK + T_POINTS + ((i - 1 + d) % k) * POINT_SIZE + 5
        x += w[d] * row[o]
        y += w[d] * row[o + 1]
    return x, y


@njit
def _seg_dist2(px, py, ax, ay, bx, by):
    """Squared distance from (px, py) to the segment from (ax, ay) to (bx, by)."""
    ex, ey = bx - ax, by - ay
    wx, wy = px - ax, py - ay
    t = min(max((wx * ex + wy * ey) / (ex * ex + ey * ey), 0.0), 1.0)
    dx, dy = wx - t * ex, wy - t * ey
    return dx * dx + dy * dy


@njit
def _sound(row, t, n, half_width, limit):
    """Whether the centre line of the track block at ``row[t:]`` bends no tighter than
    ``MIN_RADIUS`` and stays ``2 * half_width + CLEARANCE`` from every part of itself more than
    ``limit`` metres of arc away."""
    p = t + T_POINTS
    lap = row[t + T_LENGTH]
    for i in range(n):
        o, ob, o1 = p + i * POINT_SIZE, p + ((i - 1) % n) * POINT_SIZE, p + ((i + 1) % n) * POINT_SIZE
        ex, ey = row[o1] - row[o], row[o1 + 1] - row[o + 1]
        bx, by = row[o] - row[ob], row[o + 1] - row[ob + 1]
        turn = abs(math.atan2(bx * ey - by * ex, bx * ex + by * ey))
        if turn * MIN_RADIUS > 0.5 * (math.hypot(ex, ey) + math.hypot(bx, by)):
            return False
    gap = 2.0 * half_width + CLEARANCE
    for i in range(n):
        o = p + i * POINT_SIZE
        for j in range(n):
            oj, oj1 = p + j * POINT_SIZE, p + ((j + 1) % n) * POINT_SIZE
            apart = abs(row[o + 2] - row[oj + 2])
            if min(apart, lap - apart) <= limit:
                continue
            if _seg_dist2(row[o], row[o + 1], row[oj], row[oj + 1], row[oj1], row[oj1 + 1]) < gap * gap:
                return False
    return True


@njit
def _generate(state, rng):
    """Write a procedural track into ``state[TRACK:]``, drawn from ``rng``.

    Control points at jittered angles round a circle, their radii perturbed,
    half of the tracks mirrored (clockwise); the closed cubic B-spline through
    them is scaled to a drawn lap length (longer where its tightest bend
    needs it) and resampled at ``MAX_POINTS`` points evenly spaced in
    arc-length. A draw that would be longer than ``LENGTH_RANGE`` allows,
    bends too tightly or comes too close to itself is discarded and the next
    one drawn, so the track depends on the key alone; after ``_ATTEMPTS``
    draws (never seen) it is a circle.
    """
    n = MAX_POINTS
    p = TRACK + T_POINTS
    for attempt in range(_ATTEMPTS):
        k = CONTROL_POINTS[0] + _rng.randint(rng, CONTROL_POINTS[1] - CONTROL_POINTS[0])
        wobble = _rng.uniform(rng, WOBBLE_RANGE[0], WOBBLE_RANGE[1])
        lap = _rng.uniform(rng, LENGTH_RANGE[0], LENGTH_RANGE[1])
        half_width = _rng.uniform(rng, WIDTH_RANGE[0], WIDTH_RANGE[1])
        stretch = _rng.uniform(rng, STRETCH_RANGE[0], STRETCH_RANGE[1])
        mirror = -1.0 if _rng.uniform(rng) < 0.5 else 1.0
        for i in range(k):
            a = 2.0 * math.pi * (i + _rng.uniform(rng, -0.3, 0.3)) / k
            r = max(1.0 + wobble * _rng.uniform(rng, -1.0, 1.0), 0.2)
            o = p + i * POINT_SIZE + 5
            state[o], state[o + 1] = stretch * r * math.cos(a), mirror * r * math.sin(a)
        if attempt == _ATTEMPTS - 1:  # the fallback: a circle
            k = 4
            for i in range(k):
                o = p + i * POINT_SIZE + 5
                state[o], state[o + 1] = math.cos(0.5 * math.pi * i), math.sin(0.5 * math.pi * i)
        # arc-length and tightest bend of the spline; a track too twisty for the drawn length
        # grows (up to the longest), then points every lap / n of it
        samples = n * _FINE
        total, tightest = 0.0, np.inf
        x0, y0 = _spline(state, k, k * (samples - 1.0) / samples)
        x1, y1 = _spline(state, k, 0.0)
        d0, h0 = math.hypot(x1 - x0, y1 - y0), math.atan2(y1 - y0, x1 - x0)
        x0, y0 = x1, y1
        for s in range(1, samples + 1):
            x1, y1 = _spline(state, k, k * s / samples)
            d, h = math.hypot(x1 - x0, y1 - y0), math.atan2(y1 - y0, x1 - x0)
            turn = abs((h - h0 + 3.0 * math.pi) % (2.0 * math.pi) - math.pi)
            if turn > 0.0:
                tightest = min(tightest, 0.5 * (d + d0) / turn)
            total += d
            x0, y0, d0, h0 = x1, y1, d, h
        lap = max(lap, total * MIN_RADIUS / tightest)
        if lap > LENGTH_RANGE[1] and attempt < _ATTEMPTS - 1:
            continue
        scale = lap / total
        x0, y0 = _spline(state, k, 0.0)
        state[p], state[p + 1] = scale * x0, scale * y0
        walked, m = 0.0, 1
        for s in range(1, samples + 1):
            x1, y1 = _spline(state, k, k * s / samples)
            d = math.hypot(x1 - x0, y1 - y0)
            while m < n and walked + d >= m * total / n:
                f = (m * total / n - walked) / d
                o = p + m * POINT_SIZE
                state[o], state[o + 1] = scale * (x0 + f * (x1 - x0)), scale * (y0 + f * (y1 - y0))
                m += 1
            walked += d
            x0, y0 = x1, y1
        if m < n:
            continue
        if _build_walls(state, TRACK, n, half_width) != 0:
            continue
        if attempt == _ATTEMPTS - 1 or _sound(state, TRACK, n, half_width, 4.0 * half_width + 2.0 * CLEARANCE):
            return


# -- the game's kernels ----------------------------------------------------------------------


@njit
def _locate(state, x, y, k):
    """Nearest centre-line segment to (x, y) among ``k +- _WINDOW``: (segment, arc-length, squared distance)."""
    n = int(state[TRACK + T_N])
    p = TRACK + T_POINTS
    best_j, best_s, best_d2 = k, 0.0, np.inf
    for off in range(-_WINDOW, _WINDOW + 1):
        j = (k + off) % n
        o, o1 = p + j * POINT_SIZE, p + ((j + 1) % n) * POINT_SIZE
        ex, ey = state[o1] - state[o], state[o1 + 1] - state[o + 1]
        wx, wy = x - state[o], y - state[o + 1]
        l2 = ex * ex + ey * ey
        t = min(max((wx * ex + wy * ey) / l2, 0.0), 1.0)
        dx, dy = wx - t * ex, wy - t * ey
        d2 = dx * dx + dy * dy
        if d2 < best_d2:
            best_j, best_s, best_d2 = j, state[o + 2] + t * math.sqrt(l2), d2
    return best_j, best_s, best_d2


@njit
def _cast_rays(state, params):
    """Write the distance to the first wall along every ray into ``state[RAY0:]``."""
    n = int(state[TRACK + T_N])
    p = TRACK + T_POINTS
    reach = params[RAY_LENGTH]
    px, py = state[X], state[Y]
    ch, sh = math.cos(state[HEADING]), math.sin(state[HEADING])
    for i in range(NUM_RAYS):
        state[RAY0 + i] = reach
    for w in (3, 5):
        for j in range(n):
            o, o1 = p + j * POINT_SIZE + w, p + ((j + 1) % n) * POINT_SIZE + w
            wx, wy = state[o] - px, state[o + 1] - py
            ex, ey = state[o1] - state[o], state[o1 + 1] - state[o + 1]
            mx, my = wx + 0.5 * ex, wy + 0.5 * ey
            r = reach + 0.5 * math.sqrt(ex * ex + ey * ey)
            if mx * mx + my * my > r * r:
                continue  # segment wholly out of reach
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
    """Write a start state into ``state``: the episode's track, the car at rest on the start line, slightly jittered."""
    if params[PARAM_TRACK + T_N] > 0:
        for i in range(TRACK_SIZE):
            state[TRACK + i] = params[PARAM_TRACK + i]
    else:
        _generate(state, rng)
    o, o1 = TRACK + T_POINTS, TRACK + T_POINTS + POINT_SIZE
    ex, ey = state[o1] - state[o], state[o1 + 1] - state[o + 1]
    length = math.hypot(ex, ey)
    ux, uy = ex / length, ey / length
    along = _rng.uniform(rng, -params[START_JITTER], params[START_JITTER])
    across = _rng.uniform(rng, -params[START_JITTER], params[START_JITTER])
    dh = _rng.uniform(rng, -params[HEADING_JITTER], params[HEADING_JITTER])
    state[X] = state[o] + along * ux - across * uy
    state[Y] = state[o + 1] + along * uy + across * ux
    state[HEADING] = math.atan2(ey, ex) + dh
    state[SPEED] = 0.0
    j, s, _ = _locate(state, state[X], state[Y], 0)
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

    j, s, d2 = _locate(state, state[X], state[Y], int(state[SEG]))
    lap = state[TRACK + T_LENGTH]
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
    limit = state[TRACK + T_HALF_WIDTH] - params[CAR_RADIUS]
    terminated = d2 > limit * limit or state[STALL] >= params[STALL_STEPS]
    return reward, terminated


BEHAVIOUR_NAMES = ("x", "y")
BEHAVIOUR_LOW = (0.0, 0.0)
BEHAVIOUR_HIGH = (1.0, 1.0)


def describe(states, params):
    """Behaviour descriptor of final states (N, STATE_SIZE): where the car stopped, as fractions of the
    bounding box of its episode's track (walls included), shape (N, 2)."""
    block = states[:, TRACK + T_POINTS:TRACK + T_POINTS + MAX_POINTS * POINT_SIZE]
    walls = block.reshape(len(states), MAX_POINTS, POINT_SIZE)[:, :, 3:7].reshape(len(states), 2 * MAX_POINTS, 2)
    used = np.arange(2 * MAX_POINTS)[None, :] < 2 * states[:, TRACK + T_N, None]
    low = np.where(used[:, :, None], walls, np.inf).min(axis=1)
    high = np.where(used[:, :, None], walls, -np.inf).max(axis=1)
    return np.clip((states[:, [X, Y]] - low) / (high - low), 0.0, 1.0)


def pace(returns, steps, params):
    """Laps per minute of each episode, shape (P, E): its return (laps) over the time it lasted (its
    ``steps`` times ``dt``). A run's second objective beside the laps (``objectives = ["pace"]``): the laps
    of 75 s reward staying on the track, the pace rewards speed while on it, and a car that drives fast
    and touches a wall early is on the front beside one that drives slowly and lasts."""
    return returns * 60.0 / (np.maximum(steps, 1) * params[DT])


# objectives beside the return (evo.runs.objectives): name -> (function per episode, direction)
OBJECTIVES = {"pace": (pace, "max")}


# -- what runs, the viewer and `neuroevo play` read about the game (envs.declaration) ------------------

# every track differs, so a generation's training fitness says little about the next one's:
# validate every generation's best, on fewer episodes; racer episodes on one track barely differ
PRESET = {"generations": 150, "pop_size": 256, "episodes": 3, "hidden": [16], "validate_on": "every",
          "validation_episodes": 50, "test_episodes": 100}
ACTION_NAMES = ("steer", "throttle")
CONTROLS = Controls({"left": (-1.0, 0.0), "right": (1.0, 0.0), "up": (0.0, 1.0), "down": (0.0, -1.0)},
                    help="Left / Right: steer, Up: throttle, Down: brake")
