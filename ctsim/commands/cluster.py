"""``ctsim cluster up|down``: a local kind cluster with Kubeflow Pipelines standalone, for ``ctsim promote``."""

from __future__ import annotations

import argparse
from pathlib import Path

from rich.console import Console


def register(commands: argparse._SubParsersAction) -> None:
    cluster = commands.add_parser(
        "cluster",
        help="create or delete a local kind cluster with KFP",
        description="A kind cluster with Kubeflow Pipelines standalone (needs docker, kind, kubectl).",
    )
    actions = cluster.add_subparsers(dest="action", required=True, metavar="ACTION")
    up = actions.add_parser("up", help="create the cluster, install KFP, wait, port-forward the API to :8888")
    up.add_argument("--name", default="ctsim", help="kind cluster name (context kind-NAME; default: ctsim)")
    up.add_argument(
        "--config", type=Path, help="kind config (default: the one shipped with ctsim; ci/kind-config.yaml in a clone)"
    )
    up.add_argument("--load-image", action="store_true", help="kind-load the component image (build it first)")
    up.add_argument("--wait", type=int, default=900, help="seconds to wait for KFP to be ready (default: 900)")
    up.add_argument("--dry-run", action="store_true", help="print the commands; run nothing")
    up.set_defaults(handler=cluster_up)
    down = actions.add_parser("down", help="delete the kind cluster")
    down.add_argument("--name", default="ctsim")
    down.add_argument("--dry-run", action="store_true", help="print the commands; run nothing")
    down.set_defaults(handler=cluster_down)


def cluster_up(args: argparse.Namespace, console: Console) -> int:
    from ctsim.pipeline.components import COMPONENT_IMAGE
    from ctsim.promote import cluster

    steps = cluster.up_plan(
        args.name, args.config or cluster.KIND_CONFIG, COMPONENT_IMAGE if args.load_image else None, args.wait
    )
    if _dry(args, steps, console):
        return 0
    cluster.require_tools(steps)
    forward = cluster.execute(steps, lambda line: console.print(line, markup=False))
    pid = f" (port-forward pid {forward.pid}; it stops with the cluster)" if forward else ""
    console.print(f"KFP API at http://127.0.0.1:{cluster.API_PORT}{pid}; kube context {cluster.context_of(args.name)}")
    console.print(f"next: ctsim promote --host http://127.0.0.1:{cluster.API_PORT}", markup=False)
    return 0


def cluster_down(args: argparse.Namespace, console: Console) -> int:
    from ctsim.promote import cluster

    steps = cluster.down_plan(args.name)
    if _dry(args, steps, console):
        return 0
    cluster.require_tools(steps)
    cluster.execute(steps, lambda line: console.print(line, markup=False))
    return 0


def _dry(args: argparse.Namespace, steps, console: Console) -> bool:
    if not args.dry_run:
        return False
    for step in steps:
        console.print(f"{step.what}: {' '.join(step.argv)}{'  &' if step.background else ''}", markup=False)
    return True
