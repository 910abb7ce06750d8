"""Every bad input of issue 15 exits with status 2 and one line naming the value, before any training."""

from __future__ import annotations

import pytest

from atomlab.cli import main
from atomlab.lab import runner

HUGE = "1" * 100_000

CASES = [
    # (arguments, what the message must name)
    (["run", "example-ordering", "--set", "epochs=0"], "epochs must be a whole number from 1"),
    (["run", "example-ordering", "--set", "epochs=-5"], "got -5"),
    (["run", "example-ordering", "--set", "epochs=True"], "'True'"),
    (["run", "example-ordering", "--set", "batch_size=0"], "batch_size must be a whole number from 1"),
    (["run", "activation-functions", "--set", "batch_size=1e30"], "got 1e30"),
    (["run", "activation-functions", "--set", "n_test=0"], "n_test must be a whole number from 1"),
    (["run", "example-ordering", "--set", "seeds=-1"], "seeds must be a whole number from 1 to 10,000, got -1"),
    (["run", "example-ordering", "--set", "seeds=True"], "'True'"),
    (["run", "universal-approximation", "--set", "function=sin,nosuch"], "'nosuch'; known: abs, poly, sin"),
    (["run", "activation-functions", "--set", f"layers={HUGE}"], "100,000 characters long; at most 1,000"),
    (["run", "batch-size", "--set", "threshold=5"], "threshold (in batch-size) must be a number in [0, 1], got 5"),
    (["run", "example-ordering", "--workers", "-1"], "--workers must be a whole number >= 1, got '-1'"),
    (["run", "activation-functions", "--seeds", "100000"], "from 1 to 10,000, got 100000"),
    (["run", "activation-functions", "--set", "steps=10000000000000"], "got 10000000000000"),
    (["run", "activation-functions", "--set", "layers=[10000000]"], "from 1 to 100,000, got 10000000"),
    (["run", "activation-functions", "--set", "layers=[100000,100000]"], "cannot fit in memory"),
    (["run", "activation-functions", "--executor", "dask://no-port"], "dask://HOST:PORT"),
    (["run", "activation-functions", "--executor", "mpi"], "unknown executor 'mpi'"),
    (["bench", "--scale", "nan"], "--scale must be a finite number > 0, got 'nan'"),
    (["bench", "--repeats", "0"], "--repeats must be a whole number >= 1, got '0'"),
]


@pytest.mark.parametrize("argv, named", CASES, ids=[" ".join(a)[:60] for a, _ in CASES])
def test_a_bad_input_exits_2_naming_the_value_before_training(argv, named, tmp_path, capsys, monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("training started")

    monkeypatch.setattr(runner, "_run_job", refuse)
    if argv[0] == "run":
        argv = [*argv, "--scale", "smoke", "--out", str(tmp_path / "out"), "--quiet"]
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse's own errors
        code = exc.code
    err = capsys.readouterr().err
    assert code == 2
    assert named in err
    assert "Traceback" not in err and sum("error:" in line for line in err.splitlines()) == 1  # argparse adds usage
