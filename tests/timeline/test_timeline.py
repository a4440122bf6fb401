"""The timeline room: every event kind survives timeline.json, and a file ctsim cannot read says why."""

from __future__ import annotations

import dataclasses
import json
import math
import types
import typing
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ctsim.errors import CtsimError, TimelineError
from ctsim.reasons import Reason
from ctsim.timeline import (
    EVENT_TYPES,
    KINDS,
    SCHEMA_VERSION,
    Event,
    PromotionFailed,
    RolledBack,
    TickRecord,
    Timeline,
    event_from_record,
    event_to_record,
    read_timeline,
    write_timeline,
)

# Values as a run writes them: floats already at 6 places (timeline.add rounds, see test_add_normalises...).
floats = st.floats(-1e6, 1e6, allow_nan=False).map(lambda value: round(value, 6))
texts = st.text(max_size=12)
numbers = st.one_of(st.none(), st.integers(-(10**6), 10**6), floats, texts)
reasons = st.builds(Reason, rule=texts, observed=numbers, threshold=numbers, ok=st.booleans())


def _strategy(annotation: typing.Any) -> st.SearchStrategy:
    """A strategy for one event field, from its annotation."""
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if annotation is Reason:
        return reasons
    if origin is typing.Literal:
        return st.sampled_from(args)
    if origin in (typing.Union, types.UnionType):
        return st.one_of(*[_strategy(arg) for arg in args])
    if origin is tuple:
        if len(args) == 2 and args[1] is Ellipsis:
            return st.lists(_strategy(args[0]), max_size=4).map(tuple)
        return st.tuples(*[_strategy(arg) for arg in args])
    return {int: st.integers(-(10**6), 10**6), float: floats, str: texts, bool: st.booleans(), type(None): st.none()}[
        annotation
    ]


def events_of(cls: type[Event]) -> st.SearchStrategy:
    hints = typing.get_type_hints(cls)
    fields = {f.name: _strategy(hints[f.name]) for f in dataclasses.fields(cls)}
    return st.builds(cls, **fields)


any_event = st.sampled_from(EVENT_TYPES).flatmap(events_of)


def test_every_event_kind_has_one_class_and_a_distinct_name():
    assert len(KINDS) == len(EVENT_TYPES) and all(KINDS[cls.kind] is cls for cls in EVENT_TYPES)
    assert all(dataclasses.is_dataclass(cls) and cls.__dataclass_params__.frozen for cls in EVENT_TYPES)


@pytest.mark.property
@pytest.mark.parametrize("cls", EVENT_TYPES, ids=lambda cls: cls.kind)
@given(data=st.data())
def test_each_kind_round_trips_through_its_json_record(cls, data):
    event = data.draw(events_of(cls))
    record = json.loads(json.dumps(event_to_record(event)))  # through real JSON text
    assert set(record) == {"tick", "kind", "message", "data"} and record["kind"] == cls.kind
    assert set(record["data"]) == {f.name for f in dataclasses.fields(cls)} - {"tick", "message"}
    assert event_from_record(record) == event


@pytest.mark.property
@given(events=st.lists(any_event, max_size=12), seed=st.integers(0, 2**31))
def test_a_timeline_file_reads_back_equal_and_writes_back_byte_for_byte(tmp_path_factory, events, seed):
    path = tmp_path_factory.mktemp("t") / "timeline.json"
    timeline = Timeline(
        "s",
        seed,
        "accuracy",
        list(events),
        [TickRecord(0, "2026-01-01T00:00:00", 10, "v1", None, 0, "idle", 10, 0.5, None)],
        [{"run_id": "run-001", "seconds": 1.5}],
    )
    write_timeline(timeline, path)
    again = read_timeline(path)
    assert again == timeline and again.deterministic_view() == timeline.deterministic_view()
    copy = path.with_name("copy.json")
    write_timeline(again, copy)
    assert copy.read_bytes() == path.read_bytes()
    assert not list(path.parent.glob(".*partial")), "no temporary file is left behind"


@pytest.mark.property
@given(value=st.floats(allow_nan=True, allow_infinity=True), samples=st.integers(0, 10**6))
def test_add_normalises_values_as_the_file_will_hold_them(value, samples):
    """NaN and infinities become None, floats 6 places: the in-memory event is the one read back later."""
    timeline = Timeline("s", 1, "accuracy")
    kept = timeline.add(RolledBack(3, "m", "v2", 0, Reason("r", value, value, False), value, 0.5, samples))
    expected = round(value, 6) if math.isfinite(value) else None
    assert (kept.live_canary, kept.reason.observed) == (expected, expected)
    assert timeline.events == [kept] and Timeline.from_dict(timeline.to_dict()) == timeline


def test_the_listener_hears_each_event_as_it_is_kept():
    heard: list[Event] = []
    timeline = Timeline("s", 1, "accuracy", listener=heard.append)
    kept = timeline.add(
        PromotionFailed(
            4,
            "canary v2 promotion failed",
            "v2",
            0,
            Reason("full rollout completed", "StoreUnavailable", "completed", False),
            0.9,
            0.8,
            120,
        )
    )
    assert heard == [kept] and timeline.of(PromotionFailed) == [kept] and timeline.of(RolledBack) == []


def _document() -> dict:
    timeline = Timeline("s", 1, "accuracy")
    timeline.add(RolledBack(3, "rolled back", "v2", 0, Reason("r", 1, 2, False), None, None, 0))
    return timeline.to_dict()


@pytest.mark.parametrize(
    "change, expected",
    [
        (lambda d: d["events"][0].update(kind="canary-exploded"), "event 0 has the unknown kind 'canary-exploded'"),
        (lambda d: d["events"][0]["data"].pop("version"), "event 0 (rollback): the field 'version' is missing"),
        (lambda d: d["events"][0]["data"].update(weight="heavy"), "event 0 (rollback): the field 'weight' is wrong"),
        (lambda d: d["events"][0]["data"].update(extra=1), "event 0 (rollback): the field 'extra' is wrong"),
        (lambda d: d["events"][0]["data"]["reason"].pop("rule"), "the field 'reason.rule' is missing"),
        (lambda d: d["events"][0].pop("data"), "event 0 must be an object with the keys"),
        (lambda d: d.update(schema_version=1), f"schema_version 1; this ctsim reads version {SCHEMA_VERSION}"),
        (lambda d: d.pop("schema_version"), "schema_version None"),
        (lambda d: d.pop("ticks"), "lacks the keys ['ticks']"),
        (lambda d: d.update(seed="one"), "the field 'seed' is wrong"),
        (lambda d: d.update(ticks=[3]), "tick record 0: must be an object with the fields of TickRecord"),
    ],
)
def test_a_bad_file_is_a_timeline_error_naming_the_file_and_what_is_wrong(tmp_path: Path, change, expected):
    document = _document()
    change(document)
    path = tmp_path / "timeline.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    with pytest.raises(TimelineError) as raised:
        read_timeline(path)
    assert str(raised.value).startswith(str(path)) and expected in str(raised.value)
    assert isinstance(raised.value, CtsimError) and isinstance(raised.value, ValueError)


@pytest.mark.parametrize("text, expected", [("{not json", "not JSON"), ("[]", "must be a JSON object")])
def test_a_file_that_is_not_a_timeline_document_says_so(tmp_path: Path, text, expected):
    path = tmp_path / "timeline.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(TimelineError, match=expected):
        read_timeline(path)


def test_a_missing_file_is_a_timeline_error(tmp_path: Path):
    with pytest.raises(TimelineError, match="missing"):
        read_timeline(tmp_path / "timeline.json")
