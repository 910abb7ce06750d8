"""Calibration of atomlab.stats by simulation: false-positive rate, interval coverage and power.

For 3, 5, 10, 20 and 50 seeds, draws per-seed numbers of the shapes atomlab's catalog produces, with
no effect (the null) and with an effect, calls the public functions of :mod:`atomlab.stats` on each draw
and counts:

* **FPR**: how often the test is decisive (``p < 1 - level``) when the null is true;
* **coverage**: how often the interval holds the true value (of the mean difference, the mean, the
  mean within-seed Spearman rho), with and without an effect;
* **power**: how often the verdict is *supported* when the effect is real.

The bar (issue 12): FPR at most nominal + its Monte Carlo error, coverage at least nominal minus it, at
every seed count. With s.e. ``sqrt(a (1 - a) / sims)`` the standard error of a rate at its nominal value
``a``, a cell beyond 3 s.e. is marked ``✗`` (a calibrated method lands there by chance in about 1 cell of
700) and a cell between 2 and 3 s.e. is marked ``·`` (by chance in about 1 cell of 40).

Shapes (``a`` and ``b`` are two arms; paired shapes share a per-seed effect between the arms):

* ``normal``: a seed effect N(0, 1) plus arm noise N(0, 1) (a) and N(0, 1.5^2) (b); effect: a + 0.8.
* ``skewed``: lognormal, ``exp(seed + noise)`` with seed and noise N(0, 0.5^2); effect: a x 1.5.
* ``accuracy``: test accuracy on 200 points, Binomial(200, p) / 200 with logit p = 4.5 + seed N(0, 0.7^2)
  + noise N(0, 0.3^2): values near 1.0 on a lattice of 0.005, ties and a ceiling; effect: logit + 1.
* ``bimodal``: a run converges (1.0) or not (0.5), with probability 0.5; effect: 0.85 for a.
* trend shapes, 4 levels per seed: ``normal levels`` (seed effect N(0, 1) + level noise N(0, 1), effect
  slope 0.4), ``accuracy levels`` (Binomial(100, p) / 100, logit p = 2.5 + seed + 0.3 j + noise, ties),
  and the stress case ``AR(1) levels`` (level noise correlated between neighbouring levels, phi = 0.6),
  where the levels of a seed are not exchangeable even without a trend.

The sequential part draws 50 seeds, looks at 3, 5, 10, 20 and 50 of them (stopping at the first decisive
verdict) and measures the error rate of that optional stopping for fixed 5 % at every look and for the
union-bound alpha spending of :func:`atomlab.stats.alpha_spending`.

Deterministic (every draw comes from ``--seed``). Run::

    PYTHONPATH=src python benchmarks/calibration.py --sims 4000 --out docs/calibration.md
"""

from __future__ import annotations

import argparse
import math
import sys
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy import stats as sps
from scipy.special import expit

from atomlab import stats

SEEDS = (3, 5, 10, 20, 50)
LOOKS = (3, 5, 10, 20, 50)


# --- the shapes -----------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Arms:
    """Per-seed values of two arms (sims x seeds) and their true means."""

    a: np.ndarray
    b: np.ndarray
    mean_a: float
    mean_b: float
    bounds: tuple[float, float] | None  # range of one arm's values


def _gauss_hermite_mean(f: Callable[[np.ndarray], np.ndarray], sd: float) -> float:
    """E[f(Z)] for Z ~ N(0, sd^2), by 80-point Gauss-Hermite quadrature."""
    x, w = np.polynomial.hermite_e.hermegauss(80)
    return float(np.sum(w * f(sd * x)) / np.sqrt(2 * np.pi))


