"""Scenario files: every broken document gives one ``file:line: key.path: message`` a user can act on."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ctsim.errors import CtsimError, ScenarioError
from ctsim.scenario.loader import SHIPPED_DIR, load, parse, resolve, shipped_names
from ctsim.scenario.model import BadDataEvent, Clock, DriftEvent, OutageEvent, Scenario, TriggerFires

SOURCE = "broken.yaml"


def doc(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


def error_of(text: str, source: str = SOURCE) -> str:
    with pytest.raises(ScenarioError) as caught:
        parse(doc(text), source)
    return str(caught.value)


# (id, document, line, dotted key path, fragment of the message)
BROKEN = [
    (
        "unknown-top-level-key",
        """
        name: x
        seeds: 3
        """,
        2,
        "seeds",
        "unknown key 'seeds'. Did you mean 'seed'?",
    ),
    (
        "unknown-key-depth-2",
        """
        name: x
        clock:
          ticks: 10
          tiks: 3
        """,
        4,
        "clock.tiks",
        "unknown key 'tiks'. Did you mean 'ticks'?",
    ),
    (
        "unknown-key-depth-3",
        """
        name: x
        gates:
          model:
            metric: accuracy
            min_valu: 0.5
        """,
        5,
        "gates.model.min_valu",
        "unknown key 'min_valu'. Did you mean 'min_value'?",
    ),
    (
        "unknown-key-depth-4",
        """
        name: x
        data:
          generator:
            rows_per_tick: 10
            growth:
              kind: linear
              rte: 0.1
        """,
        7,
        "data.generator.growth.rte",
        "unknown key 'rte'. Did you mean 'rate'?",
    ),
    (
        "unknown-key-in-list-item",
        """
        name: x
        events:
          - kind: outage
            at: 1
          - kind: drift
            at: 2
            shfit: 2.0
        """,
        7,
        "events[1].shfit",
        "unknown key 'shfit'. Did you mean 'shift'?",
    ),
    (
        "unknown-key-in-flow-mapping",
        """
        name: x
        clock: {ticks: 5, tickz: 1}
        """,
        2,
        "clock.tickz",
        "unknown key 'tickz'",
    ),
    (
        "wrong-type-string-for-int",
        """
        name: x
        clock:
          ticks: many
        """,
        3,
        "clock.ticks",
        "Got 'many' instead.",
    ),
    (
        "wrong-type-list-for-int",
        """
        name: x
        triggers:
          volume:
            min_new_rows: [1]
        """,
        4,
        "triggers.volume.min_new_rows",
        "The 'min_new_rows' setting of the volume trigger",
    ),
    (
        "wrong-type-scalar-for-list",
        """
        name: x
        events:
          - kind: drift
            at: 1
            features: x0
        """,
        5,
        "events[0].features",
        "The 'features' setting of the drift event",
    ),
    (
        "out-of-range-above",
        """
        name: x
        gates:
          model:
            max_regression: 3
        """,
        4,
        "gates.model.max_regression",
        "The 'max_regression' setting of the model gate must be at most 1",
    ),
    (
        "out-of-range-below",
        """
        name: x
        clock:
          ticks: 0
        """,
        3,
        "clock.ticks",
        "The 'ticks' setting of the clock must be at least 1. Got 0 instead.",
    ),
    (
        "out-of-range-in-event",
        """
        name: x
        events:
          - kind: traffic_spike
            at: 1
            factor: 1000
        """,
        5,
        "events[0].factor",
        "The 'factor' setting of the traffic spike event must be at most 100",
    ),
    (
        "bad-cron",
        """
        name: x
        triggers:
          schedule:
            cron: "61 * * * *"
        """,
        4,
        "triggers.schedule.cron",
        "must be a five-field cron expression",
    ),
    (
        "cron-with-six-fields",
        """
        name: x
        triggers:
          schedule:
            cron: "0 0 * * 1 2026"
        """,
        4,
        "triggers.schedule.cron",
        "five-field cron",
    ),
    (
        "bad-duration",
        """
        name: x
        clock:
          tick: 3 fortnights
        """,
        3,
        "clock.tick",
        "must be a duration like 30m, 6h, 1d, 1w or a calendar period like 1mo",
    ),
    (
        "unknown-event-kind",
        """
        name: x
        events:
          - kind: drift
            at: 1
          - kind: meteor
            at: 2
        """,
        5,
        "events[1]",
        "unknown 'kind' 'meteor'",
    ),
    (
        "event-without-kind",
        """
        name: x
        events:
          - at: 1
        """,
        3,
        "events[0]",
        "needs the key 'kind'",
    ),
    (
        "unknown-expectation",
        """
        name: x
        expectations:
          - expect: miracle
        """,
        3,
        "expectations[0]",
        "unknown 'expect' 'miracle'",
    ),
    (
        "event-at-beyond-clock",
        """
        name: x
        clock:
          ticks: 10
        events:
          - kind: drift
            at: 3
          - kind: outage
            at: 10
        """,
        8,
        "events[1].at",
        "must be below clock.ticks (10). Got 10 instead.",
    ),
    (
        "expectation-window-beyond-clock",
        """
        name: x
        clock:
          ticks: 10
        expectations:
          - expect: promotions
          - expect: trigger_fires
            trigger: drift
            within: [5, 12]
        """,
        8,
        "expectations[1].within",
        "first <= last < clock.ticks (10). Got [5, 12] instead.",
    ),
    (
        "expectation-window-reversed",
        """
        name: x
        clock:
          ticks: 10
        expectations:
          - expect: gate_blocks
            gate: data
            within: [6, 4]
        """,
        7,
        "expectations[0].within",
        "Got [6, 4] instead.",
    ),
    (
        "bootstrap-beyond-clock",
        """
        name: x
        clock:
          ticks: 5
        bootstrap_tick: 5
        """,
        4,
        "bootstrap_tick",
        "must be below clock.ticks (5)",
    ),
    (
        "event-names-unknown-feature",
        """
        name: x
        events:
          - kind: bad_data
            at: 1
            fault: nulls
            column: x99
        """,
        3,
        "events[0]",
        "names feature 'x99'",
    ),
    (
        "missing-required-key",
        """
        clock:
          ticks: 3
        """,
        1,
        "name",
        "'name' is required here.",
    ),
    (
        "bad-scenario-name",
        """
        name: ../escape
        """,
        1,
        "name",
        "Got '../escape' instead.",
    ),
    (
        "replay-file-missing",
        """
        name: x
        data:
          replay:
            path: nowhere.csv
            time_column: t
            target_column: y
        """,
        4,
        "data.replay.path",
        "no such file: nowhere.csv",
    ),
]


@pytest.mark.parametrize(
    ("text", "line", "path", "fragment"), [case[1:] for case in BROKEN], ids=[case[0] for case in BROKEN]
)
def test_broken_document_names_file_line_and_key(text: str, line: int, path: str, fragment: str):
    message = error_of(text)

    assert message.startswith(f"{SOURCE}:{line}: {path}: "), message
    assert fragment in message


@pytest.mark.parametrize(
    ("text", "line", "fragment"),
    [
        ("name: x\nclock:\n  ticks: [1, 2\n", 4, "not valid YAML"),
        ("name: x\nclock:\n ticks: 3\n  start: 1\n", 4, "not valid YAML: mapping values are not allowed"),
        ("name: x\n\tclock: 1\n", 2, "not valid YAML"),
        ("--- {name: a}\n--- {name: b}\n", 2, "not valid YAML"),
        ("name: !!python/object/apply:os.system ['true']\n", 1, "not valid YAML"),
    ],
    ids=["unclosed-list", "bad-indent", "tab", "two-documents", "unsafe-tag"],
)
def test_malformed_yaml_names_the_line(text: str, line: int, fragment: str):
    message = error_of(text)

    assert message.startswith(f"{SOURCE}:{line}: "), message
    assert fragment in message


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("- name: x\n- name: y\n", "list"),
        ("just a string\n", "str"),
        ("42\n", "int"),
        ("", "NoneType"),
        ("# only a comment\n", "NoneType"),
    ],
)
def test_a_document_that_is_not_a_mapping_is_refused(text: str, kind: str):
    message = error_of(text)

    assert message.startswith(f"{SOURCE}:1: a scenario must be a mapping"), message
    assert message.endswith(f"got {kind}")


def test_every_problem_is_reported_not_just_the_first():
    message = error_of("""
        name: x
        clock:
          ticks: 4
        events:
          - kind: outage
            at: 4
          - kind: outage
            at: 9
        """)

    assert message.splitlines() == [
        f"{SOURCE}:6: events[0].at: must be below clock.ticks (4). Got 4 instead.",
        f"{SOURCE}:8: events[1].at: must be below clock.ticks (4). Got 9 instead.",
    ]


def test_scenario_error_is_a_value_error_with_exit_code_2():
    with pytest.raises(ValueError) as caught:
        parse("name: x\nseeds: 1\n", SOURCE)

    assert isinstance(caught.value, CtsimError)
    assert caught.value.exit_code == 2


@pytest.mark.parametrize(
    ("text", "line", "path"),
    [
        ("name: x\nclok:\n  ticks: 3\n", 2, "clok"),
        ("name: x\ncanary:\n  step_weight: 50\n  max_weight: 20\n", 2, "canary"),
        ("name: x\ndata:\n  generator:\n    numeric_features: 2\n    informative_features: 5\n", 3, "data.generator"),
        ("name: x\nevents:\n  -\n    kind: drift\n    at: 1\n    shfit: 2\n", 6, "events[0].shfit"),
    ],
    ids=["unknown-block-key", "canary-cross-field", "generator-cross-field", "item-on-its-own-line"],
)
def test_errors_about_a_block_point_at_its_key(text: str, line: int, path: str):
    message = error_of(text)

    assert message.startswith(f"{SOURCE}:{line}: {path}: "), message


@pytest.mark.parametrize(("start", "fragment"), [("2026-13-45", "month"), ("2026-02-30", "day")])
def test_impossible_date_is_a_located_scenario_error(start: str, fragment: str):
    message = error_of(f"name: x\nclock:\n  start: {start}\n")

    assert message.startswith(f"{SOURCE}:3: clock.start: "), message
    assert fragment in message
    assert f"Got '{start}' instead." in message


# valid documents -------------------------------------------------------------


def test_a_full_document_loads_into_typed_settings():
    scenario = parse(
        doc("""
        name: full
        seed: 11
        clock:
          start: 2026-03-02T00:00:00
          tick: 6h
          ticks: 40
        data:
          generator:
            numeric_features: 4
            informative_features: 2
        events:
          - kind: drift
            at: 10
            features: [x0, x1]
          - kind: bad_data
            at: 12
            fault: nulls
            column: segment
          - kind: outage
            at: 20
        expectations:
          - expect: trigger_fires
            trigger: drift
            within: [10, 12]
        """),
        SOURCE,
    )

    assert scenario.name == "full"
    assert scenario.clock.ticks == 40
    assert scenario.clock.time_of(4).isoformat() == "2026-03-03T00:00:00"
    assert [type(e) for e in scenario.events] == [DriftEvent, BadDataEvent, OutageEvent]
    assert isinstance(scenario.expectations[0], TriggerFires)
    assert scenario.expectations[0].within == (10, 12)


def test_minimal_document_takes_defaults():
    scenario = parse("name: tiny\n", SOURCE)

    assert scenario == Scenario(name="tiny")
    assert scenario.data.generator is not None


def test_replay_path_is_resolved_beside_the_scenario_file(tmp_path: Path):
    (tmp_path / "rows.csv").write_text("t,y,x\n1,0,0.5\n2,1,0.7\n")
    text = "name: r\ndata:\n  replay:\n    path: rows.csv\n    time_column: t\n    target_column: y\n"
    (tmp_path / "r.yaml").write_text(text)

    assert load(str(tmp_path / "r.yaml")).data.replay.path == "rows.csv"
    assert "no such file" in error_of(text, source=str(tmp_path / "elsewhere" / "r.yaml"))


# shipped scenarios -----------------------------------------------------------

SHIPPED = sorted(SHIPPED_DIR.glob("*.yaml"))


def test_there_are_shipped_scenarios():
    assert SHIPPED
    assert shipped_names() == sorted([path.stem for path in SHIPPED] + ["faults/fault-gauntlet", "long/noaa-weather"])


def test_a_nested_shipped_scenario_resolves_by_its_listed_name():
    assert resolve("faults/fault-gauntlet") == SHIPPED_DIR / "faults" / "fault-gauntlet.yaml"


def test_shipped_scenarios_are_package_data_and_the_clone_links_to_them():
    """One copy: scenarios/ at the top of a clone is the package's own folder, so edits cannot drift apart."""
    import ctsim

    package = Path(ctsim.__file__).parent
    assert SHIPPED_DIR == package / "_data" / "scenarios"
    top = package.parent / "scenarios"
    if top.exists():  # a clone (an installed wheel has no top-level folder)
        assert top.resolve() == SHIPPED_DIR.resolve()
        assert (package.parent / "fixtures" / "phishing.csv").resolve() == (package / "_data/fixtures/phishing.csv")
        assert (package.parent / "ci" / "kind-config.yaml").resolve() == package / "_data" / "kind-config.yaml"


