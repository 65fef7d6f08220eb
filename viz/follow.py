"""``neuroevo watch --follow RUN``: a window on a run that another process is writing.

The run goes on elsewhere (a headless ``neuroevo run``, on this machine or with
its generations played on Ray); the window reads its directory and never
writes into it or locks it. A few times a second it looks at ``checkpoint.npz``,
``log.csv``, ``best.npz`` and ``champion.npz`` and reads again whichever changed:
they are written whole, through a rename, so a whole file is always there to
read (a line half-appended to ``log.csv`` is left out until it is whole). The
run writes ``best.npz``, its last generation's best genome
(:mod:`evo.runs.latest`), at every generation's end, and the checkpoint, which
keeps every generation's best, every ``checkpoint_every`` generations; the
newest best seen plays, episode after episode, while the fitness chart grows
from ``log.csv``. A new generation's best takes over once the one on screen has
played for :data:`SHOW` seconds of game time (or has ended). A run of several
objectives also shows the population NSGA-II keeps, its first front
highlighted (:class:`viz.front.FrontPanel`).

When the run's checkpoint says it has finished (its last generation, solved, a
budget spent), or when no process holds its lock any more and nothing has
changed for :data:`QUIET` seconds (the run was stopped), the window says "run
finished" and its champion plays on. A directory that has no checkpoint yet
shows "waiting for the first generation" until one lands.

Keys: those of :mod:`viz.window`; ``[`` and ``]`` replay an earlier or later
generation's best (``]`` past the newest follows the run again).
"""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path

import numpy as np

import pygame  # noqa: E402  (the viz package sets PYGAME_HIDE_SUPPORT_PROMPT first)

import envs  # noqa: E402
from evo.runs.config import load_toml  # noqa: E402
from evo.runs.driver import Evolution, network  # noqa: E402
from evo.runs.fields import saved_config  # noqa: E402
from evo.runs.latest import Best, check_best  # noqa: E402
from evo.runs.rundir import RunDir, load_npz  # noqa: E402
from viz import theme as T  # noqa: E402
from viz.app import _show, compile_screen, need_display, speed_index  # noqa: E402
from viz.episode import Episode  # noqa: E402
from viz.front import FrontPanel  # noqa: E402
from viz.panels import FitnessChart, fit_text  # noqa: E402
from viz.window import CONTROLS, Viewer, open_window  # noqa: E402

POLL = 0.5    # seconds of viewer time between looks at the run's files
SHOW = 3.0    # game seconds a generation's best plays before a newer one takes over
QUIET = 5.0   # seconds with the lock released and no change before a stopped run counts as finished
WATCHED = ("checkpoint.npz", "log.csv", "champion.npz", "best.npz")


# -- reading a run directory without touching it ----------------------------------------------


