"""The run directory: every file a run writes, written atomically, and read back checked.

A run directory holds ``config.toml``, ``log.csv``, ``timing.csv``,
``checkpoint.npz``, ``champion.npz``, ``best.npz``, ``fitness.png`` and a ``.lock``; its
schema, what is written when and how a run resumes are described in
``docs/run-directory.md``. :class:`RunDir` names and writes the files,
:class:`RunFiles` is the driver hook that keeps them up to date during a run
(:mod:`evo.runs.driver`), :func:`load_champion` reads a champion back.

Every file is written through a temporary file and a rename
(:func:`atomic_write`), so a run killed at any moment leaves whole files;
``.npz`` files are written without pickle and with fixed member timestamps, so
the same run state always gives the same bytes.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import re
import shutil
import stat
import tempfile
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

import envs
from evo.runs.config import RunConfig
from evo.runs.driver import CHECKPOINT_VERSION, LOG_COLUMNS, Evolution, held_out_seed, network
from evo.runs.fields import config_field, genome_field, scalar_field, text_field
from evo.runs.hooks import Hook

# The temporary name of a file atomic_write is writing: .<name>.tmp<pid>
_TEMPORARY = re.compile(r"\..+\.tmp[0-9]+")
TIMING_COLUMNS = ("generation", "seconds", "wall_seconds", "env_steps_per_second", "backend")


def check_output_dir(path) -> None:
    """Refuse, with one line, an output directory that cannot be a new run directory.

    Raises
    ------
    ValueError
        Empty path or one holding a control character; an existing file or
        device; a non-empty directory; a path through a file; or a place this
        user cannot write.
    """
    check_path_text(path, "the output directory")
    path = Path(path)
    if path.exists() or path.is_symlink():
        if not path.is_dir():
            raise ValueError(f"{path} exists and is not a directory")
        if any(path.iterdir()):
            raise ValueError(f"{path} already exists and is not empty (use --resume {path} to continue)")
        if not os.access(path, os.W_OK | os.X_OK):
            raise ValueError(f"cannot write in {path}: permission denied")
    ancestor = path.parent
    while not ancestor.exists():
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        raise ValueError(f"{path} lies inside {ancestor}, which is not a directory")
    if not os.access(ancestor, os.W_OK | os.X_OK):
        raise ValueError(f"cannot write in {ancestor}: permission denied")


# The files of a run directory (RunDir names them): no other command's output may replace one.
RUN_FILES = ("config.toml", "log.csv", "timing.csv", "checkpoint.npz", "champion.npz", "fitness.png", ".lock",
             "best.npz")


def is_run_file(path) -> bool:
    """Whether ``path`` names one of a run directory's own files (:data:`RUN_FILES`, beside a checkpoint or a
    config.toml), whether or not that file exists yet."""
    path = Path(path)
    parent = path.parent
    return path.name in RUN_FILES and any(os.path.lexists(parent / name) for name in ("checkpoint.npz", "config.toml"))


def check_output_file(path, what: str) -> Path:
    """Refuse, with one line, a file a command would write (a screenshot, a GIF) at ``path``.

    Raises
    ------
    ValueError
        An empty path or one holding a control character; a directory that
        does not exist or cannot be written; one of a run directory's own
        files (:func:`is_run_file`); an existing directory or device at
        ``path``.
    """
    check_path_text(path, what)
    path = Path(path)
    parent = path.parent
    if not parent.is_dir():
        raise ValueError(f"{what}: directory {parent} does not exist")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise ValueError(f"{what}: cannot write in {parent}: permission denied")
    if is_run_file(path):
        raise ValueError(f"{what}: {path} is a file of the run in {parent}; choose another name")
    if os.path.lexists(path) and not path.is_symlink() and not path.is_file():
        raise ValueError(f"{what}: {path} exists and is not a file; choose another name")
    return path


def _control_characters(text: str) -> str | None:
    """The first control character (a newline, a tab, an escape ...) in ``text`` as ``repr`` shows it, or None."""
    for c in text:
        if ord(c) < 32 or ord(c) == 127:
            return repr(c)
    return None


def check_path_text(path, what: str) -> None:
    """Refuse, with one line, a path that is empty or holds a control character (a newline in a name)."""
    text = str(path)
    if text.strip() == "":
        raise ValueError(f"{what} must be a non-empty path")
    bad = _control_characters(text)
    if bad is not None:
        raise ValueError(f"{what} {text!r} holds the control character {bad}; choose a plain name")


def create_new_file(path, mode: int = 0o644) -> int:
    """Open a new file at ``path`` for writing, never through a link: a file descriptor.

    The name must not exist (``O_CREAT | O_EXCL``: a symbolic link there,
    dangling or not, is an error, never followed) and the last component is
    never followed (``O_NOFOLLOW``). ``mode`` is narrowed by the umask.

    Raises
    ------
    FileExistsError
        Something, a link included, already has that name.
    """
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    return os.open(path, flags, mode)


def atomic_write(path: Path, data: bytes | str, sync: bool = True) -> None:
    """Write ``data`` to ``path`` through a temporary file and a rename: never half-written.

    The temporary file ``.<name>.tmp<pid>`` beside ``path`` is created anew
    without following links (:func:`create_new_file`); whatever a killed
    writer or anyone else left under that name, a symbolic link included, is
    removed first, never written through. The rename replaces ``path``
    itself: a link at ``path`` is replaced by the file, not written through.
    ``sync=False`` leaves out flushing the data to disk before the rename (a file that
    nothing needs after a crash of the machine, only whole while it runs).
    """
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    try:
        fd = create_new_file(tmp)
    except FileExistsError:
        os.unlink(tmp)  # a stale temporary file or a planted link: removed, not followed
        fd = create_new_file(tmp)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data.encode() if isinstance(data, str) else data)
            f.flush()
            if sync:
                os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def save_npz(path: Path, arrays: dict, sync: bool = True) -> None:
    """Write arrays as an ``.npz`` that ``np.load`` reads, atomically and byte-reproducibly.

    ``np.savez`` stamps each member with the current time; here every member
    carries a fixed timestamp, so the same arrays always give the same bytes.
    """
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_STORED) as zf:
        for name, value in arrays.items():
            member = io.BytesIO()
            np.lib.format.write_array(member, np.asanyarray(value), allow_pickle=False)
            zf.writestr(zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0)), member.getvalue())
    atomic_write(path, buf.getvalue(), sync)


def load_npz(path: Path, what: str) -> dict:
    """Load an ``.npz`` without pickle; a missing or corrupted file raises ValueError."""
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"no {what} at {path}")
    try:
        with np.load(path, allow_pickle=False) as z:
            return {k: z[k] for k in z.files}
    except Exception as e:  # zipfile, pickle refusal, truncated data: all mean "corrupted"
        raise ValueError(f"corrupted {what} {path}: {type(e).__name__}: {e}") from None


class RunDir:
    """The files of a run: ``config.toml``, ``log.csv``, ``timing.csv``,
    ``checkpoint.npz``, ``champion.npz``, ``fitness.png`` and ``.lock``
    (``docs/run-directory.md`` gives their schema).

    Every file but ``timing.csv`` holds only what the config and seed
    determine, so an interrupted and resumed run, or a run played on Ray,
    leaves the same bytes as an uninterrupted local one; wall-clock times and
    the backend that played each generation go to ``timing.csv``.
    """

    def __init__(self, path):
        if str(path).strip() == "":
            raise ValueError("the output directory must be a non-empty path")
        self.path = Path(path)

    config_path = property(lambda self: self.path / "config.toml")
    log_path = property(lambda self: self.path / "log.csv")
    timing_path = property(lambda self: self.path / "timing.csv")
    checkpoint_path = property(lambda self: self.path / "checkpoint.npz")
    champion_path = property(lambda self: self.path / "champion.npz")
    plot_path = property(lambda self: self.path / "fitness.png")
    best_path = property(lambda self: self.path / "best.npz")

    def create(self, run: Evolution) -> None:
        """Make the directory with ``config.toml`` and a generation-0 checkpoint, all at once.

        The files are written into a temporary sibling directory that is then
        renamed into place, so a run killed at any moment either left nothing
        or left a directory that ``--resume`` continues. The directory is
        locked (:meth:`lock`) before this returns.
        """
        check_output_dir(self.path)
        tmp = None
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = Path(tempfile.mkdtemp(prefix=f".{self.path.name}.", dir=self.path.parent))
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(tmp, 0o777 & ~umask)  # as a plain mkdir would have made it
            RunDir(tmp).write_files(run)
            os.replace(tmp, self.path)  # fails if another process got there first
        except OSError as e:
            if tmp is not None:
                shutil.rmtree(tmp, ignore_errors=True)
            raise ValueError(f"cannot create {self.path}: {e.strerror}") from None
        self.lock()

    def write_files(self, run: Evolution) -> None:
        """Write config.toml, log.csv, checkpoint.npz and champion.npz for ``run``'s current state."""
        atomic_write(self.config_path, run.config.to_toml())
        self.write_log(run.history)
        self.save_checkpoint(run)
        self.save_champion(run)

    def lock(self) -> None:
        """Hold an exclusive lock on the directory for this process's lifetime.

        Raises
        ------
        ValueError
            Another process (a run, a resume, a watch) holds it.
        """
        try:
            import fcntl
        except ImportError:  # no advisory locks on this platform
            return
        path = self.path / ".lock"
        flags = os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0) | os.O_NONBLOCK
        try:
            fd = os.open(path, flags, 0o600)  # a link at .lock is an error, never followed
        except OSError as e:
            kind = "a symbolic link" if path.is_symlink() else "not a lock file"
            raise ValueError(f"cannot lock {self.path}: {path} is {kind} ({e.strerror}); remove it") from None
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            os.close(fd)
            raise ValueError(f"cannot lock {self.path}: {path} is not a regular file; remove it")
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            raise ValueError(f"{self.path} is in use by another neuroevo process") from None
        self._lock_fd = fd

    def unlock(self) -> None:
        """Release :meth:`lock` (the end of the process releases it too)."""
        fd = getattr(self, "_lock_fd", None)
        if fd is not None:
            os.close(fd)
            self._lock_fd = None

    def clean_temporary_files(self) -> list:
        """Remove the temporary files a killed writer left behind, and links under their names; returns the names.

        Every ``.<name>.tmp<digits>`` that is not a directory goes: a file, a
        link (dangling or not: the link is removed, never what it names), a
        FIFO or a socket.
        """
        left = sorted(p for p in self.path.iterdir()
                      if _TEMPORARY.fullmatch(p.name) and (p.is_symlink() or not p.is_dir()))
        for p in left:
            p.unlink()
        return [p.name for p in left]

    def check_files(self) -> None:
        """Refuse, with one line, a run directory where something other than a file holds a run file's name.

        A directory, FIFO or device named ``log.csv`` (say) would fail the
        first write mid-run; a symbolic link is fine, as every write replaces
        it (:func:`atomic_write`) and reads follow it.

        Raises
        ------
        ValueError
        """
        for name in RUN_FILES:
            path = self.path / name
            if name != ".lock" and os.path.lexists(path) and not path.is_symlink() and not path.is_file():
                raise ValueError(f"{path} is not a file; move it away to continue the run")

    def write_log(self, history: list) -> None:
        """``log.csv``: the header and one row per generation of ``history`` (floats as ``repr``); a run of
        several objectives adds their columns (:func:`evo.runs.objectives.log_columns`)."""
        from evo.runs.objectives import log_columns
        columns = log_columns(history, LOG_COLUMNS)
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(columns)
        for row in history:
            w.writerow([repr(row[c]) if isinstance(row[c], float) else row[c] for c in columns])
        atomic_write(self.log_path, buf.getvalue())

    def write_timing(self, timing: list) -> None:
        """``timing.csv``: per generation, the seconds it took, wall seconds since the run began, environment
        steps per second and the backend that played it."""
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(TIMING_COLUMNS)
        w.writerows(timing)
        atomic_write(self.timing_path, buf.getvalue())

    def read_timing(self) -> list:
        """The rows of :meth:`write_timing`; an unreadable file gives none (timing never decides a result)."""
        try:
            with open(self.timing_path, newline="") as f:
                rows = list(csv.reader(f))
            if tuple(rows[0]) != TIMING_COLUMNS:
                return []
            return [(int(g), float(s), float(w), float(r), b) for g, s, w, r, b in rows[1:]]
        except (OSError, ValueError, IndexError):
            return []

    def save_checkpoint(self, run: Evolution) -> None:
        """``checkpoint.npz``: the whole run (:meth:`Evolution.state_dict <evo.runs.driver.Evolution.state_dict>`)."""
        save_npz(self.checkpoint_path, run.state_dict())

    def load_checkpoint(self) -> Evolution:
        """The run of ``checkpoint.npz``, every field checked (ValueError: one line naming the first bad one)."""
        return Evolution.from_state_dict(load_npz(self.checkpoint_path, "checkpoint"))

    def save_champion(self, run: Evolution) -> None:
        """``champion.npz`` (:func:`champion_arrays`), once the run has a champion."""
        if run.champion is None:
            return
        save_npz(self.champion_path, champion_arrays(run))

    def save_best(self, run: Evolution) -> None:
        """``best.npz``: the last generation's best genome, for a window following the run
        (:func:`evo.runs.latest.best_arrays`)."""
        from evo.runs.latest import best_arrays
        save_npz(self.best_path, best_arrays(run), sync=False)  # for a viewer: whole, not kept through a crash

    def plot(self, history: list, run: Evolution | None = None) -> None:
        """``fitness.png``: best, mean and validation per generation (:func:`evo.runs.plot.fitness_png`), titled
        with ``run``'s game, algorithm and seed and this directory's name, and its target drawn."""
        from evo.runs.plot import fitness_png, plot_labels
        atomic_write(self.plot_path, fitness_png(history, **(plot_labels(run) if run is not None else {})))


