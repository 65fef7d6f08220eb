"""The README's two commands in one checkout: a plain install, then an editable one, into one venv."""

import shutil
import subprocess
import sysconfig
import venv
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # pip installs into a new virtual environment, and a cold kernel cache

ROOT = Path(__file__).resolve().parents[1]


def checkout_files(directory, names):
    """What ``shutil.copytree`` leaves out of a copy of the checkout: caches everywhere, and the top level's
    own folders (``runs/`` there is output; ``evo/runs/`` is a package and is copied)."""
    skipped = set(shutil.ignore_patterns("__pycache__", "*.egg-info")(directory, names))
    if Path(directory) == ROOT:
        skipped |= {".git", ".ci", ".venv", "runs", "build", "docs", "tests"} & set(names)
    return skipped


def sh(*args, env=None, cwd=None):
    res = subprocess.run([str(a) for a in args], capture_output=True, text=True, timeout=600, env=env, cwd=cwd)
    assert res.returncode == 0, f"{args}\n{res.stdout[-2000:]}\n{res.stderr[-2000:]}"
    return res.stdout


def test_plain_then_editable_install_leaves_a_working_cli(tmp_path):
    src = tmp_path / "src"
    shutil.copytree(ROOT, src, ignore=checkout_files)
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    py = env_dir / "bin" / "python"
    site = Path(sh(py, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])").strip())
    # the dependencies come from this interpreter's environment: the test installs only neuroevo
    (site / "_deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    env = {"PATH": f"{env_dir / 'bin'}:/usr/bin:/bin", "HOME": str(tmp_path),
           "NEUROEVO_CACHE_DIR": str(tmp_path / "cache"), "PYTHONNOUSERSITE": "1"}
    sh(py, "-m", "pip", "install", "-q", "--no-deps", str(src), env=env)
    sh(env_dir / "bin" / "neuroevo", "run", "cartpole", "--generations", "2", "--quiet", "--out",
       tmp_path / "run", env=env, cwd=tmp_path)
    compiled = [p for p in site.rglob("*") if p.suffix in (".nbi", ".nbc")]
    assert compiled == []
    sh(py, "-m", "pip", "install", "-q", "--no-deps", "-e", str(src), env=env)
    listed = sh(env_dir / "bin" / "neuroevo", "envs", env=env, cwd=tmp_path)
    assert "cartpole" in listed and "racer" in listed
    where = sh(py, "-c", "import envs, evo; print(envs.__file__); print(evo.__file__)", env=env, cwd=tmp_path)
    assert all(Path(line).is_relative_to(src) for line in where.split())

