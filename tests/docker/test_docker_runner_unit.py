"""The Docker runner's own decisions, without an engine: task outcomes from records, environment, images, errors."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ctsim.errors import RunnerUnavailable
from ctsim.runners import docker as docker_runner
from ctsim.runners.docker import ContainerRecord, confirm_tasks, forwarded_environment, pipeline_images

ATTEMPTS = st.lists(
    st.tuples(
        st.sampled_from(["collect-data", "train-model", "finish-run"]), st.sampled_from(["SUCCESS", "FAILURE", ""])
    ),
    min_size=1,
    max_size=8,
)


@pytest.mark.property
@given(ATTEMPTS, st.data())
def test_a_run_is_failed_when_any_attempt_kfp_local_counted_as_passed_did_not_exit_0(attempts, data):
    codes = data.draw(st.lists(st.integers(0, 255), min_size=len(attempts) - 1, max_size=len(attempts) + 1))
    records = tuple(ContainerRecord(f"c{i}", code) for i, code in enumerate(codes))
    reason = confirm_tasks(tuple(attempts), records)
    trusted = len(codes) == len(attempts) and all(
        code == 0 for (_, status), code in zip(attempts, codes) if status == "SUCCESS"
    )
    assert (reason == "") == trusted


def test_a_task_kfp_local_counted_as_passed_but_exited_non_zero_fails_by_name():
    reason = confirm_tasks(
        (("collect-data", "SUCCESS"), ("validate-data", "SUCCESS")),
        (ContainerRecord("a1", 0), ContainerRecord("b2", 3)),
    )
    assert reason == "task 'validate-data' exited with code 3 in container b2, but kfp.local counted it as a success"


def test_a_failed_attempt_retried_to_success_is_kfp_local_s_business():
    attempts = (("collect-data", "FAILURE"), ("collect-data", "SUCCESS"), ("finish-run", "SUCCESS"))
    records = (ContainerRecord("a", 1), ContainerRecord("b", 0), ContainerRecord("c", 0))
    assert confirm_tasks(attempts, records) == ""


def test_a_started_task_without_a_record_fails():
    reason = confirm_tasks((("collect-data", "SUCCESS"),), ())
    assert reason == "1 task containers started but 0 recorded how they ended: a container ended before its task did"


def test_containers_get_the_store_variables_and_failpoint_and_nothing_else():
    environ = {
        "CTSIM_S3_ENDPOINT": "127.0.0.1:9",
        "CTSIM_S3_SECRET_KEY": "s3cr3t",
        "AWS_ACCESS_KEY_ID": "k",
        "CTSIM_FAILPOINT": "register:crash-after-artifact",
        "PATH": "/host/bin",
        "SSH_AUTH_SOCK": "/x",
    }
    env = forwarded_environment(environ)
    assert env == {
        "CTSIM_S3_ENDPOINT": "127.0.0.1:9",
        "CTSIM_S3_SECRET_KEY": "s3cr3t",
        "AWS_ACCESS_KEY_ID": "k",
        "CTSIM_FAILPOINT": "register:crash-after-artifact",
        "HOME": "/tmp",
    }


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


@pytest.mark.parametrize("text", ['{"container": "ab", "exit_code": "zero"}', "{not json", '{"exit_code": 0}', ""])
def test_an_unreadable_record_counts_as_a_failed_exit(tmp_path, text):
    path = tmp_path / "task-x.json"
    path.write_text(text)
    record = docker_runner._read_record(path)
    assert record.exit_code == -1
    assert "exited with code -1" in confirm_tasks((("collect-data", "SUCCESS"),), (record,))


def _listening_addresses(port: int) -> set[str]:
    """Local addresses of the sockets listening on ``port`` (state 0A in /proc/net/tcp{,6})."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, _, hex_port = local.partition(":")
            if state == "0A" and int(hex_port, 16) == port:
                found.add(address)
    return found


@pytest.mark.store
def test_the_store_tasks_reach_over_host_networking_listens_on_the_loopback_only(embedded_s3, object_store):
    from ctsim.store import OutageRelay

    relay = OutageRelay(embedded_s3.config).start()
    try:
        for endpoint in (embedded_s3.config.endpoint, relay.config.endpoint):
            assert _listening_addresses(int(endpoint.rsplit(":", 1)[1])) == {"0100007F"}  # 127.0.0.1, not 0.0.0.0
    finally:
        relay.stop()
