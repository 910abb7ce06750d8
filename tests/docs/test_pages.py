"""The generated docs pages: the repository's pages match the recorded results, and the pieces that make them.

``test_the_repository_pages_match_the_recorded_results`` regenerates every page of docs/catalog from the
declarations and docs/results and fails on any difference, so a change that moves a number or a setting
cannot leave a stale page. The other tests run a tiny experiment (two arms of a 6-unit network on the moons,
15 steps, 3 seeds), record it, and check the record, the pages, the report, the atlas's scorecard and the
``atomlab docs`` command against it.
"""

from __future__ import annotations

import dataclasses
import json
import math
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import atomlab
from atomlab import stats
from atomlab.cli import main
from atomlab.engine import TrainSpec
from atomlab.lab import DataSpec, Experiment, SourceNumber, Trend, Trial, pages, recorded
from atomlab.lab.experiment import experiments as experiment_registry
from atomlab.lab.experiment import register_experiment
from atomlab.lab.sources import beside_ours, reproduced
from atomlab.metrics import metric_bounds
from atomlab.nn import MLPSpec

ROOT = Path(__file__).resolve().parents[2]


def catalog() -> list[Experiment]:
    atomlab._load_catalog()
    return [experiment_registry.get(n) for n in experiment_registry.names()]


def test_the_repository_pages_match_the_recorded_results():
    problems = pages.check_pages(ROOT / "docs", catalog())
    assert not problems, ("these pages differ from what `atomlab docs` generates from the declarations and "
                          "docs/results; run `atomlab docs` and commit the result:\n" + "\n".join(problems))


def test_every_record_in_the_repository_names_a_catalog_entry_and_reads():
    names = {e.name for e in catalog()}
    for (name, scale), record in recorded.load_records(ROOT / "docs").items():
        assert name in names and scale in ("smoke", "quick", "paper")
        assert (ROOT / "docs" / recorded.RESULTS / f"{name}-{scale}.json").read_text() == recorded.dumps(record)


# ----- a tiny experiment, run once ---------------------------------------------------------------------------
NUMBERS = [
    SourceNumber("test_acc", 0.5, {"layers": (6, 6)}, "made up: far below"),
    SourceNumber("test_acc", math.nan, {"layers": (6,)}, "placeholder, replaced by the test with our own mean"),
    SourceNumber("train_loss", 0.1, {"layers": (7,)}, "an arm we do not run"),
]


def make_trial(cfg, levels, seed):
    return Trial(levels, seed, DataSpec("moons", {"n_train": 60, "n_test": 60}, seed=0),
                 MLPSpec(layers=tuple(levels["layers"]), activation="tanh"),
                 TrainSpec(optimizer="sgd", lr=cfg["lr"], steps=cfg["steps"], batch_size=20))


def tiny(name: str = "docs-test-tiny", **changes) -> Experiment:
    exp = Experiment(
        name=name, title="Tiny docs test", source="000", section="a test section", question="Does depth help?",
        hypothesis="Deeper is better.", method="Two small tanh networks on the moons.",
        source_conclusion="It was better.", settings={"layers": [[6], [6, 6]], "lr": 0.1, "steps": 15, "seeds": 3},
        factors=["layers"], make_trial=make_trial, claims=[Trend("test_acc", "layers", "increasing")],
        scales={"smoke": {"steps": 15}, "quick": {"steps": 20}},
        provenance={"lr": "source text", "steps": "changed: fewer, so that the test is quick", "layers": "assumed"},
        source_numbers=list(NUMBERS), differences="Everything is smaller.")
    return dataclasses.replace(exp, **changes)


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """The tiny experiment run at smoke scale, its folder, and the experiment with a number inside our interval."""
    from atomlab.lab.api import run_experiment

    out = tmp_path_factory.mktemp("docs-run") / "tiny"
    first = run_experiment(tiny(), scale="smoke", out=out)
    ours = first.final[first.final["layers"] == (6,)].groupby("seed")["test_acc"].mean()
    numbers = list(NUMBERS)
    numbers[1] = dataclasses.replace(numbers[1], value=float(ours.mean()), what="our own mean")
    exp = tiny(source_numbers=numbers)
    result = run_experiment(exp, scale="smoke", out=out)  # from the store: the verdict.json with these numbers
    return exp, result, out


