"""Retraining policies: a name and a ``triggers`` section that replaces the scenario's own.

Built-in policies (one trigger kind each; the scenario's ``cooldown_ticks`` is kept):

=============  =====================================================================
none           no trigger at all: the bootstrap model serves to the end (the floor)
schedule       ``cron: "0 0 * * 1"``: every Monday at midnight of simulated time
volume         ``min_new_rows``: seven ticks' worth of the scenario's rows
drift          Evidently's defaults (``method: auto``, ``drift_share: 0.5``, one tick)
performance    ``max_drop: 0.05``, ``min_samples: 100`` over ``window_ticks``: 2, or as many ticks as
               hold 100 labelled rows at the scenario's traffic (so it can fire)
=============  =====================================================================

More policies come from a YAML file: a mapping of name to a triggers section, validated
with the same pydantic model as a scenario's ``triggers`` and reported as ``file:line: key``.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from ctsim.errors import ScenarioError
from ctsim.scenario import loader
from ctsim.scenario.model import Scenario
from ctsim.settings import (
    DriftTriggerSettings,
    PerformanceTriggerSettings,
    ScheduleTriggerSettings,
    TriggerSettings,
    VolumeTriggerSettings,
)

__all__ = [
    "BUILTIN",
    "Policy",
    "builtin_policy",
    "load_policies",
    "performance_window",
    "rewrite_scenario",
    "volume_rows",
]

BUILTIN = ("none", "schedule", "volume", "drift", "performance")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
VOLUME_TICKS = 7
MAX_WINDOW = 1000  # PerformanceTriggerSettings.window_ticks' bound


@dataclass(frozen=True)
class Policy:
    name: str
    triggers: TriggerSettings
    keeps_cooldown: bool = True  # use the scenario's cooldown_ticks (built-ins, and files that do not set one)

    def applied_to(self, scenario: Scenario) -> TriggerSettings:
        if self.keeps_cooldown:
            return self.triggers.model_copy(update={"cooldown_ticks": scenario.triggers.cooldown_ticks})
        return self.triggers


def volume_rows(scenario: Scenario, rows_per_tick: float) -> int:
    """The built-in volume threshold: seven ticks' worth of labelled rows."""
    return max(1, int(round(VOLUME_TICKS * rows_per_tick)))


def performance_window(rows_per_tick: float, min_samples: int = PerformanceTriggerSettings().min_samples) -> int:
    """The built-in performance window: two ticks, or enough ticks for ``min_samples`` labelled rows."""
    needed = math.ceil(min_samples / rows_per_tick) if rows_per_tick > 0 else MAX_WINDOW
    return min(MAX_WINDOW, max(2, needed))


def builtin_policy(name: str, scenario: Scenario, rows_per_tick: float) -> Policy:
    makers = {
        "none": TriggerSettings,
        "schedule": lambda: TriggerSettings(schedule=ScheduleTriggerSettings(cron="0 0 * * 1")),
        "volume": lambda: TriggerSettings(
            volume=VolumeTriggerSettings(min_new_rows=volume_rows(scenario, rows_per_tick))
        ),
        "drift": lambda: TriggerSettings(drift=DriftTriggerSettings()),
        "performance": lambda: TriggerSettings(
            performance=PerformanceTriggerSettings(window_ticks=performance_window(rows_per_tick))
        ),
    }
    if name not in makers:
        raise ScenarioError(
            f"--policy {name}: unknown built-in policy. Expected one of {', '.join(BUILTIN)}, "
            "or define it in a --policies file."
        )
    return Policy(name, makers[name]())


def load_policies(path: Path) -> list[Policy]:
    """Policies from a YAML mapping ``name: {triggers section}``; errors read ``file:line: key: message``."""
    source = str(path)
    root, document = loader.read_yaml(loader.read_text(path, "policies"), source)
    if not isinstance(document, dict) or not document:
        raise ScenarioError(
            f"{source}:1: a policies file must be a mapping of policy name to a triggers section "
            "(schedule, volume, performance, drift, cooldown_ticks)"
        )
    return [_policy(str(name), section, root, source) for name, section in document.items()]


def _policy(name: str, section: Any, root: yaml.Node, source: str) -> Policy:
    where = loader.where(source, root, (name,))
    if not _NAME.match(name):
        raise ScenarioError(
            f"{where}: {name}: a policy name must be letters, digits, '.', '_' or '-' "
            "(it names a folder of the comparison)"
        )
    section = {} if section is None else section
    if not isinstance(section, dict):
        raise ScenarioError(f"{where}: {name}: must be a triggers section (a mapping), got {type(section).__name__}")
    try:
        triggers = TriggerSettings.model_validate(section)
    except ValidationError as exc:
        raise ScenarioError(
            loader.describe(exc, root, source, model_path=("triggers",), document_path=(name,))
        ) from None
    return Policy(name, triggers, keeps_cooldown="cooldown_ticks" not in section)


def rewrite_scenario(path: Path, policy: Policy, scenario: Scenario) -> str:
    """The scenario's YAML with ``triggers`` replaced by the policy's, expectations dropped (a comparison
    does not judge them) and replay and pipeline file paths made absolute (the copy lives elsewhere)."""
    _, document = loader.read_yaml(path.read_text(encoding="utf-8"), str(path))
    document["triggers"] = policy.applied_to(scenario).model_dump(mode="json", exclude_none=True)
    document["expectations"] = []
    replay = (document.get("data") or {}).get("replay")
    if replay:
        relative = path.parent / replay["path"]
        replay["path"] = str((relative if relative.is_file() else Path(replay["path"])).resolve())
    pipeline = document.get("pipeline")
    if isinstance(pipeline, str) and pipeline.endswith((".yaml", ".yml")):
        relative = path.parent / pipeline
        document["pipeline"] = str((relative if relative.is_file() else Path(pipeline)).resolve())
    header = f"# {scenario.name} under the retraining policy '{policy.name}' (written by ctsim compare)\n"
    return header + yaml.safe_dump(document, sort_keys=False)
