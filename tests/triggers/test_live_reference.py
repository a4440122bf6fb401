"""The performance trigger's live reference: the champion's own live metric over its first labelled ticks."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ctsim.settings import PerformanceTriggerSettings
from ctsim.triggers import LiveScore, performance_decision
from ctsim.triggers.decisions import live_reference

scores = st.lists(
    st.builds(
        LiveScore, st.integers(0, 300), st.one_of(st.floats(0, 1), st.just(math.nan)), st.sampled_from(["v1", "v2"])
    ),
    max_size=30,
)


@pytest.mark.property
@given(live=scores, window=st.integers(1, 5), min_samples=st.integers(1, 600))
def test_the_reference_is_the_weighted_mean_of_the_champions_first_labelled_ticks(live, window, min_samples):
    settings = PerformanceTriggerSettings(window_ticks=window, min_samples=min_samples, reference="live")
    reference = live_reference(settings, live, "v2")

    own = [s for s in live if s.version == "v2" and s.samples > 0 and math.isfinite(s.value)][:window]
    if len(own) < window or sum(s.samples for s in own) < min_samples:
        assert reference is None
        return
    assert reference == pytest.approx(sum(s.samples * s.value for s in own) / sum(s.samples for s in own))
    assert min(s.value for s in own) - 1e-9 <= reference <= max(s.value for s in own) + 1e-9
    # later ticks never move it: it is what traffic looked like when the champion took over
    later = [*live, LiveScore(500, 0.0, "v2"), LiveScore(500, 1.0, "v2")]
    assert live_reference(settings, later, "v2") == reference


def test_a_drop_from_the_live_reference_fires_and_the_first_ticks_alone_do_not():
    settings = PerformanceTriggerSettings(window_ticks=2, min_samples=100, max_drop=0.05, reference="live")
    first = [LiveScore(80, 0.90, "v1"), LiveScore(80, 0.88, "v1")]
    reference = live_reference(settings, first, "v1")
    assert reference == pytest.approx(0.89)
    assert not performance_decision(settings, first, reference, champion="v1").fired
    later = [*first, LiveScore(80, 0.80, "v1"), LiveScore(80, 0.82, "v1")]
    assert performance_decision(settings, later, live_reference(settings, later, "v1"), champion="v1").fired
    assert live_reference(settings, first[:1], "v1") is None  # one tick of two: no reference, no decision