@pytest.fixture
def docs(tmp_path):
    (tmp_path / "docs").mkdir()
    return tmp_path / "docs"


@pytest.fixture
def tiny_catalog(monkeypatch):
    """The catalog seen by ``atomlab docs`` during one test: only the given experiments (restored afterwards)."""
    monkeypatch.setattr(experiment_registry, "_entries", dict(experiment_registry._entries))

    def install(*exps: Experiment) -> None:
        for exp in exps:
            register_experiment(exp, overwrite=True)
        monkeypatch.setattr(atomlab, "experiments", lambda: [e.name for e in exps])

    return install


# ----- rounding and the record ---------------------------------------------------------------------------------
def test_round_sig_keeps_six_significant_digits_and_drops_non_finite():
    assert recorded.round_sig(0.1234567890) == 0.123457
    assert recorded.round_sig(98765432.1) == 98765400.0
    assert recorded.round_sig(-1.23456789e-9) == -1.23457e-09
    assert recorded.round_sig(3) == 3.0
    assert recorded.round_sig(float("inf")) is None and recorded.round_sig(float("nan")) is None


def test_dumps_is_deterministic_sorted_and_rounded():
    a = {"z": 1, "a": {"values": [0.1 + 0.2, float("nan")], "b": (1, 2)}, "m": [{"y": 2, "x": 1 / 3}]}
    b = {"m": [{"x": 1 / 3, "y": 2}], "a": {"b": [1, 2], "values": [0.30000000000000004, None]}, "z": 1}
    text = recorded.dumps(a)
    assert text == recorded.dumps(b) and text.endswith("\n")
    assert json.loads(text) == {"a": {"b": [1, 2], "values": [0.3, None]}, "m": [{"x": 0.333333, "y": 2}], "z": 1}
    keys = re.findall(r'^\s*"(\w+)":', text, re.M)
    assert keys == ["a", "b", "values", "m", "x", "y", "z"]
    assert '"values": [0.3, null]' in text  # a flat list stays on one line


def test_record_holds_verdict_tests_arms_and_provenance(run, docs):
    exp, result, out = run
    path = recorded.write_record(out, docs, experiment=exp, figures=False)
    assert path == docs / "results" / "docs-test-tiny-smoke.json"
    record = recorded.load_record(path)
    assert record["verdict"] == result.verdict and record["seeds"] == 3 and record["scale"] == "smoke"
    assert [c["text"] for c in record["claims"]] == [c.text for c in result.claims]
    test = record["claims"][0]["tests"][0]
    got = result.claims[0].tests[0]
    assert test["estimate"] == recorded.round_sig(got.estimate) and test["method"] == got.method
    assert test["n_seeds"] == 3 and test["low"] == recorded.round_sig(got.ci[0])
    # the arms, their levels as declared (lists, not the text final.csv holds), and per-seed values
    assert [a["levels"] for a in record["arms"]] == [{"layers": [6]}, {"layers": [6, 6]}]
    arm = record["arms"][1]
    values = result.final[result.final["layers"] == (6, 6)].sort_values("seed")["test_acc"].tolist()
    assert arm["seeds"] == [0, 1, 2]
    assert arm["metrics"]["test_acc"]["values"] == [recorded.round_sig(v) for v in values]
    mean, low, high = stats.mean_interval(values, bounds=metric_bounds("test_acc"))
    assert arm["metrics"]["test_acc"]["low"] == recorded.round_sig(low)
    assert "train_loss" in arm["metrics"]  # a source number's metric is recorded beside the main one
    prov = record["provenance"]
    assert prov["atomlab"] == atomlab.__version__ and "machine" in prov and "wall_time_s" in prov
    assert "store" not in prov and "run_id" not in prov  # nothing that says where this machine keeps things
    # recording the same run again writes the same bytes
    before = path.read_bytes()
    assert recorded.write_record(out, docs, experiment=exp, figures=False).read_bytes() == before