def champion_arrays(run: Evolution) -> dict:
    """The champion with everything needed to play it again: network, game, config, and its scores."""
    return {
        "version": np.array(CHECKPOINT_VERSION),
        "genome": run.champion,
        "validation": np.array(run.champion_score),
        "test": np.array(np.nan if run.champion_test is None else run.champion_test),
        "test_episodes": np.array(run.config.test_episodes),
        "test_seed": np.array(run.champion_test_seed, dtype=np.uint64),
        "network": np.array(json.dumps(run.net.to_dict())),
        "env": np.array(run.config.env),
        "env_params": np.array(json.dumps(run.config.env_params)),
        "config": np.array(run.config.to_toml()),
    }


@dataclass
class Champion:
    """A run's champion as :func:`load_champion` reads it.

    ``test`` is None when the champion was never tested; ``held_out_seed`` and
    ``config.test_episodes`` name the episodes it was (or would be) tested on.
    ``test_seed`` is that key as the champion file records it (None in a file
    written before each test had its own key: those tested on the run's first).
    """

    env: object
    net: object
    genome: np.ndarray
    validation: float
    test: float | None
    config: RunConfig
    test_seed: int | None = None

    @property
    def held_out_seed(self) -> int:
        return held_out_seed(self.config.seed) if self.test_seed is None else self.test_seed


