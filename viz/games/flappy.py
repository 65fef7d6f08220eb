"""Flappy: the pipes of the leader's world and every bird; the dead drift back with the pipes and fade."""

from __future__ import annotations

import math

import numpy as np

import pygame

from viz import theme as T
from viz.drawing import LEVELS, SS, Map, Renderer, faded, finish, opaque

GROUND = 0.07  # world height shown below the floor


class FlappyRenderer(Renderer):
    """Pipes of the leader's world and every bird; the dead drift back with the pipes and fade."""

    aspect = 1.5
    _ROT = 9  # rotation bins of a living bird

    def __init__(self, env, single=False):
        super().__init__(env, single)
        from envs import flappy as m
        self.m = m
        p = self.params
        self.r = float(p[m.BIRD_RADIUS])
        self.bird_x = float(p[m.BIRD_X])
        self.shift = float(p[m.PIPE_SPEED] * p[m.DT])
        self.half_w = 0.5 * float(p[m.PIPE_WIDTH])
        self.max_fall = float(p[m.MAX_FALL])
        self._sky = self._soil = None

    def _bird(self, kind, rot, level, s):
        r = max(3.0, self.r * s)
        size = int(math.ceil(3.2 * r))
        body = {"agent": T.AGENT, "leader": T.LEADER, "dead": T.lerp(T.AGENT, T.FIELD, 0.5)}[kind]
        c = size * SS / 2
        R = r * SS
        canvas = pygame.Surface((size * SS, size * SS), pygame.SRCALPHA)
        if kind == "leader":
            pygame.draw.circle(canvas, T.LEADER_EDGE, (c, c), R * 1.16)
        pygame.draw.circle(canvas, body, (c, c), R)
        wing = T.lerp(body, T.PUPIL, 0.25)
        pygame.draw.ellipse(canvas, wing, (c - R * 0.95, c - R * 0.05, R * 1.1, R * 0.62))
        beak = [(c + R * 0.7, c - R * 0.18), (c + R * 1.45, c + R * 0.08), (c + R * 0.7, c + R * 0.38)]
        pygame.draw.polygon(canvas, T.BEAK if kind != "dead" else T.lerp(T.BEAK, T.FIELD, 0.5), beak)
        pygame.draw.circle(canvas, T.EYE, (c + R * 0.38, c - R * 0.35), R * 0.36)
        if kind == "dead":  # x eyes
            e = R * 0.2
            for d in (1, -1):
                pygame.draw.line(canvas, T.PUPIL, (c + R * 0.38 - e, c - R * 0.35 - d * e),
                                 (c + R * 0.38 + e, c - R * 0.35 + d * e), max(1, int(R * 0.1)))
        else:
            pygame.draw.circle(canvas, T.PUPIL, (c + R * 0.48, c - R * 0.33), R * 0.17)
        angle = -70.0 if kind == "dead" else 35.0 * (2.0 * rot / (self._ROT - 1) - 1.0)
        canvas = pygame.transform.rotate(canvas, angle)
        w, h = canvas.get_size()
        img = finish(canvas, (w // SS, h // SS))
        return faded(img, level) if kind == "dead" else img

    def _background(self, rect, M):
        key = (rect.size, M.s)
        if self._sky is None or self._sky[0] != key:
            sky = pygame.Surface(rect.size)
            top, bottom = (22, 28, 50), (48, 58, 92)
            for yy in range(rect.h):
                sky.fill(T.lerp(top, bottom, yy / max(1, rect.h - 1)), (0, yy, rect.w, 1))
            rng = np.random.default_rng(1)
            for x, y in rng.random((40, 2)):
                sky.fill((92, 102, 140), (int(x * rect.w), int(y * rect.h * 0.6), 2, 2))
            self._sky = (key, opaque(sky))
        return self._sky[1]

    def _ground(self, rect, M):
        """A strip of striped ground one stripe period wider than the view, and that period in pixels."""
        key = (rect.size, M.s)
        if self._soil is None or self._soil[0] != key:
            s = M.s
            period = 0.12 * s
            gy = int(M.y(0.0))
            h = rect.bottom - gy
            img = pygame.Surface((int(rect.w + 2 * period), max(1, h)))
            img.fill((70, 60, 48))
            grass = max(3, int(0.012 * s))
            for k in range(int(img.get_width() / period) + 1):
                img.fill((84, 73, 58), (k * period, grass, period / 2, h))
            img.fill(T.GOOD_DARK, (0, 0, img.get_width(), grass))
            self._soil = (key, (opaque(img), period))
        return self._soil[1]

    def _pipe(self, surf, M, x, y0, y1, cap_at):
        s = M.s
        left, right = M.x(x - self.half_w), M.x(x + self.half_w)
        top, bottom = M.y(y1), M.y(y0)
        body = pygame.Rect(round(left), round(top), round(right - left), round(bottom - top) + 1)
        surf.fill(T.GOOD_DARK, body)
        surf.fill(T.GOOD, body.inflate(-max(2, int(0.012 * s)) * 2, 0))
        surf.fill(T.lerp(T.GOOD, T.EYE, 0.35), (body.x + body.w * 0.22, body.y, max(2, body.w * 0.12), body.h))
        cap_h = max(4, int(0.045 * s))
        cy = M.y(cap_at)
        cap = pygame.Rect(round(left - 0.012 * s), round(cy - (cap_h if cap_at > y0 else 0)),
                          round(right - left + 0.024 * s), cap_h)
        surf.fill(T.GOOD_DARK, cap)
        surf.fill(T.GOOD, cap.inflate(-4, -4))
        surf.fill(T.lerp(T.GOOD, T.EYE, 0.35), (cap.x + cap.w * 0.2, cap.y + 2, max(2, cap.w * 0.1), cap.h - 4))

    def view(self, rect, states, leader):
        return Map(rect, 0.0, rect.w / rect.h * (1.0 + GROUND), -GROUND, 1.0)

    def scene(self, surf, rect, M, states, leader):
        m, s = self.m, M.s
        surf.blit(self._background(rect, M), rect)
        self.now = states[:, m.STEPS].max()
        ref = leader if leader is not None else int(np.argmax(states[:, m.STEPS]))
        world_right = (rect.right - M.ox) / s
        for k in range(m.NUM_PIPES):
            x = states[ref, m.PIPE_X + 2 * k]
            if x - self.half_w > world_right or x + self.half_w < 0:
                continue
            g, half_gap = states[ref, m.PIPE_GAP + 2 * k], 0.5 * states[ref, m.PIPE_H + k]
            self._pipe(surf, M, x, g + half_gap, 1.0 + 0.1, g + half_gap)
            self._pipe(surf, M, x, -0.1, g - half_gap, g - half_gap)
        # ground, scrolling with the pipes
        ground_img, period = self._ground(rect, M)
        off = (states[ref, m.STEPS] * self.shift * s) % period
        surf.blit(ground_img, (rect.x - off, int(M.y(0.0))))

    def agent(self, pen, M, states, i, role, level):
        m, s = self.m, M.s
        drift = self.bird_x - (self.now - states[i, m.STEPS]) * self.shift  # where a dead bird has drifted to
        if role == "dead":
            if drift < -self.r:
                return
            img = self.sprite(("dead", 0, level), s, lambda: self._bird("dead", 0, level, s))
            pen.centred(img, M.x(drift), M.y(states[i, m.Y]))
            return
        kind = "agent" if role == "agent" else "leader"
        b = int(np.clip(np.rint((states[i, m.VY] / self.max_fall + 1.0) * 0.5 * (self._ROT - 1)), 0, self._ROT - 1))
        img = self.sprite((kind, b, LEVELS), s, lambda: self._bird(kind, b, LEVELS, s))
        x = drift if role == "dead leader" else self.bird_x  # a dead leader drifts like the others
        pen.centred(img, M.x(x), M.y(states[i, m.Y]))

    def info(self, state):
        return f"pipes {int(state[self.m.SCORE])}   height {state[self.m.Y]:.2f}"
