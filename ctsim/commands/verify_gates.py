"""``ctsim verify-gates SCENARIO``: prove a scenario's gate, trigger and canary settings with hypothesis.

Exit 0 when every property holds (warnings and skips included), 1 when one
has a counterexample, 2 on bad input.
"""

from __future__ import annotations

import argparse
import shlex
from collections.abc import Sequence

from rich.console import Console, Group
from rich.table import Table
from rich.text import Text

_STYLES = {"PASS": "bold green", "FAIL": "bold red", "ERROR": "bold red", "WARN": "bold yellow", "SKIP": "dim"}


def register(commands: argparse._SubParsersAction) -> None:
    verify = commands.add_parser(
        "verify-gates",
        help="run the property suite against a scenario's gate, trigger and canary settings",
        description="Run hypothesis properties against the gate, trigger and canary settings of a scenario and show "
        "each with PASS or the smallest counterexample. Exit 1 on a counterexample.",
    )
    verify.add_argument("scenario", help="shipped scenario name, e.g. sudden-drift, or path/to/scenario.yaml")
    verify.add_argument(
        "--tolerance",
        type=float,
        default=None,
        help="how much worse than the champion a model may be (default: the scenario's "
        "no_worse_promotion tolerance, else 0)",
    )
    verify.add_argument(
        "--property",
        dest="properties",
        action="append",
        default=[],
        metavar="NAME",
        help="run only this property (repeatable)",
    )
    verify.add_argument(
        "--profile",
        choices=("ci", "dev", "nightly"),
        default=None,
        help="hypothesis profile (default: $CTSIM_HYPOTHESIS_PROFILE, else ci)",
    )
    verify.set_defaults(handler=verify_gates)


def verify_gates(args: argparse.Namespace, console: Console) -> int:
    from ctsim.extras import require

    require("testing", "ctsim verify-gates")
    from ctsim.testing import profiles
    from ctsim.testing.verify import load_subject, verify

    profile_name = profiles.selected(args.profile, default="ci")
    subject = load_subject(args.scenario, args.tolerance)
    results = verify(subject, profiles.active(profile_name), args.properties)
    console.print(format_results(subject, results, profile_name))
    failed = [result.name for result in results if result.failed]
    for result in results:
        if result.counterexample:  # in full on one line, whatever the table's width did to it
            console.print(Text(f"{result.status} {result.name}: {result.counterexample}"))
    for name in failed:
        console.print(f"Replay: {replay_command(args, name, profile_name)}")
    return 1 if failed else 0


def format_results(subject, results: Sequence, profile_name: str) -> Group:
    table = Table(title=f"Gate properties of '{subject.scenario}'", title_justify="left", expand=False)
    table.add_column("property", no_wrap=True)
    table.add_column("result")
    table.add_column("claim", overflow="fold")
    table.add_column("smallest counterexample", overflow="fold")
    for result in results:
        shown = "\n".join(part for part in (result.counterexample, result.detail) if part)
        table.add_row(result.name, Text(result.status, style=_STYLES[result.status]), result.claim, shown)
    counts = {status: sum(result.status == status for result in results) for status in _STYLES}
    summary = ", ".join(f"{count} {status.lower()}" for status, count in counts.items() if count)
    return Group(
        table,
        Text(_worse_means(subject.model_gate.metric, subject.tolerance, subject.tolerance_source)),
        Text(f"hypothesis profile {profile_name}; {len(results)} properties: {summary}"),
    )


def replay_command(args: argparse.Namespace, name: str, profile_name: str) -> str:
    parts = ["ctsim", "verify-gates", args.scenario, "--property", name, "--profile", profile_name]
    if args.tolerance is not None:
        parts += ["--tolerance", str(args.tolerance)]
    return shlex.join(parts)


def _worse_means(metric: str, tolerance: float, source: str) -> str:
    """Below the champion, or above it for a lower-is-better metric (rmse, log_loss), whose properties draw
    pairs as goodness in [0, 1]: a counterexample's pair reads 1 - the metric."""
    from ctsim.steps.metrics import metric_spec

    if metric_spec(metric).higher_is_better:
        return f"'worse' means below the champion by more than {tolerance} ({source})"
    return (
        f"'worse' means above the champion by more than {tolerance} ({source}); lower {metric} is better, "
        f"and a drawn pair shows 1 - {metric}"
    )
