"""The terminal report: pure ``format_*`` functions that return rich renderables; ``render`` prints them.

The final report fits one 120x50 screen with its title and verdict on it (tested at 120 and 80 columns),
read top to bottom as: what happened (the condensed story, at most ``MAX_STORY`` lines), the chart of the
live metric with its markers, the pipeline's health, then, at the bottom where a terminal leaves them
visible, the story in short (drift began, detected, decided, recovered), the expectations and the verdict.
The per-step timing table is one flag away (``ctsim report RUN --steps``) and always in ``--json``.
Numbers scored on poisoned labels say so, and "final" is one number: the champion's, pooled like the
``final_champion_metric`` expectation. Everything is rendered from a redacted ``RunRecord``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from rich.console import Console, Group, RenderableType
from rich.table import Table
from rich.text import Text

from ctsim.report import facts
from ctsim.report.chart import format_chart
from ctsim.report.record import RunRecord
from ctsim.report.redact import Redactor
from ctsim.steps.metrics import metric_label
from ctsim.timeline import (
    Alert,
    CanaryAnalysis,
    CanaryStarted,
    CanaryStepped,
    DriftOnset,
    Event,
    FirstChampion,
    GateBlocked,
    GateEvent,
    GatePassed,
    LakeBackfill,
    OutageBegan,
    OutageEnded,
    PipelineRun,
    Registered,
    RolledBack,
    RolledOut,
    ScriptedEvent,
    Timeline,
    TriggerEvent,
    TriggerFired,
)
from ctsim.verdict import Verdict

NOTABLE = (
    DriftOnset,
    ScriptedEvent,
    OutageBegan,
    OutageEnded,
    TriggerFired,
    PipelineRun,
    GateEvent,
    Registered,
    CanaryStarted,
    CanaryAnalysis,
    FirstChampion,
    Alert,
    LakeBackfill,
)
_STYLE = {
    "trigger": "yellow",
    "gate-block": "red",
    "rollback": "bold red",
    "promotion-failed": "bold red",
    "alert": "red",
    "rollout": "bold green",
    "first-champion": "bold green",
    "canary": "cyan",
    "canary-start": "cyan",
    "drift-onset": "magenta",
    "outage": "magenta",
    "scripted": "magenta",
    "pipeline-run": "blue",
    "run-failed": "bold red",
}
MAX_RUN_COLUMNS = 6
MAX_STORY = 12  # story lines shown; the rest are counted, and all are in timeline.json and --json
WIDTH = 120


# expectations ----------------------------------------------------------------------------------------------
def format_expectations(verdict: Verdict) -> Table:
    table = _table("Expectations")
    table.add_column("result")
    table.add_column("expectation")
    table.add_column("observed", overflow="fold")
    for result in verdict.results:
        mark = Text("PASS", style="bold green") if result.passed else Text("FAIL", style="bold red")
        table.add_row(mark, result.name, result.detail)
    if not verdict.results:
        table.add_row("-", "the scenario states no expectations", "")
    return table


# the story -------------------------------------------------------------------------------------------------
def story_lines(timeline: Timeline, labels: facts.Labels | None = None) -> list[tuple[int, str, str]]:
    """(tick, label, detail): one line per notable moment. A pipeline run's gate, registration and canary
    start are folded into its own line; canary steps are left out (the rollout or rollback line ends them)."""
    lines: list[tuple[int, str, str]] = []
    consumed: set[int] = set()
    for index, event in enumerate(timeline.events):
        if index in consumed or not isinstance(event, NOTABLE) or _quiet(event):
            continue
        if isinstance(event, PipelineRun):
            detail, used = _run_line(event, timeline.events, index, labels or facts.Labels())
            consumed |= used
            lines.append((event.tick, "pipeline-run" if event.succeeded else "run-failed", detail))
        else:
            lines.append((event.tick, event.kind, _event_detail(event)))
    return lines


def format_story(timeline: Timeline, width: int = 120, labels: facts.Labels | None = None) -> Table:
    table = _table(f"What happened in {timeline.scenario} (seed {timeline.seed}, {len(timeline.ticks)} ticks)")
    narrow = width < 100  # at 80 columns the date goes: the tick says when, the detail needs the room
    table.add_column("tick", justify="right", no_wrap=True)
    if not narrow:
        table.add_column("day" if _daily(timeline) else "time", no_wrap=True, min_width=10 if _daily(timeline) else 16)
    table.add_column("event", no_wrap=True, min_width=12)
    # One line per moment, cut with an ellipsis: the full messages are in timeline.json and --json.
    # At 80 columns a cut detail loses the decision, so it wraps there (under its own column) instead.
    table.add_column(
        "detail",
        overflow="fold" if narrow else "ellipsis",
        no_wrap=not narrow,
        max_width=width - (22 if narrow else 34),
    )
    times = {t.tick: (t.time[:10] if _daily(timeline) else t.time[:16]) for t in timeline.ticks}
    lines = story_lines(timeline, labels)
    if len(lines) > MAX_STORY:  # the first moments set the scene, the last ones lead to the verdict
        head, tail = MAX_STORY // 2, MAX_STORY - MAX_STORY // 2 - 1
        hidden = len(lines) - head - tail
        lines = (
            lines[:head]
            + [(-1, "…", f"{hidden} more moments (ctsim report RUN --json; timeline.json)")]
            + lines[-tail:]
        )
    for tick, label, detail in lines:
        when = [] if narrow else [times.get(tick, "")]
        table.add_row("" if tick < 0 else str(tick), *when, Text(label, style=_STYLE.get(label, "")), detail)
    return table


def _quiet(event: Event) -> bool:
    """Events the story leaves out: data gate passes, canary steps and promote notices (their outcome is shown)."""
    if isinstance(event, GatePassed) and event.gate == "data":
        return True
    return isinstance(event, CanaryStepped) and event.action in ("step", "promote", "hold", "none")


def _run_line(run: PipelineRun, events: list[Event], index: int, labels: facts.Labels) -> tuple[str, set[int]]:
    """The run's line, with what happened because of it on the same tick; ``index`` is the run's place."""
    first, last = run.window
    status = "" if run.succeeded else f" {run.status.upper()}"
    data = f"data t{first}-{last}" + (", poisoned labels" if labels.window_poisoned(first, last) else "")
    parts = [f"{run.run_id} ({run.trigger}, {data}){status}"]
    used = {index}
    for j in range(index + 1, len(events)):
        e = events[j]
        if e.tick != run.tick or isinstance(e, PipelineRun):
            break
        if isinstance(e, GateEvent) and e.run_id == run.run_id:
            used.add(j)
            if isinstance(e, GateBlocked) or e.gate == "model":
                parts.append(_gate(e).replace("model gate", "gate", 1))
        elif isinstance(e, Registered):
            used.add(j)  # the canary or champion that follows names the version
        elif isinstance(e, CanaryStarted):
            used.add(j)
            parts.append(f"{e.version} canary {e.weight}%")
        elif isinstance(e, FirstChampion):
            used.add(j)
            parts.append(f"{e.version} is champion")
        elif isinstance(e, Alert) and e.run_id == run.run_id and e.alert.endswith("-blocked"):
            used.add(j)  # the gate block on this line says it; the alert count is in the health line
    return " → ".join(parts), used


def _gate(event: GateEvent) -> str:
    if isinstance(event, GatePassed):
        against = f" vs champion {_num(event.champion)}" if event.champion is not None else ""
        return f"{event.gate} gate ok {_num(event.candidate)}{against}"
    shown = "; ".join(str(reason) for reason in event.violations[:2])
    return f"{event.gate} gate BLOCKED ({shown or event.message})"


def _event_detail(event: Event) -> str:
    """Reasons read forwards, as what was seen: "share of drifted features (4 of 7) 0.571 > 0.5 (drift_share)"."""
    if isinstance(event, TriggerEvent):
        reasons = event.violated
        return f"{event.trigger}: {reasons[0] if reasons else event.message}"
    if isinstance(event, CanaryStepped):
        return f"{event.version} {event.action}: {event.reason}"
    if isinstance(event, CanaryAnalysis):  # rolled out, rolled back, or a failed promotion
        live = ""
        if event.live_canary is not None:
            live = (
                f": live canary {_num(event.live_canary)} vs champion {_num(event.live_champion)}"
                f" ({event.live_samples} requests)"
            )
        return f"{event.version}{live}" if isinstance(event, RolledOut) else f"{event.version}{live}; {event.reason}"
    if isinstance(event, GateBlocked):
        return _gate(event)
    return _short(event.message)


# pipeline runs and health ----------------------------------------------------------------------------------
def format_runs(timeline: Timeline, logs: dict[str, Any] | None = None) -> Table:
    """Steps down, runs across: task wall seconds (own work in brackets), overhead and cache hits per run."""
    runs = facts.run_steps(timeline, logs)
    shown = runs[-MAX_RUN_COLUMNS:]
    note = f" (last {len(shown)} of {len(runs)} runs; all in --json)" if len(shown) < len(runs) else ""
    table = _table(f"Pipeline steps: task wall s (own work s) on kfp.local{note}")
    table.add_column("step")
    for run in shown:
        mark = "" if run.status == "succeeded" else " ✗"
        table.add_column(
            Text(f"{run.run_id} t{run.tick} {run.trigger}{mark}", style="" if not mark else "red"), justify="right"
        )
    table.add_column("Δ first→last", justify="right")
    trends = facts.step_trends(runs)
    for step in _step_order(runs):
        cells = []
        for run in shown:
            timing = next((s for s in run.steps if s.step == step), None)
            cells.append(_step_cell(timing))
        table.add_row(step, *cells, _trend(trends.get(step, {})))
    if not runs:
        table.add_row("no pipeline runs", "")
        return table
    table.add_row(
        Text("overhead s · cache", style="dim"),
        *[Text(f"{r.overhead:.2f} · {r.cache_hits} hits", style="dim") for r in shown],
        "",
    )
    return table


def _step_order(runs: Iterable[facts.RunSteps]) -> list[str]:
    order: list[str] = []
    for run in runs:
        for step in run.steps:
            if step.step not in order:
                order.append(step.step)
    return order


def _step_cell(timing: facts.StepTiming | None) -> Text:
    if timing is None:
        return Text("-", style="dim")
    wall = "?" if timing.wall is None else f"{timing.wall:.2f}"
    own = "" if timing.own is None else f" ({timing.own:.2f})"
    style = "red" if timing.status not in ("SUCCESS", "?") else "green" if timing.cache_hit else ""
    return Text(wall + own + (" cached" if timing.cache_hit else ""), style=style)


def _trend(entry: dict[str, Any]) -> Text:
    change = entry.get("change")
    if change is None:
        return Text("")
    return Text(f"{change:+.2f}", style="red" if change > 0.5 else "green" if change < -0.5 else "dim")


def format_health(health: dict[str, Any], width: int = WIDTH) -> Text:
    """Two lines at 120 columns; narrower, the phrases wrap whole (never "6" on one line and "held" on the next)."""
    h = health
    kinds = ", ".join(f"{k} {v}" for k, v in h["alerts_by_kind"].items())
    first = [
        Text("Pipeline health", style="bold"),
        Text.assemble(
            f"runs {h['runs_started']} started, {h['runs_succeeded']} ok, ",
            (f"{h['runs_failed']} failed", "red" if h["runs_failed"] else ""),
            f", {h['runs_retried']} retried",
        ),
        Text(
            f"task retries {h['task_retries']}" + _retried(h["retried_tasks"]),
            style="yellow" if h["task_retries"] else "",
        ),
        # kfp.local caches only when asked (ctsim does not), so hits are shown only when there are some
        *([Text(f"cache hits {h['cache_hits']}/{h['tasks_run']}")] if h["cache_hits"] else []),
        Text(f"{h['pipeline_seconds']:.1f}s wall ({h['own_work_seconds']:.1f}s own work)"),
    ]
    second = [
        Text(
            f"trained {_ticks_ago(h['ticks_since_training'], h['last_training_tick'])}, promoted "
            f"{_ticks_ago(h['ticks_since_promotion'], h['last_promotion_tick'])}"
        ),
        Text(f"triggers {h['triggers_fired']} fired, {h['triggers_held']} held"),
        Text(f"blocks {h['gate_blocks']}"),
        Text(f"rollbacks {h['rollbacks']}"),
        *([Text(f"failed promotions {h['promotions_failed']}", style="red")] if h["promotions_failed"] else []),
        Text(f"alerts {h['alerts']}" + (f" ({kinds})" if kinds else ""), style="red" if h["alerts"] else ""),
    ]
    text = _flow(first, width, " · ")
    text.append("\n")
    text.append_text(_flow(second, width, " · ", lead="  "))
    return text


def _retried(tasks: list[dict[str, Any]]) -> str:
    """Which tasks kfp.local ran more than once: "(run-002 collect-data ran 3×, failed)"."""
    shown = [
        f"{t['run_id']} {t['step']} ran {t['attempts']}×{'' if t['status'] == 'SUCCESS' else ', failed'}"
        for t in tasks[:2]
    ]
    more = f", +{len(tasks) - 2} more" if len(tasks) > 2 else ""
    return f" ({'; '.join(shown)}{more})" if shown else ""


def _flow(parts: list[Text], width: int, separator: str, indent: str = "  ", lead: str = "") -> Text:
    """``lead``, then the parts joined by ``separator``; a part crossing ``width`` starts a new, indented line."""
    text, column = Text(lead), len(lead)
    for index, part in enumerate(parts):
        if index and column + len(separator) + len(part.plain) > width:
            text.append("\n" + indent)
            column = len(indent)
        elif index:
            text.append(separator, style="dim")
            column += len(separator)
        text.append_text(part)
        column += len(part.plain)
    return text


def _ticks_ago(ago: int | None, tick: int | None) -> str:
    return "never" if ago is None else f"{ago} ticks ago (t{tick})"


# the story in short ----------------------------------------------------------------------------------------
def summary_lines(timeline: Timeline, labels: facts.Labels | None = None) -> list[str]:
    """When it began, when it was detected, what the pipeline decided, how the metric went: plain sentences."""
    incidents = [e for e in timeline.events if isinstance(e, facts.INCIDENTS)][:3]
    lines = []
    for incident in incidents:
        reaction = facts.first_reaction(timeline, incident.tick)
        what = facts.incident_text(incident)
        seen = (
            f"detected at tick {reaction.tick} (+{reaction.tick - incident.tick} ticks) by {_reaction(reaction)}"
            if reaction
            else "nothing detected it"
        )
        lines.append(f"{_began(incident)} at tick {incident.tick} ({what}); {seen}.")
    if not incidents:
        lines.append("No drift or scripted incident in this scenario.")
    since = incidents[0].tick if incidents else timeline.ticks[0].tick + 1 if timeline.ticks else 0
    decided = [_decision(facts.run_outcome(timeline, e.run_id)) for e in timeline.of(PipelineRun) if e.tick >= since]
    more = f"; +{len(decided) - 3} more" if len(decided) > 3 else ""
    lines.append("Decided: " + ("; ".join(decided[:3]) + more if decided else "no pipeline run after it") + ".")
    lines.append(_recovery_line(timeline, incidents[0].tick if incidents else None, labels or facts.Labels()))
    return lines


def format_summary(timeline: Timeline, labels: facts.Labels | None = None) -> Table:
    """The sentences as a grid, so a long one wraps under its own text rather than past the screen's edge."""
    grid = Table.grid(padding=(0, 1))
    grid.title, grid.title_justify, grid.title_style = "In short", "left", "bold"
    grid.add_column(no_wrap=True)
    grid.add_column(overflow="fold")
    for line in summary_lines(timeline, labels):
        grid.add_row("•", line)
    return grid


