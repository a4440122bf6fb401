"""``ctsim report RUN_DIR`` re-renders a past run; ``ctsim runs`` lists past runs, newest first.

Both read run directories only (nothing is re-run). ``report`` takes the same --json/--junit/--plot flags as
``run scenario`` and exits with the run's verdict (0 passed, 1 failed), so CI can gate on a stored run.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from rich.console import Console


def register(commands: argparse._SubParsersAction) -> None:
    report = commands.add_parser(
        "report",
        help="re-render a past run from its run directory",
        description="Re-render a past run (runs/<scenario>-<timestamp>/): the terminal "
        "report, and optionally JSON, JUnit and a plot. Exit code: the run's verdict.",
    )
    report.add_argument("run_dir", type=Path, metavar="RUN_DIR", help="a run directory, e.g. runs/sudden-drift-2026...")
    add_report_flags(report)
    report.add_argument("--quiet", action="store_true", help="print only the verdict line")
    report.add_argument(
        "--steps",
        action="store_true",
        help="also show the per-step timing table (task wall and own work per run; always in --json)",
    )
    report.set_defaults(handler=report_run)
    runs = commands.add_parser(
        "runs",
        help="list past runs, newest first",
        description="List the run directories under --runs-dir, newest first, with verdicts.",
    )
    runs.add_argument("--runs-dir", type=Path, default=Path("runs"), help="where run directories are (default: runs/)")
    runs.set_defaults(handler=list_runs_command)


def add_report_flags(parser: argparse.ArgumentParser) -> None:
    """--json, --junit, --plot: shared by `run scenario` and `report`."""
    parser.add_argument(
        "--json",
        type=Path,
        metavar="PATH",
        help="write the whole result as JSON (schema ctsim.report, version 1; see README 'Reports')",
    )
    parser.add_argument("--junit", type=Path, metavar="PATH", help="write JUnit XML: one testcase per expectation")
    parser.add_argument(
        "--plot",
        type=Path,
        metavar="PATH",
        help="write a plot of the metric over ticks with event markers (.png, .svg or .pdf)",
    )


def report_run(args: argparse.Namespace, console: Console) -> int:
    from ctsim.report import load_run, render_record
    from ctsim.report.outputs import ReportPaths, write_reports

    paths = ReportPaths(args.json, args.junit, args.plot).check()
    record = load_run(args.run_dir)
    if args.quiet:
        console.print(f"{record.timeline.scenario}: {'PASSED' if record.verdict.passed else 'FAILED'} ({args.run_dir})")
    else:
        render_record(console, record, steps=args.steps)
    for path in write_reports(record, paths):
        console.print(f"wrote {path}")
    return record.verdict.exit_code


def list_runs_command(args: argparse.Namespace, console: Console) -> int:
    from rich.text import Text

    from ctsim.report import Redactor, list_runs

    rows = list_runs(args.runs_dir)
    if not rows:
        console.print(f"no runs in {args.runs_dir} yet: ctsim run scenario sudden-drift")
        return 0
    redact = Redactor.from_env().text
    styles = {"passed": "bold green", "failed": "bold red", "crashed": "bold magenta", "compared": "bold cyan"}
    width = max(len(r["scenario"]) for r in rows) + 2
    # Plain padded lines rather than a table: one line per run even in an 80-column pipe.
    console.print(
        Text(
            f"{'started (UTC)':<21}{'scenario':<{width}}{'verdict':<10}{'duration':>9}  {'pipeline':<14}run directory",
            style="bold",
        )
    )
    for row in rows:
        started = row["started"].strftime("%Y-%m-%d %H:%M:%S") if row["started"] else "?"
        seconds = f"{row['seconds']:.0f} s" if row["seconds"] is not None else "-"
        console.print(
            Text.assemble(
                f"{started:<21}{redact(row['scenario']):<{width}}",
                (f"{row['status'].upper():<10}", styles.get(row["status"], "yellow")),
                f"{seconds:>9}  {row['pipeline_sha256'][:12] or '-':<14}{redact(row['path'])}",
                (f"  {redact(row['note'])}" if row.get("note") else "", "dim"),
            )
        )
    newest_run = next((row for row in rows if row["kind"] == "run"), None)
    if newest_run is not None:
        console.print(f"re-render one: ctsim report {newest_run['path']}")
    return 0
