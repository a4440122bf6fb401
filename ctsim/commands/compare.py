"""``ctsim compare SCENARIO --policy ...``: the same scenario and seed under several retraining policies."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import cast

from rich.console import Console, JustifyMethod
from rich.table import Table
from rich.text import Text

from ctsim.commands import positive_int


def register(commands: argparse._SubParsersAction) -> None:
    from ctsim.policy.metrics import DEFAULT_TOLERANCE, OBJECTIVES
    from ctsim.policy.policies import BUILTIN

    compare = commands.add_parser(
        "compare",
        help="replay one scenario under several retraining policies and compare them",
        description="Replay the same scenario and seed under each policy (its 'triggers' section replaced), in "
        "parallel, and compare: mean served metric (auc), recovery after each drift onset, retrains, pipeline "
        "seconds, gate blocks, rollbacks. Expectations are not judged.",
    )
    compare.add_argument("scenario", help="shipped scenario name or path/to/scenario.yaml")
    compare.add_argument(
        "--policy",
        action="append",
        default=[],
        choices=BUILTIN,
        metavar="NAME",
        help=f"a built-in policy, repeatable: {', '.join(BUILTIN)}",
    )
    compare.add_argument(
        "--policies",
        type=Path,
        default=None,
        metavar="FILE",
        help="YAML file: policy name -> triggers section (schedule, volume, performance, drift, cooldown_ticks)",
    )
    compare.add_argument(
        "--objective",
        choices=tuple(OBJECTIVES),
        default="auc",
        help="what the winner is best at (default: auc, the mean served metric)",
    )
    compare.add_argument(
        "--tolerance",
        type=float,
        default=DEFAULT_TOLERANCE,
        help=f"recovered = back within this of the pre-drift level (default {DEFAULT_TOLERANCE})",
    )
    compare.add_argument(
        "--plot", type=Path, default=None, metavar="PATH", help="write the metric-over-time plot (.png, .svg or .pdf)"
    )
    compare.add_argument(
        "-j", "--jobs", type=positive_int, default=None, help="worker processes (default: one per core)"
    )
    compare.add_argument("--runner", choices=("subprocess", "docker"), default="subprocess", help="kfp.local runner")
    compare.add_argument(
        "--runs-dir", type=Path, default=Path("runs"), help="where the comparison goes (default: runs/)"
    )
    compare.set_defaults(handler=compare_policies)


def compare_policies(args: argparse.Namespace, console: Console) -> int:
    from ctsim.errors import CtsimError
    from ctsim.policy.compare import plan, run_compare
    from ctsim.policy.plot import write_plot
    from ctsim.report.plot import check_plot_path

    if not 0 < args.tolerance < 1:
        raise CtsimError(f"--tolerance must be between 0 and 1. Got {args.tolerance} instead.")
    if args.plot is not None:
        check_plot_path(args.plot)  # the same formats as run and report, refused before any replay
    planned = plan(args.scenario, args.policy, args.policies)
    for line in planned.warnings:
        console.print(f"warning: {line}", markup=False)
    console.print(
        f"comparing {len(planned.policies)} policies on {planned.scenario.name} (seed {planned.scenario.seed}): "
        f"{', '.join(p.name for p in planned.policies)}"
    )
    comparison = run_compare(
        planned,
        args.runs_dir,
        args.jobs,
        args.runner,
        args.objective,
        args.tolerance,
        on_done=lambda policy, raw: console.print(f"  {policy}: {raw['status']} in {raw['seconds']:.0f} s"),
    )
    console.print(format_comparison(comparison))
    if args.plot is not None:
        console.print(f"plot {write_plot(comparison, args.plot)}")
    console.print(f"record {comparison.directory / 'compare.json'}")
    return 1 if any(run.status == "crashed" for run in comparison.runs) else 0


def format_comparison(comparison) -> Table:
    from ctsim.policy.metrics import OBJECTIVES

    table = Table(
        title=f"Policies on {comparison.scenario} (seed {comparison.seed}); winner on {comparison.objective}: "
        f"{OBJECTIVES[comparison.objective]}",
        title_justify="left",
        caption=f"auc = mean served {comparison.metric} over ticks with labelled feedback; recovery = ticks from "
        f"each onset {list(comparison.onsets)} until the metric is back within {comparison.tolerance} of "
        "its pre-drift level (0 = no dip, — = never); Δ auc = difference from the best with its paired "
        "block-bootstrap 95% interval; own s = the steps' own work, pipeline s = kfp.local wall clock"
        + (
            ""
            if comparison.distinguishable
            else "\nno policy is distinguishable: an interval holds zero, so no winner on auc is declared"
        ),
        caption_justify="left",
    )
    bands = {i.policy: i for i in comparison.intervals}
    for column, justify in (
        ("", "left"),
        ("policy", "left"),
        ("auc", "right"),
        ("Δ auc [95%]", "right"),
        ("recovery", "right"),
        ("retrains", "right"),
        ("own s", "right"),
        ("pipeline s", "right"),
        ("gate blocks", "right"),
        ("rollbacks", "right"),
    ):
        table.add_column(column, justify=cast(JustifyMethod, justify), no_wrap=column in ("policy", "auc"))
    for run in comparison.runs:
        mark = Text("★", style="bold yellow") if run.policy == comparison.winner else ""
        m = run.metrics
        if m is None:
            table.add_row(mark, run.policy, Text("crashed", style="bold magenta"), "", run.error, "", "", "", "", "")
            continue
        recovery = ", ".join("—" if r.ticks is None else str(r.ticks) for r in m.recoveries) or "no onset"
        band = bands.get(run.policy)
        delta = f"{band.difference:+.4f} [{band.low:+.4f}, {band.high:+.4f}]" if band else ""
        table.add_row(
            mark,
            Text(run.policy, style="bold" if mark else ""),
            "—" if m.auc is None else f"{m.auc:.4f}",
            delta,
            recovery,
            str(m.retrains),
            f"{m.own_seconds:.1f}",
            f"{m.compute_seconds:.1f}",
            str(m.gate_blocks),
            str(m.rollbacks),
        )
    return table