def test_record_copies_figures_only_when_asked(run, docs, tmp_path):
    exp, _, out = run
    fig_dir = out / "figures"
    fig_dir.mkdir(exist_ok=True)
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    ax.plot([0, 1], [0, 1])
    fig.savefig(fig_dir / "main.png")
    fig.savefig(fig_dir / "extra.png")
    plt.close(fig)
    verdict = json.loads((out / "verdict.json").read_text())
    verdict["figures"] = [{"name": "extra", "path": "figures/extra.png", "caption": "Not main.", "main": False},
                          {"name": "main", "path": "figures/main.png", "caption": "A line.", "main": True}]
    copy = tmp_path / "run-with-figure"
    import shutil

    shutil.copytree(out, copy)
    (copy / "verdict.json").write_text(json.dumps(verdict))
    path = recorded.write_record(copy, docs, experiment=exp)  # smoke: no figures by default
    assert recorded.load_record(path)["figures"] == [] and not path.with_suffix("").exists()
    path = recorded.write_record(copy, docs, experiment=exp, figures=True)
    record = recorded.load_record(path)
    assert record["figures"] == [{"caption": "A line.", "file": "docs-test-tiny-smoke/main.png", "main": True,
                                  "name": "main"}]
    folder = docs / "results" / "docs-test-tiny-smoke"
    assert [p.name for p in folder.iterdir()] == ["main.png"]  # the main figure only
    assert (folder / "main.png").read_bytes() == (fig_dir / "main.png").read_bytes()
    page = pages.entry_page(exp, {"paper": record})
    assert "![main](../results/docs-test-tiny-smoke/main.png)" in page and "*A line.*" in page


def test_a_folder_that_is_not_a_run_is_one_clear_error(tmp_path, docs):
    with pytest.raises(atomlab.ConfigError, match="no verdict.json in"):
        recorded.write_record(tmp_path, docs, experiment=tiny())
    bad = docs / "results"
    bad.mkdir()
    (bad / "x-paper.json").write_text('{"format": 99}')
    with pytest.raises(atomlab.ConfigError, match="layout 99"):
        recorded.load_records(docs)


# ----- the source's numbers beside ours ----------------------------------------------------------------------
def frame(values_by_arm: dict) -> pd.DataFrame:
    return pd.DataFrame([{"units": units, "seed": s, "train_mse": v}
                         for units, values in values_by_arm.items() for s, v in enumerate(values)])


def test_a_source_number_inside_and_outside_our_interval():
    final = frame({2: [0.40, 0.44, 0.42, 0.43], 16: [0.030, 0.034, 0.031, 0.036]})
    _, lo, hi = stats.mean_interval([0.40, 0.44, 0.42, 0.43], bounds=(0, math.inf))
    inside = SourceNumber("train_mse", (lo + hi) / 2, {"units": 2})
    above = SourceNumber("train_mse", hi + 1e-3, {"units": 2})
    below = SourceNumber("train_mse", 0.0, {"units": 16})
    got = beside_ours([inside, above, below], final)
    assert [b.inside for b in got] == [True, False, False]
    assert [b.outcome for b in got] == ["inside", "outside", "outside"]
    assert got[0].n == 4 and math.isclose(got[0].low, lo) and math.isclose(got[0].high, hi)
    assert reproduced(got) == (1, 3)


def test_a_source_number_over_several_arms_uses_the_per_seed_mean():
    final = frame({2: [0.4, 0.5, 0.6], 4: [0.2, 0.3, 0.4]})
    (b,) = beside_ours([SourceNumber("train_mse", 0.4, {})], final)
    per_seed = [(0.4 + 0.2) / 2, (0.5 + 0.3) / 2, (0.6 + 0.4) / 2]
    assert b.arm == "all" and b.n == 3 and math.isclose(b.mean, np.mean(per_seed))


def test_a_source_number_that_cannot_be_compared_says_why():
    final = frame({2: [0.4, 0.5, 0.6], 4: [0.2, float("nan"), 0.4], 8: [0.1, 0.2]})
    numbers = [SourceNumber("test_acc", 0.9, {"units": 2}), SourceNumber("train_mse", 0.9, {"width": 2}),
               SourceNumber("train_mse", 0.9, {"units": 3}), SourceNumber("train_mse", 0.3, {"units": 8}),
               SourceNumber("train_mse", 0.3, {"units": 4})]
    got = beside_ours(numbers, final)
    assert all(b.inside is None for b in got)
    assert got[0].note == "our results have no column 'test_acc'"
    assert got[1].note == "our results have no column 'width'"
    assert got[2].note == "no arm of ours has units=3"
    assert got[3].note == "too few seeds for an interval (2)" and got[3].n == 2
    assert got[4].note == "too few seeds for an interval (2)"  # the diverged seed is left out
    assert reproduced(got) == (0, 5)


