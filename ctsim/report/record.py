"""What a report is made from, read from a run directory (the only I/O on the reading side of report/).

A run directory ``runs/<scenario>-<timestamp>/`` holds ``timeline.json``, ``verdict.json``, ``run.json`` and,
when the run was audited, ``audit.json``; kfp.local's per-run logs under ``logs/`` tell cache hits (task
attempts and retries come from the run's own task records in the timeline, see ``facts.run_steps``). Missing or
broken files are named in a ``CtsimError`` (exit 2); ``audit.json`` and the logs may be absent.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ctsim.errors import CtsimError
from ctsim.report.redact import Redactor
from ctsim.timeline import Timeline, read_timeline
from ctsim.verdict import ExpectationResult, Verdict

_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_CACHE_HIT = re.compile(r"Task '?([\w.-]+)'? cache hit")
_STARTED = re.compile(r"-(\d{8}T\d{6})(\d*)Z$")


@dataclass(frozen=True)
class LogFacts:
    """What kfp.local's log of one pipeline run says beyond task timings."""

    cache_hits: tuple[str, ...] = ()
    found: bool = False


@dataclass(frozen=True)
class RunRecord:
    timeline: Timeline
    verdict: Verdict
    run_dir: str
    info: dict[str, Any] = field(default_factory=dict)
    audit: dict[str, Any] | None = None
    logs: dict[str, LogFacts] = field(default_factory=dict)
    scenario: Any = None  # the Scenario the run replayed (its scenario.yaml), when the run directory holds it

    @property
    def pipeline_sha256(self) -> str:
        return str(self.info.get("pipeline_sha256", ""))

    def redacted(self, redactor: Redactor) -> RunRecord:
        """A copy in which every string has been through ``redactor``: what every report renders from."""
        if not redactor.secrets:
            return self
        r = redactor.value
        # Through the timeline's JSON form: every string but the kinds and the keys (they are ctsim's own words).
        document = self.timeline.to_dict()
        document.update(
            scenario=r(document["scenario"]),
            metric=r(document["metric"]),
            runs=r(document["runs"]),
            ticks=[{key: r(value) for key, value in tick.items()} for tick in document["ticks"]],
            events=[
                {
                    **event,
                    "message": r(event["message"]),
                    "data": {key: r(value) for key, value in event["data"].items()},
                }
                for event in document["events"]
            ],
        )
        timeline = Timeline.from_dict(document)
        verdict = Verdict(tuple(ExpectationResult(r(x.name), x.passed, r(x.detail)) for x in self.verdict.results))
        return replace(
            self, timeline=timeline, verdict=verdict, run_dir=r(self.run_dir), info=r(self.info), audit=r(self.audit)
        )


def parse_log(text: str) -> LogFacts:
    """Cache hits as kfp.local logs them ("Task X cache hit (key=...)", when caching is on).

    Retries are not read here: kfp 2.17 logs "Task X failed (attempt 1/3)" to the root logger, which is
    silent at its default level, so the text never reaches the run's log. Each attempt's "Executing task"
    line does, and the runner records it (see ``facts.run_steps``).
    """
    text = _ANSI.sub("", text)
    return LogFacts(tuple(m.group(1) for m in _CACHE_HIT.finditer(text)), True)


def load_run(run_dir: Path | str) -> RunRecord:
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise CtsimError(f"{run_dir}: no such run directory (expected runs/<scenario>-<timestamp>/; see `ctsim runs`)")
    timeline = read_timeline(run_dir / "timeline.json")  # its errors name the file and what is wrong
    verdict = _read(run_dir / "verdict.json", _verdict)
    info = _read(run_dir / "run.json", _json) if (run_dir / "run.json").exists() else {}
    audit = _read(run_dir / "audit.json", _json) if (run_dir / "audit.json").exists() else None
    if not info.get("pipeline_sha256") and (run_dir / "pipeline.sha256").exists():
        info = {**info, "pipeline_sha256": (run_dir / "pipeline.sha256").read_text(encoding="utf-8").strip()}
    logs = {run["run_id"]: _log_facts(run_dir / "logs" / f"{run['run_id']}.log") for run in timeline.runs}
    return RunRecord(timeline, verdict, str(run_dir), info, audit, logs, _scenario(run_dir / "scenario.yaml"))


def _scenario(path: Path) -> Any:
    """The scenario copy a run directory keeps, or None: the report then claims nothing about labels."""
    from ctsim.scenario.loader import parse

    try:
        return parse(path.read_text(encoding="utf-8"), str(path))
    except (OSError, CtsimError):
        return None


def started_at(run_dir: Path) -> datetime | None:
    """The start time encoded in the directory name (``<scenario>-YYYYmmddTHHMMSSffffffZ``)."""
    match = _STARTED.search(run_dir.name)
    if not match:
        return None
    return datetime.strptime(match.group(1), "%Y%m%dT%H%M%S").replace(
        microsecond=int((match.group(2) or "0")[:6].ljust(6, "0")), tzinfo=UTC
    )


