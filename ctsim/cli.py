"""The ``ctsim`` command: parse, call the library, print, set the exit code.

Exit codes: 0 every expectation held, 1 an expectation failed, 2 bad input
(or an error that stopped the run). Only ``CtsimError`` is caught: anything
else is a bug and keeps its traceback. Each subcommand lives in its own
module under ``ctsim.commands``.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import threading
from collections.abc import Sequence

from rich.console import Console
from rich.markup import escape

from ctsim.errors import CtsimError
from ctsim.processes import Terminated, adopt_orphans, descendants, end_descendants, exit_code_of, stop_on_sigterm
from ctsim.report.redact import Redactor

# A pipe or a CI log has no width of its own; rich's default of 80 would wrap every table.
PIPE_WIDTH = 120
COMMAND_MODULES = (
    "run",
    "scenarios",
    "compile",
    "compare",
    "tune",
    "scenario_new",
    "promote",
    "cluster",
    "verify_gates",
    "report",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ctsim",
        description="Replay weeks of continuous training in seconds: a scenario, the real KFP pipeline "
        "on kfp.local, a real S3 store, triggers, gates, canary and rollback.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(f"ctsim.commands.{name}").register(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    already_running = set(descendants())  # not ours to end: a host process's own children (a test session's)
    if threading.current_thread() is threading.main_thread():
        stop_on_sigterm()  # SIGTERM unwinds like Ctrl-C: servers stopped, records written, exit 143
        adopt_orphans()  # so an interrupt can end even the processes whose parent already died
    args = build_parser().parse_args(argv)
    console = Console(no_color=bool(os.environ.get("NO_COLOR")) or None, highlight=False, soft_wrap=True)
    if not console.is_terminal:
        console.width = PIPE_WIDTH
    errors = Console(stderr=True, highlight=False)
    try:
        return args.handler(args, console)
    except CtsimError as exc:
        errors.print(f"[bold red]{type(exc).__name__}[/]: {escape(error_text(exc))}", markup=True, soft_wrap=True)
        return exc.exit_code
    except KeyboardInterrupt as interrupt:
        # Whatever is still running below us (task processes, workers, servers) goes too.
        end_descendants(spare=already_running)
        errors.print("interrupted" if not isinstance(interrupt, Terminated) else "terminated (SIGTERM)")
        return exit_code_of(interrupt)


def error_text(exc: BaseException) -> str:
    """An error as the user sees it: secrets masked, control characters escaped (a message from the
    store or a file could hold an escape sequence or a carriage return), one line per problem."""
    text = Redactor.from_env().text(str(exc))
    return "\n".join(
        line if line.isprintable() else line.encode("unicode_escape").decode("ascii") for line in text.splitlines()
    )


if __name__ == "__main__":
    sys.exit(main())
