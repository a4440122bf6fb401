"""The pipeline contract, checked on a compiled pipeline (IR YAML) before a minute is spent.

What ctsim passes to every run, by name (see docs/pipeline-contract.md):

    namespace: str, run_id: str, first_tick: int, last_tick: int      required: every pipeline declares them
    as_of_tick: int, pipeline_sha256: str, seed: int                  passed when the pipeline declares them
    the scenario's ``parameters:``                                     the team's own, passed as written

and what a pipeline must hold: a task of ctsim's ``register_model`` component, since the simulator
serves only what the registry holds. Pure functions of the IR document: no import, no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

REQUIRED_PARAMETERS = {
    "namespace": "STRING",
    "run_id": "STRING",
    "first_tick": "NUMBER_INTEGER",
    "last_tick": "NUMBER_INTEGER",
}
OPTIONAL_PARAMETERS = {"as_of_tick": "NUMBER_INTEGER", "pipeline_sha256": "STRING", "seed": "NUMBER_INTEGER"}
PASSED_BY_CTSIM = {**REQUIRED_PARAMETERS, **OPTIONAL_PARAMETERS}
# The component name KFP derives from ctsim.kfp.register_model (a second use in one DAG gets "-2", "-3", ...).
REGISTER_COMPONENT = "comp-register-model"
_TYPE_NAMES = {
    "STRING": "str",
    "NUMBER_INTEGER": "int",
    "NUMBER_DOUBLE": "float",
    "BOOLEAN": "bool",
    "LIST": "list",
    "STRUCT": "dict",
}


@dataclass(frozen=True)
class Parameter:
    name: str
    type: str  # the IR's parameterType: STRING, NUMBER_INTEGER, NUMBER_DOUBLE, BOOLEAN, LIST, STRUCT
    optional: bool


@dataclass(frozen=True)
class PipelineShape:
    """What the contract needs to know of a compiled pipeline."""

    name: str
    parameters: tuple[Parameter, ...]
    tasks: tuple[str, ...]  # every executable task, in every sub-DAG (If/Else branches, exit handlers)
    components: tuple[str, ...]

    def parameter(self, name: str) -> Parameter | None:
        return next((p for p in self.parameters if p.name == name), None)

    @property
    def registers(self) -> bool:
        return any(c == REGISTER_COMPONENT or c.startswith(REGISTER_COMPONENT + "-") for c in self.components)


def read_shape(spec: Mapping[str, Any]) -> PipelineShape:
    """The shape of an IR pipeline document (``kfp.compiler`` output, or ``pipeline_spec`` of a platform doc)."""
    if not isinstance(spec, Mapping) or not isinstance(spec.get("root"), Mapping) or "dag" not in spec["root"]:
        raise ValueError("not a compiled KFP pipeline: it has no root DAG (is it a single component?)")
    definitions = (spec["root"].get("inputDefinitions") or {}).get("parameters") or {}
    parameters = tuple(
        Parameter(name, str(item.get("parameterType", "")), bool(item.get("isOptional")) or "defaultValue" in item)
        for name, item in definitions.items()
    )
    components = spec.get("components") or {}
    dags = [spec["root"]["dag"]] + [c["dag"] for c in components.values() if isinstance(c, Mapping) and "dag" in c]
    tasks = sorted(
        name
        for dag in dags
        for name, task in (dag.get("tasks") or {}).items()
        if "dag" not in components.get((task.get("componentRef") or {}).get("name", ""), {})
    )
    name = (spec.get("pipelineInfo") or {}).get("name", "")
    return PipelineShape(str(name), parameters, tuple(tasks), tuple(sorted(components)))


def problems(shape: PipelineShape, supplied: Mapping[str, Any]) -> list[str]:
    """Every way the pipeline breaks the contract, given the team's ``parameters:``; empty when it holds."""
    found = []
    for name, wanted in REQUIRED_PARAMETERS.items():
        declared = shape.parameter(name)
        if declared is None:
            found.append(f"has no parameter '{name}: {_TYPE_NAMES[wanted]}', which ctsim passes to every run")
        elif declared.type != wanted:
            found.append(f"declares '{name}' as {_type_name(declared.type)}; ctsim passes {_TYPE_NAMES[wanted]}")
    for name, wanted in OPTIONAL_PARAMETERS.items():
        declared = shape.parameter(name)
        if declared is not None and declared.type != wanted:
            found.append(f"declares '{name}' as {_type_name(declared.type)}; ctsim passes {_TYPE_NAMES[wanted]}")
    for name, value in supplied.items():
        declared = shape.parameter(name)
        if name in PASSED_BY_CTSIM:
            found.append(f"parameters: '{name}' is set by ctsim on every run and cannot be given in the scenario")
        elif declared is None:
            names = ", ".join(p.name for p in shape.parameters if p.name not in PASSED_BY_CTSIM) or "none"
            found.append(f"has no parameter '{name}' (its own parameters: {names})")
        elif not _fits(value, declared.type):
            found.append(f"parameter '{name}' is {_type_name(declared.type)}; the scenario gives {value!r}")
    missing = [
        p.name for p in shape.parameters if not p.optional and p.name not in PASSED_BY_CTSIM and p.name not in supplied
    ]
    if missing:
        found.append(
            f"has required parameters nobody supplies: {', '.join(missing)} (set them in the scenario's "
            f"'parameters:' or give them defaults)"
        )
    if not shape.registers:
        found.append(
            "has no registration step: its DAG must use ctsim.kfp.register_model (the simulator serves "
            "only models in the registry)"
        )
    return found


def arguments(shape: PipelineShape, passed: Mapping[str, Any], supplied: Mapping[str, Any]) -> dict[str, Any]:
    """The arguments of one run: what ctsim passes (those the pipeline declares) plus the team's own."""
    return {**{name: value for name, value in passed.items() if shape.parameter(name) is not None}, **supplied}


def _fits(value: Any, parameter_type: str) -> bool:
    if parameter_type == "STRING":
        return isinstance(value, str)
    if parameter_type == "BOOLEAN":
        return isinstance(value, bool)
    if parameter_type == "NUMBER_INTEGER":
        return isinstance(value, int) and not isinstance(value, bool)
    if parameter_type == "NUMBER_DOUBLE":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    return False


def _type_name(parameter_type: str) -> str:
    return _TYPE_NAMES.get(parameter_type, parameter_type.lower() or "untyped")


__all__ = [
    "OPTIONAL_PARAMETERS",
    "PASSED_BY_CTSIM",
    "REQUIRED_PARAMETERS",
    "Parameter",
    "PipelineShape",
    "arguments",
    "problems",
    "read_shape",
]
