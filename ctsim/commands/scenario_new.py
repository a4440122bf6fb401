"""``ctsim scenario new NAME [-o PATH]``: write a commented starting scenario that validates."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from rich.console import Console

NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")

TEMPLATE = """\
# {name}: a starting scenario written by `ctsim scenario new`. Edit the story, then
#   ctsim validate {path}      check it (file:line: key: message on any mistake)
#   ctsim run scenario {path}  replay it against the real pipeline and store
# Every key is optional except name; README.md "The scenario language" lists them all.
name: {name}
description: A sudden covariate drift at tick 10; the drift trigger retrains and the canary rolls out.
seed: 1                          # one seed, one timeline: same seed, same events
clock:
  start: 2026-03-02T00:00:00     # a Monday
  tick: 1d                       # 30m, 6h, 1d, 1w
  ticks: 20
data:
  generator:                     # or replay: {{path: data.csv, time_column: ts, target_column: label}}
    numeric_features: 6          # x0..x5
    informative_features: 3      # x0..x2 carry the signal
    rows_per_tick: 300
    label_delay_ticks: 1         # feedback (labels) arrives this many ticks after serving
bootstrap_tick: 2                # the first model is trained here
events:                          # drift, concept_drift, label_shift, bad_data, bad_model, outage, traffic_spike
  - kind: drift
    at: 10
    shape: sudden                # sudden | gradual (ramp_ticks) | recurring (period_ticks)
    shift: 2.0                   # in standard deviations
    features: [x0, x1, x2, x3]
triggers:                        # schedule (cron), volume, performance, drift; cooldown between runs
  drift:
    method: auto                 # Evidently's defaults: KS / Wasserstein, chi-square / Jensen-Shannon
    drift_share: 0.5
  performance:
    max_drop: 0.1                # live metric this far below the champion's reference fires
    window_ticks: 2
  cooldown_ticks: 2
gates:
  data:
    min_rows: 200
  model:
    metric: accuracy             # accuracy | f1 | roc_auc
    min_value: 0.7
    max_regression: 0.02         # against the champion on the same fresh holdout
canary:
  step_weight: 50
  max_weight: 50
  min_samples: 50
training:
  strategy: window               # full | window | incremental (model: sgd)
  window_ticks: 3
expectations:                    # what must hold for exit code 0
  - expect: trigger_fires
    trigger: drift
    within: [10, 12]
  - expect: rollback
    happens: false
  - expect: promotions
    at_least: 1
  - expect: final_champion_metric
    at_least: 0.8
"""


def register(commands: argparse._SubParsersAction) -> None:
    scenario = commands.add_parser(
        "scenario", help="work with scenario files (new)", description="Work with scenario files."
    )
    actions = scenario.add_subparsers(dest="action", required=True, metavar="ACTION")
    new = actions.add_parser(
        "new",
        help="write a commented starting scenario",
        description="Write a commented starting scenario that validates; never overwrites a file.",
    )
    new.add_argument("name", help="scenario name (letters, digits, '.', '_', '-')")
    new.add_argument("-o", "--output", type=Path, default=None, help="where to write it (default: ./NAME.yaml)")
    new.set_defaults(handler=new_scenario)


def render(name: str, path: Path) -> str:
    return TEMPLATE.format(name=name, path=path)


def new_scenario(args: argparse.Namespace, console: Console) -> int:
    from ctsim.errors import CtsimError, ScenarioError

    if not NAME.match(args.name):
        raise ScenarioError(
            f"The scenario name must be 1-64 letters, digits, '.', '_' or '-', starting with a letter "
            f"or digit. Got {args.name!r} instead."
        )
    path = args.output or Path(f"{args.name}.yaml")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "x", encoding="utf-8") as handle:  # 'x': refuse to overwrite, atomically
            handle.write(render(args.name, path))
    except FileExistsError:
        raise CtsimError(f"{path} already exists; not overwriting it. Choose another path with -o.") from None
    except OSError as exc:
        raise CtsimError(f"cannot write {path}: {exc}") from exc
    console.print(f"wrote {path}; check it with: ctsim validate {path}")
    return 0
