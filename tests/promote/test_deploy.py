"""apply_plan against the KFP API double: create or reuse, and the double's own checks bite."""

import dataclasses
import json
import urllib.request

import pytest

from ctsim.errors import ClusterError
from ctsim.promote.deploy import apply_plan, connect
from ctsim.promote.plan import PipelinePlan
from ctsim.promote.workflow import prepare


@pytest.fixture(scope="module")
def prepared(tmp_path_factory):
    return prepare("baseline", tmp_path_factory.mktemp("promote"))


def plan_for(prepared, host, sha=None):
    training = prepared.training if sha is None else dataclasses.replace(prepared.training, sha256=sha)
    return dataclasses.replace(prepared, training=training).plan(host, "test", "test")


def test_a_new_pipeline_sha_reuses_the_pipeline_and_adds_a_version_and_its_recurring_runs(api, prepared):
    client = connect(api.url)
    apply_plan(client, plan_for(prepared, api.url, "1" * 64))
    actions = apply_plan(client, plan_for(prepared, api.url, "2" * 64))
    done = {(a.verb, a.what, a.name) for a in actions}
    assert ("reused", "pipeline", "ctsim-continuous-training") in done
    assert ("created", "version", "sha256-2222222222222222") in done
    assert ("reused", "experiment", "ctsim-baseline") in done
    assert ("created", "recurring run", "baseline-schedule-22222222") in done
    # one version schedules at a time: the earlier promotion's runs are disabled, not deleted
    assert ("disabled", "recurring run", "baseline-schedule-11111111") in done
    modes = {r.display_name: r.mode for r in api.state.recurring_runs.values()}
    assert sorted(name for name, mode in modes.items() if mode == "ENABLE") == sorted(
        name for verb, what, name in done if verb == "created" and what == "recurring run"
    )
    assert len(modes) == 4
    assert len(api.calls("POST", "/pipelines/upload")) == 2  # training and trigger-check, once each
    assert api.violations == []


def post(url, body):
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), method="POST", headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


def test_the_double_rejects_bodies_the_models_do_not_allow(api, prepared):
    apply_plan(connect(api.url), plan_for(prepared, api.url))
    version = next(iter(api.state.versions.values()))
    experiment = next(iter(api.state.experiments))
    good = {
        "display_name": "x",
        "experiment_id": experiment,
        "mode": "ENABLE",
        "pipeline_version_reference": {
            "pipeline_id": version.pipeline_id,
            "pipeline_version_id": version.pipeline_version_id,
        },
        "trigger": {"cron_schedule": {"cron": "0 0 0 * * 1"}},
    }
    url = api.url + "/apis/v2beta1/recurringruns"
    assert post(url, good) == 200
    assert post(url, {**good, "trigger": {"cron_schedule": {"cron": "0 0 * * 1"}}}) == 400  # five fields
    assert post(url, {**good, "cron": "0 0 0 * * 1"}) == 400  # not a V2beta1RecurringRun field
    assert post(url, {**good, "runtime_config": {"parameters": {"no_such_input": 1}}}) == 400
    assert post(url, {k: v for k, v in good.items() if k != "display_name"}) == 400
    assert len(api.violations) == 4


def test_an_api_error_during_apply_is_one_line(api, prepared):
    client = connect(api.url)
    plan = plan_for(prepared, api.url)
    bad = dataclasses.replace(plan, training=PipelinePlan("ctsim-continuous-training", "/nonexistent.yaml", "3" * 64))
    with pytest.raises(ClusterError) as caught:
        apply_plan(client, bad)
    assert "\n" not in str(caught.value)
