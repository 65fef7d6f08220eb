"""Specialised copies of a generic kernel, compiled once and cached on disk.

A loop over agents is written once, as source text that calls ``_reset``,
``_observe`` and ``_step``. For each game it is written to a small module in
the cache directory that imports that game's functions under those names and
is then imported. Because the game's functions are module globals there,
Numba specialises the loop for the game *and* can cache it (a generic kernel
taking functions as arguments cannot be cached, which would cost seconds of
compilation in every new process).

The module's file name carries a hash of the template, of the source of every
module its kernels call into and of the Numba version, so an edited game never
runs stale machine code from the cache.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import string
import sys
import tempfile
from pathlib import Path
from types import ModuleType

import numba

_loaded: dict[tuple, ModuleType] = {}


def cache_dir() -> Path:
    """Where generated kernel modules live: ``$NEUROEVO_CACHE_DIR`` or ``~/.cache/neuroevo``."""
    configured = os.environ.get("NEUROEVO_CACHE_DIR")
    candidates = [Path(configured)] if configured else []
    candidates += [Path.home() / ".cache" / "neuroevo",
                   Path(tempfile.gettempdir()) / f"neuroevo-{os.getuid() if hasattr(os, 'getuid') else 0}"]
    for d in candidates:
        try:
            d.mkdir(parents=True, exist_ok=True)
            probe = d / f".probe-{os.getpid()}"
            probe.write_text("")
            probe.unlink()
            return d
        except OSError:
            continue
    raise OSError("no writable directory for compiled kernels; set NEUROEVO_CACHE_DIR")


def specialise(template: str, name: str, depends: tuple = (), **constants) -> ModuleType:
    """Import ``template`` with its ``$name`` placeholders substituted.

    Parameters
    ----------
    template : str
        Module source, e.g. with ``$game`` for a game module's import path.
    name : str
        Short name of the specialisation, part of the generated module's name
        (e.g. ``"rollout_cartpole"``).
    depends : tuple of module
        Modules whose kernels the template calls; their source is part of the
        cache key.
    **constants
        The substitutions, e.g. a game's module path, or layer sizes that
        become compile-time constants of the generated kernel.
    """
    memo = (template, name, tuple(sorted(constants.items())))
    if memo in _loaded:
        return _loaded[memo]
    source = string.Template(template).substitute(**constants)
    h = hashlib.sha256(source.encode())
    h.update(numba.__version__.encode())
    for mod in depends:
        h.update(Path(mod.__file__).read_bytes())
    name = f"neuroevo_{name}_{h.hexdigest()[:16]}"
    path = cache_dir() / f"{name}.py"
    if not path.exists() or path.read_text() != source:
        tmp = path.with_suffix(f".tmp{os.getpid()}")
        tmp.write_text(source)
        os.replace(tmp, path)
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    _loaded[memo] = module
    return module
