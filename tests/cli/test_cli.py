"""The command line: listing, showing, running, and exit status 2 on bad input."""

from __future__ import annotations

import json
import subprocess
import sys

import atomlab
from atomlab.cli import main


def test_list_json(capsys):
    assert main(["list", "--format", "json"]) == 0
    names = {e["name"] for e in json.loads(capsys.readouterr().out)}
    assert {"universal-approximation", "activation-surfaces"} <= names


def test_show(capsys):
    assert main(["show", "universal-approximation"]) == 0
    out = capsys.readouterr().out
    assert "hidden_units" in out and "000" in out


def test_bad_inputs_exit_2_with_one_clear_message(capsys):
    assert main(["run", "universal-aproximation", "--scale", "smoke"]) == 2
    assert "did you mean 'universal-approximation'" in capsys.readouterr().err
    assert main(["run", "universal-approximation", "--set", "stpes=3", "--scale", "smoke"]) == 2
    assert "did you mean 'steps'" in capsys.readouterr().err
    assert main(["run", "universal-approximation", "--set", "steps=abc", "--scale", "smoke"]) == 2
    assert "bad value for 'steps'" in capsys.readouterr().err
    assert main(["show", "nope"]) == 2


def test_bad_scale_is_an_argparse_error():
    proc = subprocess.run([sys.executable, "-m", "atomlab.cli", "run", "universal-approximation", "--scale",
                           "huge"], capture_output=True, text=True)
    assert proc.returncode == 2
    assert "invalid choice: 'huge'" in proc.stderr


def test_run_smoke_writes_report(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("ATOMLAB_CACHE", str(tmp_path / "cache"))
    out = tmp_path / "ua"
    code = main(["run", "universal-approximation", "--scale", "smoke", "--out", str(out), "--quiet"])
    assert code == 0
    printed = capsys.readouterr().out
    assert "universal-approximation [smoke]:" in printed and "report:" in printed
    for name in ("report.html", "results.csv", "verdict.json"):
        assert (out / name).exists()
    assert list((out / "figures").glob("*.png"))


def test_run_all_selection_by_source_tag_and_name(capsys):
    from atomlab.cli import select_experiments

    everything = select_experiments([], [])
    no_mnist = select_experiments([], ["mnist"])
    assert "mnist-cnn" in everything and "mnist-cnn" not in no_mnist and "xor-depth" in no_mnist
    assert all(atomlab.get_experiment(n).source == "002" for n in select_experiments(["002"], []))
    assert select_experiments(["xor-depth", "002"], ["002"]) == ["xor-depth"]
    assert main(["run", "--all", "--only", "00x"]) == 2
    assert "'00x' matches no experiment name, source or tag" in capsys.readouterr().err
    assert main(["run", "xor-depth", "--exclude", "mnist"]) == 2


def test_run_all_starts_the_entries_that_took_longest_last_time(tmp_path):
    import json

    from atomlab.cli import longest_first

    def timed(name, wall, trials, trained):
        (tmp_path / name).mkdir()
        provenance = {"wall_time_s": wall, "trials": trials, "trials_trained": trained}
        (tmp_path / name / "verdict.json").write_text(json.dumps({"provenance": provenance}))

    timed("a", 10.0, 10, 10)
    timed("b", 30.0, 10, 10)
    timed("c", 5.0, 10, 1)  # one trial of ten trained in 5 s: about 50 s for all
    timed("d", 99.0, 10, 0)  # all from the cache: says nothing about training time
    (tmp_path / "e").mkdir()
    (tmp_path / "e" / "verdict.json").write_text("{broken")
    assert longest_first(["a", "b", "c", "d", "e", "new"], tmp_path) == ["e", "new", "c", "b", "a", "d"]