def test_a_path_that_exists_wins_over_a_shipped_name(tmp_path: Path, monkeypatch):
    own = tmp_path / "baseline"
    own.write_text(SHIPPED_DIR.joinpath("sudden-drift.yaml").read_text())
    monkeypatch.chdir(tmp_path)
    assert resolve("baseline") == Path("baseline")


@pytest.mark.parametrize("path", SHIPPED, ids=[path.stem for path in SHIPPED])
def test_shipped_scenario_loads_by_path_and_by_name(path: Path):
    by_path = load(str(path))

    assert resolve(path.stem) == path
    assert load(path.stem) == by_path
    assert all(event.at < by_path.clock.ticks for event in by_path.events)


def test_unknown_scenario_name_suggests_a_close_one():
    name = shipped_names()[0]

    with pytest.raises(ScenarioError, match=f"Did you mean '{name}'"):
        resolve(name[:-1] + "x")


def test_missing_scenario_file_is_a_scenario_error(tmp_path: Path):
    with pytest.raises(ScenarioError, match="no such scenario file"):
        load(str(tmp_path / "absent.yaml"))


@pytest.mark.parametrize(
    "method, categorical, fragment",
    [
        ("ks", True, "for a categorical column. Got 'ks'"),
        ("wasserstein", True, "for a categorical column. Got 'wasserstein'"),
        ("chisquare", False, "for a numeric column. Got 'chisquare'"),
    ],
)
def test_a_drift_method_that_cannot_judge_a_column_of_the_data_is_refused(
    method: str, categorical: bool, fragment: str
):
    text = (
        f"name: x\ndata: {{generator: {{categorical: {str(categorical).lower()}}}}}\n"
        f"triggers:\n  drift: {{method: {method}}}\n"
    )

    with pytest.raises(ScenarioError) as raised:
        parse(text, "f.yaml")

    assert str(raised.value).startswith("f.yaml:4: triggers.drift.method: ")
    assert fragment in str(raised.value)


@pytest.mark.parametrize("method", ["auto", "psi", "jensenshannon"])
def test_drift_methods_for_both_kinds_accept_categorical_data(method: str):
    scenario = parse(f"name: x\ndata: {{generator: {{categorical: true}}}}\ntriggers:\n  drift: {{method: {method}}}\n")

    assert scenario.triggers.drift.method == method


@given(st.integers(1, 100), st.sampled_from(["m", "h", "d", "w", "mo", "y"]))
def test_a_clock_tick_label_reads_back_as_the_same_tick(count: int, unit: str) -> None:
    clock = Clock.model_validate({"tick": f"{count}{unit}"})

    again = Clock.model_validate({"tick": clock.tick_label})

    assert (again.tick, again.tick_months) == (clock.tick, clock.tick_months)
    assert "day" not in clock.tick_label and ":" not in clock.tick_label
