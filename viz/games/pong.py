"""Pong: one court, every agent's paddle (left) and ball, the leader's opponent (right) and score."""

from __future__ import annotations

import math

import numpy as np

import pygame

from viz import theme as T
from viz.drawing import LEVELS, SS, Renderer, finish

THICK = 0.035  # paddle thickness drawn behind its face


class PongRenderer(Renderer):
    """One court: every agent's paddle (left) and ball, the leader's opponent (right) and score."""

    aspect = 1.25
    box = (-1.25, 1.25, -1.0, 1.0)

    def __init__(self, env, single=False):
        super().__init__(env, single)
        from envs import pong as m
        self.m = m
        p = self.params
        self.px, self.half, self.br = float(p[m.PADDLE_X]), float(p[m.PADDLE_HALF]), float(p[m.BALL_RADIUS])

    def _ball(self, colour, s):
        r = max(2.0, self.br * s * 1.2)
        size = int(math.ceil(2 * r + 2))
        canvas = pygame.Surface((size * SS, size * SS), pygame.SRCALPHA)
        pygame.draw.circle(canvas, colour, (size * SS / 2, size * SS / 2), r * SS)
        return finish(canvas, (size, size))

    def _paddle(self, colour, alpha, s):
        img = pygame.Surface((max(2, int(THICK * s)), max(2, int(2 * self.half * s))), pygame.SRCALPHA)
        img.fill((*colour, alpha))
        img.set_alpha(255, pygame.RLEACCEL)
        return img

    def scene(self, surf, rect, M, states, leader):
        m, s = self.m, M.s
        court = pygame.Rect(round(M.x(-1.0)), round(M.y(1.0)), round(2 * s), round(2 * s))
        for y in np.arange(-1.0, 1.0, 0.1):
            surf.fill(T.GRID, (court.centerx - 1, M.y(y + 0.065), 3, 0.035 * s))
        for x in (court.left, court.right):  # goal lines: a ball beyond them scores
            for y in np.arange(court.top, court.bottom, 12):
                surf.fill(T.GRID, (x - 1, y, 2, 6))
        pygame.draw.line(surf, T.EDGE, (rect.x, court.top), (rect.right - 1, court.top), 3)
        pygame.draw.line(surf, T.EDGE, (rect.x, court.bottom), (rect.right - 1, court.bottom), 3)

    def overlay(self, surf, M, states, leader):
        """The leader's score on its side, the opponent's on the other, in their paddles' colours, over the balls."""
        if leader is None:
            return
        m, s = self.m, M.s
        size, y = max(24, int(0.2 * s)), M.y(1.0) + 0.06 * s
        for value, colour, x in ((states[leader, m.SCORE], T.LEADER, M.x(-0.2)),
                                 (states[leader, m.OPP_SCORE], T.BAD, M.x(0.2))):
            T.text(surf, f"{int(value)}", (x, y), size, T.lerp(T.FIELD, colour, 0.8), "midtop")

    def agent(self, pen, M, states, i, role, level):
        m, s = self.m, M.s
        ph = self.half * s
        x_own, x_opp = M.x(-self.px - THICK), M.x(self.px)
        ball = (M.x(states[i, m.BALL_X]), M.y(states[i, m.BALL_Y]))
        if role in ("leader", "dead leader"):
            w = max(2, int(THICK * s))
            pygame.draw.rect(pen.surf, T.BAD, (x_opp, M.y(states[i, m.OPP_Y]) - ph, w, 2 * ph), border_radius=3)
            pygame.draw.rect(pen.surf, T.LEADER, (x_own, M.y(states[i, m.PADDLE_Y]) - ph, w, 2 * ph), border_radius=3)
            pen.centred(self.sprite("leader_ball", s, lambda: self._ball(T.LEADER_EDGE, s)), *ball)
            return
        if role == "agent":  # translucent paddles of the living: where many overlap, the colour builds up
            opp, own = self.sprite("opp", s, lambda: self._paddle(T.BAD, 9, s)), \
                self.sprite("own", s, lambda: self._paddle(T.AGENT, 14, s))
            pen.blit(opp, (x_opp, M.y(states[i, m.OPP_Y]) - ph))
            pen.blit(own, (x_own, M.y(states[i, m.PADDLE_Y]) - ph))
        img = self.sprite(("ball", level), s,
                          lambda: self._ball(T.lerp(T.FIELD, T.AGENT, 0.3 + 0.55 * level / LEVELS), s))
        pen.centred(img, *ball)

    def info(self, state):
        m = self.m
        return f"score {int(state[m.SCORE])} : {int(state[m.OPP_SCORE])}   ball speed {state[m.SPEED]:.2f}"
