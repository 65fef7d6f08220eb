"""The playground: the leader's decision boundary over the input plane, the data points, each agent's point."""

from __future__ import annotations

import numpy as np

import pygame

from viz import theme as T
from viz.drawing import Renderer


class PlaygroundRenderer(Renderer):
    """A classification task: the leader's decision boundary as a heat map over the input plane,
    the training points (filled) and the held-out test points (rings), and the leader's current point.

    For more than two features (iris) the plane is that of two chosen features, the others held at
    their training mean.
    """

    aspect = 1.0
    box = (-1.05, 1.05, -1.05, 1.05)
    GRID = 72
    PALETTE = ((86, 156, 214), (236, 133, 84), (120, 190, 120))

    def __init__(self, env, single=False):
        super().__init__(env, single)
        from envs import playground as pg
        self.pg = pg
        self.x_train, self.y_train = pg.data(self.params, test=False)
        self.x_test, self.y_test = pg.data(self.params, test=True)
        f = self.x_train.shape[1]
        self.axes = (2, 3) if f == 4 else (0, 1)  # iris: the petals, which separate the species best
        self.rest = self.x_train.mean(axis=0)
        self._heat = None

    def show_policy(self, net, genome):
        key = genome.tobytes()
        if self._heat is not None and self._heat[0] == key:
            return
        g = np.linspace(-1, 1, self.GRID)
        gx, gy = np.meshgrid(g, g[::-1])
        pts = np.tile(self.rest, (gx.size, 1))
        pts[:, self.axes[0]], pts[:, self.axes[1]] = gx.ravel(), gy.ravel()
        genomes = np.repeat(np.asarray(genome, np.float32)[None], len(pts), axis=0)
        out, _ = net.step(genomes, pts.astype(np.float32), net.initial_state(len(pts)), None)
        k = int(self.params[self.pg.N_CLASSES])
        if k == 2:
            cls = (out[:, 0] > 0).astype(np.int64)
            sure = np.abs(out[:, 0])
        else:
            cls = np.argmax(out, axis=1)
            top = np.sort(out, axis=1)
            sure = np.clip(top[:, -1] - top[:, -2], 0, 1)
        colours = np.array(self.PALETTE, float)[cls]
        field = np.array(T.FIELD, float)
        rgb = field + (colours - field) * (0.25 + 0.45 * sure[:, None])
        img = rgb.reshape(self.GRID, self.GRID, 3).transpose(1, 0, 2).astype(np.uint8)
        self._heat = (key, pygame.surfarray.make_surface(img))

    def scene(self, surf, rect, M, states, leader):
        if self._heat is not None:
            surf.blit(pygame.transform.smoothscale(self._heat[1], rect.size), rect)
        a, b = self.axes
        r = max(2, int(rect.w / 150))
        self.r = r
        for x, y, filled in ((self.x_train, self.y_train, True), (self.x_test, self.y_test, False)):
            for p, c in zip(x, y):
                pygame.draw.circle(surf, self.PALETTE[c], (M.x(p[a]), M.y(p[b])), r + 1, 0 if filled else 1)

    def overlay(self, surf, M, states, leader):
        if leader is not None:
            pg, (a, b) = self.pg, self.axes
            f = int(self.params[pg.N_FEATURES])
            row = pg.DATA + int(states[leader, pg.INDEX]) * (f + 1)
            p = self.params[row:row + f]
            pygame.draw.circle(surf, T.LEADER, (M.x(p[a]), M.y(p[b])), 3 * self.r, 2)

    def info(self, state):
        return f"point {int(state[self.pg.T])} of {int(self.params[self.pg.POINTS])}"

    def _per_point(self, returns, answered):
        """Returns so far as the mean per point answered: an accuracy, or a mean log-probability with ``loss``."""
        return np.asarray(returns, float) * float(self.params[self.pg.POINTS]) / max(float(answered), 1.0)

    def _words(self, per_point) -> str:
        if self.params[self.pg.LOSS] == 0.0:
            return f"{100 * per_point:.0f}% right"
        return f"log-probability {per_point:.3g} a point"

    def fitness(self, value):
        return self._words(float(value))

    def score(self, value, state):
        answered = state[self.pg.T]
        return self._words(float(self._per_point(value, answered))) if answered else "no answer yet"

    def playing(self, returns, done, t):
        points = int(self.params[self.pg.POINTS])
        answered = min(int(t), points)
        if answered == 0:
            return [f"point 0 of {points}"]
        per_point = self._per_point(returns, answered)
        return [f"point {answered} of {points}", f"best so far {self._words(float(per_point.max()))}",
                f"mean {self._words(float(per_point.mean()))}"]