def list_runs(runs_dir: Path) -> list[dict[str, Any]]:
    """One summary per run, suite or comparison directory, newest first; unreadable or unfinished ones as such.

    A row: run (directory name), path, kind (run | suite | compare), scenario (what it ran, as a label),
    status (passed | failed | crashed | compared | unfinished | unreadable ...), pipeline_sha256, started, seconds,
    and for suites and comparisons a note (the scenarios that did not pass; the policies and the winner).
    """
    if not runs_dir.is_dir():
        raise CtsimError(f"{runs_dir}: no such runs directory (runs go to runs/ unless --runs-dir says otherwise)")
    rows = [_summary(path) for path in runs_dir.iterdir() if path.is_dir()]
    return sorted(rows, key=lambda row: (row["started"] or datetime.min.replace(tzinfo=UTC), row["run"]), reverse=True)


def _summary(path: Path) -> dict[str, Any]:
    if (path / "suite.json").exists() or path.name.startswith("suite-"):
        return _suite_summary(path)
    if (path / "compare.json").exists() or path.name.startswith("compare-"):
        return _compare_summary(path)
    info: dict[str, Any] = {}
    if (path / "run.json").exists():
        try:
            info = json.loads((path / "run.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            info = {"status": "unreadable run.json"}
        if not isinstance(info, dict):
            info = {"status": "unreadable run.json"}
    started = started_at(path)
    seconds = None
    if started is not None and (path / "run.json").exists():
        ended = datetime.fromtimestamp((path / "run.json").stat().st_mtime, tz=UTC)
        seconds = max(0.0, (ended - started).total_seconds())
    sha = info.get("pipeline_sha256") or ""
    if not sha and (path / "pipeline.sha256").exists():
        sha = (path / "pipeline.sha256").read_text(encoding="utf-8").strip()
    return {
        "run": path.name,
        "path": str(path),
        "kind": "run",
        "scenario": info.get("scenario", "?"),
        "status": info.get("status", "unfinished"),
        "pipeline_sha256": sha,
        "started": started,
        "seconds": seconds,
    }


def _suite_summary(path: Path) -> dict[str, Any]:
    """A ``ctsim run suite`` directory: passed only when suite.json says so (the promotion gate's reading)."""
    row = {
        "run": path.name,
        "path": str(path),
        "kind": "suite",
        "scenario": "suite",
        "status": "unfinished",
        "pipeline_sha256": "",
        "started": started_at(path),
        "seconds": None,
    }
    record = _record(path / "suite.json")
    if record is None:
        return {**row, "status": "unreadable suite.json" if (path / "suite.json").exists() else "unfinished"}
    scenarios = record.get("scenarios") or []
    failing = [s.get("name", "?") for s in scenarios if s.get("status") != "passed"]
    return {
        **row,
        "scenario": f"suite of {len(scenarios)}",
        "note": f"not passed: {', '.join(failing)}" if failing else "",
        "status": "passed" if record.get("passed") is True else "failed",
        "pipeline_sha256": str(record.get("pipeline_sha256") or ""),
        "seconds": _between(record.get("started"), record.get("finished")),
    }


def _compare_summary(path: Path) -> dict[str, Any]:
    """A ``ctsim compare`` directory: compared (with its winner) or crashed when a policy's replay crashed."""
    started = started_at(path)
    row = {
        "run": path.name,
        "path": str(path),
        "kind": "compare",
        "scenario": "compare",
        "status": "unfinished",
        "pipeline_sha256": "",
        "started": started,
        "seconds": None,
    }
    record = _record(path / "compare.json")
    if record is None:
        return {**row, "status": "unreadable compare.json" if (path / "compare.json").exists() else "unfinished"}
    policies = record.get("policies") or []
    crashed = any(p.get("status") == "crashed" for p in policies)
    winner = record.get("winner") or "none"
    seconds = None
    if started is not None:
        ended = datetime.fromtimestamp((path / "compare.json").stat().st_mtime, tz=UTC)
        seconds = max(0.0, (ended - started).total_seconds())
    return {
        **row,
        "scenario": f"compare {record.get('scenario', '?')}",
        "status": "crashed" if crashed else "compared",
        "note": f"{len(policies)} policies, winner {winner}",
        "seconds": seconds,
    }


def _record(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _between(started: Any, finished: Any) -> float | None:
    try:
        return max(0.0, (datetime.fromisoformat(str(finished)) - datetime.fromisoformat(str(started))).total_seconds())
    except ValueError:
        return None


def _log_facts(path: Path) -> LogFacts:
    try:
        return parse_log(path.read_text(encoding="utf-8", errors="replace"))
    except OSError:
        return LogFacts()


def _json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def _verdict(path: Path) -> Verdict:
    data = _json(path)
    return Verdict(tuple(ExpectationResult(r["name"], bool(r["passed"]), r.get("detail", "")) for r in data["results"]))


def _read(path: Path, reader):
    try:
        return reader(path)
    except FileNotFoundError as exc:
        raise CtsimError(
            f"{path}: missing; a finished run directory holds timeline.json and verdict.json "
            "(a crashed run has only run.json)"
        ) from exc
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise CtsimError(f"{path}: cannot be read as a ctsim run file ({type(exc).__name__}: {exc})") from exc