def draw_arms(shape: str, rng: np.random.Generator, sims: int, n: int, *, effect: bool, paired: bool) -> Arms:
    """Two arms of ``shape``; with ``effect`` arm a is better. Unpaired arms get independent seed effects."""
    size = (sims, n)

    def seed_effect(sd: float) -> tuple[np.ndarray, np.ndarray]:
        u = rng.normal(0, sd, size)
        return (u, u) if paired else (u, rng.normal(0, sd, size))

    if shape == "normal":
        ua, ub = seed_effect(1.0)
        shift = 0.8 if effect else 0.0
        return Arms(ua + rng.normal(0, 1.0, size) + shift, ub + rng.normal(0, 1.5, size), shift, 0.0, None)
    if shape == "skewed":
        ua, ub = seed_effect(0.5)
        factor = 1.5 if effect else 1.0
        mean = math.exp(0.25)  # E exp(N(0, 0.5^2 + 0.5^2))
        return Arms(factor * np.exp(ua + rng.normal(0, 0.5, size)), np.exp(ub + rng.normal(0, 0.5, size)),
                    factor * mean, mean, (0.0, math.inf))
    if shape == "accuracy":
        ua, ub = seed_effect(0.7)
        shift = 1.0 if effect else 0.0
        pa = expit(4.5 + shift + ua + rng.normal(0, 0.3, size))
        pb = expit(4.5 + ub + rng.normal(0, 0.3, size))
        sd = math.hypot(0.7, 0.3)
        return Arms(rng.binomial(200, pa) / 200, rng.binomial(200, pb) / 200,
                    _gauss_hermite_mean(lambda z: expit(4.5 + shift + z), sd),
                    _gauss_hermite_mean(lambda z: expit(4.5 + z), sd), (0.0, 1.0))
    if shape == "bimodal":
        pa = 0.85 if effect else 0.5
        a = np.where(rng.random(size) < pa, 1.0, 0.5)
        b = np.where(rng.random(size) < 0.5, 1.0, 0.5)
        return Arms(a, b, 0.5 + 0.5 * pa, 0.75, (0.0, 1.0))
    raise ValueError(shape)


LOCATION_SHAPES = ("normal", "skewed", "accuracy", "bimodal")
TESTS = ("paired", "one", "unpaired")
TREND_SHAPES = ("normal levels", "accuracy levels", "AR(1) levels")
LEVELS = 4


def draw_levels(shape: str, rng: np.random.Generator, sims: int, n: int, *, effect: bool) -> np.ndarray:
    """sims x seeds x levels values; with ``effect`` they rise with the level."""
    size = (sims, n, LEVELS)
    j = np.arange(LEVELS)
    u = rng.normal(0, 1.0, (sims, n, 1))
    if shape == "normal levels":
        return u + (0.4 if effect else 0.0) * j + rng.normal(0, 1.0, size)
    if shape == "accuracy levels":
        p = expit(2.5 + 0.7 * u + (0.3 if effect else 0.0) * j + rng.normal(0, 0.3, size))
        return rng.binomial(100, p) / 100
    if shape == "AR(1) levels":
        phi = 0.6
        e = np.empty(size)
        e[..., 0] = rng.normal(0, 1.0, size[:2])
        for k in range(1, LEVELS):
            e[..., k] = phi * e[..., k - 1] + math.sqrt(1 - phi**2) * rng.normal(0, 1.0, size[:2])
        return u + (0.4 if effect else 0.0) * j + e
    raise ValueError(shape)


def true_mean_rho(shape: str, *, effect: bool, draws: int = 400_000) -> float:
    """E[within-seed Spearman rho] of a shape: 0 without a trend (reversing the levels maps rho to -rho and
    leaves every shape's law unchanged), else by a large fixed-seed simulation (MC error ~ 0.001)."""
    if not effect:
        return 0.0
    x = draw_levels(shape, np.random.default_rng(99), 1, draws, effect=effect)[0]
    r = sps.rankdata(x, axis=1)
    pos = np.arange(LEVELS) - (LEVELS - 1) / 2
    rc = r - r.mean(axis=1, keepdims=True)
    den = np.sqrt((rc**2).sum(axis=1) * (pos**2).sum())
    rho = np.divide(rc @ pos, den, out=np.zeros(len(x)), where=den > 0)
    return float(rho.mean())


# --- counting -------------------------------------------------------------------------------------------------------

