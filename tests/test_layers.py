"""Layers that are true: envs <- evo <- viz <- the command line, no import cycle, no module named upward.

Three checks over every ``.py`` file of the packages ``envs``, ``evo`` and ``viz``:

- **no upward import**: a module imports only its own layer and the layers below it
  (:data:`ALLOWED`), at the top of the file or inside a function;
- **no import cycle**: the graph of "module A imports module B", built from every
  ``import`` and ``from ... import`` at any level (relative ones resolved), has no
  cycle. ``from package import name`` is an edge to the submodule ``package.name``
  when there is one, else to the package itself; the packages Python initialises
  on the way to a submodule are not edges, so a package's ``__init__`` may import
  its own submodules as long as none of them imports the package back;
- **no module named upward in a string**: a string (f-strings included, docstrings
  excluded) that names a module of a higher layer, as ``"viz.renderers:render_rgb"``
  or ``importlib.import_module("viz.app")`` do, is an upward import the first check
  cannot see. So ``envs`` neither imports nor names ``evo`` or ``viz``.

The command line is the set of files :data:`CLI`.
"""

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("envs", "evo", "viz")
CLI = {"evo/cli.py", "evo/__main__.py", "evo/commands.py"}
ALLOWED = {"envs": {"envs"}, "evo": {"envs", "evo"}, "viz": {"envs", "evo", "viz"},
           "cli": {"envs", "evo", "viz", "cli"}}
# A module name in a string: a dotted name starting at a package of ours, optionally ":attribute".
NAMED = re.compile(r"(?<![\w./\\-])((?:evo|viz|envs)(?:\.[A-Za-z_]\w*)*)(:[A-Za-z_]\w*)?(?![\w/\\-])")


def module_name(path: Path, root: Path = ROOT) -> str:
    """``evo/ray/pool.py`` -> ``evo.ray.pool``; ``evo/ray/__init__.py`` -> ``evo.ray``."""
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def sources(root: Path = ROOT) -> dict:
    """{module name: path} of every ``.py`` file in the packages under ``root``."""
    return {module_name(p, root): p for package in PACKAGES for p in sorted((root / package).rglob("*.py"))}


