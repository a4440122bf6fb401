"""Rebuild this project's two data files from the river wheel (run once by hand; river is not a dependency).

    pip download river==0.26.1 --no-deps -d /tmp/river
    python data/convert_river.py /tmp/river/river-0.26.1-*.whl

- ``trump_approval.csv``: river's ``TrumpApproval`` (``river/datasets/trump_approval.csv.gz``, 1,001 days of
  poll aggregates; target ``five_thirty_eight``, the FiveThirtyEight approval rating, a regression target).
  ``ordinal_date`` becomes an ISO ``date`` column (the arrival time); every other column is unchanged.
- ``segment.csv``: river's ``ImageSegments`` (``river/datasets/segment.csv.zip``, 2,310 image regions,
  18 numeric features, target ``category`` with 7 classes). It has no time, so a first column ``seen_at``
  (row i = 2026-01-05T00:00 + i hours) makes the file's own row order the arrival order.
"""

from __future__ import annotations

import gzip
import io
import sys
import zipfile
from datetime import date
from pathlib import Path

import pandas as pd

HERE = Path(__file__).parent


def trump_approval(wheel: zipfile.ZipFile) -> pd.DataFrame:
    frame = pd.read_csv(io.BytesIO(gzip.decompress(wheel.read("river/datasets/trump_approval.csv.gz"))))
    dates = [date.fromordinal(int(day)).isoformat() for day in frame.pop("ordinal_date")]
    return pd.concat([pd.DataFrame({"date": dates}), frame], axis=1)


def segment(wheel: zipfile.ZipFile) -> pd.DataFrame:
    inner = zipfile.ZipFile(io.BytesIO(wheel.read("river/datasets/segment.csv.zip")))
    frame = pd.read_csv(inner.open(inner.namelist()[0]))
    seen_at = pd.Timestamp("2026-01-05T00:00:00") + pd.to_timedelta(range(len(frame)), unit="h")
    return pd.concat([pd.DataFrame({"seen_at": seen_at.strftime("%Y-%m-%dT%H:%M:%S")}), frame], axis=1)


if __name__ == "__main__":
    with zipfile.ZipFile(sys.argv[1]) as archive:
        trump_approval(archive).to_csv(HERE / "trump_approval.csv", index=False)
        segment(archive).to_csv(HERE / "segment.csv", index=False)
