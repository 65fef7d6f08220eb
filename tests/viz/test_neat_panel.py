"""NEAT in the viewer: the network panel draws a grown topology, the species chart stacks species (SDL's dummy
driver)."""

import numpy as np
import pytest

pygame = pytest.importorskip("pygame")

from evo.algorithms.neat import NEAT  # noqa: E402
from viz import theme as T  # noqa: E402
from viz.neat import SpeciesChart  # noqa: E402
from viz.panels import NetworkPanel  # noqa: E402


def grown():
    algo = NEAT(3, 2, 30, 0, node_add_prob=0.8, conn_add_prob=0.8, node_delete_prob=0.0)
    for _ in range(6):
        algo.tell(np.array([len(g.keys) for g in algo.population], float))
    return algo


def colours(surf) -> set:
    return {tuple(int(c) for c in p) for p in pygame.surfarray.array3d(surf).reshape(-1, 3)}


def test_the_network_panel_draws_a_neat_topology_with_the_chosen_output_ringed():
    pygame.display.init()
    algo = grown()
    rows = algo.ask()
    i = int(np.argmax([len(g.keys) for g in algo.population]))
    assert len(algo.population[i].keys) > 2  # hidden nodes to draw
    surf = pygame.Surface((420, 320))
    panel = NetworkPanel(input_names=("a", "b", "c"), output_names=("left", "right"))
    panel.draw(surf, surf.get_rect(), algo.net.layout, rows[i], np.array([0.5, -0.2, 1.0], np.float32), chosen=1)
    seen = colours(surf)
    assert T.LEADER in seen  # the chosen output's ring and name
    assert len(seen) > 20  # connections in shades of both signs, nodes, labels


def test_the_species_chart_stacks_every_species():
    pygame.display.init()
    chart = SpeciesChart()
    chart.record({0: {"members": list(range(30))}})
    chart.record({0: {"members": list(range(20))}, 3: {"members": list(range(10))}})
    surf = pygame.Surface((300, 160))
    chart.draw(surf, surf.get_rect())
    seen = colours(surf)
    assert SpeciesChart.PALETTE[0] in seen and SpeciesChart.PALETTE[3] in seen
    assert SpeciesChart.PALETTE[1] not in seen


def test_the_species_chart_has_axes_with_round_ticks():
    from viz.neat import ticks
    assert ticks(10) == [0, 2, 4, 6, 8, 10] and ticks(447) == [0, 100, 200, 300, 447] and ticks(0) == [0]
    assert ticks(19) == [0, 5, 10, 15, 19] and ticks(150, 2) == [0, 150]
    pygame.display.init()
    chart = SpeciesChart()
    surf = pygame.Surface((300, 160))
    chart.draw(surf, surf.get_rect())
    assert T.EDGE not in colours(surf)  # no frame before the first generation
    chart.record({0: {"members": list(range(30))}})
    chart.draw(surf, surf.get_rect())
    frame = pygame.surfarray.array3d(surf)[SpeciesChart.PLOT[0] - 1, SpeciesChart.PLOT[2]:-SpeciesChart.PLOT[3]]
    assert (frame == T.EDGE).all(axis=1).mean() > 0.9  # the vertical axis: a line beside the bands