@dataclass
class Tally:
    """Counts over the simulations of one cell."""

    sims: int = 0
    decisive: int = 0
    supported: int = 0
    covered: int = 0

    def add(self, r: stats.StatResult, truth: float | None, want: int | None = None) -> None:
        self.sims += 1
        self.decisive += r.p_value < 1 - r.level
        self.supported += r.verdict == "supported" and (want is None or r.direction == want)
        if truth is not None:
            self.covered += r.low <= truth <= r.high

    def rate(self, what: str) -> float:
        return getattr(self, what) / self.sims


def _se(nominal: float, sims: int) -> float:
    return math.sqrt(nominal * (1 - nominal) / sims)


def _cell(value: float, nominal: float, sims: int, kind: str) -> str:
    """A rate, marked by how far it misses the bar (kind: 'fpr' upper bar, 'cov' lower bar, 'power' none)."""
    text = f"{value:.3f}"
    if kind == "power":
        return text
    miss = (value - nominal if kind == "fpr" else nominal - value) / _se(nominal, sims)
    return text + (" ✗" if miss > 3 else " ·" if miss > 2 else "")


# --- the experiments ------------------------------------------------------------------------------------------------

def location_rates(test: str, shape: str, n: int, sims: int, level: float, seed: int,
                   method: str = "auto") -> dict[str, float]:
    """FPR, coverage without / with an effect, and power of one location test on one shape at n seeds."""
    rng = np.random.default_rng([seed, n, LOCATION_SHAPES.index(shape), TESTS.index(test)])
    null, alt = Tally(), Tally()
    for effect, tally in ((False, null), (True, alt)):
        arms = draw_arms(shape, rng, sims, n, effect=effect, paired=test != "unpaired")
        box = None if arms.bounds is None else (arms.bounds[0] - arms.bounds[1], arms.bounds[1] - arms.bounds[0])
        for i in range(sims):
            if test == "paired":
                r = stats.paired_difference(arms.a[i], arms.b[i], level=level, direction=+1, bounds=box, method=method)
                truth = arms.mean_a - arms.mean_b
            elif test == "unpaired":
                r = stats.difference(arms.a[i], arms.b[i], level=level, direction=+1, bounds=box, method=method)
                truth = arms.mean_a - arms.mean_b
            else:  # one sample: arm b against its true mean (null), or against a value below it (effect)
                gap = 0.5 * float(np.std(arms.b)) if effect else 0.0
                r = stats.one_sample(arms.b[i], null=arms.mean_b - gap, level=level, direction=+1,
                                     bounds=arms.bounds, method=method)
                truth = arms.mean_b
            tally.add(r, truth, want=+1)
    return {"FPR": null.rate("decisive"), "coverage, no effect": null.rate("covered"),
            "coverage, effect": alt.rate("covered"), "power": alt.rate("supported")}


def location_rows(test: str, shape: str, sims: int, level: float, seed: int, method: str = "auto") -> list[list[str]]:
    """The rates of :func:`location_rates` per seed count, as table rows with the bar marked."""
    rates = [location_rates(test, shape, n, sims, level, seed, method) for n in SEEDS]
    return _rows(rates, level, sims)


def _rows(rates: list[dict[str, float]], level: float, sims: int) -> list[list[str]]:
    kinds = {"FPR": ("fpr", 1 - level), "coverage, no effect": ("cov", level), "coverage, effect": ("cov", level)}
    return [[key, *(_cell(r[key], kinds.get(key, ("power", 0))[1], sims, kinds.get(key, ("power", 0))[0])
                    for r in rates)] for key in rates[0]]


