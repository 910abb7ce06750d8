"""The atlas from files on disk, the exit status of ``run --all``, ``Result._repr_html_``, and the docs' code.

``atomlab report DIR`` must rebuild ``index.html`` without training; an experiment that failed (a folder
with only ``error.txt``) is shown as failed while the others render; ``atomlab run --all`` exits with the
number of failures. The Python and shell blocks of docs/tutorial.md and the hand check of
docs/statistics.md are executed here (at smoke size), so the docs cannot rot.
"""

from __future__ import annotations

import base64
import contextlib
import html
import io
import json
import re
import shlex
import shutil
from pathlib import Path

import pytest

import atomlab
from atomlab.cli import main
from atomlab.engine import TrainSpec
from atomlab.lab import DataSpec, Experiment, Trend, Trial
from atomlab.lab.experiment import experiments as experiment_registry
from atomlab.lab.experiment import register_experiment
from atomlab.nn import MLPSpec

ROOT = Path(__file__).resolve().parents[2]
ATLAS_EXPERIMENTS = ("universal-approximation", "activation-surfaces")  # as built by conftest.atlas_run
VERDICTS = ("supported", "refuted", "inconclusive")


def cards(index: Path) -> dict[str, str]:
    """Each atlas card's experiment name -> its HTML."""
    text = index.read_text(encoding="utf-8")
    return {m.group(1): m.group(0) for m in re.finditer(r'<article class="card" id="exp-([^"]+)">.*?</article>',
                                                        text, re.S)}


def card_verdict(card: str) -> str:
    return re.search(r'class="badge v-(\w+)', card).group(1)


def forbid_training(monkeypatch) -> None:
    """Make every way of training raise, so a test can prove that nothing was trained."""

    def trained(*args, **kwargs):
        raise AssertionError("the atlas was rebuilt by training, not from the files on disk")

    import atomlab.lab.api
    import atomlab.lab.runner

    monkeypatch.setattr(atomlab.lab.runner, "run_trials", trained)
    monkeypatch.setattr(atomlab.lab.api, "run_trials", trained)
    monkeypatch.setattr(atomlab.lab.api, "run_experiment", trained)


# -- atomlab report DIR ------------------------------------------------------------------------------------

def test_report_rebuilds_the_atlas_from_disk_without_training(atlas_run, tmp_path, monkeypatch, capsys):
    run = shutil.copytree(atlas_run, tmp_path / "run")
    (run / "index.html").unlink()
    experiment_files = {p: p.read_bytes() for p in run.rglob("*") if p.is_file()}
    forbid_training(monkeypatch)
    empty_cache = tmp_path / "no-cache"
    monkeypatch.setenv("ATOMLAB_CACHE", str(empty_cache))  # had anything trained, it would be written here

    assert main(["report", str(run)]) == 0

    assert f"atlas: {run / 'index.html'}" in capsys.readouterr().out
    found = cards(run / "index.html")
    assert sorted(found) == sorted(ATLAS_EXPERIMENTS)
    for name, card in found.items():
        verdict = json.loads((run / name / "verdict.json").read_text())
        assert card_verdict(card) == verdict["verdict"] in VERDICTS
        assert html.escape(verdict["verdict_line"]) in card  # the verdict in words, from the run's file
        assert 'href="' + name + '/report.html"' in card and "<img " in card
    assert not empty_cache.exists()
    # The experiments' own files are read, never rewritten.
    assert {p: p.read_bytes() for p in experiment_files} == experiment_files


def test_failed_entry_is_shown_as_failed_while_the_rest_render(atlas_run, tmp_path, monkeypatch):
    run = shutil.copytree(atlas_run, tmp_path / "run")
    broken = run / "broken-entry"
    broken.mkdir()
    (broken / "error.txt").write_text("Traceback (most recent call last):\n  File \"x.py\", line 1, in <module>\n"
                                      "RuntimeError: the population ran out of memory\n")
    (run / "stray-folder").mkdir()  # neither verdict.json nor error.txt: not an experiment, ignored
    forbid_training(monkeypatch)

    assert main(["report", str(run)]) == 0

    found = cards(run / "index.html")
    assert sorted(found) == sorted([*ATLAS_EXPERIMENTS, "broken-entry"])
    assert card_verdict(found["broken-entry"]) == "failed"
    assert "RuntimeError: the population ran out of memory" in found["broken-entry"]
    assert 'href="broken-entry/error.txt"' in found["broken-entry"]
    for name in ATLAS_EXPERIMENTS:
        assert card_verdict(found[name]) in VERDICTS and "<img " in found[name]
    header = (run / "index.html").read_text().split("</header>")[0]
    assert "1 failed" in header and "Failed: <b>1</b>" in header


