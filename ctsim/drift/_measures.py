"""Drift measures on samples and on binned counts, shared by exact checks and sketches.

Defaults follow Evidently: KS and chi-square flag drift when p < 0.05; normed
Wasserstein, PSI and Jensen-Shannon flag drift when the distance is >= 0.1.
Keeping the count-based measures here lets the exact path (counts from raw
reference rows) and the sketch path (counts kept incrementally) share one
formula, so they can only differ by the binning, never by the arithmetic.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd
from scipy import stats
from scipy.spatial import distance

from ctsim.contract import ColumnKind
from ctsim.errors import SettingError

Method = Literal["ks", "wasserstein", "psi", "jensenshannon", "chisquare", "chisquare_gof", "z"]

DEFAULT_THRESHOLDS: dict[str, float] = {
    "ks": 0.05,
    "chisquare": 0.05,
    "chisquare_gof": 0.05,
    "z": 0.05,
    "wasserstein": 0.1,
    "psi": 0.1,
    "jensenshannon": 0.1,
}
# For these the statistic is a p-value: small means drift. For the rest it is a distance.
P_VALUE_METHODS = frozenset({"ks", "chisquare", "chisquare_gof", "z"})
# "auto" is Evidently's choice with Evidently's tests; "auto_two_sample" makes the same choice but runs
# ctsim's two-sample chi-square, which keeps its 5% false-alarm rate (see chisquare_from_counts).
AUTO_METHODS = ("auto", "auto_two_sample")
ALLOWED_METHODS: dict[str, tuple[str, ...]] = {
    "numeric": (*AUTO_METHODS, "ks", "wasserstein", "psi", "jensenshannon"),
    "categorical": (*AUTO_METHODS, "chisquare", "chisquare_gof", "z", "psi", "jensenshannon"),
}
# Evidently's bin counts for numeric PSI and Jensen-Shannon (we bin on reference quantiles).
NUMERIC_BINS: dict[str, int] = {"psi": 10, "jensenshannon": 30}
# PSI >= 0.1 is a moderate shift (the default threshold); >= 0.25 is conventionally major.
PSI_MAJOR = 0.25
# Evidently's floor for the reference std, so a constant reference does not divide by zero.
STD_FLOOR = 0.001
# Evidently replaces empty bins by this share in PSI, which is undefined on a zero share.
ZERO_SHARE = 0.0001
# Up to this many reference rows the auto method runs a test (KS, chi-square); above, a distance.
SMALL_REFERENCE_ROWS = 1000
# Evidently runs categorical tests on a numeric column with at most this many distinct values
# (reference and current together, missing values dropped): a 0/1 flag gets the Z-test, not KS.
LOW_CARDINALITY_VALUES = 5
# Evidently infers an integer column (numpy int dtype) with at most this many distinct current
# values as categorical; a float or nullable-integer column never is (NaN makes an int column float).
INTEGER_CATEGORICAL_VALUES = 10


def check_method(kind: ColumnKind, method: str) -> None:
    allowed = ALLOWED_METHODS.get(kind)
    if allowed is None:
        raise SettingError(f"A column kind must be 'numeric' or 'categorical'. Got {kind!r} instead.")
    if method not in allowed:
        raise SettingError(
            f"The 'method' setting of the drift trigger must be one of {', '.join(allowed)} "
            f"for a {kind} column. Got {method!r} instead."
        )


def effective_kind(
    kind: ColumnKind, method: str, current_dtype: object, current_distinct: int, distinct_values: int | None
) -> ColumnKind:
    """The kind the auto methods judge a column as, following Evidently 0.7's rules.

    A declared categorical column stays categorical. A declared numeric column is judged as
    categorical when its current values are bool, or a numpy integer dtype with at most
    INTEGER_CATEGORICAL_VALUES distinct values (Evidently's type inference, done on the current
    data), or when reference and current together hold at most LOW_CARDINALITY_VALUES distinct
    finite values (Evidently's choice of test; ``distinct_values`` None means "more than that").
    Explicit methods keep the declared kind.
    """
    if kind == "categorical" or method not in AUTO_METHODS:
        return kind
    dtype_name = getattr(current_dtype, "name", str(current_dtype))
    if dtype_name == "bool" or (dtype_name.startswith("int") and current_distinct <= INTEGER_CATEGORICAL_VALUES):
        return "categorical"
    if distinct_values is not None and distinct_values <= LOW_CARDINALITY_VALUES:
        return "categorical"
    return "numeric"


def resolve_method(kind: ColumnKind, method: str, reference_rows: int, distinct_values: int = 3) -> str:
    """Turn an auto method into Evidently's choice: a test for small references, a distance above.

    ``kind`` is the effective kind (see ``effective_kind``); ``distinct_values`` counts the
    distinct values of reference and current together, which picks the Z-test for at most two.
    """
    check_method(kind, method)
    if method not in AUTO_METHODS:
        return method
    small = reference_rows <= SMALL_REFERENCE_ROWS
    if kind == "numeric":
        return "ks" if small else "wasserstein"
    if not small:
        return "jensenshannon"
    if distinct_values <= 2:
        return "z"
    return "chisquare_gof" if method == "auto" else "chisquare"


def is_drift(method: str, statistic: float, threshold: float) -> bool:
    if method in P_VALUE_METHODS:
        return bool(statistic < threshold)
    return bool(statistic >= threshold)


def ks_pvalue(reference: np.ndarray, current: np.ndarray) -> float:
    return float(stats.ks_2samp(reference, current).pvalue)


def normed_wasserstein(distance_value: float, reference_std: float) -> float:
    return float(distance_value / max(reference_std, STD_FLOOR))


def psi_from_counts(reference: np.ndarray, current: np.ndarray) -> float:
    ref, cur = _shares(reference), _shares(current)
    ref = np.where(ref == 0, ZERO_SHARE, ref)
    cur = np.where(cur == 0, ZERO_SHARE, cur)
    return float(np.sum((ref - cur) * np.log(ref / cur)))


def jensenshannon_from_counts(reference: np.ndarray, current: np.ndarray) -> float:
    # Natural-log base, as Evidently: the distance lies in [0, sqrt(ln 2)] ~ [0, 0.83].
    return float(distance.jensenshannon(_shares(reference), _shares(current)))


def chisquare_from_counts(reference: np.ndarray, current: np.ndarray) -> float:
    """p-value of Pearson's chi-square test of homogeneity on a 2 x categories table.

    Evidently runs a goodness-of-fit test that treats the reference shares as
    exact; that ignores the reference's own sampling noise (on 200 reference and
    ~150 current rows from one distribution it fired 22% of the time, not 5%)
    and breaks on categories the reference never saw. The two-sample table keeps
    the promised 5% false-alarm rate and handles new categories.
    """
    keep = (reference + current) > 0
    table = np.vstack([reference[keep], current[keep]])
    if table.shape[1] < 2:
        return 1.0  # one category on both sides: the distributions are identical
    return float(stats.chi2_contingency(table, correction=False).pvalue)


def chisquare_gof_from_counts(reference: np.ndarray, current: np.ndarray) -> float:
    """Evidently's chi-square: a goodness-of-fit test of current counts against the reference shares.

    A category the reference never saw has an expected count of 0, so the p-value is 0 (drift),
    as in Evidently. Its false-alarm rate exceeds 5% on small references; "chisquare" does not.
    """
    expected = reference * (current.sum() / reference.sum())
    with np.errstate(divide="ignore", invalid="ignore"):
        if np.any((expected == 0) & (current > 0)):
            return 0.0
        keep = expected > 0
        if np.count_nonzero(keep) < 2:
            return 1.0  # one category on both sides: identical (Evidently's scipy call gives NaN, no drift)
        return float(stats.chisquare(current[keep], expected[keep]).pvalue)


def z_from_counts(reference: np.ndarray, current: np.ndarray) -> float:
    """Evidently's two-proportion Z-test (pooled, two-sided) on the counts of at most two categories."""
    same_single_value = np.count_nonzero(reference + current) == 1
    if same_single_value:
        return 1.0  # one and the same value on both sides
    n1, n2 = float(reference.sum()), float(current.sum())
    p1, p2 = 1.0 - reference[0] / n1, 1.0 - current[0] / n2  # share of the values that are not the first
    pooled = (p1 * n1 + p2 * n2) / (n1 + n2)
    z = (p1 - p2) / np.sqrt(pooled * (1.0 - pooled) * (1.0 / n1 + 1.0 / n2))
    return float(2.0 * (1.0 - stats.norm.cdf(abs(z))))


COUNT_MEASURES = {
    "psi": psi_from_counts,
    "jensenshannon": jensenshannon_from_counts,
    "chisquare": chisquare_from_counts,
    "chisquare_gof": chisquare_gof_from_counts,
    "z": z_from_counts,
}


def quantile_edges(reference: np.ndarray, bins: int) -> np.ndarray:
    """Inner edges at the reference's quantiles; the outer bins are open-ended."""
    inner = np.quantile(reference, np.linspace(0.0, 1.0, bins + 1)[1:-1])
    return np.unique(inner)


def bin_counts(values: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Counts over the len(edges) + 1 bins (-inf, e0), [e0, e1), ..., [e_last, inf)."""
    index = np.searchsorted(edges, values, side="right")
    return np.bincount(index, minlength=len(edges) + 1)


def _shares(counts: np.ndarray) -> np.ndarray:
    counts = np.asarray(counts, dtype=float)
    return counts / counts.sum()


def finite_values(values: np.ndarray | pd.Series) -> np.ndarray:
    """Numeric values as float, with missing and infinite values dropped (as Evidently does)."""
    array = pd.Series(values, copy=False).to_numpy(dtype=float, na_value=np.nan)
    return array[np.isfinite(array)]
