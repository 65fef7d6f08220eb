"""The viewer's window: a clamped fixed-timestep frame loop, its keys, and the chrome around a game.

:class:`Viewer` is what ``neuroevo watch`` and ``neuroevo replay`` share
(:mod:`viz.app` holds both): a status bar, a game view, a side panel, a help
overlay, screenshots, and the loop that steps the simulation.

Controls
--------
=========  ==========================================================
Space      pause / resume
.          one simulation step while paused
+ / -      faster / slower: 1x, 2x, 4x ... 64x, max (as fast as it goes)
F          fast-forward 10 generations headless (watch)
B          show only the best agent, the leader (watch)
N          show / hide the network panel
P          the game as the network sees it: its pixel observation (a game
           played ``obs="pixels"``), or the game's own drawing again
S          screenshot, a PNG in the run directory
R          replay the best-ever champion for one episode (watch);
           restart the episode (replay)
[ / ]      replay an earlier / later generation's best; a click on the
           fitness chart replays the generation under it (watch)
H          show / hide this help
Esc, Q     quit (watch saves a checkpoint first)
=========  ==========================================================

The simulation is decoupled from the frame rate by a clamped fixed-timestep
loop (``acc += min(frame_time, 0.25) * speed; while acc >= dt: step()``), so
speeding up runs several game steps per frame and a slow frame cannot
snowball.
"""

from __future__ import annotations

import io
import math
import time
from collections import deque
from pathlib import Path

import viz  # noqa: F401  (sets PYGAME_HIDE_SUPPORT_PROMPT before pygame loads)
import pygame  # noqa: E402  (viz sets PYGAME_HIDE_SUPPORT_PROMPT first)

from viz import theme as T  # noqa: E402
from viz.episode import Episode  # noqa: E402
from viz.panels import NetworkPanel, fit_text  # noqa: E402
from viz.pixels import draw_observation  # noqa: E402
from viz.renderers import renderer_for  # noqa: E402

CONTROLS = (
    ("Space", "pause / resume"),
    (".", "one step while paused"),
    ("+ / -", "faster / slower (1x ... 64x, max)"),
    ("F", "fast-forward 10 generations"),
    ("B", "show only the best"),
    ("N", "show / hide the network"),
    ("P", "what the network sees (pixels) / the game"),
    ("S", "screenshot (PNG in the run directory)"),
    ("R", "replay the best-ever champion"),
    ("[ / ]", "replay a generation's best (or click the chart)"),
    ("H", "show / hide this help"),
    ("Esc, Q", "quit (checkpoint saved)"),
)
SPEEDS = (1, 2, 4, 8, 16, 32, 64, math.inf)
MAX_FRAME = 0.25       # clamp of the frame time fed to the accumulator (s)
STEP_BUDGET = 0.1      # wall seconds of stepping per frame before the backlog is dropped
MAX_SPEED_BUDGET = 0.014  # wall seconds of stepping per frame at "max" speed
WINDOW = (1280, 720)


def init_pygame() -> None:
    """Initialise only what the viewer uses: the display and the font modules (never the mixer)."""
    if not pygame.display.get_init():
        pygame.display.init()
    if not pygame.font.get_init():
        pygame.font.init()


def open_window(size=WINDOW, title: str = "neuroevo") -> pygame.Surface:
    """Open the resizable window; raises ValueError (one line) when there is no display."""
    try:
        init_pygame()
        screen = pygame.display.set_mode(size, pygame.RESIZABLE)
    except pygame.error as e:
        raise ValueError(f"cannot open a window ({e}); without a display use "
                         f"`watch --frames N --screenshot FILE.png` or `record`") from None
    pygame.display.set_caption(title)
    return screen


# -- the window -------------------------------------------------------------------------------


