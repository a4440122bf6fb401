"""The promotion gate: only a pipeline whose exact sha256 passed a scenario suite goes to a cluster.

``promotion_gate`` is a pure function over suite records already loaded;
``load_suites`` is the thin reader of ``runs/suite-*/suite.json``. A record
vouches for promoting scenario S with pipeline sha256 H only if it is
internally consistent (it says ``passed`` and every scenario in it passed)
and it ran S itself against H. A passing suite of other scenarios says
nothing about S: S's triggers and data contract are what gets deployed.
A suite file that claims ``passed`` while one of its scenarios failed is not trusted.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SUITE_COMMAND = "ctsim run suite"


@dataclass(frozen=True)
class ScenarioRecord:
    name: str
    status: str
    pipeline_sha256: str


@dataclass(frozen=True)
class SuiteRecord:
    """One ``suite.json``; ``source`` is where it was read from, for messages."""

    source: str
    pipeline_sha256: str
    passed: bool
    finished: str
    scenarios: tuple[ScenarioRecord, ...]

    @classmethod
    def from_dict(cls, data: dict[str, Any], source: str) -> SuiteRecord:
        """Raises KeyError/TypeError/ValueError on a record that does not follow schema 1."""
        if data.get("schema_version") != 1:
            raise ValueError(f"schema_version {data.get('schema_version')!r} is not 1")
        scenarios = tuple(
            ScenarioRecord(str(s["name"]), str(s["status"]), str(s["pipeline_sha256"])) for s in data["scenarios"]
        )
        return cls(
            source, str(data["pipeline_sha256"]), data["passed"] is True, str(data.get("finished", "")), scenarios
        )

    def vouches_for(self, sha256: str, scenario: str) -> bool:
        """Green throughout, and ``scenario`` itself ran and passed against exactly ``sha256``."""
        return (
            self.passed
            and bool(self.scenarios)
            and all(s.status == "passed" for s in self.scenarios)
            and any(s.name == scenario and s.pipeline_sha256 == sha256 for s in self.scenarios)
        )


@dataclass(frozen=True)
class GateOutcome:
    allowed: bool
    forced: bool
    reason: str
    evidence: SuiteRecord | None = None


def promotion_gate(records: list[SuiteRecord], sha256: str, scenario: str, force: bool = False) -> GateOutcome:
    """Allow promoting ``scenario`` with pipeline ``sha256`` when some suite vouches for both.

    The latest vouching suite is the evidence.
    """
    vouching = sorted((r for r in records if r.vouches_for(sha256, scenario)), key=lambda r: (r.finished, r.source))
    if vouching:
        best = vouching[-1]
        names = ", ".join(s.name for s in best.scenarios)
        return GateOutcome(True, False, f"suite {best.source} passed for pipeline {sha256[:12]} ({names})", best)
    why = _why_not(records, sha256, scenario)
    if force:
        return GateOutcome(
            True, True, f"FORCED: promoting '{scenario}' with pipeline {sha256[:12]} without a passing suite ({why})"
        )
    return GateOutcome(
        False,
        False,
        f"no passing scenario suite ran '{scenario}' with pipeline sha256 "
        f"{sha256[:12]} ({why}); run `{SUITE_COMMAND}` on a folder holding it first "
        "(or pass --force)",
    )


def _why_not(records: list[SuiteRecord], sha256: str, scenario: str) -> str:
    if not records:
        return "no suite records found"
    ran = [r for r in records if any(s.name == scenario for s in r.scenarios)]
    if not ran:
        return f"{len(records)} suite record(s), none ran scenario '{scenario}'"
    same = [r for r in ran if any(s.name == scenario and s.pipeline_sha256 == sha256 for s in r.scenarios)]
    if not same:
        return (
            f"{len(ran)} suite record(s) ran '{scenario}', none with this pipeline: "
            "the pipeline changed since the last suite"
        )
    failed = [s.name for r in same for s in r.scenarios if s.status != "passed"]
    if failed:
        return f"the suite for this pipeline did not pass: {', '.join(sorted(set(failed)))}"
    return "the suite record for this pipeline is incomplete or inconsistent"


def load_suites(runs_dir: Path) -> tuple[list[SuiteRecord], list[str]]:
    """Every readable ``suite-*/suite.json`` under ``runs_dir``, plus the paths that could not be read.

    An unreadable record never blocks or allows anything on its own; it is
    reported so the user knows it was ignored.
    """
    records, ignored = [], []
    for path in sorted(runs_dir.glob("suite-*/suite.json")):
        try:
            records.append(SuiteRecord.from_dict(json.loads(path.read_text(encoding="utf-8")), str(path.parent)))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError, KeyError, TypeError, ValueError, AttributeError):
            ignored.append(str(path))
    return records, ignored
