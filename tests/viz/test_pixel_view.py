"""The P key: the game view shows the leader's pixel observation, the image its network reads (SDL's dummy driver)."""

import numpy as np
import pytest

pygame = pytest.importorskip("pygame")

import envs  # noqa: E402
from evo import CNN, MLP  # noqa: E402
from viz import theme as T  # noqa: E402
from viz.app import Replay, open_window  # noqa: E402
from viz.pixels import CHANNELS, colours, fitted  # noqa: E402


def key(k):
    pygame.event.post(pygame.event.Event(pygame.KEYDOWN, key=k, unicode="", mod=0))


def test_channels_add_their_colours():
    image = np.zeros((3, 2, 4), np.float32)
    image[1, 0, 3] = 1.0
    image[0, 1, 0] = 0.5
    rgb = colours(image)
    assert rgb.shape == (2, 4, 3) and rgb.dtype == np.uint8
    assert tuple(rgb[1, 1]) == T.FIELD  # nothing there: the background
    assert tuple(rgb[0, 3]) == tuple(min(255, a + b) for a, b in zip(T.FIELD, CHANNELS[1]))
    assert tuple(rgb[1, 0]) == tuple(int(np.rint(a + 0.5 * b)) for a, b in zip(T.FIELD, CHANNELS[0]))


def test_p_shows_what_the_network_sees_in_a_replay():
    env = envs.make("pong", obs="pixels")
    net = CNN(env.obs_shape, [(4, 4, 2), (8, 3, 2)], [8], outputs=env.num_outputs)  # tests/evo/test_cnn.py's
    genome = net.init(np.random.default_rng(2), 1)[0]
    screen = open_window((800, 450))
    r = Replay(env, net, genome, screen, frame_time=1 / 60)
    assert ("P", "what the network sees (pixels) / the game") in r.controls()
    r.run(frames=3)
    game = np.asarray(pygame.surfarray.array3d(screen)).copy()
    key(pygame.K_p)
    r.run(frames=2)
    assert r.show_pixels
    _, area, _ = r.layout()
    _, rows, cols = env.obs_shape
    rect = fitted(pygame.Rect(area.x, area.y, area.w, area.h - 24), rows, cols)
    assert rect.w == rect.h * cols // rows and rect.h > 0.8 * (area.h - 24)
    shown = pygame.surfarray.array3d(screen)[rect.x:rect.right, rect.y:rect.bottom].transpose(1, 0, 2)
    block = rect.w // cols
    want = np.repeat(np.repeat(colours(r.episode.obs[0].reshape(env.obs_shape)), block, 0), block, 1)
    half = rect.h // 2  # the upper half: the flashed message covers the bottom of the view for a moment
    assert np.array_equal(shown[:half], want[:half])
    assert (np.asarray(pygame.surfarray.array3d(screen)) != game).any()
    key(pygame.K_p)
    r.run(frames=1)
    assert not r.show_pixels  # the game's own drawing again


def test_p_on_a_game_seen_as_features_says_so():
    env = envs.make("cartpole")
    net = MLP([4, 8, 2])  # cartpole's preset network
    r = Replay(env, net, net.init(np.random.default_rng(0), 1)[0], open_window((800, 450)), frame_time=1 / 60)
    key(pygame.K_p)
    r.run(frames=1)
    assert not r.show_pixels and "features" in r._message[0]