def reference_rows(test: str, shape: str, sims: int, level: float, seed: int, kind: str) -> list[list[str]]:
    """Coverage of a method atomlab does not use, on the same draws: scipy's BCa bootstrap (9,999
    resamples; a sample without spread gets a point) or the plain Student t interval ("plain t")."""
    out = []
    for effect in (False, True):
        row = []
        for n in SEEDS:
            # The same generator and order of draws as location_rates: null first, then effect.
            rng = np.random.default_rng([seed, n, LOCATION_SHAPES.index(shape), TESTS.index(test)])
            draws = [draw_arms(shape, rng, sims, n, effect=e, paired=True) for e in (False, True)]
            arms = draws[effect]
            x = arms.a - arms.b if test == "paired" else arms.b
            truth = arms.mean_a - arms.mean_b if test == "paired" else arms.mean_b
            if kind == "plain t":
                half = sps.t.isf((1 - level) / 2, n - 1) * x.std(axis=1, ddof=1) / math.sqrt(n)
                lo, hi = x.mean(axis=1) - half, x.mean(axis=1) + half
            else:
                lo, hi = np.empty(sims), np.empty(sims)
                for chunk in range(0, sims, 100):
                    xs = x[chunk:chunk + 100]
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore")
                        ci = sps.bootstrap((xs,), np.mean, axis=-1, vectorized=True, method="BCa", n_resamples=9999,
                                           confidence_level=level, rng=np.random.default_rng(0)).confidence_interval
                    flat = np.ptp(xs, axis=1) == 0
                    lo[chunk:chunk + 100] = np.where(flat, xs[:, 0], ci.low)
                    hi[chunk:chunk + 100] = np.where(flat, xs[:, 0], ci.high)
            covered = float(np.mean((lo <= truth) & (truth <= hi)))
            row.append(_cell(covered, level, sims, "cov"))
        out.append([f"{kind}: coverage, {'effect' if effect else 'no effect'}", *row])
    return out


def trend_rates(shape: str, n: int, sims: int, level: float, seed: int,
                truth: dict[bool, float] | None = None) -> dict[str, float]:
    """FPR, coverage without / with a trend, and power of :func:`atomlab.stats.trend` on one shape at n seeds."""
    truth = truth or {e: true_mean_rho(shape, effect=e) for e in (False, True)}
    rng = np.random.default_rng([seed, n, 7, TREND_SHAPES.index(shape)])
    null, alt = Tally(), Tally()
    for effect, tally in ((False, null), (True, alt)):
        x = draw_levels(shape, rng, sims, n, effect=effect)
        for i in range(sims):
            tally.add(stats.trend(x[i], level=level, direction=+1), truth[effect], want=+1)
    return {"FPR": null.rate("decisive"), "coverage, no effect": null.rate("covered"),
            "coverage, effect": alt.rate("covered"), "power": alt.rate("supported")}


def trend_rows(shape: str, sims: int, level: float, seed: int) -> list[list[str]]:
    truth = {e: true_mean_rho(shape, effect=e) for e in (False, True)}
    rows = _rows([trend_rates(shape, n, sims, level, seed, truth) for n in SEEDS], level, sims)
    rows[-1][0] = f"power (true mean rho {truth[True]:+.3f})"
    return rows


def equivalence_rows(shape: str, sims: int, level: float, seed: int) -> list[list[str]]:
    """TOST with the margin set to the effect's true size: 'supported' on effect data is a false positive."""
    alpha = 1 - level
    keys = ("FPR (true difference = margin)", "coverage of the 1 - 2 alpha interval", "power (no difference)")
    rows: dict[str, list[str]] = {k: [] for k in keys}
    for n in SEEDS:
        rng = np.random.default_rng([seed, n, 11, LOCATION_SHAPES.index(shape)])
        boundary, same = Tally(), Tally()
        for effect, tally in ((True, boundary), (False, same)):
            arms = draw_arms(shape, rng, sims, n, effect=effect, paired=True)
            margin = _margin(shape)
            truth = arms.mean_a - arms.mean_b
            for i in range(sims):
                r = stats.equivalence(arms.a[i], arms.b[i], margin=margin, level=level)
                tally.add(r, truth)
        rows["FPR (true difference = margin)"].append(_cell(boundary.rate("supported"), alpha, sims, "fpr"))
        both = (boundary.covered + same.covered) / (boundary.sims + same.sims)
        rows["coverage of the 1 - 2 alpha interval"].append(_cell(both, 1 - 2 * alpha, 2 * sims, "cov"))
        rows["power (no difference)"].append(_cell(same.rate("supported"), 0, sims, "power"))
    return [[k, *v] for k, v in rows.items()]


def _margin(shape: str) -> float:
    """The true mean difference of the shape's effect (paired), used as the equivalence margin."""
    arms = draw_arms(shape, np.random.default_rng(0), 1, 1, effect=True, paired=True)
    return arms.mean_a - arms.mean_b


