"""Golden runs: fixed-seed results that a refactoring must leave identical to the bit.

    python scripts/golden.py record OUT_DIR     # runs, resumable run directories, golden.json
    python scripts/golden.py check OUT_DIR      # the same runs again; every hash compared

``record`` plays, for every game, a short ``neuroevo run`` (log.csv and champion hashed) and the
fused rollout with each kernel; for every algorithm family and network kind (NEAT and the pixel
games' convolutional networks included) a short run; and
leaves run directories stopped half-way (``OUT_DIR/resume/*``) together with the hashes of the
same directories resumed to the end by the recording version. ``check`` resumes copies of those directories with the code at hand
and compares everything (runs added to the plan after a recording say "not recorded"). Run
``record`` with one version of the package and ``check`` with another (``PYTHONPATH`` picks the
checkout).
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import io
import json
import shutil
import sys
from pathlib import Path

import numpy as np

GAMES = ["cartpole", "flappy", "snake", "pong", "racer", "maze", "acrobot", "mountaincar",
         "mountaincar_continuous", "pendulum", "xor", "circles", "spirals", "blobs", "iris"]
ALGORITHMS = [("cartpole", "ga"), ("cartpole", "truncation_ga"), ("cartpole", "cmaes"),
              ("cartpole", "sep_cmaes"), ("cartpole", "openai_es"), ("pendulum", "snes"),
              ("acrobot", "pgpe"), ("maze", "novelty"), ("maze", "map_elites"), ("cartpole", "neat"),
              ("snake", "neat")]
NETWORKS = [("cartpole", "elman"), ("pong", "gru"), ("snake", "lstm"), ("flappy", "gru")]
PIXELS = ["pong", "snake"]  # the pixel presets' convolutional networks


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16]


def _champion_digest(path: Path) -> str:
    with np.load(path, allow_pickle=False) as z:
        h = hashlib.sha256()
        for k in sorted(z.files):
            h.update(k.encode())
            h.update(np.ascontiguousarray(z[k]).tobytes())
    return h.hexdigest()[:16]


def _cli(*argv) -> None:
    from evo.cli import main
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        code = main(list(argv))
    if code != 0:
        raise SystemExit(f"neuroevo {' '.join(argv)} exited {code}")


def _run(out: Path, name: str, *flags) -> dict:
    d = out / "runs" / name
    if d.exists():
        shutil.rmtree(d)
    _cli("run", *flags, "--out", str(d), "--quiet", "--threads", "2")
    return {"log": _digest(d / "log.csv"), "champion": _champion_digest(d / "champion.npz")}


def _rollouts() -> dict:
    import envs
    import evo
    result = {}
    for game in GAMES:
        env = envs.make(game)
        for kind, net in (("mlp", evo.MLP([env.obs_size, 8, env.num_outputs])),
                          ("gru", evo.RNN([env.obs_size, 8, env.num_outputs], cell="gru"))):
            genomes = net.init(np.random.default_rng(5), 24)
            kernels = ("agent", "lockstep") if kind == "mlp" else ("agent",)
            for kernel in kernels:
                r = evo.rollout(env, net, genomes, episodes=2, seed=11, kernel=kernel)
                h = hashlib.sha256(np.ascontiguousarray(r.returns).tobytes()
                                   + np.ascontiguousarray(r.steps).tobytes()).hexdigest()[:16]
                result[f"{game}/{kind}/{kernel}"] = h
    return result


def _plan():
    small = ("--generations", "3", "--pop", "24", "--episodes", "2", "--seed", "1")
    for game in GAMES:
        yield f"game-{game}", (game, *small)
    for game, algorithm in ALGORITHMS:
        yield f"alg-{game}-{algorithm}", (game, "--algorithm", algorithm, *small)
    for game, cell in NETWORKS:
        yield f"net-{game}-{cell}", (game, "--network", cell, *small)
    for game in PIXELS:
        yield f"pixels-{game}", (game, "--obs", "pixels", *small)


# (name, game, flags): a run stopped after 3 generations, kept in resume/NAME, resumed to 6
RESUMES = [("cartpole", "cartpole", ()), ("maze", "maze", ("--algorithm", "novelty")),
           ("pong", "pong", ("--network", "gru")), ("acrobot", "acrobot", ("--algorithm", "cmaes")),
           ("cartpole-neat", "cartpole", ("--algorithm", "neat")), ("pong-pixels", "pong", ("--obs", "pixels"))]


def _resume(out: Path, name: str) -> dict:
    """Resume a copy of the run directory stopped after 3 generations, to 6 generations."""
    d = out / "runs" / f"resumed-{name}"
    if d.exists():
        shutil.rmtree(d)
    shutil.copytree(out / "resume" / name, d)
    _cli("run", "--resume", str(d), "--generations", "6", "--quiet")
    return {"log": _digest(d / "log.csv"), "champion": _champion_digest(d / "champion.npz")}


def record(out: Path) -> dict:
    golden = {"runs": {}, "resume": {}}
    for name, flags in _plan():
        golden["runs"][name] = _run(out, name, *flags)
        print(name, golden["runs"][name], flush=True)
    for name, game, extra in RESUMES:
        flags = (game, *extra, "--pop", "24", "--episodes", "2", "--seed", "2", "--checkpoint-every", "1")
        half = out / "runs" / f"half-{name}"
        if half.exists():
            shutil.rmtree(half)
        _cli("run", *flags, "--generations", "3", "--out", str(half), "--quiet", "--threads", "2")
        keep = out / "resume" / name
        if keep.exists():
            shutil.rmtree(keep)
        shutil.copytree(half, keep)
        golden["resume"][name] = _resume(out, name)
        print("resume", name, golden["resume"][name], flush=True)
    golden["rollout"] = _rollouts()
    (out / "golden.json").write_text(json.dumps(golden, indent=1, sort_keys=True))
    return golden


def _recorded(d: Path, want: dict) -> tuple:
    """The recorded log.csv text and champion arrays of run directory ``d`` (None each where the file is
    gone or no longer the one whose digest was recorded)."""
    log, champion = d / "log.csv", d / "champion.npz"
    text = log.read_text() if log.is_file() and _digest(log) == want["log"] else None
    arrays = None
    if champion.is_file() and _champion_digest(champion) == want["champion"]:
        with np.load(champion, allow_pickle=False) as z:
            arrays = {k: z[k] for k in z.files}
    return text, arrays


def _projected(text: str, columns: list) -> str:
    """``text`` (a log.csv) cut to ``columns``, in their order: a log with columns added since, as it was."""
    rows = list(csv.DictReader(io.StringIO(text)))
    buf = io.StringIO()
    writer = csv.DictWriter(buf, columns, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buf.getvalue()


def _compare(d: Path, got: dict, want: dict, recorded: tuple) -> str:
    """"same", "same (... added: ...)" or "DIFFERENT ..." for a run's files against the recorded ones.

    A log.csv or champion.npz that only gained columns or fields since it was recorded is the same where
    its recorded ones are."""
    if got == want:
        return "same"
    old_log, old_champion = recorded
    added = []
    if got["champion"] != want["champion"]:
        if old_champion is None:
            return "DIFFERENT champion (the recorded champion.npz is not in the directory to compare fields)"
        with np.load(d / "champion.npz", allow_pickle=False) as z:
            new = {k: z[k] for k in z.files}
        if any(k not in new or not np.array_equal(new[k], v) for k, v in old_champion.items()):
            return "DIFFERENT champion"
        added += [f"champion {k}" for k in new if k not in old_champion]
    if got["log"] != want["log"]:
        if old_log is None:
            return "DIFFERENT log (the recorded log.csv is not in the directory to compare columns)"
        columns = old_log.splitlines()[0].split(",")
        text = (d / "log.csv").read_text()
        if _projected(text, columns) != _projected(old_log, columns):
            return "DIFFERENT log"
        added += [f"log {c}" for c in text.splitlines()[0].split(",") if c not in columns]
    return f"same ({', '.join(added)} added)"


def check(out: Path) -> int:
    """Play every recorded run again and compare (:func:`_compare`)."""
    golden = json.loads((out / "golden.json").read_text())
    bad = 0
    for name, flags in _plan():
        if name not in golden["runs"]:  # added to the plan after that version recorded
            print(f"not recorded {name}", flush=True)
            continue
        recorded = _recorded(out / "runs" / name, golden["runs"][name])
        verdict = _compare(out / "runs" / name, _run(out, name, *flags), golden["runs"][name], recorded)
        bad += verdict.startswith("DIFFERENT")
        print(f"{verdict} {name}", flush=True)
    for name, _, _ in RESUMES:
        if name not in golden["resume"]:
            print(f"not recorded resume {name}", flush=True)
            continue
        d = out / "runs" / f"resumed-{name}"
        recorded = _recorded(d, golden["resume"][name])
        verdict = _compare(d, _resume(out, name), golden["resume"][name], recorded)
        bad += verdict.startswith("DIFFERENT")
        print(f"{verdict} resume {name}", flush=True)
    for key, h in _rollouts().items():
        ok = h == golden["rollout"][key]
        bad += not ok
        if not ok:
            print("DIFFERENT rollout " + key, flush=True)
    print(f"{bad} different", flush=True)
    return 1 if bad else 0


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] not in ("record", "check"):
        raise SystemExit(__doc__)
    out = Path(sys.argv[2])
    out.mkdir(parents=True, exist_ok=True)
    raise SystemExit(record(out) and 0 if sys.argv[1] == "record" else check(out))
