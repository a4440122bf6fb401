"""The team's container step: how many lake batches (and bytes) a training window holds, recorded as a step.

Runs inside the team image (tasks of a container component get the store through the environment, as on a
cluster: CTSIM_S3_ENDPOINT / CTSIM_S3_ACCESS_KEY / CTSIM_S3_SECRET_KEY / CTSIM_S3_BUCKET / CTSIM_S3_SECURE) and
writes its record to v2/artifacts/<namespace>/runs/<run_id>/steps/summarize-window.json, the pipeline
contract's way for a step to say what it did. ``--fail true``, or a window ending before ``--fail-before-tick``,
exits 3 before writing anything (a deliberately failing container task, for fault scenarios).
"""

from __future__ import annotations

import argparse
import json
import sys
import time

from ctsim.errors import CtsimError
from ctsim.store import Layout, ObjectStore, StoreConfig
from ctsim.store.layout import tick_of_key

STEP = "summarize-window"


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog=STEP)
    parser.add_argument("--namespace", required=True)
    parser.add_argument("--run-id", required=True)
    parser.add_argument("--first-tick", type=int, required=True)
    parser.add_argument("--last-tick", type=int, required=True)
    parser.add_argument("--fail", default="false", help="'true' exits 3 at once (a deliberately failing task)")
    parser.add_argument(
        "--fail-before-tick",
        type=int,
        default=-1,
        help="exit 3 at once while the window ends before this tick (a failure that later clears)",
    )
    return parser.parse_args(argv)


def summarize(store: ObjectStore, layout: Layout, first_tick: int, last_tick: int) -> dict[str, int]:
    keys = [
        key
        for key in store.list(layout.lake_source("production"))
        if (tick := tick_of_key(key)) is not None and first_tick <= tick <= last_tick
    ]
    return {"batches": len(keys), "ticks": len({tick_of_key(key) for key in keys})}


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    if args.fail.strip().lower() == "true" or args.last_tick < args.fail_before_tick:
        print(
            f"{STEP}: failing on purpose (--fail {args.fail}, --fail-before-tick {args.fail_before_tick})",
            file=sys.stderr,
        )
        return 3
    config = StoreConfig.from_env()
    if config is None:
        print(f"{STEP}: CTSIM_S3_ENDPOINT is not set; this task cannot find the object store", file=sys.stderr)
        return 2
    started = time.perf_counter()
    try:
        store, layout = ObjectStore(config), Layout(args.namespace)
        record = {
            "step": STEP,
            "first_tick": args.first_tick,
            "last_tick": args.last_tick,
            **summarize(store, layout, args.first_tick, args.last_tick),
        }
        record["seconds"] = round(time.perf_counter() - started, 4)
        store.put(
            layout.step_record(args.run_id, STEP),
            json.dumps(record, sort_keys=True).encode(),
            content_type="application/json",
        )
    except CtsimError as exc:
        print(f"{STEP}: {exc}", file=sys.stderr)
        return 1
    print(json.dumps(record, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
