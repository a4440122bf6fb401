"""Reports of a run: terminal (rich), JSON, JUnit and plots, all rendered from one redacted ``RunRecord``.

Rendering reads the timeline, the verdict and the run directory only; see ``ctsim.report.jsonout`` for the
versioned JSON schema.
"""

from ctsim.report.live import LiveView
from ctsim.report.record import RunRecord, list_runs, load_run
from ctsim.report.redact import Redactor
from ctsim.report.terminal import (
    format_expectations,
    format_record,
    format_report,
    format_runs,
    format_story,
    render,
    render_record,
)

__all__ = [
    "LiveView",
    "Redactor",
    "RunRecord",
    "format_expectations",
    "format_record",
    "format_report",
    "format_runs",
    "format_story",
    "list_runs",
    "load_run",
    "render",
    "render_record",
]
