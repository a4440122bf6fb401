"""What a report is made from, read from a run directory (the only I/O on the reading side of report/).

A run directory ``runs/<scenario>-<timestamp>/`` holds ``timeline.json``, ``verdict.json``, ``run.json`` and,
when the run was audited, ``audit.json``; kfp.local's per-run logs under ``logs/`` tell cache hits and task
retries. Missing or broken files are named in a ``CtsimError`` (exit 2); ``audit.json`` and the logs may be absent.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from ctsim.errors import CtsimError
from ctsim.report.redact import Redactor
from ctsim.sim.timeline import Event, Timeline, TickRecord
from ctsim.verdict import ExpectationResult, Verdict

_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_CACHE_HIT = re.compile(r"Task '?([\w.-]+)'? cache hit")
_RETRY = re.compile(r"Task '?([\w.-]+)'? failed \(attempt (\d+)/(\d+)\)")
_STARTED = re.compile(r"-(\d{8}T\d{6})(\d*)Z$")


@dataclass(frozen=True)
class LogFacts:
    """What kfp.local's log of one pipeline run says beyond task timings."""

    cache_hits: tuple[str, ...] = ()
    task_retries: int = 0
    found: bool = False


@dataclass(frozen=True)
class RunRecord:
    timeline: Timeline
    verdict: Verdict
    run_dir: str
    info: dict[str, Any] = field(default_factory=dict)
    audit: dict[str, Any] | None = None
    logs: dict[str, LogFacts] = field(default_factory=dict)

    @property
    def pipeline_sha256(self) -> str:
        return str(self.info.get("pipeline_sha256", ""))

    def redacted(self, redactor: Redactor) -> "RunRecord":
        """A copy in which every string has been through ``redactor``: what every report renders from."""
        if not redactor.secrets:
            return self
        r = redactor.value
        timeline = Timeline(r(self.timeline.scenario), self.timeline.seed, r(self.timeline.metric),
                            [Event(e.tick, r(e.kind), r(e.message), r(e.data)) for e in self.timeline.events],
                            [TickRecord(**r(t.__dict__)) for t in self.timeline.ticks], r(self.timeline.runs))
        verdict = Verdict(tuple(ExpectationResult(r(x.name), x.passed, r(x.detail)) for x in self.verdict.results))
        return replace(self, timeline=timeline, verdict=verdict, run_dir=r(self.run_dir), info=r(self.info),
                       audit=r(self.audit))


def parse_log(text: str) -> LogFacts:
    """Cache hits and retries as kfp.local logs them ("Task X cache hit", "Task X failed (attempt 1/3)")."""
    text = _ANSI.sub("", text)
    hits = tuple(m.group(1) for m in _CACHE_HIT.finditer(text))
    retries = len(_RETRY.findall(text))
    return LogFacts(hits, retries, True)


def load_run(run_dir: Path | str) -> RunRecord:
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise CtsimError(f"{run_dir}: no such run directory (expected runs/<scenario>-<timestamp>/; see `ctsim runs`)")
    timeline = _read(run_dir / "timeline.json", lambda path: Timeline.read(path))
    verdict = _read(run_dir / "verdict.json", _verdict)
    info = _read(run_dir / "run.json", _json) if (run_dir / "run.json").exists() else {}
    audit = _read(run_dir / "audit.json", _json) if (run_dir / "audit.json").exists() else None
    if not info.get("pipeline_sha256") and (run_dir / "pipeline.sha256").exists():
        info = {**info, "pipeline_sha256": (run_dir / "pipeline.sha256").read_text(encoding="utf-8").strip()}
    logs = {run["run_id"]: _log_facts(run_dir / "logs" / f"{run['run_id']}.log") for run in timeline.runs}
    return RunRecord(timeline, verdict, str(run_dir), info, audit, logs)


def started_at(run_dir: Path) -> datetime | None:
    """The start time encoded in the directory name (``<scenario>-YYYYmmddTHHMMSSffffffZ``)."""
    match = _STARTED.search(run_dir.name)
    if not match:
        return None
    return datetime.strptime(match.group(1), "%Y%m%dT%H%M%S").replace(
        microsecond=int((match.group(2) or "0")[:6].ljust(6, "0")), tzinfo=timezone.utc)


def list_runs(runs_dir: Path) -> list[dict[str, Any]]:
    """One summary per run directory, newest first; unreadable or unfinished runs are listed as such."""
    if not runs_dir.is_dir():
        raise CtsimError(f"{runs_dir}: no such runs directory (runs go to runs/ unless --runs-dir says otherwise)")
    rows = [_summary(path) for path in runs_dir.iterdir() if path.is_dir()]
    return sorted(rows, key=lambda row: (row["started"] or datetime.min.replace(tzinfo=timezone.utc), row["run"]),
                  reverse=True)


def _summary(path: Path) -> dict[str, Any]:
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
        ended = datetime.fromtimestamp((path / "run.json").stat().st_mtime, tz=timezone.utc)
        seconds = max(0.0, (ended - started).total_seconds())
    sha = info.get("pipeline_sha256") or ""
    if not sha and (path / "pipeline.sha256").exists():
        sha = (path / "pipeline.sha256").read_text(encoding="utf-8").strip()
    return {"run": path.name, "path": str(path), "scenario": info.get("scenario", "?"),
            "status": info.get("status", "unfinished"), "pipeline_sha256": sha, "started": started,
            "seconds": seconds}


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
        raise CtsimError(f"{path}: missing; a finished run directory holds timeline.json and verdict.json "
                         "(a crashed run has only run.json)") from exc
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise CtsimError(f"{path}: cannot be read as a ctsim run file ({type(exc).__name__}: {exc})") from exc
