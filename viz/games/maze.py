"""Maze: the walls, the goal and every robot; the leader's rangefinders drawn."""

from __future__ import annotations

import math

import pygame

from viz import theme as T
from viz.drawing import LEVELS, Renderer


class MazeRenderer(Renderer):
    """The maze's walls, the goal and every robot; the leader's rangefinders drawn."""

    def __init__(self, env, single=False):
        super().__init__(env, single)
        from envs import maze as m
        self.m = m
        self.box = (-4.0, m.SIZE + 4.0, -4.0, m.SIZE + 4.0)
        self.radius = float(self.params[m.RADIUS])

    def scene(self, surf, rect, M, states, leader):
        m, s = self.m, M.s
        goal = (M.x(m.GOAL[0]), M.y(m.GOAL[1]))
        pygame.draw.circle(surf, T.GOOD_DARK, goal, max(3, self.params[m.GOAL_RADIUS] * s))
        pygame.draw.circle(surf, T.GOOD, goal, max(2, 0.4 * self.params[m.GOAL_RADIUS] * s))
        for ax, ay, bx, by in m.WALLS:
            pygame.draw.line(surf, (150, 158, 182), (M.x(ax), M.y(ay)), (M.x(bx), M.y(by)), max(2, int(s * 1.5)))

    def agent(self, pen, M, states, i, role, level):
        m, s, surf = self.m, M.s, pen.surf
        r = max(2.0, self.radius * s)
        x, y = M.x(states[i, m.X]), M.y(states[i, m.Y])
        if role == "dead":
            pygame.draw.circle(surf, T.lerp(T.FIELD, T.AGENT, 0.5 * level / LEVELS), (x, y), r)
            return
        if role == "agent":
            pygame.draw.circle(surf, T.AGENT, (x, y), r)
            return
        h = states[i, m.HEADING]
        for k, a in enumerate(m.RAY_ANGLES):
            d = states[i, m.RAY0 + k]
            end = (x + math.cos(h + a) * d * s, y - math.sin(h + a) * d * s)
            col = T.lerp(T.BAD, T.GOOD, min(1.0, d / float(self.params[m.RAY_LENGTH]) * 2.0))
            pygame.draw.line(surf, T.lerp(T.FIELD, col, 0.8), (x, y), end, 1)
        pygame.draw.circle(surf, T.LEADER_EDGE, (x, y), r * 1.3)
        pygame.draw.circle(surf, T.LEADER, (x, y), r * 1.1)
        nose = (x + math.cos(h) * r * 1.6, y - math.sin(h) * r * 1.6)
        pygame.draw.line(surf, T.LEADER_EDGE, (x, y), nose, 2)

    def info(self, state):
        return f"distance to the goal {state[self.m.DIST]:.1f}"
