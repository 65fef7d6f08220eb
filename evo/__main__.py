"""``python -m evo`` and the ``neuroevo`` script: the command line, with Ctrl-C covered from the first line.

This module is kept tiny on purpose: the interrupt handler is installed
before :mod:`evo.cli` (and everything it imports) is even compiled, so a
Ctrl-C at any moment after the interpreter reaches this file is one line and
exit status 130.
"""

import os
import signal


def _interrupted_while_loading(signum, frame):
    os.write(2, b"neuroevo: interrupted\n")
    os._exit(130)


def entry() -> None:
    signal.signal(signal.SIGINT, _interrupted_while_loading)  # main() installs its own handling later
    from evo.cli import entry as run_command_line
    run_command_line()


if __name__ == "__main__":
    entry()
