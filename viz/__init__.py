"""pygame viewer: the whole generation playing, the leader's network, the fitness curve.

Only this package imports pygame. :mod:`viz.app` holds the ``watch`` and
``replay`` windows, :mod:`viz.record` the ``record`` command's off-screen
rendering, :mod:`viz.episode` the episode model they draw (no pygame in it),
:mod:`viz.play` ``neuroevo play`` (each game's declared keys),
:mod:`viz.renderers` which renderer draws which game (and
:func:`viz.renderers.render_rgb`, registered with the Gymnasium adapter for
``rgb_array`` frames), :mod:`viz.drawing` the drawing loop every renderer
shares and the canvas a game's declared drawing draws on, :mod:`viz.games`
the renderers of the built-in games that draw sprites, boards and tracks,
:mod:`viz.panels` the network diagram and the fitness chart, :mod:`viz.theme`
the palette and text drawing.
"""

import os
import sys

os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")


def has_display() -> bool:
    """Whether a window can be opened (always assumed off Linux; on Linux an X11 or Wayland display)."""
    if not sys.platform.startswith("linux"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def use_dummy_video_if_headless() -> None:
    """Select SDL's dummy video driver when there is no display and none was chosen."""
    if not has_display():
        os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
