"""Frame rate of ``neuroevo watch``, headless (SDL's dummy video driver, 1280x720).

For 1000 flappy birds, then for every game at its preset population, the
viewer first breeds a few generations (so that the agents live a while), then
runs frames at 1x speed with simulated frame time 1/60 s and no frame cap.
Printed per case: the median frames per second of whole frames (events,
simulation steps, drawing), the same over the frames in which at least half
the population was alive, of drawing alone, the 90th percentile of the frame
time, and how many agents were alive at the start and end of the measurement.

    python benchmarks/viewer.py [--frames 300] [--games flappy,snake]

Numbers depend on the machine and on what else runs on it.
"""

from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")

import numpy as np  # noqa: E402

import envs  # noqa: E402
from evo.runs.config import RunConfig, default_config  # noqa: E402
from evo.runs.driver import Evolution  # noqa: E402
from viz.app import Watch, open_window  # noqa: E402
from machine import describe  # benchmarks/machine.py, beside this script  # noqa: E402


def measure(game: str, pop: int, frames: int, warm: int) -> dict:
    config = RunConfig.from_dict({"pop_size": pop, "target": 1e9}, base=default_config(game))
    run = Evolution(config)
    for _ in range(warm):
        run.step()
    viewer = Watch(run, open_window(), None, frame_time=1 / 60)
    viewer.run(frames=10)  # sprites and caches
    alive0 = viewer.episode.alive if viewer.episode else 0
    whole, draw, crowded = [], [], []
    for _ in range(frames):
        t0 = time.perf_counter()
        viewer.run(frames=1)
        t1 = time.perf_counter()
        viewer.draw()
        whole.append(t1 - t0)
        draw.append(time.perf_counter() - t1)
        if viewer.episode is not None and viewer.episode.alive * 2 >= pop:
            crowded.append(t1 - t0)
    alive1 = viewer.episode.alive if viewer.episode else 0
    return {"game": game, "pop": pop, "fps": 1 / np.median(whole), "draw_fps": 1 / np.median(draw),
            "crowded_fps": 1 / np.median(crowded) if crowded else float("nan"),
            "p90_ms": 1e3 * np.percentile(whole, 90), "alive": f"{alive0}->{alive1}"}


def main() -> None:
    print(describe(), flush=True)
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--frames", type=int, default=300)
    p.add_argument("--warm", type=int, default=4, help="generations bred before measuring")
    p.add_argument("--games", default=",".join(envs.names()))
    args = p.parse_args()
    cases = [("flappy", 1000)] + [(g, default_config(g).pop_size) for g in args.games.split(",")]
    print(f"{'game':10} {'pop':>5} {'fps':>6} {'half+ alive':>11} {'draw fps':>9} {'p90 ms':>7}  alive")
    for game, pop in cases:
        r = measure(game, pop, args.frames, args.warm)
        print(f"{r['game']:10} {r['pop']:5d} {r['fps']:6.0f} {r['crowded_fps']:11.0f} {r['draw_fps']:9.0f} "
              f"{r['p90_ms']:7.1f}  {r['alive']}", flush=True)


if __name__ == "__main__":
    main()