def lock_held(path) -> bool | None:
    """Whether some process holds the ``flock`` on ``path`` (a run directory's ``.lock``), found in
    ``/proc/locks`` without opening the file; None where that cannot be known (no such table)."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return False
    except OSError:
        return None
    try:
        with open("/proc/locks") as f:
            table = f.read()
    except OSError:
        return None
    device = f"{os.major(st.st_dev):02x}:{os.minor(st.st_dev):02x}:{st.st_ino}"
    return any(line.split()[5:6] == [device] for line in table.splitlines() if "FLOCK" in line)


def read_log(path) -> list:
    """The rows of a ``log.csv`` as dicts (numbers as floats, ``generation`` an int), whole lines only.

    A last line without its newline (still being appended), a line of the
    wrong width or one whose generation is not a number is left out; a
    missing file or one whose header is not a run log gives no rows.
    """
    try:
        text = Path(path).read_text()
    except (OSError, UnicodeDecodeError):
        return []
    if not text.endswith("\n"):
        text = text[:text.rfind("\n") + 1]
    rows = list(csv.reader(io.StringIO(text)))
    if not rows or "generation" not in rows[0] or "best" not in rows[0] or "mean" not in rows[0]:
        return []
    header, history = rows[0], []
    for fields in rows[1:]:
        if len(fields) != len(header):
            continue
        row = dict(zip(header, fields))
        try:
            row = {k: (int(v) if k == "generation" else _number(v)) for k, v in row.items()}
        except ValueError:
            continue
        history.append(row)
    return history


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


class FollowedRun:
    """A run directory seen from outside: its newest checkpoint, log and lock, read and never written.

    Parameters
    ----------
    path : str or Path
        A run directory (it holds ``config.toml`` or ``checkpoint.npz``).

    Raises
    ------
    ValueError
        One line: no such directory, not a run directory, or its config
        (before any checkpoint) or first checkpoint cannot be read.

    Attributes
    ----------
    env, net, config
        The run's game, network and config, from its checkpoint or else its ``config.toml``.
    run : evo.runs.driver.Evolution or None
        The newest checkpoint read (None before the first lands).
    history : list of dict
        ``log.csv``'s whole rows (:func:`read_log`).
    finished : str or None
        "run finished: ..." and why, once the run counts as finished (:meth:`poll`); None while it goes on.
    latest : evo.runs.latest.Best or None
        The newest ``best.npz`` read: a generation's best genome, newer than the checkpoint's between
        checkpoints.
    error : str or None
        The last checkpoint (or ``best.npz``) that could not be read (the one before stays shown).
    """

    def __init__(self, path):
        self.rundir = RunDir(path)
        where = self.rundir.path
        if not where.is_dir():
            raise ValueError(f"no run directory at {where}")
        if not (self.rundir.config_path.is_file() or self.rundir.checkpoint_path.is_file()):
            raise ValueError(f"{where} is not a run directory (it has no config.toml or checkpoint.npz)")
        self.run: Evolution | None = None
        self.history: list = []
        self.finished: str | None = None
        self.error: str | None = None
        self.latest: Best | None = None
        self._extra: dict = {}  # generation -> best genome, from best.npz, beyond the checkpoint's
        self._seen: dict = {}
        self._quiet_since = 0.0
        self._held: bool | None = None
        self._seen = self._stamps()  # before reading: a file replaced meanwhile is read again at the next look
        self.history = read_log(self.rundir.log_path)
        if self.rundir.checkpoint_path.is_file():
            self.run = self.rundir.load_checkpoint()  # a bad first checkpoint: one line, at start-up
            self.env, self.net, self.config = self.run.env, self.run.net, self.run.config
        else:
            config = self.config = saved_config(load_toml(self.rundir.config_path))
            self.env = envs.make(config.env, level=config.level or None, obs=config.obs, **config.env_params)
            self.net = network(config, self.env)
        if self._seen["best.npz"] is not None:
            self._read_best()
        self.poll(0.0)

    def _read_best(self) -> None:
        """Read ``best.npz``: its generation's best joins those the window can show."""
        try:
            self.latest = check_best(load_npz(self.rundir.best_path, "best genome"), self.net.num_params,
                                     self.rundir.best_path)
            self._extra[self.latest.generation] = self.latest.genome
        except ValueError as e:
            self.error = str(e)

    @property
    def generations(self) -> int:
        """How many generations have a best to show: the newest checkpoint's, or one past the newest
        ``best.npz`` read, whichever is later."""
        return max(0 if self.run is None else len(self.run.bests), max(self._extra, default=-1) + 1)

    def best(self, generation: int) -> np.ndarray | None:
        """The best genome of ``generation``, from the checkpoint or a ``best.npz`` read; None when the
        window never saw it (generations a run played between two looks, before their checkpoint)."""
        if self.run is not None and generation < len(self.run.bests):
            return self.run.bests[generation]
        return self._extra.get(generation)

    def known(self) -> list:
        """The generations whose best :meth:`best` gives, in order."""
        kept = range(0 if self.run is None else len(self.run.bests))
        return sorted({*kept, *self._extra})

    @property
    def front(self) -> tuple | None:
        """``(names, values, ranks)`` of the population NSGA-II keeps, from the newer of the checkpoint and
        ``best.npz`` (:meth:`evo.runs.objectives.Objectives.front`); None for a run of one objective."""
        if self.latest is not None and self.latest.front is not None and (
                self.run is None or self.latest.generation >= self.run.generation - 1):
            return self.latest.front
        return None if self.run is None else self.run.objectives.front(self.run.algorithm)

    def _stamps(self) -> dict:
        stamps = {}
        for name in WATCHED:
            try:
                st = os.stat(self.rundir.path / name)
                stamps[name] = (st.st_mtime_ns, st.st_size, st.st_ino)
            except OSError:
                stamps[name] = None
        return stamps

    def poll(self, now: float) -> bool:
        """Read again the files that changed since the last look; ``now`` is the caller's clock in seconds.
        Returns whether the checkpoint brought a new generation's best."""
        held = lock_held(self.rundir.path / ".lock")  # first: a lock seen released means its files are final
        stamps = self._stamps()
        changed = {name for name in WATCHED if stamps[name] != self._seen.get(name)}
        self._seen = stamps
        before = self.generations
        if "log.csv" in changed:
            self.history = read_log(self.rundir.log_path)
        if "checkpoint.npz" in changed and stamps["checkpoint.npz"] is not None:
            try:
                run = self.rundir.load_checkpoint()
                if run.net.num_params != self.net.num_params or run.env.name != self.env.name:
                    raise ValueError(f"{self.rundir.checkpoint_path} now holds another run")
                self.run, self.error = run, None
            except ValueError as e:
                self.error = str(e)
        if "best.npz" in changed and stamps["best.npz"] is not None:
            self._read_best()
        if self.run is not None:  # what the checkpoint keeps need not be kept twice
            self._extra = {g: b for g, b in self._extra.items() if g >= len(self.run.bests)}
        if changed or held is not False or self._held is not False:  # quiet: since a change or the release
            self._quiet_since = now
        self._held = held
        if self.run is not None and self.run.finished:
            last = self.run.history[-1]["generation"] if self.run.history else 0
            budget = self.run.budget_spent
            why = " (solved)" if self.run.solved else f" ({budget} spent)" if budget else ""
            self.finished = f"run finished at generation {last}{why}"
        elif held is False and now - self._quiet_since >= QUIET:
            at = f"at generation {self.generations - 1}" if self.generations else "before its first generation"
            self.finished = f"run finished {at} (its process stopped)"
        else:
            self.finished = None
        return self.generations > before


