"""The front panel of a run of several objectives: the population NSGA-II keeps, in the plane of its first two
objectives (the return across, the next one up), its first front highlighted and joined by a line."""

from __future__ import annotations

import numpy as np
import pygame

from viz import theme as T
from viz.panels import fit_text


class FrontPanel:
    """Draws ``(names, values, ranks)`` (:meth:`evo.runs.objectives.Objectives.front`) into a panel.

    The first front's genomes are drawn as filled dots in the leader's colour, joined in the order of the
    first objective; the others as faint rings. Each axis is written with its name and its data's range.
    """

    PLOT = (48, 12, 34, 26)  # margins inside the panel: left, right, top, bottom

    def __init__(self):
        self._cache = None

    def draw(self, surf, rect, front) -> None:
        """Draw ``front`` (or "after the first generation" when it is None) into ``rect``."""
        key = (rect.size, rect.topleft, None if front is None else (front[0], front[1].tobytes()))
        if self._cache is None or self._cache[0] != key:
            self._cache = (key, self._render(rect, front))
        surf.blit(self._cache[1], rect)

    def _render(self, rect, front):
        img = pygame.Surface(rect.size)
        img.fill(T.PANEL)
        left, right, top, bottom = self.PLOT[0], rect.w - self.PLOT[1], self.PLOT[2], rect.h - self.PLOT[3]
        if front is None:
            T.text(img, "objectives", (10, 8), 20, T.TEXT)
            if right - left >= 40 and bottom - top >= 30:
                T.text(img, "after the first generation", ((left + right) / 2, (top + bottom) / 2), 18, T.DIM,
                       "center")
            return img
        names, values, ranks = front
        v = np.asarray(values, dtype=float)[:, :2]
        shown = np.isfinite(v).all(axis=1)
        first = shown & (np.asarray(ranks) == 0)
        title = f"first front: {int(first.sum())} of the {len(v)} kept"
        T.text(img, fit_text(title, rect.w - 20, 20), (10, 8), 20, T.TEXT)
        if right - left < 40 or bottom - top < 30 or not shown.any():
            return img
        pygame.draw.rect(img, T.EDGE, (left, top, right - left, bottom - top), 1)
        lo, hi = v[shown].min(axis=0), v[shown].max(axis=0)
        pad = np.where(hi - lo > 1e-12, 0.05 * (hi - lo), 0.5)
        lo_p, hi_p = lo - pad, hi + pad

        def at(row):
            u = (row - lo_p) / (hi_p - lo_p)
            return left + u[0] * (right - left), bottom - u[1] * (bottom - top)

        for i in np.flatnonzero(shown & ~first):
            pygame.draw.circle(img, T.lerp(T.PANEL, T.AGENT, 0.6), at(v[i]), 3, 1)
        line = sorted(at(v[i]) for i in np.flatnonzero(first))
        if len(line) > 1:
            pygame.draw.lines(img, T.LEADER, False, line, 2)
        for p in line:
            pygame.draw.circle(img, T.LEADER, p, 4)
        T.text(img, f"{names[0]} {_number(lo[0])} .. {_number(hi[0])}", ((left + right) / 2, bottom + 4), 16, T.DIM,
               "midtop")
        T.text(img, fit_text(f"{names[1]} {_number(lo[1])} .. {_number(hi[1])}", right - left - 8, 16), (left + 4, top + 3),
               16, T.DIM)
        return img


def _number(v: float) -> str:
    return f"{v:.3g}"


__all__ = ["FrontPanel"]
