"""``ctsim compile``: a scenario's pipeline (or the reference pipeline) as IR YAML, deterministic, and its sha256."""

from __future__ import annotations

import argparse
from pathlib import Path

from rich.console import Console


def register(commands: argparse._SubParsersAction) -> None:
    compile_ = commands.add_parser(
        "compile",
        help="compile a scenario's pipeline to IR YAML and print its sha256",
        description="Compile the pipeline a scenario names (its 'pipeline:'; the reference pipeline when it names "
        "none, or when no scenario is given) to its deterministic IR YAML, checked against the pipeline contract.",
    )
    compile_.add_argument(
        "scenario",
        nargs="?",
        default=None,
        help="shipped scenario name or path/to/scenario.yaml (default: ctsim's reference pipeline)",
    )
    compile_.add_argument("-o", "--output", type=Path, default=Path("pipeline.yaml"))
    compile_.set_defaults(handler=compile_ir)


def compile_ir(args: argparse.Namespace, console: Console) -> int:
    from ctsim.pipeline.source import prepare

    if args.scenario is None:
        prepared = prepare(None, Path.cwd(), args.output)
    else:
        from ctsim.scenario import loader
        from ctsim.sim.pipelines import prepare_pipeline

        path = loader.resolve(args.scenario)
        prepared = prepare_pipeline(loader.load(str(path)), path, args.output)
    console.print(f"{prepared.path}  sha256 {prepared.sha256}  ({prepared.label})")
    return 0
