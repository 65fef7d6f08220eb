"""The game view as the network sees it: a pixel observation (:mod:`envs.pixels`) drawn large.

The viewer's P key (:mod:`viz.window`) swaps the game's own drawing for the
leader's observation image, a game played ``obs="pixels"``: each channel
in a colour of its own (:data:`CHANNELS`), the colours added where channels
overlap, every image pixel a square block.
"""

from __future__ import annotations

import numpy as np

import viz  # noqa: F401  (sets PYGAME_HIDE_SUPPORT_PROMPT before pygame is imported)
import pygame  # noqa: E402

from viz import theme as T  # noqa: E402

CHANNELS = ((226, 229, 238), T.LEADER, T.AGENT, T.GOOD, T.BAD)
"""Colour of each channel at value 1 (channel ``k`` takes ``CHANNELS[k % len(CHANNELS)]``)."""


def colours(image: np.ndarray) -> np.ndarray:
    """An observation image ``(C, H, W)`` with values in [0, 1] as RGB ``(H, W, 3)`` uint8: the background
    plus each channel's colour times its value, clipped."""
    image = np.clip(np.asarray(image, dtype=np.float64), 0.0, 1.0)
    rgb = np.zeros((*image.shape[1:], 3)) + np.asarray(T.FIELD, np.float64)
    for k, channel in enumerate(image):
        rgb += channel[..., None] * np.asarray(CHANNELS[k % len(CHANNELS)], np.float64)
    return np.clip(np.rint(rgb), 0, 255).astype(np.uint8)


def fitted(area: pygame.Rect, rows: int, cols: int) -> pygame.Rect:
    """The largest rectangle of whole square blocks, ``cols`` x ``rows`` of them, in ``area``, centred across
    at the top."""
    block = max(1, min(area.w // cols, area.h // rows))
    rect = pygame.Rect(0, 0, block * cols, block * rows)
    rect.midtop = (area.centerx, area.y)
    return rect


def draw_observation(surf: pygame.Surface, area: pygame.Rect, image: np.ndarray) -> pygame.Rect:
    """Draw an observation image ``(C, H, W)`` as large as whole blocks fit in ``area``; returns where.

    Each image pixel is a square block (nearest neighbour), so that what the
    network reads is shown as it reads it.
    """
    _, rows, cols = image.shape
    rect = fitted(area, rows, cols)
    tile = pygame.surfarray.make_surface(colours(image).transpose(1, 0, 2))
    surf.blit(pygame.transform.scale(tile, rect.size), rect)
    return rect
