"""The viewer's windows: ``neuroevo watch`` and ``neuroevo replay`` (``neuroevo record`` draws the
replay viewer off screen: :mod:`viz.record`; the episode it shows: :mod:`viz.episode`).

``watch ENV`` opens a resizable window in which the whole current generation
plays at once: every agent drawn, the dead fading out, the leader (highest
return so far among the living) highlighted, its network drawn live beside a
chart of best and mean fitness. When every agent is done, the genetic
algorithm breeds the next generation and play resumes. What is drawn is what
is scored: each generation is first evaluated by the fused kernel, then its
first episode is played visibly step by step, and the two agree exactly.
Quitting saves a checkpoint in the run directory (``neuroevo run --resume``
continues it).

``replay DIR`` plays a run's champion in a window, episode after episode.

Controls
--------
=========  ==========================================================
Space      pause / resume
.          one simulation step while paused
+ / -      faster / slower: 1x, 2x, 4x ... 64x, max (as fast as it goes)
F          fast-forward 10 generations headless (watch)
B          show only the best agent, the leader (watch)
N          show / hide the network panel
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

import math
import os
import time
from collections import deque
from contextlib import nullcontext
from pathlib import Path

import numpy as np

import viz
import pygame  # noqa: E402  (viz sets PYGAME_HIDE_SUPPORT_PROMPT first)

from viz import theme as T  # noqa: E402
from viz.episode import Episode, one_thread  # noqa: E402
from viz.panels import BehaviourPanel, FitnessChart, NetworkPanel, fit_text  # noqa: E402
from viz.renderers import renderer_for  # noqa: E402

CONTROLS = (
    ("Space", "pause / resume"),
    (".", "one step while paused"),
    ("+ / -", "faster / slower (1x ... 64x, max)"),
    ("F", "fast-forward 10 generations"),
    ("B", "show only the best"),
    ("N", "show / hide the network"),
    ("S", "screenshot (PNG in the run directory)"),
    ("R", "replay the best-ever champion"),
    ("[ / ]", "replay a generation's best (or click the chart)"),
    ("H", "show / hide this help"),
    ("Esc, Q", "quit (checkpoint saved)"),
)
SPEEDS = (1, 2, 4, 8, 16, 32, 64, math.inf)
FAST_FORWARD = 10      # generations per F
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
            pygame.K_s: self.screenshot_key,
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
                if not self.sim_step() or time.perf_counter() - t0 > STEP_BUDGET:
                    self.acc = 0.0  # nothing left to step, or the machine cannot keep up: drop the backlog
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
        """Write the current frame as a PNG."""
        pygame.image.save(self.surface, str(path))

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
            _shade(surf, box, 200)
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
        view = _fit(area, self.renderer.aspect)
        self.renderer.show_policy(episode.net, episode.genomes[episode.leader])
        self.renderer.draw(surf, view, episode.batch.states, episode.fade(), episode.leader, self.only_best)
        pygame.draw.rect(surf, T.EDGE, view.inflate(2, 2), 1)
        lead = episode.batch.states[episode.leader]
        info = self.renderer.info(lead)
        line = "   ".join(p for p in (caption, f"return {episode.batch.returns[episode.leader]:.4g}", info) if p)
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
        _shade(surf, box, 225)
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


def _fit(area: pygame.Rect, aspect: float) -> pygame.Rect:
    """The largest rectangle of width/height ``aspect`` in ``area``, centred across, at the top
    (the caption row goes under it; the spare height stays below, not as a band above)."""
    w = min(area.w, int(area.h * aspect))
    h = min(area.h, int(w / aspect))
    r = pygame.Rect(0, 0, w, h)
    r.midtop = (area.centerx, area.y)
    return r


def _shade(surf, rect, alpha: int) -> None:
    shade = pygame.Surface(rect.size, pygame.SRCALPHA)
    shade.fill((*T.BG, alpha))
    surf.blit(shade, rect)


# -- watch ------------------------------------------------------------------------------------


class Watch(Viewer):
    """Evolution in a window: each generation is scored by the fused kernel and played visibly.

    Parameters
    ----------
    run : evo.runs.driver.Evolution
    surface : pygame.Surface
    rundir : evo.runs.driver.RunDir, optional
        Where the log, checkpoints and screenshots go.
    frame_time : float, optional
        See :class:`Viewer`.
    """

    def __init__(self, run, surface, rundir=None, frame_time=None):
        super().__init__(run.env, surface, frame_time)
        self.evo = run
        self.rundir = rundir
        if rundir is not None:
            self.shot_dir = Path(rundir.path)
        self.net_layout = run.net.layout
        self.chart = FitnessChart()
        self.behaviour = BehaviourPanel(run.env.behaviour_space) if run.needs_behaviour else None
        self.keys.update({pygame.K_f: self.fast_forward, pygame.K_r: self.replay_champion,
                          pygame.K_LEFTBRACKET: lambda: self.replay_generation(-1),
                          pygame.K_RIGHTBRACKET: lambda: self.replay_generation(+1)})
        self.replaying = None  # the generation whose best is replayed, or None for the champion
        self._chart_rect = None
        self.ff_left = 0
        self.replay: Episode | None = None
        self._replay_seed = 0
        self._hold = 0
        self.episode: Episode | None = None
        self.scored = None
        self.start_generation()

    def start_generation(self) -> None:
        """Score the GA's population (fused), then set up its episode 0 to be played visibly."""
        from evo.kernels.evaluate import rollout

        run = self.evo
        if run.finished:
            self.episode = None
            self.replay_champion(loop=True)
            return
        genomes = np.array(run.algorithm.ask())
        seed, env = run.train_seed(), run.train_env()
        with self.threads():
            self.scored = rollout(env, run.net, genomes, run.config.episodes, seed,
                                  backend=run.config.backend, address=run.config.address or None,
                                  behaviour=run.needs_behaviour)
        if self.episode is not None:
            self.episode.close()
        self.episode = Episode(env, run.net, genomes, seed)

    def breed(self) -> None:
        """Hand the generation's fused scores (which equal the drawn episode 0) to the GA."""
        self.episode.close()
        self.episode = None
        with self.threads():
            row = self.evo.step(self.scored.returns, self.scored.steps, self.scored.behaviour)
        self.after_generation(row)

    def threads(self):
        """All threads for the fused kernel; one for a Gymnasium game, which steps in Python with one
        small forward pass per step."""
        return nullcontext() if self.env.fused else one_thread()

    def after_generation(self, row) -> None:
        run, d = self.evo, self.rundir
        if d is not None:
            d.write_log(run.history)
            if run.generation % run.config.checkpoint_every == 0 or run.finished:
                d.save_checkpoint(run)
                d.save_champion(run)
        self.flash(f"generation {row['generation']}: best {row['best']:.4g}, mean {row['mean']:.4g}", 2.0)
        if run.finished:
            verdict = "solved" if run.solved else "finished"
            self.flash(f"{verdict} after {run.generation} generations; champion {run.champion_score:.4g}", 4.0)

    def sim_step(self) -> bool:
        self.sim_steps += 1
        if self.replay is not None:
            return self._replay_step()
        if self.episode is None:
            return False
        if self.episode.done:
            self.breed()
            self.start_generation()
            return True
        self.episode.step()
        return True

    def _replay_step(self) -> bool:
        if not self.replay.done:
            self.replay.step()
            return True
        self._hold += 1
        if self._hold * self.dt < 1.0:  # show the end for a second
            return True
        self._hold = 0
        if self.evo.finished and self.replaying is None:  # evolution is over: the champion plays on
            self._replay_seed += 1
            self._start_replay()
        else:
            self.replay.close()
            self.replay = None
        return True

    def _start_replay(self) -> None:
        if self.replay is not None:
            self.replay.close()
        genome = self.evo.champion if self.replaying is None else self.evo.bests[self.replaying]
        self.replay = Episode(self.env, self.evo.net, genome[None], self._replay_seed)

    def replay_generation(self, where) -> None:
        """Replay one generation's best genome: ``where`` is a generation, or -1/+1 from the one replayed."""
        n = len(self.evo.bests)
        if n == 0:
            self.flash("no generation has finished yet")
            return
        if isinstance(where, int) and where in (-1, 1) and not isinstance(where, bool):
            current = self.replaying if self.replaying is not None else n
            where = min(max(current + where, 0), n - 1)
        self.replaying = int(where)
        self._start_replay()

    def replay_champion(self, loop: bool = False) -> None:
        """Play the best-ever champion for one episode (again with R: back to the population)."""
        if self.replay is not None and not loop:
            if self.evo.finished:
                self.flash("evolution has finished: the champion plays on (Q quits)")
                return
            self.replay.close()
            self.replay = None
            return
        if self.evo.champion is None:
            self.flash("no champion yet: it is chosen after the first generation")
            return
        self.replaying = None
        self._start_replay()

    def fast_forward(self) -> None:
        """Breed the next FAST_FORWARD generations headless, one per frame, with progress on screen."""
        if self.evo.finished:
            self.flash("evolution has finished")
            return
        if self.replay is not None:
            self.replay.close()
            self.replay = None
        self.ff_left = FAST_FORWARD

    def advance(self, frame_time) -> None:
        if self.ff_left > 0:
            if self.episode is not None:  # the visible generation is already scored
                self.breed()
            else:
                with self.threads():
                    row = self.evo.step()
                self.after_generation(row)
            self.ff_left -= 1
            if self.evo.finished:
                self.ff_left = 0
            if self.ff_left == 0:
                self.start_generation()
            self._meter.append((self.now, self.sim_steps))
            return
        super().advance(frame_time)

    # -- drawing ---------------------------------------------------------------

    def status(self) -> str:
        run = self.evo
        best_ever = max((r["best"] for r in run.history), default=None)
        shown = self.replay if self.replay is not None else self.episode
        setting = self.renderer.setting(shown.batch.states[shown.leader] if shown is not None else None)
        parts = [game_title(run.env)] + ([setting] if setting else []) + [f"generation {run.generation}"]
        if self.replay is not None:
            parts.append(f"replaying the champion (validation {run.champion_score:.4g})" if self.replaying is None
                         else f"replaying the best of generation {self.replaying} ([ ] other generations)")
        elif self.episode is not None:
            ep = self.episode
            parts += [f"alive {ep.alive}/{ep.n}", f"this gen {ep.batch.returns.max():.3g}"]
        parts.append(f"best ever {best_ever:.3g}" if best_ever is not None else "best ever -")
        sigma = getattr(run.algorithm, "sigma", None)  # an evolution strategy's step size
        if isinstance(sigma, (int, float, np.floating)):
            parts.append(f"step size {float(sigma):.3g}")
        speed = self.speed_label()
        actual = self.measured_speed()
        if not self.paused and not self.ff_left and self.frames > 30 and actual < 0.7 * min(self.speed, 1e9):
            speed += f" (now {actual:.3g}x)"
        parts += [f"speed {speed}", f"{self.clock.get_fps():.0f} fps"]
        return "   ".join(parts)

    def draw_game(self, surf, area) -> None:
        if self.ff_left > 0 or (self.episode is None and self.replay is None):
            self._draw_progress(surf, area)
        elif self.replay is not None:
            self.draw_episode(surf, area, self.replay, "champion")
        else:
            self.draw_episode(surf, area, self.episode, f"leader #{self.episode.leader}")

    def _draw_progress(self, surf, area) -> None:
        surf.fill(T.FIELD, area)
        run = self.evo
        done = FAST_FORWARD - self.ff_left
        T.text(surf, f"fast-forward: generation {run.generation}", (area.centerx, area.centery - 40), 32, T.TEXT,
               "center")
        bar = pygame.Rect(0, 0, min(420, area.w - 40), 14)
        bar.center = area.center
        pygame.draw.rect(surf, T.EDGE, bar, 1, border_radius=7)
        fill = bar.inflate(-4, -4)
        fill.w = int(fill.w * done / FAST_FORWARD)
        pygame.draw.rect(surf, T.LEADER, fill, border_radius=5)
        if run.history:
            r = run.history[-1]
            T.text(surf, f"best {r['best']:.4g}   mean {r['mean']:.4g}   champion {run.champion_score:.4g}",
                   (area.centerx, area.centery + 34), 22, T.DIM, "center")

    def draw_side(self, surf, rect) -> None:
        ep = self.replay if self.replay is not None else self.episode
        if self.behaviour is not None:  # novelty search's archive or MAP-Elites' map, under the chart
            map_h = min(int(rect.h * 0.45), rect.w + 50)
            self.behaviour.draw(surf, pygame.Rect(rect.x, rect.bottom - map_h, rect.w, map_h), self.evo.algorithm)
            rect = pygame.Rect(rect.x, rect.y, rect.w, rect.h - map_h - 8)
        if self.show_net and ep is not None:
            net_h = int(rect.h * 0.6)
            who = "champion" if ep is self.replay else f"leader #{ep.leader}"
            self.draw_network(surf, pygame.Rect(rect.x, rect.y, rect.w, net_h - 8), ep, f"network of the {who}")
            chart = pygame.Rect(rect.x, rect.y + net_h, rect.w, rect.h - net_h)
        else:
            chart = rect
        self.chart.draw(surf, chart, self.evo.history)
        self._chart_rect = chart

    def handle(self, event) -> None:
        if event.type == pygame.MOUSEBUTTONDOWN and self._chart_rect is not None \
                and self._chart_rect.collidepoint(event.pos):
            g = self.chart.generation_at(self._chart_rect, event.pos[0], len(self.evo.history))
            if g is not None:
                self.replay_generation(g)
                return
        super().handle(event)

    def close(self) -> None:
        """Save the log, checkpoint, champion and plot (quitting keeps a checkpoint)."""
        d, run = self.rundir, self.evo
        if d is not None:
            d.write_log(run.history)
            d.save_checkpoint(run)
            d.save_champion(run)
            if run.history:
                d.plot(run.history)
        for ep in (self.episode, self.replay):
            if ep is not None:
                ep.close()


