"""--json, --junit and --plot from a recorded run, through the CLI, as CI would call them."""

import json
import os
from dataclasses import replace

import pytest
from conftest import CANARY_REGRESSION, SUDDEN_DRIFT
from junitparser import Failure, JUnitXml

from ctsim.cli import main
from ctsim.errors import CtsimError
from ctsim.report import load_run
from ctsim.report.facts import MARKERS, health, markers
from ctsim.report.jsonout import SCHEMA, SCHEMA_VERSION, result_document
from ctsim.report.junit import junit_xml
from ctsim.report.outputs import ReportPaths, write_reports
from ctsim.verdict import ExpectationResult, Verdict

TOP_LEVEL = {
    "schema",
    "schema_version",
    "run",
    "verdict",
    "summary",
    "health",
    "pipeline_runs",
    "markers",
    "timeline",
    "audit",
}


def test_json_holds_the_whole_result_under_a_versioned_schema(tmp_path):
    out = tmp_path / "result.json"
    assert main(["report", str(SUDDEN_DRIFT), "--quiet", "--json", str(out)]) == 0
    doc = json.loads(out.read_text())
    raw_timeline = json.loads((SUDDEN_DRIFT / "timeline.json").read_text())
    raw_verdict = json.loads((SUDDEN_DRIFT / "verdict.json").read_text())
    assert set(doc) == TOP_LEVEL and doc["schema"] == SCHEMA and doc["schema_version"] == SCHEMA_VERSION == 1
    assert doc["timeline"]["events"] == raw_timeline["events"] and doc["timeline"]["ticks"] == raw_timeline["ticks"]
    assert doc["verdict"]["expectations"] == raw_verdict["results"] and doc["verdict"]["passed"] is True
    assert doc["run"]["pipeline_sha256"] == json.loads((SUDDEN_DRIFT / "run.json").read_text())["pipeline_sha256"]
    assert doc["health"]["runs_started"] == len(raw_timeline["runs"]) == len(doc["pipeline_runs"])
    assert doc["audit"] is None
    onset = [e["tick"] for e in raw_timeline["events"] if e["kind"] == "drift-onset"]
    assert [m["tick"] for m in doc["markers"] if m["kind"] == "drift"] == onset
    assert doc["summary"]["incidents"][0]["tick"] == onset[0]
    assert doc["summary"]["drift_windows"][0]["start"] == onset[0]
    for run, raw in zip(doc["pipeline_runs"], raw_timeline["runs"]):
        assert [s["step"] for s in run["steps"]][: len(raw["tasks"])] == [t["task"] for t in raw["tasks"]]
        for step in run["steps"]:
            if step["wall_seconds"] is not None and step["own_seconds"] is not None:
                assert step["overhead_seconds"] == pytest.approx(step["wall_seconds"] - step["own_seconds"], abs=1e-3)


def test_json_document_is_built_from_the_same_facts_as_the_terminal():
    record = load_run(CANARY_REGRESSION)
    doc = result_document(record)
    assert doc["health"] == json.loads(json.dumps(health(record.timeline, record.logs)))
    assert [(m["tick"], m["kind"]) for m in doc["markers"]] == markers(record.timeline)
    assert all(m["symbol"] == MARKERS[m["kind"]][0] for m in doc["markers"])


def test_junit_parses_and_holds_one_case_per_expectation(tmp_path):
    out = tmp_path / "junit.xml"
    assert main(["report", str(CANARY_REGRESSION), "--quiet", "--junit", str(out)]) == 0
    expected = json.loads((CANARY_REGRESSION / "verdict.json").read_text())["results"]
    cases = [case for suite in JUnitXml.fromfile(str(out)) for case in suite]
    assert [case.name for case in cases] == [r["name"] for r in expected]
    assert all(case.is_passed for case in cases)


def test_junit_marks_failed_expectations_as_failures_with_the_observed_numbers(tmp_path):
    record = load_run(SUDDEN_DRIFT)
    failing = Verdict(
        record.verdict.results[:1] + (ExpectationResult("a rollback happens", False, "rollbacks at ticks none"),)
    )
    path = tmp_path / "junit.xml"
    path.write_text(junit_xml(replace(record, verdict=failing)))
    xml = JUnitXml.fromfile(str(path))
    suite = next(iter(xml))
    assert suite.tests == 2 and suite.failures == 1
    failed = [case for case in suite if not case.is_passed]
    assert [case.name for case in failed] == ["a rollback happens"]
    assert isinstance(failed[0].result[0], Failure) and failed[0].result[0].message == "rollbacks at ticks none"


@pytest.mark.parametrize("suffix, magic", [(".png", b"\x89PNG\r\n\x1a\n"), (".svg", b"<?xml")])
def test_plot_format_follows_the_suffix(tmp_path, suffix, magic):
    out = tmp_path / f"plot{suffix}"
    write_reports(load_run(SUDDEN_DRIFT), ReportPaths(plot=out))
    assert out.read_bytes().startswith(magic)
    assert [p.name for p in tmp_path.iterdir()] == [out.name], "no temporary file is left behind"


def test_plot_svg_shows_the_drift_window_and_every_marker_kind_of_the_run(tmp_path):
    out = tmp_path / "plot.svg"
    write_reports(load_run(CANARY_REGRESSION), ReportPaths(plot=out))
    svg = out.read_text()
    for label in ("rollback", "canary start", "retrain", "trigger", "live accuracy"):
        assert label in svg


@pytest.mark.parametrize("umask, mode", [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_report_files_get_ordinary_permissions_under_the_umask(tmp_path, umask, mode):
    paths = ReportPaths(json=tmp_path / "r.json", junit=tmp_path / "r.xml")
    previous = os.umask(umask)
    try:
        write_reports(load_run(SUDDEN_DRIFT), paths)
    finally:
        os.umask(previous)
    assert {p.name: p.stat().st_mode & 0o777 for p in paths.written()} == {"r.json": mode, "r.xml": mode}


def test_run_report_and_compare_accept_the_same_plot_formats(tmp_path, capsys):
    out = tmp_path / "plot.pdf"
    write_reports(load_run(CANARY_REGRESSION), ReportPaths(plot=out))
    assert out.read_bytes().startswith(b"%PDF")
    runs = tmp_path / "runs"
    assert main(["compare", "sudden-drift", "--runs-dir", str(runs), "--plot", str(tmp_path / "c.jpg")]) == 2
    assert ".png, .svg or .pdf" in capsys.readouterr().err and not runs.exists()


def test_bad_plot_suffix_is_exit_2_before_anything_runs_or_is_written(tmp_path, capsys):
    bad = tmp_path / "plot.jpg"
    runs = tmp_path / "runs"
    assert main(["run", "scenario", "sudden-drift", "--runs-dir", str(runs), "--plot", str(bad)]) == 2
    err = capsys.readouterr().err
    assert ".png, .svg or .pdf" in err and "Traceback" not in err
    assert not runs.exists() and not bad.exists()
    assert main(["report", str(SUDDEN_DRIFT), "--json", str(tmp_path / "r.json"), "--plot", str(bad)]) == 2
    assert list(tmp_path.iterdir()) == [], "a refused flag writes none of the other files either"
    with pytest.raises(CtsimError):
        ReportPaths(plot=tmp_path / "plot").check()