def _began(event: Event) -> str:
    if isinstance(event, DriftOnset):
        return "Drift began"
    return "The object store went down" if isinstance(event, OutageBegan) else "Incident began"


def _reaction(event: Event) -> str:
    if isinstance(event, TriggerFired):
        return f"the {event.trigger} trigger"
    if isinstance(event, GateBlocked):
        return f"the {event.gate} gate (blocked)"
    if isinstance(event, RolledBack):
        return f"canary analysis (rollback of {event.version})"
    return f"an alert ({event.alert})" if isinstance(event, Alert) else event.kind


def _decision(outcome: dict[str, Any]) -> str:
    parts = [f"{outcome['run_id']} ({outcome['trigger']} t{outcome['tick']}): "]
    if outcome.get("status") != "succeeded":
        return parts[0] + "run failed"
    gate = outcome.get("model_gate")
    if outcome.get("data_gate"):
        parts.append("data gate blocked")
    elif gate:
        parts.append("gate passed" if gate["passed"] else f"gate blocked ({_num(gate['candidate'])}), champion kept")
    fate = outcome.get("fate")
    if outcome.get("version") and fate:
        verb = {
            "rollback": "rolled back",
            "rollout": "promoted",
            "initial": "first champion",
            "promotion-failed": "passed its canary, promotion failed",
        }.get(fate["kind"], fate["kind"])
        parts.append(f"{outcome['version']} {verb} t{fate['tick']}")
    elif outcome.get("version"):
        parts.append(f"{outcome['version']} still in canary")
    return parts[0] + ", ".join(parts[1:])


