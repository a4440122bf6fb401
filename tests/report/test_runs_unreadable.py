"""`ctsim runs` lists a run whose run.json is not a JSON object as unreadable instead of crashing."""

import pytest

from ctsim.report.record import list_runs


@pytest.mark.parametrize("content", ["[1, 2]", "null", '"text"', "{broken", ""])
def test_a_malformed_run_json_is_listed_as_unreadable(tmp_path, content: str):
    run = tmp_path / "x-20260101T000000Z"
    run.mkdir()
    (run / "run.json").write_text(content, encoding="utf-8")
    [row] = list_runs(tmp_path)
    assert row["status"] == "unreadable run.json"