# -- replay -----------------------------------------------------------------------------------


class Replay(Viewer):
    """A champion playing episode after episode (keys: Space . + - N S R H Esc/Q)."""

    def __init__(self, env, net, genome, surface, seed: int = 0, label: str = "champion", frame_time=None,
                 loop: bool = True):
        super().__init__(env, surface, frame_time)
        self.net, self.genome, self.seed, self.label, self.loop = net, genome, int(seed), label, loop
        self.net_layout = net.layout
        self.keys[pygame.K_r] = self.restart
        self._hold = 0
        self.episode = Episode(env, net, genome[None], self.seed)

    def restart(self) -> None:
        self.episode.close()
        self.episode = Episode(self.env, self.net, self.genome[None], self.seed)

    def sim_step(self) -> bool:
        self.sim_steps += 1
        if not self.episode.done:
            self.episode.step()
            return True
        if not self.loop:
            return False
        self._hold += 1
        if self._hold * self.dt >= 1.0:
            self._hold = 0
            self.seed += 1
            self.restart()
        return True

    def status(self) -> str:
        ep = self.episode
        setting = self.renderer.setting(ep.batch.states[ep.leader])
        parts = [self.label] + ([setting] if setting else []) + [f"episode {self.seed}", f"step {ep.t}"]
        if self.hint:  # in a window, not in a recording
            parts += [f"speed {self.speed_label()}", f"{self.clock.get_fps():.0f} fps"]
        return "   ".join(parts)

    def side_width(self, W: int) -> int:
        return super().side_width(W) if self.show_net else 0

    def draw_game(self, surf, area) -> None:
        self.draw_episode(surf, area, self.episode)

    def draw_side(self, surf, rect) -> None:
        self.draw_network(surf, rect, self.episode, "network")

    def controls(self) -> list:
        meaning = {"R": "restart the episode", "Esc, Q": "quit"}
        return [(k, meaning.get(k, v)) for k, v in CONTROLS if k not in ("F", "B", "[ / ]")]

    def close(self) -> None:
        self.episode.close()


