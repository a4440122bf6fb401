"""The pipeline contract, checked on real compiled pipelines before any run: one line per problem, exit 2."""

from pathlib import Path

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from ctsim.errors import PipelineContractError
from ctsim.pipeline import contract
from ctsim.pipeline.source import prepare
from ctsim.scenario import loader
from ctsim.sim.pipelines import check_pipeline

HERE = Path(__file__).parent


@pytest.fixture
def team_checkout(monkeypatch):
    """The working directory a team runs ctsim from: its own modules import from there."""
    monkeypatch.chdir(HERE)
    return HERE


def scenario_file(folder: Path, **fields) -> Path:
    path = folder / "team.yaml"
    path.write_text(yaml.safe_dump({"name": "team", "clock": {"ticks": 6}, **fields}, sort_keys=False))
    return path


def refused(path: Path) -> str:
    with pytest.raises(PipelineContractError) as caught:
        check_pipeline(loader.load(str(path)), path)
    assert caught.value.exit_code == 2
    return str(caught.value)


def test_the_reference_pipeline_meets_its_own_contract(tmp_path):
    prepared = prepare(None, tmp_path, tmp_path / "p.yaml")
    assert contract.problems(prepared.shape, {}) == []
    assert {"collect-data", "validate-data", "evaluate-model", "register-model", "start-canary"} <= set(
        prepared.shape.tasks
    )


@pytest.mark.parametrize(
    "reference, expected",
    [
        ("no_such_module:training", "cannot import no_such_module"),
        ("byo_pipelines:missing", "has no 'missing'"),
        ("byo_pipelines:NOT_A_PIPELINE", "is a int, not a @dsl.pipeline"),
        ("byo_pipelines:passthrough", "not a @dsl.pipeline"),
        ("byo_pipelines:lacks_run_id", "has no parameter 'run_id: str', which ctsim passes to every run"),
        ("byo_pipelines:needs_parameter", "required parameters nobody supplies: bucket"),
        ("byo_pipelines:never_registers", "has no registration step"),
        ("byo_pipelines:wrong_types", "declares 'first_tick' as str; ctsim passes int"),
        ("missing.yaml", "no such file: missing.yaml"),
    ],
)
def test_a_pipeline_that_breaks_the_contract_is_refused_in_one_line_naming_file_line_and_what_is_missing(
    team_checkout, tmp_path, reference, expected
):
    path = scenario_file(tmp_path, description="x", pipeline=reference)
    line = path.read_text().splitlines().index(f"pipeline: {reference}") + 1
    message = refused(path)
    assert message.startswith(f"{path}:{line}: pipeline: ")  # the line of the 'pipeline:' key
    assert expected in message and reference.split(":")[0] in message


def test_the_scenario_parameters_must_be_declared_and_typed(team_checkout, tmp_path):
    message = refused(
        scenario_file(
            tmp_path,
            pipeline="byo_pipelines:wrong_types",
            parameters={"learning_rate": "fast", "epochs": 3, "run_id": "x"},
        )
    )
    assert "parameter 'learning_rate' is float; the scenario gives 'fast'" in message
    assert "has no parameter 'epochs' (its own parameters: learning_rate)" in message
    assert "'run_id' is set by ctsim on every run" in message


def test_a_supplied_parameter_satisfies_a_required_one(team_checkout, tmp_path):
    prepared = check_pipeline(
        *_loaded(scenario_file(tmp_path, pipeline="byo_pipelines:needs_parameter", parameters={"bucket": "lake"}))
    )
    assert prepared.label == "byo_pipelines:needs_parameter"


def test_a_compiled_ir_yaml_is_taken_byte_for_byte(team_checkout, tmp_path):
    compiled = prepare("byo_pipelines:needs_parameter", tmp_path, tmp_path / "team-pipeline.yaml")
    path = scenario_file(tmp_path, pipeline="team-pipeline.yaml", parameters={"bucket": "b"})
    again = check_pipeline(*_loaded(path))
    assert again.sha256 == compiled.sha256 and again.shape == compiled.shape


def test_a_yaml_file_that_is_not_a_pipeline_is_refused(tmp_path):
    (tmp_path / "notes.yaml").write_text("just: a mapping\n")
    (tmp_path / "broken.yaml").write_text("root: [unclosed\n")
    assert "no root DAG" in refused(scenario_file(tmp_path, pipeline="notes.yaml"))
    assert "not a readable YAML file" in refused(scenario_file(tmp_path, pipeline="broken.yaml"))


def test_a_fault_names_a_task_of_the_pipeline_it_runs(team_checkout, tmp_path):
    events = [{"kind": "fault", "at": 1, "fault": "store_down_during_step", "step": "engineer-features"}]
    message = refused(
        scenario_file(tmp_path, pipeline="byo_pipelines:needs_parameter", parameters={"bucket": "b"}, events=events)
    )
    assert "events[0].step" in message and "must be a task of byo_pipelines:needs_parameter" in message


def _loaded(path: Path):
    return loader.load(str(path)), path


_TYPES = st.sampled_from(["STRING", "NUMBER_INTEGER", "NUMBER_DOUBLE", "BOOLEAN"])
_VALUES = st.one_of(st.text(max_size=5), st.integers(), st.floats(allow_nan=False), st.booleans())


@pytest.mark.property
@given(
    declared=st.dictionaries(
        st.from_regex(r"[a-z][a-z0-9_]{0,8}", fullmatch=True), st.tuples(_TYPES, st.booleans()), max_size=5
    ),
    supplied=st.dictionaries(st.from_regex(r"[a-z][a-z0-9_]{0,8}", fullmatch=True), _VALUES, max_size=5),
)
def test_arguments_hold_exactly_the_declared_parameters_and_a_clean_contract_means_every_required_one_is_given(
    declared, supplied
):
    parameters = tuple(
        contract.Parameter(n, t, optional) for n, (t, optional) in declared.items() if n not in contract.PASSED_BY_CTSIM
    )
    required = tuple(contract.Parameter(n, t, False) for n, t in contract.REQUIRED_PARAMETERS.items())
    shape = contract.PipelineShape("p", parameters + required, (), ("comp-register-model",))
    passed = {
        "namespace": "ns",
        "run_id": "r",
        "first_tick": 0,
        "last_tick": 1,
        "as_of_tick": 1,
        "seed": 0,
        "pipeline_sha256": "",
    }
    found = contract.problems(shape, supplied)
    arguments = contract.arguments(shape, passed, supplied)
    if not found:
        names = {p.name for p in shape.parameters}
        assert set(arguments) <= names  # nothing the pipeline does not declare
        assert all(p.name in arguments for p in shape.parameters if not p.optional)
        assert all(contract._fits(arguments[p.name], p.type) for p in parameters if p.name in supplied)
    else:
        unknown = set(supplied) - {p.name for p in shape.parameters}
        missing = [p for p in parameters if not p.optional and p.name not in supplied]
        wrong = [p for p in parameters if p.name in supplied and not contract._fits(supplied[p.name], p.type)]
        assert unknown or missing or wrong or set(supplied) & set(contract.PASSED_BY_CTSIM)