def _recovery_line(timeline: Timeline, since: int | None, labels: facts.Labels) -> str:
    r = facts.recovery(timeline, since)
    metric = f"Live {metric_label(timeline.metric)}"
    value, _ = facts.final_champion(timeline)
    final = f"final champion {_num3(value)} (last {facts.FINAL_TICKS} ticks)"
    if r.final is None:
        return f"{metric}: no labelled traffic."
    low_word, worse = ("low", "lower") if facts.higher_is_better(timeline.metric) else ("high", "higher")
    low = (
        f"{low_word} {_num3(r.low)} (tick {r.low_tick}"
        f"{', poisoned labels' if r.low_tick in labels.poisoned_scored else ''})"
    )
    if since is None or r.before is None:
        return f"{metric}: {low}, {final}."
    if r.low is None or not facts.worse_than(timeline.metric, r.low, r.before):
        return f"{metric}: {_num3(r.before)} before, never more than {facts.RECOVERY_TOLERANCE} {worse}; {final}."
    if r.recovered_tick is None:
        return f"{metric} {_num3(r.before)} before → {low} → NOT recovered → {final}."
    rollouts = [w.rollout_tick for w in facts.drift_windows(timeline) if w.rollout_tick is not None]
    after = f" after the t{rollouts[0]} rollout" if rollouts else ""
    return f"{metric} {_num3(r.before)} before → {low} → recovered tick {r.recovered_tick}{after} → {final}."


