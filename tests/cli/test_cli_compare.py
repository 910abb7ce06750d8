"""``atomlab compare`` and ``atomlab list KIND``: the command-line twin of atomlab.compare."""

from __future__ import annotations

import json
import textwrap

import pandas as pd
import pytest

from atomlab.cli import REGISTRY_KINDS, main
from atomlab.lab import plugins

pytestmark = pytest.mark.usefixtures("clean_registries")  # tests/conftest.py: plugins leave no trace


@pytest.fixture
def my_acts(tmp_path, monkeypatch):
    """The issue's plugin, my_acts.py, in the working directory."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "my_acts.py").write_text(textwrap.dedent("""
        import torch
        import atomlab

        @atomlab.register_activation("snake")
        def snake(x):
            return x + torch.sin(x) ** 2
    """))
    return tmp_path / "my_acts.py"


def test_the_issues_command_works_as_written(my_acts, tmp_path, capsys):
    # as in the issue, at a test's size: 100 points, 60 steps, 3 seeds
    code = main(["compare", "--data", "spirals,n_train=100,n_test=100", "--vary", "activation=relu,tanh,snake",
                 "--model", "layers=10,10", "--train", "steps=60,lr=0.01", "--seeds", "3", "--plugin", "my_acts.py",
                 "--hypothesis", "snake > relu", "--out", "runs/snake", "--quiet", "--workers", "1"])
    out = capsys.readouterr().out
    assert code == 0
    first = out.splitlines()[0]
    assert first.split(":")[0] in ("SUPPORTED", "REFUTED", "INCONCLUSIVE") and ": snake > relu — " in first
    assert "report: runs/snake/report.html" in out
    run = tmp_path / "runs" / "snake"
    config = json.loads((run / "config.json").read_text())
    assert config["activation"] == ["relu", "tanh", "snake"] and config["model"]["layers"] == [10, 10]
    assert config["train"]["steps"] == 60 and config["train"]["lr"] == 0.01 and config["seeds"] == 3
    assert config["plugins"][0]["path"] == str(my_acts.resolve())
    final = pd.read_csv(run / "final.csv")
    assert sorted(final["activation"].unique()) == ["relu", "snake", "tanh"] and len(final) == 9


def test_vary_twice_crosses_two_factors_and_config_repeats_the_run(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    args = ["compare", "--data", "moons,n_train=60,n_test=60", "--vary", "activation=relu,tanh", "--vary",
            "lr=0.01,0.1", "--model", "layers=6", "--train", "steps=30", "--seeds", "3", "--quiet", "--no-cache",
            "--workers", "1"]
    assert main([*args, "--out", "a"]) == 0
    first = capsys.readouterr().out.splitlines()[0]
    assert main(["compare", "--config", "a/config.json", "--out", "b", "--quiet", "--no-cache", "--workers", "1"]) == 0
    assert capsys.readouterr().out.splitlines()[0] == first  # the same verdict line
    assert main(["report", "a", "--out", "rebuilt"]) == 0  # from the store, without training
    assert capsys.readouterr().out.splitlines()[0] == first and (tmp_path / "rebuilt" / "report.html").is_file()
    a, b = pd.read_csv(tmp_path / "a" / "final.csv"), pd.read_csv(tmp_path / "b" / "final.csv")
    assert len(a) == 2 * 2 * 3 and set(zip(a["activation"], a["lr"])) == {
        (act, lr) for act in ("relu", "tanh") for lr in (0.01, 0.1)}
    cols = [c for c in a.columns if c != "wall_time"]
    pd.testing.assert_frame_equal(a[cols], b[cols])  # the same numbers
    assert main(["compare", "--config", "a/config.json", "--vary", "lr=1,2"]) == 2
    assert "--config repeats a recorded run with its own settings; drop --vary" in capsys.readouterr().err


def test_events_and_the_progress_bar(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    args = ["compare", "--data", "moons,n_train=60,n_test=60", "--vary", "lr=0.01,0.1", "--model", "layers=6",
            "--train", "steps=30", "--seeds", "3", "--no-cache", "--workers", "1", "--events", "ev.jsonl"]
    assert main([*args, "--out", "loud"]) == 0
    err = capsys.readouterr().err
    assert "/180 [" in err and "step" in err  # 2 arms x 3 seeds x 30 steps
    events = [json.loads(line) for line in (tmp_path / "ev.jsonl").read_text().splitlines()]
    assert [e["event"] for e in events] == ["start"] + ["trial"] * 6 + ["verdict"]
    assert main([*args, "--out", "quiet", "--quiet"]) == 0
    assert "step" not in capsys.readouterr().err


def test_list_shows_built_ins_and_plugins(my_acts, capsys):
    assert main(["list", "activations", "--plugin", "my_acts.py"]) == 0
    out = capsys.readouterr().out
    lines = {line.split()[0]: line for line in out.splitlines()[1:]}
    assert "relu" in lines and "also logistic" in lines["sigmoid"] and "plugin" not in lines["relu"]
    snake = next(line for line in out.splitlines() if line.strip().startswith("snake"))
    assert "plugin" in snake and "my_acts.py" in snake
    for kind in REGISTRY_KINDS:
        assert main(["list", kind, "--format", "json"]) == 0
        entries = json.loads(capsys.readouterr().out)
        assert entries and all(e["origin"] for e in entries)
    spirals = next(e for e in json.loads((main(["list", "datasets", "--format", "json"]), capsys.readouterr().out)[1])
                   if e["name"] == "spirals")
    assert spirals["parameters"]["noise"] == 0.05
    assert REGISTRY_KINDS == plugins.KINDS


@pytest.mark.parametrize("argv, message", [
    (["--data", "spiralz", "--vary", "lr=0.1,0.2"], "unknown dataset 'spiralz'"),
    (["--vary", "lrr=0.1,0.2"], "unknown factor 'lrr'; did you mean 'lr'?"),
    (["--vary", "lr="], "vary['lr'] has no levels"),
    (["--vary", "lr"], "--vary expects FACTOR=LEVEL,LEVEL"),
    (["--vary", "lr=0.1,0.2", "--metric", "test_mse"], "unknown metric for classification data 'test_mse'"),
    (["--vary", "activation=relu,tanh", "--hypothesis", "snake > relu"], "no arm 'snake'; known: relu, tanh"),
    (["--vary", "activation=relu,tanh", "--hypothesis", "relu >> tanh"], "cannot read the hypothesis"),
    (["--vary", "activation=relu,snake"], "unknown activation 'snake'"),
    (["--vary", "lr=0.1,0.2", "--plugin", "nowhere.py"], "plugin 'nowhere.py': no file"),
    (["--vary", "lr=0.1,0.2", "--train", "steps=abc"], "bad value for 'steps'"),
    ([], "atomlab compare needs --vary"),
])
def test_bad_input_exits_2_with_one_clear_message_before_training(argv, message, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    full = ["compare", *argv] if argv[:1] == ["--data"] else ["compare", "--data", "moons", *argv]
    assert main(full) == 2
    err = capsys.readouterr().err
    assert err.startswith("atomlab: error: ") and message in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "runs").exists()  # nothing was written, nothing trained


def test_a_plugin_that_registers_something_not_callable_exits_2(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "bad.py").write_text("import atomlab\natomlab.register_activation('bad')(42)\n")
    assert main(["compare", "--data", "moons", "--vary", "activation=relu,bad", "--plugin", "bad.py"]) == 2
    err = capsys.readouterr().err
    assert "registered activation 'bad' must be callable (a function or a class), got 42 (int)" in err
