"""Writing report files (--json, --junit, --plot): checked before the run, redacted, written atomically.

Each file is written to a temporary sibling and renamed into place, so a reader never sees half a file
and a failure leaves nothing behind.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from ctsim.errors import CtsimError
from ctsim.report.jsonout import dumps
from ctsim.report.junit import junit_xml
from ctsim.report.plot import check_plot_path, plot_figure
from ctsim.report.record import RunRecord
from ctsim.report.redact import Redactor


@dataclass(frozen=True)
class ReportPaths:
    json: Path | None = None
    junit: Path | None = None
    plot: Path | None = None

    def check(self) -> ReportPaths:
        """Refuse bad paths up front (exit 2), before a minute of simulation is spent."""
        if self.plot is not None:
            check_plot_path(self.plot)
        for flag, path in (("--json", self.json), ("--junit", self.junit), ("--plot", self.plot)):
            if path is not None and path.is_dir():
                raise CtsimError(f"{flag} {path}: is a directory; give a file path")
        return self

    def written(self) -> list[Path]:
        return [p for p in (self.json, self.junit, self.plot) if p is not None]


def write_reports(record: RunRecord, paths: ReportPaths, redactor: Redactor | None = None) -> list[Path]:
    paths.check()
    record = record.redacted(redactor or Redactor.from_env())
    if paths.json is not None:
        _atomic(paths.json, lambda tmp: tmp.write_text(dumps(record), encoding="utf-8"))
    if paths.junit is not None:
        _atomic(paths.junit, lambda tmp: tmp.write_text(junit_xml(record), encoding="utf-8"))
    if paths.plot is not None:
        fmt = check_plot_path(paths.plot)
        figure = plot_figure(record)
        _atomic(paths.plot, lambda tmp: figure.savefig(tmp, format=fmt))
    return paths.written()


def _atomic(path: Path, write) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        os.close(fd)
    except OSError as exc:
        raise CtsimError(f"cannot write {path}: {exc.strerror or exc}") from exc
    tmp = Path(name)
    try:
        write(tmp)
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; a report is an ordinary file (0644 under umask 022)
        os.replace(tmp, path)
    except OSError as exc:
        raise CtsimError(f"cannot write {path}: {exc.strerror or exc}") from exc
    finally:
        tmp.unlink(missing_ok=True)


def _umask() -> int:
    """The process umask (reading it means setting it, so it is set straight back)."""
    current = os.umask(0o022)
    os.umask(current)
    return current
