"""Specialised copies of a generic kernel, compiled once and cached on disk.

A loop over agents is written once, as source text that imports a game's
``reset``, ``observe`` and ``step`` (and the network code) by name. For each
game and network shape the text is filled in and imported as a small module.
Because the game's functions are module globals there, Numba specialises the
loop for the game *and* can cache it (a generic kernel taking functions as
arguments cannot be cached, which would cost seconds of compilation in every
new process).

Only these generated modules are cached, and only in the cache directory
(:func:`cache_dir`): the package's own ``@njit`` functions carry no
``cache=True``, so nothing is ever written beside the installed package. A
generated module's file name carries a hash of its source, of the source file
of every Numba function it calls (found by walking the call graph, not from a
hand-kept list), of the values of the globals those functions read, and of
the Python, NumPy and Numba versions: an edit anywhere a kernel reaches gives
a new name, so stale machine code is never loaded.

What is imported from the cache directory is what this process wrote or
checked: the directory must belong to the current user and be writable by
nobody else (it is created mode 0700), and a generated module is compiled
from the source text this process expects, never from whatever the file
holds. Where no such directory is available the kernels are compiled
without a cache, with one note on stderr.
"""

from __future__ import annotations

import ast
import hashlib
import importlib
import inspect
import linecache
import os
import stat
import string
import sys
import tempfile
import types
from pathlib import Path

import numba
import numpy as np
from numba.core.dispatcher import Dispatcher
from numba.core.extending import _Intrinsic

_loaded: dict[tuple, types.ModuleType] = {}
_cache: list = []  # [Path or None] once decided
_noted: list = []


def _note(message: str) -> None:
    if not _noted:
        _noted.append(message)
        print(f"neuroevo: note: {message}", file=sys.stderr)


def unsafe_reason(path: Path) -> str | None:
    """Why ``path`` cannot hold code this process will run, or None if it can.

    A usable directory is a real directory (not a symlink) owned by the current
    user, neither group- nor world-writable, and writable by us.
    """
    try:
        st = os.lstat(path)
    except OSError as e:
        return f"cannot be read ({e.strerror})"
    if stat.S_ISLNK(st.st_mode):
        return "is a symbolic link"
    if not stat.S_ISDIR(st.st_mode):
        return "is not a directory"
    if hasattr(os, "getuid") and st.st_uid != os.getuid():
        return "belongs to another user"
    if st.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        return "is writable by other users"
    if not os.access(path, os.W_OK | os.X_OK):
        return "is read-only"
    return None


def _private_dir(path: Path) -> str | None:
    """Create ``path`` (mode 0700) if missing; return why it is unusable, or None."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.mkdir(mode=0o700, exist_ok=True)
    except OSError as e:
        return f"cannot be created ({e.strerror})"
    reason = unsafe_reason(path)
    if reason is None:
        pycache = path / "__pycache__"  # where Numba keeps its index (pickles) and machine code
        try:
            pycache.mkdir(mode=0o700, exist_ok=True)
        except OSError as e:
            return f"cannot hold __pycache__ ({e.strerror})"
        reason = unsafe_reason(pycache)
        if reason is not None:
            reason = f"has a __pycache__ that {reason}"
    return reason


def cache_dir() -> Path | None:
    """Where generated kernel modules and their machine code live, or None for no cache.

    ``$NEUROEVO_CACHE_DIR`` if set, else ``~/.cache/neuroevo``, else (no
    usable home) ``<tempdir>/neuroevo-<uid>``. A directory that another user
    owns or can write, or that we cannot write, is not used: kernels then
    compile in memory, and one note on stderr says why.
    """
    if _cache:
        return _cache[0]
    configured = os.environ.get("NEUROEVO_CACHE_DIR")
    if configured:
        candidates = [Path(configured).expanduser()]
    else:
        uid = os.getuid() if hasattr(os, "getuid") else 0
        candidates = [Path.home() / ".cache" / "neuroevo", Path(tempfile.gettempdir()) / f"neuroevo-{uid}"]
    chosen, reasons = None, []
    for d in candidates:
        reason = _private_dir(d)
        if reason is None:
            chosen = d
            break
        reasons.append(f"{d} {reason}")
    if chosen is None:
        _note(f"compiling without a kernel cache: {'; '.join(reasons)} "
              "(set NEUROEVO_CACHE_DIR to a private writable directory)")
    elif reasons:
        _note(f"kernel cache in {chosen}: {'; '.join(reasons)}")
    _cache.append(chosen)
    return chosen


def _code_names(code: types.CodeType) -> set:
    """Every global and attribute name a function's code (and the code nested in it) mentions."""
    names = set(code.co_names)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            names |= _code_names(const)
    return names


def _value_bytes(value) -> bytes | None:
    """Bytes standing for a global constant that Numba freezes into machine code, or None if not one."""
    if isinstance(value, np.ndarray):
        return f"{value.dtype}{value.shape}".encode() + value.tobytes()
    if isinstance(value, (bool, int, float, complex, str, bytes, np.generic)):
        return repr(value).encode() + type(value).__name__.encode()
    if isinstance(value, tuple):
        parts = [_value_bytes(v) for v in value]
        return None if any(p is None for p in parts) else b"(" + b",".join(parts) + b")"
    return None