def test_report_of_a_missing_directory_is_a_one_line_error(tmp_path, capsys):
    assert main(["report", str(tmp_path / "nowhere")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no run directory" in err


# -- atomlab run --all -------------------------------------------------------------------------------------

def tiny_experiment(name: str, *, fail: bool = False) -> Experiment:
    """Two learning rates x 3 seeds of a small MLP on moons (a second); ``fail`` makes planning raise."""

    def make_trial(cfg, levels, seed):
        if fail:
            raise RuntimeError(f"{name} fails on purpose")
        return Trial(levels, seed, DataSpec("moons", {"n_train": 60, "n_test": 60}, seed=0),
                     MLPSpec(layers=(6,), activation="tanh"),
                     TrainSpec(optimizer="sgd", lr=levels["lr"], steps=cfg["steps"], batch_size=20))

    return Experiment(
        name=name, title=f"Tiny {name}", source="test", section="test", question="Does lr help?",
        hypothesis="h", method="m", source_conclusion="c", settings={"lr": [0.01, 0.1], "steps": 15, "seeds": 3},
        factors=["lr"], make_trial=make_trial, claims=[Trend("test_acc", "lr", "increasing")])


@pytest.fixture
def tiny_catalog(monkeypatch):
    """Register tiny experiments for one test (the registry is restored afterwards)."""
    monkeypatch.setattr(experiment_registry, "_entries", dict(experiment_registry._entries))

    def install(*exps: Experiment) -> None:
        for exp in exps:
            register_experiment(exp, overwrite=True)
        monkeypatch.setattr(atomlab, "experiments", lambda: [e.name for e in exps])

    return install


def test_run_all_exit_status_counts_the_failures(tiny_catalog, tmp_path, capsys):
    tiny_catalog(tiny_experiment("atlas-test-ok"), tiny_experiment("atlas-test-bad-1", fail=True),
                 tiny_experiment("atlas-test-bad-2", fail=True))
    out = tmp_path / "atlas"

    # One worker: the tiny experiments live in this process's registry, not in spawned workers'.
    assert main(["run", "--all", "--scale", "smoke", "--quiet", "--workers", "1", "--out", str(out)]) == 2

    captured = capsys.readouterr()
    assert "atlas-test-bad-1: FAILED — RuntimeError: atlas-test-bad-1 fails on purpose" in captured.err
    assert "(1 ran, 2 failed" in captured.out
    assert (out / "atlas-test-ok" / "report.html").is_file()
    for bad in ("atlas-test-bad-1", "atlas-test-bad-2"):
        assert not (out / bad / "verdict.json").exists()
        assert "fails on purpose" in (out / bad / "error.txt").read_text()
    found = cards(out / "index.html")
    assert card_verdict(found["atlas-test-ok"]) in VERDICTS
    assert card_verdict(found["atlas-test-bad-1"]) == card_verdict(found["atlas-test-bad-2"]) == "failed"


def test_run_all_without_failures_exits_zero(tiny_catalog, tmp_path):
    tiny_catalog(tiny_experiment("atlas-test-ok"))
    out = tmp_path / "atlas"
    assert main(["run", "--all", "--scale", "smoke", "--quiet", "--workers", "1", "--out", str(out)]) == 0
    assert card_verdict(cards(out / "index.html")["atlas-test-ok"]) in VERDICTS



def test_a_failure_is_not_hidden_by_the_verdict_of_an_earlier_run(tiny_catalog, tmp_path):
    out = tmp_path / "atlas"
    args = ["run", "--all", "--scale", "smoke", "--quiet", "--workers", "1", "--out", str(out)]
    tiny_catalog(tiny_experiment("atlas-test-flaky"))
    assert main(args) == 0
    tiny_catalog(tiny_experiment("atlas-test-flaky", fail=True))
    assert main(args) == 1
    assert card_verdict(cards(out / "index.html")["atlas-test-flaky"]) == "failed"

# -- Result._repr_html_ ------------------------------------------------------------------------------------

def test_result_repr_html_has_verdict_table_and_embedded_png(tmp_path, monkeypatch):
    from PIL import Image

    result = atomlab.compare(dataset={"name": "moons", "n_train": 80, "n_test": 80},
                             vary={"activation": ["relu", "tanh"]}, model={"layers": [6]},
                             train={"steps": 20, "lr": 0.05}, seeds=3, device="cpu", out=tmp_path / "cmp")
    monkeypatch.chdir(tmp_path)  # the fragment must not depend on the working directory
    fragment = result._repr_html_()
    # a comparison's verdict is its line: the winner and the effect, or "indistinguishable"
    assert result.verdict in VERDICTS and html.escape(result.verdict_line()) in fragment
    assert "<table" in fragment and "relu" in fragment and "tanh" in fragment
    html_text = fragment
    embedded = re.findall(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', html_text)
    assert len(embedded) == 1
    with Image.open(io.BytesIO(base64.b64decode(embedded[0]))) as im:
        assert im.format == "PNG" and im.size[0] > 100
    assert not re.search(r'(src|href)="(https?:)?//', html_text)


# -- the docs' code ----------------------------------------------------------------------------------------

def code_blocks(path: Path) -> list[tuple[str, str]]:
    """The fenced code blocks of a Markdown file: (language, code)."""
    return re.findall(r"^```(\w*)\n(.*?)^```", path.read_text(encoding="utf-8"), re.M | re.S)


def shrink(code: str, substitutions: list[tuple[str, str]], used: set[str]) -> str:
    for old, new in substitutions:
        if old in code:
            used.add(old)
            code = code.replace(old, new)
    return code


# The tutorial's settings, cut down to smoke size. Every one must still occur in the tutorial.
TUTORIAL_SMOKE = [
    ('scale="quick"', 'scale="smoke"'),
    ("--scale quick", "--scale smoke"),
    ("--seeds 8", "--seeds 3"),
    ("--train steps=3000,lr=0.01 --seeds 10", "--train steps=60,lr=0.01 --seeds 3"),
    ('train={"steps": 2000}, seeds=10', 'train={"steps": 60}, seeds=3'),
]


def test_tutorial_code_runs(tmp_path, monkeypatch, capsys):
    blocks = code_blocks(ROOT / "docs" / "tutorial.md")
    assert {lang for lang, _ in blocks} == {"bash", "python", "text"}
    monkeypatch.chdir(tmp_path)
    # The tutorial registers an activation, an initialiser and an optimiser (and loads a plugin): keep the
    # registries as they were for the other tests.
    from atomlab.lab import plugins

    for registry in plugins.registries().values():
        monkeypatch.setattr(registry, "_entries", dict(registry._entries))
        monkeypatch.setattr(registry, "_aliases", dict(registry._aliases))
    monkeypatch.setattr(plugins, "_loaded", dict(plugins._loaded))
    used: set[str] = set()
    namespace: dict = {"__name__": "tutorial"}
    for i, (lang, code) in enumerate(blocks):
        code = shrink(code, TUTORIAL_SMOKE, used)
        if lang == "python" and (file := re.match(r"# (\w+\.py)\n", code)):
            (tmp_path / file[1]).write_text(code)  # a file the reader saves (a plugin), used by a command below
        elif lang == "python":
            exec(compile(code, f"docs/tutorial.md (python block {i})", "exec"), namespace)
        elif lang == "bash":
            for line in code.splitlines():
                args = shlex.split(line, comments=True)
                if not args:
                    continue
                assert args[0] == "atomlab", f"the tutorial's shell blocks run only atomlab commands: {line!r}"
                args = args[1:] + (["--quiet"] if args[1] in ("run", "compare") else [])
                with monkeypatch.context() as mp:
                    if "--all" in args:
                        # The whole catalog is too slow for a test: run the atlas pair, in this process
                        # (spawning the worker pool costs more than the two cached experiments).
                        mp.setattr(atomlab, "experiments", lambda: list(ATLAS_EXPERIMENTS))
                        args += ["--workers", "1"]
                    assert main(args) == 0, line
    assert used == {old for old, _ in TUTORIAL_SMOKE}, "a smoke substitution no longer matches the tutorial"

    out = capsys.readouterr().out
    assert "universal-approximation [smoke]:" in out and "Spearman rho" in out
    for hypothesis in ("snake > relu", "zeros-ones = xavier within 0.02", "lion > adam"):
        assert f": {hypothesis} — " in out, hypothesis  # each question's verdict line
    assert namespace["result"].verdict in VERDICTS
    assert set(namespace["zero"].final["init"]) == {"xavier", "zeros-ones"}
    assert set(zip(namespace["lion"].final["optimizer"], namespace["lion"].final["lr"])) == {
        (o, lr) for o in ("adam", "lion") for lr in (0.001, 0.003, 0.01)}
    assert json.loads((tmp_path / "runs" / "ua-8" / "verdict.json").read_text())["seeds"] == 3
    assert json.loads((tmp_path / "runs" / "snake" / "config.json").read_text())["plugins"][0]["added"] == {
        "activations": ["snake"]}
    for page in ("runs/ua/report.html", "runs/snake/report.html", "runs/zero/report.html", "runs/lion/report.html",
                 "runs/atlas/index.html"):
        assert (tmp_path / page).is_file(), page
    assert sorted(cards(tmp_path / "runs" / "atlas" / "index.html")) == sorted(ATLAS_EXPERIMENTS)

    # docs/atlas.md's Python rebuilds the same atlas.
    (tmp_path / "runs" / "atlas" / "index.html").unlink()
    for lang, code in code_blocks(ROOT / "docs" / "atlas.md"):
        if lang == "python":
            exec(compile(code, "docs/atlas.md (python block)", "exec"), {"__name__": "atlas_doc"})
    assert sorted(cards(tmp_path / "runs" / "atlas" / "index.html")) == sorted(ATLAS_EXPERIMENTS)


def test_statistics_hand_check_matches_the_verdict(atlas_run, capsys):
    """docs/statistics.md recomputes universal-approximation's tests by hand; run it on the smoke run."""
    python = [code for lang, code in code_blocks(ROOT / "docs" / "statistics.md") if lang == "python"]
    assert len(python) == 1 and 'run = "/tmp/ua"' in python[0]
    code = python[0].replace('run = "/tmp/ua"', f"run = {str(atlas_run / 'universal-approximation')!r}")
    with contextlib.chdir(atlas_run):
        exec(compile(code, "docs/statistics.md (python block)", "exec"), {"__name__": "statistics_doc"})
    assert capsys.readouterr().out.count("->") == 3
