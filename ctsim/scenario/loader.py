"""Loading scenario files: YAML in, a validated Scenario out, or one clear error.

Errors read ``file:line: key.path: what was expected`` so the user can jump
straight to the problem; the line comes from the YAML node of the key.

Hostile files are refused before they cost anything: the file's size, the
nesting depth and integer literals are checked on the YAML event stream (no
tree built yet), the document's size with every alias expanded on the node
tree (an alias bomb is small as nodes, enormous as data), then the number of
events and the data volume the scenario would generate.
"""

from __future__ import annotations

import difflib
import math
import reprlib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from ctsim._data import SCENARIOS
from ctsim.contract import ColumnKind
from ctsim.drift._measures import check_method
from ctsim.errors import ScenarioError, SettingError
from ctsim.scenario.checks import task_problems
from ctsim.scenario.model import BadDataEvent, DriftEvent, Scenario, TrafficSpikeEvent

Loc = tuple[str | int, ...]

# Shipped scenarios are package data (a wheel holds them); ``scenarios/`` in a clone links here.
SHIPPED_DIR = SCENARIOS


# Bounds on a scenario file, each refused in one line (see ``check_bounds``, ``volume_problems``).
MAX_FILE_BYTES = 256 * 1024
MAX_DEPTH = 32
MAX_NODES = 50_000  # YAML nodes with every alias expanded
MAX_INT_DIGITS = 20
MAX_EVENTS = 1_000
MAX_EXPECTATIONS = 1_000
MAX_ROWS_PER_TICK = 2_000_000
# Generated values over the whole run (rows × columns): the lake is written a tick at a time, so this bounds the
# run's work and disk, not memory (the bench's 10-million-row scenario, 1.2e8 values, peaks under 500 MB).
MAX_CELLS = 200_000_000
_EXTRA_COLUMNS = 3  # row id, tick, label
_SafeBase: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when present: ~50x faster