def load_champion(path) -> Champion:
    """Load ``champion.npz`` (or a run directory's), checking every field before use.

    Raises
    ------
    ValueError
        One line: missing or corrupted file, or a field of the wrong type,
        shape or version, not finite, or inconsistent with the champion's
        config, network or game.
    """
    path = Path(path)
    if path.is_dir():
        path = path / "champion.npz"
    d = load_npz(path, "champion")
    try:
        version = scalar_field(d, "version", np.integer)
        if version != CHECKPOINT_VERSION:
            raise ValueError(f"version {version} is not supported (this neuroevo writes {CHECKPOINT_VERSION})")
        config = config_field(d["config"], "champion")
        env = envs.make(config.env, level=config.level or None, obs=config.obs, **config.env_params)
        net = network(config, env)
        if (text_field(d["env"], "env") != config.env or json.loads(text_field(d["env_params"], "env_params")) != config.env_params
                or json.loads(text_field(d["network"], "network")) != net.to_dict()):
            raise ValueError("its env, env_params or network disagree with its config")
        genome = genome_field(d["genome"], net.num_params, "genome")
        validation = scalar_field(d, "validation", np.floating)
        test = scalar_field(d, "test", np.floating)
        if scalar_field(d, "test_episodes", np.integer) != config.test_episodes:
            raise ValueError("its test_episodes disagree with its config")
        seed = scalar_field(d, "test_seed", np.integer) if "test_seed" in d else None
    except KeyError as e:
        raise ValueError(f"corrupted champion {path}: missing {e.args[0]!r}") from None
    except (ValueError, TypeError, json.JSONDecodeError) as e:
        raise ValueError(f"corrupted champion {path}: {e}") from None
    return Champion(env, net, genome, validation, None if np.isnan(test) else test, config, seed)




