"""What is promoted is what was tested: compiling gives the same bytes every time."""

import hashlib

from ctsim.cli import main
from ctsim.pipeline.trigger_check import compile_trigger_check


def test_ctsim_compile_twice_gives_identical_bytes_and_prints_their_sha256(tmp_path, capsys):
    assert main(["compile", "-o", str(tmp_path / "a.yaml")]) == 0
    assert main(["compile", "-o", str(tmp_path / "b.yaml")]) == 0
    first, second = (tmp_path / "a.yaml").read_bytes(), (tmp_path / "b.yaml").read_bytes()
    assert first == second and first.startswith(b"# PIPELINE DEFINITION")
    out = capsys.readouterr().out
    assert out.count(hashlib.sha256(first).hexdigest()) == 2


def test_the_trigger_check_pipeline_compiles_deterministically_onto_the_component_image(tmp_path):
    from ctsim.pipeline.components import COMPONENT_IMAGE

    first = compile_trigger_check(tmp_path / "a.yaml")
    second = compile_trigger_check(tmp_path / "b.yaml")
    assert first.sha256 == second.sha256 == hashlib.sha256(first.path.read_bytes()).hexdigest()
    text = first.path.read_text()
    assert f"image: {COMPONENT_IMAGE}" in text and "pip install" not in text  # install_kfp_package=False


def test_every_step_of_both_pipelines_takes_the_store_keys_from_kfp_s_artifact_store_secret(tmp_path):
    import yaml

    from ctsim.pipeline.library import STORE_SECRET, STORE_SECRET_KEYS
    from ctsim.pipeline.source import prepare

    for compiled in (
        prepare(None, tmp_path, tmp_path / "training.yaml").compiled,
        compile_trigger_check(tmp_path / "check.yaml"),
    ):
        documents = list(yaml.safe_load_all(compiled.path.read_text()))
        executors = documents[0]["deploymentSpec"]["executors"]
        platform = documents[1]["platforms"]["kubernetes"]["deploymentSpec"]["executors"]
        assert set(platform) == set(executors), compiled.path.name
        for spec in platform.values():
            (secret,) = spec["secretAsEnv"]
            assert secret["secretName"] == STORE_SECRET
            assert {m["secretKey"]: m["envVar"] for m in secret["keyToEnv"]} == STORE_SECRET_KEYS