def statements(path: Path, module: str = "") -> list:
    """The file's imports, at the top or inside functions, as ``(module, None)`` for ``import module``
    and ``(module, [names])`` for ``from module import names``; ``module`` (the file's own dotted
    name) resolves relative imports (one beyond the top package is left out)."""
    package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found += [(a.name, None) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[:len(package) - node.level + 1]
                if not base:
                    continue
                source = ".".join(base + ([node.module] if node.module else []))
            else:
                source = node.module
            found.append((source, [a.name for a in node.names if a.name != "*"]))
    return found


def imports(path: Path, module: str = "") -> set:
    """Every module a file imports: ``import a.b`` gives ``a.b``; ``from a import b`` gives ``a`` and
    ``a.b`` (``b`` may be a submodule)."""
    found = set()
    for source, names in statements(path, module):
        found.add(source)
        found |= {f"{source}.{n}" for n in names or ()}
    return found


def layer_of(module: str):
    """The layer of a module of ours ("envs", "evo", "viz", "cli"), None for any other module."""
    cli = {rel[:-3].replace("/", ".").removesuffix(".__init__") for rel in CLI}
    if any(module == m or module.startswith(m + ".") for m in cli):
        return "cli"
    top = module.split(".")[0]
    return top if top in PACKAGES else None


def layer_of_file(rel: str):
    """The layer a file (path relative to the root, with ``/``) belongs to."""
    return "cli" if rel in CLI else rel.split("/")[0]


def graph(root: Path = ROOT) -> dict:
    """{module: modules of ours it imports}: ``import a.b`` is an edge to ``a.b``; ``from a import b``
    to ``a.b`` if that is a module of ours, else to ``a``. A module's edges to itself are left out."""
    known = sources(root)
    edges = {}
    for name, path in known.items():
        targets = set()
        for source, names in statements(path, name):
            for target in [source] if names is None else [f"{source}.{n}" for n in names] or [source]:
                while target and target not in known:  # "from a import f": f is not a module, a is
                    target = target.rpartition(".")[0]
                if target:
                    targets.add(target)
        edges[name] = targets - {name}
    return edges


def cycles(edges: dict) -> list:
    """One cycle (``[a, b, ..., a]``) for every strongly connected group of more than one module."""
    index, low, on_stack, stack, groups = {}, {}, set(), [], []

    def visit(v):  # Tarjan's algorithm, iterative: no recursion limit on deep graphs
        work = [(v, iter(sorted(edges.get(v, ()))))]
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        while work:
            node, children = work[-1]
            for w in children:
                if w not in index:
                    index[w] = low[w] = len(index)
                    stack.append(w)
                    on_stack.add(w)
                    work.append((w, iter(sorted(edges.get(w, ())))))
                    break
                if w in on_stack:
                    low[node] = min(low[node], index[w])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    group = set()
                    while True:
                        w = stack.pop()
                        on_stack.discard(w)
                        group.add(w)
                        if w == node:
                            break
                    if len(group) > 1:
                        groups.append(group)

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return sorted(_a_cycle(group, edges) for group in groups)


def _a_cycle(group: set, edges: dict) -> list:
    """A shortest cycle through the first module of ``group`` (breadth-first within the group)."""
    start = min(group)
    paths = {start: [start]}
    frontier = [start]
    while frontier:
        nxt = []
        for v in frontier:
            for w in sorted(edges[v] & group):
                if w == start:
                    return paths[v] + [start]
                if w not in paths:
                    paths[w] = paths[v] + [w]
                    nxt.append(w)
        frontier = nxt
    raise AssertionError(f"no cycle through {start}")  # a strongly connected group always has one


def _docstrings(tree) -> set:
    """The ids of the string nodes that are docstrings (of the module, a class or a function)."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) \
                    and isinstance(first.value.value, str):
                found.add(id(first.value))
    return found


def named_modules(path: Path, module: str = "") -> set:
    """Module names of ours written in the file's strings (not its docstrings). An f-string is read with
    its replacement fields as a name (``f"viz.{part}"`` names ``viz.x``)."""
    tree = ast.parse(path.read_text())
    skip = _docstrings(tree)
    texts = []
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):
            skip |= {id(v) for v in node.values}
            texts.append("".join(v.value if isinstance(v, ast.Constant) else "x" for v in node.values))
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in skip:
            texts.append(node.value)
    found = set()
    for text in texts:
        for match in NAMED.finditer(text):
            name, attribute = match.groups()
            if "." in name or attribute or text.strip() == name:
                found.add(name)
    return found


def upward(root: Path = ROOT, find=imports) -> list:
    """``"<file> imports|names <module>"`` for every module of a higher layer a file imports or names."""
    verb = "imports" if find is imports else "names"
    found = []
    for name, path in sources(root).items():
        rel = path.relative_to(root).as_posix()
        layer = layer_of_file(rel)
        for module in sorted(find(path, name)):
            target = layer_of(module)
            if target is not None and target not in ALLOWED[layer]:
                found.append(f"{rel} {verb} {module}")
    return found


# -- the checks -----------------------------------------------------------------------------


def test_no_upward_import():
    assert upward() == []


def test_no_import_cycle():
    found = [" -> ".join(c) for c in cycles(graph())]
    assert found == [], "import cycles: " + "; ".join(found)


def test_no_module_named_upward_in_a_string():
    assert upward(find=named_modules) == []


def test_envs_neither_imports_nor_names_evo_or_viz():
    found = [line for line in upward() + upward(find=named_modules) if line.startswith("envs/")]
    assert found == []


# -- the checks see what they are for: violations planted in a tree of their own --------------


def plant(tmp_path, files: dict) -> Path:
    """A tree with the packages of ours and the files given ({relative path: source})."""
    for package in PACKAGES:
        (tmp_path / package).mkdir(parents=True, exist_ok=True)
        (tmp_path / package / "__init__.py").touch()
    for rel, text in files.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text)
    return tmp_path


def test_the_check_sees_an_upward_import(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("def f():\n    from viz.renderers import render_rgb\n")
    assert "viz.renderers" in imports(bad) and layer_of("viz.renderers") == "viz" not in ALLOWED["envs"]
    root = plant(tmp_path / "tree", {"envs/game.py": "def f():\n    import evo.networks\n",
                                     "evo/ray/pool.py": "from viz import app\n",
                                     "viz/app.py": "from evo import cli\n", "evo/networks.py": "",
                                     "evo/cli.py": "import viz.app\n"})
    assert upward(root) == ["envs/game.py imports evo.networks", "evo/ray/pool.py imports viz",
                            "evo/ray/pool.py imports viz.app", "viz/app.py imports evo.cli"]


def test_the_check_sees_an_import_cycle_inside_functions_and_relative(tmp_path):
    root = plant(tmp_path, {
        "evo/kernels/evaluate.py": "def rollout():\n    from evo.ray import scheduler\n",
        "evo/ray/__init__.py": "",
        "evo/ray/scheduler.py": "from . import actor\n",
        "evo/ray/actor.py": "def play():\n    from ..kernels.evaluate import rollout\n",
        "evo/networks/__init__.py": "from evo.networks.mlp import MLP\n",
        "evo/networks/mlp.py": "def f():\n    import evo.networks\n",
        "evo/fine/__init__.py": "from evo.fine.a import A\n",
        "evo/fine/a.py": "from evo.fine import b\nA = 1\n",
        "evo/fine/b.py": "",
    })
    found = cycles(graph(root))
    assert found == [["evo.kernels.evaluate", "evo.ray.scheduler", "evo.ray.actor", "evo.kernels.evaluate"],
                     ["evo.networks", "evo.networks.mlp", "evo.networks"]]


def test_a_package_importing_its_submodules_is_no_cycle_unless_one_imports_it_back(tmp_path):
    root = plant(tmp_path, {"evo/ray/__init__.py": "from evo.ray.pool import Pool\n",
                            "evo/ray/pool.py": "from evo.ray import settings\n",
                            "evo/ray/settings.py": ""})
    assert cycles(graph(root)) == []
    (root / "evo/ray/settings.py").write_text("from evo.ray import Pool\n")  # the package's own name: back
    assert cycles(graph(root)) == [["evo.ray", "evo.ray.pool", "evo.ray.settings", "evo.ray"]]


def test_the_check_sees_a_module_named_upward_in_a_string(tmp_path):
    root = plant(tmp_path, {
        "envs/gym.py": '"""Drawn by viz.renderers (a docstring names it: fine)."""\n'
                       'RENDERER = "viz.renderers:render_rgb"\n',
        "envs/load.py": "import importlib\n\ndef f(part):\n    return importlib.import_module(f'evo.{part}')\n",
        "envs/plain.py": 'WORDS = "evolution is a vizier\'s game"\n',
        "evo/run.py": "import importlib\nAPP = importlib.import_module('viz')\n",
        "evo/cli.py": "import importlib\nAPP = importlib.import_module('viz.app')\n",
    })
    assert upward(root, find=named_modules) == ["envs/gym.py names viz.renderers", "envs/load.py names evo.x",
                                                 "evo/run.py names viz"]
