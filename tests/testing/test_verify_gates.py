"""``ctsim verify-gates``: passes the shipped settings, finds the counterexample in a lenient gate, and each
property catches the bug it is about (the kit tested the way a user relies on it: by breaking things)."""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import settings

from ctsim.cli import main
from ctsim.gates import advance, check_data, check_model
from ctsim.settings import DriftTriggerSettings, TriggerSettings
from ctsim.testing import profiles
from ctsim.testing import properties as P
from ctsim.testing.verify import load_subject, verify
from ctsim.triggers import arbitrate, schedule_decision, volume_decision

pytestmark = pytest.mark.property

LENIENT = str(Path(__file__).parent / "fixtures" / "lenient-gate.yaml")
# Derandomized like `ci`, fewer examples: each mutation below is found well within 50.
PROFILE = settings(profiles.active("ci"), max_examples=50)


@pytest.fixture(autouse=True)
def wide_terminal(monkeypatch):
    monkeypatch.setenv("COLUMNS", "220")  # one table row per line, so assertions can read rows


def run(capsys, *argv: str, profile: str = "ci") -> tuple[int, str, str]:
    """The CLI in-process, pinned to a profile so the run's length and examples do not depend on the environment."""
    code = main(["verify-gates", *argv, "--profile", profile])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def row(out: str, name: str) -> str:
    (line,) = [line for line in out.splitlines() if line.startswith(f"│ {name} ")]
    return line


def test_shipped_sudden_drift_settings_pass(capsys) -> None:
    code, out, _ = run(capsys, "sudden-drift")
    assert code == 0, out
    for name in (
        "model-gate.no-worse-model",
        "data-gate.blocks-faults",
        "data-gate.shuffle",
        "drift-trigger.false-alarms",
        "canary.rollback-at-threshold",
        "canary.promotion-at-max-weight",
    ):
        assert "PASS" in row(out, name)
    assert "SKIP" in row(out, "volume-trigger.threshold")  # sudden-drift has no volume trigger
    assert "FAIL" not in out and "Replay:" not in out
    assert "0.02 (the scenario's no_worse_promotion expectation)" in out


def test_lenient_gate_fails_and_shows_the_smallest_counterexample(capsys) -> None:
    # The data-gate properties already ran in full on sudden-drift; the rest are cheap.
    cheap = [
        "model-gate.no-worse-model",
        "model-gate.monotone",
        "model-gate.floor",
        "volume-trigger.threshold",
        "schedule-trigger.cron",
        "canary.rollback-at-threshold",
        "canary.no-worse-promotion",
    ]
    code, out, _ = run(capsys, LENIENT, *(arg for name in cheap for arg in ("--property", name)))
    assert code == 1
    failing = row(out, "model-gate.no-worse-model")
    assert "FAIL" in failing
    # Smallest: one grid step over the 0.02 tolerance, candidate right at min_value 0.6.
    assert "FAIL model-gate.no-worse-model: pair=Regression(champion=0.6201, candidate=0.6)" in out.splitlines()
    assert "Replay: ctsim verify-gates" in out and "--property model-gate.no-worse-model --profile ci" in out
    for name in ("volume-trigger.threshold", "schedule-trigger.cron", "model-gate.floor", "canary.no-worse-promotion"):
        assert "PASS" in row(out, name)
    assert [line for line in out.splitlines() if "│ FAIL " in line] == [failing]


def test_a_tolerance_as_wide_as_the_gate_passes(capsys) -> None:
    code, out, _ = run(capsys, LENIENT, "--tolerance", "0.2", "--property", "model-gate.no-worse-model")
    assert code == 0, out
    assert "PASS" in row(out, "model-gate.no-worse-model")
    assert "0.2 (--tolerance)" in out


