"""atomlab.stats is a leaf: the standard library, numpy, scipy and statsmodels, and of atomlab only errors."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import atomlab.stats

THIRD_PARTY = {"numpy", "scipy", "statsmodels"}
OWN = ("atomlab.errors", "atomlab.stats")


def imported_names(path: Path) -> list[str]:
    names = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.append(node.module)
        elif isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
    return names


def test_stats_imports_nothing_above_it():
    package = Path(atomlab.stats.__file__).parent
    for path in sorted(package.glob("*.py")):
        for name in imported_names(path):
            top = name.split(".")[0]
            allowed = (name.startswith(OWN) if top == "atomlab"
                       else top in THIRD_PARTY or top in sys.stdlib_module_names)
            assert allowed, f"atomlab/stats/{path.name} imports {name}"
