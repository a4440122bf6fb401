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
