"""Every claim type of the lab, driven to each of its verdicts on constructed tables."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from atomlab.errors import ConfigError
from atomlab.lab.claims import (
    AllEquivalent,
    Check,
    Compare,
    Equivalent,
    PerSeed,
    Reaches,
    Trend,
    check_claims,
    combine,
)


def table(values: dict, seeds=range(8), factor: str = "width", metric: str = "acc") -> pd.DataFrame:
    """One row per level and seed: ``values[level](seed)``."""
    return pd.DataFrame([{"seed": s, factor: level, metric: fn(s), "arm": f"{factor}={level}", "diverged": False}
                         for level, fn in values.items() for s in seeds])


def verdict(claim, final) -> str:
    return check_claims([claim], final)[1][0].verdict


# A small, seeded wobble so that no seed count makes a test degenerate.
def wobble(s: int) -> float:
    return 0.01 * np.sin(1.7 * s + 0.3)


def test_trend_each_verdict():
    up = table({2: lambda s: 0.5 + wobble(s), 4: lambda s: 0.7 + wobble(s + 1), 8: lambda s: 0.9 + wobble(s + 2)})
    down = table({2: lambda s: 0.9 + wobble(s), 4: lambda s: 0.7, 8: lambda s: 0.5 + wobble(s + 3)})
    flat = table({2: lambda s: 0.5 + wobble(s), 4: lambda s: 0.5 + wobble(s + 2), 8: lambda s: 0.5 + wobble(s + 5)})
    claim = Trend("acc", "width", "increasing")
    assert verdict(claim, up) == "supported"
    assert verdict(claim, down) == "refuted"
    assert verdict(claim, flat) == "inconclusive"
    assert verdict(Trend("acc", "width", "decreasing"), down) == "supported"


def test_trend_all_seeds_in_perfect_order_is_decisive():
    """Four seeds, four levels, all in order: under no trend that has chance (1/24)^4 (issue 12)."""
    final = table({k: (lambda s, k=k: k + 0.1 * s) for k in range(4)}, seeds=range(4))
    assert verdict(Trend("acc", "width", "increasing"), final) == "supported"
    res = check_claims([Trend("acc", "width", "increasing")], final)[1][0].tests[0]
    assert res.ci[0] >= -1 and res.ci[1] <= 1


def test_compare_each_verdict_and_the_margin():
    final = table({"a": lambda s: 0.80 + wobble(s), "b": lambda s: 0.70 + wobble(s + 1)}, factor="arm_")
    assert verdict(Compare("acc", {"arm_": "a"}, {"arm_": "b"}), final) == "supported"
    assert verdict(Compare("acc", {"arm_": "b"}, {"arm_": "a"}), final) == "refuted"
    assert verdict(Compare("acc", {"arm_": "a"}, {"arm_": "b"}, direction="smaller"), final) == "refuted"
    # a lead of 0.1 is not a lead of more than 0.3
    assert verdict(Compare("acc", {"arm_": "a"}, {"arm_": "b"}, margin=0.3), final) == "refuted"
    same = table({"a": lambda s: 0.8 + wobble(s), "b": lambda s: 0.8 + wobble(s + 4)}, factor="arm_")
    assert verdict(Compare("acc", {"arm_": "a"}, {"arm_": "b"}), same) == "inconclusive"


def test_compare_interval_of_an_accuracy_stays_in_range():
    final = table({"a": lambda s: 1.0 if s % 2 else 0.5, "b": lambda s: 0.0 if s % 3 else 0.5}, seeds=range(3),
                  factor="arm_", metric="test_acc")
    test = check_claims([Compare("test_acc", {"arm_": "a"}, {"arm_": "b"})], final)[1][0].tests[0]
    assert -1.0 <= test.ci[0] <= test.ci[1] <= 1.0


def test_equivalent_each_verdict():
    close = table({"a": lambda s: 0.80 + wobble(s), "b": lambda s: 0.801 + wobble(s + 1)}, factor="arm_")
    far = table({"a": lambda s: 0.80 + wobble(s), "b": lambda s: 0.60 + wobble(s + 1)}, factor="arm_")
    noisy = table({"a": lambda s: 0.8 + 0.2 * np.sin(s), "b": lambda s: 0.8 + 0.2 * np.cos(3 * s)}, factor="arm_")
    claim = Equivalent("acc", {"arm_": "a"}, {"arm_": "b"}, margin=0.05)
    assert verdict(claim, close) == "supported"
    assert verdict(claim, far) == "refuted"
    assert verdict(claim, noisy) == "inconclusive"


def test_all_equivalent_tests_every_pair():
    final = table({k: (lambda s, k=k: 0.8 + 0.001 * k + wobble(s + k)) for k in range(3)}, factor="loss")
    res = check_claims([AllEquivalent("acc", "loss", [0, 1, 2], margin=0.05)], final)[1][0]
    assert res.verdict == "supported" and len(res.tests) == 3
    spread = table({0: lambda s: 0.8 + wobble(s), 1: lambda s: 0.8 + wobble(s + 1), 2: lambda s: 0.5 + wobble(s)},
                   factor="loss")
    assert verdict(AllEquivalent("acc", "loss", [0, 1, 2], margin=0.05), spread) == "refuted"


def test_reaches_each_verdict():
    final = table({"x": lambda s: 0.97 + wobble(s)}, factor="arm_", metric="test_acc")
    assert verdict(Reaches("test_acc", 0.90), final) == "supported"
    assert verdict(Reaches("test_acc", 0.99), final) == "refuted"
    assert verdict(Reaches("test_acc", 0.97), final) == "inconclusive"
    assert verdict(Reaches("test_acc", 0.99, direction="at_most"), final) == "supported"


def test_per_seed_each_verdict():
    final = table({"n": lambda s: 0.1 + wobble(s)}, factor="arm_", metric="lead")
    lead = lambda rows: rows.set_index("seed")["lead"]  # noqa: E731
    assert verdict(PerSeed(lead, "lead"), final) == "supported"
    assert verdict(PerSeed(lead, "lead", direction=-1), final) == "refuted"
    assert verdict(PerSeed(lead, "lead", null=0.1), final) == "inconclusive"


def test_check_each_verdict_and_never_corrected():
    final = table({"a": lambda s: 0.0, "b": lambda s: 1e-3 * (s + 1)}, factor="arm_", metric="moved")
    assert verdict(Check("moved", 0.0, where={"arm_": "a"}), final) == "supported"
    assert verdict(Check("moved", 0.0, where={"arm_": "b"}), final) == "refuted"
    # in the zone between the bound and the refuting value: not decided
    assert verdict(Check("moved", 1e-4, refute=1.0, where={"arm_": "b"}), final) == "inconclusive"
    assert verdict(Check("moved", 1e-4, direction="at_least", where={"arm_": "b"}), final) == "supported"
    # a check is not a statistical test: it takes no share of Holm's error rate
    _, results = check_claims([Check("moved", 0.0, where={"arm_": "a"}),
                               Compare("moved", {"arm_": "b"}, {"arm_": "a"})], final)
    assert results[0].check and not results[0].tests[0].adjusted
    assert results[1].tests[0].adjusted == ""


def test_check_needs_three_seeds_unless_deterministic():
    final = table({"a": lambda s: 0.0}, seeds=range(2), factor="arm_", metric="moved")
    assert verdict(Check("moved", 0.0), final) == "inconclusive"
    assert verdict(Check("moved", 0.0, deterministic=True), final) == "supported"
    (test,) = checked_tests([Check("moved", 0.0)], final)
    assert test.line() == ("moved against at most 0 (worst 0; exact check, 2 seeds; fewer than 3 seeds decide "
                           "nothing), inconclusive")


def test_a_diverged_trial_fails_a_check_and_is_named_in_a_comparison():
    final = table({"a": lambda s: 0.9 + wobble(s), "b": lambda s: 0.5 + wobble(s)}, factor="arm_")
    final.loc[(final["arm_"] == "b") & (final["seed"] < 2), ["acc", "diverged"]] = [np.nan, True]
    res = check_claims([Compare("acc", {"arm_": "a"}, {"arm_": "b"})], final)[1][0]
    assert res.tests[0].n_seeds == 6 and "arm_=b diverged in 2 of 8 seeds" in res.tests[0].detail
    assert verdict(Check("acc", 0.99, where={"arm_": "b"}), final) == "refuted"


@pytest.mark.parametrize("seeds", [1, 2])
def test_fewer_than_three_seeds_are_never_decisive(seeds):
    final = table({"a": lambda s: 0.9 + wobble(s), "b": lambda s: 0.1 + wobble(s)}, seeds=range(seeds), factor="arm_")
    for claim in (Compare("acc", {"arm_": "a"}, {"arm_": "b"}), Trend("acc", "arm_", levels=["b", "a"]),
                  Reaches("acc", 0.0), Equivalent("acc", {"arm_": "a"}, {"arm_": "a"}, margin=0.1)):
        assert verdict(claim, final) == "inconclusive", claim


def test_holm_corrects_over_all_tests_of_an_experiment():
    """One test alone at p ~ 0.03 is decisive; as one of many weak tests, Holm keeps it undecided."""
    rng = np.random.default_rng(3)
    deltas = rng.normal(0.0, 1.0, 12)
    deltas = deltas - deltas.mean() + 0.7 * deltas.std(ddof=1)  # t ~ 2.4 on 11 degrees of freedom
    final = table({"a": lambda s: deltas[s], "b": lambda s: 0.0}, seeds=range(12), factor="arm_")
    alone = check_claims([Compare("acc", {"arm_": "a"}, {"arm_": "b"})], final)[1][0].tests[0]
    assert alone.verdict == "supported" and 0.01 < alone.p_value < 0.05
    many = [Compare("acc", {"arm_": "a"}, {"arm_": "b"}, text=str(i)) for i in range(5)]
    results = check_claims(many, final)[1]
    assert all(r.verdict == "inconclusive" for r in results)
    assert all("Holm" in t.adjusted for r in results for t in r.tests)
    # Holm's levels: the tests are judged at alpha/5 ... alpha/1, so intervals are wider than alone
    assert results[0].tests[0].level > alone.level


def test_claims_by_group_and_where():
    final = pd.concat([table({2: lambda s: 0.5, 4: lambda s: 0.7 + wobble(s)}).assign(fn="sine"),
                       table({2: lambda s: 0.7, 4: lambda s: 0.5 + wobble(s)}).assign(fn="line")])
    res = check_claims([Trend("acc", "width", by=["fn"])], final)[1][0]
    assert [t.group for t in res.tests] == ["fn=sine", "fn=line"]
    assert [t.verdict for t in res.tests] == ["supported", "refuted"] and res.verdict == "refuted"
    only = check_claims([Trend("acc", "width", where={"fn": "sine"})], final)[1][0]
    assert only.verdict == "supported"


def test_combine():
    assert combine(["supported", "supported"]) == "supported"
    assert combine(["supported", "inconclusive"]) == "inconclusive"
    assert combine(["inconclusive", "refuted"]) == "refuted"
    assert combine([]) == "inconclusive"


def test_bad_claim_arguments_are_named():
    with pytest.raises(ConfigError, match="direction"):
        Trend("acc", "width", "upwards")
    with pytest.raises(ConfigError, match="direction"):
        Compare("acc", {}, {}, direction="bigger")


# ----- the lines a person reads -------------------------------------------------------------------------------

def checked_tests(claims, final):
    return [t for r in check_claims(claims, final)[1] for t in r.tests]


def test_a_compare_line_names_the_winner_the_effect_the_method_and_the_correction():
    final = table({"tanh": lambda s: 0.9 + wobble(s), "snake": lambda s: 0.7 + wobble(s + 1)}, factor="act",
                  metric="test_acc")
    claims = [Compare("test_acc", {"act": "snake"}, {"act": "tanh"}), Reaches("test_acc", 0.5)]
    refuted, _ = checked_tests(claims, final)
    assert refuted.verdict == "refuted"  # the claim said snake; tanh won, and the line says so
    effect = f"{-refuted.estimate:+.3g} [{-refuted.ci[1]:+.3g}, {-refuted.ci[0]:+.3g}]"
    assert refuted.line().startswith(f"act=tanh beats act=snake on test accuracy by {effect}, {refuted.method}, "
                                     "8 seeds, Holm-adjusted over 2 tests (p = ")
    summary = check_claims(claims, final)[1][0].summary()
    assert summary.startswith("refuted (claim: act=snake has higher test_acc than act=tanh) — act=tanh beats")


def test_a_compare_line_on_an_error_names_the_lower_arm_the_winner():
    final = table({"deep": lambda s: 0.1 + wobble(s), "flat": lambda s: 0.3 + wobble(s + 1)}, factor="net",
                  metric="test_mse")
    (test,) = checked_tests([Compare("test_mse", {"net": "flat"}, {"net": "deep"}, direction="different")], final)
    assert test.verdict == "supported" and test.line().startswith("net=deep beats net=flat on test MSE by -0.")
    # a metric whose better side is unknown: which arm is higher, never who "beats" whom
    final = final.rename(columns={"test_mse": "units"})
    (test,) = checked_tests([Compare("units", {"net": "deep"}, {"net": "flat"})], final)
    assert test.verdict == "refuted" and test.line().startswith("units is higher for net=flat than for net=deep by +0.")


def test_an_undecided_compare_line_says_inconclusive_and_one_seed_is_singular():
    same = table({"a": lambda s: 0.8 + wobble(s), "b": lambda s: 0.8 + wobble(s + 4)}, factor="arm_",
                 metric="test_acc")
    (test,) = checked_tests([Compare("test_acc", {"arm_": "a"}, {"arm_": "b"})], same)
    assert test.verdict == "inconclusive"
    assert test.line() == f"arm_=a vs arm_=b on test accuracy: {test.result.describe()}, inconclusive"
    one = table({"a": lambda s: 0.9, "b": lambda s: 0.1}, seeds=[0], factor="arm_", metric="test_acc")
    (test,) = checked_tests([Compare("test_acc", {"arm_": "a"}, {"arm_": "b"})], one)
    assert test.line().endswith(", 1 seed, inconclusive (fewer than 3 seeds)")
    assert "1 seeds" not in test.line()


def test_an_arm_that_diverged_in_every_seed_is_named_as_diverged():
    final = table({"0.01": lambda s: 0.9 + wobble(s), "1e+06": lambda s: np.nan}, seeds=range(4), factor="lr",
                  metric="test_acc")
    final.loc[final["lr"] == "1e+06", "diverged"] = True
    for claim in (Compare("test_acc", {"lr": "0.01"}, {"lr": "1e+06"}),
                  Equivalent("test_acc", {"lr": "0.01"}, {"lr": "1e+06"})):
        (test,) = checked_tests([claim, Reaches("test_acc", 0.5, where={"lr": "0.01"})], final)[:1]
        assert test.line() == "lr=1e+06 diverged in 4 of 4 seeds: nothing to compare"
    (test,) = checked_tests([Reaches("test_acc", 0.5, where={"lr": "1e+06"})], final)
    assert test.line() == "lr=1e+06 diverged in 4 of 4 seeds: nothing to test"
    summary = check_claims([Compare("test_acc", {"lr": "0.01"}, {"lr": "1e+06"})], final)[1][0].summary()
    assert "no finite values" not in summary and "0 seeds" not in summary


def test_an_arm_that_diverged_in_some_seeds_is_named_beside_the_effect():
    final = table({"a": lambda s: 0.9 + wobble(s), "b": lambda s: 0.5 + wobble(s)}, factor="arm_", metric="test_acc")
    final.loc[(final["arm_"] == "b") & (final["seed"] < 2), ["test_acc", "diverged"]] = [np.nan, True]
    (test,) = checked_tests([Compare("test_acc", {"arm_": "a"}, {"arm_": "b"})], final)
    assert test.line() == (f"arm_=a beats arm_=b on test accuracy by {test.result.describe()} "
                           "(arm_=b diverged in 2 of 8 seeds)")


def test_a_compare_line_with_a_margin_says_whether_the_lead_clears_it():
    final = table({"a": lambda s: 0.80 + wobble(s), "b": lambda s: 0.70 + wobble(s + 1)}, factor="arm_",
                  metric="test_acc")
    (short,) = checked_tests([Compare("test_acc", {"arm_": "a"}, {"arm_": "b"}, margin=0.3)], final)
    assert short.verdict == "refuted"
    assert short.line() == (f"arm_=a beats arm_=b on test accuracy by {short.result.describe()}; "
                            "the claimed arm_=a − arm_=b > 0.3 fails")
    (clear,) = checked_tests([Compare("test_acc", {"arm_": "a"}, {"arm_": "b"}, margin=0.05)], final)
    assert clear.line() == (f"arm_=a beats arm_=b on test accuracy by {clear.result.describe()}; "
                            "the claimed arm_=a − arm_=b > 0.05 holds")
    # non-inferiority: b may trail a by at most 0.2; it trails by about 0.1, which is settled either way
    (behind,) = checked_tests([Compare("test_acc", {"arm_": "b"}, {"arm_": "a"}, margin=-0.2)], final)
    assert behind.verdict == "supported"
    effect = f"{-behind.estimate:+.3g} [{-behind.ci[1]:+.3g}, {-behind.ci[0]:+.3g}]"
    assert behind.line().startswith(f"arm_=a beats arm_=b on test accuracy by {effect}, ")
    assert behind.line().endswith("; the claimed arm_=b − arm_=a > -0.2 holds")


def test_trend_lines_say_which_way_the_metric_goes():
    up = table({2: lambda s: 0.5 + wobble(s), 4: lambda s: 0.7 + wobble(s + 1), 8: lambda s: 0.9 + wobble(s + 2)},
               metric="test_acc")
    (test,) = checked_tests([Trend("test_acc", "width", "decreasing")], up)
    assert test.verdict == "refuted"
    assert test.line() == f"test accuracy rises with width: mean Spearman rho {test.result.describe()}"
    flat = table({2: lambda s: 0.5 + wobble(s), 4: lambda s: 0.5 + wobble(s + 2), 8: lambda s: 0.5 + wobble(s + 5)},
                 metric="test_acc")
    (test,) = checked_tests([Trend("test_acc", "width")], flat)
    assert test.line() == f"trend of test accuracy with width: mean Spearman rho {test.result.describe()}, inconclusive"


def test_equivalent_reaches_per_seed_and_check_lines():
    final = table({"a": lambda s: 0.80 + wobble(s), "b": lambda s: 0.60 + wobble(s + 1)}, factor="arm_",
                  metric="test_acc")
    (test,) = checked_tests([Equivalent("test_acc", {"arm_": "a"}, {"arm_": "b"}, margin=0.05)], final)
    assert test.line() == (f"arm_=a and arm_=b differ by more than 0.05 on test accuracy: difference "
                           f"{test.result.describe()}")
    (test,) = checked_tests([Reaches("test_acc", 0.7, where={"arm_": "b"})], final)
    assert test.verdict == "refuted" and test.line() == f"mean test accuracy is below 0.7: {test.result.describe()}"
    lead = lambda rows: rows.groupby("seed")["test_acc"].mean()  # noqa: E731
    (test,) = checked_tests([PerSeed(lead, "mean accuracy", null=0.5)], final)
    assert test.line() == f"mean accuracy is above 0.5: {test.result.describe()}"
    (test,) = checked_tests([Check("test_acc", 0.5, direction="at_least")], final)
    worst = final["test_acc"].min()
    assert test.line() == f"test accuracy is at least 0.5 in every trial (worst {worst:.4g}; exact check, 8 seeds)"
    (test,) = checked_tests([Check("test_acc", 0.7, direction="at_least")], final)
    assert test.verdict == "refuted"
    assert test.line() == f"test accuracy is not at least 0.7 in every trial (worst {worst:.4g}; exact check, 8 seeds)"


def test_reaches_a_share_of_yes_no_outcomes_by_the_binomial_test():
    solved = table({"x": lambda s: float(s % 6 != 0)}, seeds=range(24), factor="arm_", metric="solved")  # 20/24
    failed = table({"x": lambda s: float(s % 6 == 0)}, seeds=range(24), factor="arm_", metric="solved")  # 4/24
    even = table({"x": lambda s: float(s % 2)}, seeds=range(24), factor="arm_", metric="solved")  # 12/24
    claim = Reaches("solved", 0.5, bounds=(0.0, 1.0), method="binomial")
    assert verdict(claim, solved) == "supported"
    assert verdict(claim, failed) == "refuted"
    assert verdict(claim, even) == "inconclusive"
    assert check_claims([claim], solved)[1][0].tests[0].method == "exact binomial"
    with pytest.raises(ConfigError, match="method"):
        Reaches("solved", 0.5, method="bootstrap")
