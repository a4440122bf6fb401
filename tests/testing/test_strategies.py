"""The strategies keep their promises: settings validate, clean batches pass, injected faults are really there."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from hypothesis import Phase, find, given, settings
from hypothesis import strategies as st

from ctsim.contract import ColumnSpec, DataContract
from ctsim.gates import check_data, classify
from ctsim.scenario.loader import parse
from ctsim.scenario.model import Scenario
from ctsim.settings import CanarySettings, DataGateSettings
from ctsim.testing import strategies as S
from ctsim.testing.helpers import scenario_yaml

pytestmark = pytest.mark.property

CONTRACT = DataContract(
    features=(
        ColumnSpec("x0", "numeric", 0.0, 10.0),
        ColumnSpec("x1", "numeric"),
        ColumnSpec("c0", "categorical", categories=("a", "b", "c")),
        ColumnSpec("c1", "categorical"),
    )
)
SMALL_GATES = S.data_gate_settings(max_min_rows=40)
FIRST = settings(phases=[Phase.generate], database=None)  # find() without shrinking: any example will do


def first(strategy, condition=lambda value: True):
    return find(strategy, condition, settings=FIRST)


def test_public_names_resolve_and_are_unique() -> None:
    assert len(S.__all__) == len(set(S.__all__))
    for name in S.__all__:
        assert getattr(S, name) is not None, name


@pytest.mark.parametrize(
    "strategy",
    [
        S.data_gate_settings(),
        S.model_gate_settings(),
        S.canary_settings(),
        S.schedule_trigger_settings(),
        S.volume_trigger_settings(),
        S.performance_trigger_settings(),
        S.drift_trigger_settings(),
        S.trigger_settings(),
    ],
    ids=lambda s: repr(s)[:40],
)
@settings(max_examples=30)
@given(data=st.data())
def test_generated_settings_validate_and_round_trip(strategy, data) -> None:
    value = data.draw(strategy)
    assert type(value).model_validate(value.model_dump()) == value


@given(contract=S.data_contracts(), gate=SMALL_GATES, data=st.data())
@settings(deadline=None)
def test_clean_batches_pass_the_gate_they_were_drawn_for(contract, gate, data) -> None:
    frame = data.draw(S.clean_batches(contract, gate))
    assert len(frame) >= gate.min_rows
    assert check_data(frame, contract, gate).passed, check_data(frame, contract, gate).summary()


def _fault_is_present(batch: S.FaultyBatch, contract: DataContract, gate: DataGateSettings) -> None:
    """Checked on the frame itself, without the data gate."""
    frame, fault = batch.frame, batch.fault
    model_columns = [*contract.feature_names, contract.label]
    if fault.kind == "nulls":
        assert frame[fault.column].isna().sum() == fault.count
        assert fault.count / len(frame) > gate.max_null_share
    elif fault.kind == "out_of_range":
        spec = next((s for s in contract.features if s.name == fault.column), None)
        values = frame[fault.column]
        if spec is None:
            outside = ~values.isin(contract.labels)
        elif spec.categories:
            outside = ~values.isin(spec.categories)
        else:
            low = -math.inf if spec.minimum is None else spec.minimum
            high = math.inf if spec.maximum is None else spec.maximum
            outside = (values < low) | (values > high)
        assert outside.sum() == fault.count
        assert fault.count / len(frame) > gate.max_out_of_range_share
    elif fault.kind == "duplicates":
        assert frame[model_columns].duplicated().sum() == fault.count
        assert fault.count / len(frame) > gate.max_duplicate_share
    elif fault.kind == "constant_column":
        assert frame[fault.column].nunique(dropna=False) == 1 and not gate.allow_constant_columns
    elif fault.kind == "too_few_rows":
        assert len(frame) < gate.min_rows
    else:
        assert fault.kind == "schema_change"
        if "missing" in fault.rule:
            assert fault.column not in frame.columns
        elif "unexpected" in fault.rule:
            assert fault.column in frame.columns and fault.column not in model_columns
        else:
            # numbers as text: object in pandas 2, the str dtype in pandas 3
            assert not pd.api.types.is_numeric_dtype(frame[fault.column].dtype)


@given(contract=S.data_contracts(), gate=SMALL_GATES, data=st.data())
@settings(deadline=None)
def test_injected_faults_are_really_present_and_break_the_named_rule(contract, gate, data) -> None:
    batch = data.draw(S.faulty_batches(contract, gate))
    _fault_is_present(batch, contract, gate)
    decision = check_data(batch.frame, contract, gate)
    assert any(reason.rule.startswith(batch.fault.rule) for reason in decision.violations), decision.summary()


@pytest.mark.parametrize("kind", S.FAULTS)
def test_every_fault_kind_can_be_drawn(kind: str) -> None:
    batch = first(S.faulty_batches(CONTRACT, DataGateSettings(min_rows=10), kinds=(kind,)))
    assert batch.fault.kind == kind
    _fault_is_present(batch, CONTRACT, DataGateSettings(min_rows=10))


def test_settings_that_allow_everything_leave_no_fault_to_draw() -> None:
    lax = DataGateSettings(
        min_rows=1, max_null_share=1, max_duplicate_share=1, max_out_of_range_share=1, allow_constant_columns=True
    )
    assert S.feasible_faults(CONTRACT, lax) == ["schema_change"]
    assert "constant_column" not in S.feasible_faults(CONTRACT, DataGateSettings(allow_constant_columns=True))


def test_faulty_batch_repr_is_short() -> None:
    batch = first(S.faulty_batches(CONTRACT, DataGateSettings(min_rows=50), kinds=("nulls",)))
    assert len(repr(batch)) < 200 and "nulls" in repr(batch)


@given(tolerance=S.metric_values(0, 0.5), floor=S.metric_values(0, 0.4), data=st.data())
def test_regressions_are_worse_by_more_than_the_tolerance(tolerance, floor, data) -> None:
    pair = data.draw(S.regressions(tolerance, floor))
    assert 0 <= pair.candidate < pair.champion <= 1
    assert pair.shortfall > tolerance
    assert pair.candidate >= floor


def test_regressions_shrink_to_one_step_over_the_tolerance_at_the_floor() -> None:
    pair = find(S.regressions(0.05, floor=0.6), lambda p: True)
    assert (pair.candidate, pair.champion) == (0.6, 0.6501)


@pytest.mark.parametrize("verdict", ["pass", "fail", "no-data"])
def test_observations_for_settings_reach_every_verdict(verdict: str) -> None:
    canary = CanarySettings(max_regression=0.05, min_samples=30)
    observation = first(S.observations(canary), lambda o: classify(o, canary)[0] == verdict)
    assert classify(observation, canary)[0] == verdict


@given(canary=S.canary_settings(), data=st.data())
def test_streams_are_bounded_and_print_compactly(canary, data) -> None:
    stream = data.draw(S.observation_streams(canary, max_ticks=5))
    assert isinstance(stream, S.ObservationStream) and len(stream) <= 5
    assert "Observation(" not in repr(stream)


@given(times=S.simulated_times(max_ticks=20))
def test_simulated_times_increase(times) -> None:
    assert all(earlier < later for earlier, later in zip(times, times[1:]))


@given(contract=S.data_contracts(), data=st.data())
@settings(max_examples=10, deadline=None)
def test_same_distribution_frames_have_the_contract_columns(contract, data) -> None:
    reference, current = data.draw(S.same_distribution_frames(contract.kinds))
    assert list(reference.columns) == list(current.columns) == list(contract.kinds)
    assert 100 <= len(reference) <= 1500 and 50 <= len(current) <= 500


@given(scenario=S.small_scenarios())
@settings(max_examples=20, deadline=None)
def test_small_scenarios_are_valid_small_and_survive_a_yaml_round_trip(scenario: Scenario) -> None:
    assert scenario.clock.ticks <= 7 and scenario.data.generator.rows_per_tick <= 300
    assert parse(scenario_yaml(scenario)) == scenario


@given(sets=S.metric_sets())
def test_metric_sets_cover_every_metric(sets) -> None:
    assert set(sets.candidate) == set(S.METRICS)
    assert sets.champion is None or set(sets.champion) == set(S.METRICS)
    assert all(0 <= value <= 1 for value in sets.candidate.values())