# ----- the pages ---------------------------------------------------------------------------------------------
def test_an_entry_without_a_record_says_so_and_still_shows_its_declaration():
    page = pages.entry_page(tiny(), {})
    assert page.startswith(pages.MARKER)
    assert "No paper-scale run of this entry is recorded yet" in page
    assert "### Claims tested" not in page and "**SUPPORTED" not in page
    assert "| `lr` | 0.1 |  |  | source text |" in page
    assert "| `steps` | 15 | 20 |  | changed: fewer, so that the test is quick |" in page
    assert "| `layers` (varied) | [6], [6, 6] |  |  | assumed |" in page
    assert "| `seeds` | 3 |  |  | *not declared* |" in page
    assert page.count("no paper-scale run recorded") == len(NUMBERS)
    assert "Everything is smaller." in page and "Deeper is better." in page


def test_the_settings_table_shows_what_each_scale_changes():
    exp = tiny(scales={"smoke": {"steps": 5, "seeds": 2}, "quick": {"steps": 10}})
    rows = {line.split("|")[1].strip(): [c.strip() for c in line.split("|")[2:6]]
            for line in pages.settings_table(exp) if line.startswith("| `")}
    assert rows["`steps`"] == ["15", "10", "5", "changed: fewer, so that the test is quick"]
    assert rows["`seeds`"] == ["3", "", "2", "*not declared*"]


def test_an_entry_with_a_record_shows_verdict_tests_arms_and_the_source_beside_ours(run, docs):
    exp, result, out = run
    record = recorded.load_record(recorded.write_record(out, docs, experiment=exp))
    page = pages.entry_page(exp, {"paper": record})
    assert f"**{result.verdict.upper()}.**" in page
    assert "No paper-scale run" not in page and "3 seeds per arm (6 trials)" in page
    test = result.claims[0].tests[0]
    assert f"| {pages.signed(test.estimate)} [{pages.signed(test.ci[0])}, {pages.signed(test.ci[1])}] |" in page
    lines = {line.split("|")[1].strip(): line for line in page.splitlines()
             if line.startswith("| layers=") and "| `" in line}  # the rows of the source's numbers
    assert "**outside**" in lines["layers=[6,6]"]  # 0.5 lies below any mean of the 2-layer arm's interval
    assert "**inside**" in lines["layers=[6]"]  # our own mean lies inside our interval
    assert "no arm of ours has layers=[7]" in lines["layers=[7]"]
    assert "1 of 3 of the source's numbers lie inside our interval." in page
    # a quick record is never what the page shows
    quick = pages.entry_page(exp, {"quick": record})
    assert "No paper-scale run of this entry is recorded yet" in quick


def test_a_record_that_no_longer_matches_the_declaration_is_flagged(run, docs):
    exp, _, out = run
    record = recorded.load_record(recorded.write_record(out, docs, experiment=exp))
    assert recorded.stale(record, exp) == []
    changed = tiny(source_numbers=exp.source_numbers, scales={"smoke": {"steps": 30}},
                   claims=[Trend("test_acc", "layers", "decreasing", text="shallower is better")])
    notes = recorded.stale(record, changed)
    assert "`steps` was 15; declared now: 30" in notes
    assert 'claim "shallower is better" is not in the record' in notes
    page = pages.entry_page(changed, {"paper": record})
    assert "**This record no longer matches the declaration**" in page and "> - `steps` was 15" in page


def test_index_lists_paper_verdicts_numbers_and_verdicts_by_scale(run, docs):
    exp, result, out = run
    record = recorded.load_record(recorded.write_record(out, docs, experiment=exp))
    other = tiny(name="docs-test-other", source="004", source_numbers=[])
    index = pages.index_page([other, exp], {exp.name: {"paper": record, "quick": record}})
    assert index.index("## 000") < index.index("## 004")  # grouped by source, in the sources' order
    row = next(line for line in index.splitlines() if line.startswith("| [Tiny docs test](docs-test-tiny.md)"))
    assert f"{result.verdict} (3 seeds)" in row and row.endswith("| 1 of 3 |")
    row = next(line for line in index.splitlines() if line.startswith("| [Tiny docs test](docs-test-other.md)"))
    assert "| not recorded | — | none declared |" in row
    verdicts = index[index.index("## Verdicts by scale"):]
    decided = f"{int(result.verdict != 'inconclusive')} of 1"
    assert (f"| [`{exp.name}`]({exp.name}.md) | {result.verdict} | {decided} | 3 | {result.verdict} | {decided} | 3 |"
            in verdicts)
    assert "| [`docs-test-other`](docs-test-other.md) | not recorded | — | — | not recorded | — | — |" in verdicts
    assert "- paper: 1 of 2 entries recorded" in verdicts


