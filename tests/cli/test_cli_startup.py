"""The CLI starts fast: listing and showing experiments loads neither torch nor matplotlib."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src"
HEAVY = ("torch", "matplotlib", "sklearn")


def _loaded_after(argv: list[str]) -> dict:
    """Run ``atomlab ARGV`` in a fresh interpreter; return its exit code, output and which heavy modules it loaded."""
    code = ("import json, sys\nfrom atomlab.cli import main\n"
            "try:\n    rc = main(sys.argv[1:])\nexcept SystemExit as exc:\n    rc = exc.code\n"
            f"print(json.dumps({{'rc': rc, 'loaded': [m for m in {HEAVY!r} if m in sys.modules]}}))")
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    env.pop("MPLBACKEND", None)
    run = subprocess.run([sys.executable, "-c", code, *argv], capture_output=True, text=True, env=env, timeout=120)
    report = json.loads(run.stdout.strip().splitlines()[-1])
    report["stdout"] = "\n".join(run.stdout.strip().splitlines()[:-1])
    return report


@pytest.mark.parametrize("argv", [["--help"], ["list"], ["list", "--format", "json"], ["show", "mnist-cnn"],
                                  ["show", "universal-approximation", "--format", "json"]])
def test_listing_and_showing_load_neither_torch_nor_matplotlib(argv):
    report = _loaded_after(argv)
    assert report["rc"] in (0, None), report
    assert report["loaded"] == [], f"atomlab {' '.join(argv)} imported {report['loaded']}"


def test_list_still_lists_every_entry_and_show_shows_its_settings():
    listed = json.loads(_loaded_after(["list", "--format", "json"])["stdout"])
    assert len(listed) >= 30 and {"mnist-cnn", "scratch-engines", "depth-surfaces"} <= {e["name"] for e in listed}
    shown = _loaded_after(["show", "mnist-cnn"])["stdout"]
    assert "factors: recipe" in shown and "batch_size = 64" in shown