# audit, header, the whole report ---------------------------------------------------------------------------
def format_audit(audit: dict[str, Any] | None) -> Text | None:
    if audit is None:
        return None
    checks = audit.get("checks", [])
    failed = [c for c in checks if not c.get("ok")]
    ok = bool(audit.get("ok")) and not failed
    text = Text.assemble(
        ("Audit ", "bold"),
        ("OK" if ok else "FAILED", "bold green" if ok else "bold red"),
        f": {len(checks) - len(failed)}/{len(checks)} checks hold",
    )
    for check in failed[:5]:
        text.append(f"\n  ✗ {check.get('name')}: {_short(str(check.get('detail', '')), 100)}", style="red")
    return text


def format_report(
    timeline: Timeline,
    verdict: Verdict,
    run_dir: str,
    pipeline_sha256: str,
    *,
    audit: dict[str, Any] | None = None,
    logs: dict[str, Any] | None = None,
    width: int = WIDTH,
    labels: facts.Labels | None = None,
    steps: bool = False,
) -> Group:
    verdict_text = Text("PASSED" if verdict.passed else "FAILED", style="bold green" if verdict.passed else "bold red")
    footer = _flow(
        [
            Text.assemble(("verdict ", "bold"), verdict_text),
            Text.assemble("run directory ", (run_dir, "bold")),
            Text(f"pipeline sha256 {pipeline_sha256[:16]}"),
        ],
        width,
        "  ",
        indent="",
    )
    parts: list[RenderableType | None] = [
        format_story(timeline, width, labels),
        format_chart(timeline, width=min(width, WIDTH), labels=labels),
        format_runs(timeline, logs) if steps else None,
        format_health(facts.health(timeline, logs), width),
        format_summary(timeline, labels),
        format_expectations(verdict),
        format_audit(audit),
        footer,
    ]
    return Group(*[p for p in parts if p is not None])


