"""Pixel observations (envs.pixels): shapes, bounds, and images that show the state they are drawn from."""

import numpy as np
import pytest

import envs
from envs import flappy, pong, snake

GAMES = ("pong", "flappy", "snake")


def _play(env, n=4, steps=60, seed=0):
    """Observations and states of ``n`` agents acting at random for ``steps`` steps."""
    rng = np.random.default_rng(seed)
    batch = env.batch(n, seed=seed, episodes=np.arange(n))
    seen = [(batch.reset(), batch.states.copy())]
    for _ in range(steps):
        obs, _, _ = batch.step(rng.integers(0, env.num_actions, n))
        seen.append((obs, batch.states.copy()))
    return seen


@pytest.mark.parametrize("name", GAMES)
def test_shape_and_bounds(name):
    env = envs.make(name, obs="pixels")
    module = envs.make(name).module
    assert env.obs == "pixels" and env.obs_shape == tuple(module.PIXELS)
    assert env.obs_size == int(np.prod(env.obs_shape)) == len(env.spec.obs_low)
    assert 8 <= env.obs_shape[1] <= 32 and 8 <= env.obs_shape[2] <= 32
    assert (env.num_actions, env.max_steps, env.spec.state_size) == (module.SPEC.num_actions, module.SPEC.max_steps,
                                                                    module.SPEC.state_size)
    shown = np.zeros(env.obs_shape[0])
    for obs, _ in _play(env):
        assert obs.dtype == np.float32 and obs.shape == (4, env.obs_size)
        assert obs.min() >= 0.0 and obs.max() <= 1.0
        shown = np.maximum(shown, obs.reshape(4, env.obs_shape[0], -1).max(axis=(0, 2)))
    assert np.all(shown > 0.0)  # every channel shows something


def test_features_stay_the_default():
    env = envs.make("pong")
    assert env.obs == "features" and env.obs_shape == (7,) and env.obs_size == 7
    assert "pixels" not in repr(env) and "obs='pixels'" in repr(envs.make("pong", obs="pixels"))


def test_pixel_variant_plays_the_same_game():
    """Same key, same actions: the states, rewards and ends are the game's own, whatever it observes."""
    a, b = envs.make("snake", obs="pixels"), envs.make("snake")
    for (_, sa), (_, sb) in zip(_play(a, seed=3), _play(b, seed=3)):
        assert np.array_equal(sa, sb)
    assert envs.declaration(a) == envs.declaration("snake")


def _centroid(img):
    rows, cols = np.indices(img.shape)
    return (img * cols).sum() / img.sum() + 0.5, (img * rows).sum() / img.sum() + 0.5


def _overlap(lo, hi, n):
    """How much of each of the pixels 0..n-1 (pixel k spans [k, k + 1]) the interval [lo, hi] covers."""
    k = np.arange(n)
    return np.clip(np.minimum(k + 1, hi) - np.maximum(k, lo), 0, 1)


def test_pong_image_matches_state():
    """The court seen from the agent's paddle: 6 pixels a unit, the paddle's centre 2 units below the top."""
    env = envs.make("pong", obs="pixels")
    p = env.params
    _, rows, cols = env.obs_shape
    assert (rows, cols) == (24, 12)
    checked = 0
    for obs, states in _play(env, steps=120):
        for img, s in zip(obs.reshape(-1, *env.obs_shape), states):
            own = s[pong.PADDLE_Y]
            row = lambda y: (2 - (y - own)) * 6  # noqa: E731
            want = np.zeros((rows, cols))
            want += (_overlap(row(1) - 1, row(1), rows) + _overlap(row(-1), row(-1) + 1, rows))[:, None]  # the walls
            half = p[pong.PADDLE_HALF]
            want[:, 0] += _overlap(row(own + half), row(own - half), rows)
            want[:, -1] += _overlap(row(s[pong.OPP_Y] + half), row(s[pong.OPP_Y] - half), rows)
            np.testing.assert_allclose(img[0], want, atol=1e-5)
            assert img[0, 11:13, 0].min() > 0.99  # the agent's paddle, always in the middle of column 0
            x, y = (s[pong.BALL_X] + 1) * 6, row(s[pong.BALL_Y])
            if 0.5 <= x <= cols - 0.5:
                assert img[1].sum() == pytest.approx(1.0, abs=1e-5)
                assert _centroid(img[1]) == pytest.approx((x, y), abs=1e-4)
                checked += 1
    assert checked > 100