# -- the window -----------------------------------------------------------------------------


class Follow(Viewer):
    """The newest generation's best of a run another process is writing, with its fitness chart.

    Parameters
    ----------
    followed : FollowedRun
    surface : pygame.Surface
    frame_time : float, optional
        See :class:`viz.window.Viewer`.
    show : float
        Game seconds a generation's best plays before a newer one takes over (0: at once).

    Attributes
    ----------
    showing : int or None
        The generation whose best is on screen; None for the champion (once the run has
        finished) or before the first generation.
    """

    def __init__(self, followed: FollowedRun, surface, frame_time=None, show: float = SHOW):
        super().__init__(followed.env, surface, frame_time)
        self.followed = followed
        self.net = followed.net
        self.net_layout = followed.net.layout
        self.show = float(show)
        self.chart = FitnessChart()
        self.front = FrontPanel() if followed.config.objectives else None  # a run of several objectives
        self.keys.update({pygame.K_LEFTBRACKET: lambda: self.pick(-1), pygame.K_RIGHTBRACKET: lambda: self.pick(+1)})
        self.replay: Episode | None = None
        self.showing: int | None = None
        self.pinned = False  # a generation chosen with [ or ]: new ones do not take over
        self._seed = 0
        self._hold = 0
        self._polled = 0.0
        self._was_finished = None
        self.update()

    def update(self) -> None:
        """Look at the run's files now and put its newest generation's best (or, once finished, its champion)
        on screen when the one shown has played long enough."""
        self._polled = self.now
        new = self.followed.poll(self.now)
        f = self.followed
        if f.finished != self._was_finished:
            self._was_finished = f.finished
            if f.finished:
                self.flash(f"{f.finished}; its champion plays on", 4.0)
        if new and not f.finished:
            last = f.generations - 1
            row = next((r for r in reversed(f.history) if r["generation"] == last), None)
            note = f": best {row['best']:.4g}, mean {row['mean']:.4g}" if row else ""
            self.flash(f"generation {last}{note}", 2.0)
        if self.replay is None or self.replay.done or self.replay.t * self.dt >= self.show:
            self._next()

    def _wanted(self) -> int | None:
        """The generation whose best should play next (None: the champion, or nothing yet)."""
        f = self.followed
        if self.pinned and self.showing is not None:
            return self.showing
        if f.finished and f.run is not None and f.run.champion is not None:
            return None
        return f.generations - 1 if f.generations else None

    def _next(self) -> None:
        """Start the wanted genome's episode unless it is already playing and still going."""
        f = self.followed
        want = self._wanted()
        champion = want is None and f.run is not None and f.run.champion is not None and f.finished
        if want is None and not champion:
            return
        same = self.replay is not None and want == self.showing
        if same and not self.replay.done:
            return
        self._seed = self._seed + 1 if same else 0
        genome = f.run.champion if champion else f.best(want)
        if genome is None:  # a generation played between two looks, before its checkpoint: never seen
            return
        if self.replay is not None:
            self.replay.close()
        self.showing = want
        self.replay = Episode(self.env, self.net, np.asarray(genome)[None], self._seed)

    def pick(self, step: int) -> None:
        """Replay the generation before (-1) or after (+1) the one shown; past the newest, follow the run again."""
        n = self.followed.generations
        if n == 0:
            self.flash("no generation has finished yet")
            return
        if self.pinned:
            current = self.showing
        else:  # following: the newest generation's best, or the champion after it once the run has finished
            current = n if self.showing is None else n - 1
        target = max(current + step, 0)
        known = self.followed.known()  # a generation played between two looks is stepped over
        if target <= n - 1 and target not in known:
            near = [g for g in known if (g < target if step < 0 else g > target)]
            target = (max(near) if step < 0 else min(near)) if near else (known[0] if step < 0 else n)
        self.pinned = target <= n - 1
        self.showing = target if self.pinned else None
        if self.replay is not None:
            self.replay.close()
            self.replay = None
        if not self.pinned:
            self.flash("following the run")
        self._next()

    def advance(self, frame_time) -> None:
        if self.now - self._polled >= POLL:
            self.update()
        super().advance(frame_time)

    def sim_step(self) -> bool:
        self.sim_steps += 1
        if self.replay is None:
            return False
        if not self.replay.done:
            self.replay.step()
            return True
        self._hold += 1
        if self._hold * self.dt >= 1.0:  # the end stays on screen for a second
            self._hold = 0
            self._next()
        return True

    # -- drawing ---------------------------------------------------------------

    def subject(self) -> str:
        if self.replay is None:
            return ""
        return "champion" if self.showing is None else f"generation {self.showing}'s best"

    def status(self) -> str:
        f = self.followed
        parts = [f"following {f.rundir.path.name}", self.env.name]
        if f.generations == 0:
            parts.append("waiting for the first generation")
        elif self.replay is not None:
            logged = f.history[-1]["generation"] if f.history else -1
            ahead = f" (logged up to {logged})" if self.showing is not None and logged > self.showing else ""
            parts.append(self.subject() + ahead)
        if f.history:
            parts.append(f"best ever {self.renderer.fitness(max(r['best'] for r in f.history))}")
        parts.append(f.finished or "running")
        if f.error:
            parts.append(f"unreadable file ({f.error})")
        parts.append(f"speed {self.speed_label()}")
        return "   ".join(parts)

    def draw_game(self, surf, area) -> None:
        if self.replay is not None:
            self.draw_episode(surf, area, self.replay, self.subject())
            return
        surf.fill(T.FIELD, area)
        words = "run finished; no generation to play" if self.followed.finished else "waiting for the first generation"
        T.text(surf, fit_text(words, area.w - 20, 26), area.center, 26, T.DIM, "center")

    def draw_side(self, surf, rect) -> None:
        chart = rect
        if self.show_net and self.replay is not None:
            net_h = int(rect.h * 0.6)
            self.draw_network(surf, pygame.Rect(rect.x, rect.y, rect.w, net_h - 8), self.replay,
                              f"network of {'the champion' if self.showing is None else self.subject()}")
            chart = pygame.Rect(rect.x, rect.y + net_h, rect.w, rect.h - net_h)
        if self.front is not None:  # several objectives: the front under the chart
            band = int(chart.h * 0.5)
            self.front.draw(surf, pygame.Rect(chart.x, chart.bottom - band, chart.w, band), self.followed.front)
            chart = pygame.Rect(chart.x, chart.y, chart.w, chart.h - band - 8)
        self.chart.draw(surf, chart, self.followed.history, None, self.showing if self.pinned else None)

    def controls(self) -> list:
        meaning = {"[ / ]": "replay an earlier / later generation's best", "Esc, Q": "quit (the run goes on)",
                   "S": "screenshot (PNG in the current directory)"}
        return [(k, meaning.get(k, v)) for k, v in CONTROLS if k not in ("F", "R")]

    def close(self) -> None:
        if self.replay is not None:
            self.replay.close()


def follow(path, *, frames: int | None = None, screenshot=None, speed: float = 1, show: float = SHOW) -> FollowedRun:
    """Follow the run in directory ``path`` in a window until quit, or for ``frames`` frames (no display
    needed, 1/60 of a second each); returns what was last read of it (ValueError: one line, for a directory
    that is not a run's)."""
    start = speed_index(speed)
    followed = FollowedRun(path)
    need_display(frames is None)
    screen = open_window(title=f"neuroevo watch --follow {followed.rundir.path.name}")
    try:
        compile_screen(screen, followed.env, followed.net, "agent")
    except BaseException:
        pygame.display.quit()
        raise
    viewer = Follow(followed, screen, frame_time=1 / 60 if frames else None, show=show)
    viewer.speed_i = start
    _show(viewer, frames, screenshot)
    return followed
