"""The viewer's windows: ``neuroevo watch`` and ``neuroevo replay`` (``neuroevo record`` draws the
replay viewer off screen: :mod:`viz.record`; the episode it shows: :mod:`viz.episode`; the window, its
frame loop and keys: :mod:`viz.window`).

``watch ENV`` opens a resizable window in which the whole current generation
plays at once: every agent drawn, the dead fading out, the leader (highest
return so far among the living) highlighted, its network drawn live beside a
chart of best and mean fitness. When every agent is done, the genetic
algorithm breeds the next generation and play resumes. The generations go
through the run driver (:class:`evo.runs.driver.Driver`) as in ``neuroevo
run``, paced by the window: each is first evaluated by the fused kernel, its
first episode is then played visibly step by step (what is drawn is what is
scored: the two agree exactly), and its scores are bred. Quitting saves a
checkpoint in the run directory (``neuroevo run --resume`` continues it).

``replay DIR`` plays a run's champion in a window, episode after episode.
The keys of both are listed in :mod:`viz.window`.
"""

from __future__ import annotations

import os
import threading
import time
from contextlib import nullcontext
from pathlib import Path

import numpy as np

import viz
import pygame  # noqa: E402  (viz sets PYGAME_HIDE_SUPPORT_PROMPT first)

from evo.networks.neat import NEATLayout  # noqa: E402
from evo.runs.driver import Driver  # noqa: E402
from evo.runs.hooks import Hook  # noqa: E402
from evo.runs.rundir import RunFiles  # noqa: E402
from viz import theme as T  # noqa: E402
from viz.episode import Episode, one_thread  # noqa: E402
from viz.front import FrontPanel  # noqa: E402
from viz.panels import BehaviourPanel, FitnessChart  # noqa: E402
from viz.neat import SpeciesChart  # noqa: E402
from viz.window import (CONTROLS, MAX_FRAME, SPEEDS, WINDOW, Viewer, init_pygame,  # noqa: E402, F401
                        open_window)

FAST_FORWARD = 10      # generations per F


# -- watch ------------------------------------------------------------------------------------