class Viewer:
    """A surface with a game view, side panels and a clamped fixed-timestep loop.

    Subclasses implement :meth:`sim_step`, :meth:`status` and the panels.
    Drive it in-process with :meth:`run` (``frames=N`` stops after N frames)
    and inject input with ``pygame.event.post``.

    Parameters
    ----------
    env : envs.Env
    surface : pygame.Surface
        The window (from :func:`open_window`) or any off-screen surface.
    frame_time : float, optional
        Simulated seconds per frame, for reproducible headless runs; by
        default real time is used and frames are capped at 60 per second.
    """

    def __init__(self, env, surface: pygame.Surface, frame_time: float | None = None):
        init_pygame()
        self.env = env
        self.surface = surface
        self.window = surface is pygame.display.get_surface()
        self.frame_time = frame_time
        self.renderer = renderer_for(env)
        self.dt = float(env.dt)
        self.clock = pygame.time.Clock()
        self.speed_i = 0
        self.paused = self.quit = False
        self.show_help = self.only_best = False
        self.show_net = True
        self.show_pixels = False  # the game view shows the leader's pixel observation (P)
        self.acc = 0.0
        self.frames = 0
        self.sim_steps = 0
        self.now = 0.0  # seconds of viewer time (real, or frame_time per frame)
        self._meter = deque(maxlen=90)
        self._message = ("", -1.0)
        self.shot_dir = Path(".")
        self.hint = True  # "H help" in the status bar
        self.keys = {
            pygame.K_ESCAPE: self.request_quit, pygame.K_q: self.request_quit,
            pygame.K_SPACE: self.toggle_pause, pygame.K_PERIOD: self.single_step, pygame.K_KP_PERIOD: self.single_step,
            pygame.K_PLUS: self.faster, pygame.K_EQUALS: self.faster, pygame.K_KP_PLUS: self.faster,
            pygame.K_MINUS: self.slower, pygame.K_KP_MINUS: self.slower,
            pygame.K_h: self.toggle_help, pygame.K_n: self.toggle_net, pygame.K_b: self.toggle_best,
            pygame.K_s: self.screenshot_key, pygame.K_p: self.toggle_pixels,
        }
        inputs = env.spec.obs_names
        self.network = NetworkPanel(inputs, self.renderer.action_names)

    # -- loop ------------------------------------------------------------------

    @property
    def speed(self) -> float:
        return SPEEDS[self.speed_i]

    def run(self, frames: int | None = None) -> None:
        """Run the loop until quit, or for ``frames`` frames."""
        stop = None if frames is None else self.frames + int(frames)
        while not self.quit and (stop is None or self.frames < stop):
            ms = self.clock.tick(0 if self.frame_time else 60)
            ft = self.frame_time if self.frame_time else ms / 1000.0
            for event in pygame.event.get():
                self.handle(event)
            if self.quit:
                break
            self.now += ft
            self.advance(ft)
            self.draw()
            if self.window:
                pygame.display.flip()
            self.frames += 1

    def handle(self, event) -> None:
        """The one place that handles input events."""
        if event.type == pygame.QUIT:
            self.request_quit()
        elif event.type == pygame.KEYDOWN:
            uni = getattr(event, "unicode", "")
            action = {"+": self.faster, "-": self.slower, ".": self.single_step}.get(uni) or self.keys.get(event.key)
            if action is not None:
                action()
        elif event.type == pygame.VIDEORESIZE and self.window:
            self.surface = pygame.display.get_surface()

    def advance(self, frame_time: float) -> None:
        """Run the simulation steps this frame owes (the clamped fixed-timestep accumulator)."""
        if self.paused:
            self.acc = 0.0
            return
        t0 = time.perf_counter()
        if math.isinf(self.speed):
            while time.perf_counter() - t0 < MAX_SPEED_BUDGET and self.sim_step():
                pass
        else:
            self.acc += min(frame_time, MAX_FRAME) * self.speed
            while self.acc >= self.dt:
                self.acc -= self.dt
                # nothing left to step, or (in real time) the machine cannot keep up: drop the backlog; with a
                # fixed frame time every frame plays its steps, so N frames show the same on any machine
                if not self.sim_step() or (self.frame_time is None and time.perf_counter() - t0 > STEP_BUDGET):
                    self.acc = 0.0
        self._meter.append((self.now, self.sim_steps))

    def sim_step(self) -> bool:
        """Advance the simulation by one ``dt``; False when there is nothing left to step."""
        raise NotImplementedError

    def measured_speed(self) -> float:
        """Simulated seconds per viewer second over the last frames."""
        if len(self._meter) < 2:
            return 0.0
        (t0, s0), (t1, s1) = self._meter[0], self._meter[-1]
        return (s1 - s0) * self.dt / (t1 - t0) if t1 > t0 else 0.0

    # -- controls --------------------------------------------------------------

    def request_quit(self):
        self.quit = True

    def toggle_pause(self):
        self.paused = not self.paused

    def single_step(self):
        if self.paused:
            self.sim_step()

    def faster(self):
        self.speed_i = min(self.speed_i + 1, len(SPEEDS) - 1)
        self.flash(f"speed {self.speed_label()}")

    def slower(self):
        self.speed_i = max(self.speed_i - 1, 0)
        self.flash(f"speed {self.speed_label()}")

    def toggle_help(self):
        self.show_help = not self.show_help

    def toggle_net(self):
        self.show_net = not self.show_net

    def toggle_pixels(self):
        if self.env.obs != "pixels":
            self.flash("the network sees features here, not pixels (--obs pixels)")
            return
        self.show_pixels = not self.show_pixels
        self.flash("what the network sees" if self.show_pixels else "the game")

    def toggle_best(self):
        self.only_best = not self.only_best
        self.flash("showing only the best" if self.only_best else "showing everyone")

    def screenshot_key(self):
        self.shot_dir.mkdir(parents=True, exist_ok=True)
        k = 0
        while (path := self.shot_dir / f"screenshot-{self.frames:06d}-{k}.png").exists():
            k += 1
        self.save_screenshot(path)
        self.flash(f"saved {path}")

    def save_screenshot(self, path) -> None:
        """Write the current frame as a PNG (whole or not at all: through a temporary file and a rename)."""
        save_png(self.surface, path)

    def flash(self, message: str, seconds: float = 1.5) -> None:
        """Show ``message`` over the game view for a moment."""
        self._message = (message, self.now + seconds)

    def speed_label(self) -> str:
        return "max" if math.isinf(self.speed) else f"{self.speed:g}x"

    # -- drawing ---------------------------------------------------------------

    def layout(self) -> tuple:
        """(status bar, game area, side panel or None) for the current surface size."""
        W, H = self.surface.get_size()
        status = pygame.Rect(0, 0, W, 30)
        side_w = self.side_width(W)
        game = pygame.Rect(8, 38, W - 16 - (side_w + 8 if side_w else 0), H - 38 - 28)
        side = pygame.Rect(game.right + 8, 38, side_w, H - 46) if side_w else None
        return status, game, side

    def side_width(self, W: int) -> int:
        return min(460, max(250, int(W * 0.31))) if W >= 640 else 0

    def draw(self) -> None:
        surf = self.surface
        surf.fill(T.BG)
        status, game, side = self.layout()
        self.draw_game(surf, game)
        if side is not None:
            self.draw_side(surf, side)
        surf.fill(T.PANEL, status)
        pygame.draw.line(surf, T.EDGE, status.bottomleft, status.bottomright)
        left = fit_text(self.status(), status.w - (110 if self.hint else 20), 20)
        T.text(surf, left, (10, status.centery), 20, T.TEXT, "midleft")
        if self.hint:
            T.text(surf, "H  help", (status.right - 10, status.centery), 18, T.DIM, "midright")
        msg, until = self._message
        if msg and self.now < until:
            img = T.render(msg, 24, T.TEXT)
            box = img.get_rect(midbottom=(game.centerx, game.bottom - 14)).inflate(20, 10)
            shade(surf, box, 200)
            surf.blit(img, img.get_rect(center=box.center))
        if self.paused:
            T.text(surf, "paused", (game.right - 10, game.y + 8), 26, T.LEADER, "topright")
        if self.show_help:
            self.draw_help(surf)

    def draw_game(self, surf, area) -> None:
        raise NotImplementedError

    def draw_side(self, surf, rect) -> None:
        pass

    def status(self) -> str:
        return ""

    def draw_episode(self, surf, area, episode: Episode, caption: str = "") -> None:
        """The game view of an episode in the best rectangle of ``area`` for the renderer, and its info line."""
        if self.show_pixels:  # the leader's observation, the image its network reads next
            view = draw_observation(surf, pygame.Rect(area.x, area.y, area.w, area.h - 24),
                                    episode.obs[episode.leader].reshape(self.env.obs_shape))
        else:
            view = fit(area, self.renderer.aspect)
            self.renderer.show_policy(episode.net, episode.genomes[episode.leader])
            self.renderer.draw(surf, view, episode.batch.states, episode.fade(), episode.leader, self.only_best)
        pygame.draw.rect(surf, T.EDGE, view.inflate(2, 2), 1)
        lead = episode.batch.states[episode.leader]
        info = self.renderer.info(lead)
        score = self.renderer.score(float(episode.batch.returns[episode.leader]), lead)
        line = "   ".join(p for p in (caption, score, info) if p)
        T.text(surf, fit_text(line, area.w, 18), (view.x, view.bottom + 6), 18, T.DIM)

    def draw_network(self, surf, rect, episode: Episode, title: str) -> None:
        surf.fill(T.PANEL, rect)
        T.text(surf, fit_text(title, rect.w - 20, 20), (rect.x + 10, rect.y + 8), 20, T.TEXT)
        body = pygame.Rect(rect.x, rect.y + 28, rect.w, rect.h - 30)
        i = episode.leader
        self.network.draw(surf, body, self.net_layout, episode.genomes[i], episode.obs[i], episode.chosen(),
                          state=episode.memory[i])

    def draw_help(self, surf) -> None:
        W, H = surf.get_size()
        rows = self.controls()
        box = pygame.Rect(0, 0, 430, 58 + 26 * len(rows))
        box.center = (W // 2, H // 2)
        shade(surf, box, 225)
        pygame.draw.rect(surf, T.EDGE, box, 1, border_radius=6)
        T.text(surf, "controls", (box.x + 20, box.y + 16), 24, T.LEADER)
        for k, (key, what) in enumerate(rows):
            y = box.y + 50 + 26 * k
            T.text(surf, key, (box.x + 20, y), 21, T.TEXT)
            T.text(surf, what, (box.x + 115, y), 21, T.DIM)

    def controls(self) -> list:
        """The (key, what it does) rows of the help overlay."""
        return list(CONTROLS)

    def close(self) -> None:
        pass


def save_png(surface: pygame.Surface, path) -> None:
    """Write ``surface`` to ``path`` as a PNG, atomically."""
    from evo.runs.rundir import atomic_write

    buf = io.BytesIO()
    pygame.image.save(surface, buf, "png")
    atomic_write(Path(path), buf.getvalue())


def fit(area: pygame.Rect, aspect: float) -> pygame.Rect:
    """The largest rectangle of width/height ``aspect`` in ``area``, centred across, at the top
    (the caption row goes under it; the spare height stays below, not as a band above)."""
    w = min(area.w, int(area.h * aspect))
    h = min(area.h, int(w / aspect))
    r = pygame.Rect(0, 0, w, h)
    r.midtop = (area.centerx, area.y)
    return r


def shade(surf, rect, alpha: int) -> None:
    shade = pygame.Surface(rect.size, pygame.SRCALPHA)
    shade.fill((*T.BG, alpha))
    surf.blit(shade, rect)
