"""Five-field croniter schedules become KFP six-field crons that fire at the same instants."""

from datetime import datetime, timedelta

import pytest
from croniter import croniter
from hypothesis import assume, given
from hypothesis import strategies as st

from ctsim.errors import SettingError
from ctsim.promote.cron import FIELDS, is_kfp_cron, to_kfp_cron

MONTHS = "jan feb mar apr may jun jul aug sep oct nov dec".split()
DAYS = "sun mon tue wed thu fri sat".split()


@st.composite
def cron_term(draw, low: int, high: int, names: list[str] | None):
    """One comma-separated term of a field: *, */s, n, a-b, a-b/s or n/s (numbers or names)."""

    def value():
        number = draw(st.integers(low, high))
        if names and draw(st.booleans()):
            return names[(number - (1 if names is MONTHS else 0)) % len(names)]
        return str(number)

    shape = draw(st.sampled_from(["*", "*/s", "n", "a-b", "a-b/s", "n/s"]))
    step = draw(st.integers(1, max(1, (high - low) // 2 + 1)))
    if shape == "*":
        return "*"
    if shape == "*/s":
        return f"*/{step}"
    if shape == "n":
        return value()
    if shape == "n/s":
        return f"{draw(st.integers(low, high))}/{step}"
    a, b = sorted(draw(st.tuples(st.integers(low, high), st.integers(low, high))))
    return f"{a}-{b}" + (f"/{step}" if shape == "a-b/s" else "")


@st.composite
def five_field_cron(draw):
    fields = []
    for name, low, high in FIELDS:
        names = MONTHS if name == "month" else DAYS if name == "day-of-week" else None
        terms = draw(st.lists(cron_term(low, high, names), min_size=1, max_size=3))
        fields.append(",".join(terms))
    return " ".join(fields)


def instants(expr: str, start: datetime, count: int, **kwargs) -> list[datetime]:
    it = croniter(expr, start, **kwargs)
    return [it.get_next(datetime) for _ in range(count)]


@pytest.mark.parametrize(
    "five, six",
    [
        ("0 3 * * 1", "0 0 3 * * 1"),
        ("*/15 * * * *", "0 */15 * * * *"),
        ("0 0 * * 7", "0 0 0 * * 0"),  # croniter's Sunday-as-7 is out of robfig's range
        ("0 0 * * 5-7", "0 0 0 * * 0,5,6"),
        ("30 2 1,15 jan-mar *", "0 30 2 1,15 jan-mar *"),
    ],
)
def test_known_conversions(five, six):
    assert to_kfp_cron(five) == six
    assert is_kfp_cron(six)


@pytest.mark.property
@given(five_field_cron(), st.datetimes(datetime(2020, 1, 1), datetime(2035, 1, 1)))
def test_six_field_cron_fires_at_the_same_instants(five, start):
    assume(croniter.is_valid(five) and not _weekday_single_step(five))
    six = to_kfp_cron(five)
    assert is_kfp_cron(six), six
    start = start.replace(microsecond=0)
    assert instants(six, start, 8, second_at_beginning=True) == instants(five, start, 8)


def _weekday_single_step(five: str) -> bool:
    """Weekday 'N/step' and '7-7' are refused on purpose (see the refusal test)."""
    terms = five.split()[4].split(",")
    return any("/" in t and "-" not in t and not t.startswith("*") or t.startswith("7-7") for t in terms)


@pytest.mark.property
@given(five_field_cron())
def test_conversion_only_prepends_a_zero_seconds_field(five):
    assume(croniter.is_valid(five) and not _weekday_single_step(five))
    six = to_kfp_cron(five).split()
    assert six[0] == "0" and six[1:5] == five.lower().split()[:4]


@pytest.mark.parametrize(
    "cron, said",
    [
        ("0 0 L * *", "not a number or a known name"),
        ("0 0 * * 1#2", "syntax KFP's scheduler does not accept"),
        ("0 0 * * 5-1", "descending range"),
        ("0 0 * * 6/1", "read 'N/step' weekdays differently"),
        ("0 0 * * 7-7", "reads as every day"),
        ("0 25 * * *", "within 0-23"),
        ("0 0 * *", "five fields"),
    ],
)
def test_dialect_differences_are_refused_with_a_reason(cron, said):
    with pytest.raises(SettingError, match=said):
        to_kfp_cron(cron)


def test_fire_instants_agree_over_a_simulated_year():
    start = datetime(2026, 3, 2)
    year = instants("0 0 0 * * 1", start, 52, second_at_beginning=True)
    assert year == instants("0 0 * * 1", start, 52)
    assert all(b - a == timedelta(weeks=1) for a, b in zip(year, year[1:]))
