"""``neuroevo record``: one episode of a genome rendered without a window, to a GIF or PNG frames."""

from __future__ import annotations

import io
import math
from pathlib import Path

import numpy as np

import viz
import pygame  # noqa: E402  (viz sets PYGAME_HIDE_SUPPORT_PROMPT first)

from viz.app import Replay, init_pygame  # noqa: E402
from viz.renderers import renderer_for  # noqa: E402


def check_record_target(out: Path) -> None:
    """Refuse, with one line, a recording target that would overwrite what is not a recording.

    A ``.gif`` may replace an earlier GIF but no other file; a frames
    directory must be new, empty or hold only ``frame_*.png`` files of an
    earlier recording (so neither the current directory nor any other
    directory of a user's files receives frames by accident).
    """
    if str(out).strip() == "":
        raise ValueError("--out must name a .gif file or a new directory for PNG frames")
    if out.suffix.lower() == ".gif":
        if not out.parent.is_dir():
            raise ValueError(f"directory {out.parent} does not exist")
        if out.is_dir() or out.exists() and out.read_bytes()[:4] != b"GIF8":
            raise ValueError(f"{out} exists and is not a GIF; choose another --out")
        return
    if out.suffix:
        raise ValueError(f"--out must be a .gif file or a directory for PNG frames, got {out}")
    if out.exists():
        if not out.is_dir():
            raise ValueError(f"{out} exists and is not a directory")
        if out.resolve() == Path.cwd().resolve():
            raise ValueError("--out is the current directory; name a new directory for the PNG frames")
        others = [p.name for p in out.iterdir() if not (p.name.startswith("frame_") and p.suffix == ".png")]
        if others:
            raise ValueError(f"{out} holds other files ({others[0]}, ...); name a new directory for the PNG frames")


def record(env, net, genome, out, *, seed: int = 0, steps: int | None = None, width: int = 480,
           label: str = "champion") -> int:
    """Render one episode of ``genome`` without a window, to a GIF or to PNG frames.

    Parameters
    ----------
    env : envs.Env
    net : evo.MLP
    genome : ndarray of shape (G,)
    out : str or Path
        A ``.gif`` file, or a directory that receives ``frame_00000.png`` ...
    seed : int
        Episode key.
    steps : int, optional
        Stop after this many game steps (default: the whole episode).
    width : int
        Frame width in pixels; the height follows the game's aspect ratio.

    Returns
    -------
    int
        Number of frames written (one every 40 ms of game time or more, at least one per step).
    """
    from PIL import Image

    from evo.runs.rundir import atomic_write

    out = Path(out)
    check_record_target(out)
    gif = out.suffix.lower() == ".gif"
    viz.use_dummy_video_if_headless()
    init_pygame()
    aspect = min(max(renderer_for(env).aspect, 0.75), 2.5)
    size = (int(width), int(width / aspect) + 68)
    surface = pygame.Surface(size)
    viewer = Replay(env, net, np.asarray(genome, np.float32), surface, seed=seed, label=label, loop=False)
    viewer.show_net = viewer.hint = False
    stride = max(1, math.ceil(0.04 / viewer.dt - 1e-9))
    limit = env.max_steps if steps is None else int(steps)
    if not gif:
        out.mkdir(parents=True, exist_ok=True)
    frames, palette = [], None

    def grab():
        nonlocal palette
        viewer.draw()
        img = Image.frombytes("RGB", size, pygame.image.tobytes(surface, "RGB"))
        if not gif:
            buf = io.BytesIO()
            img.save(buf, format="PNG")
            atomic_write(out / f"frame_{len(frames):05d}.png", buf.getvalue())
            frames.append(None)
        else:  # one palette, and one colour-to-index mapping, for all frames: small files, no flicker
            if palette is None:
                palette = img.quantize(colors=128, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
            frames.append(img.quantize(palette=palette, dither=Image.Dither.NONE))

    grab()
    while not viewer.episode.done and viewer.episode.t < limit:
        viewer.sim_step()
        if viewer.episode.t % stride == 0 or viewer.episode.done:
            grab()
    viewer.close()
    if gif:
        ms = 10 * int(round(100 * viewer.dt * stride))  # GIF delays are in hundredths of a second
        buf = io.BytesIO()
        frames[0].save(buf, format="GIF", save_all=True, append_images=frames[1:], loop=0,
                       duration=[ms] * (len(frames) - 1) + [1500])
        atomic_write(out, buf.getvalue())
    return len(frames)
