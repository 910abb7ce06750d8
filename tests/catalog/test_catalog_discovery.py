"""The catalog finds its entries in the family folders, and an entry that does not import fails loudly."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import atomlab
from atomlab.lab.experiment import experiments

SRC = Path(__file__).resolve().parents[2] / "src"


def test_every_public_module_of_a_family_folder_registers_entries():
    import atomlab.catalog as catalog

    atomlab.experiments()
    modules = {e.make_trial.__module__ for e in (experiments.get(n) for n in experiments.names())}
    families = {m.split(".")[2] for m in modules if m.startswith("atomlab.catalog.")}
    assert families == set(catalog.FAMILIES)
    for family in catalog.FAMILIES:
        for path in (SRC / "atomlab" / "catalog" / family).glob("[!_]*.py"):
            assert f"atomlab.catalog.{family}.{path.stem}" in modules, path


def test_an_entry_that_fails_to_import_fails_the_catalog(tmp_path):
    shutil.copytree(SRC / "atomlab", tmp_path / "atomlab", ignore=shutil.ignore_patterns("__pycache__"))
    (tmp_path / "atomlab" / "catalog" / "principles" / "broken_entry.py").write_text(
        "from atomlab.lab import no_such_name  # a typo in an entry\n")
    code = "import atomlab; print(len(atomlab.experiments()))"
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300,
                         env={**os.environ, "PYTHONPATH": str(tmp_path)})
    assert run.returncode != 0
    assert "broken_entry" in run.stderr and "no_such_name" in run.stderr
