"""Dashboards: --log tensorboard event files read back (by a reader written from the format, and by
TensorBoard's own where installed), --log mlflow, and hooks made of plain functions."""

import csv
import struct

import numpy as np
import pytest

import evo
from evo.cli import main
from evo.runs import loggers

LONG = ["cartpole", "--pop", "24", "--episodes", "1", "--hidden", "8", "--target", "1e9"]


def _read_events(path):
    """(step, {tag: value}) of every event of a TFRecord event file, each record's CRCs checked."""
    data, at, events = path.read_bytes(), 0, []
    while at < len(data):
        (length,) = struct.unpack_from("<Q", data, at)
        (length_crc,) = struct.unpack_from("<I", data, at + 8)
        assert length_crc == loggers._masked(loggers.crc32c(data[at:at + 8]))
        body = data[at + 12:at + 12 + length]
        (body_crc,) = struct.unpack_from("<I", data, at + 12 + length)
        assert body_crc == loggers._masked(loggers.crc32c(body))
        events.append(_event(body))
        at += 16 + length
    return events


def _varint(buf, i):
    shift = value = 0
    while True:
        b = buf[i]
        value |= (b & 0x7F) << shift
        i, shift = i + 1, shift + 7
        if not b & 0x80:
            return value, i


def _fields(buf):
    i = 0
    while i < len(buf):
        key, i = _varint(buf, i)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, i = _varint(buf, i)
        elif wire == 1:
            value, i = buf[i:i + 8], i + 8
        elif wire == 5:
            value, i = buf[i:i + 4], i + 4
        else:
            n, i = _varint(buf, i)
            value, i = buf[i:i + n], i + n
        yield number, value


def _event(body):
    step, values = None, {}
    for number, value in _fields(body):
        if number == 2:
            step = value
        elif number == 5:
            for _, v in _fields(value):
                parts = dict(_fields(v))
                values[parts[1].decode()] = struct.unpack("<f", parts[2])[0]
    return step, values


def test_crc32c_of_the_standard_check_string():
    assert loggers.crc32c(b"123456789") == 0xE3069283 and loggers.crc32c(b"") == 0


def test_tensorboard_event_files_hold_every_generation_and_resume_adds_a_file(tmp_path):
    d = tmp_path / "tb"
    assert main(["run", *LONG, "--generations", "3", "--out", str(d), "--quiet", "--log", "tensorboard"]) == 0
    files = sorted((d / "tensorboard").iterdir())
    assert len(files) == 1 and files[0].name.startswith("events.out.tfevents.")
    events = _read_events(files[0])
    with open(d / "log.csv") as f:
        rows = list(csv.DictReader(f))
    assert [step for step, values in events if values] == [0, 1, 2]
    for (step, values), row in zip(events[1:], rows):
        assert values["fitness/best"] == np.float32(float(row["best"]))
        assert values["env_steps"] == float(row["env_steps"]) and values["evaluations"] == float(row["evaluations"])
        assert "champion/validation" in values and "generation" not in values
    # a resume writes its own file beside the first
    assert main(["run", "--resume", str(d), "--generations", "5", "--quiet", "--log", "tensorboard"]) == 0
    files = sorted((d / "tensorboard").iterdir())
    assert len(files) == 2
    assert sorted(step for f in files for step, values in _read_events(f) if values) == [0, 1, 2, 3, 4]


def test_tensorboards_own_reader_reads_the_event_files(tmp_path):
    accumulator = pytest.importorskip("tensorboard.backend.event_processing.event_accumulator")
    d = tmp_path / "tb"
    assert main(["run", *LONG, "--generations", "3", "--out", str(d), "--quiet", "--log", "tensorboard"]) == 0
    acc = accumulator.EventAccumulator(str(d / "tensorboard"))
    acc.Reload()
    with open(d / "log.csv") as f:
        rows = list(csv.DictReader(f))
    assert "fitness/best" in acc.Tags()["scalars"] and "evaluations" in acc.Tags()["scalars"]
    best = acc.Scalars("fitness/best")
    assert [e.step for e in best] == [0, 1, 2]
    assert [e.value for e in best] == [float(np.float32(float(r["best"]))) for r in rows]


def test_mlflow_logs_params_and_metrics_or_says_it_is_missing(tmp_path, capsys):
    d = tmp_path / "ml"
    try:
        import mlflow  # noqa: F401
    except ImportError:
        assert main(["run", *LONG, "--generations", "2", "--out", str(d), "--log", "mlflow"]) == 2
        err = capsys.readouterr().err
        assert "--log mlflow needs the mlflow package" in err and err.count("\n") == 1 and not d.exists()
        pytest.skip("mlflow is not installed: only the message is checked")
    from mlflow.tracking import MlflowClient
    assert main(["run", *LONG, "--generations", "2", "--out", str(d), "--quiet", "--log", "mlflow"]) == 0
    client = MlflowClient(tracking_uri=(d / "mlruns").resolve().as_uri())
    experiment = client.get_experiment_by_name("neuroevo")
    (run,) = client.search_runs([experiment.experiment_id])
    assert run.data.params["env"] == "cartpole" and run.data.params["pop_size"] == "24"
    history = client.get_metric_history(run.info.run_id, "fitness/best")
    assert sorted(m.step for m in history) == [0, 1] and run.info.status == "FINISHED"


def test_an_unknown_logger_is_refused_in_one_line(tmp_path, capsys):
    assert main(["run", *LONG, "--out", str(tmp_path / "x"), "--log", "wandb"]) == 2
    assert "invalid choice: 'wandb'" in capsys.readouterr().err and not (tmp_path / "x").exists()
    with pytest.raises(ValueError, match="unknown logger 'wandb'"):
        loggers.check(["wandb"])


def test_callbacks_are_called_at_their_hook_points_and_can_stop_the_run():
    seen = []
    hook = loggers.Callbacks(
        after_evaluation=lambda run, result: seen.append(("evaluated", run.generation, result.returns.shape)),
        generation_end=lambda run, row, seconds: seen.append(("end", row["generation"])) or row["generation"] < 1,
        checkpoint=lambda run: seen.append(("checkpoint", run.generation)),
        stop=lambda run, reason, error: seen.append(("stop", reason)))
    result = evo.evolve("cartpole", generations=10, pop_size=24, episodes=1, hidden=[8], target=1e9, hooks=[hook])
    assert result.generations == 2
    assert seen == [("evaluated", 0, (24, 1)), ("end", 0), ("evaluated", 1, (24, 1)), ("end", 1),
                    ("checkpoint", 2), ("stop", "requested")]
    with pytest.raises(ValueError, match="unknown hook point 'after_generation'"):
        loggers.Callbacks(after_generation=print)
