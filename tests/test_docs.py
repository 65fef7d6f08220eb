"""The README and docs/ run as written.

Every fenced block of README.md, docs/*.md and benchmarks/README.md is run,
block after block, in one fresh directory per document:

- ```python blocks are executed in one namespace per document (a later block
  may use what an earlier one defined);
- ```sh, ```bash and ```console blocks (their ``$ `` lines) are run line by
  line: a plain ``neuroevo ...`` command through ``evo.cli.main`` in this
  process (so its kernels compile once per test session), and each run of
  other lines (redirections, ``ls``, ``python -c``) by bash with ``set -e``,
  the project's ``neuroevo`` first on PATH. Every command must exit 0; a
  later block may use the files an earlier one wrote. The directory holds a
  link to the checkout's ``tests/``, so commands naming
  ``tests/envs/example_game/walker.py`` run as they do from the repository
  root;
- a block right after ``<!-- file: NAME -->`` (a TOML config, say) is written
  to NAME for the blocks that follow;
- a block right after ``<!-- not run: reason -->`` is not run: windows, Ray,
  installs and runs of minutes. Such blocks are reported as skipped with their
  reason, and there must stay few of them.

Blocks in other languages (``toml``, plain text) are shown, not run.
"""

from __future__ import annotations

import contextlib
import importlib
import io
import os
import re
import shlex
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")), ROOT / "benchmarks" / "README.md"]
SHELLS = {"sh", "bash", "console"}
_SHELL_WORDS = {"|", "||", "&&", ";", "&"}
MAX_NOT_RUN = 8

_MARK = re.compile(r"<!--\s*(not run|file):\s*(.*?)\s*-->")
_FENCE = re.compile(r"```(\S*)\s*$")
_LINK = re.compile(r"\]\(([^)#\s]*)(#[^)\s]*)?\)")


@dataclass(frozen=True)
class Block:
    """One fenced block of a markdown file and the marker before it."""

    doc: Path
    line: int            # 1-based line of the opening fence
    lang: str
    text: str
    not_run: str | None  # the reason, when marked not run
    file: str | None     # where to write the block, when marked as a file

    @property
    def name(self) -> str:
        return f"{self.doc.relative_to(ROOT)}:{self.line}"


def parse(doc: Path) -> tuple[list[Block], list[str]]:
    """The fenced blocks of ``doc`` in order, and the markers that are not followed by a block."""
    lines = doc.read_text(encoding="utf-8").splitlines()
    blocks, stray, mark, i = [], [], None, 0
    while i < len(lines):
        line = lines[i]
        marked = _MARK.fullmatch(line.strip())
        fence = _FENCE.match(line)
        if marked:
            if mark:
                stray.append(f"{doc.name}:{mark[2]}")
            mark = (marked[1], marked[2], i + 1)
        elif fence:
            end = next((j for j in range(i + 1, len(lines)) if lines[j].startswith("```")), None)
            assert end is not None, f"{doc.name}:{i + 1}: a fence that is never closed"
            kind, value = (mark[0], mark[1]) if mark else (None, None)
            blocks.append(Block(doc, i + 1, fence[1], "\n".join(lines[i + 1:end]),
                                value if kind == "not run" else None, value if kind == "file" else None))
            mark, i = None, end
        elif line.strip() and mark:
            stray.append(f"{doc.name}:{mark[2]}")
            mark = None
        i += 1
    if mark:
        stray.append(f"{doc.name}:{mark[2]}")
    return blocks, stray


def _runnable(block: Block) -> bool:
    return block.lang == "python" or block.lang in SHELLS


ALL = [block for doc in DOCS for block in parse(doc)[0]]
NOT_RUN = [block for block in ALL if block.not_run is not None]


def test_markers_sit_right_before_a_block():
    stray = [name for doc in DOCS for name in parse(doc)[1]]
    assert stray == [], f"markers followed by text instead of a block: {stray}"
    reasonless = [block.name for block in ALL if block.not_run == "" or block.file == ""]
    assert reasonless == [], f"markers without a reason or a file name: {reasonless}"


def test_few_blocks_are_not_run():
    runnable = [block for block in ALL if _runnable(block)]
    assert len(runnable) >= 20
    assert len(NOT_RUN) <= MAX_NOT_RUN, [f"{block.name} ({block.not_run})" for block in NOT_RUN]


def test_readme_keeps_its_two_commands():
    """The install-and-run and install-and-test lines are the front door (.ci/run runs the second)."""
    commands = [block.text for block in parse(ROOT / "README.md")[0]][:2]
    assert commands == [
        "python3 -m venv .venv && . .venv/bin/activate && pip install . && neuroevo run cartpole",
        "python3 -m venv .venv && . .venv/bin/activate && pip install -e '.[test]' && python -m pytest",
    ]
    assert len((ROOT / "README.md").read_text(encoding="utf-8").splitlines()) <= 300


@pytest.mark.parametrize("block", NOT_RUN, ids=lambda block: block.name)
def test_not_run(block):
    pytest.skip(f"not run: {block.not_run}")


