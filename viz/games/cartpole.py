"""CartPole: carts on one track, each with its pole; the fallen stay where they fell, fading."""

from __future__ import annotations

import math

import numpy as np

import pygame

from viz import theme as T
from viz.drawing import LEVELS, SS, Renderer, faded, finish


class CartPoleRenderer(Renderer):
    """Carts on one track, each with its pole; the fallen stay where they fell, fading."""

    def __init__(self, env, single=False):
        super().__init__(env, single)
        from envs import cartpole as m
        self.m = m
        self.xt = float(self.params[m.X_THRESHOLD])
        self.pole = 2.0 * float(self.params[m.LENGTH])
        self.box = (-self.xt - 0.5, self.xt + 0.5, -0.5, self.pole + 0.8)
        self.aspect = (self.box[1] - self.box[0]) / (self.box[3] - self.box[2])

    def _cart(self, kind, level, s):
        w, h = max(6, int(0.5 * s)), max(4, int(0.26 * s))
        body = {"agent": T.AGENT, "leader": T.LEADER, "dead": T.lerp(T.AGENT, T.FIELD, 0.55)}[kind]
        wheel_r = max(1, h // 4)
        canvas = pygame.Surface((w * SS, (h + wheel_r) * SS), pygame.SRCALPHA)
        wheel = T.lerp(body, T.PUPIL, 0.6)
        for cx in (w // 4, 3 * w // 4):
            pygame.draw.circle(canvas, wheel, (cx * SS, h * SS), wheel_r * SS)
        pygame.draw.rect(canvas, body, (0, 0, w * SS, h * SS), border_radius=h * SS // 4)
        if kind == "leader":
            pygame.draw.rect(canvas, T.LEADER_EDGE, (0, 0, w * SS, h * SS), SS * 2, border_radius=h * SS // 4)
        img = finish(canvas, (w, h + wheel_r))
        if kind == "agent":  # translucent: a crowd of carts shows where most of them are
            img.fill((255, 255, 255, 150), special_flags=pygame.BLEND_RGBA_MULT)
            img.set_alpha(255, pygame.RLEACCEL)
        return faded(img, level) if kind == "dead" else img

    def scene(self, surf, rect, M, states, leader):
        s = M.s
        x0, x1 = self.box[:2]
        rail = M.y(-0.2)
        pygame.draw.line(surf, T.EDGE, (M.x(x0 + 0.1), rail), (M.x(x1 - 0.1), rail), max(2, int(0.03 * s)))
        for x in np.arange(-np.floor(self.xt), np.floor(self.xt) + 1):
            pygame.draw.line(surf, T.GRID, (M.x(x), rail + 4), (M.x(x), rail + max(6, 0.08 * s)), 2)
        for x in (-self.xt, self.xt):
            pygame.draw.line(surf, T.BAD, (M.x(x), rail - 0.35 * s), (M.x(x), rail + 0.08 * s), 3)

    def agent(self, pen, M, states, i, role, level):
        m, s = self.m, M.s
        if role == "dead":
            kind, colour = "dead", T.lerp(T.FIELD, T.lerp(T.AGENT, T.FIELD, 0.5), level / LEVELS)
            width = max(2, int(0.025 * s))
        elif role == "agent":
            kind, colour, width = "agent", T.lerp(T.AGENT, T.FIELD, 0.3), max(2, int(0.025 * s))
        else:  # the leader, fallen or not
            kind, level, colour, width = "leader", LEVELS, T.LEADER, max(3, int(0.045 * s))
        py, L = M.y(0.0), self.pole * s
        px, th = M.x(states[i, m.X]), states[i, m.THETA]
        pygame.draw.line(pen.surf, colour, (px, py), (px + math.sin(th) * L, py - math.cos(th) * L), width)
        img = self.sprite((kind, level), s, lambda: self._cart(kind, level, s))
        cw, ch = self.sprite(("agent", LEVELS), s, lambda: self._cart("agent", LEVELS, s)).get_size()
        pen.blit(img, (px - cw / 2, py - ch * 0.4))

    def overlay(self, surf, M, states, leader):
        if leader is not None:
            pygame.draw.circle(surf, T.LEADER_EDGE, (M.x(states[leader, self.m.X]), M.y(0.0)), max(2, int(0.03 * M.s)))

    def info(self, state):
        return f"x {state[self.m.X]:+.2f}   angle {math.degrees(state[self.m.THETA]):+.1f} deg"
