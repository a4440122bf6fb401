"""The ``ctsim`` command: parse, call the library, print, set the exit code.

Exit codes: 0 every expectation held, 1 an expectation failed, 2 bad input
(or an error that stopped the run). Only ``CtsimError`` is caught: anything
else is a bug and keeps its traceback.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Sequence

from rich.console import Console

from ctsim.errors import CtsimError


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ctsim", description="Replay weeks of continuous training in seconds: a scenario, the real KFP pipeline "
        "on kfp.local, a real S3 store, triggers, gates, canary and rollback.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = commands.add_parser("run", help="run a scenario", description="Run a scenario end to end.")
    run_what = run.add_subparsers(dest="what", required=True, metavar="WHAT")
    scenario = run_what.add_parser("scenario", help="run one scenario (a shipped name or a .yaml path)",
                                   description="Run one scenario: a shipped name (see `ctsim scenarios`) or a path.")
    scenario.add_argument("scenario", help="shipped scenario name, e.g. sudden-drift, or path/to/scenario.yaml")
    scenario.add_argument("--runner", choices=("subprocess", "docker"), default="subprocess",
                          help="kfp.local runner (default: subprocess; docker needs a Docker engine)")
    scenario.add_argument("--runs-dir", type=Path, default=Path("runs"), help="where run directories go (default: runs/)")
    scenario.add_argument("--quiet", action="store_true", help="print only the verdict line")

    commands.add_parser("scenarios", help="list the shipped scenarios", description="List the shipped scenarios.")
    validate = commands.add_parser("validate", help="check a scenario file without running it",
                                   description="Check a scenario file: exit 0 if valid, 2 with file:line: key: message if not.")
    validate.add_argument("scenario")
    compile_ = commands.add_parser("compile", help="compile the pipeline to IR YAML and print its sha256",
                                   description="Compile the pipeline to its (deterministic) IR YAML.")
    compile_.add_argument("-o", "--output", type=Path, default=Path("pipeline.yaml"))
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    console = Console(no_color=bool(os.environ.get("NO_COLOR")) or None, highlight=False)
    errors = Console(stderr=True, highlight=False)
    try:
        return _dispatch(args, console)
    except CtsimError as exc:
        errors.print(f"[bold red]{type(exc).__name__}[/]: {exc}", markup=True, soft_wrap=True)
        return exc.exit_code
    except KeyboardInterrupt:
        errors.print("interrupted")
        return 130


def _dispatch(args: argparse.Namespace, console: Console) -> int:
    if args.command == "scenarios":
        return _list_scenarios(console)
    if args.command == "validate":
        return _validate(args.scenario, console)
    if args.command == "compile":
        return _compile(args.output, console)
    return _run_scenario(args, console)


def _run_scenario(args: argparse.Namespace, console: Console) -> int:
    from ctsim.report import render
    from ctsim.report.live import LiveView
    from ctsim.sim import run_scenario

    with LiveView(console, enabled=not args.quiet) as view:
        result = run_scenario(args.scenario, runs_dir=args.runs_dir, runner=args.runner, progress=view.update)
    if args.quiet:
        verdict = "PASSED" if result.verdict.passed else "FAILED"
        console.print(f"{result.scenario.name}: {verdict} ({result.run_dir})")
    else:
        render(console, result.timeline, result.verdict, str(result.run_dir), result.pipeline_sha256)
    if not result.verdict.passed:
        console.print(f"Replay it: ctsim run scenario {args.scenario}   (same seed, same timeline)")
    return result.verdict.exit_code


def _list_scenarios(console: Console) -> int:
    from ctsim.scenario import loader

    for name in loader.shipped_names():
        scenario = loader.load(name)
        console.print(f"{name:<24} {scenario.description}")
    return 0


def _validate(path: str, console: Console) -> int:
    from ctsim.scenario import loader

    scenario = loader.load(path)
    console.print(f"{path}: valid scenario '{scenario.name}' ({scenario.clock.ticks} ticks, "
                  f"{len(scenario.events)} events, {len(scenario.expectations)} expectations)")
    return 0


def _compile(output: Path, console: Console) -> int:
    from ctsim.pipeline.compile import compile_pipeline

    compiled = compile_pipeline(output)
    console.print(f"{compiled.path}  sha256 {compiled.sha256}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