def _anchors(doc: Path) -> set[str]:
    """The anchors GitHub gives the headings of ``doc``: lower case, punctuation dropped, spaces as hyphens."""
    headings = re.findall(r"^#+ (.+)$", doc.read_text(encoding="utf-8"), flags=re.M)
    return {re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-") for heading in headings}


@pytest.mark.parametrize("doc", DOCS, ids=lambda doc: str(doc.relative_to(ROOT)))
def test_links_point_at_files_and_headings(doc):
    text = doc.read_text(encoding="utf-8")
    missing = [target for target, _ in _LINK.findall(text)
               if target and "://" not in target and not (doc.parent / target).exists()]
    assert missing == [], f"{doc.relative_to(ROOT)} links to files that do not exist: {missing}"
    unknown = [f"{target}{anchor}" for target, anchor in _LINK.findall(text)
               if anchor and (target.endswith(".md") or not target)
               and anchor[1:] not in _anchors(doc.parent / target if target else doc)]
    assert unknown == [], f"{doc.relative_to(ROOT)} links to headings that do not exist: {unknown}"


_PATH = re.compile(r"`((?:evo|envs|viz|tests|benchmarks|scripts)/[\w./-]*)")
_DOTTED = re.compile(r"`((?:evo|envs|viz)(?:\.[A-Za-z_]\w*)+)")


def _resolves(dotted: str) -> bool:
    """Whether ``dotted`` is a module, or a module's attribute (an attribute's attribute...)."""
    parts = dotted.split(".")
    for split in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:split]))
        except ImportError:
            continue
        try:
            for name in parts[split:]:
                obj = getattr(obj, name)
        except AttributeError:
            return False
        return True
    return False


@pytest.mark.parametrize("doc", DOCS, ids=lambda doc: str(doc.relative_to(ROOT)))
def test_named_modules_files_and_functions_exist(doc):
    text = doc.read_text(encoding="utf-8")
    files = [path for path in _PATH.findall(text) if not (ROOT / path).exists()]
    assert files == [], f"{doc.relative_to(ROOT)} names files that do not exist: {files}"
    names = sorted({name for name in _DOTTED.findall(text) if not _resolves(name)})
    assert names == [], f"{doc.relative_to(ROOT)} names modules or attributes that do not exist: {names}"


def _lines(block: Block) -> list[str]:
    """A shell block's command lines: continuations joined; a ``console`` block's ``$ `` lines, without the prompt."""
    text = block.text.replace("\\\n", " ")
    lines = text.splitlines()
    if block.lang == "console":
        lines = [line[2:] for line in lines if line.startswith("$ ")]
    return [line for line in lines if line.strip() and not line.lstrip().startswith("#")]


def _in_process(line: str) -> list[str] | None:
    """The arguments of a plain ``neuroevo`` command (no redirection, pipe or variable), else None."""
    if any(c in line for c in "$`"):
        return None
    words = shlex.split(line, comments=True)
    if not words or words[0] != "neuroevo" or any(w in _SHELL_WORDS or w.startswith((">", "<", "2>")) for w in words):
        return None
    return words[1:]


def _neuroevo(args: list[str]) -> tuple[int, str]:
    """``neuroevo ARGS`` run by the command line's own entry point, in this process: its status and output."""
    from evo.cli import main

    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
        try:
            code = main(args)
        except SystemExit as e:  # argparse: --help, --version, a usage error
            code = e.code if isinstance(e.code, int) else 1
    return code, out.getvalue()


def _bash(lines: list[str], cwd: Path) -> tuple[int, str]:
    env = dict(os.environ)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
    env.update(SDL_VIDEODRIVER="dummy", PYGAME_HIDE_SUPPORT_PROMPT="1", MPLBACKEND="Agg")
    done = subprocess.run(["bash", "-e", "-o", "pipefail", "-c", "\n".join(lines)], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=600)
    return done.returncode, done.stdout[-3000:] + done.stderr[-3000:]


def _run_shell(block: Block, cwd: Path) -> None:
    """Run a shell block line by line: ``neuroevo`` commands in this process (their kernels compile once
    per test session), runs of other lines through bash."""
    pending: list[str] = []

    def flush():
        if pending:
            code, out = _bash(pending, cwd)
            assert code == 0, f"{block.name}: exit status {code} from\n" + "\n".join(pending) + f"\n{out}"
            pending.clear()

    for line in _lines(block):
        args = _in_process(line)
        if args is None:
            pending.append(line)
            continue
        flush()
        code, out = _neuroevo(args)
        assert code == 0, f"{block.name}: exit status {code} from\n{line}\n{out[-3000:]}"
    flush()


@pytest.mark.slow
@pytest.mark.parametrize("doc", DOCS, ids=lambda doc: str(doc.relative_to(ROOT)))
def test_blocks_run_as_written(doc, tmp_path, monkeypatch):
    (tmp_path / "tests").symlink_to(ROOT / "tests", target_is_directory=True)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SDL_VIDEODRIVER", "dummy")
    monkeypatch.setenv("MPLBACKEND", "Agg")
    namespace = {"__name__": "__docs__"}
    for block in parse(doc)[0]:
        if block.not_run is not None:
            continue
        if block.file is not None:
            (tmp_path / block.file).write_text(block.text + "\n", encoding="utf-8")
        elif block.lang == "python":
            exec(compile(block.text, block.name, "exec"), namespace)
        elif block.lang in SHELLS:
            _run_shell(block, tmp_path)
