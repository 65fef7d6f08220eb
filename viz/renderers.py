"""One renderer per game: draws state rows of many agents at once, never steps a game.

A renderer's :meth:`Renderer.draw` takes the population's raw state rows
(``BatchEnv.states``), a fade level per agent (1 alive, falling to 0 after
death) and the leader's index, and draws into a rectangle of any surface.
Agents are drawn from pre-rendered sprites (one per colour, rotation bin and
fade level, rebuilt when the scale changes) blitted in one ``Surface.blits``
call, so a thousand birds cost little more than one.

:func:`render_rgb` draws a single agent's state into an RGB array, for
Gymnasium's ``render_mode="rgb_array"``; it needs no window.
"""

from __future__ import annotations

import math
import weakref

import numpy as np

import pygame  # after viz/__init__ has hidden pygame's banner; drawing needs no display

from viz import theme as T

LEVELS = 6  # fade levels of a dying agent's sprite
_SS = 4     # supersampling factor of sprite drawing (antialiasing by smoothscale)


class _Map:
    """World to pixel coordinates with one scale for both axes, centred in ``rect``."""

    def __init__(self, rect, x0, x1, y0, y1, y_up=True):
        self.s = min(rect.w / (x1 - x0), rect.h / (y1 - y0))
        self.ox = rect.centerx - 0.5 * (x0 + x1) * self.s
        self.sy = -self.s if y_up else self.s
        self.oy = rect.centery - 0.5 * (y0 + y1) * self.sy

    def x(self, x):
        """Pixel x of world x (a number or an array)."""
        return self.ox + x * self.s

    def y(self, y):
        return self.oy + y * self.sy


def _levels(fade: np.ndarray) -> np.ndarray:
    """Fade in [0, 1] to sprite level 0 (invisible) .. LEVELS (alive)."""
    return np.ceil(np.clip(fade, 0.0, 1.0) * LEVELS).astype(np.int64)


def _order(fade: np.ndarray, leader) -> tuple:
    """Indices of visible dead agents, of living non-leaders (drawing order: dead, living, leader)."""
    alive = fade >= 1.0
    visible_dead = np.flatnonzero(~alive & (fade > 0.0))
    living = np.flatnonzero(alive)
    if leader is not None:
        living = living[living != leader]
    return visible_dead, living


def _finish(canvas: pygame.Surface, size) -> pygame.Surface:
    """Downsample a supersampled sprite canvas (antialiasing), ready for fast blitting.

    Run-length encoding makes a per-pixel-alpha blit about 10x faster (the
    transparent corners are skipped).
    """
    img = pygame.transform.smoothscale(canvas, size)
    if pygame.display.get_init() and pygame.display.get_surface() is not None:
        img = img.convert_alpha()
    img.set_alpha(255, pygame.RLEACCEL)
    return img


def _faded(img: pygame.Surface, level: int) -> pygame.Surface:
    """A copy of ``img`` at ``level / LEVELS`` of its opacity (at most 80%), for dying agents."""
    out = img.copy()
    out.fill((255, 255, 255, int(205 * level / LEVELS)), special_flags=pygame.BLEND_RGBA_MULT)
    out.set_alpha(255, pygame.RLEACCEL)  # per-pixel alpha only: a surface alpha would disable RLE
    return out


def _opaque(img: pygame.Surface) -> pygame.Surface:
    """``img`` in the display's pixel format when a window exists (faster blits)."""
    if pygame.display.get_init() and pygame.display.get_surface() is not None:
        return img.convert()
    return img


class Renderer:
    """Draws many agents of one game into a rectangle.

    Subclasses set :attr:`aspect` (width / height of the world shown) and
    :attr:`action_names`, and implement :meth:`draw`.
    """

    aspect = 1.0
    action_names: tuple = ()

    def __init__(self, env, single: bool = False):
        self.env = env
        self.single = single
        self.params = env.params
        self._sprites: dict = {}
        self._scale = None

    def draw(self, surf: pygame.Surface, rect: pygame.Rect, states: np.ndarray, fade: np.ndarray,
             leader: int | None, only_leader: bool = False) -> None:
        """Draw the agents.

        Parameters
        ----------
        surf : pygame.Surface
        rect : pygame.Rect
            Where to draw; the renderer fills it.
        states : ndarray of shape (n, state_size)
            Raw state rows.
        fade : ndarray of shape (n,)
            1 for a living agent, falling towards 0 after its death (0: not drawn).
        leader : int or None
            Index of the agent to highlight.
        only_leader : bool
            Draw the leader alone.
        """
        raise NotImplementedError

    def info(self, state: np.ndarray) -> str:
        """One line about an agent's state (score, laps, ...), shown under the game."""
        return ""

    def setting(self, state) -> str:
        """What the episode of ``state`` (None before one starts) plays on, for the status line; "" if nothing to say."""
        return ""

    def show_policy(self, net, genome: np.ndarray) -> None:
        """The network and genome of the agent drawn highlighted (a renderer may draw what it decides)."""

    def sprite(self, key, scale, make):
        """Sprite ``key`` at pixel ``scale``, made by ``make()`` once per scale."""
        if scale != self._scale:
            self._sprites.clear()
            self._scale = scale
        img = self._sprites.get(key)
        if img is None:
            img = self._sprites[key] = make()
        return img


