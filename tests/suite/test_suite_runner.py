"""The suite's pool and record with stand-in workers: parallel, isolated, crash-proof, and suite.json's shape."""

import json
import re
from datetime import datetime
from pathlib import Path

import fake_workers
import pytest

from ctsim.errors import CtsimError
from ctsim.pipeline.compile import compile_pipeline
from ctsim.sim.suite import discover, run_parallel, run_suite

HEX = re.compile(r"^[0-9a-f]{64}$")


def _scenarios(folder: Path, verbs: dict[str, str]) -> Path:
    folder.mkdir(exist_ok=True)
    for name, verb in verbs.items():
        (folder / f"{name}.yaml").write_text(f"# {verb}\n", encoding="utf-8")
    return folder


def test_a_crash_or_a_dead_worker_does_not_stop_the_other_scenarios(tmp_path):
    folder = _scenarios(tmp_path / "s", {"a": "pass", "b": "raise", "c": "pass", "d": "die", "e": "fail"})
    tasks = [(str(p), str(tmp_path / "runs" / p.stem), "subprocess") for p in discover(folder)]
    seen = []
    results = run_parallel(tasks, 2, fake_workers.scripted, on_done=lambda i, r: seen.append((i, r["name"])))
    assert [r["name"] for r in results] == ["a", "b", "c", "d", "e"], "results come back in task order"
    assert sorted(seen) == [(0, "a"), (1, "b"), (2, "c"), (3, "d"), (4, "e")]
    status = {r["name"]: r["status"] for r in results}
    assert status == {"a": "passed", "b": "crashed", "c": "passed", "d": "crashed", "e": "failed"}
    assert results[1]["error"] == "RuntimeError: the worker blew up", "one line, the error's first"
    pids = {r["pid"] for r in results if "pid" in r}
    assert len(pids) == 3, "each scenario runs in a process of its own"


def test_run_suite_writes_the_record_the_promotion_gate_reads(tmp_path, monkeypatch):
    sha = compile_pipeline(tmp_path / "p.yaml").sha256
    monkeypatch.setenv("FAKE_SHA", sha)  # inherited by the spawned workers
    folder = _scenarios(tmp_path / "s", {"one": "pass", "two": "pass"})
    result = run_suite(folder, tmp_path / "runs", jobs=2, worker=fake_workers.scripted)
    assert result.passed and result.exit_code == 0
    (directory,) = (tmp_path / "runs").iterdir()
    assert re.fullmatch(r"suite-\d{8}T\d{6}Z", directory.name)
    document = json.loads((directory / "suite.json").read_text())
    assert set(document) == {
        "schema_version",
        "pipeline_sha256",
        "passed",
        "status",
        "started",
        "finished",
        "scenarios",
    }
    assert document["status"] == "finished"
    assert document["schema_version"] == 1 and document["passed"] is True and document["pipeline_sha256"] == sha
    assert datetime.fromisoformat(document["started"]) <= datetime.fromisoformat(document["finished"])
    for entry, name in zip(document["scenarios"], ("one", "two")):
        assert set(entry) == {"name", "status", "run_dir", "pipeline_sha256", "seconds"}
        assert entry["name"] == name and entry["status"] == "passed" and HEX.match(entry["pipeline_sha256"])
        assert Path(entry["run_dir"]).is_dir() and isinstance(entry["seconds"], float)


def test_one_failure_fails_the_suite_and_each_scenario_names_the_pipeline_it_ran(tmp_path, monkeypatch):
    monkeypatch.setenv("FAKE_SHA", "0" * 64)
    result = run_suite(
        _scenarios(tmp_path / "t", {"ok": "pass", "bad": "raise"}),
        tmp_path / "runs2",
        jobs=2,
        worker=fake_workers.scripted,
    )
    assert not result.passed and result.exit_code == 1
    document = json.loads((result.directory / "suite.json").read_text())
    assert document["passed"] is False
    assert {e["name"]: e["status"] for e in document["scenarios"]} == {"bad": "crashed", "ok": "passed"}
    # A crash before the pipeline was prepared ran no pipeline: it vouches for none.
    assert {e["name"]: e["pipeline_sha256"] for e in document["scenarios"]} == {"bad": "", "ok": "0" * 64}
    assert document["pipeline_sha256"] == "0" * 64  # the one pipeline that ran


def test_discover_takes_yaml_files_of_the_folder_only(tmp_path):
    folder = _scenarios(tmp_path / "s", {"b": "pass", "a": "pass"})
    (folder / "notes.txt").write_text("x")
    (folder / "nested").mkdir()
    (folder / "nested" / "c.yaml").write_text("# pass\n")
    assert [p.name for p in discover(folder)] == ["a.yaml", "b.yaml"]
    with pytest.raises(CtsimError, match="no such folder"):
        discover(tmp_path / "missing")
    with pytest.raises(CtsimError, match="holds no scenario files"):
        discover(_scenarios(tmp_path / "empty", {}))


def test_two_suites_started_in_the_same_second_get_a_directory_each(tmp_path):
    from ctsim.sim import fresh_directory

    first, second = fresh_directory(tmp_path, "suite-x"), fresh_directory(tmp_path, "suite-x")
    assert first != second and first.is_dir() and second.is_dir()
