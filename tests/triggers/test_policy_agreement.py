"""The simulator and the cluster's trigger check apply one trigger policy: fed the same labelled-row
arrivals and the same promotion outcomes, they start runs on the same ticks with the same windows."""

from types import SimpleNamespace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ctsim.contract import DataContract
from ctsim.promote.trigger_job import Observations, decide, plan_launch
from ctsim.settings import TrainingSettings, TriggerSettings
from ctsim.sim.engine import Simulation
from ctsim.triggers import TriggerState, state_from_dict, state_to_dict
from ctsim.triggers.policy import TrainingWindow, training_window

pytestmark = pytest.mark.property

MIN_ROWS = 50


def simulator_runs(arrivals, promoted, triggers, training, label_delay):
    """Drive the engine's own ``_arbitrate``/``_trigger_decisions``/``_window`` tick by tick."""
    through: dict[str, int | None] = {"as_of": None}
    sim = SimpleNamespace(
        deployment=SimpleNamespace(champion="v1", canary_active=False),
        state=SimpleNamespace(retry_pending=False, triggers=TriggerState(), labelled_since_run=0),
        world=SimpleNamespace(relay=SimpleNamespace(is_down=False)),
        scenario=SimpleNamespace(
            bootstrap_tick=0,
            clock=None,
            triggers=triggers,
            training=training,
            data=SimpleNamespace(label_delay_ticks=label_delay),
        ),
        timeline=SimpleNamespace(add=lambda *args, **kwargs: None),
        progress=lambda *args: None,
    )
    sim._trigger_decisions = lambda tick, champion: Simulation._trigger_decisions(sim, tick, champion)
    sim._record = lambda version: SimpleNamespace(data_snapshot={"as_of_tick": through["as_of"]})
    sim._trained_through = lambda champion: Simulation._trained_through(sim, champion)
    runs = []
    for tick, rows in enumerate(arrivals):
        sim.state.labelled_since_run += rows
        arbitration = Simulation._arbitrate(sim, tick)
        if arbitration is not None and arbitration.fire:
            window = Simulation._window(sim, tick)
            sim.state.triggers = sim.state.triggers.after_run(tick)  # what ``_train`` records
            sim.state.labelled_since_run = 0
            if promoted[len(runs) % len(promoted)]:
                through["as_of"] = window.as_of_tick
            runs.append((tick, window))
    return runs


def cluster_runs(arrivals, promoted, triggers, training, label_delay):
    """Drive the trigger check's pure part tick by tick, its state saved and read back as in the store."""
    saved, through, runs = state_to_dict(TriggerState()), None, []
    for tick in range(len(arrivals)):
        state = state_from_dict(saved)
        since = 0 if state.last_run_tick is None else state.last_run_tick + 1
        obs = Observations(latest_tick=tick, new_labelled_rows=sum(arrivals[since : tick + 1]))
        decisions = decide(triggers, obs, DataContract(features=()))
        _, window = plan_launch(decisions, state, tick, triggers.cooldown_ticks, training, through, label_delay)
        if window is not None:
            saved = state_to_dict(state.after_run(tick))
            if promoted[len(runs) % len(promoted)]:
                through = window.as_of_tick
            runs.append((tick, window))
    return runs


trainings = st.one_of(
    st.just(TrainingSettings(strategy="full")),
    st.builds(lambda n: TrainingSettings(strategy="window", window_ticks=n), st.integers(1, 6)),
    st.just(TrainingSettings(strategy="incremental", model="sgd")),
)


@given(
    arrivals=st.lists(st.integers(0, 60), min_size=1, max_size=30),
    promoted=st.lists(st.booleans(), min_size=1, max_size=5),
    cooldown=st.integers(0, 4),
    training=trainings,
    label_delay=st.integers(0, 3),
)
def test_simulator_and_cluster_fire_on_the_same_ticks_with_the_same_windows(
    arrivals, promoted, cooldown, training, label_delay
):
    triggers = TriggerSettings.model_validate({"volume": {"min_new_rows": MIN_ROWS}, "cooldown_ticks": cooldown})
    simulated = simulator_runs(arrivals, promoted, triggers, training, label_delay)
    assert simulated == cluster_runs(arrivals, promoted, triggers, training, label_delay)
    ticks = [tick for tick, _ in simulated]
    assert all(later - earlier > cooldown for earlier, later in zip(ticks, ticks[1:]))  # the chosen cooldown rule


def test_the_issue_example_last_run_at_10_cooldown_2_fires_first_at_13():
    triggers = TriggerSettings.model_validate({"volume": {"min_new_rows": 1}, "cooldown_ticks": 2})
    arrivals = [0] * 10 + [5] * 6
    assert [t for t, _ in cluster_runs(arrivals, [True], triggers, TrainingSettings(), 1)] == [10, 13]


def test_the_incremental_window_reaches_back_by_the_label_delay():
    incremental = TrainingSettings(strategy="incremental", model="sgd")
    assert training_window(incremental, 9, 4, label_delay_ticks=1) == TrainingWindow(4, 9, 9)
    assert training_window(incremental, 9, 4, label_delay_ticks=0) == TrainingWindow(5, 9, 9)
    assert training_window(incremental, 9, None, label_delay_ticks=1) == TrainingWindow(0, 9, 9)
    assert training_window(TrainingSettings(strategy="window", window_ticks=3), 9, 4, 1) == TrainingWindow(7, 9, 9)


def test_a_saved_state_from_an_earlier_trigger_check_reads_back():
    assert state_from_dict({"last_trained_tick": -1}) == TriggerState()
    assert state_from_dict({"last_trained_tick": 7}) == TriggerState(7)
    assert state_from_dict(state_to_dict(TriggerState(3))) == TriggerState(3)
