"""Write the README's images: ``docs/watch-<game>.png`` for every game and ``docs/champion.gif``.

Headless (SDL's dummy video driver). Each screenshot shows ``neuroevo watch``
after a few generations bred without a window, a moment into the next
generation's visible episode; the GIF is a flappy champion recorded as
``neuroevo record`` does.

    python scripts/screenshots.py [--out docs] [--games cartpole,flappy]
"""

from __future__ import annotations

import argparse
import os
import tempfile
from pathlib import Path

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")

from evo.runs.config import RunConfig, default_config  # noqa: E402
from evo.runs.driver import Evolution  # noqa: E402
from evo.runs.rundir import RunDir  # noqa: E402
from viz.app import Watch, open_window  # noqa: E402
from viz.record import record  # noqa: E402

# shot (a game, or the name of a variant whose extra config names the game): (generations bred first,
# frames played, extra config)
SHOTS = {
    "cartpole": (3, 150, {}),
    "flappy": (6, 100, {}),
    "snake": (25, 200, {}),
    "pong": (12, 400, {}),
    "racer": (12, 700, {}),
    "maze": (40, 120, {}),
    "maze-map-elites": (40, 120, {"env": "maze", "algorithm": "map_elites"}),
}


def screenshot(shot: str, out: Path, size=(1280, 720)) -> Path:
    generations, frames, extra = SHOTS[shot]
    config = RunConfig.from_dict({"target": 1e9, **extra}, base=default_config(extra.get("env", shot)))
    run = Evolution(config)
    for _ in range(generations):
        run.step()
    viewer = Watch(run, open_window(size), None, frame_time=1 / 60)
    viewer.run(frames=frames)
    path = out / f"watch-{shot}.png"
    viewer.save_screenshot(path)
    viewer.close()
    return path


def champion_gif(out: Path) -> Path:
    config = RunConfig.from_dict({"generations": 40}, base=default_config("flappy"))
    run = Evolution(config)
    while not run.finished:
        run.step()
    with tempfile.TemporaryDirectory() as tmp:
        rundir = RunDir(Path(tmp) / "run")
        rundir.create(run)
        from evo.runs.rundir import load_champion
        c = load_champion(rundir.path)
        env, net, genome, score = c.env, c.net, c.genome, c.validation
    path = out / "champion.gif"
    n = record(env, net, genome, path, seed=1, steps=360, width=420, label=f"flappy champion, validation {score:.3g}")
    print(f"champion after {run.generation} generations, validation {score:.4g}: {n} frames")
    return path


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", default="docs")
    p.add_argument("--games", default=",".join(SHOTS))
    p.add_argument("--no-gif", action="store_true")
    args = p.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    for game in args.games.split(","):
        print(screenshot(game, out), flush=True)
    if not args.no_gif:
        print(champion_gif(out))


if __name__ == "__main__":
    main()
