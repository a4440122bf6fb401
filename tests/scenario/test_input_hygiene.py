"""Input hygiene at load: reserved names, the positive class, high-cardinality text. Each case is one clear
line naming the file and the column, or a warning; never a traceback, never a column lost in silence."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from ctsim.errors import ScenarioError
from ctsim.scenario.data import HASH_BUCKETS, open_source
from ctsim.scenario.loader import parse


def scenario(tmp_path: Path, frame: pd.DataFrame, **replay: str | int):
    frame.to_csv(tmp_path / "rows.csv", index=False)
    extra = "".join(
        f"    {key}: {value!r}\n" if isinstance(value, str) else f"    {key}: {value}\n"
        for key, value in replay.items()
    )
    text = (
        "name: hygiene\nclock:\n  ticks: 2\nbootstrap_tick: 0\ndata:\n  replay:\n    path: rows.csv\n"
        "    time_column: ts\n    target_column: y\n    slicing: rows\n" + extra
    )
    (tmp_path / "hygiene.yaml").write_text(text)
    return parse(text, str(tmp_path / "hygiene.yaml"))


def table(n: int = 6, **columns) -> pd.DataFrame:
    return pd.DataFrame({"ts": range(n), "x": [float(i) for i in range(n)], "y": [i % 2 for i in range(n)], **columns})


# reserved names ----------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["row_id", "tick", "event_time", "label"])
def test_a_feature_with_a_reserved_name_is_refused_naming_file_and_column(tmp_path: Path, name: str):
    with pytest.raises(ScenarioError, match=rf"rows.csv: column '{name}' has a name ctsim reserves"):
        open_source(scenario(tmp_path, table(**{name: [1, 2, 3, 4, 5, 6]})), tmp_path)


def test_a_target_or_time_column_may_carry_a_reserved_name(tmp_path: Path):
    frame = table().rename(columns={"y": "label", "ts": "tick"})
    frame.to_csv(tmp_path / "rows.csv", index=False)
    text = (
        "name: h\nclock:\n  ticks: 2\nbootstrap_tick: 0\ndata:\n  replay:\n    path: rows.csv\n"
        "    time_column: tick\n    target_column: label\n    slicing: rows\n"
    )
    data = open_source(parse(text, str(tmp_path / "h.yaml")), tmp_path)
    assert data.contract.feature_names == ("x",)
    assert data.batch(0).truth["label"].tolist() == [0, 1, 0]


def test_validate_refuses_a_reserved_column_in_one_line_with_exit_2(tmp_path: Path):
    scenario(tmp_path, table(row_id=["a"] * 6))
    result = subprocess.run(
        [sys.executable, "-m", "ctsim.cli", "validate", str(tmp_path / "hygiene.yaml")],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "NO_COLOR": "1"},
    )
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert "rows.csv: column 'row_id'" in result.stderr


# the positive class ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "positive"),
    [
        (["Yes", "no"], "Yes"),
        (["no", "YES"], "YES"),
        ([2, 10], 10),
        ([10, 2], 10),
        ([False, True], True),
    ],
)
def test_the_positive_class_is_chosen_numerically_or_ignoring_case(tmp_path: Path, values, positive):
    data = open_source(scenario(tmp_path, table(y=values * 3)), tmp_path)
    truth = pd.concat([data.batch(t).truth for t in range(2)])["label"].tolist()
    assert truth == [int(v == positive) for v in values * 3]
    assert data.contract.class_names[1] == str(positive)


def test_positive_label_names_the_class_that_is_one(tmp_path: Path):
    data = open_source(scenario(tmp_path, table(y=["churn", "stay"] * 3), positive_label="stay"), tmp_path)
    assert data.batch(0).truth["label"].tolist() == [0, 1, 0]
    assert data.contract.class_names == ("churn", "stay")


def test_a_positive_label_the_target_does_not_hold_is_one_clear_line(tmp_path: Path):
    with pytest.raises(
        ScenarioError,
        match=r"rows.csv: data.replay.positive_label must be one of the values of "
        r"target column 'y' \(churn, stay\). Got 'Stay' instead.",
    ):
        open_source(scenario(tmp_path, table(y=["churn", "stay"] * 3), positive_label="Stay"), tmp_path)


# high-cardinality text ---------------------------------------------------------------------


def ids(n: int) -> list[str]:
    return [f"customer-{i:05d}" for i in range(n)]


@pytest.mark.parametrize("rule", ["drop", "hash", "keep"])
def test_a_high_cardinality_text_column_is_warned_about_and_handled_by_the_rule(tmp_path: Path, caplog, rule: str):
    frame = table(n=40, customer=ids(40), plan=["free", "pro"] * 20)
    with caplog.at_level(logging.WARNING, logger="ctsim.scenario.data"):
        data = open_source(scenario(tmp_path, frame, high_cardinality=rule, max_categories=10), tmp_path)

    (warning,) = [r.getMessage() for r in caplog.records]
    assert "rows.csv: text column 'customer' holds 40 distinct values (more than max_categories 10)" in warning
    kinds = data.contract.kinds
    assert kinds["plan"] == "categorical" and kinds["x"] == "numeric"  # the others are untouched
    served = pd.concat([data.batch(t).production for t in range(2)])
    if rule == "drop":
        assert "customer" not in kinds and "customer" not in served.columns
    elif rule == "hash":
        assert set(served["customer"]) <= {f"h{b:02d}" for b in range(HASH_BUCKETS)}
        assert 1 < served["customer"].nunique() <= HASH_BUCKETS
        again = open_source(scenario(tmp_path, frame, high_cardinality=rule, max_categories=10), tmp_path)
        assert again.batch(0).production["customer"].tolist() == data.batch(0).production["customer"].tolist()
    else:
        assert served["customer"].tolist() == ids(40)


def test_a_text_column_within_max_categories_is_left_alone_without_a_warning(tmp_path: Path, caplog):
    with caplog.at_level(logging.WARNING, logger="ctsim.scenario.data"):
        data = open_source(scenario(tmp_path, table(n=40, customer=ids(40)), max_categories=40), tmp_path)
    assert not caplog.records and data.contract.kinds["customer"] == "categorical"
