"""atomlab.compare: every setting resolved, hypotheses read into claims, the comparison's report and its files."""

from __future__ import annotations

import dataclasses
import inspect
import json
import re

import numpy as np
import pandas as pd
import pytest

import atomlab
from atomlab.engine import TrainSpec
from atomlab.errors import ConfigError
from atomlab.lab import api
from atomlab.lab.claims import Compare, Equivalent, Trend
from atomlab.lab.compare import comparison_claims, comparison_from_config
from atomlab.lab.compare_config import resolve_config
from atomlab.nn import MLPSpec

TINY = {"name": "moons", "n_train": 60, "n_test": 60}


def tiny(**kw):
    """A comparison of a few seconds: 60 points of moons, a small MLP, 40 steps, 3 seeds, nothing cached."""
    args = {"data": TINY, "model": {"layers": [6]}, "train": {"steps": 40, "lr": 0.05}, "seeds": 3, "cache": False,
            "device": "cpu", "workers": 1}
    args.update(kw)
    return atomlab.compare(**args)


# ----- the function itself -----------------------------------------------------------------------------------

def test_help_shows_the_full_signature_and_a_runnable_example():
    params = inspect.signature(atomlab.compare).parameters
    assert {"data", "vary", "model", "train", "seeds", "metric", "hypothesis", "plugins", "out", "config",
            "events"} <= set(params)
    assert atomlab.compare.__doc__ and "Examples" in atomlab.compare.__doc__ and ">>> " in atomlab.compare.__doc__


# ----- resolving the configuration ----------------------------------------------------------------------------

def test_config_holds_every_setting_with_its_default():
    cfg = resolve_config(data="spirals", vary={"activation": ["relu", "tanh"]}, model={"layers": [10, 10]},
                         train={"steps": 300})
    assert set(cfg["model"]) == {f.name for f in dataclasses.fields(MLPSpec)} - {"activation"}
    assert set(cfg["train"]) == {f.name for f in dataclasses.fields(TrainSpec)}
    assert cfg["train"]["optimizer"] == TrainSpec(steps=1).optimizer and cfg["train"]["steps"] == 300
    assert cfg["train"]["batch_size"] == TrainSpec(steps=1).batch_size
    assert cfg["model"]["init"] == MLPSpec().init
    # the data set's own defaults are written out, so a later change of default cannot change the run
    assert {"n_train", "n_test", "n_classes", "n_turns", "noise"} <= set(cfg["dataset"])
    assert cfg["train"]["grid"] and cfg["metric"] == "test_acc"
    assert json.loads(json.dumps(cfg)) == cfg  # plain JSON, nothing lost


def test_any_setting_can_be_varied_and_factors_cross():
    cfg = resolve_config(data="moons", vary={"data": ["moons", "circles"], "noise": [0.05, 0.2], "lr": [0.01, 0.1]},
                         train={"steps": 10})
    assert cfg["factors"] == {"data": "dataset", "noise": "data", "lr": "train"}
    exp = comparison_from_config(cfg)
    trials = exp.plan(exp.config())
    assert len(trials) == 2 * 2 * 2 * cfg["seeds"]
    assert {(t.data.name, t.data.params["noise"], t.train.lr) for t in trials} == {
        (d, n, lr) for d in ("moons", "circles") for n in (0.05, 0.2) for lr in (0.01, 0.1)}
    # a data set's own parameters come with it when the data set is varied
    assert {t.data.params.get("factor") for t in trials if t.data.name == "circles"} == {0.5}


def test_width_and_depth_shape_the_hidden_layers():
    cfg = resolve_config(data="moons", vary={"width": [4, 16], "depth": [1, 3]}, model={"layers": [10, 10]},
                         train={"steps": 10})
    exp = comparison_from_config(cfg)
    layers = {(t.levels["width"], t.levels["depth"]): t.model.layers for t in exp.plan(exp.config())}
    assert layers == {(4, 1): (4,), (4, 3): (4, 4, 4), (16, 1): (16,), (16, 3): (16, 16, 16)}


def test_command_line_strings_are_read_as_the_settings_types():
    cfg = resolve_config(data={"name": "moons", "noise": "0.1"}, vary={"lr": ["0.1", "1e-2"], "layers": ["[4]",
                         "[4,4]"]}, train={"steps": "20", "batch_size": "None"})
    assert cfg["lr"] == [0.1, 0.01] and cfg["layers"] == [[4], [4, 4]]
    assert cfg["train"]["steps"] == 20 and cfg["train"]["batch_size"] is None and cfg["dataset"]["noise"] == 0.1


