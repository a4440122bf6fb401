"""``ctsim run scenario``: replay one scenario and report its story and verdict."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import cast

from rich.console import Console, JustifyMethod

from ctsim.commands import positive_int


def register(commands: argparse._SubParsersAction) -> None:
    run = commands.add_parser("run", help="run a scenario", description="Run a scenario end to end.")
    kinds = run.add_subparsers(dest="what", required=True, metavar="WHAT")
    scenario = kinds.add_parser(
        "scenario",
        help="run one scenario (a shipped name or a .yaml path)",
        description="Run one scenario: a shipped name (see `ctsim scenarios`) or a path.",
    )
    scenario.add_argument("scenario", help="shipped scenario name, e.g. sudden-drift, or path/to/scenario.yaml")
    scenario.add_argument(
        "--runner",
        choices=("subprocess", "docker"),
        default="subprocess",
        help="kfp.local runner (default: subprocess; docker needs a Docker engine)",
    )
    scenario.add_argument(
        "--runs-dir", type=Path, default=Path("runs"), help="where run directories go (default: runs/)"
    )
    scenario.add_argument("--quiet", action="store_true", help="print only the verdict line")
    add_task_process_flags(scenario)
    from ctsim.commands.report import add_report_flags

    add_report_flags(scenario)
    scenario.set_defaults(handler=run_scenario)
    register_suite(kinds)


def add_task_process_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--cold",
        action="store_true",
        help="start every pipeline task in a fresh interpreter (default: warm, forked from a server "
        "that preloaded pandas, pyarrow, scikit-learn ...; same results, less overhead)",
    )
    parser.add_argument(
        "--preload",
        action="append",
        default=[],
        metavar="MODULE",
        help="another third-party module for the warm task server to import (repeatable or "
        "comma-separated, e.g. --preload lightgbm)",
    )


def task_processes(args: argparse.Namespace):  # -> ctsim.runners.TaskProcesses
    from ctsim.runners.warm import TaskProcesses, preload_names

    return TaskProcesses(warm=not args.cold).with_preload(preload_names(args.preload))


def register_suite(kinds: argparse._SubParsersAction) -> None:
    """``ctsim run suite [DIR]``: every scenario of a folder in parallel worker processes."""
    suite = kinds.add_parser(
        "suite",
        help="run every scenario of a folder in parallel (default: scenarios/)",
        description="Run every scenario file of a folder, each in its own worker process with its "
        "own embedded store; one summary table; exit 1 if any scenario fails or crashes. "
        "Writes runs/suite-<UTC timestamp>/suite.json.",
    )
    suite.add_argument(
        "folder", nargs="?", type=Path, default=None, help="folder of scenario files (default: the shipped scenarios/)"
    )
    suite.add_argument("-j", "--jobs", type=positive_int, default=None, help="worker processes (default: one per core)")
    suite.add_argument("--runner", choices=("subprocess", "docker"), default="subprocess", help="kfp.local runner")
    suite.add_argument(
        "--runs-dir", type=Path, default=Path("runs"), help="where the suite directory goes (default: runs/)"
    )
    add_task_process_flags(suite)
    suite.set_defaults(handler=run_suite_command)


def run_suite_command(args: argparse.Namespace, console: Console) -> int:
    from rich.table import Table
    from rich.text import Text

    from ctsim.scenario.loader import SHIPPED_DIR
    from ctsim.sim.suite import run_suite

    styles = {"passed": "bold green", "failed": "bold red", "crashed": "bold magenta", "interrupted": "bold yellow"}

    def finished(outcome) -> None:
        console.print(
            Text.assemble(
                (f"{outcome.status:>7} ", styles[outcome.status]),
                outcome.name,
                f"  {outcome.seconds:.0f} s",
                f"  {outcome.error}" if outcome.error else "",
            )
        )

    result = run_suite(
        args.folder or SHIPPED_DIR, args.runs_dir, args.jobs, args.runner, on_done=finished, tasks=task_processes(args)
    )
    table = Table(title=f"Suite {result.directory}", title_justify="left")
    for column, justify in (
        ("scenario", "left"),
        ("verdict", "left"),
        ("ticks", "right"),
        ("pipeline runs", "right"),
        ("wall s", "right"),
        ("detail", "left"),
    ):
        table.add_column(column, justify=cast(JustifyMethod, justify), overflow="fold")
    for o in result.outcomes:
        table.add_row(
            o.name,
            Text(o.status.upper(), style=styles[o.status]),
            str(o.ticks),
            str(o.pipeline_runs),
            f"{o.seconds:.1f}",
            o.error,
        )
    console.print(table)
    verdict = Text("PASSED", style="bold green") if result.passed else Text("FAILED", style="bold red")
    console.print(
        Text.assemble(
            "suite ",
            verdict,
            f"  {sum(o.status == 'passed' for o in result.outcomes)}/"
            f"{len(result.outcomes)} passed  pipeline sha256 {result.pipeline_sha256}  "
            f"record {result.directory / 'suite.json'}",
        )
    )
    return result.exit_code


def run_scenario(args: argparse.Namespace, console: Console) -> int:
    from ctsim.report import load_run, render_record
    from ctsim.report.live import LiveView
    from ctsim.report.outputs import ReportPaths, write_reports
    from ctsim.sim import run_scenario as replay

    paths = ReportPaths(args.json, args.junit, args.plot).check()  # bad paths fail before a minute of simulation
    with LiveView(console, enabled=not args.quiet) as view:
        result = replay(
            args.scenario, runs_dir=args.runs_dir, runner=args.runner, progress=view.update, tasks=task_processes(args)
        )
    record = load_run(result.run_dir)  # the same path as `ctsim report`, so both always show the same thing
    if args.quiet:
        verdict = "PASSED" if result.verdict.passed else "FAILED"
        console.print(f"{result.scenario.name}: {verdict} ({result.run_dir})")
    else:
        render_record(console, record)
    for path in write_reports(record, paths):
        console.print(f"wrote {path}")
    if not result.verdict.passed:
        console.print(f"Replay it: ctsim run scenario {args.scenario}   (same seed, same timeline)")
    return result.verdict.exit_code
