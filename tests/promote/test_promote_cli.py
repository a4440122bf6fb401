"""`ctsim promote` end to end against the KFP API double (a local HTTP server, not KFP)."""

import time

import yaml
from conftest import write_suite

from ctsim.cli import main
from ctsim.promote.plan import version_name


def promote(capsys, *args):
    code = main(["promote", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_promote_uploads_the_version_named_after_the_spec_hash_and_creates_recurring_runs(
    api, kind_context, passing_suite, training_sha, capsys, tmp_path
):
    code, out, err = promote(capsys, "--host", api.url, "--scenario", "baseline")
    assert (code, err) == (0, "")
    assert api.violations == []
    versions = [r.query["name"] for r in api.calls("POST", "/pipelines/upload_version")]
    assert version_name(training_sha) in versions
    uploaded = next(
        r for r in api.calls("POST", "/pipelines/upload_version") if r.query["name"] == version_name(training_sha)
    )
    compiled = (tmp_path / "runs" / "promote" / "pipeline.yaml").read_bytes()
    import hashlib

    assert uploaded.body["uploadfile_sha256"] == hashlib.sha256(compiled).hexdigest() == training_sha

    runs = {r.body["display_name"]: r.body for r in api.calls("POST", "/recurringruns")}
    schedule = runs[f"baseline-schedule-{training_sha[:8]}"]
    assert schedule["trigger"]["cron_schedule"]["cron"] == "0 0 0 * * 1"  # baseline: "0 0 * * 1"
    # The schedule is a forced trigger check: it writes the run's settings, then launches the training version.
    assert schedule["pipeline_version_reference"]["pipeline_version_id"] == next(
        v.pipeline_version_id
        for v in api.state.versions.values()
        if v.display_name.startswith("sha256-") and v.display_name != version_name(training_sha)
    )
    assert schedule["runtime_config"]["parameters"]["force"] is True
    assert schedule["runtime_config"]["parameters"]["version_name"] == version_name(training_sha)
    (check,) = [body for name, body in runs.items() if name.startswith(f"baseline-trigger-check-{training_sha[:8]}-")]
    assert check["trigger"]["periodic_schedule"]["interval_second"] in (86400, "86400")  # one tick of baseline
    assert check["runtime_config"]["parameters"]["version_name"] == version_name(training_sha)
    assert "created  recurring run" in out


def test_a_second_promote_of_the_same_pipeline_reuses_everything(api, kind_context, passing_suite, capsys):
    assert promote(capsys, "--host", api.url)[0] == 0
    writes = len(api.writes())
    code, out, _ = promote(capsys, "--host", api.url)
    assert code == 0 and len(api.writes()) == writes
    assert "created" not in out and out.count("reused") == 7  # 2 pipelines, 2 versions, experiment, 2 recurring runs
    assert len(api.state.recurring_runs) == 2 and len(api.state.experiments) == 1


def test_promote_without_a_passing_suite_is_refused_before_any_request(
    api, kind_context, training_sha, capsys, tmp_path
):
    write_suite(tmp_path / "runs", training_sha, passed=False)
    code, out, err = promote(capsys, "--host", api.url)
    assert code == 1 and api.requests == []
    assert err.count("\n") == 1 and "ctsim run suite" in err and "baseline" in err


def test_a_passing_suite_of_other_scenarios_does_not_unlock_promoting_baseline(
    api, kind_context, training_sha, capsys, tmp_path
):
    write_suite(tmp_path / "runs", training_sha, names=("sudden-drift", "label-shift"))
    code, _, err = promote(capsys, "--host", api.url, "--scenario", "baseline")
    assert code == 1 and api.requests == []
    assert err.count("\n") == 1 and "none ran scenario 'baseline'" in err


def test_force_promotes_anyway_and_says_so(api, kind_context, capsys):
    code, out, _ = promote(capsys, "--host", api.url, "--force")
    assert code == 0 and api.calls("POST", "/recurringruns")
    assert out.count("FORCED") >= 2  # before the plan and after the changes


def test_dry_run_prints_the_plan_and_makes_no_request(api, kind_context, passing_suite, training_sha, capsys):
    code, out, _ = promote(capsys, "--host", api.url, "--dry-run")
    assert code == 0 and api.requests == []
    assert version_name(training_sha) in out and "cron '0 0 0 * * 1'" in out and "nothing was changed" in out


def test_a_dry_run_without_a_passing_suite_still_shows_the_plan_and_exits_1(api, kind_context, training_sha, capsys):
    code, out, err = promote(capsys, "--host", api.url, "--dry-run")
    assert code == 1 and api.requests == []
    assert version_name(training_sha) in out and "nothing was changed" in out
    assert "a real promote would be refused" in err and "ctsim run suite" in err


def test_an_unreachable_host_is_one_line_and_exit_2(kind_context, passing_suite, closed_port_url, capsys):
    started = time.monotonic()
    code, _, err = promote(capsys, "--host", closed_port_url)
    assert code == 2 and err.count("\n") == 1
    assert "cannot reach the KFP API" in err and "Traceback" not in err
    assert time.monotonic() - started < 20


def test_an_api_that_refuses_credentials_is_one_line_and_exit_2(kind_context, passing_suite, capsys):
    from kfp_api_double import KfpApiDouble

    with KfpApiDouble(status_override=401) as locked:
        code, _, err = promote(capsys, "--host", locked.url)
    assert code == 2 and err.count("\n") == 1 and "refused access (HTTP 401)" in err


def test_a_non_kind_context_is_refused_unless_named(api, prod_context, passing_suite, capsys):
    code, _, err = promote(capsys, "--host", api.url)
    assert code == 2 and api.requests == [] and "not a kind context" in err
    code, _, _ = promote(capsys, "--host", api.url, "--context", "prod-eu")
    assert code == 0 and api.calls("POST", "/recurringruns")


def test_the_host_comes_from_kf_pipelines_endpoint(api, passing_suite, monkeypatch, capsys):
    monkeypatch.setenv("KF_PIPELINES_ENDPOINT", api.url)
    code, out, _ = promote(capsys, "--dry-run")
    assert code == 0 and f"KFP host      {api.url}" in out


def test_run_now_starts_one_forced_trigger_check_that_launches_the_promoted_version(
    api, kind_context, passing_suite, training_sha, capsys
):
    code, out, _ = promote(capsys, "--host", api.url, "--run-now")
    assert code == 0 and "SUCCEEDED" in out
    (run,) = api.calls("POST", "/runs")
    parameters = run.body["runtime_config"]["parameters"]
    assert parameters["force"] is True and parameters["version_name"] == version_name(training_sha)
    assert api.violations == []


def test_a_scenario_without_triggers_deploys_the_pipeline_but_no_recurring_run(
    api, kind_context, training_sha, tmp_path, capsys
):
    write_suite(tmp_path / "runs", training_sha, names=("baseline", "bare"))
    bare = tmp_path / "bare.yaml"
    bare.write_text(yaml.safe_dump({"name": "bare", "clock": {"ticks": 5}}))
    code, out, _ = promote(capsys, "--host", api.url, "--scenario", str(bare))
    assert code == 0 and not api.calls("POST", "/recurringruns") and "the scenario has no triggers" in out


def test_without_a_host_on_a_kind_context_promote_uses_the_port_forward_it_planned(
    api, kind_context, passing_suite, capsys, monkeypatch
):
    monkeypatch.setattr("ctsim.commands.promote.PORT_FORWARD_HOST", api.url)  # the double stands in for it

    code, out, err = promote(capsys, "--scenario", "baseline")

    assert (code, err) == (0, "")
    assert api.calls("POST", "/pipelines/upload_version") and api.violations == []
    assert api.url in out  # the plan names the host it then connects to
