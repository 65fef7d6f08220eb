"""Imports run one way: envs <- evo <- viz <- the command line (evo/cli.py, evo/__main__.py)."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CLI = {"evo/cli.py", "evo/__main__.py"}


def imports(path: Path) -> set:
    """Every module a file imports, at the top or inside functions."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found |= {f"{node.module}.{a.name}" for a in node.names}
    return found


def layer_of(module: str):
    top = module.split(".")[0]
    if module == "evo.cli" or module.startswith("evo.cli.") or module == "evo.__main__":
        return "cli"
    return top if top in ("envs", "evo", "viz") else None


ALLOWED = {"envs": {"envs"}, "evo": {"envs", "evo"}, "viz": {"envs", "evo", "viz"}, "cli": {"envs", "evo", "viz", "cli"}}


def test_no_upward_import():
    upward = []
    for path in sorted(ROOT.glob("*/**/*.py")):
        rel = path.relative_to(ROOT).as_posix()
        package = rel.split("/")[0]
        if package not in ("envs", "evo", "viz"):
            continue
        layer = "cli" if rel in CLI else package
        for module in imports(path):
            target = layer_of(module)
            if target is not None and target not in ALLOWED[layer]:
                upward.append(f"{rel} imports {module}")
    assert upward == []


def test_the_check_sees_an_upward_import(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("def f():\n    from viz.renderers import render_rgb\n")
    assert "viz.renderers" in imports(bad) and layer_of("viz.renderers") == "viz" not in ALLOWED["envs"]
