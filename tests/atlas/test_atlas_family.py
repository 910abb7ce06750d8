"""The atlas as one family: Benjamini-Hochberg over every statistical test, checks counted apart."""

from __future__ import annotations

from atomlab.lab.atlas import family_summary


def claim(p_values, verdict, check=False):
    return {"check": check, "verdict": verdict,
            "tests": [{"p_value": p, "verdict": verdict} for p in p_values]}


def test_a_marginal_verdict_among_many_tests_is_not_kept_under_the_false_discovery_control():
    # 20 experiments: one strong claim (p = 1e-4) and one marginal one (p = 0.01) decided by their own Holm,
    # plus 18 experiments with nothing (p = 0.6). BH over 20 tests keeps p = 1e-4 (1e-4 * 20 < 0.05) and drops
    # p = 0.01 (0.01 * 20 / 2 = 0.1 > 0.05).
    verdicts = [{"claims": [claim([1e-4], "supported")]}, {"claims": [claim([0.01], "refuted")]}]
    verdicts += [{"claims": [claim([0.6], "inconclusive")]} for _ in range(18)]
    lines = family_summary(verdicts)
    assert lines[0].startswith("20 claims decided by statistics in 20 experiments; 2 decisive")
    assert "1 of them still decisive" in lines[0] and "over all 20 tests" in lines[0]


def test_checks_are_counted_apart_and_never_enter_the_family():
    verdicts = [{"claims": [claim([0.0], "supported", check=True), claim([0.0], "refuted", check=True),
                            claim([0.001], "supported")]}]
    lines = family_summary(verdicts)
    assert lines[0].startswith("1 claim decided by statistics") and "over all 1 test of" in lines[0]
    assert lines[1].startswith("2 checks") and "1 passed" in lines[1]
