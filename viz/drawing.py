"""What every renderer shares: world-to-pixel maps, sprites, and the one loop that draws a population.

A renderer draws the population's raw state rows (``BatchEnv.states``), a fade
level per agent (1 alive, falling to 0 after death) and the leader's index
into a rectangle of any surface. :meth:`Renderer.draw` is the loop every game
shares: the background, then :meth:`Renderer.scene`, then the agents (the
dead fading, the living, the leader on top, each through
:meth:`Renderer.agent`), then :meth:`Renderer.overlay`. A game's renderer
writes only what differs. Sprites are pre-rendered (one per colour, rotation
bin and fade level, rebuilt when the scale changes) and blitted in one
``Surface.blits`` call, so a thousand birds cost little more than one.

:class:`ShapeRenderer` draws any game that declares an :class:`envs.Drawing`
through a :class:`Canvas`; :class:`ObservationRenderer` draws any other game
as one lane per observation entry.
"""

from __future__ import annotations

import numpy as np

import pygame  # after viz/__init__ has hidden pygame's banner; drawing needs no display

from viz import theme as T

LEVELS = 6  # fade levels of a dying agent's sprite
SS = 4      # supersampling factor of sprite drawing (antialiasing by smoothscale)


class Map:
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

    def point(self, p) -> tuple:
        """Pixel position of world point ``p = (x, y)``."""
        return (float(self.x(p[0])), float(self.y(p[1])))


def fade_levels(fade: np.ndarray) -> np.ndarray:
    """Fade in [0, 1] to sprite level 0 (invisible) .. LEVELS (alive)."""
    return np.ceil(np.clip(fade, 0.0, 1.0) * LEVELS).astype(np.int64)


def drawing_order(fade: np.ndarray, leader) -> tuple:
    """Indices of visible dead agents, of living non-leaders (drawing order: dead, living, leader)."""
    alive = fade >= 1.0
    visible_dead = np.flatnonzero(~alive & (fade > 0.0))
    living = np.flatnonzero(alive)
    if leader is not None:
        living = living[living != leader]
    return visible_dead, living


def finish(canvas: pygame.Surface, size) -> pygame.Surface:
    """Downsample a supersampled sprite canvas (antialiasing), ready for fast blitting.

    Run-length encoding makes a per-pixel-alpha blit about 10x faster (the
    transparent corners are skipped).
    """
    img = pygame.transform.smoothscale(canvas, size)
    if pygame.display.get_init() and pygame.display.get_surface() is not None:
        img = img.convert_alpha()
    img.set_alpha(255, pygame.RLEACCEL)
    return img


def faded(img: pygame.Surface, level: int) -> pygame.Surface:
    """A copy of ``img`` at ``level / LEVELS`` of its opacity (at most 80%), for dying agents."""
    out = img.copy()
    out.fill((255, 255, 255, int(205 * level / LEVELS)), special_flags=pygame.BLEND_RGBA_MULT)
    out.set_alpha(255, pygame.RLEACCEL)  # per-pixel alpha only: a surface alpha would disable RLE
    return out


def opaque(img: pygame.Surface) -> pygame.Surface:
    """``img`` in the display's pixel format when a window exists (faster blits)."""
    if pygame.display.get_init() and pygame.display.get_surface() is not None:
        return img.convert()
    return img


def role_colour(kind: str) -> tuple:
    """Body colour of a sprite of an ``agent``, the ``leader`` or a ``dead`` agent."""
    return {"agent": T.AGENT, "leader": T.LEADER, "dead": T.lerp(T.AGENT, T.FIELD, 0.5)}[kind]


class Pen:
    """Where :meth:`Renderer.agent` draws: ``surf`` directly, or sprites queued by :meth:`blit`.

    Queued sprites go out in one ``Surface.blits`` call before the leader is drawn and at the
    end, so direct drawing (a pole, a ray) lies under the sprites of its group.
    """

    def __init__(self, surf: pygame.Surface):
        self.surf = surf
        self._queue: list = []

    def blit(self, img: pygame.Surface, pos) -> None:
        self._queue.append((img, pos))

    def centred(self, img: pygame.Surface, x, y) -> None:
        """Queue ``img`` centred on pixel ``(x, y)``."""
        self._queue.append((img, (x - img.get_width() / 2, y - img.get_height() / 2)))

    def flush(self) -> None:
        if self._queue:
            self.surf.blits(self._queue, doreturn=False)
            self._queue = []


