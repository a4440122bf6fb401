"""The promotion gate: only a pipeline whose exact sha256 passed a scenario suite goes to a cluster.

``promotion_gate`` is a pure function over suite records already loaded;
``load_suites`` is the thin reader of ``runs/suite-*/suite.json``. A record
counts only if it is internally consistent: it says ``passed``, names this
sha256, and every scenario in it passed against the same sha256. A suite file
that claims ``passed`` while one of its scenarios failed is not trusted.
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
    def from_dict(cls, data: dict[str, Any], source: str) -> "SuiteRecord":
        """Raises KeyError/TypeError/ValueError on a record that does not follow schema 1."""
        if data.get("schema_version") != 1:
            raise ValueError(f"schema_version {data.get('schema_version')!r} is not 1")
        scenarios = tuple(ScenarioRecord(str(s["name"]), str(s["status"]), str(s["pipeline_sha256"]))
                          for s in data["scenarios"])
        return cls(source, str(data["pipeline_sha256"]), data["passed"] is True, str(data.get("finished", "")),
                   scenarios)

    def vouches_for(self, sha256: str) -> bool:
        return (self.passed and self.pipeline_sha256 == sha256 and bool(self.scenarios)
                and all(s.status == "passed" and s.pipeline_sha256 == sha256 for s in self.scenarios))


@dataclass(frozen=True)
class GateOutcome:
    allowed: bool
    forced: bool
    reason: str
    evidence: SuiteRecord | None = None


def promotion_gate(records: list[SuiteRecord], sha256: str, force: bool = False) -> GateOutcome:
    """Allow promotion when some suite vouches for ``sha256`` (the latest such one is the evidence)."""
    vouching = sorted((r for r in records if r.vouches_for(sha256)), key=lambda r: (r.finished, r.source))
    if vouching:
        best = vouching[-1]
        names = ", ".join(s.name for s in best.scenarios)
        return GateOutcome(True, False, f"suite {best.source} passed for pipeline {sha256[:12]} ({names})", best)
    why = _why_not(records, sha256)
    if force:
        return GateOutcome(True, True, f"FORCED: promoting pipeline {sha256[:12]} without a passing suite ({why})")
    return GateOutcome(False, False, f"no passing scenario suite for pipeline sha256 {sha256[:12]} ({why}); "
                                     f"run `{SUITE_COMMAND}` first (or pass --force)")


def _why_not(records: list[SuiteRecord], sha256: str) -> str:
    same = [r for r in records if r.pipeline_sha256 == sha256]
    if not records:
        return "no suite records found"
    if not same:
        return f"{len(records)} suite record(s), none for this pipeline: the pipeline changed since the last suite"
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
