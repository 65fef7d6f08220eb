"""Dashboards for a run: TensorBoard event files and MLflow, as hooks of the run's driver.

A logger is a :class:`~evo.runs.hooks.Hook` like the run directory's files and the progress bar:
``neuroevo run --log tensorboard`` (or ``--log mlflow``, or both) adds one to the run's
:class:`~evo.runs.driver.Driver`, and from Python any hook, a logger or :class:`Callbacks` made of
plain functions, goes to ``evo.evolve(..., hooks=[...])``. The hook points are named for when they
are called: ``after_evaluation``, ``generation_end``, ``checkpoint`` and ``stop``
(:class:`evo.runs.hooks.Hook`).

Every column of a generation's log row is logged as a scalar at step ``generation``: the training
fitness under ``fitness/`` (best, mean, median, std, min), the rest under its own name
(``validation``, ``test``, ``env_steps``, ``evaluations``, ...), and the champion's validation
score as ``champion/validation``. What a logger writes holds wall-clock times, so, like
``timing.csv``, it differs between two plays of the same run; nothing the run computes reads it.
"""

from __future__ import annotations

import os
import socket
import struct
import time
from pathlib import Path

from evo.runs.hooks import Hook

KINDS = ("tensorboard", "mlflow")
"""The loggers ``neuroevo run --log`` knows."""
_FITNESS = ("best", "mean", "median", "std", "min")


def scalars(run, row: dict) -> dict:
    """The scalars logged for a generation: ``{tag: value}`` from its log row (None values left out)."""
    out = {}
    for key, value in row.items():
        if key == "generation" or value is None or isinstance(value, bool) or not isinstance(value, (int, float)):
            continue
        out[f"fitness/{key}" if key in _FITNESS else key] = float(value)
    if run.champion is not None:
        out["champion/validation"] = float(run.champion_score)
    return out


class Callbacks(Hook):
    """A hook made of plain functions, one per hook point, each called as the :class:`~evo.runs.hooks.Hook`
    method of its name would be (``generation_end(run, row, seconds)`` returning ``False`` stops the run).

    Examples
    --------
    >>> best = []
    >>> hook = Callbacks(generation_end=lambda run, row, seconds: best.append(row["best"]))
    >>> evo.evolve("cartpole", generations=3, hooks=[hook])   # doctest: +SKIP
    """

    POINTS = ("after_evaluation", "generation_end", "checkpoint", "stop")

    def __init__(self, **functions):
        unknown = sorted(set(functions) - set(self.POINTS))
        if unknown:
            raise ValueError(f"unknown hook point {unknown[0]!r}; known: {', '.join(self.POINTS)}")
        for name, fn in functions.items():
            if not callable(fn):
                raise ValueError(f"hook point {name} needs a function, got {fn!r}")
            setattr(self, name, lambda run, *args, _fn=fn: _fn(run, *args))


# -- TensorBoard ----------------------------------------------------------------------------


def _crc32c_table() -> list:
    table = []
    for n in range(256):
        c = n
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        table.append(c)
    return table


_CRC_TABLE = _crc32c_table()


