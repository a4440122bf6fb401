"""The end-of-run audit: its pure checks, and the same checks reading a real S3 server back."""

from __future__ import annotations

import pandas as pd
import pytest
import timeline_events as ev
from hypothesis import given
from hypothesis import strategies as st

from ctsim.sim.audit import audit_run, check_aliases, check_history, check_lake
from ctsim.sim.lakewriter import LakeWriter
from ctsim.store import Layout, ObjectStore
from ctsim.timeline import Timeline

keys = st.lists(
    st.from_regex(r"lake/ns/production/tick=\d{5}/part-0000\.parquet", fullmatch=True),
    unique=True,
    min_size=1,
    max_size=12,
)
digests = st.from_regex(r"[0-9a-f]{8}", fullmatch=True)


# lake ----------------------------------------------------------------------------
@given(keys.flatmap(lambda ks: st.fixed_dictionaries({k: digests for k in ks})))
def test_a_lake_holding_exactly_what_was_produced_passes(produced: dict[str, str]):
    check = check_lake(produced, dict(produced), pending=0)

    assert check.ok, check.detail
    assert str(len(produced)) in check.detail


@given(keys.flatmap(lambda ks: st.fixed_dictionaries({k: digests for k in ks})), st.data())
def test_any_lost_altered_or_stray_batch_fails_and_is_named(produced: dict[str, str], data):
    stored = dict(produced)
    key = data.draw(st.sampled_from(sorted(produced)))
    damage = data.draw(st.sampled_from(["lose", "alter", "stray"]))
    if damage == "lose":
        del stored[key]
    elif damage == "alter":
        stored[key] = "x" + stored[key]
    else:
        key = key.replace("production", "feedback")
        stored[key] = "00"

    check = check_lake(produced, stored, pending=0)

    assert not check.ok
    assert key in check.detail


def test_batches_still_buffered_fail_the_lake_check():
    check = check_lake({"k": "a"}, {"k": "a"}, pending=2)

    assert not check.ok and "2 batches still buffered" in check.detail


# aliases -------------------------------------------------------------------------
def test_an_alias_on_a_broken_version_fails_naming_it():
    check = check_aliases({"champion": "v0002"}, {"v0002": "artifact is missing"}, [], {"v0002"})

    assert not check.ok
    assert "champion -> v0002: artifact is missing" in check.detail


def test_incomplete_versions_are_fine_only_while_never_aliased():
    quiet = check_aliases({"champion": "v0001"}, {}, ["v0002"], {"v0001"})
    aliased = check_aliases({"champion": "v0001"}, {}, ["v0002"], {"v0001", "v0002"})

    assert quiet.ok and "v0002" in quiet.detail and "never aliased" in quiet.detail
    assert not aliased.ok and "incomplete v0002 was aliased" in aliased.detail


# history -------------------------------------------------------------------------
def story() -> tuple[Timeline, list[dict]]:
    timeline = Timeline("s", 1, "accuracy")
    for event in (
        ev.registered(1, "v0001"),
        ev.first_champion(1, "v0001"),
        ev.registered(5, "v0002"),
        ev.canary_start(5, "v0002"),
        ev.canary_step(6, "v0002"),
        ev.rolled_out(8, "v0002"),
    ):
        timeline.add(event)
    events = [
        {"event": "registered", "version": "v0001"},
        {"event": "alias-set", "alias": "champion", "version": "v0001"},
        {"event": "registered", "version": "v0002"},
        {"event": "alias-set", "alias": "canary", "version": "v0002"},
        {"event": "alias-set", "alias": "previous", "version": "v0001"},
        {"event": "alias-set", "alias": "champion", "version": "v0002"},
        {"event": "alias-cleared", "alias": "canary", "version": "v0002", "reason": "rolled out"},
    ]
    return timeline, events


def test_a_timeline_that_tells_the_registry_s_story_passes():
    timeline, events = story()

    check = check_history(timeline, events, "v0002")

    assert check.ok, check.detail


def test_a_rollback_the_registry_does_not_know_about_fails():
    timeline, events = story()
    timeline.add(ev.rolled_back(9, "v0003"))

    check = check_history(timeline, events, "v0002")

    assert not check.ok and "rollbacks" in check.detail


def test_a_failed_promotion_is_the_canary_alias_cleared_in_the_registry():
    """The registry clears a canary whose promotion failed as it clears a rolled-back one: the stories agree."""
    timeline, events = story()
    timeline.add(ev.registered(9, "v0003"))
    timeline.add(ev.canary_start(9, "v0003"))
    timeline.add(ev.promotion_failed(11, "v0003"))
    events += [
        {"event": "registered", "version": "v0003"},
        {"event": "alias-set", "alias": "canary", "version": "v0003"},
        {
            "event": "alias-cleared",
            "alias": "canary",
            "version": "v0003",
            "reason": "promotion failed: StoreUnavailable",
        },
    ]

    assert check_history(timeline, events, "v0002").ok
    assert not check_history(timeline, events[:-1], "v0002").ok, "a withdrawal the registry never saw is caught"


def test_a_champion_move_missing_from_the_timeline_fails():
    timeline, events = story()
    events.append({"event": "alias-set", "alias": "champion", "version": "v0001"})  # e.g. a lost update

    check = check_history(timeline, events, "v0001")

    assert not check.ok
    assert "champions" in check.detail and "final champion" in check.detail


# against the real store ----------------------------------------------------------------
@pytest.mark.store
def test_audit_reads_the_store_back_and_catches_a_lost_batch(object_store: ObjectStore, store_layout: Layout, registry):
    writer = LakeWriter(object_store, store_layout)
    for tick in range(3):
        writer.submit("production", tick, pd.DataFrame({"row_id": [tick * 10 + i for i in range(5)], "tick": tick}))
    assert writer.flush() == 3
    timeline = Timeline("s", 1, "accuracy")

    clean = audit_run(object_store, store_layout, writer.produced, 0, timeline, registry.key)
    lost = store_layout.lake_batch("production", 1)
    object_store.delete(lost)
    damaged = audit_run(object_store, store_layout, writer.produced, 0, timeline, registry.key)

    assert clean.ok, clean.to_dict()
    assert not damaged.ok
    assert lost in damaged.summary()
