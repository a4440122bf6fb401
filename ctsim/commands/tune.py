"""``ctsim tune SCENARIO --space FILE``: search trigger settings for the served-metric / cost trade-off."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import cast

from rich.console import Console, JustifyMethod
from rich.table import Table
from rich.text import Text

from ctsim.commands import positive_int


def register(commands: argparse._SubParsersAction) -> None:
    from ctsim.policy.policies import BUILTIN

    tune = commands.add_parser(
        "tune",
        help="search trigger settings: Pareto front of served metric vs retrains vs pipeline seconds",
        description="Replay the scenario once per trial with trigger settings an Optuna multi-objective sampler "
        "(TPE, seeded) draws from the space file, in parallel; print the Pareto front of mean served metric "
        "against retrains and pipeline seconds, the recommended policy for the goal, and its 'triggers:' block. "
        "Needs the 'tune' extra (pip install 'ctsim[tune]').",
    )
    tune.add_argument("scenario", help="shipped scenario name or path/to/scenario.yaml")
    tune.add_argument(
        "--space",
        type=Path,
        required=True,
        metavar="FILE",
        help="YAML: 'triggers:' whose settings are values, lists (choices) or {low, high[, log]} ranges",
    )
    tune.add_argument("--trials", type=positive_int, default=30, help="trials in the study, in all (default 30)")
    tune.add_argument(
        "--timeout",
        type=float,
        default=None,
        metavar="SECONDS",
        help="start no new batch of trials after this many seconds",
    )
    tune.add_argument("--resume", type=Path, default=None, metavar="DIR", help="continue the tuning run in DIR")
    tune.add_argument(
        "--goal",
        choices=("near-best", "budget"),
        default="near-best",
        help="near-best: fewest retrains within --within of the best served metric (default); "
        "budget: highest served metric with at most --max-retrains retrains",
    )
    tune.add_argument("--within", type=float, default=0.005, help="near-best's margin (default 0.005)")
    tune.add_argument("--max-retrains", type=int, default=None, metavar="N", help="budget's retrain budget")
    tune.add_argument(
        "--baselines",
        default=",".join(BUILTIN),
        metavar="NAMES",
        help=f"built-in policies replayed to compare against, comma-separated ('' for none; "
        f"default {','.join(BUILTIN)})",
    )
    tune.add_argument("--seed", type=int, default=None, help="the sampler's seed (default: the scenario's)")
    tune.add_argument("--plot", type=Path, default=None, metavar="PATH", help="write the front's plot (png/svg/pdf)")
    tune.add_argument("-j", "--jobs", type=positive_int, default=None, help="parallel trials (default: one per core)")
    tune.add_argument("--runner", choices=("subprocess", "docker"), default="subprocess", help="kfp.local runner")
    tune.add_argument("--runs-dir", type=Path, default=Path("runs"), help="where the tuning run goes (default: runs/)")
    tune.set_defaults(handler=tune_policies)


def tune_policies(args: argparse.Namespace, console: Console) -> int:
    from ctsim.errors import CtsimError
    from ctsim.policy.policies import BUILTIN
    from ctsim.policy.tune import run_tune, triggers_block, write_front_plot

    baselines = tuple(name for name in args.baselines.split(",") if name)
    unknown = [name for name in baselines if name not in BUILTIN]
    if unknown:
        raise CtsimError(f"--baselines must name built-in policies ({', '.join(BUILTIN)}). Got {', '.join(unknown)}.")
    if not 0 <= args.within < 1:
        raise CtsimError(f"--within must be between 0 and 1. Got {args.within} instead.")
    if args.timeout is not None and args.timeout <= 0:
        raise CtsimError(f"--timeout must be a positive number of seconds. Got {args.timeout} instead.")
    try:
        import optuna  # noqa: F401
    except ImportError:
        raise CtsimError("ctsim tune needs Optuna: pip install 'ctsim[tune]'") from None
    tuning = run_tune(
        args.scenario,
        args.space,
        args.trials,
        runs_dir=args.runs_dir,
        resume=args.resume,
        timeout=args.timeout,
        jobs=args.jobs,
        runner=args.runner,
        seed=args.seed,
        baselines=baselines,
        goal=args.goal,
        within=args.within,
        max_retrains=args.max_retrains,
        on_done=lambda r: console.print(f"  {r.name}: {_summary(r)}"),
    )
    console.print(format_front(tuning))
    rec = tuning.recommendation
    console.print(f"goal: {rec.statement}")
    if rec.choice is None:
        console.print("no policy meets the goal")
    else:
        if any(rec.choice is baseline for baseline in tuning.baselines):
            console.print(
                f"no trial did better than the built-in policy '{rec.choice.name}' on this goal; "
                "more trials (--resume) may"
            )
        console.print(
            f"recommended: {rec.choice.name} ({_summary(rec.choice)}); beats "
            f"{', '.join(rec.beats) or 'no built-in policy'}"
            + (f"; not better than {', '.join(rec.loses_to)}" if rec.loses_to else "")
        )
        console.print("paste into the scenario:")
        console.print(Text(triggers_block(rec.choice.triggers)))
    if args.plot is not None:
        console.print(f"plot {write_front_plot(tuning, args.plot)}")
    if tuning.stopped == "timeout":
        console.print(
            f"stopped at the timeout; continue with: ctsim tune {args.scenario} --space {args.space} "
            f"--trials {args.trials} --resume {tuning.directory}"
        )
    console.print(f"record {tuning.directory / 'tune.json'}")
    return 0 if rec.choice is not None else 1


def _summary(result) -> str:
    if result.objectives is None:
        return f"{result.status} {result.error}".strip()
    auc, retrains, seconds = result.objectives
    return f"served {auc:.4f}, {retrains} retrains, {seconds:.1f} pipeline s"


def format_front(tuning) -> Table:
    from ctsim.policy.tune import describe_triggers

    table = Table(
        title=f"Pareto front on {tuning.scenario} (seed {tuning.seed}): {len(tuning.front)} of "
        f"{len(tuning.trials)} trials; built-in policies below the line",
        title_justify="left",
        caption=f"served = mean served {tuning.metric} over ticks with labelled feedback; ★ = recommended",
        caption_justify="left",
    )
    for column, justify in (
        ("", "left"),
        ("policy", "left"),
        ("served", "right"),
        ("retrains", "right"),
        ("pipeline s", "right"),
        ("triggers", "left"),
    ):
        table.add_column(column, justify=cast(JustifyMethod, justify), no_wrap=column != "triggers")
    chosen = tuning.recommendation.choice
    rows = list(tuning.front) + [None] + list(tuning.baselines)
    for result in rows:
        if result is None:
            table.add_section()
            continue
        mark = Text("★", style="bold yellow") if chosen is not None and result.name == chosen.name else ""
        if result.objectives is None:
            table.add_row(mark, result.name, Text(result.status, style="bold magenta"), "", "", result.error)
            continue
        auc, retrains, seconds = result.objectives
        table.add_row(
            mark, result.name, f"{auc:.4f}", str(retrains), f"{seconds:.1f}", describe_triggers(result.triggers)
        )
    return table
