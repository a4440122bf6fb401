"""The team's pipeline with a container step of its own image, replayed as a scenario on the Docker runner:
the step fails once, the run alerts and fails, the simulator retries on the next tick and that run succeeds."""

from pathlib import Path

import pytest

from ctsim.sim import run_scenario
from ctsim.timeline import Alert, PipelineRun

pytestmark = [pytest.mark.docker, pytest.mark.e2e, pytest.mark.usefixtures("docker_ready")]

PROJECT = Path(__file__).resolve().parents[2] / "examples" / "team-pipeline"


def test_a_failing_container_step_fails_its_run_alerts_and_the_retry_succeeds(tmp_path, monkeypatch):
    monkeypatch.chdir(PROJECT)
    monkeypatch.syspath_prepend(str(PROJECT))
    result = run_scenario("scenarios/container-retry.yaml", runs_dir=tmp_path, runner="docker")
    assert result.verdict.passed, result.verdict.to_dict()
    runs = result.timeline.of(PipelineRun)
    assert [(e.tick, e.status) for e in runs[:2]] == [(2, "failed"), (3, "succeeded")]
    assert runs[1].decision == "registered" and "summarize-window" in runs[1].steps
    alerts = [e.alert for e in result.timeline.of(Alert) if e.tick == 2]
    assert "pipeline-failed" in alerts
    docker = (result.run_dir / "docker.json").read_text()
    assert "team-pipeline/team" in docker  # the team's own image ran the container step
