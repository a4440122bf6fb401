"""Fuzzing the scenario loader: any text gives a Scenario or one ScenarioError, never another exception."""

from __future__ import annotations

import copy
import re
import time

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ctsim.errors import ScenarioError
from ctsim.scenario.loader import parse
from ctsim.scenario.model import Scenario

pytestmark = pytest.mark.property

SOURCE = "fuzz.yaml"
WHERE = re.compile(rf"^{re.escape(SOURCE)}:\d+: ")

KEYS = [
    "name",
    "description",
    "seed",
    "clock",
    "start",
    "tick",
    "ticks",
    "data",
    "generator",
    "replay",
    "path",
    "time_column",
    "target_column",
    "numeric_features",
    "informative_features",
    "rows_per_tick",
    "growth",
    "kind",
    "rate",
    "events",
    "at",
    "shape",
    "features",
    "shift",
    "fault",
    "column",
    "share",
    "mode",
    "factor",
    "expectations",
    "expect",
    "within",
    "trigger",
    "gate",
    "happens",
    "at_least",
    "triggers",
    "schedule",
    "cron",
    "volume",
    "drift",
    "method",
    "gates",
    "model",
    "metric",
    "min_value",
    "canary",
    "step_weight",
    "max_weight",
    "training",
    "strategy",
    "bootstrap_tick",
]
WORDS = [
    "drift",
    "outage",
    "bad_data",
    "nulls",
    "duplicates",
    "sudden",
    "gradual",
    "x0",
    "x9",
    "segment",
    "accuracy",
    "sgd",
    "incremental",
    "trigger_fires",
    "promotions",
    "rollback",
    "1d",
    "6h",
    "0 0 * * 1",
    "61 * * * *",
    "2026-03-02",
    "2026-13-45",
    "2026-02-30T25:00:00",
    "../x",
]

FULL = {
    "name": "fuzz",
    "seed": 3,
    "clock": {"start": "2026-03-02T00:00:00", "tick": "1d", "ticks": 20},
    "data": {
        "generator": {
            "numeric_features": 4,
            "informative_features": 2,
            "rows_per_tick": 50,
            "growth": {"kind": "linear", "rate": 0.1},
        }
    },
    "bootstrap_tick": 2,
    "events": [
        {"kind": "drift", "at": 5, "features": ["x0"]},
        {"kind": "bad_data", "at": 6, "fault": "nulls", "column": "x1"},
        {"kind": "outage", "at": 8},
    ],
    "triggers": {"schedule": {"cron": "0 0 * * 1"}, "drift": {"method": "psi"}, "cooldown_ticks": 1},
    "gates": {"data": {"min_rows": 10}, "model": {"metric": "accuracy", "min_value": 0.6}},
    "canary": {"step_weight": 20, "max_weight": 60},
    "training": {"strategy": "incremental", "model": "sgd"},
    "expectations": [
        {"expect": "trigger_fires", "trigger": "drift", "within": [5, 7]},
        {"expect": "promotions", "at_least": 1},
    ],
}

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=True),
    st.text(max_size=12),
    st.sampled_from(KEYS + WORDS),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=6), inner, max_size=5)
    ),
    max_leaves=20,
)
documents = st.dictionaries(st.sampled_from(KEYS), values, max_size=8)


def paths(node, prefix=()):
    """Every path into a nested dict/list document."""
    yield prefix
    if isinstance(node, dict):
        for key, value in node.items():
            yield from paths(value, prefix + (key,))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from paths(value, prefix + (index,))


FULL_PATHS = [path for path in paths(FULL) if path]


@st.composite
def mutated_documents(draw) -> dict:
    """A valid document with one value replaced, deleted, or one unknown key added somewhere."""
    document = copy.deepcopy(FULL)
    path = draw(st.sampled_from(FULL_PATHS))
    parent = document
    for part in path[:-1]:
        parent = parent[part]
    action = draw(st.sampled_from(["replace", "delete", "add"]))
    if action == "replace":
        parent[path[-1]] = draw(values)
    elif action == "delete":
        del parent[path[-1]]
    elif isinstance(parent[path[-1]], dict):
        parent[path[-1]][draw(st.sampled_from(KEYS) | st.text(min_size=1, max_size=6))] = draw(values)
    return document


