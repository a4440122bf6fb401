"""Policies: built-ins, YAML policy files with file:line errors, the rewritten scenario, the plan."""

import textwrap
from pathlib import Path

import pytest

from ctsim.errors import ScenarioError
from ctsim.policy.compare import plan
from ctsim.policy.policies import builtin_policy, load_policies, rewrite_scenario
from ctsim.scenario import loader

SHIPPED = Path(loader.SHIPPED_DIR)


def _write(tmp_path, text, name="policies.yaml"):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def test_each_builtin_policy_has_exactly_its_own_trigger_and_keeps_the_cooldown():
    scenario = loader.load("sudden-drift")
    for name in ("schedule", "volume", "drift", "performance"):
        triggers = builtin_policy(name, scenario, 400).applied_to(scenario)
        present = {kind for kind in ("schedule", "volume", "performance", "drift") if getattr(triggers, kind)}
        assert present == {name}
        assert triggers.cooldown_ticks == scenario.triggers.cooldown_ticks
    assert builtin_policy("volume", scenario, 400).triggers.volume.min_new_rows == 2800
    none = builtin_policy("none", scenario, 400).triggers
    assert not any((none.schedule, none.volume, none.performance, none.drift))
    with pytest.raises(ScenarioError, match="unknown built-in policy"):
        builtin_policy("hourly", scenario, 400)


def test_policies_file_is_validated_like_a_triggers_section(tmp_path):
    path = _write(
        tmp_path,
        """\
        eager:
          performance: {max_drop: 0.02}
          cooldown_ticks: 0
        mixed:
          drift:
            drift_share: 0.3
          schedule: {cron: "0 0 * * 1"}
        """,
    )
    eager, mixed = load_policies(path)
    assert eager.name == "eager" and eager.triggers.performance.max_drop == 0.02 and not eager.keeps_cooldown
    assert mixed.triggers.drift.drift_share == 0.3 and mixed.triggers.schedule and mixed.keeps_cooldown
    assert eager.applied_to(loader.load("sudden-drift")).cooldown_ticks == 0


@pytest.mark.parametrize(
    "text, expected",
    [
        (
            "fast:\n  performance:\n    max_drop: 3\n",
            ":3: fast.performance.max_drop: "
            "The 'max_drop' setting of the performance trigger must be at most 1.0. Got 3 instead.",
        ),
        (
            "fast:\n  drift: {}\n  perfromance: {}\n",
            ":3: fast.perfromance: unknown key 'perfromance'. Did you mean 'performance'?",
        ),
        (
            "ok: {}\nweekly:\n  schedule:\n    cron: every monday\n",
            ":4: weekly.schedule.cron: The 'cron' setting of the schedule trigger must be a five-field cron",
        ),
        ("fast: [performance]\n", ":1: fast: must be a triggers section (a mapping), got list"),
        ("- fast\n", ":1: a policies file must be a mapping"),
        ("fast: {performance: {max_drop: 0.1}\n", ": not valid YAML"),
        ("bad name:\n  drift: {}\n", ":1: bad name: a policy name must be"),
    ],
)
def test_a_bad_policies_file_names_file_line_and_key(tmp_path, text, expected):
    path = _write(tmp_path, text)
    with pytest.raises(ScenarioError) as caught:
        load_policies(path)
    assert str(caught.value).startswith(str(path)) and expected in str(caught.value)


def test_rewritten_scenario_loads_with_the_policy_and_without_expectations(tmp_path):
    path = SHIPPED / "sudden-drift.yaml"
    scenario = loader.load(str(path))
    policy = builtin_policy("performance", scenario, 400)
    copy = tmp_path / "copy.yaml"
    copy.write_text(rewrite_scenario(path, policy, scenario), encoding="utf-8")
    rewritten = loader.load(str(copy))
    assert rewritten.triggers == policy.applied_to(scenario)
    assert rewritten.expectations == ()
    assert rewritten.model_dump(exclude={"triggers", "expectations"}) == scenario.model_dump(
        exclude={"triggers", "expectations"}
    )


def test_rewritten_replay_scenario_still_finds_its_file(tmp_path):
    path = SHIPPED / "river-phishing.yaml"
    scenario = loader.load(str(path))
    copy = tmp_path / "elsewhere" / "copy.yaml"
    copy.parent.mkdir()
    copy.write_text(rewrite_scenario(path, builtin_policy("drift", scenario, 78), scenario), encoding="utf-8")
    rewritten = loader.load(str(copy))
    assert Path(rewritten.data.replay.path).is_absolute() and Path(rewritten.data.replay.path).is_file()


def test_plan_rejects_repeated_or_too_few_policies_before_writing(tmp_path):
    with pytest.raises(ScenarioError, match="more than once"):
        plan("sudden-drift", ["drift", "drift"])
    with pytest.raises(ScenarioError, match="at least two policies"):
        plan("sudden-drift", ["drift"])
    clash = _write(tmp_path, "drift:\n  drift: {drift_share: 0.2}\n")
    with pytest.raises(ScenarioError, match="more than once"):
        plan("sudden-drift", ["drift", "schedule"], clash)
    policies = _write(tmp_path, "both:\n  drift: {}\n  performance: {}\n", "b.yaml")
    planned = plan("concept-drift", ["drift", "performance"], policies)
    assert [p.name for p in planned.policies] == ["drift", "performance", "both"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["b.yaml", "policies.yaml"], "planning writes nothing"


def test_the_volume_policy_asks_for_seven_ticks_of_the_scenarios_own_rows():
    assert plan("sudden-drift", ["volume", "drift"]).policies[0].triggers.volume.min_new_rows == 7 * 400
    assert plan("river-phishing", ["volume", "drift"]).policies[0].triggers.volume.min_new_rows == 7 * 78


def test_compare_command_rejects_bad_input_with_exit_2_and_writes_nothing(tmp_path, capsys):
    from ctsim.cli import main

    bad = _write(tmp_path, "eager:\n  performance:\n    max_drop: 3\n")
    runs = tmp_path / "runs"
    assert main(["compare", "concept-drift", "--policy", "drift", "--policies", str(bad), "--runs-dir", str(runs)]) == 2
    assert f"{bad}:3: eager.performance.max_drop" in capsys.readouterr().err
    assert (
        main(["compare", "no-such-scenario", "--policy", "drift", "--policy", "schedule", "--runs-dir", str(runs)]) == 2
    )
    with pytest.raises(SystemExit) as refused:  # argparse: usage, the reason, exit 2
        main(
            [
                "compare",
                "concept-drift",
                "--policy",
                "drift",
                "--policy",
                "schedule",
                "-j",
                "0",
                "--runs-dir",
                str(runs),
            ]
        )
    assert refused.value.code == 2 and "must be at least 1. Got 0" in capsys.readouterr().err
    assert not runs.exists()
