"""The viewer's palette (defined once, here) and cached text drawing."""

from __future__ import annotations

import pygame

# Interface
BG = (21, 24, 33)             # window background
PANEL = (30, 34, 47)          # side panels
EDGE = (52, 58, 78)           # panel borders, axes
GRID = (40, 45, 61)           # grid lines
FIELD = (26, 30, 42)          # game background
TEXT = (226, 229, 238)
DIM = (136, 143, 164)         # secondary text

# Agents
AGENT = (118, 176, 236)       # the population
LEADER = (255, 193, 72)       # the current leader, and the "best" series
LEADER_EDGE = (255, 244, 214)
MEAN = AGENT                  # the "mean" series

# Signs and meaning
POS = (240, 128, 78)          # positive weight / activation
NEG = (84, 154, 240)          # negative weight / activation
GOOD = (104, 196, 112)        # pipes, food, start line
GOOD_DARK = (58, 128, 70)
BAD = (232, 92, 92)           # walls, opponent, danger
ROAD = (48, 53, 70)
EYE = (250, 250, 250)
PUPIL = (20, 20, 26)
BEAK = (244, 140, 60)


def lerp(a, b, t: float) -> tuple:
    """Colour between ``a`` (t = 0) and ``b`` (t = 1)."""
    return tuple(int(round(x + (y - x) * t)) for x, y in zip(a, b))


def signed(value: float, background=PANEL) -> tuple:
    """Colour of a value in [-1, 1]: NEG through ``background`` to POS."""
    v = max(-1.0, min(1.0, float(value)))
    return lerp(background, POS if v >= 0 else NEG, abs(v))


_fonts: dict = {}
_texts: dict = {}


def font(size: int) -> pygame.font.Font:
    """pygame's default font at ``size`` pixels (the font module is initialised on first use)."""
    if not pygame.font.get_init():
        pygame.font.init()
    if size not in _fonts:
        _fonts[size] = pygame.font.Font(None, size)
    return _fonts[size]


def render(text: str, size: int = 20, color=TEXT) -> pygame.Surface:
    """Rendered text, cached (the same label is drawn every frame)."""
    key = (text, size, color)
    surf = _texts.get(key)
    if surf is None:
        if len(_texts) > 2000:
            _texts.clear()
        surf = _texts[key] = font(size).render(text, True, color)
    return surf


def text(surface: pygame.Surface, s: str, pos, size: int = 20, color=TEXT, anchor: str = "topleft") -> pygame.Rect:
    """Draw ``s`` with its ``anchor`` point (a pygame.Rect attribute name) at ``pos``; returns its rect."""
    img = render(s, size, color)
    rect = img.get_rect(**{anchor: (int(pos[0]), int(pos[1]))})
    surface.blit(img, rect)
    return rect
