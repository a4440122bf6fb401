"""``ctsim promote``: the pipeline that passed the scenario suite, unchanged, onto a Kubeflow Pipelines cluster.

Order of checks: compile and hash, the promotion gate (exit 1 unless a suite
passed for this sha256, or ``--force``), the target rule (a kind context, or
the one named with ``--context``), then either print the plan (``--dry-run``,
no request is made; shown even when the gate refuses, with exit 1 then) or
apply it through ``kfp.Client``.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from rich.console import Console

DEFAULT_SCENARIO = "baseline"  # has a schedule and a drift trigger, so both deployment paths are exercised
PORT_FORWARD_HOST = "http://127.0.0.1:8888"  # what `ctsim cluster up` port-forwards to


def register(commands: argparse._SubParsersAction) -> None:
    promote = commands.add_parser(
        "promote",
        help="deploy the suite-tested pipeline and its triggers to a KFP cluster",
        description="Compile the pipeline, check that a scenario suite passed for its sha256, and create or reuse "
        "the KFP pipeline, the version named after the spec hash, the experiment and the recurring runs.",
    )
    promote.add_argument(
        "--scenario",
        default=DEFAULT_SCENARIO,
        help=f"whose triggers and settings to deploy: shipped name or path (default: {DEFAULT_SCENARIO})",
    )
    promote.add_argument(
        "--host",
        help="KFP API URL (default: $KF_PIPELINES_ENDPOINT, else the port-forward of "
        f"`ctsim cluster up`, {PORT_FORWARD_HOST}, when the kube context is a kind context)",
    )
    promote.add_argument("--context", help="kube context to allow even if it is not a kind-* context")
    promote.add_argument("--namespace", help="lake/registry namespace in the bucket (default: the scenario's name)")
    promote.add_argument(
        "--runs-dir",
        type=Path,
        default=Path("runs"),
        help="where suite records are read and the compiled pipelines written (default: runs/)",
    )
    promote.add_argument("--force", action="store_true", help="promote even without a passing suite (said loudly)")
    promote.add_argument("--dry-run", action="store_true", help="print the plan; make no request")
    promote.add_argument(
        "--run-now", action="store_true", help="after promoting, start one training run and wait for it to finish"
    )
    promote.add_argument("--timeout", type=int, default=3600, help="seconds --run-now waits (default: 3600)")
    promote.set_defaults(handler=promote_pipeline)


def promote_pipeline(args: argparse.Namespace, console: Console) -> int:
    from ctsim.errors import PromotionRefused
    from ctsim.promote import context, deploy, gate
    from ctsim.promote.plan import plan_lines
    from ctsim.promote.workflow import prepare

    prepared = prepare(args.scenario, args.runs_dir / "promote", args.namespace)
    records, ignored = gate.load_suites(args.runs_dir)
    for path in ignored:
        console.print(f"note: ignored unreadable suite record {path}", markup=False)
    outcome = gate.promotion_gate(records, prepared.training.sha256, prepared.scenario.name, force=args.force)
    if not outcome.allowed and not args.dry_run:
        raise PromotionRefused(outcome.reason)
    if outcome.forced:
        console.print(f"[bold red]{outcome.reason}[/]")
    host = args.host or os.environ.get("KF_PIPELINES_ENDPOINT") or None
    target = context.check_target(context.read_kubeconfig(), args.context, host_given=host is not None)
    endpoint = host or PORT_FORWARD_HOST  # check_target allowed no host only on a kind context: its port-forward
    plan = prepared.plan(endpoint, target.reason, outcome.reason)
    for line in plan_lines(plan):
        console.print(line, markup=False)
    if args.dry_run:
        console.print("dry run: no request was made, nothing was changed")
        if not outcome.allowed:  # the plan is shown either way; the exit code says what a real promote would do
            raise PromotionRefused(f"a real promote would be refused: {outcome.reason}")
        return 0
    client = deploy.connect(endpoint)
    for action in deploy.apply_plan(client, plan):
        console.print(action.line(), markup=False)
    if outcome.forced:
        console.print("[bold red]FORCED: this pipeline was promoted without a passing scenario suite[/]")
    if args.run_now:
        return _run_now(client, plan, args.timeout, console)
    return 0


def _run_now(client, plan, timeout: int, console: Console) -> int:
    from ctsim.promote.workflow import run_once

    state = run_once(client, plan, timeout)
    console.print(f"training run finished: {state}")
    return 0 if state == "SUCCEEDED" else 1
