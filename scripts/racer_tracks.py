"""Write ``docs/racer-tracks.png``: procedural racer tracks, as the racer trains on them.

Headless (SDL's dummy video driver). Each panel is the start of one episode
key's track (seed 0, generation 0, episodes 0, 1, ...) drawn by the viewer's
racer renderer: the road between its walls, the start line, the car and its
distance rays, with the lap length and width underneath.

    python scripts/racer_tracks.py [--out docs/racer-tracks.png] [--count 8]
"""

from __future__ import annotations

import argparse
import os

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")

import numpy as np  # noqa: E402
import pygame  # noqa: E402

import envs  # noqa: E402
from envs import racer as R  # noqa: E402
from viz import theme as T  # noqa: E402
from viz.renderers import RacerRenderer  # noqa: E402


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", default="docs/racer-tracks.png")
    p.add_argument("--count", type=int, default=8)
    p.add_argument("--columns", type=int, default=4)
    args = p.parse_args()
    pygame.init()
    env = envs.make("racer")
    cell_w, cell_h, caption = 300, 220, 26
    rows = -(-args.count // args.columns)
    surf = pygame.Surface((args.columns * cell_w, rows * (cell_h + caption)))
    surf.fill(T.BG)
    batch = env.batch(args.count, seed=0, episodes=np.arange(args.count))
    batch.reset()
    for i in range(args.count):
        state = batch.states[i]
        renderer = RacerRenderer(env, single=True)
        x, y = (i % args.columns) * cell_w, (i // args.columns) * (cell_h + caption)
        renderer.draw(surf, pygame.Rect(x + 6, y + 6, cell_w - 12, cell_h - 12), state[None], np.ones(1), 0)
        text = f"{state[R.TRACK + R.T_LENGTH]:.0f} m, {2 * state[R.TRACK + R.T_HALF_WIDTH]:.1f} m wide"
        T.text(surf, text, (x + cell_w / 2, y + cell_h), 18, T.DIM, "midtop")
    pygame.image.save(surf, args.out)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
