"""Where the pipeline under test comes from: ctsim's reference pipeline, a team's ``@dsl.pipeline``
named ``package.module:function``, or a compiled IR YAML file. Every form ends as IR YAML in the run
directory with its sha256: the bytes that ran are the bytes ``promote`` uploads.

Importing ``package.module`` runs the team's module (as ``python -c "import ..."`` would): the scenario file,
written by the team, names it. Nothing read from the object store ever chooses what is imported.
"""

from __future__ import annotations

import hashlib
import importlib
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from ctsim.errors import PipelineContractError
from ctsim.pipeline.compile import CompiledPipeline, compile_function
from ctsim.pipeline.contract import PipelineShape, read_shape

REFERENCE = "ctsim.pipeline.components:continuous_training"
MAX_PIPELINE_BYTES = 10 * 1024 * 1024


@dataclass(frozen=True)
class PreparedPipeline:
    """A pipeline compiled (or copied) to IR YAML, its sha256 and its shape."""

    label: str  # how the scenario named it, for messages and records
    compiled: CompiledPipeline
    shape: PipelineShape

    @property
    def path(self) -> Path:
        return self.compiled.path

    @property
    def sha256(self) -> str:
        return self.compiled.sha256


def prepare(reference: str | None, base_dir: Path, output: Path) -> PreparedPipeline:
    """Compile or copy the pipeline ``reference`` names to ``output``; ``PipelineContractError`` if it can't be."""
    if reference is None or reference == REFERENCE:
        from ctsim.pipeline.components import continuous_training

        return _shaped(
            "ctsim reference pipeline", compile_function(continuous_training, output, "the reference pipeline")
        )
    if reference.endswith((".yaml", ".yml")):
        return _shaped(reference, _copy_yaml(_locate(reference, base_dir), output))
    pipeline = import_pipeline(reference)
    try:
        compiled = compile_function(pipeline, output, f"the pipeline {reference}")
    except Exception as exc:  # the KFP compiler raises many unrelated types
        raise PipelineContractError(f"{reference} does not compile: {_first_line(exc)}") from exc
    return _shaped(reference, compiled)


def import_pipeline(reference: str) -> Any:
    """The ``@dsl.pipeline`` object ``package.module:function`` names, from the working directory or an installed
    package (as ``python -m`` finds modules; kfp.local's task processes find the team's components the same way)."""
    from kfp.dsl.graph_component import GraphComponent

    module_name, _, attribute = reference.partition(":")
    _working_directory_importable()
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        raise PipelineContractError(
            f"cannot import {module_name} ({exc}); it must be importable from the working directory "
            f"({Path.cwd()}) or an installed package"
        ) from exc
    except Exception as exc:  # the team's module raised while importing: report it, don't crash
        raise PipelineContractError(
            f"importing {module_name} failed: {type(exc).__name__}: {_first_line(exc)}"
        ) from exc
    if not hasattr(module, attribute):
        raise PipelineContractError(f"module {module_name} ({getattr(module, '__file__', '?')}) has no '{attribute}'")
    pipeline = getattr(module, attribute)
    if not isinstance(pipeline, GraphComponent):
        raise PipelineContractError(f"{reference} is a {type(pipeline).__name__}, not a @dsl.pipeline")
    return pipeline


def _shaped(label: str, compiled: CompiledPipeline) -> PreparedPipeline:
    spec = _first_document(compiled.path.read_bytes(), label)
    try:
        return PreparedPipeline(label, compiled, read_shape(spec))
    except (ValueError, TypeError, AttributeError, KeyError) as exc:
        raise PipelineContractError(f"{label} is {exc}") from exc


def _locate(reference: str, base_dir: Path) -> Path:
    for candidate in (base_dir / reference, Path(reference)):
        if candidate.is_file():
            return candidate
    raise PipelineContractError(f"no such file: {reference} (relative to the scenario file or the working directory)")


def _copy_yaml(source: Path, output: Path) -> CompiledPipeline:
    if source.stat().st_size > MAX_PIPELINE_BYTES:
        raise PipelineContractError(f"{source} is larger than {MAX_PIPELINE_BYTES // 2**20} MiB: not a pipeline file")
    data = source.read_bytes()
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_bytes(data)
    return CompiledPipeline(output, hashlib.sha256(data).hexdigest())


def _first_document(data: bytes, label: str) -> Any:
    """The pipeline spec: the first YAML document (a second one is the kfp-kubernetes platform spec)."""
    try:
        documents = yaml.safe_load_all(data.decode("utf-8"))
        spec = next(iter(documents), None)
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise PipelineContractError(f"{label} is not a readable YAML file: {_first_line(exc)}") from exc
    if isinstance(spec, dict) and "pipeline_spec" in spec:  # the kfp-kubernetes wrapper form
        spec = spec["pipeline_spec"]
    return spec


def _working_directory_importable() -> None:
    """The working directory first on ``sys.path``, as ``python -m`` has it, for the rest of the process: the
    team's modules are imported now, and again when a champion they define is unpickled for serving."""
    here = str(Path.cwd().resolve())
    if here not in sys.path:
        sys.path.insert(0, here)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return (text[0] if text else type(exc).__name__)[:300]


__all__ = ["MAX_PIPELINE_BYTES", "REFERENCE", "PreparedPipeline", "import_pipeline", "prepare"]
