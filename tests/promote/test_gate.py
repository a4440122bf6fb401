"""The promotion gate: only a suite that passed for this exact sha256 lets a pipeline go to a cluster."""

import json
from datetime import UTC

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ctsim.promote.gate import ScenarioRecord, SuiteRecord, load_suites, promotion_gate

SHA = "a" * 64
OTHER = "b" * 64


def suite(
    sha=SHA,
    passed=True,
    statuses=("passed", "passed"),
    scenario_sha=None,
    finished="2026-03-02T10:00:00Z",
    source="runs/suite-1",
):
    scenarios = tuple(ScenarioRecord(f"s{i}", status, scenario_sha or sha) for i, status in enumerate(statuses))
    return SuiteRecord(source, sha, passed, finished, scenarios)


def test_a_passing_suite_for_this_sha_allows_promotion_and_names_it():
    outcome = promotion_gate([suite()], SHA, "s0")
    assert outcome.allowed and not outcome.forced
    assert "runs/suite-1" in outcome.reason and "s0, s1" in outcome.reason


def test_no_records_refuses_and_says_which_command_to_run():
    outcome = promotion_gate([], SHA, "s0")
    assert not outcome.allowed
    assert "ctsim run suite" in outcome.reason and "no suite records" in outcome.reason


def test_a_suite_for_another_pipeline_does_not_count():
    outcome = promotion_gate([suite(sha=OTHER)], SHA, "s0")
    assert not outcome.allowed and "pipeline changed" in outcome.reason


def test_a_failed_suite_names_the_failing_scenarios():
    outcome = promotion_gate([suite(passed=False, statuses=("passed", "failed"))], SHA, "s0")
    assert not outcome.allowed and "s1" in outcome.reason


def test_a_suite_claiming_passed_with_a_crashed_scenario_is_not_trusted():
    assert not promotion_gate([suite(statuses=("passed", "crashed"))], SHA, "s0").allowed


def test_a_suite_whose_scenarios_ran_another_pipeline_is_not_trusted():
    assert not promotion_gate([suite(scenario_sha=OTHER)], SHA, "s0").allowed


def test_an_empty_suite_is_not_evidence():
    assert not promotion_gate([suite(statuses=())], SHA, "s0").allowed


def test_a_passing_suite_that_never_ran_the_promoted_scenario_does_not_unlock_it():
    """The issue's case: a green suite of two other scenarios must not let `baseline` through."""
    two_others = SuiteRecord(
        "runs/suite-1",
        SHA,
        True,
        "f",
        (ScenarioRecord("sudden-drift", "passed", SHA), ScenarioRecord("label-shift", "passed", SHA)),
    )
    outcome = promotion_gate([two_others], SHA, "baseline")
    assert not outcome.allowed and outcome.evidence is None
    assert "'baseline'" in outcome.reason and "none ran scenario 'baseline'" in outcome.reason
    assert promotion_gate([two_others], SHA, "sudden-drift").allowed


def test_the_promoted_scenario_must_have_run_this_pipeline_even_if_others_did():
    mixed = SuiteRecord(
        "runs/suite-1",
        SHA,
        True,
        "f",
        (ScenarioRecord("baseline", "passed", OTHER), ScenarioRecord("sudden-drift", "passed", SHA)),
    )
    outcome = promotion_gate([mixed], SHA, "baseline")
    assert not outcome.allowed and "pipeline changed" in outcome.reason


def test_force_allows_and_says_so():
    outcome = promotion_gate([suite(sha=OTHER)], SHA, "s0", force=True)
    assert outcome.allowed and outcome.forced and outcome.reason.startswith("FORCED")


def test_force_is_not_reported_when_a_suite_passed_anyway():
    outcome = promotion_gate([suite()], SHA, "s0", force=True)
    assert outcome.allowed and not outcome.forced


