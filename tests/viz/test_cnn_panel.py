"""The network panel of a CNN: the leader's input image and its feature maps (SDL's dummy driver)."""

import numpy as np
import pytest

pygame = pytest.importorskip("pygame")

from evo import CNN  # noqa: E402
from viz.panels import NetworkPanel, feature_maps  # noqa: E402


def test_feature_maps_are_the_networks_own():
    net = CNN((3, 16, 16), [(4, 4, 2), (8, 3, 2)], [8], outputs=3)
    rng = np.random.default_rng(0)
    genome = net.init(rng, 1)[0]
    image = rng.random(net.num_inputs).astype(np.float32)
    maps = feature_maps(net.layout, genome, image)
    assert [m.shape for m in maps] == [(3, 16, 16), (4, 7, 7), (8, 3, 3), (3,)]
    assert np.array_equal(maps[0].reshape(-1), image)
    np.testing.assert_allclose(maps[-1], net.forward(genome[None], image[None])[0], rtol=1e-4, atol=1e-5)
    # the first map by hand: channel 2, row 1, column 3
    w, b = net.unpack(genome)[:2]
    patch = maps[0][:, 2:6, 6:10]
    assert maps[1][2, 1, 3] == pytest.approx(max(0.0, float(np.sum(w[2] * patch) + b[2])), rel=1e-5)


def test_the_panel_draws_the_image_and_maps():
    pygame.display.init()
    net = CNN((3, 16, 16), [(4, 4, 2)], [], outputs=3)
    genome = net.init(np.random.default_rng(1), 1)[0]
    image = np.zeros((3, 16, 16), np.float32)
    image[1, 5, 5] = 1.0  # one bright pixel in the second channel
    surf = pygame.Surface((400, 300))
    NetworkPanel(output_names=("up", "stay", "down")).draw(surf, surf.get_rect(), net.layout, genome,
                                                            image.reshape(-1), chosen=1)
    from viz import theme
    pixels = pygame.surfarray.array3d(surf)
    lit = np.argwhere(np.all(pixels[:, :140] == theme.POS, axis=2))  # the input's row, at the top
    xs, ys = lit[:, 0], lit[:, 1]  # the bright pixel, scaled up: one square, in the second tile
    assert len(lit) > 4 and xs.max() - xs.min() == ys.max() - ys.min() and len(lit) == (xs.max() - xs.min() + 1) ** 2
    assert 400 // 3 < xs.min() < 2 * 400 // 3
    assert np.any(np.all(pixels[:, 140:280] == theme.POS, axis=2))  # the brightest feature map value
