"""Which renderer draws which game, and single frames for Gymnasium's ``render_mode="rgb_array"``.

:func:`renderer_for` picks, for a game: the renderer this package registers for it
(:data:`RENDERERS`: the built-in games that draw sprites, boards and tracks), else
the drawing the game declares (``DRAWING``, an :class:`envs.Drawing`, through
:class:`viz.drawing.ShapeRenderer`), else the observation lanes that fit any game.

:func:`render_rgb` draws a single agent's state into an RGB array, with no window.
Importing this module registers it with the Gymnasium adapter
(:func:`envs.gym_wrappers.set_rgb_renderer`): the games never name the viewer.
"""

from __future__ import annotations

import weakref

import numpy as np

import viz  # noqa: F401  (sets PYGAME_HIDE_SUPPORT_PROMPT before pygame is imported)
import pygame  # noqa: E402

import envs  # noqa: E402
from envs import gym_wrappers  # noqa: E402
from viz.drawing import ObservationRenderer, Renderer, ShapeRenderer  # noqa: E402
from viz.games.cartpole import CartPoleRenderer  # noqa: E402
from viz.games.flappy import FlappyRenderer  # noqa: E402
from viz.games.maze import MazeRenderer  # noqa: E402
from viz.games.playground import PlaygroundRenderer  # noqa: E402
from viz.games.pong import PongRenderer  # noqa: E402
from viz.games.racer import RacerRenderer  # noqa: E402
from viz.games.snake import SnakeRenderer  # noqa: E402

RENDERERS: dict = {
    "cartpole": CartPoleRenderer, "flappy": FlappyRenderer, "snake": SnakeRenderer, "pong": PongRenderer,
    "racer": RacerRenderer, "maze": MazeRenderer,
    "xor": PlaygroundRenderer, "circles": PlaygroundRenderer, "spirals": PlaygroundRenderer,
    "blobs": PlaygroundRenderer, "iris": PlaygroundRenderer,
}
"""Game name -> the :class:`viz.drawing.Renderer` subclass that draws it, called as ``cls(env, single)``."""


def renderer_for(env, single: bool = False) -> Renderer:
    """The renderer of ``env``'s game: the drawing it declares, else the renderer registered for it here,
    else its observation lanes.

    ``single``: it will draw one agent (the snake renderer then shows one board).
    """
    if not env.fused:  # a Gymnasium environment: its states are its observations
        return ObservationRenderer(env, single)
    drawing = envs.declaration(env).drawing
    if drawing is None and env.name in RENDERERS:
        return RENDERERS[env.name](env, single)
    if drawing is not None:
        return ShapeRenderer(env, drawing, single)
    return ObservationRenderer(env, single)


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


gym_wrappers.set_rgb_renderer(render_rgb)

__all__ = ["RENDERERS", "renderer_for", "render_rgb", "Renderer"]