def sequential_rows(shape: str, sims: int, seed: int, alpha: float = 0.05) -> list[list[str]]:
    """Optional stopping over looks at 3, 5, 10, 20, 50 seeds: error rate, power, mean seeds at the stop."""
    looks = len(LOOKS)
    rules = {
        "fixed 5 % at every look": [alpha] * looks,
        "alpha spending, O'Brien-Fleming": [stats.alpha_spending(i, looks, alpha=alpha, information=LOOKS)
                                            for i in range(1, looks + 1)],
        "alpha spending, Pocock": [stats.alpha_spending(i, looks, alpha=alpha, kind="pocock", information=LOOKS)
                                   for i in range(1, looks + 1)],
    }
    rng = np.random.default_rng([seed, 13, LOCATION_SHAPES.index(shape)])
    data = {e: draw_arms(shape, rng, sims, LOOKS[-1], effect=e, paired=True) for e in (False, True)}
    box = (-1.0, 1.0) if data[False].bounds == (0.0, 1.0) else None
    # The verdict at a look depends on the level only through p < alpha_i, so each look is tested once
    # (at any level) and every rule is applied to the same p-values and signs.
    looked = {}
    for effect, arms in data.items():
        p = np.empty((sims, looks))
        side = np.empty((sims, looks))
        for i in range(sims):
            for j, n in enumerate(LOOKS):
                r = stats.paired_difference(arms.a[i, :n], arms.b[i, :n], direction=+1, bounds=box)
                p[i, j], side[i, j] = r.p_value, np.sign(r.estimate)
        looked[effect] = (p, side)
    out = []
    for name, spend in rules.items():
        cells = []
        for effect in (False, True):
            p, side = looked[effect]
            enough = np.asarray(LOOKS) >= stats.MIN_SEEDS
            hit = (p < np.asarray(spend)) & enough & ((side > 0) if effect else (side != 0))
            first = np.where(hit.any(axis=1), hit.argmax(axis=1), looks - 1)
            rate = float(hit.any(axis=1).mean())
            cells.append(_cell(rate, alpha, sims, "fpr") if not effect else f"{rate:.3f}")
            if effect:
                cells.append(f"{np.asarray(LOOKS)[first].mean():.1f}")
        out.append([name, " / ".join(f"{a:.4f}" for a in spend), *cells])
    return out


def hall_rows(sims: int, level: float, seed: int) -> list[list[str]]:
    """Paired differences: Student's t against the cautious union of t and Hall's skewness-corrected t
    (the one-sample rule), on the normal shape (power at Cohen's d_z = 1) and on the effect draws of the
    skewed and accuracy shapes (coverage). Vectorised; the interval formulas are those of atomlab.stats."""
    alpha = 1 - level
    rows = []

    def intervals(x: np.ndarray):
        n = x.shape[1]
        m, s = x.mean(axis=1), x.std(axis=1, ddof=1)
        se, q = s / math.sqrt(n), sps.t.isf(alpha / 2, n - 1)
        with np.errstate(all="ignore"):
            gamma = np.nan_to_num(((x - m[:, None]) ** 3).mean(axis=1) / s**3)
        a, b = gamma / (3 * math.sqrt(n)), gamma / (6 * math.sqrt(n))

        def g_inverse(u):
            with np.errstate(all="ignore"):
                exact = (np.cbrt(1 + 3 * a * (u - b)) - 1) / a
            return np.where(np.abs(a) < 1e-9, u - b, exact)

        t_lo, t_hi = m - q * se, m + q * se
        return (t_lo, t_hi), (np.minimum(t_lo, m - se * g_inverse(q)), np.maximum(t_hi, m - se * g_inverse(-q)))

    power = {"t": [], "t and Hall": []}
    for n in SEEDS:
        x = np.random.default_rng([seed, 17, n]).normal(1.0, 1.0, (sims, n))
        for name, (lo, _) in zip(power, intervals(x)):
            power[name].append(f"{np.mean(lo > 0):.3f}")
    rows += [["normal, d_z = 1", f"power, {name}", *v] for name, v in power.items()]
    for shape in ("skewed", "accuracy"):
        cover = {"t": [], "t and Hall": []}
        for n in SEEDS:
            rng = np.random.default_rng([seed, n, LOCATION_SHAPES.index(shape), TESTS.index("paired")])
            arms = [draw_arms(shape, rng, sims, n, effect=e, paired=True) for e in (False, True)][1]
            truth = arms.mean_a - arms.mean_b
            for name, (lo, hi) in zip(cover, intervals(arms.a - arms.b)):
                cover[name].append(_cell(float(np.mean((lo <= truth) & (truth <= hi))), level, sims, "cov"))
        rows += [[shape, f"coverage with effect, {name}", *v] for name, v in cover.items()]
    return rows


