"""Load-time checks of the task, its metric and the team's training code (run by the loader's cross_check).

Each problem is (location in the document, message), so the loader prints ``file:line: key: message``.
"""

from __future__ import annotations

from ctsim.errors import SettingError
from ctsim.scenario.model import FinalChampionMetric, LabelShiftEvent, Scenario
from ctsim.steps.metrics import metric_names, metric_spec

Loc = tuple[str | int, ...]

__all__ = ["task_problems"]


def task_problems(scenario: Scenario) -> list[tuple[Loc, str]]:
    """The metric suits the task, the model suits the task, and the team's references import."""
    task, metric = scenario.task, scenario.gates.model.metric
    problems: list[tuple[Loc, str]] = []
    if task not in metric_spec(metric).tasks:
        problems.append(
            (
                ("gates", "model", "metric"),
                f"The 'metric' setting of the model gate must be one of "
                f"{', '.join(metric_names(task))} for task {task}. Got {metric!r} instead.",
            )
        )
    model = scenario.training.model
    allowed = ("ridge", "sgd") if task == "regression" else ("logistic", "sgd")
    if scenario.training.estimator is None and model not in allowed:
        problems.append(
            (
                ("training", "model"),
                f"The 'model' setting of training must be {' or '.join(allowed)} "
                f"for task {task}. Got {model!r} instead.",
            )
        )
    for index, event in enumerate(scenario.events):
        if task == "regression" and isinstance(event, LabelShiftEvent):
            problems.append(
                (
                    ("events", index, "kind"),
                    "a label_shift event moves class priors: it needs task "
                    "binary or multiclass. Got task regression instead.",
                )
            )
    higher = metric_spec(metric).higher_is_better
    for index, expectation in enumerate(scenario.expectations):
        wrong = "at_most" if higher else "at_least"
        if isinstance(expectation, FinalChampionMetric) and getattr(expectation, wrong) is not None:
            right, way = ("at_least", "higher") if higher else ("at_most", "lower")
            problems.append(
                (
                    ("expectations", index, wrong),
                    f"{metric} is better {way}: a final_champion_metric "
                    f"expectation on it says '{right}'. Got '{wrong}' instead.",
                )
            )
    return problems + _reference_problems(scenario)


def _reference_problems(scenario: Scenario) -> list[tuple[Loc, str]]:
    from ctsim.steps.references import load_reference

    problems: list[tuple[Loc, str]] = []
    for setting in ("estimator", "features"):
        reference = getattr(scenario.training, setting)
        if reference is None:
            continue
        try:
            load_reference(reference, setting)
        except SettingError as exc:
            problems.append((("training", setting), str(exc)))
    return problems
