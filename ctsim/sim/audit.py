"""The end-of-run audit: nothing lost, nothing half-done, and the story agrees with the store.

Three checks, each a pure function of what was gathered from the store:

- lake: every batch the scenario produced is in the lake exactly once, byte for byte, and
  nothing else is there;
- aliases: every alias points at a complete version whose artifact matches its sha256, and no
  alias ever pointed at a version a crashed run left incomplete, and the canary alias never names the
  champion (a rollout stopped after its commit point, the champion write);
- history: the timeline's registrations, rollouts, canaries and rollbacks are the registry's own
  event log, in the same order, and the final champion is the same on both sides.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any

from ctsim.errors import CtsimError
from ctsim.registry import ALIASES, Registry
from ctsim.store import Layout, ObjectStore, sha256_hex
from ctsim.timeline import CANARY_WITHDRAWN, CHAMPION_MOVES, CanaryStarted, Registered, Timeline
from ctsim.trust import SigningKey

__all__ = ["Audit", "AuditCheck", "audit_run", "check_aliases", "check_history", "check_lake"]


@dataclass(frozen=True)
class AuditCheck:
    name: str
    ok: bool
    detail: str


@dataclass(frozen=True)
class Audit:
    checks: tuple[AuditCheck, ...]

    @property
    def ok(self) -> bool:
        return all(check.ok for check in self.checks)

    def summary(self) -> str:
        failed = [check for check in self.checks if not check.ok]
        if not failed:
            return "; ".join(check.detail for check in self.checks)
        return "; ".join(f"{check.name}: {check.detail}" for check in failed)

    def to_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "checks": [asdict(check) for check in self.checks]}


# pure checks -------------------------------------------------------------------
def check_lake(produced: dict[str, str], stored: dict[str, str], pending: int) -> AuditCheck:
    """``produced`` and ``stored`` map lake keys to the sha256 of their bytes."""
    missing = sorted(set(produced) - set(stored))
    unexpected = sorted(set(stored) - set(produced))
    altered = sorted(key for key in set(produced) & set(stored) if produced[key] != stored[key])
    problems = [
        f"{len(missing)} batches missing ({_first(missing)})" if missing else "",
        f"{len(unexpected)} objects nobody produced ({_first(unexpected)})" if unexpected else "",
        f"{len(altered)} batches differ from what was produced ({_first(altered)})" if altered else "",
        f"{pending} batches still buffered" if pending else "",
    ]
    problems = [problem for problem in problems if problem]
    if problems:
        return AuditCheck("lake", False, "; ".join(problems))
    return AuditCheck("lake", True, f"all {len(produced)} produced batches in the lake exactly once")


def check_aliases(
    pointers: dict[str, str], broken: dict[str, str], incomplete: list[str], ever_aliased: set[str]
) -> AuditCheck:
    """``pointers``: alias -> version now; ``broken``: version -> why it failed verification."""
    problems = [
        f"{alias} -> {version}: {broken[version]}" for alias, version in sorted(pointers.items()) if version in broken
    ]
    problems += [f"incomplete {version} was aliased" for version in incomplete if version in ever_aliased]
    if pointers.get("canary") is not None and pointers.get("canary") == pointers.get("champion"):
        problems.append(f"canary -> {pointers['canary']} is also the champion: a rollout stopped before clearing it")
    if problems:
        return AuditCheck("aliases", False, "; ".join(problems))
    shown = ", ".join(f"{alias} -> {version}" for alias, version in sorted(pointers.items())) or "no aliases set"
    left = (
        f"; {len(incomplete)} incomplete versions from crashed runs ({', '.join(incomplete)}), never aliased"
        if incomplete
        else ""
    )
    return AuditCheck("aliases", True, f"{shown}, all verified{left}")


def check_history(timeline: Timeline, registry_events: list[dict[str, Any]], champion: str | None) -> AuditCheck:
    """The timeline and the registry's event log tell the same story."""
    told = _story_from_timeline(timeline)
    recorded = _story_from_registry(registry_events)
    problems = [
        f"{part}: timeline says {told[part]}, registry says {recorded[part]}"
        for part in told
        if told[part] != recorded[part]
    ]
    last_rollout = told["champions"][-1] if told["champions"] else None
    if last_rollout != champion:
        problems.append(f"final champion: timeline says {last_rollout}, registry alias says {champion}")
    if problems:
        return AuditCheck("history", False, "; ".join(problems))
    return AuditCheck(
        "history",
        True,
        f"timeline matches the registry: {len(told['registered'])} registered, "
        f"{len(told['champions'])} champions, {len(told['canaries'])} canaries",
    )


def _story_from_timeline(timeline: Timeline) -> dict[str, list[str]]:
    """A failed promotion is a rollback here: the registry clears the canary alias for both."""
    events = timeline.events
    return {
        "registered": [e.version for e in events if isinstance(e, Registered)],
        "champions": [e.version for e in events if isinstance(e, CHAMPION_MOVES)],
        "canaries": [e.version for e in events if isinstance(e, CanaryStarted)],
        "rollbacks": [e.version for e in events if isinstance(e, CANARY_WITHDRAWN)],
    }


def _story_from_registry(events: list[dict[str, Any]]) -> dict[str, list[str]]:
    def versions(event: str, alias: str | None = None, exclude_reason: str | None = None) -> list[str]:
        return [
            e["version"]
            for e in events
            if e["event"] == event
            and (alias is None or e.get("alias") == alias)
            and (exclude_reason is None or e.get("reason") != exclude_reason)
        ]

    return {
        "registered": versions("registered"),
        "champions": versions("alias-set", "champion"),
        "canaries": versions("alias-set", "canary"),
        "rollbacks": versions("alias-cleared", "canary", exclude_reason="rolled out"),
    }


def _first(keys: list[str], shown: int = 3) -> str:
    return ", ".join(keys[:shown]) + (", …" if len(keys) > shown else "")


# gathering -----------------------------------------------------------------------
def audit_run(
    store: ObjectStore,
    layout: Layout,
    produced: dict[str, str],
    pending: int,
    timeline: Timeline,
    key: SigningKey | None = None,
) -> Audit:
    """Read the lake and the registry back from the store and run the three checks (``key``: the run's
    signing key, by default the one in the environment)."""
    registry = Registry(store, layout, key)
    try:
        stored = {key: sha256_hex(store.get(key).data) for key in store.list(layout.lake)}
        pointers = {alias: pointer.version for alias in ALIASES if (pointer := registry.alias(alias))}
        events = registry.events()
        incomplete = registry.incomplete_versions()
    except CtsimError as exc:
        return Audit((AuditCheck("store", False, f"could not read the store back: {exc}"),))
    ever_aliased = {event["version"] for event in events if event["event"] == "alias-set"}
    return Audit(
        (
            check_lake(produced, stored, pending),
            check_aliases(pointers, _broken(registry, pointers.values()), incomplete, ever_aliased),
            check_history(timeline, events, pointers.get("champion")),
        )
    )


def _broken(registry: Registry, versions: Iterable[str]) -> dict[str, str]:
    broken = {}
    for version in set(versions):
        try:
            registry.verify(version)
        except CtsimError as exc:
            broken[version] = str(exc)
    return broken
