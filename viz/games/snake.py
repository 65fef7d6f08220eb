"""Snake: the leader's board, large, beside a mosaic of the agents' boards."""

from __future__ import annotations

import math

import numpy as np

import pygame

from viz import theme as T
from viz.drawing import Renderer


class SnakeRenderer(Renderer):
    """The leader's board, large, beside a mosaic of the agents' boards (the dead dimmed; at most
    ``MOSAIC`` of them, so each stays readable: the leader and the living first)."""

    MOSAIC = 64

    def __init__(self, env, single=False):
        super().__init__(env, single)
        from envs import snake as m
        self.m = m
        self.size = int(self.params[m.SIZE])
        self.aspect = 1.0 if single else 1.9
        dim = T.lerp(T.FIELD, T.BG, 0.6)
        # colour table [alive?][cell kind: 0 empty, 1 body, 2 head, 3 food, 4 gap]
        live = [T.ROAD, T.AGENT, T.EYE, T.BAD, T.FIELD]
        dead = [T.lerp(T.ROAD, dim, 0.5), T.lerp(T.AGENT, dim, 0.7), T.lerp(T.EYE, dim, 0.7),
                T.lerp(T.BAD, dim, 0.7), T.FIELD]
        lead = [T.ROAD, T.LEADER, T.LEADER_EDGE, T.BAD, T.FIELD]
        self._palette = dead + live + lead + [T.FIELD] * (256 - 15)
        self._tilings = {}

    def _board(self, surf, rect, state, leader=True, alive=True):
        m, n = self.m, self.size
        cell = min(rect.w, rect.h) // n
        if cell < 2:
            return
        ox, oy = rect.centerx - cell * n // 2, rect.centery - cell * n // 2
        surf.fill(T.ROAD, (ox, oy, cell * n, cell * n))
        for k in range(1, n):
            pygame.draw.line(surf, T.lerp(T.ROAD, T.FIELD, 0.5), (ox + k * cell, oy), (ox + k * cell, oy + cell * n - 1))
            pygame.draw.line(surf, T.lerp(T.ROAD, T.FIELD, 0.5), (ox, oy + k * cell), (ox + cell * n - 1, oy + k * cell))
        pygame.draw.rect(surf, T.EDGE, (ox - 2, oy - 2, cell * n + 4, cell * n + 4), 2)
        fx, fy = int(state[m.FOOD_X]), int(state[m.FOOD_Y])
        pygame.draw.circle(surf, T.BAD, (ox + fx * cell + cell / 2, oy + fy * cell + cell / 2), cell * 0.38)
        pygame.draw.line(surf, T.GOOD, (ox + fx * cell + cell / 2, oy + fy * cell + cell * 0.15),
                         (ox + fx * cell + cell * 0.68, oy + fy * cell + cell * 0.02), max(1, cell // 8))
        cells = m.body(state, self.params)
        head_c = T.LEADER if leader else T.AGENT
        tail_c = T.lerp(head_c, T.ROAD, 0.55)
        if not alive:
            head_c, tail_c = T.lerp(head_c, T.ROAD, 0.5), T.lerp(tail_c, T.ROAD, 0.5)
        L = len(cells)
        pad = max(1, cell // 10)
        for k, (x, y) in enumerate(cells):
            c = T.lerp(tail_c, head_c, (k + 1) / L)
            pygame.draw.rect(surf, c, (ox + x * cell + pad, oy + y * cell + pad, cell - 2 * pad, cell - 2 * pad),
                             border_radius=cell // 4)
        if L:  # eyes look along the heading
            hx, hy = cells[-1]
            h = int(state[m.HEADING])
            dx, dy = int(m._DX[h]), int(m._DY[h])
            cx, cy = ox + hx * cell + cell / 2, oy + hy * cell + cell / 2
            for side in (-1, 1):
                ex = cx + dx * cell * 0.18 - dy * side * cell * 0.2
                ey = cy + dy * cell * 0.18 + dx * side * cell * 0.2
                pygame.draw.circle(surf, T.EYE, (ex, ey), max(1, cell * 0.13))
                pygame.draw.circle(surf, T.PUPIL, (ex + dx * cell * 0.04, ey + dy * cell * 0.04), max(1, cell * 0.06))

    def _grid(self, P, w, h):
        """(tile side, columns, rows) of the tiling of P tiles with the largest tiles that fit w x h."""
        key = (P, w, h)
        if key not in self._tilings:
            t, cols = max((min(w / c, h / math.ceil(P / c)), c) for c in range(1, P + 1))
            self._tilings[key] = (int(t), cols, int(math.ceil(P / cols)))
        return self._tilings[key]

    def _mosaic(self, surf, rect, states, fade, leader):
        m, n = self.m, self.size
        P = len(states)
        t, cols, rows = self._grid(P, rect.w, rect.h)
        if t < 4:
            return
        # one byte per cell: 5 * (0 dead, 1 alive, 2 leader) + (0 empty, 1 body, 2 head, 3 food, 4 gap)
        code = (states[:, m.GRID:m.GRID + n * n] > (states[:, m.STEPS] - states[:, m.LENGTH])[:, None]).astype(np.uint8)
        idx = np.arange(P)
        code[idx, (states[:, m.HEAD_Y] * n + states[:, m.HEAD_X]).astype(np.int64)] = 2
        code[idx, (states[:, m.FOOD_Y] * n + states[:, m.FOOD_X]).astype(np.int64)] = 3
        who = (fade >= 1.0).astype(np.uint8)
        if leader is not None:
            who[leader] = 2
        code += (5 * who)[:, None]
        tiles = np.full((rows * cols, n + 1, n + 1), 4, np.uint8)
        tiles[:P, :n, :n] = code.reshape(P, n, n)
        img = tiles.reshape(rows, cols, n + 1, n + 1).transpose(1, 3, 0, 2).reshape(cols * (n + 1), rows * (n + 1))
        small = pygame.surfarray.make_surface(img)  # 8-bit: the palette does the colouring
        small.set_palette(self._palette)
        big = pygame.transform.scale(small, (cols * t, rows * t))
        pos = (rect.centerx - big.get_width() // 2, rect.centery - big.get_height() // 2)
        surf.blit(big, pos)
        if leader is not None:
            r, c = divmod(leader, cols)
            side = t * n / (n + 1) + 4
            pygame.draw.rect(surf, T.LEADER, (pos[0] + c * t - 2, pos[1] + r * t - 2, side, side), 2)

    def draw(self, surf, rect, states, fade, leader, only_leader=False):
        surf.fill(T.FIELD, rect)
        ref = leader if leader is not None else 0
        if only_leader or len(states) == 1:
            self._board(surf, rect.inflate(-16, -16), states[ref], leader is not None, fade[ref] >= 1.0)
            return
        side = min(rect.h, int(rect.w * 0.46))
        big = pygame.Rect(rect.x, rect.y, side, rect.h)
        self._board(surf, big.inflate(-24, -24), states[ref], leader is not None, fade[ref] >= 1.0)
        area = pygame.Rect(big.right + 4, rect.y + 8, rect.w - side - 12, rect.h - 16)
        shown = np.arange(len(states))
        if len(states) > self.MOSAIC:  # boards big enough to read: the leader, the living, the latest dead
            order = np.lexsort((np.arange(len(states)), -fade))
            shown = np.sort(order[:self.MOSAIC]) if leader is None else np.sort(
                np.concatenate([[leader], order[order != leader][:self.MOSAIC - 1]]))
            T.text(surf, f"{self.MOSAIC} of {len(states)} boards: the leader, then the living",
                   (area.centerx, area.bottom + 2), 15, T.DIM, "midbottom")
            area.h -= 18
        self._mosaic(surf, area, states[shown], fade[shown],
                     None if leader is None else int(np.flatnonzero(shown == leader)[0]))

    def info(self, state):
        return f"food {int(state[self.m.SCORE])}   length {int(state[self.m.LENGTH])}   hunger {int(state[self.m.HUNGER])}"
