"""``ctsim run scenario``: replay one scenario and report its story and verdict."""

from __future__ import annotations

import argparse
from pathlib import Path

from rich.console import Console


def register(commands: argparse._SubParsersAction) -> None:
    run = commands.add_parser("run", help="run a scenario", description="Run a scenario end to end.")
    kinds = run.add_subparsers(dest="what", required=True, metavar="WHAT")
    scenario = kinds.add_parser("scenario", help="run one scenario (a shipped name or a .yaml path)",
                                description="Run one scenario: a shipped name (see `ctsim scenarios`) or a path.")
    scenario.add_argument("scenario", help="shipped scenario name, e.g. sudden-drift, or path/to/scenario.yaml")
    scenario.add_argument("--runner", choices=("subprocess", "docker"), default="subprocess",
                          help="kfp.local runner (default: subprocess; docker needs a Docker engine)")
    scenario.add_argument("--runs-dir", type=Path, default=Path("runs"), help="where run directories go (default: runs/)")
    scenario.add_argument("--quiet", action="store_true", help="print only the verdict line")
    scenario.set_defaults(handler=run_scenario)


def run_scenario(args: argparse.Namespace, console: Console) -> int:
    from ctsim.report import render
    from ctsim.report.live import LiveView
    from ctsim.sim import run_scenario as replay

    with LiveView(console, enabled=not args.quiet) as view:
        result = replay(args.scenario, runs_dir=args.runs_dir, runner=args.runner, progress=view.update)
    if args.quiet:
        verdict = "PASSED" if result.verdict.passed else "FAILED"
        console.print(f"{result.scenario.name}: {verdict} ({result.run_dir})")
    else:
        render(console, result.timeline, result.verdict, str(result.run_dir), result.pipeline_sha256)
    if not result.verdict.passed:
        console.print(f"Replay it: ctsim run scenario {args.scenario}   (same seed, same timeline)")
    return result.verdict.exit_code