class Watch(Viewer):
    """Evolution in a window: each generation is scored by the fused kernel and played visibly.

    Parameters
    ----------
    run : evo.runs.driver.Evolution
    surface : pygame.Surface
    rundir : evo.runs.rundir.RunDir, optional
        Where the log, checkpoints and screenshots go (kept by a
        :class:`evo.runs.rundir.RunFiles` hook, without ``timing.csv``).
    frame_time : float, optional
        See :class:`viz.window.Viewer`.

    Attributes
    ----------
    driver : evo.runs.driver.Driver
        The run's driver: :meth:`start_generation` evaluates through it,
        :meth:`breed` and fast-forward breed through it, :meth:`close` stops it.
    """

    def __init__(self, run, surface, rundir=None, frame_time=None):
        super().__init__(run.env, surface, frame_time)
        self.evo = run
        self.rundir = rundir
        if rundir is not None:
            self.shot_dir = Path(rundir.path)
        files = [RunFiles(rundir, plot_empty=False)] if rundir is not None else []
        self.driver = Driver(run, [*files, _Notes(self)])
        self.net_layout = run.net.layout
        self.chart = FitnessChart()
        self.behaviour = BehaviourPanel(run.env.behaviour_space) if run.needs_behaviour else None
        self.species = SpeciesChart() if isinstance(run.net.layout, NEATLayout) else None  # NEAT's species
        self.front = FrontPanel() if len(run.objectives) else None  # several objectives: NSGA-II's front
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
        """Score the GA's population (fused, through the driver), then set up its episode 0 to be played visibly."""
        run = self.evo
        if run.finished:
            self.episode = None
            self.replay_champion(loop=True)
            return
        genomes = np.array(run.algorithm.ask())
        seed, env = run.train_seed(), run.train_env()
        with self.threads():
            self.scored = self.driver.evaluate()
        if self.episode is not None:
            self.episode.close()
        self.episode = Episode(env, run.net, genomes, seed)

    def breed(self) -> None:
        """Hand the generation's fused scores (which equal the drawn episode 0) to the GA."""
        self.episode.close()
        self.episode = None
        with self.threads():
            self.driver.generation(self.scored)

    def threads(self):
        """All threads for the fused kernel; one for a Gymnasium game, which steps in Python with one
        small forward pass per step."""
        return nullcontext() if self.env.fused else one_thread()

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
        if self.evo.finished:  # evolution is over: the champion plays on (after a generation's best, again)
            if self.replaying is None:
                self._replay_seed += 1
            else:
                self.flash("back to the champion")
            self.replaying = None
            self._start_replay()
        else:  # back to the generation playing
            self.replay.close()
            self.replay = None
            self.replaying = None
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
        """Play the best-ever champion for one episode (again with R: back to the population; once
        evolution has finished, the champion plays on, and R brings it back from a generation's best)."""
        if self.replay is not None and not loop:
            if not self.evo.finished:
                self.replay.close()
                self.replay = None
                self.replaying = None
                return
            if self.replaying is None:
                self.flash("evolution has finished: the champion plays on (Q quits)")
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
                    self.driver.generation()
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
        parts = [game_title(run.env)] + ([setting] if setting else []) + [self.generation_words()]
        if self.replay is not None:
            parts.append(f"replaying the champion (validation {self.renderer.fitness(run.champion_score)})"
                         if self.replaying is None
                         else f"replaying generation {self.replaying}'s best ([ ] other generations)")
        elif self.episode is not None:
            ep = self.episode
            parts += self.renderer.playing(ep.batch.returns, ep.batch.done, ep.t)
        parts.append(f"best ever {self.renderer.fitness(best_ever)}" if best_ever is not None else "best ever -")
        sigma = getattr(run.algorithm, "sigma", None)  # an evolution strategy's step size
        if isinstance(sigma, (int, float, np.floating)):
            parts.append(f"step size {float(sigma):.3g}")
        speed = self.speed_label()
        actual = self.measured_speed()
        if not self.paused and not self.ff_left and self.frames > 30 and actual < 0.7 * min(self.speed, 1e9):
            speed += f" (now {actual:.3g}x)"
        parts += [f"speed {speed}", f"{self.clock.get_fps():.0f} fps"]
        return "   ".join(parts)

    def generation_words(self) -> str:
        """The generation the status line names: the one playing, or once evolution has finished the last one
        (the fitness chart's axis ends at the same generation)."""
        run = self.evo
        if not run.finished or not run.history:
            return f"generation {run.generation}"
        return f"{'solved' if run.solved else 'finished'} at generation {run.history[-1]['generation']}"

    def subject(self) -> str:
        """Who is shown: ``champion``, ``generation 6's best`` (a replay) or ``leader #3`` (the population)."""
        if self.replay is not None:
            return "champion" if self.replaying is None else f"generation {self.replaying}'s best"
        return f"leader #{self.episode.leader}" if self.episode is not None else ""

    def draw_game(self, surf, area) -> None:
        if self.ff_left > 0:
            self._draw_progress(surf, area)
        elif self.replay is not None:
            self.draw_episode(surf, area, self.replay, self.subject())
        elif self.episode is not None:
            self.draw_episode(surf, area, self.episode, self.subject())
        else:  # nothing to play: evolution has finished without a champion
            surf.fill(T.FIELD, area)
            T.text(surf, "evolution has finished; no champion to play", area.center, 26, T.DIM, "center")

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
        if self.species is not None:  # NEAT's species sizes, under the chart
            band = int(rect.h * 0.22)
            self.species.draw(surf, pygame.Rect(rect.x, rect.bottom - band, rect.w, band))
            rect = pygame.Rect(rect.x, rect.y, rect.w, rect.h - band - 8)
        if self.front is not None:  # the population NSGA-II keeps, under the chart
            band = int(rect.h * 0.3)
            self.front.draw(surf, pygame.Rect(rect.x, rect.bottom - band, rect.w, band),
                            self.evo.objectives.front(self.evo.algorithm))
            rect = pygame.Rect(rect.x, rect.y, rect.w, rect.h - band - 8)
        if self.show_net and ep is not None:
            net_h = int(rect.h * 0.6)
            who = self.subject()
            title = f"network of {who}" if who.startswith("generation") else f"network of the {who}"
            self.draw_network(surf, pygame.Rect(rect.x, rect.y, rect.w, net_h - 8), ep, title)
            chart = pygame.Rect(rect.x, rect.y + net_h, rect.w, rect.h - net_h)
        else:
            chart = rect
        self.chart.draw(surf, chart, self.evo.history, self._playing(),
                        self.replaying if self.replay is not None else None)
        self._chart_rect = chart

    def _playing(self) -> int | None:
        """The generation in play, which the chart's axis reaches (None once evolution has finished)."""
        return None if self.evo.finished else self.evo.generation

    def handle(self, event) -> None:
        if event.type == pygame.MOUSEBUTTONDOWN and self._chart_rect is not None \
                and self._chart_rect.collidepoint(event.pos):
            g = self.chart.generation_at(self._chart_rect, event.pos[0], len(self.evo.history), self._playing())
            if g is not None:
                self.replay_generation(g)
                return
        super().handle(event)

    def close(self) -> None:
        """Stop the run's driver: its files save the log, checkpoint, champion and plot (quitting keeps a
        checkpoint)."""
        self.driver.stop("finished" if self.evo.finished else "requested")
        for ep in (self.episode, self.replay):
            if ep is not None:
                ep.close()


class _Notes(Hook):
    """The watch window's note at each generation's end (and when evolution has finished)."""

    def __init__(self, viewer):
        self.viewer = viewer

    def generation_end(self, run, row, seconds):
        self.viewer.flash(f"generation {row['generation']}: best {row['best']:.4g}, mean {row['mean']:.4g}", 2.0)
        if self.viewer.species is not None:
            self.viewer.species.record(run.algorithm.species)
        if run.finished:
            verdict = "solved" if run.solved else "finished"
            self.viewer.flash(f"{verdict} at generation {row['generation']}; champion {run.champion_score:.4g}", 4.0)


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
    """The game's name with its level, e.g. ``flappy (level moving)`` (a game of one level: its name)."""
    level = getattr(env, "level", None)
    return env.name if not level or level == "default" else f"{env.name} (level {level})"


