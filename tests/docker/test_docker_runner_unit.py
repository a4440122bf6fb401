"""The Docker runner's own decisions, without an engine: task outcomes from records, environment, images, errors."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ctsim.errors import RunnerUnavailable
from ctsim.runners import docker as docker_runner
from ctsim.runners.docker import ContainerRecord, confirm_tasks, forwarded_environment, pipeline_images

TASKS = st.lists(st.text("abcdefgh-", min_size=1, max_size=8), min_size=1, max_size=6, unique=True)


@pytest.mark.property
@given(TASKS, st.data())
def test_a_run_passes_only_when_every_started_task_recorded_exit_0(started, data):
    codes = data.draw(st.lists(st.integers(0, 255), max_size=len(started) + 1))
    records = tuple(ContainerRecord(f"c{i}", code) for i, code in enumerate(codes))
    reported_ok = frozenset(data.draw(st.sets(st.sampled_from(started))))  # whatever kfp.local claims
    reason = confirm_tasks(tuple(started), reported_ok, records)
    assert (reason == "") == (len(codes) == len(started) and all(code == 0 for code in codes))


def test_a_task_kfp_local_counted_as_passed_but_exited_non_zero_fails_by_name():
    reason = confirm_tasks(("collect-data", "validate-data"), frozenset({"collect-data", "validate-data"}),
                           (ContainerRecord("a1", 0), ContainerRecord("b2", 3)))
    assert reason == "task 'validate-data' exited with code 3 in container b2 (kfp.local counted it as a success)"


def test_a_started_task_without_a_record_fails():
    reason = confirm_tasks(("collect-data",), frozenset({"collect-data"}), ())
    assert "task 'collect-data' left no exit record" in reason


def test_containers_get_the_store_variables_and_failpoint_and_nothing_else():
    environ = {"CTSIM_S3_ENDPOINT": "127.0.0.1:9", "CTSIM_S3_SECRET_KEY": "s3cr3t", "AWS_ACCESS_KEY_ID": "k",
               "CTSIM_FAILPOINT": "register:crash-after-artifact", "PATH": "/host/bin", "SSH_AUTH_SOCK": "/x"}
    env = forwarded_environment(environ)
    assert env == {"CTSIM_S3_ENDPOINT": "127.0.0.1:9", "CTSIM_S3_SECRET_KEY": "s3cr3t", "AWS_ACCESS_KEY_ID": "k",
                   "CTSIM_FAILPOINT": "register:crash-after-artifact", "HOME": "/tmp"}


def test_the_reference_pipeline_names_one_image_the_component_image(tmp_path):
    from ctsim.pipeline.compile import compile_pipeline
    from ctsim.pipeline.components import COMPONENT_IMAGE

    compiled = compile_pipeline(tmp_path / "pipeline.yaml")
    assert pipeline_images(Path(compiled.path)) == (COMPONENT_IMAGE,)


def test_no_engine_is_one_line_naming_the_setup_script(monkeypatch):
    monkeypatch.setenv("DOCKER_HOST", "unix:///nonexistent/docker.sock")
    with pytest.raises(RunnerUnavailable) as caught:
        docker_runner.check_engine()
    message = str(caught.value)
    assert "\n" not in message and "ci/docker-setup.sh" in message and "Docker engine" in message


def test_a_nearly_full_disk_is_refused_before_anything_runs(monkeypatch, tmp_path):
    class Engine:
        def info(self):
            return {"DockerRootDir": str(tmp_path)}

    monkeypatch.setattr(docker_runner, "MIN_FREE_MB", 1 << 40)
    with pytest.raises(RunnerUnavailable, match=r"^disk full: \d+ MB free under .*, --runner docker needs"):
        docker_runner.check_disk(Engine(), tmp_path / "runs" / "x")


def test_cli_without_an_engine_exits_2_in_one_line_and_leaves_no_run_directory(monkeypatch, tmp_path, capsys):
    from ctsim.cli import main

    monkeypatch.setenv("DOCKER_HOST", "unix:///nonexistent/docker.sock")
    runs_dir = tmp_path / "runs"
    code = main(["run", "scenario", "bad-model", "--runner", "docker", "--runs-dir", str(runs_dir)])
    captured = capsys.readouterr()
    lines = [line for line in (captured.out + captured.err).splitlines() if line.strip()]
    assert code == 2
    assert len(lines) == 1 and lines[0].startswith("RunnerUnavailable: ") and "Traceback" not in captured.err
    assert not any(runs_dir.glob("*")), "a refused run must leave no run directory"


def test_the_subprocess_runner_refuses_a_container_component_before_anything_runs(tmp_path):
    from kfp import compiler, dsl

    from ctsim.pipeline.compile import compile_pipeline
    from ctsim.runners import LocalRunner

    @dsl.container_component
    def team_step():
        return dsl.ContainerSpec(image="team/image:1.0", command=["true"])

    @dsl.pipeline
    def mixed():
        team_step()

    path = tmp_path / "mixed.yaml"
    compiler.Compiler().compile(mixed, str(path))
    reference = compile_pipeline(tmp_path / "reference.yaml")
    assert docker_runner.container_only_images(Path(reference.path)) == ()
    assert docker_runner.container_only_images(path) == ("team/image:1.0",)
    with pytest.raises(RunnerUnavailable, match=r"container components \(image team/image:1.0\).*--runner docker"):
        LocalRunner(path, tmp_path / "run", "subprocess")