class Renderer:
    """Draws many agents of one game into a rectangle.

    A game's renderer sets :attr:`aspect` (width / height of the world shown),
    gives its world box (:meth:`view`) and overrides the hooks of the shared loop
    it needs: :meth:`scene`, :meth:`agent`, :meth:`overlay`. :attr:`action_names`
    label the network's outputs (the game's declared ``ACTION_NAMES``).
    """

    aspect = 1.0
    box = (-1.0, 1.0, -1.0, 1.0)

    def __init__(self, env, single: bool = False):
        self.env = env
        self.single = single
        self.params = env.params
        self.action_names = _labels(env)
        self._sprites: dict = {}
        self._scale = None

    # -- the shared loop ------------------------------------------------------------------------

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
        clip = surf.get_clip()
        surf.set_clip(rect)
        surf.fill(T.FIELD, rect)
        M = self.view(rect, states, leader)
        self.scene(surf, rect, M, states, leader)
        dead, living = drawing_order(fade, leader)
        if only_leader:
            dead, living = dead[:0], living[:0]
        lv = fade_levels(fade)
        pen = Pen(surf)
        for i in dead:
            self.agent(pen, M, states, int(i), "dead", int(lv[i]))
        for i in living:
            self.agent(pen, M, states, int(i), "agent", LEVELS)
        pen.flush()
        if leader is not None:
            alive = fade[leader] >= 1.0
            self.agent(pen, M, states, leader, "leader" if alive else "dead leader",
                       LEVELS if alive else max(1, int(lv[leader])))
            pen.flush()
        self.overlay(surf, M, states, leader)
        surf.set_clip(clip)

    def view(self, rect: pygame.Rect, states: np.ndarray, leader) -> Map:
        """The world-to-pixel map of this frame (default: :attr:`box` fitted into ``rect``)."""
        return Map(rect, *self.box)

    def scene(self, surf: pygame.Surface, rect: pygame.Rect, M: Map, states: np.ndarray, leader) -> None:
        """Draw what lies under the agents (the field is already filled)."""

    def agent(self, pen: Pen, M: Map, states: np.ndarray, i: int, role: str, level: int) -> None:
        """Draw agent ``i`` as ``role``: ``dead``, ``agent``, ``leader`` or ``dead leader``.

        ``level`` is its fade level, 1..LEVELS (LEVELS for the living).
        """

    def overlay(self, surf: pygame.Surface, M: Map, states: np.ndarray, leader) -> None:
        """Draw what lies over every agent."""

    # -- what the windows ask besides the picture ------------------------------------------------

    def info(self, state: np.ndarray) -> str:
        """One line about an agent's state (score, laps, ...), shown under the game."""
        return ""

    def setting(self, state) -> str:
        """What the episode of ``state`` (None before one starts) plays on, for the status line ("": nothing)."""
        return ""

    def score(self, value: float, state: np.ndarray) -> str:
        """An agent's return so far, ``value``, in the game's words, under the game (``state``: its row)."""
        return f"return {value:.4g}"

    def fitness(self, value: float) -> str:
        """A fitness (the mean return over a genome's episodes) in the game's words, for the status line."""
        return f"{value:.3g}"

    def playing(self, returns: np.ndarray, done: np.ndarray, t: int) -> list:
        """What the status line says of a generation playing: ``returns`` so far and ``done`` per agent,
        after ``t`` steps (by default how many are alive and the best return so far)."""
        return [f"alive {int((~done).sum())}/{len(done)}", f"this gen {float(returns.max()):.3g}"]

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


def _labels(env) -> tuple:
    """The labels of ``env``'s network outputs, as its game declares them."""
    import envs
    return envs.declaration(env).labels(env.params, env.num_outputs)


# -- a game that declares its drawing ----------------------------------------------------------

_NAMED = {"agent": T.AGENT, "leader": T.LEADER, "good": T.GOOD, "bad": T.BAD, "edge": T.EDGE, "grid": T.GRID,
          "text": T.TEXT, "dim": T.DIM, "field": T.FIELD}