# -- the hook that keeps a run directory up to date ------------------------------------------


class RunFiles(Hook):
    """A :class:`evo.runs.driver.Driver` hook that keeps a run directory's files up to date.

    At every generation's end: ``log.csv``, ``best.npz`` (and ``timing.csv`` when
    ``timing`` is given); at every checkpoint: ``checkpoint.npz`` and
    ``champion.npz``; when the run stops: ``log.csv`` and ``fitness.png``
    (the checkpoint hook has just run).

    Parameters
    ----------
    rundir : RunDir
    timing : list, optional
        The timing rows so far (:meth:`RunDir.read_timing` on resume, ``[]``
        for a new run); None writes no ``timing.csv`` (the viewer's runs).
    plot_empty : bool
        Whether a run stopped before its first generation gets a (blank)
        ``fitness.png`` too.
    """

    def __init__(self, rundir: RunDir, timing: list | None = None, plot_empty: bool = True):
        self.rundir = rundir
        self.timing = timing
        self.plot_empty = plot_empty
        self._start = time.perf_counter()
        self._elapsed = timing[-1][2] if timing else 0.0  # wall seconds of the run before this process

    def generation_end(self, run, row, seconds):
        self.rundir.write_log(run.history)
        self.rundir.save_best(run)
        if self.timing is not None:
            wall = self._elapsed + time.perf_counter() - self._start
            played = row["env_steps"] + row["validation_steps"]
            self.timing.append((row["generation"], round(seconds, 4), round(wall, 3), round(played / seconds),
                                run.config.backend))
            self.rundir.write_timing(self.timing)

    def checkpoint(self, run):
        self.rundir.save_checkpoint(run)
        self.rundir.save_champion(run)

    def stop(self, run, reason, error):
        self.rundir.write_log(run.history)
        if run.history or self.plot_empty:
            self.rundir.plot(run.history, run)
