"""The terminal report: expectations, the story of the run, pipeline runs. Pure ``format_*`` functions
that return rich renderables; ``render`` prints them onto a console passed in."""

from __future__ import annotations

from rich.console import Console, Group
from rich.table import Table
from rich.text import Text

from ctsim.sim.timeline import Timeline
from ctsim.verdict import Verdict

NOTABLE = ("drift-onset", "scripted", "outage", "outage-end", "trigger", "pipeline-run", "gate-block",
           "gate-pass", "registered", "canary", "rollout", "rollback", "alert", "lake-backfill")
_STYLE = {"trigger": "yellow", "gate-block": "red", "rollback": "bold red", "alert": "red", "rollout": "bold green",
          "canary": "cyan", "drift-onset": "magenta", "outage": "magenta", "gate-pass": "green"}


def format_expectations(verdict: Verdict) -> Table:
    table = Table(title="Expectations", title_justify="left", expand=False)
    table.add_column("result")
    table.add_column("expectation")
    table.add_column("observed")
    for result in verdict.results:
        mark = Text("PASS", style="bold green") if result.passed else Text("FAIL", style="bold red")
        table.add_row(mark, result.name, result.detail)
    if not verdict.results:
        table.add_row("-", "the scenario states no expectations", "")
    return table


def format_story(timeline: Timeline) -> Table:
    """The notable events, one line each; gate passes are folded into their run's line to stay short."""
    table = Table(title="What happened", title_justify="left", expand=False)
    table.add_column("tick", justify="right")
    table.add_column("time")
    table.add_column("event")
    table.add_column("detail", overflow="fold")
    times = {t.tick: t.time[:16] for t in timeline.ticks}
    for event in timeline.events:
        if event.kind not in NOTABLE or event.kind == "gate-pass" and event.data.get("gate") == "data":
            continue
        table.add_row(str(event.tick), times.get(event.tick, ""), Text(event.kind, style=_STYLE.get(event.kind, "")),
                      _short(event.message))
    return table


def format_runs(timeline: Timeline) -> Table:
    table = Table(title="Pipeline runs (kfp.local)", title_justify="left", expand=False)
    for column in ("run", "tick", "trigger", "status", "wall s", "tasks", "step work s"):
        table.add_column(column)
    for run in timeline.runs:
        work = sum(v or 0 for v in run.get("step_seconds", {}).values())
        style = "green" if run["status"] == "succeeded" else "red"
        table.add_row(run["run_id"], str(run["tick"]), run["trigger"], Text(run["status"], style=style),
                      f"{run['seconds']:.1f}", str(len(run.get("tasks", []))), f"{work:.2f}")
    return table


def format_metric_line(timeline: Timeline) -> Text:
    """Live metric per tick as a one-line sparkline, so the dip and the recovery are visible at a glance."""
    blocks = " ▁▂▃▄▅▆▇█"
    values = [t.served_metric for t in timeline.ticks]
    known = [v for v in values if v is not None]
    if not known:
        return Text("no live metric yet")
    low, high = min(known), max(known)
    span = (high - low) or 1.0
    line = "".join(" " if v is None else blocks[1 + int((v - low) / span * 7)] for v in values)
    return Text.assemble((f"live {timeline.metric} per tick ", "bold"), (line, "cyan"), f"  min {low:.3f} max {high:.3f}")


def format_report(timeline: Timeline, verdict: Verdict, run_dir: str, pipeline_sha256: str) -> Group:
    verdict_text = Text("PASSED" if verdict.passed else "FAILED", style="bold green" if verdict.passed else "bold red")
    header = Text.assemble(("scenario ", "bold"), timeline.scenario, "  seed ", str(timeline.seed), "  verdict ",
                           verdict_text)
    footer = Text.assemble("run directory ", (run_dir, "bold"), "\npipeline sha256 ", pipeline_sha256)
    return Group(header, format_story(timeline), format_metric_line(timeline), format_runs(timeline),
                 format_expectations(verdict), footer)


def render(console: Console, timeline: Timeline, verdict: Verdict, run_dir: str, pipeline_sha256: str) -> None:
    console.print(format_report(timeline, verdict, run_dir, pipeline_sha256))


def _short(message: str, limit: int = 160) -> str:
    return message if len(message) <= limit else message[: limit - 1] + "…"