@pytest.mark.parametrize("kwargs, message", [
    ({"data": "spiralz", "vary": {"lr": [0.1, 0.2]}}, r"unknown dataset 'spiralz'.*known: .*spirals"),
    ({"vary": {"lrr": [0.1, 0.2]}}, r"unknown factor 'lrr'; did you mean 'lr'\?.*known: "),
    ({"vary": {"lr": []}}, r"vary\['lr'\] has no levels"),
    ({"vary": {"lr": [0.1]}}, r"nothing to compare: lr=0.1 is one arm"),
    ({"vary": {"lr": [0.1, 0.1]}}, r"lists the level 0.1 twice"),
    ({"vary": {"lr": [0.1, 0.2]}, "metric": "test_mse"}, r"unknown metric .*'test_mse'.*known: test_acc"),
    ({"vary": {"activation": ["relu", "tanh"]}, "hypothesis": "snake > relu"}, r"no arm 'snake'.*known: relu, tanh"),
    ({"vary": {"activation": ["relu", "tanh"]}, "hypothesis": "relu >> tanh"}, r"cannot read the hypothesis"),
    ({"vary": {"activation": ["relu", "snek"]}}, r"unknown activation 'snek'.*--plugin FILE"),
    ({"vary": {"lr": [0.1, 0.2]}, "train": {"stepz": 3}}, r"unknown train setting 'stepz'; did you mean 'steps'"),
    ({"vary": {"lr": [0.1, 0.2]}, "data": {"name": "moons", "nois": 1}}, r"no parameter 'nois'; did you mean"),
])
def test_bad_input_is_one_clear_error_before_any_training(kwargs, message, monkeypatch):
    def no_training(*a, **k):
        raise AssertionError("trained before the input was checked")

    monkeypatch.setattr(api, "run_trials", no_training)
    args = {"data": "moons", "cache": False, **kwargs}
    with pytest.raises(ConfigError, match=message):
        atomlab.compare(**args)


def test_the_former_name_dataset_still_works_and_vary_may_name_the_data_set():
    result = tiny(data="surface2d", dataset=TINY, vary={"name": ["moons", "circles"]})
    assert set(result.final["data"]) == {"moons", "circles"}


# ----- hypotheses and claims ------------------------------------------------------------------------------------

def test_hypotheses_become_the_labs_claims():
    base = {"data": "moons", "train": {"steps": 10}}
    cfg = resolve_config(vary={"activation": ["relu", "tanh"], "lr": [0.01, 0.1]}, hypothesis="tanh > relu", **base)
    (claim,) = comparison_claims(cfg)
    assert isinstance(claim, Compare) and claim.direction == "greater" and claim.by == ["lr"]
    cfg = resolve_config(vary={"activation": ["relu", "tanh"]}, hypothesis="tanh = relu within 0.01", **base)
    assert isinstance(comparison_claims(cfg)[0], Equivalent) and comparison_claims(cfg)[0].margin == 0.01
    cfg = resolve_config(vary={"width": [2, 4, 8]}, hypothesis="decreases with width", **base)
    trend = comparison_claims(cfg)[0]
    assert isinstance(trend, Trend) and trend.direction == "decreasing" and trend.levels == [2, 4, 8]


def test_without_a_hypothesis_every_arm_meets_the_baseline_two_sided():
    cfg = resolve_config(data="moons", vary={"activation": ["relu", "tanh", "sigmoid"]}, train={"steps": 10})
    claims = comparison_claims(cfg)
    assert [(c.a, c.b, c.direction) for c in claims] == [
        ({"activation": "tanh"}, {"activation": "relu"}, "different"),
        ({"activation": "sigmoid"}, {"activation": "relu"}, "different")]


def test_the_report_says_better_worse_or_indistinguishable_per_arm():
    # identity cannot separate circles; relu can. Every relu seed scores 1.0, so the differences tie and the
    # exact sign-flip test decides: 8 seeds reach p = 2/256, below Holm's 0.025 for the first of two tests.
    result = tiny(data={"name": "circles", "n_train": 120, "n_test": 120, "noise": 0.05},
                  vary={"activation": ["identity", "relu", "tanh"]}, model={"layers": [16]},
                  train={"steps": 300, "lr": 0.03}, seeds=8)
    table = result.experiment.arm_table(result).set_index("activation")
    assert table.loc["identity", "verdict"] == "baseline"
    assert table.loc["relu", "verdict"] == "better"
    for claim, res in zip(result.experiment.claims_for(result.config), result.claims):
        test = res.tests[0]
        word = table.loc[claim.a["activation"], "verdict"]
        expected = ("indistinguishable" if test.verdict != "supported" else
                    "better" if test.estimate > 0 else "worse")
        assert word == expected
    line = result.verdict_line()
    assert "relu beats identity (baseline) on test accuracy by +" in line and "8 seeds" in line
    # two comparisons with the baseline: the line says they were corrected together
    assert line.count("Holm-adjusted over 2 tests (p = ") == 2


def test_the_verdict_line_names_the_winner_and_the_effect():
    result = tiny(data={"name": "circles", "n_train": 120, "n_test": 120, "noise": 0.05},
                  vary={"activation": ["identity", "relu"]}, model={"layers": [16]},
                  train={"steps": 300, "lr": 0.03}, seeds=7, hypothesis="identity > relu")
    means = result.final.groupby("activation")["test_acc"].mean()
    assert means["relu"] > means["identity"]
    line = result.verdict_line()
    test = result.claims[0].tests[0]
    assert result.verdict == "refuted"  # the hypothesis said identity; relu won
    assert line.startswith("REFUTED: identity > relu — relu beats identity on test accuracy by +")
    assert f"{-test.estimate:+.3g}" in line and f"{test.n_seeds} seeds" in line


