"""Per-task wall time in containers vs subprocesses, measured side by side in one process on one machine.

    python ci/docker-vs-subprocess.py [scenario]      # default: bad-model (needs ci/docker-setup.sh done)

Runs the scenario once with each runner (same seed, same embedded S3), reads each task's wall time from
kfp.local's logs (``Executing task`` to ``finished with status``) and prints a Markdown table for the README.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from ctsim.runners import parse_task_timings
from ctsim.sim import run_scenario


def task_seconds(run_dir: Path) -> dict[str, list[float]]:
    seconds: dict[str, list[float]] = defaultdict(list)
    for log in sorted((run_dir / "logs").glob("*.log")):
        for timing in parse_task_timings(log.read_text(encoding="utf-8")):
            seconds[timing.task].append(timing.seconds)
    return seconds


def main(scenario: str = "bad-model") -> None:
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for runner in ("subprocess", "docker"):
            started = time.perf_counter()
            result = run_scenario(scenario, runs_dir=Path(tmp) / runner, runner=runner)
            results[runner] = (task_seconds(result.run_dir), time.perf_counter() - started, result.verdict.passed)
    sub, docker = results["subprocess"][0], results["docker"][0]
    print(f"| task ({scenario}) | runs | subprocess median s | docker median s |")
    print("|---|---|---|---|")
    for task in sub:
        print(f"| {task} | {len(sub[task])} | {statistics.median(sub[task]):.2f} | {statistics.median(docker.get(task, [0.0])):.2f} |")
    for runner, (_, wall, passed) in results.items():
        print(f"\n{runner}: scenario wall {wall:.1f} s, verdict {'PASS' if passed else 'FAIL'}", end="")
    print()


if __name__ == "__main__":
    main(*sys.argv[1:])
