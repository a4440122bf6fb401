"""Scripted faults, replayed for real against the pipeline and the store.

A fault event is armed at its tick and goes off once:

- ``store_down_during_step``: a thread follows the run's log and takes the store down (the outage
  relay stops answering) the moment kfp.local starts ``step``; it comes back after ``seconds`` or
  when the run ends. A short outage is absorbed by the step's bounded retry; a long one fails the run,
  which alerts and is retried on a later tick.
- ``crash_during_registration`` / ``torn_artifact_write``: a failpoint (``ctsim.failpoints``) armed in
  the environment of the next run's task processes.
- ``stale_alias_writer``: a second registry client reads the champion pointer at the fault's tick and,
  once the champion has moved on, tries to move it back with the pointer it read.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from ctsim import failpoints
from ctsim.errors import ConflictError, CtsimError
from ctsim.registry import AliasPointer, Registry
from ctsim.scenario.model import FaultEvent
from ctsim.sim.environment import scoped_environment
from ctsim.sim.follow import TaskFollower
from ctsim.store import OutageRelay

_FAILPOINT_OF = {
    "crash_during_registration": failpoints.CRASH_AFTER_ARTIFACT,
    "torn_artifact_write": failpoints.TORN_ARTIFACT_WRITE,
}
_RUN_FAULTS = ("store_down_during_step", *_FAILPOINT_OF)


@dataclass(frozen=True)
class StaleWrite:
    """What the stale writer's attempt came to."""

    refused: bool
    message: str


class FaultPlan:
    """The scenario's fault events, in tick order, each consumed once."""

    def __init__(self, events: list[FaultEvent]):
        self._run_faults = sorted((e for e in events if e.fault in _RUN_FAULTS), key=lambda e: e.at)
        self._stale_writers = sorted((e for e in events if e.fault == "stale_alias_writer"), key=lambda e: e.at)
        self._stale_pointer: AliasPointer | None = None

    def next_run_fault(self, tick: int) -> FaultEvent | None:
        """The earliest armed run fault (at <= tick), removed from the plan."""
        if self._run_faults and self._run_faults[0].at <= tick:
            return self._run_faults.pop(0)
        return None

    @contextlib.contextmanager
    def around_run(self, fault: FaultEvent | None, relay: OutageRelay, log_path: Path) -> Iterator[None]:
        if fault is None:
            yield
        elif fault.fault == "store_down_during_step":
            with _StepOutage(relay, log_path, fault.step, fault.seconds):
                yield
        else:
            with scoped_environment({failpoints.ENV: _FAILPOINT_OF[fault.fault]}):
                yield

    def stale_write(self, tick: int, registry: Registry) -> StaleWrite | None:
        """Read the champion pointer when a stale writer is armed; write with it once the champion moved."""
        if self._stale_pointer is None:
            if self._stale_writers and self._stale_writers[0].at <= tick:
                self._stale_pointer = registry.alias("champion")
                if self._stale_pointer is not None:
                    self._stale_writers.pop(0)
            return None
        current = registry.alias("champion")
        if current is None or current.etag == self._stale_pointer.etag:
            return None
        stale, self._stale_pointer = self._stale_pointer, None
        try:
            registry.set_alias("champion", stale.version, expected=stale, tick=tick, reason="stale writer")
        except ConflictError:
            return StaleWrite(
                True,
                f"a second writer tried to move champion back to {stale.version} with the pointer "
                f"it read earlier; refused (champion is {current.version})",
            )
        except CtsimError as exc:
            return StaleWrite(True, f"a second writer's stale move was refused: {exc}")
        return StaleWrite(
            False, f"a second writer moved champion back to {stale.version} with a stale pointer: lost update"
        )


class _StepOutage:
    """Take the store down when kfp.local starts ``step`` (seen in the run's log), for ``seconds``."""

    def __init__(self, relay: OutageRelay, log_path: Path, step: str, seconds: float):
        self.relay, self.step, self.seconds = relay, step, seconds
        self._run_over = threading.Event()
        self._outage: threading.Thread | None = None
        self._follower = TaskFollower(log_path, self._on_task)

    def __enter__(self) -> _StepOutage:
        self._follower.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self._follower.__exit__(*exc)
        self._run_over.set()
        if self._outage is not None:
            self._outage.join()
        if self.relay.is_down:
            self.relay.come_back()

    def _on_task(self, name: str) -> None:
        if name == self.step and self._outage is None:
            self.relay.go_down()
            self._outage = threading.Thread(target=self._end_outage, name="ctsim-step-outage", daemon=True)
            self._outage.start()

    def _end_outage(self) -> None:
        self._run_over.wait(self.seconds)
        self.relay.come_back()
