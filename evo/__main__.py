"""``python -m evo``: the ``neuroevo`` command line."""

from evo.cli import entry

entry()