def test_flappy_image_matches_state():
    """The screen seen from the bird: 12 pixels a unit, the bird in the middle row."""
    env = envs.make("flappy", obs="pixels")
    p = env.params
    _, rows, cols = env.obs_shape
    sx, sy = cols / p[flappy.WIDTH], rows / 2
    for obs, states in _play(env, steps=40):
        for img, s in zip(obs.reshape(-1, *env.obs_shape), states):
            y = s[flappy.Y]
            assert _centroid(img[1]) == pytest.approx((p[flappy.BIRD_X] * sx, rows / 2), abs=1e-4)
            lines = np.clip(y * sy, 0, 1) + np.clip(rows - (1 + y) * sy, 0, 1)  # ceiling and floor, where shown
            for i in range(flappy.NUM_PIPES):  # a pixel column wholly inside a pipe is pipe but in the gap
                left = (s[flappy.PIPE_X + 2 * i] - p[flappy.PIPE_WIDTH] / 2) * sx
                right = left + p[flappy.PIPE_WIDTH] * sx
                for c in range(max(0, int(np.ceil(left))), min(cols, int(np.floor(right)))):
                    assert img[0, :, c].sum() == pytest.approx((1 - s[flappy.PIPE_H + i]) * sy + lines, abs=1e-4)


@pytest.mark.parametrize("level", ["long", "classic"])
def test_snake_image_matches_state(level):
    """The cells around the head as the snake sees them: it heads up, its right on the right."""
    env = envs.make("snake", obs="pixels", level=level)
    size = int(env.params[snake.SIZE])
    _, n, _ = env.obs_shape
    view = n // 2
    ahead = {0: (0, -1), 1: (1, 0), 2: (0, 1), 3: (-1, 0)}  # heading -> (dx, dy) of a step ahead
    seen_wall = seen_body = 0
    for obs, states in _play(env, steps=40):
        for img, s in zip(obs.reshape(-1, *env.obs_shape), states):
            h = int(s[snake.HEADING])
            (fx, fy), (rx, ry) = ahead[h], ahead[(h + 1) % 4]
            hx, hy = int(s[snake.HEAD_X]), int(s[snake.HEAD_Y])
            want = np.zeros((n, n))
            for r in range(n):
                for c in range(n):
                    x, y = hx + (view - r) * fx + (c - view) * rx, hy + (view - r) * fy + (c - view) * ry
                    outside = not (0 <= x < size and 0 <= y < size)
                    # body a step from now: entered within the last length - 1 steps
                    want[r, c] = outside or s[snake.GRID + y * size + x] > s[snake.STEPS] + 1 - s[snake.LENGTH]
            assert np.array_equal(img[0], want)
            seen_wall += bool(want.sum() > n)
            seen_body += bool(want[view + 1, view])  # the neck, right behind the head
            dx, dy = s[snake.FOOD_X] - hx, s[snake.FOOD_Y] - hy
            f, side = np.clip(dx * fx + dy * fy, -view, view), np.clip(dx * rx + dy * ry, -view, view)
            assert np.argwhere(img[1]).tolist() == [[view - f, view + side]]
    assert seen_wall and seen_body


def test_bad_requests_are_refused():
    with pytest.raises(ValueError, match="no pixel observation"):
        envs.make("cartpole", obs="pixels")
    with pytest.raises(ValueError, match="obs must be one of"):
        envs.make("pong", obs="rgb")


def test_snake_sees_any_grid_through_the_same_image():
    """The view moves with the head, so every grid size plays from pixels, the largest too."""
    env = envs.make("snake", obs="pixels", size=32)
    assert env.obs_shape == envs.make("snake", obs="pixels").obs_shape
    for obs, _ in _play(env, steps=10):
        assert obs.min() >= 0.0 and obs.max() <= 1.0