yaml_ish_text = st.lists(
    st.sampled_from(list("ab:- []{}\n\t&*!?#'\"|>0123456789.,%@`") + KEYS[:12] + WORDS), max_size=40
).map("".join)


def parse_or_scenario_error(text: str) -> Scenario | None:
    try:
        scenario = parse(text, SOURCE)
    except ScenarioError as exc:
        message = str(exc)
        assert message, "a ScenarioError must say something"
        assert message.startswith(SOURCE), message
        return None
    assert isinstance(scenario, Scenario)
    return scenario


def dump(document: dict) -> str:
    return yaml.safe_dump(document, sort_keys=False, allow_unicode=True)


def test_the_unmutated_document_is_valid():
    scenario = parse(dump(FULL), SOURCE)

    assert scenario.name == "fuzz"
    assert len(scenario.events) == 3


@settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(documents)
def test_generated_documents_give_a_scenario_or_a_scenario_error(document: dict):
    parse_or_scenario_error(dump(document))


@settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_documents())
def test_mutated_documents_give_a_scenario_or_an_error_located_on_every_line(document: dict):
    try:
        scenario = parse(dump(document), SOURCE)
    except ScenarioError as exc:
        for line in str(exc).splitlines():  # keys holding \n, \x1e or \u2028 must be escaped, not break the line
            assert WHERE.match(line), line
        return
    assert isinstance(scenario, Scenario)
    assert all(event.at < scenario.clock.ticks for event in scenario.events)
    assert scenario.bootstrap_tick < scenario.clock.ticks


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(yaml_ish_text)
def test_arbitrary_text_gives_a_scenario_or_a_scenario_error(text: str):
    parse_or_scenario_error(text)


@pytest.mark.parametrize("key", ["bad\nkey", "bad\x1ekey", "bad\u2028key"])
def test_a_key_with_a_line_break_is_escaped_so_the_error_stays_on_one_line(key: str):
    document = copy.deepcopy(FULL)
    document["clock"][key] = 1

    with pytest.raises(ScenarioError) as raised:
        parse(dump(document), SOURCE)

    lines = str(raised.value).splitlines()
    assert len(lines) == 1 and WHERE.match(lines[0]), lines
    assert repr(key) in lines[0]


# hostile shapes: each must be refused (or loaded) quickly, never exhaust time or memory -------------
@st.composite
def hostile_texts(draw) -> str:
    """A valid document with one hostile shape spliced in: deep nesting, an alias chain, a long integer,
    a long event list, or a generator whose volume may not fit."""
    base = dump(FULL)
    shape = draw(st.sampled_from(["nesting", "aliases", "integer", "events", "volume"]))
    if shape == "nesting":
        depth = draw(st.integers(1, 3000))
        flow = draw(st.booleans())
        nested = "[" * depth + "]" * depth if flow else "".join(f"\n{'  ' * (i + 1)}k{i}:" for i in range(depth)) + " 1"
        return base + f"description: {nested}\n"
    if shape == "aliases":
        levels, fanout = draw(st.integers(1, 15)), draw(st.integers(1, 15))
        chain = ['z0: &z0 ["lol"]'] + [
            f"z{i}: &z{i} [{', '.join([f'*z{i - 1}'] * fanout)}]" for i in range(1, levels + 1)
        ]
        return base + "\n".join(chain) + f"\ndescription: *z{levels}\n"
    if shape == "integer":
        digits = draw(st.integers(1, 10_000))
        return base.replace("seed: 3", "seed: " + "7" * digits)
    if shape == "events":
        count = draw(st.integers(0, 3000))
        return base + "\n".join(["events:"] + ["- {kind: outage, at: 1}"] * count) + "\n"
    rows, ticks, rate = draw(st.integers(1, 2_000_000)), draw(st.integers(1, 5000)), draw(st.floats(0, 10))
    document = copy.deepcopy(FULL)
    document["clock"]["ticks"] = ticks
    document["data"]["generator"].update(rows_per_tick=rows, growth={"kind": "exponential", "rate": rate})
    return dump(document)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(hostile_texts())
def test_hostile_shapes_give_a_scenario_or_one_located_error_quickly(text: str):
    started = time.perf_counter()
    parse_or_scenario_error(text)
    assert time.perf_counter() - started < 10.0  # a hang guard: an unbounded shape takes minutes