def test_write_and_check_pages(run, docs):
    exp, _, out = run
    recorded.write_record(out, docs, experiment=exp)
    assert pages.check_pages(docs, [exp]) == [f"{docs}/catalog/{exp.name}.md: missing",
                                              f"{docs}/catalog/README.md: missing"]
    changed, removed, warnings = pages.write_pages(docs, [exp])
    assert sorted(p.name for p in changed) == ["README.md", f"{exp.name}.md"] and not removed
    assert warnings == []
    assert pages.check_pages(docs, [exp]) == []
    assert pages.write_pages(docs, [exp])[0] == []  # nothing changed, nothing written
    page = docs / "catalog" / f"{exp.name}.md"
    page.write_text(page.read_text().replace("Deeper is better.", "Deeper is better, says a hand."))
    (docs / "catalog" / "gone.md").write_text(pages.MARKER + " from an old entry -->\n")
    (docs / "catalog" / "notes.md").write_text("# Written by hand\n")
    problems = pages.check_pages(docs, [exp])
    assert problems == [f"{page}: differs from what `atomlab docs` generates",
                        f"{docs}/catalog/gone.md: generated for an entry that no longer exists; the catalog's "
                        "pages are generated (`atomlab docs`)",
                        f"{docs}/catalog/notes.md: written by hand; the catalog's pages are generated "
                        "(`atomlab docs`)"]
    changed, removed, warnings = pages.write_pages(docs, [exp])
    assert changed == [page] and removed == [docs / "catalog" / "gone.md"]
    assert (docs / "catalog" / "notes.md").exists() and any("notes.md: written by hand" in w for w in warnings)


# ----- the command line --------------------------------------------------------------------------------------
def test_atomlab_docs_records_generates_and_checks(run, docs, tiny_catalog, capsys):
    exp, _, out = run
    tiny_catalog(exp)
    assert main(["docs", "--docs", str(docs), "--check"]) == 1
    assert f"{docs}/catalog/{exp.name}.md: missing" in capsys.readouterr().out
    assert main(["docs", "--docs", str(docs), "--record", str(out.parent)]) == 0  # a folder of runs
    printed = capsys.readouterr().out
    assert f"-> {docs}/results/{exp.name}-smoke.json" in printed and "2 changed" in printed
    assert main(["docs", "--docs", str(docs), "--check"]) == 0
    assert main(["docs", "--docs", str(docs), "--check", "--record", str(out)]) == 2
    assert "cannot be combined" in capsys.readouterr().err
    assert main(["docs", "--docs", str(docs / "nowhere")]) == 2
    assert "no docs folder at" in capsys.readouterr().err


# ----- the report and the atlas ------------------------------------------------------------------------------
def test_the_report_shows_provenance_and_the_source_beside_ours(run):
    _, result, out = run
    text = (out / "report.html").read_text()
    assert "The source&#x27;s numbers beside ours" in text
    assert "Where the value comes from" in text and "changed: fewer, so that the test is quick" in text
    verdict = json.loads((out / "verdict.json").read_text())
    assert [n["inside"] for n in verdict["source_numbers"]] == [False, True, None]
    assert verdict["source_numbers"][2]["note"] == "no arm of ours has layers=[7]"


def test_the_atlas_scorecard_counts_the_numbers_reproduced(run):
    from atomlab.lab.atlas import write_atlas

    _, _, out = run
    text = write_atlas(out.parent).read_text()
    card = text[text.index('id="scorecard"'):]
    assert "Reproduction scorecard" in card and "It was better." in card
    assert re.search(r'<td class="num">1 of 3</td>', card)
    assert "In all: 1 of 3, over 1 experiment whose source reports numbers" in card
