"""A small run of benchmarks/calibration.py: error rates and coverage within Monte Carlo tolerance.

The published table (docs/statistics.md, "Calibration") uses thousands of simulations per cell; this
runs a few hundred on the cells that exercise each method (the t test, the exact sign-flip test on
lattice data, Welch on discrete arms, the trend test, optional stopping), with a tolerance of
three Monte Carlo standard errors.
"""

from __future__ import annotations

import importlib.util
import math
import sys
from pathlib import Path

import numpy as np
import pytest

from atomlab import stats

ROOT = Path(__file__).resolve().parents[2]
SIMS = 300
LEVEL = 0.95


@pytest.fixture(scope="module")
def cal():
    spec = importlib.util.spec_from_file_location("calibration", ROOT / "benchmarks" / "calibration.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["calibration"] = module  # its dataclasses look their module up there
    try:
        spec.loader.exec_module(module)
        yield module
    finally:
        sys.modules.pop("calibration", None)


def tolerance(rate: float, sims: int = SIMS) -> float:
    return 3 * math.sqrt(rate * (1 - rate) / sims)


@pytest.mark.parametrize("test, shape, n", [
    ("paired", "normal", 5),  # t
    ("paired", "bimodal", 10),  # exact sign-flip on a lattice
    ("paired", "accuracy", 20),  # exact sign-flip, Monte Carlo draws
    ("unpaired", "normal", 5),  # Welch
    ("unpaired", "bimodal", 6),  # Welch on discrete arms
])
def test_location_tests_hold_their_error_rate_and_coverage(cal, test, shape, n):
    r = cal.location_rates(test, shape, n, SIMS, LEVEL, seed=7)
    alpha = 1 - LEVEL
    assert r["FPR"] <= alpha + tolerance(alpha)
    assert r["coverage, no effect"] >= LEVEL - tolerance(alpha)
    assert r["coverage, effect"] >= LEVEL - tolerance(alpha)


def test_trend_holds_its_error_rate(cal):
    r = cal.trend_rates("normal levels", 5, SIMS, LEVEL, seed=7, truth={False: 0.0, True: 0.421})
    assert r["FPR"] <= 0.05 + tolerance(0.05)
    assert r["coverage, effect"] >= LEVEL - tolerance(0.05)
    assert r["power"] > 0.2  # the test decides something when there is a trend


def test_alpha_spending_survives_optional_stopping(cal):
    """Stopping at the first decisive look inflates a fixed 5 %; the spent alphas keep it."""
    rng = np.random.default_rng(3)
    sims, looks = 400, (3, 5, 10, 20)
    arms = cal.draw_arms("normal", rng, sims, looks[-1], effect=False, paired=True)
    spend = [stats.alpha_spending(i, len(looks), kind="pocock", information=looks) for i in range(1, 5)]
    naive = spent = 0
    for i in range(sims):
        decisive = [stats.paired_difference(arms.a[i, :n], arms.b[i, :n]).p_value for n in looks]
        naive += any(p < 0.05 for p in decisive)
        spent += any(p < a for p, a in zip(decisive, spend))
    assert spent / sims <= 0.05 + tolerance(0.05, sims)
    assert naive / sims > spent / sims
