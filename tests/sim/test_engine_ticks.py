"""The engine's tick logic without a pipeline: what ``_arbitrate`` decides from the deployment, the retry flag,
the store and the shared trigger policy, and what it puts on the timeline."""

from types import SimpleNamespace

import pytest

from ctsim.settings import TrainingSettings, TriggerSettings
from ctsim.sim.engine import Simulation
from ctsim.timeline import Timeline, TriggerFired, TriggerHeld
from ctsim.triggers import TriggerState


def engine(
    *,
    champion="v1",
    canary_active=False,
    retry=False,
    store_down=False,
    rows=0,
    last_run=None,
    cooldown=2,
    bootstrap_tick=3,
    trained_through=None,
    training=TrainingSettings(),
    label_delay=1,
):
    """The state ``_arbitrate``/``_window`` read, around the engine's own methods."""
    triggers = TriggerSettings.model_validate({"volume": {"min_new_rows": 10}, "cooldown_ticks": cooldown})
    sim = SimpleNamespace(
        deployment=SimpleNamespace(champion=champion, canary_active=canary_active),
        state=SimpleNamespace(retry_pending=retry, triggers=TriggerState(last_run), labelled_since_run=rows),
        world=SimpleNamespace(relay=SimpleNamespace(is_down=store_down)),
        scenario=SimpleNamespace(
            bootstrap_tick=bootstrap_tick,
            clock=None,
            triggers=triggers,
            training=training,
            data=SimpleNamespace(label_delay_ticks=label_delay),
        ),
        timeline=Timeline("s", 0, "accuracy"),
        progress=lambda *args: None,
    )
    sim._trigger_decisions = lambda tick, champion: Simulation._trigger_decisions(sim, tick, champion)
    sim._record = lambda version: SimpleNamespace(data_snapshot={"as_of_tick": trained_through})
    sim._trained_through = lambda champion: Simulation._trained_through(sim, champion)
    return sim


@pytest.mark.parametrize("tick, fires", [(2, False), (3, True), (9, True)])
def test_without_a_champion_only_bootstrap_training_starts_from_bootstrap_tick(tick, fires):
    sim = engine(champion=None, rows=1000)  # a volume trigger would fire: it is not consulted yet
    arbitration = Simulation._arbitrate(sim, tick)
    assert (arbitration is not None and arbitration.fire) is fires
    if fires:
        assert arbitration.trigger == "bootstrap" and arbitration.reason.observed == tick
    assert not sim.timeline.events


def test_a_failed_run_is_retried_once_the_store_answers():
    assert Simulation._arbitrate(engine(retry=True), 5).trigger == "retry"
    down = Simulation._arbitrate(engine(retry=True, store_down=True), 5)
    assert not down.fire and down.trigger is None  # not retried into a store that is still down


def test_a_trigger_during_a_canary_is_held_and_says_so_on_the_timeline():
    sim = engine(canary_active=True, rows=50)
    arbitration = Simulation._arbitrate(sim, 7)
    assert not arbitration.fire and arbitration.suppressed == ("volume",)
    (event,) = sim.timeline.events
    assert isinstance(event, TriggerHeld) and event.trigger == "volume"
    assert event.held_by.rule == "no pipeline run or canary in progress" and event.held_by.observed == "busy"
    assert event.reasons and event.reasons[0].rule.startswith("new labelled rows")


@pytest.mark.parametrize("tick, fires", [(11, False), (12, False), (13, True)])
def test_the_cooldown_counts_from_the_last_run(tick, fires):
    sim = engine(rows=50, last_run=10, cooldown=2)
    assert Simulation._arbitrate(sim, tick).fire is fires
    assert [type(e) for e in sim.timeline.events] == [TriggerFired if fires else TriggerHeld]
    if not fires:
        (held,) = sim.timeline.events
        assert isinstance(held, TriggerHeld) and (held.held_by.observed, held.held_by.threshold) == (tick - 10, 2)


def test_a_quiet_tick_records_nothing():
    sim = engine(rows=9)
    assert not Simulation._arbitrate(sim, 5).fire and not sim.timeline.events


def test_the_window_follows_the_champions_data_not_the_last_run():
    incremental = TrainingSettings(strategy="incremental", model="sgd")
    window = Simulation._window(engine(training=incremental, trained_through=6, label_delay=2), 12)
    assert (window.first_tick, window.last_tick, window.as_of_tick) == (5, 12, 12)
    assert Simulation._window(engine(champion=None, training=incremental), 4).first_tick == 0


def canary_engine(decisions):
    """The state ``_analyse_canary`` reads: a deployment whose analysis returns ``decisions``, alerts recorded."""
    from ctsim.serving import CanaryTrial

    alerts = []
    sim = SimpleNamespace(
        deployment=SimpleNamespace(
            canary="v0002",
            state=SimpleNamespace(weight=0),
            trial=CanaryTrial(200, 200 * 0.9, 200 * 0.8),
            analyse=lambda observation, tick: decisions,
        ),
        timeline=Timeline("s", 0, "accuracy"),
        alerts=alerts,
    )
    sim._alert = lambda tick, kind, message: alerts.append((tick, kind, message))
    return sim


def test_a_failed_promotion_is_its_own_event_and_alert_not_a_rollback():
    from ctsim.gates import CanaryDecision
    from ctsim.reasons import Reason
    from ctsim.timeline import CanaryStepped, PromotionFailed, RolledBack

    failed = Reason("full rollout completed", "StoreUnavailable: store down", "completed", False)
    sim = canary_engine(
        [CanaryDecision("promote", Reason("checks passed", 3, 3, True)), CanaryDecision("promotion-failed", failed)]
    )
    Simulation._analyse_canary(sim, 9, SimpleNamespace(canary=None))
    promote, outcome = sim.timeline.events
    assert isinstance(promote, CanaryStepped) and promote.action == "promote"
    assert isinstance(outcome, PromotionFailed) and not sim.timeline.of(RolledBack)
    assert (outcome.version, outcome.reason, outcome.live_canary, outcome.live_champion, outcome.live_samples) == (
        "v0002",
        failed,
        0.9,
        0.8,
        200,
    )
    assert [(tick, kind) for tick, kind, _ in sim.alerts] == [(9, "canary-promotion-failed")]


def test_a_rollback_is_a_rollback_event_with_its_alert():
    from ctsim.gates import CanaryDecision
    from ctsim.reasons import Reason
    from ctsim.timeline import RolledBack

    sim = canary_engine([CanaryDecision("rollback", Reason("failed_checks < failure_threshold", 2, 2, False))])
    Simulation._analyse_canary(sim, 12, SimpleNamespace(canary=None))
    (event,) = sim.timeline.events
    assert isinstance(event, RolledBack) and event.reason.observed == 2
    assert [(tick, kind) for tick, kind, _ in sim.alerts] == [(12, "canary-rolled-back")]