def crc32c(data: bytes) -> int:
    """CRC-32C (Castagnoli) of ``data``, as TFRecord files check their records with."""
    crc = 0xFFFFFFFF
    for b in data:
        crc = _CRC_TABLE[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def _masked(crc: int) -> int:
    return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        byte, n = n & 0x7F, n >> 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _field(number: int, payload: bytes) -> bytes:
    """A length-delimited protobuf field."""
    return _varint(number << 3 | 2) + _varint(len(payload)) + payload


def event_bytes(wall_time: float, step: int, *, scalars: dict | None = None, file_version: str | None = None) -> bytes:
    """One serialised ``tensorflow.Event``: its wall time and step, and either the file version or a
    ``Summary`` of simple scalar values (``{tag: value}``)."""
    out = b"\x09" + struct.pack("<d", wall_time) + b"\x10" + _varint(step)
    if file_version is not None:
        out += _field(3, file_version.encode())
    if scalars:
        values = b"".join(_field(1, _field(1, tag.encode()) + b"\x15" + struct.pack("<f", value))
                          for tag, value in scalars.items())
        out += _field(5, values)
    return out


def record_bytes(data: bytes) -> bytes:
    """``data`` framed as a TFRecord: length, masked CRC of the length, data, masked CRC of the data."""
    length = struct.pack("<Q", len(data))
    return length + struct.pack("<I", _masked(crc32c(length))) + data + struct.pack("<I", _masked(crc32c(data)))


class TensorBoardLogger(Hook):
    """Writes a run's scalars as TensorBoard event files in ``<run directory>/tensorboard/``.

    Each process that drives the run (a run, each ``--resume``) writes its own file,
    ``events.out.tfevents.<time>.<host>.<pid>.<n>``, a record per generation, flushed as it is written;
    ``tensorboard --logdir runs/`` shows every run side by side. The files are written here, with
    no dependency; TensorBoard (the ``tensorboard`` extra) reads them.
    """

    def __init__(self, directory):
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        now, n = time.time(), 0
        while True:  # a new file, even for a second logger of this process within the same second
            self.path = self.directory / f"events.out.tfevents.{int(now)}.{socket.gethostname()}.{os.getpid()}.{n}"
            try:
                self._file = open(self.path, "xb")
                break
            except FileExistsError:
                n += 1
        self._write(event_bytes(now, 0, file_version="brain.Event:2"))

    def _write(self, event: bytes) -> None:
        self._file.write(record_bytes(event))
        self._file.flush()

    def generation_end(self, run, row, seconds):
        self._write(event_bytes(time.time(), int(row["generation"]), scalars=scalars(run, row)))

    def stop(self, run, reason, error):
        self._file.close()


# -- MLflow ---------------------------------------------------------------------------------


class MLflowLogger(Hook):
    """Logs a run to MLflow: its config as parameters, each generation's scalars as metrics.

    The tracking store is ``tracking_uri``, else ``MLFLOW_TRACKING_URI``, else a local file store in
    ``<run directory>/mlruns`` (``mlflow ui --backend-store-uri runs/<run>/mlruns`` shows it; MLflow 3
    needs ``MLFLOW_ALLOW_FILE_STORE=true`` for it, which this process sets unless it is set). Each
    process that drives the run is one MLflow run named after the run directory, in the experiment
    ``neuroevo``. Needs the ``mlflow`` package (the ``mlflow`` extra).
    """

    def __init__(self, rundir, run, tracking_uri: str | None = None):
        try:
            from mlflow.tracking import MlflowClient
        except ImportError:
            raise ValueError("--log mlflow needs the mlflow package: pip install 'neuroevo[mlflow]'") from None
        uri = tracking_uri or os.environ.get("MLFLOW_TRACKING_URI")
        if not uri:
            uri = (Path(rundir) / "mlruns").resolve().as_uri()
            # MLflow 3 keeps its file store working only when asked to: it is the store that needs no server
            # and no database package
            os.environ.setdefault("MLFLOW_ALLOW_FILE_STORE", "true")
        self.client = MlflowClient(tracking_uri=uri)
        experiment = self.client.get_experiment_by_name("neuroevo")
        experiment_id = (experiment.experiment_id if experiment is not None
                         else self.client.create_experiment("neuroevo"))
        self.run_id = self.client.create_run(experiment_id, run_name=Path(rundir).name,
                                             tags={"env": run.config.env, "start_generation": str(run.generation)}
                                             ).info.run_id
        for key, value in sorted(run.config.to_dict().items()):
            self.client.log_param(self.run_id, key, str(value)[:500])

    def generation_end(self, run, row, seconds):
        from mlflow.entities import Metric
        now = int(time.time() * 1000)
        metrics = [Metric(tag, value, now, int(row["generation"])) for tag, value in scalars(run, row).items()]
        self.client.log_batch(self.run_id, metrics=metrics)

    def stop(self, run, reason, error):
        self.client.set_terminated(self.run_id, "FINISHED" if reason == "finished" else "KILLED")


def make(kinds, rundir, run) -> list:
    """The loggers ``neuroevo run --log`` names (``kinds``), for the run in ``rundir`` (a RunDir)."""
    loggers = []
    for kind in dict.fromkeys(kinds or ()):
        if kind == "tensorboard":
            loggers.append(TensorBoardLogger(Path(rundir.path) / "tensorboard"))
        elif kind == "mlflow":
            loggers.append(MLflowLogger(rundir.path, run))
        else:
            raise ValueError(f"unknown logger {kind!r}; known: {', '.join(KINDS)}")
    return loggers


def check(kinds) -> None:
    """Refuse, with one line (ValueError), a logger ``neuroevo run --log`` cannot make: an unknown name,
    or a missing package; called before the run directory is made."""
    for kind in kinds or ():
        if kind not in KINDS:
            raise ValueError(f"unknown logger {kind!r}; known: {', '.join(KINDS)}")
        if kind == "mlflow":
            try:
                import mlflow  # noqa: F401
            except ImportError:
                raise ValueError("--log mlflow needs the mlflow package: pip install 'neuroevo[mlflow]'") from None
