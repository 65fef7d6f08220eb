"""The README and docs/ run as written.

Every fenced block of README.md, docs/*.md and benchmarks/README.md is run,
block after block, in one fresh directory per document:

- ```python blocks are executed in one namespace per document (a later block
  may use what an earlier one defined);
- ```sh, ```bash and ```console blocks (their ``$ `` lines) are run by bash with ``set -e``, with
  the project's ``neuroevo`` first on PATH (a later block may use the files an
  earlier one wrote); the directory holds a link to the checkout's ``tests/``,
  so commands naming ``tests/envs/example_game/walker.py`` run as they do from
  the repository root;
- a block right after ``<!-- file: NAME -->`` (a TOML config, say) is written
  to NAME for the blocks that follow;
- a block right after ``<!-- not run: reason -->`` is not run: windows, Ray,
  installs and runs of minutes. Such blocks are reported as skipped with their
  reason, and there must stay few of them.

Blocks in other languages (``toml``, plain text) are shown, not run.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")), ROOT / "benchmarks" / "README.md"]
SHELLS = {"sh", "bash", "console"}
MAX_NOT_RUN = 8

_MARK = re.compile(r"<!--\s*(not run|file):\s*(.*?)\s*-->")
_FENCE = re.compile(r"```(\S*)\s*$")
_LINK = re.compile(r"\]\(([^)#\s]+)(#[^)\s]*)?\)")


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


@pytest.mark.parametrize("block", NOT_RUN, ids=lambda block: block.name)
def test_not_run(block):
    pytest.skip(f"not run: {block.not_run}")


@pytest.mark.parametrize("doc", DOCS, ids=lambda doc: str(doc.relative_to(ROOT)))
def test_links_point_at_files(doc):
    text = doc.read_text(encoding="utf-8")
    missing = [target for target, _ in _LINK.findall(text)
               if "://" not in target and not (doc.parent / target).exists()]
    assert missing == [], f"{doc.relative_to(ROOT)} links to files that do not exist: {missing}"


def _script(block: Block) -> str:
    """A shell block as bash runs it: a ``console`` block keeps only its ``$ `` lines, without the prompt."""
    if block.lang != "console":
        return block.text
    return "\n".join(line[2:] for line in block.text.splitlines() if line.startswith("$ "))


def _environment() -> dict:
    env = dict(os.environ)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
    env.update(SDL_VIDEODRIVER="dummy", PYGAME_HIDE_SUPPORT_PROMPT="1", MPLBACKEND="Agg")
    return env


@pytest.mark.slow
@pytest.mark.parametrize("doc", DOCS, ids=lambda doc: str(doc.relative_to(ROOT)))
def test_blocks_run_as_written(doc, tmp_path, monkeypatch):
    (tmp_path / "tests").symlink_to(ROOT / "tests", target_is_directory=True)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SDL_VIDEODRIVER", "dummy")
    monkeypatch.setenv("MPLBACKEND", "Agg")
    env = _environment()
    namespace = {"__name__": "__docs__"}
    for block in parse(doc)[0]:
        if block.not_run is not None:
            continue
        if block.file is not None:
            (tmp_path / block.file).write_text(block.text + "\n", encoding="utf-8")
        elif block.lang == "python":
            exec(compile(block.text, block.name, "exec"), namespace)
        elif block.lang in SHELLS:
            done = subprocess.run(["bash", "-e", "-o", "pipefail", "-c", _script(block)], cwd=tmp_path, env=env,
                                  capture_output=True, text=True, timeout=600)
            assert done.returncode == 0, (f"{block.name} exited {done.returncode}\n{block.text}\n"
                                          f"--- stdout\n{done.stdout[-3000:]}\n--- stderr\n{done.stderr[-3000:]}")