statuses = st.lists(st.sampled_from(["passed", "failed", "crashed"]), max_size=4)
records = st.lists(
    st.builds(
        suite,
        sha=st.sampled_from([SHA, OTHER]),
        passed=st.booleans(),
        statuses=statuses,
        scenario_sha=st.sampled_from([None, OTHER]),
        finished=st.sampled_from(["1", "2", "3"]),
    ),
    max_size=6,
)


@pytest.mark.property
@given(records, st.sampled_from(["s0", "s1", "s3"]))
def test_allowed_exactly_when_some_green_record_ran_this_scenario_with_this_sha(found, promoted):
    green = [
        r
        for r in found
        if r.passed
        and r.scenarios
        and all(s.status == "passed" for s in r.scenarios)
        and any(s.name == promoted and s.pipeline_sha256 == SHA for s in r.scenarios)
    ]
    outcome = promotion_gate(found, SHA, promoted)
    assert outcome.allowed == bool(green)
    assert outcome.evidence is None or outcome.evidence in green
    if green:
        assert outcome.evidence.finished == max(r.finished for r in green)


def write_suite(runs, name, payload):
    (runs / name).mkdir(parents=True)
    (runs / name / "suite.json").write_text(payload if isinstance(payload, str) else json.dumps(payload))


def test_reader_loads_schema_1_records_and_reports_unreadable_ones(tmp_path):
    good = {
        "schema_version": 1,
        "pipeline_sha256": SHA,
        "passed": True,
        "started": "s",
        "finished": "f",
        "scenarios": [{"name": "baseline", "status": "passed", "run_dir": "runs/x", "pipeline_sha256": SHA}],
    }
    write_suite(tmp_path, "suite-20260302T100000Z", good)
    write_suite(tmp_path, "suite-20260302T110000Z", "{not json")
    write_suite(tmp_path, "suite-20260302T120000Z", {**good, "schema_version": 2})
    write_suite(tmp_path, "baseline-20260302T100000Z", good)  # a single-scenario run dir is not a suite
    found, ignored = load_suites(tmp_path)
    assert [r.source for r in found] == [str(tmp_path / "suite-20260302T100000Z")]
    assert found[0].vouches_for(SHA, "baseline") and found[0].scenarios[0].name == "baseline"
    assert sorted(ignored) == [
        str(tmp_path / "suite-20260302T110000Z" / "suite.json"),
        str(tmp_path / "suite-20260302T120000Z" / "suite.json"),
    ]


def test_reader_of_a_missing_runs_dir_finds_nothing(tmp_path):
    assert load_suites(tmp_path / "absent") == ([], [])


def test_the_gate_reads_what_the_suite_runner_writes(tmp_path):
    """Contract with ctsim.sim.suite: its suite.json, written by its own writer, is what the gate trusts."""
    from datetime import datetime

    from ctsim.sim.suite import ScenarioOutcome, SuiteResult, suite_document, write_json

    now = datetime(2026, 3, 2, tzinfo=UTC)
    for stamp, status in (("20260302T100000Z", "failed"), ("20260302T110000Z", "passed")):
        outcomes = [
            ScenarioOutcome("baseline", "passed", "runs/x", SHA, 1.0),
            ScenarioOutcome("sudden-drift", status, "runs/y", SHA, 1.0),
        ]
        directory = tmp_path / f"suite-{stamp}"
        directory.mkdir()
        write_json(directory / "suite.json", suite_document(SuiteResult(directory, SHA, now, now, outcomes)))
    found, ignored = load_suites(tmp_path)
    assert ignored == [] and len(found) == 2
    outcome = promotion_gate(found, SHA, "baseline")
    assert outcome.allowed and outcome.evidence.source.endswith("suite-20260302T110000Z")
    assert not promotion_gate(found[:1], SHA, "baseline").allowed


def test_public_api_of_ctsim_promote():
    import ctsim.promote as promote

    assert sorted(promote.__all__) == ["SuiteRecord", "load_suites", "promotion_gate", "to_kfp_cron"]
    assert all(callable(getattr(promote, name)) for name in promote.__all__)