class _Loader(_SafeBase):
    """Safe YAML without implicit timestamps: dates stay text and pydantic validates them with their key and line."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_INT_TAG = "tag:yaml.org,2002:int"


def resolve(name_or_path: str) -> Path:
    """A path to a file, or a shipped scenario by name (``baseline``, ``faults/fault-gauntlet``).

    A path that exists wins, so a user's own ``baseline.yaml`` or folder is never shadowed by a shipped name.
    """
    path = Path(name_or_path)
    if path.suffix in (".yaml", ".yml") or path.exists():
        if not path.is_file():
            raise ScenarioError(f"{name_or_path}: no such scenario file")
        return path
    shipped = SHIPPED_DIR / f"{name_or_path}.yaml"
    if shipped.is_file():
        return shipped
    known = shipped_names()
    hint = difflib.get_close_matches(name_or_path, known, n=1)
    suggestion = f" Did you mean '{hint[0]}'?" if hint else ""
    raise ScenarioError(
        f"No scenario named '{name_or_path}'.{suggestion} Shipped scenarios: {', '.join(known)}; "
        "or give a path to a .yaml file."
    )


def shipped_names() -> list[str]:
    """Every shipped scenario, by the name ``resolve`` takes: the path below the shipped folder, without ``.yaml``."""
    return sorted(path.relative_to(SHIPPED_DIR).with_suffix("").as_posix() for path in SHIPPED_DIR.rglob("*.yaml"))


def load(name_or_path: str) -> Scenario:
    path = resolve(name_or_path)
    return parse(read_text(path, "scenario"), str(path))


def read_text(path: Path, what: str) -> str:
    """A YAML file's text, read no further than ``MAX_FILE_BYTES``; ``what`` names it in the one-line error
    (scenario, policies, space: every file ctsim parses as YAML is bounded alike)."""
    try:
        with path.open("rb") as handle:
            raw = handle.read(MAX_FILE_BYTES + 1)  # never more than the limit, whatever the file's size
        if len(raw) > MAX_FILE_BYTES:
            raise ScenarioError(
                f"{path}: the {what} file is larger than {MAX_FILE_BYTES} bytes "
                f"({path.stat().st_size} bytes); scenarios describe data, they do not hold it"
            )
        return raw.decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError(
            f"{path}: cannot read the {what} file ({type(exc).__name__}: "
            f"{_clipped(getattr(exc, 'strerror', None) or exc)})"
        ) from None


def read_yaml(text: str, source: str) -> tuple[yaml.Node | None, Any]:
    """The document and its node tree (which knows every key's line); bad YAML is a ScenarioError at its line."""
    if len(text.encode("utf-8", errors="replace")) > MAX_FILE_BYTES:
        raise ScenarioError(f"{source}: the scenario is larger than {MAX_FILE_BYTES} bytes")
    try:
        check_bounds(text, source)
        loader = _Loader(text)
        try:
            root = loader.get_single_node()
            _check_expanded_size(root, source)
            return root, loader.construct_document(root) if root is not None else None
        finally:
            loader.dispose()
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{source}:{mark.line + 1}" if mark else source
        problem = getattr(exc, "problem", None) or str(exc)
        raise ScenarioError(f"{where}: not valid YAML: {_clipped(problem)}") from None


def check_bounds(text: str, source: str) -> None:
    """Depth and integer size, read off the event stream before any tree exists (deep trees overflow the stack)."""
    depth = 0
    for event in yaml.parse(text, Loader=_Loader):
        if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
            depth += 1
            if depth > MAX_DEPTH:
                raise ScenarioError(
                    f"{source}:{event.start_mark.line + 1}: the document nests deeper than {MAX_DEPTH} levels"
                )
        elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
            depth -= 1
        elif isinstance(event, yaml.ScalarEvent) and event.implicit[0] and _is_long_int(event.value):
            raise ScenarioError(
                f"{source}:{event.start_mark.line + 1}: an integer of {len(event.value)} characters; "
                f"numbers in a scenario have at most {MAX_INT_DIGITS} digits"
            )


def _is_long_int(value: str) -> bool:
    return len(value) > MAX_INT_DIGITS and _Loader.resolve(_Loader, yaml.ScalarNode, value, (True, False)) == _INT_TAG


def _check_expanded_size(root: yaml.Node | None, source: str) -> None:
    """Refuse a document whose aliases expand past MAX_NODES (a billion-laughs bomb is a few hundred nodes)."""
    sizes: dict[int, int] = {}

    def size(node: yaml.Node) -> int:
        known = sizes.get(id(node))
        if known is not None:
            return known
        children: list[yaml.Node] = []
        if isinstance(node, yaml.SequenceNode):
            children = node.value
        elif isinstance(node, yaml.MappingNode):
            children = [part for pair in node.value for part in pair]
        total = 1 + sum(min(size(child), MAX_NODES + 1) for child in children)
        sizes[id(node)] = total = min(total, MAX_NODES + 1)
        return total

    if root is not None and size(root) > MAX_NODES:
        raise ScenarioError(
            f"{source}:1: the document expands to more than {MAX_NODES} values (aliases included); "
            "a scenario needs far fewer"
        )


def parse(text: str, source: str = "<scenario>") -> Scenario:
    root, document = read_yaml(text, source)
    if not isinstance(document, dict):
        raise ScenarioError(
            f"{source}:1: a scenario must be a mapping of keys (name, clock, data, ...); got {type(document).__name__}"
        )
    for key, limit in (("events", MAX_EVENTS), ("expectations", MAX_EXPECTATIONS)):
        entries = document.get(key)
        if isinstance(entries, list) and len(entries) > limit:
            raise ScenarioError(f"{where(source, root, (key,))}: {key}: {len(entries)} entries; at most {limit}")
    try:
        scenario = Scenario.model_validate(document)
    except ValidationError as exc:
        raise ScenarioError(describe(exc, root, source)) from None
    problems = cross_check(scenario, Path(source).parent) + volume_problems(scenario)
    if problems:
        raise ScenarioError(
            "\n".join(f"{where(source, root, loc)}: {dotted(loc)}: {message}" for loc, message in problems)
        )
    return scenario


def cross_check(scenario: Scenario, base_dir: Path) -> list[tuple[Loc, str]]:
    """Rules that span sections: ticks inside the clock, names that exist, files that are there."""
    ticks = scenario.clock.ticks
    problems: list[tuple[Loc, str]] = []
    if scenario.bootstrap_tick >= ticks:
        problems.append(
            (("bootstrap_tick",), f"must be below clock.ticks ({ticks}). Got {scenario.bootstrap_tick} instead.")
        )
    features = _feature_names(scenario)
    for index, event in enumerate(scenario.events):
        if event.at >= ticks:
            problems.append((("events", index, "at"), f"must be below clock.ticks ({ticks}). Got {event.at} instead."))
        named = (event.features or ()) if isinstance(event, DriftEvent) else ()
        if isinstance(event, DriftEvent) and features is not None:
            numeric = [name for name in features if name.startswith("x")]
            problems += [
                (
                    ("events", index, "features"),
                    f"a drift event shifts numeric features only ({', '.join(numeric)}). Got '{_shown(name)}' instead.",
                )
                for name in named
                if name in features and name not in numeric
            ]
        named += (event.column,) if isinstance(event, BadDataEvent) and event.column else ()
        for name in named:
            if features is not None and name not in features:
                problems.append(
                    (
                        ("events", index),
                        f"names feature '{_shown(name)}', which the data does not have "
                        f"(features: {', '.join(features)}).",
                    )
                )
    for index, expectation in enumerate(scenario.expectations):
        window = getattr(expectation, "within", None)
        if window and not (window[0] <= window[1] < ticks):
            problems.append(
                (
                    ("expectations", index, "within"),
                    f"must be [first, last] with first <= last < clock.ticks ({ticks}). Got {list(window)} instead.",
                )
            )
    if features is not None:
        kinds: set[ColumnKind] = {"categorical" if name == "segment" else "numeric" for name in features}
        problems += drift_method_problems(scenario, kinds)
    problems += task_problems(scenario)
    replay = scenario.data.replay
    if replay is not None and not (base_dir / replay.path).is_file() and not Path(replay.path).is_file():
        problems.append((("data", "replay", "path"), f"no such file: {replay.path} (relative to the scenario file)"))
    return problems


def volume_problems(scenario: Scenario) -> list[tuple[Loc, str]]:
    """The generated data must fit: rows at the busiest tick and values over the run, growth and spikes included.

    Computed in log space, so exponential growth over thousands of ticks is a number, not an overflow.
    """
    generator = scenario.data.generator
    if generator is None:
        return []
    ticks = scenario.clock.ticks
    spikes = [0.0] * (ticks + 1)  # a difference array of log factors: O(events + ticks)
    for event in scenario.events_of(TrafficSpikeEvent):
        if event.at < ticks:
            spikes[event.at] += math.log(event.factor)
            spikes[min(ticks, event.at + event.ticks if event.ticks else ticks)] -= math.log(event.factor)
    columns = generator.numeric_features + int(generator.categorical) + _EXTRA_COLUMNS
    peak_rows, peak_tick, cells, spike = 0.0, 0, 0.0, 0.0
    for tick in range(ticks):
        spike += spikes[tick]
        rows = _exp(math.log(generator.rows_per_tick) + generator.growth.log_scale(tick) + spike)
        if rows > peak_rows:
            peak_rows, peak_tick = rows, tick
        cells += (rows + generator.external_rows_per_tick) * columns
    # One problem, the first limit hit: a busiest tick over the limit always overflows the run's total too.
    if peak_rows > MAX_ROWS_PER_TICK:
        return [
            (
                ("data", "generator", "rows_per_tick"),
                f"tick {peak_tick} would generate {_amount(peak_rows)} rows (growth and traffic spikes included); "
                f"at most {MAX_ROWS_PER_TICK} rows per tick",
            )
        ]
    if cells > MAX_CELLS:
        return [
            (
                ("data", "generator"),
                f"the run would generate {_amount(cells)} values ({columns} columns over {ticks} ticks, growth "
                f"and traffic spikes included); at most {MAX_CELLS:.3g}",
            )
        ]
    return []


def _exp(log_value: float) -> float:
    return math.exp(log_value) if log_value < 700 else math.inf


def _amount(value: float) -> str:
    return f"{value:.3g}" if math.isfinite(value) else "more than 1e+300"


def drift_method_problems(scenario: Scenario, kinds: Iterable[ColumnKind]) -> list[tuple[Loc, str]]:
    """A drift method must suit every kind of column the data has (KS cannot judge a category)."""
    drift = scenario.triggers.drift
    if drift is None:
        return []
    problems: list[tuple[Loc, str]] = []
    for kind in sorted(set(kinds)):
        try:
            check_method(kind, drift.method)
        except SettingError as exc:
            problems.append((("triggers", "drift", "method"), str(exc)))
    return problems


def _feature_names(scenario: Scenario) -> list[str] | None:
    generator = scenario.data.generator
    if generator is None:
        return None
    names = [f"x{i}" for i in range(generator.numeric_features)]
    return names + (["segment"] if generator.categorical else [])


def describe(
    exc: ValidationError, root: yaml.Node | None, source: str, model_path: Loc = (), document_path: Loc = ()
) -> str:
    """One ``file:line: key.path: message`` line per problem. ``model_path`` places the validated part inside
    a Scenario (to name the right settings); ``document_path`` places it inside the YAML document."""
    lines = []
    for error in exc.errors(include_url=False):
        loc, owner = _resolve((*model_path, *error["loc"]))
        shown = (*document_path, *loc[len(model_path) :])
        lines.append(f"{where(source, root, shown)}: {dotted(shown) or '(top level)'}: {_message(error, loc, owner)}")
    return "\n".join(dict.fromkeys(lines))


def _message(error: ErrorDetails, loc: Loc, owner: type[BaseModel] | None) -> str:
    kind, ctx, got = error["type"], error.get("ctx", {}), error.get("input")
    key = _shown(loc[-1]) if loc else "value"
    setting = f"The '{key}' setting of the {getattr(owner, 'label', 'scenario')}"
    bounds = {
        "greater_than_equal": f"at least {ctx.get('ge')}",
        "greater_than": f"greater than {ctx.get('gt')}",
        "less_than_equal": f"at most {ctx.get('le')}",
        "less_than": f"less than {ctx.get('lt')}",
    }
    got = _Shown(got)
    if kind in bounds:
        return f"{setting} must be {bounds[kind]}. Got {got!r} instead."
    if kind == "missing":
        return f"'{key}' is required here."
    if kind == "extra_forbidden":
        allowed = sorted(owner.model_fields) if owner else []
        close = difflib.get_close_matches(key, allowed, n=1)
        hint = f" Did you mean '{close[0]}'?" if close else ""
        return f"unknown key '{key}'.{hint} Expected one of: {', '.join(allowed)}."
    if kind in ("literal_error", "enum"):
        return f"{setting} must be one of {ctx.get('expected')}. Got {got!r} instead."
    if kind == "union_tag_invalid":
        return f"unknown {ctx.get('discriminator')} {ctx.get('tag')!r}. Expected one of {ctx.get('expected_tags')}."
    if kind == "union_tag_not_found":
        return f"each entry needs the key {ctx.get('discriminator')} (which kind of entry it is)."
    if kind == "value_error":
        return str(ctx.get("error", error["msg"]))
    return f"{setting}: {error['msg'][0].lower()}{error['msg'][1:]}. Got {got!r} instead."


def _resolve(raw: Loc) -> tuple[Loc, type[BaseModel] | None]:
    """The document path of an error (without pydantic's union tags) and the model owning its last key."""
    model: Any = Scenario
    owner: Any = None
    loc: list[str | int] = []
    candidates: tuple[type[BaseModel], ...] = ()
    for part in raw:
        if isinstance(part, int):
            loc.append(part)
            continue
        tagged = [m for m in candidates if part in _tags(m)]
        if tagged:
            # A discriminated-union tag (e.g. 'drift' under events[0]): pick that member, not a document key.
            model, candidates = tagged[0], ()
            continue
        owner = model
        field = model.model_fields.get(part) if isinstance(model, type) and issubclass(model, BaseModel) else None
        loc.append(part)
        candidates = _models_in(field.annotation) if field else ()
        model = candidates[0] if len(candidates) == 1 else None
    if raw and isinstance(raw[-1], int) or (raw and model is not None and loc and loc[-1] != raw[-1]):
        owner = model
    return tuple(loc), owner if owner is not None else model


def _tags(model: type[BaseModel]) -> tuple[str, ...]:
    tags: tuple[str, ...] = ()
    for name in ("kind", "expect"):
        field = model.model_fields.get(name)
        if field is not None:
            tags += tuple(getattr(field.annotation, "__args__", ()))
    return tags


def _models_in(annotation: Any) -> tuple[type[BaseModel], ...]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return (annotation,)
    found: tuple[type[BaseModel], ...] = ()
    for arg in getattr(annotation, "__args__", ()) or ():
        found += _models_in(arg)
    return found


def where(source: str, root: yaml.Node | None, loc: Loc) -> str:
    """``file:line`` of the deepest key of ``loc`` found in the document (the key's own line)."""
    node = root
    line = node.start_mark.line + 1 if node is not None else 1
    for part in loc:
        found = _child(node, part)
        if found is None:
            break
        line, node = found
    return f"{source}:{line}"


def _child(node: yaml.Node | None, part: str | int) -> tuple[int, yaml.Node] | None:
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if key.value == str(part):
                return key.start_mark.line + 1, value
    if isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
        item = node.value[part]
        return item.start_mark.line + 1, item
    return None


def dotted(loc: Loc) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{_shown(part)}" if text else _shown(part))
    return text


def _shown(part: object) -> str:
    """A key as text; keys with line breaks or control characters are escaped so a message stays one line."""
    text = str(part)
    return text if text.isprintable() else repr(text)


_REPR = reprlib.Repr()  # keyword arguments only from Python 3.12
_REPR.maxstring, _REPR.maxother, _REPR.maxlist, _REPR.maxdict, _REPR.maxlevel = 60, 60, 4, 4, 2


class _Shown:
    """A bad value as a message shows it: short (a huge input is never repeated back) and on one line."""

    def __init__(self, value: object):
        self.value = value

    def __repr__(self) -> str:
        return _clipped(_REPR.repr(self.value))

    def __format__(self, spec: str) -> str:
        return repr(self)


def _clipped(text: object, limit: int = 160) -> str:
    """Text for a one-line message: control characters escaped, at most ``limit`` characters."""
    shown = str(text)
    shown = shown if shown.isprintable() else shown.encode("unicode_escape").decode("ascii")
    return shown if len(shown) <= limit else shown[:limit] + "…"


def locate(path: Path, loc: Loc) -> str:
    """``file:line`` of ``loc`` in a scenario file already loaded (for problems found after loading)."""
    try:
        root = yaml.compose(path.read_text(encoding="utf-8"), Loader=_Loader)
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        root = None
    return where(str(path), root, loc)