def format_record(record: RunRecord, width: int = WIDTH, steps: bool = False) -> Group:
    labels = facts.labels_of(record.scenario, facts.last_tick(record.timeline))
    return format_report(
        record.timeline,
        record.verdict,
        record.run_dir,
        record.pipeline_sha256,
        audit=record.audit,
        logs=record.logs,
        width=width,
        labels=labels,
        steps=steps,
    )


def render(
    console: Console,
    timeline: Timeline,
    verdict: Verdict,
    run_dir: str,
    pipeline_sha256: str,
    redactor: Redactor | None = None,
) -> None:
    render_record(console, RunRecord(timeline, verdict, run_dir, {"pipeline_sha256": pipeline_sha256}), redactor)


def render_record(console: Console, record: RunRecord, redactor: Redactor | None = None, steps: bool = False) -> None:
    record = record.redacted(redactor or Redactor.from_env())
    saved = console.width
    if not console.is_terminal and saved < WIDTH:
        console.width = WIDTH  # a pipe or CI log has no width of its own: use the report's, not rich's 80
    try:
        console.print(format_record(record, width=console.width, steps=steps))
    finally:
        console.width = saved


# small helpers ---------------------------------------------------------------------------------------------
def _table(title: str) -> Table:
    # No box: a bold header row instead of rules saves lines; the report must fit one screen.
    return Table(
        title=title,
        title_justify="left",
        title_style="bold",
        box=None,
        header_style="bold underline",
        pad_edge=False,
        expand=False,
    )


def _daily(timeline: Timeline) -> bool:
    return all(t.time[11:16] == "00:00" for t in timeline.ticks)


def _num(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4f}".rstrip("0").rstrip(".") if value == value else "nan"
    return "-" if value is None else str(value)


def _num3(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def _short(message: str, limit: int = 150) -> str:
    return message if len(message) <= limit else message[: limit - 1] + "…"
