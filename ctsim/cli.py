"""The ``ctsim`` command: parse, call the library, print, set the exit code.

Exit codes: 0 every expectation held, 1 an expectation failed, 2 bad input
(or an error that stopped the run). Only ``CtsimError`` is caught: anything
else is a bug and keeps its traceback. Each subcommand lives in its own
module under ``ctsim.commands``.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import os
import signal
import sys
import threading
from typing import Sequence

from rich.console import Console
from rich.markup import escape

from ctsim.errors import CtsimError

# A pipe or a CI log has no width of its own; rich's default of 80 would wrap every table.
PIPE_WIDTH = 120
COMMAND_MODULES = ("run", "scenarios", "compile", "compare", "tune", "scenario_new", "promote", "cluster", "verify_gates",
                   "report")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ctsim", description="Replay weeks of continuous training in seconds: a scenario, the real KFP pipeline "
        "on kfp.local, a real S3 store, triggers, gates, canary and rollback.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(f"ctsim.commands.{name}").register(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    console = Console(no_color=bool(os.environ.get("NO_COLOR")) or None, highlight=False, soft_wrap=True)
    if not console.is_terminal:
        console.width = PIPE_WIDTH
    errors = Console(stderr=True, highlight=False)
    try:
        with _terminate_as_interrupt():
            return args.handler(args, console)
    except CtsimError as exc:
        # The message is text, not markup: "pip install 'ctsim[plot]'" must keep its brackets.
        errors.print(f"[bold red]{type(exc).__name__}[/]: {escape(str(exc))}", markup=True, soft_wrap=True)
        return exc.exit_code
    except Terminated:
        errors.print("terminated")
        return 128 + signal.SIGTERM
    except KeyboardInterrupt:
        errors.print("interrupted")
        return 130


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised like Ctrl-C so every ``finally`` runs: the store, the warm task server and its tasks end."""


@contextlib.contextmanager
def _terminate_as_interrupt():
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def terminate(signum: int, frame: object) -> None:
        raise Terminated()

    previous = signal.signal(signal.SIGTERM, terminate)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


if __name__ == "__main__":
    sys.exit(main())