@pytest.mark.parametrize(
    "argv",
    [
        ["no-such-scenario"],
        [LENIENT, "--tolerance", "3"],
        [LENIENT, "--property", "model-gate.nope"],
    ],
)
def test_bad_input_exits_2_with_a_message(capsys, argv) -> None:
    code, out, err = run(capsys, *argv)
    assert code == 2
    assert err.strip() and "Traceback" not in err
    assert "Gate properties" not in out


def test_bad_profile_variable_exits_2(capsys, monkeypatch) -> None:
    monkeypatch.setenv(profiles.ENV_VAR, "weekly")
    code = main(["verify-gates", LENIENT])
    err = capsys.readouterr().err
    assert code == 2 and "CTSIM_HYPOTHESIS_PROFILE" in err and "weekly" in err


def test_invalid_scenario_file_exits_2(capsys, tmp_path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: bad\ngates:\n  model:\n    max_regression: 3\n", encoding="utf-8")
    code, _, err = run(capsys, str(bad))
    assert code == 2 and "bad.yaml:4" in err


# --- every property catches the bug it is about --------------------------------------------------------


@pytest.fixture(scope="module")
def subject():
    """The lenient scenario with a tolerance as wide as its gate: every property passes on the real code."""
    return load_subject(LENIENT, tolerance=0.2)


def status(subject, name: str) -> str:
    (result,) = verify(subject, PROFILE, [name])
    return result.status


MUTATIONS = {
    "model-gate.no-worse-model": ("check_model", lambda cand, champ, gate: check_model(cand, None, gate)),
    # A gate that reads the metric upside down: a worse candidate passes where a better one is blocked.
    "model-gate.monotone": (
        "check_model",
        lambda cand, champ, gate: check_model(1.0 - cand, None if champ is None else 1.0 - champ, gate),
    ),
    "model-gate.floor": (
        "check_model",
        lambda cand, champ, gate: check_model(cand, champ, gate.model_copy(update={"min_value": 0.0})),
    ),
    "data-gate.blocks-faults": (
        "check_data",
        lambda frame, contract, gate: check_data(frame, contract, gate.model_copy(update={"max_null_share": 1.0})),
    ),
    "data-gate.passes-clean": (
        "check_data",
        lambda frame, contract, gate: check_data(
            frame, contract, gate.model_copy(update={"min_rows": gate.min_rows + 30})
        ),
    ),
    "data-gate.shuffle": (
        "check_data",
        lambda frame, contract, gate: check_data(frame.iloc[: len(frame) // 2], contract, gate),
    ),
    "volume-trigger.threshold": ("volume_decision", lambda volume, rows: volume_decision(volume, rows - 1)),
    "schedule-trigger.cron": (
        "schedule_decision",
        lambda schedule, previous, now: schedule_decision(
            schedule, previous - timedelta(minutes=1), now - timedelta(minutes=1)
        ),
    ),
    "canary.rollback-at-threshold": (
        "advance",
        lambda state, observation, canary: advance(
            state, observation, canary.model_copy(update={"failure_threshold": canary.failure_threshold + 1})
        ),
    ),
    "canary.promotion-at-max-weight": (
        "advance",
        lambda state, observation, canary: advance(
            state, observation, canary.model_copy(update={"max_weight": canary.step_weight})
        ),
    ),
}


@pytest.mark.parametrize("name", sorted(MUTATIONS))
def test_each_property_catches_its_bug(subject, monkeypatch, name: str) -> None:
    assert status(subject, name) == "PASS"
    target, broken = MUTATIONS[name]
    monkeypatch.setattr(P, target, broken)
    assert status(subject, name) == "FAIL"


def test_arbitration_ignoring_the_cooldown_is_caught(subject, monkeypatch) -> None:
    monkeypatch.setattr(
        P, "arbitrate", lambda decisions, tick, state, cooldown, busy: arbitrate(decisions, tick, state, 0, busy)
    )
    assert status(subject, "volume-trigger.threshold") == "FAIL"


def test_a_drift_trigger_that_fires_on_noise_fails_the_false_alarm_property(subject) -> None:
    noisy = dataclasses.replace(
        subject, triggers=TriggerSettings(drift=DriftTriggerSettings(method="psi", threshold=0.001, drift_share=0.1))
    )
    (result,) = verify(noisy, PROFILE, ["drift-trigger.false-alarms"])
    assert result.status == "FAIL"
    assert "windows drawn from one distribution" in result.detail


def test_a_lenient_canary_only_warns(subject) -> None:
    strict = dataclasses.replace(subject, tolerance=0.0)
    (result,) = verify(strict, PROFILE, ["canary.no-worse-promotion"])
    assert result.status == "WARN" and not result.failed
    assert "ObservationStream[" in result.counterexample
    assert "promoted" in result.detail


# --- lower-is-better metrics ------------------------------------------------------------------------------


def _regression_subject(tmp_path: Path, model_gate: str, canary_slack: float) -> P.GateSubject:
    path = tmp_path / "rmse.yaml"
    path.write_text(
        "name: rmse\ntask: regression\nclock:\n  ticks: 10\n"
        f"gates:\n  model:\n    metric: rmse\n{model_gate}"
        f"canary:\n  max_regression: {canary_slack}\n"
        "expectations:\n  - expect: no_worse_promotion\n    tolerance: 0.05\n",
        encoding="utf-8",
    )
    return load_subject(str(path))


GATE_PROPERTIES = ["model-gate.no-worse-model", "model-gate.monotone", "model-gate.floor", "canary.no-worse-promotion"]


def test_a_strict_rmse_gate_passes_every_gate_property(tmp_path: Path) -> None:
    subject = _regression_subject(tmp_path, "    max_value: 0.5\n    max_regression: 0.01\n", 0.01)
    assert {r.name: r.status for r in verify(subject, PROFILE, GATE_PROPERTIES)} == dict.fromkeys(
        GATE_PROPERTIES, "PASS"
    )


def test_a_lenient_rmse_gate_is_caught_letting_a_higher_rmse_through(tmp_path: Path) -> None:
    subject = _regression_subject(tmp_path, "    max_regression: 0.3\n", 0.3)
    results = {r.name: r for r in verify(subject, PROFILE, GATE_PROPERTIES)}
    assert results["model-gate.no-worse-model"].status == "FAIL"
    assert results["canary.no-worse-promotion"].status == "WARN"  # advisory: found, reported, not fatal
    assert results["model-gate.monotone"].status == results["model-gate.floor"].status == "PASS"
    assert "rmse" in results["model-gate.no-worse-model"].detail


def test_an_rmse_gate_that_compares_the_wrong_way_is_caught(tmp_path: Path, monkeypatch) -> None:
    """A gate that reads rmse as if higher were better fails every model-gate property."""
    subject = _regression_subject(tmp_path, "    max_value: 0.5\n    max_regression: 0.01\n", 0.01)
    monkeypatch.setattr(
        P,
        "check_model",
        lambda cand, champ, gate: check_model(
            cand, champ, gate.model_copy(update={"metric": "accuracy", "max_value": None, "min_value": 0.0})
        ),
    )
    assert {r.name: r.status for r in verify(subject, PROFILE, GATE_PROPERTIES[:3])} == dict.fromkeys(
        GATE_PROPERTIES[:3], "FAIL"
    )


def test_the_data_gate_properties_hold_on_a_regression_contract(tmp_path: Path) -> None:
    """A numeric label has no classes: clean batches carry numbers, and no fault claims a number is out of range."""
    subject = _regression_subject(tmp_path, "    max_regression: 0.01\n", 0.01)
    names = ["data-gate.blocks-faults", "data-gate.passes-clean", "data-gate.shuffle"]
    assert subject.contract.task == "regression"
    assert {r.name: r.status for r in verify(subject, PROFILE, names)} == dict.fromkeys(names, "PASS")
