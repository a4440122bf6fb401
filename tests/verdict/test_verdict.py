"""The verdict sets the exit code: each expectation, and the pipeline contract every run must keep."""

from types import SimpleNamespace

import pytest
import timeline_events as ev
from hypothesis import given
from hypothesis import strategies as st
from pydantic import TypeAdapter

from ctsim.scenario.model import Expectation
from ctsim.timeline import TickRecord, Timeline
from ctsim.verdict import ExpectationResult, Verdict, check, contract_results


def tick(n: int, champion: str | None = "v1", labelled: int = 0, metric: float | None = None) -> TickRecord:
    return TickRecord(n, f"t{n}", 10, champion, None, 0, "idle", labelled, metric, metric)


def timeline(metric: str = "accuracy") -> Timeline:
    return Timeline("s", 0, metric)


def verdict_of(tl: Timeline, *expectations: dict) -> Verdict:
    adapter = TypeAdapter(Expectation)
    return check(SimpleNamespace(expectations=[adapter.validate_python(e) for e in expectations]), tl)  # type: ignore[arg-type]


def only(tl: Timeline, expectation: dict) -> ExpectationResult:
    (result,) = verdict_of(tl, expectation).results
    return result


# the pipeline contract ------------------------------------------------------------------------------
def test_an_empty_run_has_no_contract_to_keep():
    assert contract_results(timeline()) == ()


def test_a_finished_run_that_reported_no_decision_fails_the_contract():
    tl = timeline()
    tl.add(ev.pipeline_run(1, "run-001", decision="no-decision"))
    tl.add(ev.pipeline_run(2, "run-002", "failed"))  # failed: not silent
    tl.ticks.append(tick(1, champion=None))
    reported, serving = contract_results(tl)
    assert (
        not reported.passed and "run-001 at tick 1: no-decision" in reported.detail and "run-002" not in reported.detail
    )
    assert not serving.passed and "no champion ever served (2 pipeline runs)" in serving.detail


@pytest.mark.parametrize("decision", ["registered", "data-gate-blocked", "model-gate-blocked"])
def test_each_reported_decision_keeps_the_contract(decision):
    tl = timeline()
    tl.add(ev.pipeline_run(1, "run-001", decision=decision))
    tl.add(ev.registered(1, "v1"))
    tl.ticks.append(tick(2))
    assert all(result.passed for result in contract_results(tl))


def test_a_registered_model_that_never_served_fails_the_contract():
    tl = timeline()
    tl.add(ev.registered(1, "v1"))
    tl.ticks.append(tick(1, champion=None))
    assert not contract_results(tl)[1].passed


# expectations -----------------------------------------------------------------------------------------
def test_trigger_fires_counts_only_fired_triggers_inside_the_window():
    tl = timeline()
    tl.add(ev.trigger(2, "drift"))
    tl.add(ev.held(4, "drift"))
    expectation = {"expect": "trigger_fires", "trigger": "drift", "within": [3, 5]}
    assert not only(tl, expectation).passed  # 2 is outside, and a held trigger did not fire
    tl.add(ev.trigger(5, "drift"))
    assert only(tl, expectation).passed and only(tl, expectation).detail == "fired at ticks [2, 5]"


def test_trigger_never_counts_held_triggers_too():
    tl = timeline()
    tl.add(ev.held(4, "volume"))
    assert not only(tl, {"expect": "trigger_never", "trigger": "volume"}).passed
    assert only(tl, {"expect": "trigger_never", "trigger": "drift"}).passed


def test_gate_blocks_names_the_gate():
    tl = timeline()
    tl.add(ev.gate(3, "data", passed=False))
    assert only(tl, {"expect": "gate_blocks", "gate": "data", "within": [0, 3]}).passed
    assert not only(tl, {"expect": "gate_blocks", "gate": "model", "within": [0, 3]}).passed


def test_rollback_happens_or_not_within_a_window():
    tl = timeline()
    tl.add(ev.rolled_back(6, "v2"))
    assert only(tl, {"expect": "rollback"}).passed
    assert not only(tl, {"expect": "rollback", "happens": False}).passed
    assert only(tl, {"expect": "rollback", "happens": False, "within": [0, 5]}).passed


def test_a_failed_promotion_withdraws_the_canary_and_the_detail_says_it_was_one():
    tl = timeline()
    tl.add(ev.promotion_failed(7, "v2"))
    result = only(tl, {"expect": "rollback", "within": [6, 8]})
    assert result.passed and result.detail == "rollbacks at ticks [7] (failed promotions at [7])"
    assert not only(tl, {"expect": "rollback", "happens": False}).passed
    assert only(tl, {"expect": "promotions", "at_least": 0, "at_most": 0}).passed, "a failed promotion promoted nothing"


def test_promotions_count_canary_rollouts_not_the_first_champion():
    tl = timeline()
    tl.add(ev.first_champion(1, "v1"))
    tl.add(ev.rolled_out(5, "v2"))
    assert only(tl, {"expect": "promotions", "at_least": 1, "at_most": 1}).passed
    assert not only(tl, {"expect": "promotions", "at_least": 2}).passed
    assert not only(tl, {"expect": "promotions", "at_least": 0, "at_most": 0}).passed


@pytest.mark.parametrize(
    "metric, champion, canary, passed",
    [
        ("accuracy", 0.90, 0.87, False),  # 0.03 worse, higher is better
        ("accuracy", 0.90, 0.89, True),
        ("rmse", 1.00, 1.03, False),  # 0.03 worse, lower is better
        ("rmse", 1.00, 0.90, True),
    ],
)
def test_no_worse_promotion_follows_the_metric_direction(metric, champion, canary, passed):
    tl = timeline(metric)
    tl.add(ev.rolled_out(5, "v2", live_canary=canary, live_champion=champion))
    assert only(tl, {"expect": "no_worse_promotion", "tolerance": 0.02}).passed is passed


def test_final_champion_metric_weights_ticks_by_their_labelled_rows():
    tl = timeline()
    tl.ticks += [
        tick(0, labelled=1000, metric=0.1),
        tick(1, labelled=300, metric=0.9),
        tick(2, labelled=100, metric=0.5),
    ]
    result = only(tl, {"expect": "final_champion_metric", "at_least": 0.79, "window_ticks": 2})
    assert result.passed and result.detail == "measured 0.8000 on 400 labelled rows"


def test_final_champion_metric_without_labelled_rows_fails():
    tl = timeline()
    tl.ticks.append(tick(0))
    assert not only(tl, {"expect": "final_champion_metric", "at_least": 0.0}).passed


@pytest.mark.property
@given(st.lists(st.booleans(), max_size=8))
def test_the_exit_code_is_0_exactly_when_every_result_passed(outcomes):
    verdict = Verdict(tuple(ExpectationResult(str(i), ok, "") for i, ok in enumerate(outcomes)))
    assert verdict.passed is all(outcomes) and verdict.exit_code == (0 if all(outcomes) else 1)
    assert verdict.to_dict()["passed"] is verdict.passed and len(verdict.to_dict()["results"]) == len(outcomes)