# -- CartPole -------------------------------------------------------------------------------


class CartPoleRenderer(Renderer):
    """Carts on one track, each with its pole; the fallen stay where they fell, fading."""

    action_names = ("left", "right")

    def __init__(self, env, single=False):
        super().__init__(env, single)
        from envs import cartpole as m
        self.m = m
        self.xt = float(self.params[m.X_THRESHOLD])
        self.pole = 2.0 * float(self.params[m.LENGTH])
        self.x0, self.x1 = -self.xt - 0.5, self.xt + 0.5
        self.y0, self.y1 = -0.5, self.pole + 0.8
        self.aspect = (self.x1 - self.x0) / (self.y1 - self.y0)

    def _cart(self, kind, level, s):
        w, h = max(6, int(0.5 * s)), max(4, int(0.26 * s))
        body = {"agent": T.AGENT, "leader": T.LEADER, "dead": T.lerp(T.AGENT, T.FIELD, 0.55)}[kind]
        wheel_r = max(1, h // 4)
        canvas = pygame.Surface((w * _SS, (h + wheel_r) * _SS), pygame.SRCALPHA)
        wheel = T.lerp(body, T.PUPIL, 0.6)
        for cx in (w // 4, 3 * w // 4):
            pygame.draw.circle(canvas, wheel, (cx * _SS, h * _SS), wheel_r * _SS)
        pygame.draw.rect(canvas, body, (0, 0, w * _SS, h * _SS), border_radius=h * _SS // 4)
        if kind == "leader":
            pygame.draw.rect(canvas, T.LEADER_EDGE, (0, 0, w * _SS, h * _SS), _SS * 2, border_radius=h * _SS // 4)
        img = _finish(canvas, (w, h + wheel_r))
        if kind == "agent":  # translucent: a crowd of carts shows where most of them are
            img.fill((255, 255, 255, 150), special_flags=pygame.BLEND_RGBA_MULT)
            img.set_alpha(255, pygame.RLEACCEL)
        return _faded(img, level) if kind == "dead" else img

    def draw(self, surf, rect, states, fade, leader, only_leader=False):
        m, M = self.m, _Map(rect, self.x0, self.x1, self.y0, self.y1)
        s = M.s
        surf.fill(T.FIELD, rect)
        rail = M.y(-0.2)
        pygame.draw.line(surf, T.EDGE, (M.x(self.x0 + 0.1), rail), (M.x(self.x1 - 0.1), rail), max(2, int(0.03 * s)))
        for x in np.arange(-np.floor(self.xt), np.floor(self.xt) + 1):
            pygame.draw.line(surf, T.GRID, (M.x(x), rail + 4), (M.x(x), rail + max(6, 0.08 * s)), 2)
        for x in (-self.xt, self.xt):
            pygame.draw.line(surf, T.BAD, (M.x(x), rail - 0.35 * s), (M.x(x), rail + 0.08 * s), 3)
        dead, living = _order(fade, leader)
        if only_leader:
            dead, living = dead[:0], living[:0]
        lv = _levels(fade)
        cw, ch = self.sprite(("agent", LEVELS), s, lambda: self._cart("agent", LEVELS, s)).get_size()
        py = M.y(0.0)
        L = self.pole * s
        blits = []
        for kind, idx in (("dead", dead), ("agent", living), ("leader", [] if leader is None else [leader])):
            for i in idx:
                level = int(lv[i]) if kind == "dead" else LEVELS
                if kind == "dead":
                    colour, width = T.lerp(T.FIELD, T.lerp(T.AGENT, T.FIELD, 0.5), level / LEVELS), max(2, int(0.025 * s))
                elif kind == "agent":
                    colour, width = T.lerp(T.AGENT, T.FIELD, 0.3), max(2, int(0.025 * s))
                else:
                    surf.blits(blits, doreturn=False)  # the leader goes on top of everyone
                    blits = []
                    colour, width = T.LEADER, max(3, int(0.045 * s))
                px, th = M.x(states[i, m.X]), states[i, m.THETA]
                pygame.draw.line(surf, colour, (px, py), (px + math.sin(th) * L, py - math.cos(th) * L), width)
                img = self.sprite((kind, level), s, lambda: self._cart(kind, level, s))
                blits.append((img, (px - cw / 2, py - ch * 0.4)))
        surf.blits(blits, doreturn=False)
        if leader is not None:
            pygame.draw.circle(surf, T.LEADER_EDGE, (M.x(states[leader, m.X]), py), max(2, int(0.03 * s)))

    def info(self, state):
        return f"x {state[self.m.X]:+.2f}   angle {math.degrees(state[self.m.THETA]):+.1f} deg"


# -- Flappy ---------------------------------------------------------------------------------


class FlappyRenderer(Renderer):
    """Pipes of the leader's world and every bird; the dead drift back with the pipes and fade."""

    action_names = ("wait", "flap")
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
        c = size * _SS / 2
        R = r * _SS
        canvas = pygame.Surface((size * _SS, size * _SS), pygame.SRCALPHA)
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
        img = _finish(canvas, (w // _SS, h // _SS))
        return _faded(img, level) if kind == "dead" else img

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
            self._sky = (key, _opaque(sky))
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
            self._soil = (key, (_opaque(img), period))
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

    def draw(self, surf, rect, states, fade, leader, only_leader=False):
        m = self.m
        ground = 0.07
        M = _Map(rect, 0.0, rect.w / rect.h * (1.0 + ground), -ground, 1.0)
        s = M.s
        clip = surf.get_clip()
        surf.set_clip(rect)
        surf.blit(self._background(rect, M), rect)
        now = states[:, m.STEPS].max()
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
        dead, living = _order(fade, leader)
        if only_leader:
            dead, living = dead[:0], living[:0]
        lv = _levels(fade)
        blits = []
        for i in dead:
            x = self.bird_x - (now - states[i, m.STEPS]) * self.shift
            if x < -self.r:
                continue
            level = int(lv[i])
            img = self.sprite(("dead", 0, level), s, lambda: self._bird("dead", 0, level, s))
            w, h = img.get_size()
            blits.append((img, (M.x(x) - w / 2, M.y(states[i, m.Y]) - h / 2)))
        rot = np.clip(np.rint((states[:, m.VY] / self.max_fall + 1.0) * 0.5 * (self._ROT - 1)), 0, self._ROT - 1)
        bx = M.x(self.bird_x)
        ys = M.y(states[:, m.Y])
        for kind, idx in (("agent", living), ("leader", [] if leader is None else [leader])):
            for i in idx:
                b = int(rot[i])
                img = self.sprite((kind, b, LEVELS), s, lambda: self._bird(kind, b, LEVELS, s))
                w, h = img.get_size()
                if kind == "leader" and fade[i] < 1.0:  # a dead leader drifts like the others
                    x = M.x(self.bird_x - (now - states[i, m.STEPS]) * self.shift)
                else:
                    x = bx
                blits.append((img, (x - w / 2, ys[i] - h / 2)))
        surf.blits(blits, doreturn=False)
        surf.set_clip(clip)

    def info(self, state):
        return f"pipes {int(state[self.m.SCORE])}   height {state[self.m.Y]:.2f}"


# -- Snake ----------------------------------------------------------------------------------


class SnakeRenderer(Renderer):
    """The leader's board, large, beside a mosaic of the agents' boards (the dead dimmed; at most
    ``MOSAIC`` of them, so each stays readable: the leader and the living first)."""

    action_names = ("left", "straight", "right")
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


# -- Pong -----------------------------------------------------------------------------------


class PongRenderer(Renderer):
    """One court: every agent's paddle (left) and ball, the leader's opponent (right) and score."""

    action_names = ("up", "stay", "down")
    aspect = 1.25

    def __init__(self, env, single=False):
        super().__init__(env, single)
        from envs import pong as m
        self.m = m
        p = self.params
        self.px, self.half, self.br = float(p[m.PADDLE_X]), float(p[m.PADDLE_HALF]), float(p[m.BALL_RADIUS])
        self.thick = 0.035  # paddle thickness drawn behind its face

    def _ball(self, colour, s):
        r = max(2.0, self.br * s * 1.2)
        size = int(math.ceil(2 * r + 2))
        canvas = pygame.Surface((size * _SS, size * _SS), pygame.SRCALPHA)
        pygame.draw.circle(canvas, colour, (size * _SS / 2, size * _SS / 2), r * _SS)
        return _finish(canvas, (size, size))

    def _paddle(self, colour, alpha, s):
        img = pygame.Surface((max(2, int(self.thick * s)), max(2, int(2 * self.half * s))), pygame.SRCALPHA)
        img.fill((*colour, alpha))
        img.set_alpha(255, pygame.RLEACCEL)
        return img

    def draw(self, surf, rect, states, fade, leader, only_leader=False):
        m = self.m
        surf.fill(T.FIELD, rect)
        M = _Map(rect, -1.25, 1.25, -1.0, 1.0)
        s = M.s
        court = pygame.Rect(round(M.x(-1.0)), round(M.y(1.0)), round(2 * s), round(2 * s))
        for y in np.arange(-1.0, 1.0, 0.1):
            surf.fill(T.GRID, (court.centerx - 1, M.y(y + 0.065), 3, 0.035 * s))
        for x in (court.left, court.right):  # goal lines: a ball beyond them scores
            for y in np.arange(court.top, court.bottom, 12):
                surf.fill(T.GRID, (x - 1, y, 2, 6))
        pygame.draw.line(surf, T.EDGE, (rect.x, court.top), (rect.right - 1, court.top), 3)
        pygame.draw.line(surf, T.EDGE, (rect.x, court.bottom), (rect.right - 1, court.bottom), 3)
        if leader is not None:
            sc = f"{int(states[leader, m.SCORE])}   {int(states[leader, m.OPP_SCORE])}"
            T.text(surf, sc, (court.centerx, court.y + 0.08 * s), max(24, int(0.16 * s)), T.EDGE, "midtop")
        dead, living = _order(fade, leader)
        if only_leader:
            dead, living = dead[:0], living[:0]
        ph, lv = self.half * s, _levels(fade)
        x_own, x_opp = M.x(-self.px - self.thick), M.x(self.px)
        # translucent paddles of the living: where many overlap, the colour builds up
        own = self.sprite("own", s, lambda: self._paddle(T.AGENT, 14, s))
        opp = self.sprite("opp", s, lambda: self._paddle(T.BAD, 9, s))
        blits = [(opp, (x_opp, M.y(states[i, m.OPP_Y]) - ph)) for i in living]
        blits += [(own, (x_own, M.y(states[i, m.PADDLE_Y]) - ph)) for i in living]
        for i in np.concatenate([dead, living]).astype(np.int64):
            level = int(lv[i])
            img = self.sprite(("ball", level), s,
                              lambda: self._ball(T.lerp(T.FIELD, T.AGENT, 0.3 + 0.55 * level / LEVELS), s))
            blits.append((img, (M.x(states[i, m.BALL_X]) - img.get_width() / 2,
                                M.y(states[i, m.BALL_Y]) - img.get_height() / 2)))
        surf.blits(blits, doreturn=False)
        if leader is not None:
            i, w = leader, max(2, int(self.thick * s))
            pygame.draw.rect(surf, T.BAD, (x_opp, M.y(states[i, m.OPP_Y]) - ph, w, 2 * ph), border_radius=3)
            pygame.draw.rect(surf, T.LEADER, (x_own, M.y(states[i, m.PADDLE_Y]) - ph, w, 2 * ph), border_radius=3)
            img = self.sprite("leader_ball", s, lambda: self._ball(T.LEADER_EDGE, s))
            surf.blit(img, (M.x(states[i, m.BALL_X]) - img.get_width() / 2, M.y(states[i, m.BALL_Y]) - img.get_height() / 2))

    def info(self, state):
        m = self.m
        return f"score {int(state[m.SCORE])} : {int(state[m.OPP_SCORE])}   ball speed {state[m.SPEED]:.2f}"


# -- Racer ----------------------------------------------------------------------------------


class RacerRenderer(Renderer):
    """The track with every car; the leader's distance rays drawn."""

    action_names = ("steer", "throttle")
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
        surf = _opaque(surf)
        self._track = (key, surf)
        return surf

    def _car(self, kind, rot, level, s):
        L = max(8.0, 3.6 * self.car_r * s) * (1.5 if kind == "leader" else 1.0)
        W = L * 0.6
        colour = {"agent": T.AGENT, "leader": T.LEADER, "dead": T.lerp(T.AGENT, T.FIELD, 0.5)}[kind]
        size = int(math.ceil(L * 1.1))
        canvas = pygame.Surface((size * _SS, size * _SS), pygame.SRCALPHA)
        c = size * _SS / 2
        Ls, Ws = L * _SS, W * _SS
        tri = [(c + Ls / 2, c), (c - Ls / 2, c - Ws / 2), (c - Ls * 0.32, c), (c - Ls / 2, c + Ws / 2)]
        if kind == "leader":
            pygame.draw.polygon(canvas, T.LEADER_EDGE, tri, width=0)
            inner = [(c + (x - c) * 0.72, c + (y - c) * 0.72) for x, y in tri]
            pygame.draw.polygon(canvas, colour, inner)
        else:
            pygame.draw.polygon(canvas, colour, tri)
        canvas = pygame.transform.rotate(canvas, rot * 360.0 / self._ROT)
        w, h = canvas.get_size()
        img = _finish(canvas, (max(1, w // _SS), max(1, h // _SS)))
        return _faded(img, level) if kind == "dead" else img

    def draw(self, surf, rect, states, fade, leader, only_leader=False):
        m = self.m
        self._use_track(states[0], m.TRACK)
        M = _Map(rect, *self.box)
        s = M.s
        surf.fill(T.FIELD, rect)
        surf.blit(self._track_surface(rect, M), rect)
        dead, living = _order(fade, leader)
        if only_leader:
            dead, living = dead[:0], living[:0]
        lv = _levels(fade)
        rot = np.rint(states[:, m.HEADING] / (2 * math.pi) * self._ROT).astype(np.int64) % self._ROT
        xs, ys = M.x(states[:, m.X]), M.y(states[:, m.Y])
        blits = []
        for kind, idx in (("dead", dead), ("agent", living)):
            for i in idx:
                b, level = int(rot[i]), (int(lv[i]) if kind == "dead" else LEVELS)
                img = self.sprite((kind, b, level), s, lambda: self._car(kind, b, level, s))
                blits.append((img, (xs[i] - img.get_width() / 2, ys[i] - img.get_height() / 2)))
        surf.blits(blits, doreturn=False)
        if leader is not None:
            i = leader
            h = states[i, m.HEADING]
            reach = float(self.params[m.RAY_LENGTH])
            for k, a in enumerate(m.RAY_ANGLES):
                d = states[i, m.RAY0 + k]
                end = (xs[i] + math.cos(h + a) * d * s, ys[i] - math.sin(h + a) * d * s)
                col = T.lerp(T.BAD, T.GOOD, min(1.0, d / reach * 2.0))
                pygame.draw.line(surf, T.lerp(T.FIELD, col, 0.8), (xs[i], ys[i]), end, 1)
                pygame.draw.circle(surf, col, end, 3)
            b = int(rot[i])
            kind = "leader" if fade[i] >= 1.0 else "dead"
            level = LEVELS if fade[i] >= 1.0 else max(1, int(lv[i]))
            img = self.sprite((kind, b, level), s, lambda: self._car(kind, b, level, s))
            surf.blit(img, (xs[i] - img.get_width() / 2, ys[i] - img.get_height() / 2))

    def info(self, state):
        m = self.m
        return f"laps {state[m.PROGRESS]:.2f}   speed {state[m.SPEED]:.1f} m/s   steer {state[m.STEER]:+.2f}"


class MazeRenderer(Renderer):
    """The maze's walls, the goal and every robot; the leader's rangefinders drawn."""

    action_names = ("turn", "speed")

    def __init__(self, env, single=False):
        super().__init__(env, single)
        from envs import maze as m
        self.m = m
        self.box = (-4.0, m.SIZE + 4.0, -4.0, m.SIZE + 4.0)
        self.radius = float(self.params[m.RADIUS])

    def draw(self, surf, rect, states, fade, leader, only_leader=False):
        m = self.m
        M = _Map(rect, *self.box)
        s = M.s
        surf.fill(T.FIELD, rect)
        goal = (M.x(m.GOAL[0]), M.y(m.GOAL[1]))
        pygame.draw.circle(surf, T.GOOD_DARK, goal, max(3, self.params[m.GOAL_RADIUS] * s))
        pygame.draw.circle(surf, T.GOOD, goal, max(2, 0.4 * self.params[m.GOAL_RADIUS] * s))
        for ax, ay, bx, by in m.WALLS:
            pygame.draw.line(surf, (150, 158, 182), (M.x(ax), M.y(ay)), (M.x(bx), M.y(by)), max(2, int(s * 1.5)))
        dead, living = _order(fade, leader)
        if only_leader:
            dead, living = dead[:0], living[:0]
        r = max(2.0, self.radius * s)
        xs, ys = M.x(states[:, m.X]), M.y(states[:, m.Y])
        for i in dead:
            pygame.draw.circle(surf, T.lerp(T.FIELD, T.AGENT, 0.5 * float(fade[i])), (xs[i], ys[i]), r)
        for i in living:
            pygame.draw.circle(surf, T.AGENT, (xs[i], ys[i]), r)
        if leader is not None:
            i = leader
            h = states[i, m.HEADING]
            for k, a in enumerate(m.RAY_ANGLES):
                d = states[i, m.RAY0 + k]
                end = (xs[i] + math.cos(h + a) * d * s, ys[i] - math.sin(h + a) * d * s)
                col = T.lerp(T.BAD, T.GOOD, min(1.0, d / float(self.params[m.RAY_LENGTH]) * 2.0))
                pygame.draw.line(surf, T.lerp(T.FIELD, col, 0.8), (xs[i], ys[i]), end, 1)
            pygame.draw.circle(surf, T.LEADER_EDGE, (xs[i], ys[i]), r * 1.3)
            pygame.draw.circle(surf, T.LEADER, (xs[i], ys[i]), r * 1.1)
            nose = (xs[i] + math.cos(h) * r * 1.6, ys[i] - math.sin(h) * r * 1.6)
            pygame.draw.line(surf, T.LEADER_EDGE, (xs[i], ys[i]), nose, 2)

    def info(self, state):
        return f"distance to the goal {state[self.m.DIST]:.1f}"


# -- anything else (gym:<id>) ---------------------------------------------------------------


class ObservationRenderer(Renderer):
    """Any game: one lane per observation entry, every agent a tick, the leader a bar.

    State rows are taken to be observations (as the viewer's Gymnasium batch
    stores them); a lane's scale is its finite bound or the largest magnitude
    seen so far.
    """

    aspect = 1.4

    def __init__(self, env, single=False):
        super().__init__(env, single)
        spec = env.spec
        self.names = tuple(spec.obs_names)
        high = np.abs(np.asarray(spec.obs_high, dtype=float))
        low = np.abs(np.asarray(spec.obs_low, dtype=float))
        self.bound = np.where(np.isfinite(high) & np.isfinite(low), np.maximum(high, low), 0.0)
        self.seen = np.full(spec.obs_size, 1e-6)
        self.action_names = ()

    def draw(self, surf, rect, states, fade, leader, only_leader=False):
        surf.fill(T.FIELD, rect)
        n = len(self.names)
        obs = states[:, :n]
        self.seen = np.maximum(self.seen, np.nanmax(np.abs(obs), axis=0, initial=0.0))
        scale = np.where(self.bound > 0, self.bound, self.seen)
        lane = min(48, (rect.h - 20) / max(n, 1))
        top = rect.y + (rect.h - lane * n) / 2
        label_w = min(190, rect.w // 3)
        x0, x1 = rect.x + label_w + 10, rect.right - 20
        mid = (x0 + x1) / 2
        show = np.flatnonzero(fade > 0) if not only_leader else np.zeros(0, np.int64)
        for k in range(n):
            y = top + k * lane + lane / 2
            T.text(surf, self.names[k][:24], (rect.x + label_w, y), 18, T.DIM, "midright")
            pygame.draw.line(surf, T.GRID, (x0, y), (x1, y), 1)
            v = np.clip(obs[show, k] / scale[k], -1, 1)
            for xx in mid + v * (x1 - x0) / 2:
                surf.fill(T.lerp(T.FIELD, T.AGENT, 0.6), (xx, y - lane * 0.3, 2, lane * 0.6))
            if leader is not None:
                lvv = float(np.clip(obs[leader, k] / scale[k], -1, 1))
                a, b = sorted((mid, mid + lvv * (x1 - x0) / 2))
                surf.fill(T.LEADER, (a, y - lane * 0.18, max(2, b - a), lane * 0.36))
        pygame.draw.line(surf, T.EDGE, (mid, rect.y + 8), (mid, rect.bottom - 8), 1)

    def info(self, state):
        return ""


# -- classic control: line drawings of many agents at once --------------------------------------


class _LineRenderer(Renderer):
    """Agents drawn as lines and dots over a fixed scene: the dead fading, the living, the leader on top.

    Subclasses give the world's box (``box``), draw the scene (:meth:`scene`) and
    one agent (:meth:`agent`, given its colour and line width).
    """

    box = (-1.0, 1.0, -1.0, 1.0)

    def __init__(self, env, single=False):
        super().__init__(env, single)
        x0, x1, y0, y1 = self.box
        self.aspect = (x1 - x0) / (y1 - y0)

    def scene(self, surf, M) -> None:
        pass

    def agent(self, surf, M, state, colour, width) -> None:
        raise NotImplementedError

    def draw(self, surf, rect, states, fade, leader, only_leader=False):
        surf.fill(T.FIELD, rect)
        M = _Map(rect, *self.box)
        self.scene(surf, M)
        dead, living = _order(fade, leader)
        if only_leader:
            dead, living = dead[:0], living[:0]
        base = max(2, int(0.012 * min(rect.w, rect.h)))
        for i in dead:
            self.agent(surf, M, states[i], T.lerp(T.FIELD, T.lerp(T.AGENT, T.FIELD, 0.5), float(fade[i])), base)
        for i in living:
            self.agent(surf, M, states[i], T.lerp(T.AGENT, T.FIELD, 0.3), base)
        if leader is not None:
            self.agent(surf, M, states[leader], T.LEADER, int(base * 1.8))


class PendulumRenderer(_LineRenderer):
    """Pendulums on one pivot, upright at the top."""

    action_names = ("torque",)
    box = (-1.3, 1.3, -1.3, 1.3)

    def scene(self, surf, M):
        pygame.draw.circle(surf, T.GRID, (M.x(0.0), M.y(0.0)), 1.0 * M.s, 1)
        pygame.draw.line(surf, T.GOOD, (M.x(0.0), M.y(1.05)), (M.x(0.0), M.y(1.25)), 2)

    def agent(self, surf, M, state, colour, width):
        from envs import pendulum as m
        th = state[m.THETA]
        tip = (M.x(math.sin(-th)), M.y(math.cos(th)))  # theta 0 upright, counter-clockwise positive
        pygame.draw.line(surf, colour, (M.x(0.0), M.y(0.0)), tip, width)
        pygame.draw.circle(surf, colour, tip, width * 1.6)

    def info(self, state):
        from envs import pendulum as m
        up = math.degrees(float((state[m.THETA] + math.pi) % (2 * math.pi) - math.pi))
        return f"angle from upright {up:+.0f} deg   speed {state[m.THETA_DOT]:+.2f} rad/s"


class AcrobotRenderer(_LineRenderer):
    """Two-link acrobots hanging from one joint; the goal line above."""

    action_names = ("torque -1", "torque 0", "torque +1")
    box = (-2.2, 2.2, -2.2, 2.2)

    def scene(self, surf, M):
        pygame.draw.line(surf, T.GOOD, (M.x(-2.1), M.y(1.0)), (M.x(2.1), M.y(1.0)), 2)
        pygame.draw.circle(surf, T.EDGE, (M.x(0.0), M.y(0.0)), max(3, 0.05 * M.s))

    def agent(self, surf, M, state, colour, width):
        from envs import acrobot as m
        t1, t2 = state[m.THETA1], state[m.THETA2]
        p1 = (math.sin(t1), -math.cos(t1))
        p2 = (p1[0] + math.sin(t1 + t2), p1[1] - math.cos(t1 + t2))
        pts = [(M.x(0.0), M.y(0.0)), (M.x(p1[0]), M.y(p1[1])), (M.x(p2[0]), M.y(p2[1]))]
        pygame.draw.lines(surf, colour, False, pts, width)
        pygame.draw.circle(surf, colour, pts[2], width * 1.5)

    def info(self, state):
        from envs import acrobot as m
        height = -math.cos(state[m.THETA1]) - math.cos(state[m.THETA2] + state[m.THETA1])
        return f"tip height {height:+.2f} (goal > 1)"


class MountainCarRenderer(_LineRenderer):
    """Cars on the hill ``y = 0.45 sin(3x) + 0.55``; the flag at the goal."""

    box = (-1.25, 0.65, -0.05, 1.15)

    def __init__(self, env, single=False):
        super().__init__(env, single)
        self.action_names = ("left", "none", "right") if env.num_actions else ("force",)
        self.goal = float(self.params[env.module.GOAL_POSITION])

    @staticmethod
    def height(x):
        return 0.45 * np.sin(3 * x) + 0.55

    def scene(self, surf, M):
        xs = np.linspace(-1.2, 0.6, 120)
        pygame.draw.lines(surf, T.EDGE, False, list(zip(M.x(xs), M.y(self.height(xs)))), 2)
        fx, fy = M.x(self.goal), M.y(self.height(self.goal))
        pygame.draw.line(surf, T.TEXT, (fx, fy), (fx, fy - 0.12 * M.s), 2)
        pygame.draw.polygon(surf, T.GOOD, [(fx, fy - 0.12 * M.s), (fx + 0.06 * M.s, fy - 0.1 * M.s),
                                           (fx, fy - 0.08 * M.s)])

    def agent(self, surf, M, state, colour, width):
        x = float(state[0])
        pygame.draw.circle(surf, colour, (M.x(x), M.y(self.height(x)) - width * 1.5), width * 2.2)

    def info(self, state):
        return f"position {state[0]:+.3f}   velocity {state[1]:+.4f}"


# -- the playground -----------------------------------------------------------------------------


class PlaygroundRenderer(Renderer):
    """A classification task: the leader's decision boundary as a heat map over the input plane,
    the training points (filled) and the held-out test points (rings), and each agent's current point.

    For more than two features (iris) the plane is that of two chosen features, the others held at
    their training mean.
    """

    aspect = 1.0
    GRID = 72
    PALETTE = ((86, 156, 214), (236, 133, 84), (120, 190, 120))

    def __init__(self, env, single=False):
        super().__init__(env, single)
        from envs import playground as pg
        self.pg = pg
        self.x_train, self.y_train = pg.data(self.params, test=False)
        self.x_test, self.y_test = pg.data(self.params, test=True)
        k = int(self.params[pg.N_CLASSES])
        self.action_names = ("class 1 (> 0)",) if k == 2 else tuple(f"class {c}" for c in range(k))
        f = self.x_train.shape[1]
        self.axes = (2, 3) if f == 4 else (0, 1)  # iris: the petals, which separate the species best
        self.rest = self.x_train.mean(axis=0)
        self._policy = None
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

    def draw(self, surf, rect, states, fade, leader, only_leader=False):
        surf.fill(T.FIELD, rect)
        if self._heat is not None:
            surf.blit(pygame.transform.smoothscale(self._heat[1], rect.size), rect)
        M = _Map(rect, -1.05, 1.05, -1.05, 1.05)
        a, b = self.axes
        r = max(2, int(rect.w / 150))
        for x, y, filled in ((self.x_train, self.y_train, True), (self.x_test, self.y_test, False)):
            for p, c in zip(x, y):
                pos = (M.x(p[a]), M.y(p[b]))
                pygame.draw.circle(surf, self.PALETTE[c], pos, r + 1, 0 if filled else 1)
        if leader is not None:
            f = int(self.params[self.pg.N_FEATURES])
            row = self.pg.DATA + int(states[leader, self.pg.INDEX]) * (f + 1)
            p = self.params[row:row + f]
            pygame.draw.circle(surf, T.LEADER, (M.x(p[a]), M.y(p[b])), 3 * r, 2)

    def info(self, state):
        return f"point {int(state[self.pg.T])} of {int(self.params[self.pg.POINTS])}"


_RENDERERS = {"cartpole": CartPoleRenderer, "flappy": FlappyRenderer, "snake": SnakeRenderer,
              "pong": PongRenderer, "racer": RacerRenderer, "maze": MazeRenderer, "pendulum": PendulumRenderer,
              "acrobot": AcrobotRenderer, "mountaincar": MountainCarRenderer,
              "mountaincar_continuous": MountainCarRenderer, "xor": PlaygroundRenderer,
              "circles": PlaygroundRenderer, "spirals": PlaygroundRenderer, "blobs": PlaygroundRenderer,
              "iris": PlaygroundRenderer}


def renderer_for(env, single: bool = False) -> Renderer:
    """The renderer of ``env``'s game (the observation lanes for games without one).

    ``single``: it will draw one agent (the snake renderer then shows one board).
    """
    cls = _RENDERERS.get(env.name, ObservationRenderer) if env.fused else ObservationRenderer
    return cls(env, single)


_single: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def render_rgb(env, state_row, width: int = 480) -> np.ndarray:
    """Draw one agent's state as an image, without a window.

    Parameters
    ----------
    env : envs.Env
        The game (its parameters are read, never its kernels).
    state_row : ndarray of shape (state_size,)
    width : int
        Image width in pixels; the height follows the game's aspect ratio.

    Returns
    -------
    ndarray of shape (H, W, 3), uint8
    """
    r = _single.get(env)
    if r is None:
        r = _single[env] = renderer_for(env, single=True)
    height = int(round(width / min(max(r.aspect, 0.75), 2.0)))
    surf = pygame.Surface((width, height))
    r.draw(surf, surf.get_rect(), np.asarray(state_row, dtype=np.float64)[None], np.ones(1), 0)
    return np.ascontiguousarray(pygame.surfarray.array3d(surf).transpose(1, 0, 2))
