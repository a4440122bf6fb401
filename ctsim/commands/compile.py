"""``ctsim compile``: the pipeline's IR YAML, byte-for-byte deterministic, and its sha256."""

from __future__ import annotations

import argparse
from pathlib import Path

from rich.console import Console


def register(commands: argparse._SubParsersAction) -> None:
    compile_ = commands.add_parser("compile", help="compile the pipeline to IR YAML and print its sha256",
                                   description="Compile the pipeline to its (deterministic) IR YAML.")
    compile_.add_argument("-o", "--output", type=Path, default=Path("pipeline.yaml"))
    compile_.set_defaults(handler=compile_ir)


def compile_ir(args: argparse.Namespace, console: Console) -> int:
    from ctsim.pipeline.compile import compile_pipeline

    compiled = compile_pipeline(args.output)
    console.print(f"{compiled.path}  sha256 {compiled.sha256}")
    return 0
