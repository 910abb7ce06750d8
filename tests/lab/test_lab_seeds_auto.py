"""``--seeds auto``: rounds of seeds until every claim is decided, within the budget, error rate spent per look."""

from __future__ import annotations

import numpy as np
import pytest

from atomlab.engine.outcome import Outcome
from atomlab.errors import ConfigError
from atomlab.lab import Compare, DataSpec, Experiment, Trial, register_trial_kind
from atomlab.lab.api import run_experiment, seed_rounds

TRAINED: list[int] = []


@register_trial_kind("auto_seeds_fake", overwrite=True)
def _fake(trials, datasets, device="auto"):
    """Arm b's score is arm a's plus ``effect``, with seeded noise: no training, a known answer."""
    outs = []
    for t in trials:
        TRAINED.append(t.seed)
        b = t.levels["arm_"] == "b"
        noise = np.random.default_rng([t.seed, int(b)]).normal(0.0, 1.0)
        outs.append(Outcome(rows=[{"step": 1, "score": 10.0 + noise + (t.model["effect"] if b else 0.0)}]))
    return outs


def experiment(effect: float) -> Experiment:
    return Experiment(
        name=f"auto-seeds-{effect}", title="t", source="test", section="s", question="q", hypothesis="h",
        method="m", source_conclusion="c", settings={"arm_": ["a", "b"], "effect": effect, "seeds": 4},
        factors=["arm_"], metric="score",
        make_trial=lambda cfg, lv, seed: Trial(lv, seed, DataSpec("moons", {"n_train": 10}),
                                               {"effect": cfg["effect"]}, None, kind="auto_seeds_fake"),
        claims=[Compare("score", {"arm_": "b"}, {"arm_": "a"})])


def test_seed_rounds_double_up_to_the_budget_and_refuse_bad_input():
    assert seed_rounds("auto", 5) == [5, 10, 20]
    assert seed_rounds("auto:12", 3) == [3, 6, 12]
    assert seed_rounds("auto:4", 5) == [4]
    assert seed_rounds(7, 5) is None and seed_rounds(None, 5) is None
    for bad in ("auto:x", "auto:1", "often", "auto:100000"):
        with pytest.raises(ConfigError, match="seeds"):
            seed_rounds(bad, 5)


def test_a_clear_effect_stops_at_the_first_decisive_look(tmp_path):
    TRAINED.clear()
    result = run_experiment(experiment(50.0), seeds="auto:32", report=False, cache_dir=tmp_path)
    assert result.verdict == "supported"
    # O'Brien-Fleming spends almost nothing at the first look (4 of 32 seeds), so even a huge effect waits for
    # the second; then the run stops, far below its budget of 32
    assert result.config["seeds"] == 8 and "look 2 of 4" in result.config["seeds_rule"]
    assert sorted(TRAINED) == sorted(list(range(8)) * 2)


def test_a_moderate_effect_takes_more_rounds_and_trains_no_seed_twice(tmp_path):
    TRAINED.clear()
    result = run_experiment(experiment(1.5), seeds="auto:32", report=False, cache_dir=tmp_path)
    assert result.verdict == "supported" and 8 < result.config["seeds"] <= 32
    n = result.config["seeds"]
    assert sorted(TRAINED) == sorted(list(range(n)) * 2)  # each seed of each arm trained once, over the rounds


def test_no_effect_spends_the_whole_budget_and_never_more(tmp_path):
    TRAINED.clear()
    result = run_experiment(experiment(0.0), seeds="auto:16", report=False, cache_dir=tmp_path)
    assert result.verdict == "inconclusive"
    assert result.config["seeds"] == 16 and "look 3 of 3" in result.config["seeds_rule"]
    assert len(TRAINED) == 2 * 16 and max(TRAINED) == 15
    # the last look is judged at the alpha left for it, below the nominal 5 %
    test = result.claims[0].tests[0]
    assert test.level > 0.95


def test_quick_scale_adds_one_round_by_default_and_a_number_fixes_it(tmp_path):
    exp = experiment(0.0)
    exp.scales = {"quick": {"seeds": 4}}
    assert run_experiment(exp, scale="quick", report=False, cache_dir=tmp_path).config["seeds"] == 8
    assert run_experiment(exp, scale="quick", seeds=4, report=False, cache_dir=tmp_path).config["seeds"] == 4


def test_an_entry_may_allow_the_default_run_more_rounds(tmp_path):
    exp = experiment(0.0)
    exp.scales = {"quick": {"seeds": 4}}
    exp.quick_seed_growth = 4  # no effect: the run spends the whole budget of 4 x 4 seeds, in three looks
    result = run_experiment(exp, scale="quick", report=False, cache_dir=tmp_path)
    assert result.config["seeds"] == 16 and "look 3 of 3" in result.config["seeds_rule"]
    for bad in (0, 17, 2.5, True):
        with pytest.raises(ConfigError, match="quick_seed_growth must be an integer from 1 to 16"):
            Experiment(name="x", title="t", source="s", section="s", question="q", hypothesis="h", method="m",
                       source_conclusion="c", settings={}, factors=[], make_trial=lambda *a: None,
                       quick_seed_growth=bad)
