"""Run the property suite against one scenario, programmatically, and collect one result per property.

Each property becomes a ``@given``-wrapped function with the active
hypothesis profile's settings (no example database, one bug per property, no
"explain" phase) and is called directly. When it fails, hypothesis has already
shrunk the input and replayed the smallest one last, so the exception is the
minimal counterexample's: its message says what the gate did, and its notes
hold the input as hypothesis prints it ("Falsifying example: ...").
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as Settings

from ctsim.errors import SettingError
from ctsim.testing.properties import PROPERTIES, GateSubject, Property, PropertyFailed, property_names

__all__ = ["PropertyResult", "Status", "load_subject", "run_property", "verify"]

Status = Literal["PASS", "FAIL", "WARN", "SKIP", "ERROR"]

# Every phase but "explain": its notes about covered lines mean nothing to a user reading a table.
_PHASES = (Phase.explicit, Phase.reuse, Phase.generate, Phase.target, Phase.shrink)
# Generated frames are large on purpose; a slow or large example is not a failed property.
_SUPPRESSED = (
    HealthCheck.too_slow,
    HealthCheck.data_too_large,
    HealthCheck.large_base_example,
    HealthCheck.filter_too_much,
)
_EXAMPLE_NOTE = re.compile(r"^(Falsifying|Failing)( explicit)? (example|test case)[^:]*:\s*", re.IGNORECASE)


@dataclass(frozen=True)
class PropertyResult:
    name: str
    claim: str
    status: Status
    counterexample: str = ""
    detail: str = ""

    @property
    def failed(self) -> bool:
        return self.status in ("FAIL", "ERROR")


def load_subject(name_or_path: str, tolerance: float | None = None) -> GateSubject:
    """The scenario's settings and data contract (replay files are read for their contract)."""
    from ctsim.scenario import loader
    from ctsim.scenario.data import open_source

    if tolerance is not None and not (0 <= tolerance <= 1):
        raise SettingError(f"The 'tolerance' setting of verify-gates must be between 0 and 1. Got {tolerance} instead.")
    from ctsim.sim.pipelines import check_pipeline

    path = loader.resolve(name_or_path)
    scenario = loader.load(str(path))
    check_pipeline(scenario, path)  # the gates under test are the ones this pipeline runs: it must load
    return GateSubject.of(scenario, open_source(scenario, path.parent).contract, tolerance)


def verify(subject: GateSubject, profile: Settings, only: Sequence[str] = ()) -> list[PropertyResult]:
    """Run every property (or those named in ``only``) and return their results in suite order."""
    unknown = sorted(set(only) - set(property_names()))
    if unknown:
        raise SettingError(
            f"The 'property' setting of verify-gates must be one of {', '.join(property_names())}. "
            f"Got {', '.join(repr(name) for name in unknown)} instead."
        )
    return [run_property(prop, subject, profile) for prop in PROPERTIES if not only or prop.name in only]


def run_property(prop: Property, subject: GateSubject, profile: Settings) -> PropertyResult:
    claim = prop.claim(subject)
    check = prop.build(subject)
    if isinstance(check, str):
        return PropertyResult(prop.name, claim, "SKIP", detail=check)
    examples = min(profile.max_examples, check.max_examples or math.inf)
    test = Settings(
        profile,
        max_examples=int(examples),
        database=None,
        deadline=None,
        report_multiple_bugs=False,
        phases=_PHASES,
        suppress_health_check=_SUPPRESSED,
        print_blob=False,
    )(given(**check.strategies)(check.body))
    try:
        test()
    except PropertyFailed as exc:
        return PropertyResult(prop.name, claim, "WARN" if prop.advisory else "FAIL", _falsifying(exc), str(exc))
    except Exception as exc:  # a crash inside ctsim on some input, or hypothesis could not generate any
        example = _falsifying(exc)
        status: Status = "FAIL" if example else "ERROR"
        return PropertyResult(prop.name, claim, status, example, f"{type(exc).__name__}: {exc}")
    return PropertyResult(prop.name, claim, "PASS")


def _falsifying(exc: BaseException) -> str:
    """The minimal input from hypothesis' note, as keyword arguments on one line."""
    for note in getattr(exc, "__notes__", ()):
        match = _EXAMPLE_NOTE.match(note)
        if match:
            call = note[match.end() :].strip()
            inner = call[call.find("(") + 1 : call.rfind(")")] if "(" in call else call
            return " ".join(line.strip() for line in inner.splitlines() if line.strip()).rstrip(",")
    return ""
