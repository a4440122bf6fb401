"""``ctsim scenarios`` and ``ctsim validate``: what is shipped, and whether a file is a valid scenario."""

from __future__ import annotations

import argparse

from rich.console import Console

from ctsim.errors import CtsimError


def register(commands: argparse._SubParsersAction) -> None:
    listing = commands.add_parser(
        "scenarios", help="list the shipped scenarios", description="List the shipped scenarios."
    )
    listing.set_defaults(handler=list_scenarios)
    validate = commands.add_parser(
        "validate",
        help="check a scenario file without running it",
        description="Check a scenario file: exit 0 if valid, 2 with file:line: key: message if not.",
    )
    validate.add_argument("scenario")
    validate.set_defaults(handler=validate_scenario)


def list_scenarios(args: argparse.Namespace, console: Console) -> int:
    from ctsim.scenario import loader

    names = loader.shipped_names()
    if not names:  # a broken install must not look like an empty catalogue
        raise CtsimError(f"{loader.SHIPPED_DIR}: no shipped scenarios found; the ctsim installation is incomplete")
    for name in names:
        scenario = loader.load(name)
        console.print(f"{name:<24} {scenario.description}", markup=False)
    return 0


def validate_scenario(args: argparse.Namespace, console: Console) -> int:
    from ctsim.scenario import loader, traffic
    from ctsim.scenario.data import open_source
    from ctsim.sim.pipelines import check_pipeline

    path = loader.resolve(args.scenario)
    scenario = loader.load(str(path))
    source = open_source(
        scenario, path.parent
    )  # a replay file's own problems (columns, target, times) are found here too
    for line in traffic.enforce(scenario, source, path):
        console.print(f"warning: {line}", markup=False)
    pipeline = check_pipeline(scenario, path)
    console.print(
        f"{args.scenario}: valid scenario '{scenario.name}' ({scenario.clock.ticks} ticks, "
        f"{len(scenario.events)} events, {len(scenario.expectations)} expectations); pipeline "
        f"{pipeline.label} meets the contract (sha256 {pipeline.sha256[:12]})"
    )
    return 0
