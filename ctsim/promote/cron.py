"""Five-field cron (ctsim, croniter) to KFP's six-field cron (robfig/cron with seconds). Pure.

KFP's scheduled workflows parse cron with a leading seconds field:
``second minute hour day-of-month month day-of-week``. ctsim's schedule trigger
is five-field croniter. The conversion prepends second ``0`` and rewrites what
the two dialects spell differently:

* day-of-week 7 means Sunday to croniter but is out of range for robfig (0-6):
  terms that reach 7 are expanded to explicit days with 7 written as 0;
* croniter extensions robfig lacks (``L``, ``W``, ``#``, descending ranges)
  and weekday ``N/step`` (croniter and robfig disagree on it) are refused with a clear message instead of
  deploying a schedule that fires
  at different instants.
"""

from __future__ import annotations

import re

from ctsim.errors import SettingError

# (name, low, high) of the five croniter fields, in order.
FIELDS = (("minute", 0, 59), ("hour", 0, 23), ("day-of-month", 1, 31), ("month", 1, 12), ("day-of-week", 0, 7))
_MONTHS = "jan feb mar apr may jun jul aug sep oct nov dec".split()
_DAYS = "sun mon tue wed thu fri sat".split()
_TERM = re.compile(r"^(?P<range>\*|\?|(?P<low>[0-9a-z]+)(?:-(?P<high>[0-9a-z]+))?)(?:/(?P<step>[0-9]+))?$")


def to_kfp_cron(cron: str) -> str:
    """``"0 3 * * 1"`` → ``"0 0 3 * * 1"``: the same instants, in KFP's six-field dialect."""
    fields = cron.split()
    if len(fields) != 5:
        raise SettingError(
            f"The schedule cron must have five fields (minute hour day month weekday). Got {cron!r} instead."
        )
    converted = [_field(value.lower(), spec, cron) for value, spec in zip(fields, FIELDS)]
    return " ".join(["0", *converted])


def _field(value: str, spec: tuple[str, int, int], cron: str) -> str:
    terms = [_term(term, spec, cron) for term in value.split(",")]
    return ",".join(terms)


def _term(term: str, spec: tuple[str, int, int], cron: str) -> str:
    name, low_bound, high_bound = spec
    match = _TERM.match(term)
    if not match:
        raise SettingError(
            f"The {name} field {term!r} of cron {cron!r} uses syntax KFP's scheduler does not accept "
            "(only *, ?, numbers, names, a-b ranges, /steps and lists)."
        )
    if match["range"] in ("*", "?"):
        return term
    low = _number(match["low"], name, cron)
    high = _number(match["high"], name, cron) if match["high"] else None
    for number in (low, high):
        if number is not None and not low_bound <= number <= high_bound:
            raise SettingError(
                f"The {name} field of cron {cron!r} must stay within {low_bound}-{high_bound}. Got {number}."
            )
    if name == "day-of-week" and high is None and match["step"]:
        raise SettingError(
            f"The {name} field of cron {cron!r} has {term!r}: croniter and KFP read 'N/step' "
            "weekdays differently; write it as a range, e.g. 1-5/2."
        )
    if name == "day-of-week" and low == high == 7:
        raise SettingError(
            f"The {name} field of cron {cron!r} has '7-7', which croniter reads as every day; write 0 or 7 for Sunday."
        )
    if high is not None and high < low:
        raise SettingError(f"The {name} field of cron {cron!r} has a descending range {term!r}; write it as a list.")
    if name == "day-of-week" and 7 in (low, high):
        return _expand_days(low, high, match["step"])
    return term


def _number(token: str, name: str, cron: str) -> int:
    if token.isdigit():
        return int(token)
    names = _MONTHS if name == "month" else _DAYS if name == "day-of-week" else []
    if token in names:
        return names.index(token) + (1 if name == "month" else 0)
    raise SettingError(f"The {name} field of cron {cron!r} has {token!r}, which is not a number or a known name.")


def _expand_days(low: int, high: int | None, step: str | None) -> str:
    """Day-of-week terms reaching 7 (croniter's second Sunday) as explicit robfig days 0-6."""
    high = low if high is None else high
    days = range(low, high + 1, int(step) if step else 1)
    return ",".join(str(day % 7) for day in sorted({day % 7 for day in days}))


_SIX_FIELD_BOUNDS = ((0, 59), (0, 59), (0, 23), (1, 31), (1, 12), (0, 6))


def is_kfp_cron(cron: str) -> bool:
    """Whether robfig/cron (seconds first, as KFP uses it) would accept this expression's numbers and shapes."""
    fields = cron.split()
    if len(fields) != 6:
        return False
    for value, (low_bound, high_bound) in zip(fields, _SIX_FIELD_BOUNDS):
        for term in value.split(","):
            match = _TERM.match(term)
            if not match:
                return False
            if match["range"] in ("*", "?"):
                continue
            numbers = [match["low"]] + ([match["high"]] if match["high"] else [])
            for token in numbers:
                if token.isdigit() and not low_bound <= int(token) <= high_bound:
                    return False
                if not token.isdigit() and token not in _MONTHS + _DAYS:
                    return False
    return True