# -- commands ---------------------------------------------------------------------------------


def need_display(interactive: bool) -> None:
    """A window needs a display; a run of a fixed number of frames can do without one (ValueError if none)."""
    if not viz.has_display():
        if interactive and os.environ.get("SDL_VIDEODRIVER") != "dummy":
            raise ValueError("no display (DISPLAY is not set); use `watch --frames N --screenshot FILE.png` "
                             "or `record` to render without one")
        os.environ.setdefault("SDL_VIDEODRIVER", "dummy")


def speed_index(speed: float) -> int:
    """The index in :data:`viz.window.SPEEDS` of ``speed`` (ValueError, one line, for another)."""
    if speed not in SPEEDS:
        raise ValueError(f"speed must be one of {', '.join(f'{s:g}' for s in SPEEDS[:-1])} or max, got {speed:g}")
    return SPEEDS.index(speed)


def _show(viewer: Viewer, frames: int | None, screenshot) -> None:
    """Run ``viewer`` until quit or for ``frames`` frames, then save the last frame to ``screenshot`` if given."""
    try:
        viewer.run(frames=frames)
        if screenshot:
            viewer.save_screenshot(screenshot)
    finally:
        viewer.close()
        pygame.display.quit()


def compile_screen(screen, env, net, kind: str, shot=None) -> None:
    """Compile what a viewer plays, in a child process (:func:`evo.kernels.prepare.prepare`), while the
    window says so, unless it is compiled already. Esc, Q or closing the window ends the child and raises
    KeyboardInterrupt, as Ctrl-C does. ``shot``: a file the screen is saved to once drawn (for tests)."""
    from evo.kernels.prepare import notice, pending, prepare
    from viz.episode import COMPILE

    if not pending(env, net, kind, COMPILE):
        return
    notice(f"compiling the {env.name} kernels for this network, first time only")
    stop, done, failed = threading.Event(), threading.Event(), []

    def work():
        try:
            prepare(env, net, kind, None, program=COMPILE, stop=stop)
        except BaseException as e:  # handed to the window's thread
            failed.append(e)
        finally:
            done.set()

    threading.Thread(target=work, name="neuroevo-compile", daemon=True).start()
    started = time.monotonic()
    try:
        while not done.is_set():
            for event in pygame.event.get():
                if event.type == pygame.QUIT or (event.type == pygame.KEYDOWN
                                                 and event.key in (pygame.K_ESCAPE, pygame.K_q)):
                    raise KeyboardInterrupt
            screen.fill(T.BG)
            middle = screen.get_rect().center
            T.text(screen, f"compiling the {env.name} kernels, first time only", (middle[0], middle[1] - 30), 30,
                   T.TEXT, "center")
            T.text(screen, f"{time.monotonic() - started:.0f} s   (the next start takes a fraction of a second)",
                   middle, 22, T.DIM, "center")
            T.text(screen, "Esc stops", (middle[0], middle[1] + 30), 20, T.DIM, "center")
            pygame.display.flip()
            if shot is not None:
                pygame.image.save(screen, str(shot))
                shot = None
            done.wait(0.05)
    except BaseException:
        stop.set()
        done.wait()
        raise
    if failed:
        raise failed[0]


def watch(run, rundir=None, *, frames: int | None = None, screenshot=None, speed: float = 1) -> None:
    """Show ``run`` evolving in a window, until quit, or for ``frames`` frames (no display needed) of 1/60
    of a second each, so that at ``speed`` 64 each frame plays 64/60 game seconds: later generations."""
    start = speed_index(speed)
    need_display(frames is None)
    screen = open_window(title=f"neuroevo watch {run.config.env}")
    try:
        compile_screen(screen, run.env, run.net, run.kernel)
    except BaseException:
        pygame.display.quit()
        raise
    viewer = Watch(run, screen, rundir, frame_time=1 / 60 if frames else None)
    viewer.speed_i = start
    _show(viewer, frames, screenshot)


def replay(env, net, genome, *, label: str, seed: int = 0, shot_dir=None, frames: int | None = None,
           screenshot=None, speed: float = 1) -> None:
    """Play a genome in a window, episode after episode, until quit, or for ``frames`` frames (no display
    needed, 1/60 of a game second each at ``speed`` 1)."""
    start = speed_index(speed)
    need_display(frames is None)
    screen = open_window(title=f"neuroevo replay {env.name}")
    try:
        compile_screen(screen, env, net, "agent")
    except BaseException:
        pygame.display.quit()
        raise
    viewer = Replay(env, net, genome, screen, seed=seed, label=label, frame_time=1 / 60 if frames else None)
    viewer.speed_i = start
    if shot_dir is not None:
        viewer.shot_dir = Path(shot_dir)
    _show(viewer, frames, screenshot)
