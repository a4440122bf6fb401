"""`ctsim scenario new`: a commented starting scenario that validates; never overwrites."""

from ctsim.cli import main
from ctsim.scenario import loader


def test_new_scenario_is_commented_and_loads(tmp_path, capsys):
    path = tmp_path / "nested" / "deeper" / "fresh.yaml"  # missing folders are created
    assert main(["scenario", "new", "fresh-start", "-o", str(path)]) == 0
    text = path.read_text()
    scenario = loader.load(str(path))
    assert scenario.name == "fresh-start" and scenario.expectations and scenario.events
    assert sum(line.lstrip().startswith("#") or " # " in line for line in text.splitlines()) >= 10
    assert str(path) in capsys.readouterr().out


def test_new_scenario_refuses_to_overwrite_with_exit_2(tmp_path, capsys):
    path = tmp_path / "mine.yaml"
    path.write_text("name: mine\n")
    assert main(["scenario", "new", "mine", "-o", str(path)]) == 2
    assert path.read_text() == "name: mine\n", "the existing file is untouched"
    assert "already exists" in capsys.readouterr().err


def test_new_scenario_rejects_a_bad_name_and_writes_nothing(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["scenario", "new", "../escape"]) == 2
    assert list(tmp_path.iterdir()) == [] and not (tmp_path.parent / "escape.yaml").exists()
    assert "ScenarioError" in capsys.readouterr().err


def test_default_path_is_name_dot_yaml_in_the_current_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["scenario", "new", "here"]) == 0
    assert loader.load(str(tmp_path / "here.yaml")).name == "here"
