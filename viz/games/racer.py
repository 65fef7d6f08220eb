"""Racer: the track with every car; the leader's distance rays drawn."""

from __future__ import annotations

import math

import numpy as np

import pygame

from viz import theme as T
from viz.drawing import SS, Map, Renderer, faded, finish, opaque


class RacerRenderer(Renderer):
    """The track with every car; the leader's distance rays drawn."""

    _ROT = 72

    def __init__(self, env, single=False):
        super().__init__(env, single)
        from envs import racer as m
        self.m = m
        self.car_r = float(self.params[m.CAR_RADIUS])
        self._track = None
        self._key = None
        self.aspect = 1.6
        if self.params[m.PARAM_TRACK + m.T_N] > 0:  # a hand-drawn track: known before any episode
            self._use_track(self.params, m.PARAM_TRACK)

    def _use_track(self, row, at):
        """Draw the track block at ``row[at:]`` from now on (a procedural track changes per episode)."""
        key = self.m.track_key(row, at)
        if key == self._key:
            return
        self._key, self._track = key, None
        self.centre, self.left, self.right = self.m.track_geometry(row, at)
        pts = np.concatenate([self.left, self.right])
        margin = 4.0
        self.box = (pts[:, 0].min() - margin, pts[:, 0].max() + margin, pts[:, 1].min() - margin, pts[:, 1].max() + margin)
        self.aspect = (self.box[1] - self.box[0]) / (self.box[3] - self.box[2])

    def setting(self, state):
        """The track, for the status line."""
        m = self.m
        track = self.env.options.get("track", m.PROCEDURAL)
        name = f"track {track}" if track != m.PROCEDURAL else "procedural track"
        if state is None or state[m.TRACK + m.T_N] == 0:
            return name
        return f"{name} ({state[m.TRACK + m.T_LENGTH]:.0f} m)"

    def _track_surface(self, rect, M):
        key = (rect.size, M.s)
        if self._track is not None and self._track[0] == key:
            return self._track[1]
        surf = pygame.Surface(rect.size)
        surf.fill(T.FIELD)

        def poly(p):
            return [(float(M.x(x)) - rect.x, float(M.y(y)) - rect.y) for x, y in p]

        def area(p):
            return 0.5 * abs(np.dot(p[:, 0], np.roll(p[:, 1], -1)) - np.dot(p[:, 1], np.roll(p[:, 0], -1)))

        outer, inner = (self.left, self.right) if area(self.left) > area(self.right) else (self.right, self.left)
        pygame.draw.polygon(surf, T.ROAD, poly(outer))
        pygame.draw.polygon(surf, T.FIELD, poly(inner))
        # dashed centre line
        c = poly(self.centre)
        for k in range(0, len(c), 2):
            pygame.draw.line(surf, T.lerp(T.ROAD, T.DIM, 0.35), c[k], c[(k + 1) % len(c)], 1)
        for wall in (outer, inner):
            pygame.draw.lines(surf, (150, 158, 182), True, poly(wall), 2)
        # start line, chequered, across the first segment's start
        a, b = np.array(poly(self.left[:1])[0]), np.array(poly(self.right[:1])[0])
        n = 8
        for k in range(n):
            p0, p1 = a + (b - a) * k / n, a + (b - a) * (k + 1) / n
            pygame.draw.line(surf, T.EYE if k % 2 == 0 else T.PUPIL, p0, p1, max(3, int(0.8 * M.s)))
        surf = opaque(surf)
        self._track = (key, surf)
        return surf

    def _car(self, kind, rot, level, s):
        L = max(8.0, 3.6 * self.car_r * s) * (1.5 if kind == "leader" else 1.0)
        W = L * 0.6
        colour = {"agent": T.AGENT, "leader": T.LEADER, "dead": T.lerp(T.AGENT, T.FIELD, 0.5)}[kind]
        size = int(math.ceil(L * 1.1))
        canvas = pygame.Surface((size * SS, size * SS), pygame.SRCALPHA)
        c = size * SS / 2
        Ls, Ws = L * SS, W * SS
        tri = [(c + Ls / 2, c), (c - Ls / 2, c - Ws / 2), (c - Ls * 0.32, c), (c - Ls / 2, c + Ws / 2)]
        if kind == "leader":
            pygame.draw.polygon(canvas, T.LEADER_EDGE, tri, width=0)
            inner = [(c + (x - c) * 0.72, c + (y - c) * 0.72) for x, y in tri]
            pygame.draw.polygon(canvas, colour, inner)
        else:
            pygame.draw.polygon(canvas, colour, tri)
        canvas = pygame.transform.rotate(canvas, rot * 360.0 / self._ROT)
        w, h = canvas.get_size()
        img = finish(canvas, (max(1, w // SS), max(1, h // SS)))
        return faded(img, level) if kind == "dead" else img

    def view(self, rect, states, leader):
        self._use_track(states[0], self.m.TRACK)
        return Map(rect, *self.box)

    def scene(self, surf, rect, M, states, leader):
        surf.blit(self._track_surface(rect, M), rect)

    def agent(self, pen, M, states, i, role, level):
        m, s = self.m, M.s
        x, y, h = M.x(states[i, m.X]), M.y(states[i, m.Y]), states[i, m.HEADING]
        b = int(np.rint(h / (2 * math.pi) * self._ROT)) % self._ROT
        if role in ("leader", "dead leader"):
            reach = float(self.params[m.RAY_LENGTH])
            for k, a in enumerate(m.RAY_ANGLES):
                d = states[i, m.RAY0 + k]
                end = (x + math.cos(h + a) * d * s, y - math.sin(h + a) * d * s)
                col = T.lerp(T.BAD, T.GOOD, min(1.0, d / reach * 2.0))
                pygame.draw.line(pen.surf, T.lerp(T.FIELD, col, 0.8), (x, y), end, 1)
                pygame.draw.circle(pen.surf, col, end, 3)
        kind = {"dead": "dead", "agent": "agent", "leader": "leader", "dead leader": "dead"}[role]
        img = self.sprite((kind, b, level), s, lambda: self._car(kind, b, level, s))
        pen.centred(img, x, y)

    def info(self, state):
        m = self.m
        return f"laps {state[m.PROGRESS]:.2f}   speed {state[m.SPEED]:.1f} m/s   steer {state[m.STEER]:+.2f}"
