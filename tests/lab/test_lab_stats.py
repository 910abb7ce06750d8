"""Statistics and claims turn tables into verdicts the way docs/statistics.md says."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from atomlab.lab import stats
from atomlab.lab.claims import Compare, Trend, check_claims, combine


def table(values: dict, seeds=range(6)) -> pd.DataFrame:
    rows = []
    for level, fn in values.items():
        for s in seeds:
            rows.append({"seed": s, "width": level, "acc": fn(s), "arm": f"width={level}"})
    return pd.DataFrame(rows)


def test_trend_supported_refuted_inconclusive():
    up = table({2: lambda s: 0.5 + 0.01 * s, 4: lambda s: 0.7 + 0.01 * s, 8: lambda s: 0.9})
    down = table({2: lambda s: 0.9, 4: lambda s: 0.7, 8: lambda s: 0.5})
    # half the seeds go up, half go down: no trend
    noise = table({2: lambda s: s % 2, 4: lambda s: 0.5, 8: lambda s: 1 - s % 2})
    claim = Trend("acc", "width", "increasing")
    assert claim.check(up, 0.95).verdict == "supported"
    assert claim.check(down, 0.95).verdict == "refuted"
    result = claim.check(noise, 0.95)
    assert result.verdict == "inconclusive"
    assert result.tests[0].n_seeds == 6


def test_compare_is_paired_by_seed():
    # a seed effect far larger than the arm effect: only pairing reveals a > b
    df = table({1: lambda s: 10.0 * s + 0.1, 2: lambda s: 10.0 * s})
    claim = Compare("acc", {"width": 1}, {"width": 2}, direction="greater")
    res = claim.check(df, 0.95)
    assert res.verdict == "supported"
    assert res.tests[0].estimate == pytest.approx(0.1)


def test_bonferroni_widens_intervals_with_more_claims():
    rng = np.random.default_rng(1)
    df = table({1: lambda s: 0.3 + rng.normal(0, 0.2), 2: lambda s: 0.0})
    one = Compare("acc", {"width": 1}, {"width": 2})
    _, single = check_claims([one], df)
    _, many = check_claims([one] * 10, df)
    lo1, hi1 = single[0].tests[0].ci
    lo10, hi10 = many[0].tests[0].ci
    assert hi10 - lo10 > hi1 - lo1
    assert many[0].tests[0].level == pytest.approx(1 - 0.05 / 10)


def test_inconclusive_reports_seeds_needed():
    rng = np.random.default_rng(2)
    df = table({1: lambda s: 0.05 + rng.normal(0, 0.2), 2: lambda s: 0.0}, seeds=range(4))
    res = Compare("acc", {"width": 1}, {"width": 2}).check(df, 0.95)
    if res.verdict == "inconclusive":
        assert res.tests[0].seeds_needed is not None and res.tests[0].seeds_needed > 4


def test_small_samples_use_t_interval():
    lo, hi = stats.mean_ci(np.array([0.1, 0.3]))
    assert lo < 0 < hi  # two seeds of one sign are not enough
    lo, hi = stats.mean_ci(np.arange(20.0))
    assert lo < 9.5 < hi


def test_combine():
    assert combine(["supported", "supported"]) == "supported"
    assert combine(["supported", "refuted"]) == "refuted"
    assert combine(["supported", "inconclusive"]) == "inconclusive"
    assert combine([]) == "inconclusive"


def test_diverged_trials_do_not_poison_other_arms():
    df = table({1: lambda s: 0.9 + 0.01 * s, 2: lambda s: 0.5})
    df.loc[(df.width == 2) & (df.seed == 0), "acc"] = np.nan  # a diverged trial
    res = Compare("acc", {"width": 1}, {"width": 2}).check(df, 0.95)
    assert res.verdict == "supported"
    assert res.tests[0].n_seeds == 5


def test_identical_differences_need_a_sign_test_worth_of_seeds():
    five = table({1: lambda s: 0.6, 2: lambda s: 0.5}, seeds=range(5))
    six = table({1: lambda s: 0.6, 2: lambda s: 0.5}, seeds=range(6))
    claim = Compare("acc", {"width": 1}, {"width": 2})
    assert claim.check(five, 0.95).verdict == "inconclusive"  # 0.5^5 > 0.025
    assert claim.check(six, 0.95).verdict == "supported"  # 0.5^6 < 0.025