# -- labels ---------------------------------------------------------------------------------


def game_title(env) -> str:
    """The game's name with its level, e.g. ``flappy, level moving`` (a game of one level: its name)."""
    level = getattr(env, "level", None)
    return env.name if not level or level == "default" else f"{env.name}, level {level}"


# -- commands ---------------------------------------------------------------------------------


def need_display(interactive: bool) -> None:
    """A window needs a display; a run of a fixed number of frames can do without one (ValueError if none)."""
    if not viz.has_display():
        if interactive and os.environ.get("SDL_VIDEODRIVER") != "dummy":
            raise ValueError("no display (DISPLAY is not set); use `watch --frames N --screenshot FILE.png` "
                             "or `record` to render without one")
        os.environ.setdefault("SDL_VIDEODRIVER", "dummy")


def watch(run, rundir=None, *, frames: int | None = None, screenshot=None) -> None:
    """Show ``run`` evolving in a window (``frames`` frames at 60 per simulated second, or until quit)."""
    need_display(frames is None)
    screen = open_window(title=f"neuroevo watch {run.config.env}")
    viewer = Watch(run, screen, rundir, frame_time=1 / 60 if frames else None)
    try:
        viewer.run(frames=frames)
        if screenshot:
            viewer.save_screenshot(screenshot)
    finally:
        viewer.close()
        pygame.display.quit()


def replay(env, net, genome, *, label: str, seed: int = 0, shot_dir=None) -> None:
    """Play a genome in a window, episode after episode, until quit."""
    need_display(True)
    screen = open_window(title=f"neuroevo replay {env.name}")
    viewer = Replay(env, net, genome, screen, seed=seed, label=label)
    if shot_dir is not None:
        viewer.shot_dir = Path(shot_dir)
    try:
        viewer.run()
    finally:
        viewer.close()
        pygame.display.quit()
