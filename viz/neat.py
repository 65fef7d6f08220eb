"""NEAT in the viewer: the leader's evolving topology, and the species' sizes generation by generation.

:func:`draw_network` lays a compiled NEAT row out by depth (inputs on the left, outputs on the right,
each hidden node one column right of its deepest source), connections coloured by sign and as wide
as their weight, nodes by their value on the leader's current observation. :class:`SpeciesChart`
stacks the species' sizes over the generations, as the NEAT paper's figures do: each species one
colour band, its height the species' share of the population.
"""

from __future__ import annotations

import numpy as np
import pygame

from viz import theme as T


def _positions(rect: pygame.Rect, nodes: list, left: int, right: int) -> dict:
    columns = max(d for _, _, d in nodes) + 1
    x0, x1 = rect.x + left, rect.right - right
    by_depth: dict = {}
    for slot, _, d in nodes:
        by_depth.setdefault(d, []).append(slot)
    pos = {}
    for d, slots in by_depth.items():
        gap = (rect.h - 24) / max(len(slots), 1)
        for j, slot in enumerate(slots):
            pos[slot] = (x0 + (x1 - x0) * d / max(columns - 1, 1), rect.y + 12 + gap * (j + 0.5))
    return pos


def draw_network(surf, rect, layout, row, x, chosen=None, input_names=(), output_names=()) -> None:
    """Draw the NEAT network of the compiled ``row`` (``layout`` its :class:`evo.networks.neat.NEATLayout`)
    on the observation ``x``; ``chosen`` is the index of the action taken (ringed)."""
    nodes, edges = layout.graph(row)
    values = layout.values(row, x)
    n_in = layout.net.num_inputs
    pos = _positions(rect, nodes, min(110, rect.w // 3) if input_names else 24, 60)
    radius = max(3, min(10, int((rect.h - 24) / max(2 * len(nodes), 1))))
    top = max([abs(w) for _, _, w in edges] + [1e-9])
    for s, d, w in sorted(edges, key=lambda e: abs(e[2])):  # strong ones on top
        mag = abs(w) / top
        colour = T.lerp(T.PANEL, T.POS if w > 0 else T.NEG, 0.25 + 0.75 * mag)
        pygame.draw.line(surf, colour, pos[s], pos[d], 1 + int(mag * 3.5))
    for slot, kind, _ in nodes:
        px, py = pos[slot]
        v = float(np.clip(values[slot], -1.0, 1.0))
        ring = kind == "output" and chosen == slot - n_in
        pygame.draw.circle(surf, T.signed(v, T.BG), (px, py), radius)
        pygame.draw.circle(surf, T.LEADER if ring else T.EDGE, (px, py), radius, 2 if ring else 1)
        if kind == "input" and slot < len(input_names):
            T.text(surf, str(input_names[slot])[:14], (px - radius - 4, py), 14, T.DIM, "midright")
        elif kind == "output":
            j = slot - n_in
            name = output_names[j] if j < len(output_names) else f"out {j}"
            T.text(surf, name, (px + radius + 4, py), 14, T.LEADER if ring else T.DIM, "midleft")
    hidden = sum(kind == "hidden" for _, kind, _ in nodes)
    T.text(surf, f"{hidden} hidden, {len(edges)} connections", (rect.x + 8, rect.bottom - 4), 14, T.DIM,
           "bottomleft")


def ticks(end: int, most: int = 5) -> list:
    """Round values from 0 to ``end`` for an axis: a step of 1, 2 or 5 times a power of ten, at most
    ``most`` steps, and ``end`` itself: after the last, or in its place when it lies within half a step."""
    if end <= 0:
        return [0]
    step = next(m * 10 ** e for e in range(19) for m in (1, 2, 5) if end / (m * 10 ** e) <= most)
    values = list(range(0, end + 1, step))
    if values[-1] != end:
        values[len(values) - 1 if end - values[-1] <= step / 2 and len(values) > 1 else len(values):] = [end]
    return values


class SpeciesChart:
    """Stacked species sizes per generation: :meth:`record` after each generation, :meth:`draw` any time.

    Each species is one colour band, its height its number of genomes; the vertical axis counts genomes
    (0 to the population size), the horizontal one generations.
    """

    PALETTE = ((240, 128, 78), (84, 154, 240), (104, 196, 112), (255, 193, 72), (190, 120, 230),
               (80, 200, 200), (232, 92, 92), (170, 170, 90))
    PLOT = (40, 10, 26, 30)  # the plot's margins inside the panel: left, right, top, bottom

    def __init__(self):
        self.history: list = []  # one {species id: size} per generation

    def record(self, species: dict) -> None:
        """Record a generation's species (``NEAT.species``: id -> a dict with ``members``)."""
        self.history.append({sid: len(sp["members"]) for sid, sp in species.items()})

    def draw(self, surf, rect) -> None:
        """Draw the chart into ``rect``: the title, the species' bands, both axes with their ticks."""
        surf.fill(T.PANEL, rect)
        T.text(surf, "species by generation", (rect.x + 8, rect.y + 4), 16, T.TEXT)
        left, right, top, bottom = self.PLOT
        body = pygame.Rect(rect.x + left, rect.y + top, rect.w - left - right, rect.h - top - bottom)
        if body.w < 30 or body.h < 20:
            return
        if not self.history:
            T.text(surf, "after the first generation", body.center, 14, T.DIM, "center")
            return
        T.text(surf, f"{len(self.history[-1])} now", (rect.right - 8, rect.y + 4), 14, T.DIM, "topright")
        ids = sorted({sid for gen in self.history for sid in gen})
        n = len(self.history)
        total = max(sum(sizes.values()) for sizes in self.history) or 1
        for g, sizes in enumerate(self.history):
            x0 = body.x + body.w * g // n
            x1 = body.x + body.w * (g + 1) // n
            below = 0  # genomes in the bands drawn so far: each band starts where the last one ended
            for sid in ids:
                size = sizes.get(sid, 0)
                if size:
                    y0 = body.bottom - round(body.h * below / total)
                    y1 = body.bottom - round(body.h * (below + size) / total)
                    pygame.draw.rect(surf, self.PALETTE[sid % len(self.PALETTE)],
                                     pygame.Rect(x0, y1, max(1, x1 - x0), max(1, y0 - y1)))
                    below += size
        pygame.draw.rect(surf, T.EDGE, body.inflate(2, 2), 1)
        for v in ticks(total, 2):  # genomes
            y = body.bottom - body.h * v / total
            pygame.draw.line(surf, T.EDGE, (body.x - 4, y), (body.x - 1, y), 1)
            T.text(surf, str(v), (body.x - 6, y), 12, T.DIM, "midright")
        for g in ticks(n - 1, max(2, body.w // 60)):  # generations, at the middle of their column
            x = body.x + body.w * (g + 0.5) / n
            pygame.draw.line(surf, T.EDGE, (x, body.bottom + 1), (x, body.bottom + 4), 1)
            T.text(surf, str(g), (x, body.bottom + 5), 12, T.DIM, "midtop")
        T.text(surf, "generation", (body.right, rect.bottom - 2), 12, T.DIM, "bottomright")
        label = pygame.transform.rotate(T.render("genomes", 12, T.DIM), 90)
        surf.blit(label, label.get_rect(center=(rect.x + 9, body.centery)))