def lattice_t_table(ns=(5, 6, 7, 8, 10, 15, 20), alphas=(0.05, 0.01, 0.005)) -> list[list[str]]:
    """Exact false-positive rate of the plain paired t test on +-1 / 0 differences (no simulation).

    Differences are +1 or -1 with probability q each and 0 otherwise (which arm converged, when one
    did); the worst q over a grid is shown. A sample without spread is never decisive for the t test.
    """
    from scipy.special import gammaln

    rows = []
    for alpha in alphas:
        row = [f"{alpha:g}"]
        for n in ns:
            crit = sps.t.isf(alpha / 2, n - 1)
            worst = 0.0
            for q in np.linspace(0.02, 0.49, 48):
                total = 0.0
                for kp in range(n + 1):
                    for km in range(n + 1 - kp):
                        k0 = n - kp - km
                        m = (kp - km) / n
                        ss = kp * (1 - m) ** 2 + km * (1 + m) ** 2 + k0 * m**2
                        if ss <= 1e-12:
                            continue
                        t = m / math.sqrt(ss / (n - 1) / n)
                        if abs(t) > crit:
                            logp = (gammaln(n + 1) - gammaln(kp + 1) - gammaln(km + 1) - gammaln(k0 + 1)
                                    + (kp + km) * math.log(q) + (k0 * math.log(1 - 2 * q) if k0 else 0.0))
                            total += math.exp(logp)
                worst = max(worst, total)
            row.append(f"{worst:.4f}" + (" ✗" if worst > alpha * 1.1 else ""))
        rows.append(row)
    return rows


# --- output ---------------------------------------------------------------------------------------------------------

def table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "| " + " | ".join("---" for _ in header) + " |"]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


def skip_seeds_needed() -> None:
    """Skip the power search behind StatResult.seeds_needed: it enters none of the rates measured here and
    takes most of a location test's time."""
    import atomlab.stats.location as location
    import atomlab.stats.trends as trends

    location.seeds_needed = trends.seeds_needed = lambda *args, **kwargs: None