# ----- the files of a comparison ----------------------------------------------------------------------------------

def _text(path) -> str:
    body = re.sub(r"<style>.*?</style>", "", path.read_text(), flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body))


def test_report_is_about_the_hypothesis_with_every_setting_surfaces_and_seeds(tmp_path):
    result = tiny(vary={"activation": ["relu", "tanh"]}, hypothesis="tanh > relu", out=tmp_path / "cmp")
    text = _text(result.report_path)
    assert "source" not in text.lower().replace("open source", "")  # no "the source concluded", no agreement
    for section in ("Question and hypothesis", "Arms", "Sanity checks", "Per-seed results", "Method and every "
                    "setting", "Figures"):
        assert section in text
    for setting in ("train.optimizer", "train.batch_size", "train.lr", "model.init", "model.bias_init",
                    "dataset.noise", "data_seed"):
        assert setting in text
    names = {f.name for f in result.figures}
    assert names == {"overview", "loss", "surfaces"}  # 2-D data: the decision surfaces too
    assert next(f for f in result.figures if f.main).name == "overview"
    verdict = json.loads((tmp_path / "cmp" / "verdict.json").read_text())
    assert verdict["verdict_line"] == result.verdict_line() and verdict["comparison"]["hypothesis"] == ["tanh > relu"]
    per_seed = result.experiment.per_seed_table(result)
    assert list(per_seed.columns) == ["seed", "relu", "tanh"] and len(per_seed) == 3


def test_config_json_reproduces_the_run_exactly(tmp_path):
    first = tiny(vary={"activation": ["relu", "tanh"], "lr": [0.02, 0.1]}, out=tmp_path / "a")
    saved = json.loads((tmp_path / "a" / "config.json").read_text())
    assert saved["model"]["layers"] == [6] and saved["train"]["steps"] == 40
    again = atomlab.compare(config=tmp_path / "a" / "config.json", out=tmp_path / "b", cache=False, device="cpu",
                            workers=1)
    assert [t.key for t in again.trials] == [t.key for t in first.trials]
    cols = [c for c in first.final.columns if c != "wall_time"]
    pd.testing.assert_frame_equal(first.final[cols], again.final[cols])
    assert again.verdict_line() == first.verdict_line()
    with pytest.raises(ConfigError, match="drop vary"):
        atomlab.compare(config=tmp_path / "a" / "config.json", vary={"lr": [1, 2]})


def test_a_diverged_arm_is_named_and_a_run_that_all_diverges_still_gets_a_report(tmp_path):
    some = tiny(vary={"lr": [0.05, 1e6]}, train={"steps": 30, "optimizer": "sgd"})
    assert "lr=1e+06 diverged in 3 of 3 seeds" in some.sanity()
    every = tiny(vary={"lr": [1e6, 1e7]}, train={"steps": 30, "optimizer": "sgd"}, out=tmp_path / "div")
    assert every.verdict_line().startswith("NO VERDICT")
    assert any(n.startswith("every trial diverged (6 of 6)") for n in every.sanity())
    assert every.report_path.is_file() and "every trial diverged" in _text(every.report_path)
    assert {f.name for f in every.figures} >= {"overview"}


def test_arms_that_did_not_learn_are_flagged():
    result = tiny(vary={"lr": [1e-6, 2e-6]}, train={"steps": 20, "optimizer": "sgd"})
    notes = result.sanity()
    assert notes[0] == "no arm learned: train longer or raise the learning rate"
    assert any(n.startswith("lr=1e-06 did not learn: training accuracy") for n in notes)


def test_a_result_shows_its_verdict_and_main_figure_in_a_notebook():
    result = tiny(vary={"activation": ["relu", "tanh"]})  # no out: the figure is drawn for the notebook
    html = result._repr_html_()
    assert result.figures == []
    assert len(re.findall(r'src="data:image/png;base64,', html)) == 1
    assert result.verdict_line().split(":")[0] in html and "baseline" in html


def test_events_are_json_lines_start_trials_verdict(tmp_path):
    events = tmp_path / "events.jsonl"
    result = tiny(vary={"activation": ["relu", "tanh"]}, events=events)
    lines = [json.loads(line) for line in events.read_text().splitlines()]
    kinds = [e["event"] for e in lines]
    assert kinds[0] == "start" and kinds[-1] == "verdict" and kinds.count("trial") == len(result.trials)
    assert lines[0]["config"]["activation"] == ["relu", "tanh"]
    assert lines[-1]["line"] == result.verdict_line()
    assert {e["status"] for e in lines if e["event"] == "trial"} == {"trained"}
    assert all(np.isfinite(e["final"]["test_acc"]) for e in lines if e["event"] == "trial")
