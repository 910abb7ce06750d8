"""Every report, catalog entry or comparison, says which arms diverged, failed or did not learn."""

from __future__ import annotations

import json

from atomlab.engine import TrainSpec
from atomlab.lab import Compare, DataSpec, Experiment, Trial
from atomlab.lab.api import run_experiment
from atomlab.nn import MLPSpec


def catalog_like(lrs, steps=40, figures=None) -> Experiment:
    def make_trial(cfg, levels, seed):
        return Trial(levels, seed, DataSpec("moons", {"n_train": 80, "n_test": 80}), MLPSpec(layers=(8,)),
                     TrainSpec(optimizer="sgd", lr=levels["lr"], steps=cfg["steps"]))

    return Experiment(name="sanity-test", title="t", source="test", section="s", question="q", hypothesis="h",
                      method="m", source_conclusion="c", settings={"lr": list(lrs), "steps": steps, "seeds": 3},
                      factors=["lr"], make_trial=make_trial, figures=figures,
                      claims=[Compare("test_acc", {"lr": lrs[1]}, {"lr": lrs[0]})])


def test_a_catalog_report_has_its_sanity_checks(tmp_path):
    result = run_experiment(catalog_like([0.5, 1e6]), out=tmp_path / "r", cache=False, seeds=3)
    assert "lr=1e+06 diverged in 3 of 3 seeds" in result.sanity()
    page = (tmp_path / "r" / "report.html").read_text()
    assert "Sanity checks" in page and "lr=1e+06 diverged in 3 of 3 seeds" in page
    assert "lr=1e+06 diverged in 3 of 3 seeds" in json.loads((tmp_path / "r" / "verdict.json").read_text())["sanity"]


def test_a_catalog_run_whose_trials_all_diverge_still_gets_a_report(tmp_path):
    def figures(result, out_dir, formats=("png",)):
        raise AssertionError("figures drawn from no finite value")

    result = run_experiment(catalog_like([1e6, 1e7], figures=figures), out=tmp_path / "r", cache=False, seeds=3)
    assert result.verdict == "inconclusive" and result.figures == []
    assert result.sanity()[0].startswith("every trial diverged (6 of 6)")
    assert "every trial diverged" in (tmp_path / "r" / "report.html").read_text()


def test_a_run_that_learned_passes_its_checks(tmp_path):
    result = run_experiment(catalog_like([0.5, 1.0], steps=300), out=tmp_path / "r", cache=False, seeds=3)
    assert result.sanity() == []
    assert "No warnings" in (tmp_path / "r" / "report.html").read_text()