def emit(text: str, out: str | None, *, first: bool = False) -> None:
    """Print one section as soon as it is done (and append it to ``out``)."""
    sys.stdout.write(("" if first else "\n") + text + "\n")
    sys.stdout.flush()
    if out:
        with open(out, "w" if first else "a", encoding="utf-8") as fh:
            fh.write(("" if first else "\n") + text + "\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sims", type=int, default=2000, help="simulations per cell (default 2000)")
    parser.add_argument("--level", type=float, default=0.95, help="confidence level (default 0.95)")
    parser.add_argument("--seed", type=int, default=2024, help="seed of every draw")
    parser.add_argument("--only", action="append", default=[],
                        help="sections to run: paired, one, unpaired, methods (or methods-paired, methods-one, "
                             "methods-unpaired), trend, equivalence, sequential, skew, lattice")
    parser.add_argument("--out", help="also write the markdown here")
    parser.add_argument("--with-seeds-needed", action="store_true",
                        help="compute StatResult.seeds_needed as the library does (slower; no rate changes)")
    args = parser.parse_args(argv)
    if args.sims < 10:
        parser.error("--sims must be at least 10")
    if not args.with_seeds_needed:
        skip_seeds_needed()
    sections = args.only or ["paired", "one", "unpaired", "methods", "trend", "equivalence", "sequential", "skew",
                             "lattice"]
    cols = ["shape", "measure", *(f"{n} seeds" for n in SEEDS)]
    level, sims = args.level, args.sims
    alpha = 1 - level
    start = time.perf_counter()
    header = (f"Simulations per cell: {sims}; level {level:g} (nominal FPR {alpha:g}); one Monte Carlo standard "
             f"error: {_se(alpha, sims):.4f}. ✗: beyond 3 s.e. of nominal on the wrong side; ·: between 2 and "
             f"3 s.e. Seed {args.seed}.")
    emit(header, args.out, first=True)
    titles = {"paired": "paired_difference (a - b, paired by seed)", "one": "one_sample (the mean against a value)",
              "unpaired": "difference (unpaired arms)"}
    for test in ("paired", "one", "unpaired"):
        if test in sections:
            rows = [[shape, *r] for shape in LOCATION_SHAPES
                    for r in location_rows(test, shape, sims, level, args.seed)]
            emit(f"### {titles[test]}\n\n" + table(cols, rows), args.out)
            print(f"[{test} done, {time.perf_counter() - start:.0f} s]", file=sys.stderr)
    # Each test forced to one method, on the same draws as its table above: the evidence for "auto".
    plan = {"methods-paired": ("paired", LOCATION_SHAPES, ("BCa",)),
            "methods-one": ("one", ("skewed", "accuracy"), ("BCa",)),
            "methods-unpaired": ("unpaired", ("accuracy", "bimodal"), ())}
    for section, (test, shapes, references) in plan.items():
        if section not in sections and "methods" not in sections:
            continue
        rows = []
        for shape in shapes:
            for method in ("t", "exact"):
                for r in location_rows(test, shape, sims, level, args.seed, method=method):
                    if r[0] != "power":
                        rows.append([shape, f"{method}: {r[0]}", *r[1:]])
            for kind in references:
                rows += [[shape, *r] for r in reference_rows(test, shape, sims, level, args.seed, kind)]
        emit(f"### Method choice: {titles[test]} forced to one method (same draws as above)\n\n"
             + table(cols, rows), args.out)
        print(f"[{section} done, {time.perf_counter() - start:.0f} s]", file=sys.stderr)
    if "trend" in sections:
        rows = [[shape, *r] for shape in TREND_SHAPES for r in trend_rows(shape, sims, level, args.seed)]
        emit(f"### trend ({LEVELS} levels per seed)\n\n" + table(cols, rows), args.out)
        print(f"[trend done, {time.perf_counter() - start:.0f} s]", file=sys.stderr)
    if "equivalence" in sections:
        rows = [[shape, *r] for shape in LOCATION_SHAPES for r in equivalence_rows(shape, sims, level, args.seed)]
        emit("### equivalence (TOST, paired; margin = the effect's true size)\n\n" + table(cols, rows), args.out)
        print(f"[equivalence done, {time.perf_counter() - start:.0f} s]", file=sys.stderr)
    if "sequential" in sections:
        rows = [[shape, *r] for shape in ("normal", "accuracy", "bimodal")
                for r in sequential_rows(shape, sims, args.seed)]
        emit("### Optional stopping: paired_difference at 3, 5, 10, 20, 50 seeds, stop when decisive\n\n"
                     + table(["shape", "rule", "alpha per look", "FPR (no effect)", "power (effect)",
                              "mean seeds (effect)"], rows), args.out)
        print(f"[sequential done, {time.perf_counter() - start:.0f} s]", file=sys.stderr)
    if "skew" in sections:
        emit("### Paired differences: Student's t alone, and its union with Hall's skew-corrected t\n\n"
             + table(cols, hall_rows(sims, level, args.seed)), args.out)
    if "lattice" in sections:
        ns = (5, 6, 7, 8, 10, 15, 20)
        emit("### The plain t test on lattice data (exact, no simulation)\n\n"
                     "Worst false-positive rate over q of the paired t test when each difference is +1 or -1 with "
                     "probability q and 0 otherwise; ✗ marks more than 1.1 x nominal.\n\n"
                     + table(["nominal", *(f"{n} seeds" for n in ns)], lattice_t_table(ns)), args.out)
    emit(f"Wall time: {time.perf_counter() - start:.0f} s.", args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
