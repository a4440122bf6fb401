"""Regenerate the pinned kfp.local logs the runner's parser is tested on (tests/runners/fixtures/).

    PYTHONPATH=$PWD python tests/runners/make_kfp_logs.py

A tiny real pipeline, compiled and run by ``LocalRunner`` exactly as a scenario's is: one run whose two
tasks succeed, one whose second task fails. Rerun it when kfp changes and check the parser still agrees.
"""

# no "from __future__ import annotations": kfp reads the components' annotations as types

import shutil
import sys
import tempfile
from pathlib import Path

from kfp import compiler, dsl

HERE = Path(__file__).parent / "fixtures"


@dsl.component(base_image="python:3.11")
def first(x: int) -> int:
    return x + 1


@dsl.component(base_image="python:3.11")
def second(y: int, fail: bool) -> int:
    if fail:
        raise ValueError("asked to fail")
    return y * 2


@dsl.pipeline(name="tiny")
def tiny(x: int = 1, fail: bool = False):
    second(y=first(x=x).output, fail=fail)


def main() -> None:
    import kfp

    from ctsim.runners import LocalRunner, TaskProcesses

    with tempfile.TemporaryDirectory() as scratch:
        yaml = Path(scratch) / "tiny.yaml"
        compiler.Compiler().compile(tiny, str(yaml))
        runner = LocalRunner(yaml, Path(scratch) / "run", tasks=TaskProcesses(warm=False))
        for name, fail in (("succeeded", False), ("failed", True)):
            outcome = runner.run(name, {"x": 1, "fail": fail})
            target = HERE / f"kfp-{kfp.__version__}-{name}.log"
            shutil.copyfile(outcome.log_path, target)
            print(f"{target}: succeeded={outcome.succeeded} tasks={outcome.tasks}", file=sys.stderr)
        runner.close()


if __name__ == "__main__":
    main()
