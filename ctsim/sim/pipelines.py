"""The scenario's pipeline, prepared and checked against the pipeline contract before a minute is spent.

Every problem is one line naming the scenario file and line, the pipeline and what is missing, raised
as ``PipelineContractError`` (exit 2) before any run directory exists.
"""

from __future__ import annotations

from pathlib import Path

from ctsim.errors import PipelineContractError
from ctsim.pipeline import contract
from ctsim.pipeline.source import PreparedPipeline, prepare
from ctsim.scenario import loader
from ctsim.scenario.model import FaultEvent, Scenario

__all__ = ["check_pipeline", "pipeline_problems", "prepare_pipeline"]


def prepare_pipeline(scenario: Scenario, scenario_path: Path, output: Path) -> PreparedPipeline:
    """Compile (or copy) the scenario's pipeline to ``output`` and check it meets the contract."""
    where = loader.locate(scenario_path, ("pipeline",) if scenario.pipeline else ())
    try:
        prepared = prepare(scenario.pipeline, scenario_path.parent, output)
    except PipelineContractError as exc:
        raise PipelineContractError(f"{where}: pipeline: {exc}") from None
    found: list[tuple[loader.Loc, str]] = [
        (("pipeline",), f"{prepared.label} {problem}")
        for problem in contract.problems(prepared.shape, scenario.parameters)
    ]
    found += pipeline_problems(scenario, prepared)
    if found:
        raise PipelineContractError(
            "\n".join(f"{loader.locate(scenario_path, loc)}: {loader.dotted(loc)}: {message}" for loc, message in found)
        )
    return prepared


def pipeline_problems(scenario: Scenario, prepared: PreparedPipeline) -> list[tuple[loader.Loc, str]]:
    """Scenario settings that name the pipeline's tasks: a fault's ``step`` must be one of them."""
    tasks = prepared.shape.tasks
    return [
        (
            ("events", index, "step"),
            f"The 'step' setting of the fault event must be a task of {prepared.label} "
            f"({', '.join(tasks)}). Got {event.step!r} instead.",
        )
        for index, event in enumerate(scenario.events)
        if isinstance(event, FaultEvent) and event.fault == "store_down_during_step" and event.step not in tasks
    ]


def check_pipeline(scenario: Scenario, scenario_path: Path) -> PreparedPipeline:
    """``prepare_pipeline`` into a scratch folder: the check ``validate`` and ``verify-gates`` run."""
    import tempfile

    with tempfile.TemporaryDirectory(prefix="ctsim-pipeline-") as scratch:
        return prepare_pipeline(scenario, scenario_path, Path(scratch) / "pipeline.yaml")
