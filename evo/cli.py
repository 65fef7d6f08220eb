"""The ``neuroevo`` command line: arguments in, exit status out.

Commands: ``run``, ``eval``, ``envs``, ``check-game``, ``sweep``, ``plot`` (headless:
:mod:`evo.runs.commands`, :mod:`evo.runs.sweep`, :mod:`evo.runs.overlay`) and ``watch``, ``replay``,
``play``, ``record`` (pygame, imported only by those commands:
:mod:`evo.commands`). This module parses the arguments, calls the command and
turns what it raises into an exit status.

Exit status: 0 done; 1 the program failed (one line on stderr; ``--debug``
shows the traceback); 2 bad input (one line on stderr, no file written or
changed); 130 interrupted (Ctrl-C, at any moment).
"""

from __future__ import annotations

import argparse
import atexit
import gc
import os
import signal
import sys

from evo.runs.commands import EXIT_FAILURE, EXIT_INTERRUPTED, EXIT_USAGE, UsageError, disconnect

class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line instead of usage + message, with a suggestion for a typo
        if message.startswith("unrecognized arguments: "):
            import difflib
            parsers = [self] + [p for a in self._actions if isinstance(a, argparse._SubParsersAction)
                                for p in a.choices.values()]
            known = sorted({o for p in parsers for a in p._actions for o in a.option_strings})
            for arg in message.split(": ", 1)[1].split():
                close = difflib.get_close_matches(arg.split("=")[0], known, n=1)
                if arg.startswith("-") and close and close[0] == arg.split("=")[0]:  # a flag of another place
                    message += f" ({close[0]} goes before the command: neuroevo {close[0]} COMMAND ...)"
                    break
                if arg.startswith("-") and close:
                    message += f" (did you mean {close[0]}?)"
                    break
        raise UsageError(f"{self.prog}: {message}")


