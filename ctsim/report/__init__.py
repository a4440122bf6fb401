"""Reports of a run: the terminal (rich). Rendering reads the timeline and verdict only."""

from ctsim.report.terminal import format_expectations, format_report, format_runs, format_story, render

__all__ = ["format_expectations", "format_report", "format_runs", "format_story", "render"]
