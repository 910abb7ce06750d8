"""The package's floors: imports run one way and nothing imports in a circle (the contracts in pyproject.toml)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _lint(*args: str) -> subprocess.CompletedProcess:
    """Run import-linter on this checkout's sources (a fresh process: grimp reads the files, imports nothing)."""
    code = ("import sys; from importlinter.cli import lint_imports; "
            "sys.exit(lint_imports(config_filename=sys.argv[1], cache_dir=None, no_logo=True, "
            "limit_to_contracts=tuple(sys.argv[2:])))")
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    return subprocess.run([sys.executable, "-c", code, str(ROOT / "pyproject.toml"), *args], capture_output=True,
                          text=True, env=env, cwd=ROOT, timeout=120)


def test_import_contracts_are_kept():
    run = _lint()
    assert run.returncode == 0, run.stdout + run.stderr
    assert "0 broken" in run.stdout and "kept" in run.stdout


def test_the_contracts_would_catch_the_lab_importing_the_catalog(tmp_path):
    """A copy of the package whose runner imports the catalog again (as it once did) breaks the floors."""
    import shutil

    src = tmp_path / "src"
    shutil.copytree(ROOT / "src" / "atomlab", src / "atomlab", ignore=shutil.ignore_patterns("__pycache__"))
    runner = src / "atomlab" / "lab" / "runner.py"
    runner.write_text(runner.read_text() + "\n\ndef _catalog():\n    import atomlab.catalog  # noqa: F401\n")
    code = ("import sys; from importlinter.cli import lint_imports; "
            "sys.exit(lint_imports(config_filename=sys.argv[1], cache_dir=None, no_logo=True, "
            "limit_to_contracts=('floors',)))")
    run = subprocess.run([sys.executable, "-c", code, str(ROOT / "pyproject.toml")], capture_output=True, text=True,
                         env={**os.environ, "PYTHONPATH": str(src)}, cwd=tmp_path, timeout=120)
    assert run.returncode == 1 and "atomlab.lab.runner -> atomlab.catalog" in run.stdout, run.stdout