def _reach(value, files: set, values: list, seen: set) -> bool:
    """Follow ``value`` if it is compiled code: a Numba function (walked) or an intrinsic (its source file,
    which generates its code). False for anything else."""
    if isinstance(value, Dispatcher):
        _walk(value, files, values, seen)
    elif isinstance(value, _Intrinsic):
        files.add(inspect.getsourcefile(value._defn))
    else:
        return False
    return True


def _walk(dispatcher, files: set, values: list, seen: set) -> None:
    """Collect the source files and global values reached from ``dispatcher``'s code."""
    func = dispatcher.py_func
    if id(func) in seen:
        return
    seen.add(id(func))
    files.add(inspect.getsourcefile(func))
    scope = func.__globals__
    names = _code_names(func.__code__)
    for name in sorted(names):
        if name not in scope:
            continue
        value = scope[name]
        if _reach(value, files, values, seen):
            continue
        if isinstance(value, types.ModuleType):
            for attr in sorted(names):  # module.attr: the attribute's name is among the code's names too
                member = getattr(value, attr, None)
                if not _reach(member, files, values, seen):
                    data = _value_bytes(member)
                    if data is not None:
                        values.append(f"{value.__name__}.{attr}=".encode() + data)
        else:
            data = _value_bytes(value)
            if data is not None:
                values.append(f"{func.__module__}.{name}=".encode() + data)


def dependencies(source: str) -> tuple[list, list]:
    """Source files and global values every Numba function imported by ``source`` reaches.

    Returns
    -------
    files : list of str
        Sorted paths of the modules whose functions the kernels call, directly or not.
    values : list of bytes
        Global constants those functions read, each as ``module.name=<bytes>``.
    """
    files, values, seen = set(), [], set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and node.module:
            module = importlib.import_module(node.module)
            for alias in node.names:
                value = getattr(module, alias.name, None)
                if not _reach(value, files, values, seen):
                    data = _value_bytes(value)  # a constant another generated module computed
                    if data is not None:
                        values.append(f"{node.module}.{alias.name}=".encode() + data)
    return sorted(files), values


def source_key(source: str) -> str:
    """Hash of a generated module's source and of everything its kernels reach (see module docstring)."""
    files, values = dependencies(source)
    h = hashlib.sha256(source.encode())
    for part in (sys.version, np.__version__, numba.__version__):
        h.update(part.encode())
    for f in files:
        h.update(f.encode())
        # a generated module compiled without a cache directory has no file: its source is in linecache
        h.update(Path(f).read_bytes() if os.path.isfile(f) else "".join(linecache.getlines(f)).encode())
    for v in values:
        h.update(v)
    return h.hexdigest()[:20]


def write_atomically(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` in the cache directory through a temporary file of this process, never
    following a link at either name (OSError when the temporary name is taken)."""
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    try:
        with open(tmp, "x", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def _execute(name: str, source: str, filename: str) -> types.ModuleType:
    module = types.ModuleType(name)
    module.__file__ = filename
    sys.modules[name] = module
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    saved = numba.config.CACHE_DIR, numba.config.CACHE_LOCATOR_CLASSES
    # Numba's in-tree locator puts the machine code in the cache directory's
    # own __pycache__; a user-wide NUMBA_CACHE_DIR would scatter it elsewhere
    numba.config.CACHE_DIR, numba.config.CACHE_LOCATOR_CLASSES = "", ""
    try:
        exec(compile(source, filename, "exec"), module.__dict__)
    except BaseException:
        del sys.modules[name]
        raise
    finally:
        numba.config.CACHE_DIR, numba.config.CACHE_LOCATOR_CLASSES = saved
    return module


def specialise(template: str, name: str, **constants) -> types.ModuleType:
    """Import ``template`` with its ``$name`` placeholders substituted.

    Parameters
    ----------
    template : str
        Module source, e.g. with ``$game`` for a game module's import path.
        Its kernels are declared ``@njit(cache=True, ...)``; without a usable
        cache directory they are compiled with ``cache=False`` instead.
    name : str
        Short name of the specialisation, part of the generated module's name
        (e.g. ``"rollout_cartpole"``).
    **constants
        The substitutions, e.g. a game's module path, or layer sizes that
        become compile-time constants of the generated kernel.
    """
    memo = (template, name, tuple(sorted(constants.items())))
    if memo in _loaded:
        return _loaded[memo]
    source = string.Template(template).substitute(**constants)
    module_name = f"neuroevo_{name}_{source_key(source)}"
    directory = cache_dir()
    if directory is None:
        module = _execute(module_name, source.replace("cache=True", "cache=False"), f"<{module_name}>")
    else:
        path = directory / f"{module_name}.py"
        try:
            on_disk = path.read_text(encoding="utf-8") if path.is_file() and not path.is_symlink() else None
        except (OSError, UnicodeDecodeError):
            on_disk = None
        if on_disk != source:
            write_atomically(path, source)  # os.replace also replaces a symbolic link itself
        # compiled from `source` itself: the file only gives Numba a path to key its cache on
        module = _execute(module_name, source, str(path))
    _loaded[memo] = module
    return module
