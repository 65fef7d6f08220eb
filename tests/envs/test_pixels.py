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
    assert 16 <= env.obs_shape[1] <= 32 and 16 <= env.obs_shape[2] <= 32
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


def test_pong_image_matches_state():
    env = envs.make("pong", obs="pixels")
    p = env.params
    _, rows, cols = env.obs_shape
    checked = 0
    for obs, states in _play(env, steps=120):
        for img, s in zip(obs.reshape(-1, *env.obs_shape), states):
            half = p[pong.PADDLE_HALF] * rows / 2
            for col, y in ((0, s[pong.PADDLE_Y]), (cols - 1, s[pong.OPP_Y])):
                top = (1 - y) * rows / 2 - half  # the paddle covers [top, top + 2 half] of the column
                r = np.arange(rows)
                want = np.clip(np.minimum(r + 1, top + 2 * half) - np.maximum(r, top), 0, 1)
                np.testing.assert_allclose(img[0, :, col], want, atol=1e-5)
            assert img[0, :, 1:cols - 1].sum() == 0.0
            x, y = (s[pong.BALL_X] + 1) * cols / 2, (1 - s[pong.BALL_Y]) * rows / 2
            if 0.5 <= x <= cols - 0.5 and 0.5 <= y <= rows - 0.5:
                assert img[1].sum() == pytest.approx(1.0, abs=1e-5)
                assert _centroid(img[1]) == pytest.approx((x, y), abs=1e-4)
                checked += 1
    assert checked > 100


def test_flappy_image_matches_state():
    env = envs.make("flappy", obs="pixels")
    p = env.params
    _, rows, cols = env.obs_shape
    for obs, states in _play(env, steps=40):
        for img, s in zip(obs.reshape(-1, *env.obs_shape), states):
            x, y = p[flappy.BIRD_X] * cols / p[flappy.WIDTH], (1 - s[flappy.Y]) * rows
            if 0.5 <= y <= rows - 0.5:
                assert _centroid(img[1]) == pytest.approx((x, y), abs=1e-4)
            for i in range(flappy.NUM_PIPES):  # a pixel column wholly inside a pipe is pipe but in the gap
                left = (s[flappy.PIPE_X + 2 * i] - p[flappy.PIPE_WIDTH] / 2) * cols / p[flappy.WIDTH]
                right = left + p[flappy.PIPE_WIDTH] * cols / p[flappy.WIDTH]
                for c in range(max(0, int(np.ceil(left))), min(cols, int(np.floor(right)))):
                    top = s[flappy.PIPE_GAP + 2 * i] + s[flappy.PIPE_H + i] / 2
                    bottom = s[flappy.PIPE_GAP + 2 * i] - s[flappy.PIPE_H + i] / 2
                    assert img[0, :, c].sum() == pytest.approx((1 - (top - bottom)) * rows, abs=1e-4)


def test_snake_image_matches_state():
    env = envs.make("snake", obs="pixels", level="classic")  # a 16 x 16 grid in a 20 x 20 image
    size = int(env.params[snake.SIZE])
    _, rows, cols = env.obs_shape
    for obs, states in _play(env, steps=30):
        for img, s in zip(obs.reshape(-1, *env.obs_shape), states):
            want = np.ones((rows, cols))
            want[:size, :size] = 0.0
            for x, y in snake.body(s, env.params):
                want[y, x] = 1.0
            assert np.array_equal(img[0], want)
            assert np.argwhere(img[1]).tolist() == [[int(s[snake.HEAD_Y]), int(s[snake.HEAD_X])]]
            assert np.argwhere(img[2]).tolist() == [[int(s[snake.FOOD_Y]), int(s[snake.FOOD_X])]]


def test_bad_requests_are_refused():
    with pytest.raises(ValueError, match="no pixel observation"):
        envs.make("cartpole", obs="pixels")
    with pytest.raises(ValueError, match="obs must be one of"):
        envs.make("pong", obs="rgb")
    with pytest.raises(ValueError, match="grids of up to 20"):
        envs.make("snake", obs="pixels", size=24)
