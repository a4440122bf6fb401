"""Compile a pipeline to its IR YAML, deterministically, and hash it."""

from __future__ import annotations

import hashlib
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ctsim.errors import PipelineError


@dataclass(frozen=True)
class CompiledPipeline:
    path: Path
    sha256: str


def compile_pipeline(output: Path) -> CompiledPipeline:
    """Write the training pipeline's IR YAML to ``output``; the same code gives the same bytes."""
    from ctsim.pipeline.components import continuous_training

    return compile_function(continuous_training, output, "the pipeline")


def compile_function(pipeline: Callable, output: Path, what: str) -> CompiledPipeline:
    """Compile ``pipeline`` (a ``@dsl.pipeline``) to ``output`` and hash the bytes written."""
    from kfp import compiler

    output.parent.mkdir(parents=True, exist_ok=True)
    try:
        with tempfile.TemporaryDirectory() as scratch:
            staged = Path(scratch) / output.name
            compiler.Compiler().compile(pipeline, str(staged))
            data = staged.read_bytes()
    except Exception as exc:  # the KFP compiler raises many unrelated types
        raise PipelineError(f"{what} failed to compile: {exc}") from exc
    output.write_bytes(data)
    return CompiledPipeline(output, hashlib.sha256(data).hexdigest())
