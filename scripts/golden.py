"""Golden runs: fixed-seed results that a refactoring must leave identical to the bit.

    python scripts/golden.py record OUT_DIR     # runs, resumable run directories, golden.json
    python scripts/golden.py check OUT_DIR      # the same runs again; every hash compared

``record`` plays, for every game, a short ``neuroevo run`` (log.csv and champion hashed) and the
fused rollout with each kernel; for every algorithm family and network kind a short run; and
leaves run directories stopped half-way (``OUT_DIR/resume/*``) together with the hashes of the
same directories resumed to the end by the recording version. ``check`` resumes copies of those directories with the code at hand
and compares everything. Run ``record`` with one version of the package and ``check`` with
another (``PYTHONPATH`` picks the checkout).
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
              ("acrobot", "pgpe"), ("maze", "novelty"), ("maze", "map_elites")]
NETWORKS = [("cartpole", "elman"), ("pong", "gru"), ("snake", "lstm"), ("flappy", "gru")]


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


RESUMES = [("cartpole", ()), ("maze", ("--algorithm", "novelty")), ("pong", ("--network", "gru")),
           ("acrobot", ("--algorithm", "cmaes"))]


def _resume(out: Path, game: str) -> dict:
    """Resume a copy of the run directory stopped after 3 generations, to 6 generations."""
    d = out / "runs" / f"resumed-{game}"
    if d.exists():
        shutil.rmtree(d)
    shutil.copytree(out / "resume" / game, d)
    _cli("run", "--resume", str(d), "--generations", "6", "--quiet")
    return {"log": _digest(d / "log.csv"), "champion": _champion_digest(d / "champion.npz")}


def record(out: Path) -> dict:
    golden = {"runs": {}, "resume": {}}
    for name, flags in _plan():
        golden["runs"][name] = _run(out, name, *flags)
        print(name, golden["runs"][name], flush=True)
    for game, extra in RESUMES:
        flags = (game, *extra, "--pop", "24", "--episodes", "2", "--seed", "2", "--checkpoint-every", "1")
        half = out / "runs" / f"half-{game}"
        if half.exists():
            shutil.rmtree(half)
        _cli("run", *flags, "--generations", "3", "--out", str(half), "--quiet", "--threads", "2")
        keep = out / "resume" / game
        if keep.exists():
            shutil.rmtree(keep)
        shutil.copytree(half, keep)
        golden["resume"][game] = _resume(out, game)
        print("resume", game, golden["resume"][game], flush=True)
    golden["rollout"] = _rollouts()
    (out / "golden.json").write_text(json.dumps(golden, indent=1, sort_keys=True))
    return golden


def _recorded_log(d: Path, digest: str) -> str | None:
    """The recorded log.csv of run directory ``d``, if it is still the one whose digest was recorded."""
    path = d / "log.csv"
    return path.read_text() if path.is_file() and _digest(path) == digest else None


def _projected(text: str, columns: list) -> str:
    """``text`` (a log.csv) cut to ``columns``, in their order: a log with columns added since, as it was."""
    rows = list(csv.DictReader(io.StringIO(text)))
    buf = io.StringIO()
    writer = csv.DictWriter(buf, columns, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buf.getvalue()


def _compare(d: Path, got: dict, want: dict, old_log: str | None) -> str:
    """"same", "same (log columns added: ...)" or "DIFFERENT ..." for a run's files against the recorded ones."""
    if got == want:
        return "same"
    if got["champion"] != want["champion"]:
        return "DIFFERENT champion"
    if old_log is None:
        return "DIFFERENT log (the recorded log.csv is not in the directory to compare columns)"
    columns = old_log.splitlines()[0].split(",")
    new = (d / "log.csv").read_text()
    if _projected(new, columns) != _projected(old_log, columns):
        return "DIFFERENT log"
    added = [c for c in new.splitlines()[0].split(",") if c not in columns]
    return f"same (log columns added: {', '.join(added)})"


def check(out: Path) -> int:
    """Play every recorded run again and compare. A log.csv that only gained columns since it was recorded
    is the same where its recorded columns are (their values compared as text, row by row)."""
    golden = json.loads((out / "golden.json").read_text())
    bad = 0
    for name, flags in _plan():
        old_log = _recorded_log(out / "runs" / name, golden["runs"][name]["log"])
        verdict = _compare(out / "runs" / name, _run(out, name, *flags), golden["runs"][name], old_log)
        bad += verdict.startswith("DIFFERENT")
        print(f"{verdict} {name}", flush=True)
    for game, _ in RESUMES:
        d = out / "runs" / f"resumed-{game}"
        old_log = _recorded_log(d, golden["resume"][game]["log"])
        verdict = _compare(d, _resume(out, game), golden["resume"][game], old_log)
        bad += verdict.startswith("DIFFERENT")
        print(f"{verdict} resume {game}", flush=True)
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