class Canvas:
    """What a game's :class:`envs.Drawing` draws on: shapes in world coordinates, with the current colour.

    ``colour`` None is the current agent's colour (:attr:`colour`), a palette name or an
    ``(r, g, b)`` tuple; ``width`` counts line widths (:attr:`width` pixels each).
    """

    def __init__(self, surf: pygame.Surface, M: Map, colour=T.EDGE, width: float = 2.0):
        self.surf, self.M = surf, M
        self.colour, self.width = colour, width

    def _c(self, colour) -> tuple:
        if colour is None:
            return self.colour
        if isinstance(colour, str):
            if colour not in _NAMED:
                raise ValueError(f"unknown colour {colour!r}; known: {', '.join(_NAMED)} or (r, g, b)")
            return _NAMED[colour]
        return tuple(int(c) for c in colour)

    def _w(self, width: float) -> int:
        return max(1, int(round(width * self.width)))

    def line(self, a, b, colour=None, width: float = 1.0) -> None:
        """A line from world point ``a`` to ``b``."""
        pygame.draw.line(self.surf, self._c(colour), self.M.point(a), self.M.point(b), self._w(width))

    def lines(self, points, colour=None, width: float = 1.0, closed: bool = False) -> None:
        """A polyline through world ``points`` (closed back to the first when ``closed``)."""
        pygame.draw.lines(self.surf, self._c(colour), closed, [self.M.point(p) for p in points], self._w(width))

    def circle(self, centre, radius: float, colour=None, width: float = 0.0) -> None:
        """A circle of world ``radius``: filled when ``width`` is 0, else an outline ``width`` line widths wide."""
        r = max(1.0, radius * self.M.s)
        pygame.draw.circle(self.surf, self._c(colour), self.M.point(centre), r, self._w(width) if width else 0)

    def dot(self, centre, size: float = 1.0, colour=None) -> None:
        """A filled disc ``size`` line widths in radius, whatever the picture's scale."""
        pygame.draw.circle(self.surf, self._c(colour), self.M.point(centre), max(1.0, size * self.width))

    def polygon(self, points, colour=None) -> None:
        """A filled polygon through world ``points``."""
        pygame.draw.polygon(self.surf, self._c(colour), [self.M.point(p) for p in points])

    def rect(self, x0, y0, x1, y1, colour=None) -> None:
        """A filled rectangle between world corners ``(x0, y0)`` and ``(x1, y1)``."""
        (ax, ay), (bx, by) = self.M.point((x0, y0)), self.M.point((x1, y1))
        self.surf.fill(self._c(colour), pygame.Rect(min(ax, bx), min(ay, by), abs(bx - ax) + 1, abs(by - ay) + 1))

    def text(self, s: str, at, size: float = 0.1, colour=None) -> None:
        """``s`` centred on ``at``, ``size`` world units high."""
        T.text(self.surf, str(s), self.M.point(at), max(10, int(size * self.M.s)), self._c(colour), "center")


class ShapeRenderer(Renderer):
    """A game that declares an :class:`envs.Drawing`: its scene, then every agent through a :class:`Canvas`."""

    def __init__(self, env, drawing, single: bool = False):
        super().__init__(env, single)
        self.drawing = drawing
        self.box = drawing.bounds(env.params)
        x0, x1, y0, y1 = self.box
        self.aspect = (x1 - x0) / (y1 - y0)

    def scene(self, surf, rect, M, states, leader):
        self.base = max(2, int(0.012 * min(rect.w, rect.h)))
        self.canvas = Canvas(surf, M, T.EDGE, self.base)
        if self.drawing.scene is not None:
            self.drawing.scene(self.canvas, self.params)

    def agent(self, pen, M, states, i, role, level):
        c = self.canvas
        if role == "dead":
            c.colour, c.width = T.lerp(T.FIELD, T.lerp(T.AGENT, T.FIELD, 0.5), level / LEVELS), self.base
        elif role == "agent":
            c.colour, c.width = T.lerp(T.AGENT, T.FIELD, 0.3), self.base
        else:
            c.colour, c.width = T.LEADER, int(self.base * 1.8)
        self.drawing.agent(c, states[i], self.params)

    def info(self, state):
        return "" if self.drawing.info is None else str(self.drawing.info(state, self.params))


# -- a game that declares nothing to draw ------------------------------------------------------


class ObservationRenderer(Renderer):
    """Any game: one lane per observation entry, every agent a tick, the leader a bar.

    State rows are taken to be observations (as the viewer's Gymnasium batch
    stores them, and as a game without a drawing is read); a lane's scale is its
    finite bound or the largest magnitude seen so far.
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