def one_line(text: str) -> str:
    """``text`` with its control characters (a newline in a file name, an escape) written as Python escapes,
    so that a message is the one line it claims to be."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def _version() -> str:
    from importlib import metadata
    try:
        return metadata.version("neuroevo")
    except metadata.PackageNotFoundError:
        return "unknown (not installed)"


def _int_list(text: str) -> list:
    try:
        values = [int(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated integers, got {text!r}") from None
    return values


def _seed_range(text: str) -> list:
    try:
        spans = []  # (first, last) of every part, counted before any list is made
        for part in text.split(","):
            a, _, b = part.partition("-")
            spans.append((int(a), int(b) if b else int(a)))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected seeds like 0-9 or 1,4,7, got {text!r}") from None
    count = sum(max(0, last - first + 1) for first, last in spans)
    if count > 100_000:
        raise argparse.ArgumentTypeError(f"at most 100000 seeds in one sweep, got {count}")
    seeds = [seed for first, last in spans for seed in range(first, last + 1)]
    if not seeds or min(seeds) < 0 or max(seeds) > 2**64 - 1:
        raise argparse.ArgumentTypeError(f"expected seeds in 0..2**64-1, got {text!r}")
    seen = set()
    for seed in seeds:
        if seed in seen:  # two runs of one seed would share its seed-<S> directory
            raise argparse.ArgumentTypeError(f"seed {seed} appears twice in {text!r}; each seed is one run")
        seen.add(seed)
    return seeds


def _env_param(text: str) -> tuple:
    """``KEY=VALUE`` as (key, value): a number where the value reads as one, else the text (track=hairpin)."""
    key, sep, value = text.partition("=")
    if not sep or not key.strip() or not value.strip():
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, got {text!r}")
    try:
        return key.strip(), float(value)
    except ValueError:
        return key.strip(), value.strip()


def _add_env_param_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--env-param", type=_env_param, action="append", default=[], dest="env_params",
                   metavar="KEY=VALUE", help="a game parameter overriding the run's (repeatable), "
                   "e.g. track=hairpin")


def _add_run_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("env", nargs="?", help="game name (see `neuroevo envs`) or gym:<Gymnasium id>")
    p.add_argument("--config", metavar="FILE.toml", help="settings from a TOML file; flags override it")
    p.add_argument("--level", metavar="NAME", help="the game's level (default: its default level; see `neuroevo envs`)")
    p.add_argument("--generations", type=int, metavar="N")
    p.add_argument("--pop", type=int, metavar="N", dest="pop_size", help="population size")
    p.add_argument("--episodes", type=int, metavar="N", help="episodes per genome per generation")
    p.add_argument("--seed", type=int, metavar="S")
    p.add_argument("--algorithm", metavar="NAME",
                   help="ga, truncation_ga, novelty, map_elites, neat, or an evolution strategy: cmaes, sep_cmaes, "
                   "openai_es, snes, pgpe (default: the game's preset's, ga unless it names one; see "
                   "docs/algorithms.md); a strategy plays its own population and episodes unless --pop/--episodes "
                   "say otherwise")
    p.add_argument("--hidden", type=_int_list, metavar="16,16", help="hidden layer widths")
    p.add_argument("--objectives", type=lambda t: [v.strip() for v in t.split(",") if v.strip()],
                   metavar="NAME,NAME", help="objectives beside the game's return, played with NSGA-II: the "
                   "game's own (racer: pace) or the network's (l1, size); see docs/objectives.md")
    p.add_argument("--network", choices=("mlp", "elman", "gru", "lstm", "cnn"),
                   help="feed-forward (mlp, default), recurrent with that cell, or convolutional (cnn, with --obs "
                   "pixels)")
    p.add_argument("--obs", choices=("features", "pixels"),
                   help="what the networks see: the game's feature vector (default) or a small image it draws; "
                   "pixels plays the game's CNN preset (conv layers, dense --hidden layers, population)")
    p.add_argument("--target", type=float, metavar="F",
                   help="solved, and stop, when the lower end of the 95%% confidence interval of the champion's "
                   "mean over its test episodes reaches F (default: the game's solved_at)")
    p.add_argument("--threads", type=int, metavar="N", help="Numba threads (default: all cores)")
    p.add_argument("--max-steps", type=int, metavar="N", dest="max_steps",
                   help="a budget: stop, with a checkpoint, once the run has played N environment steps")
    p.add_argument("--max-evaluations", type=int, metavar="N", dest="max_evaluations",
                   help="a budget: stop once N genomes have been evaluated (a generation evaluates its population)")
    p.add_argument("--max-seconds", type=float, metavar="S", dest="max_seconds",
                   help="a budget: stop once this process has driven the run S seconds")


def _add_level_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--level", metavar="NAME", help="play the champion at this level of its game (default: its run's)")


def _add_backend_options(p: argparse.ArgumentParser, sweep: bool = False) -> None:
    p.add_argument("--backend", choices=("local", "ray"),
                   help="one run per seed as Ray tasks across the cluster" if sweep else
                   "evaluate each generation here (local, default) or on Ray actors (ray): same results")
    p.add_argument("--address", metavar="ADDR",
                   help="Ray cluster: auto (joins `ray start`), ray://host:10001; default a local Ray")


QUIET = "only the last line, how the run ended (no progress bar)"


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="neuroevo",
                     description="Evolve neural networks that play games, headless or in a window.")
    parser.add_argument("--debug", action="store_true", help="show the traceback when the program fails")
    parser.add_argument("--version", action="version", version=f"neuroevo {_version()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    p = sub.add_parser("run", help="evolve headless, writing a run directory")
    _add_run_options(p)
    p.add_argument("--out", metavar="DIR", help="run directory (default runs/<env>-<timestamp>)")
    p.add_argument("--resume", metavar="DIR", help="continue the run in DIR from its last checkpoint")
    p.add_argument("--checkpoint-every", type=int, metavar="K", dest="checkpoint_every")
    p.add_argument("--print-config", action="store_true", help="print the resolved config as TOML and exit")
    p.add_argument("--from", metavar="RUN", dest="from_run",
                   help="a new run starting from RUN's last population, with RUN's settings but those given")
    p.add_argument("--champion", action="store_true", help="with --from: start from RUN's champion alone")
    p.add_argument("--log", action="append", choices=("tensorboard", "mlflow"),
                   help="also log every generation to TensorBoard event files in the run directory, or to MLflow "
                   "(a store in the run directory unless MLFLOW_TRACKING_URI says otherwise); repeatable")
    p.add_argument("--quiet", action="store_true", help=QUIET)
    _add_backend_options(p)

    p = sub.add_parser("eval", help="score a run's champion on its test episodes (or others)")
    p.add_argument("dir", help="run directory or champion.npz")
    p.add_argument("--episodes", type=int, metavar="N", help="default: the run's test_episodes")
    p.add_argument("--seed", type=int, metavar="S",
                   help="key of other episodes (default: the run's test episodes, as the run scored them)")
    _add_level_option(p)
    _add_env_param_option(p)

    sub.add_parser("envs", help="list the games")

    p = sub.add_parser("check-game", help="check a game module against the game contract (docs/games.md)")
    p.add_argument("module", help="a dotted module path (mypackage.mygame) or a .py file")

    p = sub.add_parser("export", help="write a run's champion as JSON, a numpy-only policy.py or ONNX")
    p.add_argument("dir", help="run directory or champion.npz")
    p.add_argument("--format", choices=("json", "numpy", "onnx", "dot"),
                   help="json (default), numpy (a standalone policy.py), onnx (feed-forward networks) or dot "
                   "(a NEAT network for Graphviz)")
    p.add_argument("--out", metavar="FILE", help="default champion.json, policy.py or champion.onnx")

    p = sub.add_parser("sweep", help="one run per seed, in parallel processes, and a summary table")
    _add_run_options(p)
    p.add_argument("--seeds", type=_seed_range, default=list(range(5)), metavar="0-9")
    p.add_argument("--jobs", type=int, metavar="N", help="runs at once (default 2; with Ray, one per cluster CPU)")
    p.add_argument("--out", metavar="DIR", help="sweep directory (default runs/sweep-<env>-<timestamp>)")
    p.add_argument("--grid", action="append", metavar="KEY=V1,V2",
                   help="play every seed for each of these values of a config key (repeatable: every combination); "
                   "a dotted key sets a table's entry (mutation.sigma=0.05,0.2); hidden=8;16,16 separates "
                   "list values with ;")
    p.add_argument("--random", action="append", metavar="KEY=LOW:HIGH",
                   help="with --trials N: N settings drawn uniformly (integers when LOW and HIGH are) from a "
                   "generator seeded by --seed; repeatable")
    p.add_argument("--trials", type=int, metavar="N", help="how many --random settings to draw")
    _add_backend_options(p, sweep=True)

    p = sub.add_parser("plot", help="overlay runs' fitness against training steps in one PNG")
    p.add_argument("runs", nargs="+", metavar="RUN", help="run directories (a sweep directory: every run in it)")
    p.add_argument("--out", required=True, metavar="FILE.png", help="the PNG to write")
    p.add_argument("--series", choices=("best", "validation"), default="best",
                   help="each generation's best training fitness (default) or the champion's validation score")
    p.add_argument("--title", metavar="TEXT", help="default: the game, the series and the number of runs")

    p = sub.add_parser("play", help="play a game with the keyboard, alone or beside a run's champion")
    p.add_argument("game", help="flappy, snake, pong, racer or cartpole")
    p.add_argument("run", nargs="?", help="a run directory or champion.npz whose champion plays beside you")
    p.add_argument("--seed", type=int, default=0, metavar="S", help="episode key")
    p.add_argument("--frames", type=int, metavar="N", help="stop after N frames")
    p.add_argument("--screenshot", metavar="FILE.png", help="save the last frame")

    for name, text in (("watch", "watch a generation learn in a window"),
                       ("replay", "play a run's champion in a window"),
                       ("record", "render a run's champion to a GIF or PNG frames")):
        p = sub.add_parser(name, help=text)
        if name == "watch":
            _add_run_options(p)
            p.add_argument("--frames", type=int, metavar="N", help="stop after N frames")
            p.add_argument("--screenshot", metavar="FILE.png", help="save the last frame")
            p.add_argument("--speed", metavar="X", help="simulation speed, as the + and - keys set it: "
                           "1, 2, 4 ... 64 or max (default 1; with --frames, 64 plays 64 game seconds per 60 frames)")
            p.add_argument("--out", metavar="DIR", help="run directory (default runs/<env>-watch-<timestamp>; "
                           "with --frames, none unless given)")
            p.add_argument("--resume", metavar="DIR", help="continue the run in DIR in the window")
            p.add_argument("--follow", metavar="RUN", help="show the run another process is writing in RUN, "
                           "each new generation's best as it lands (read-only: the run goes on)")
            p.add_argument("--quiet", action="store_true", help=QUIET)
            _add_backend_options(p)
        else:
            p.add_argument("dir", help="run directory or champion.npz")
            if name == "record":
                p.add_argument("--out", default="champion.gif", metavar="FILE",
                               help="a .gif, or a directory for PNG frames")
                p.add_argument("--steps", type=int, metavar="N", help="at most N game steps")
            else:
                p.add_argument("--frames", type=int, metavar="N", help="stop after N frames (no display needed)")
                p.add_argument("--screenshot", metavar="FILE.png", help="save the last frame")
                p.add_argument("--speed", metavar="X", help="simulation speed: 1, 2, 4 ... 64 or max (default 1)")
            p.add_argument("--seed", type=int, default=0, metavar="S", help="episode key")
            _add_level_option(p)
            _add_env_param_option(p)
    for p in sub.choices.values():  # taken after the command too; unset there, it leaves the first one's
        p.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                       help="show the traceback when the program fails")
    return parser


def _command(name: str):
    """The function that runs command ``name`` (its module imported now, not before)."""
    if name in ("watch", "replay", "record", "play"):
        from evo import commands
    elif name == "sweep":
        from evo.runs import sweep as commands
    elif name == "export":
        from evo.runs import export as commands
    elif name == "plot":
        from evo.runs import overlay as commands
    else:
        from evo.runs import commands
    return getattr(commands, f"cmd_{name.replace('-', '_')}")


def main(argv=None) -> int:
    # Numba leaves many objects behind; moving them out of the collector's reach
    # makes interpreter exit a fraction of a second faster.
    atexit.register(gc.freeze)
    debug = "--debug" in (sys.argv[1:] if argv is None else argv) or bool(os.environ.get("NEUROEVO_DEBUG"))
    try:
        parser = build_parser()
        args = parser.parse_args(argv)
        if args.command is None:
            parser.print_help()
            return 0
        # The heavy imports (numpy, Numba, the games) run under the handler the program started with:
        # evo/__main__.py's, which prints one line and exits at once. Raised as KeyboardInterrupt inside a
        # library's import code, an interrupt can be swallowed there and leave the command running.
        import evo.runs.driver  # noqa: F401
        command = _command(args.command)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        return command(args)
    except UsageError as e:
        print(one_line(str(e)), file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("neuroevo: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception as e:  # a failure of the program, not of the input: the last checkpoint stays
        if debug:
            import traceback
            traceback.print_exc()
        hint = "" if debug else " (run with --debug for the traceback)"
        print(f"neuroevo: error: {type(e).__name__}: {e}{hint}", file=sys.stderr)
        return EXIT_FAILURE
    finally:
        disconnect()  # the Ray driver process, if the command started one


def entry() -> None:
    """Run the command line and exit with its status (``evo/__main__.py`` calls this once its
    interrupt handler is in place).

    An interrupted command leaves at once (``os._exit``) once its one line is
    out: an interrupt may have stopped a compilation mid-way, and the
    interpreter's usual teardown could then wait on a lock forever. Every file
    is already complete (they are written atomically).
    """
    try:
        code = main()
    except KeyboardInterrupt:
        print("neuroevo: interrupted", file=sys.stderr)
        code = EXIT_INTERRUPTED
    if code == EXIT_INTERRUPTED:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    sys.exit(code)


if __name__ == "__main__":
    entry()
