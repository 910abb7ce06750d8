"""Share of public functions and classes whose numpydoc docstring has an Examples section that runs.

Usage: python scripts/docstring_examples.py [SRC_DIR] [--list]

Counts the public (no leading underscore) module-level functions and classes of the packages ``nn``,
``engine`` and ``lab`` (with ``--methods``, the public methods of public classes too); modules whose name
starts with an underscore are private and skipped, and so are the modules given with ``--skip``.
"Has examples" means the docstring has an ``Examples`` section with at least one ``>>>`` line; pytest
runs those as doctests.
"""

from __future__ import annotations

import argparse
import ast
from pathlib import Path

PACKAGES = ("nn", "engine", "lab")


def public_defs(path: Path, methods: bool = False):
    tree = ast.parse(path.read_text())
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.ClassDef) and not node.name.startswith("_"):
            yield node.name, node
            if methods and isinstance(node, ast.ClassDef):
                for item in node.body:
                    if isinstance(item, ast.FunctionDef) and not item.name.startswith("_"):
                        yield f"{node.name}.{item.name}", item


def has_examples(node) -> bool:
    doc = ast.get_docstring(node) or ""
    return "Examples\n" in doc and ">>>" in doc.split("Examples\n", 1)[1]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("src", nargs="?", default="src/atomlab")
    parser.add_argument("--skip", nargs="*", default=[], help="module paths relative to SRC to leave out")
    parser.add_argument("--list", action="store_true", help="list the ones without examples")
    parser.add_argument("--methods", action="store_true", help="count public methods too")
    args = parser.parse_args()
    root = Path(args.src)
    total = with_examples = 0
    for package in PACKAGES:
        for path in sorted((root / package).rglob("*.py")):
            rel = path.relative_to(root).as_posix()
            if path.name.startswith("_") and path.name != "__init__.py" or rel in args.skip:
                continue
            for name, node in public_defs(path, args.methods):
                total += 1
                ok = has_examples(node)
                with_examples += ok
                if args.list and not ok:
                    print(f"  {rel}: {name}")
    what = "functions, classes and methods" if args.methods else "functions and classes"
    print(f"{with_examples}/{total} public {what} have examples "
          f"({100 * with_examples / max(total, 1):.0f}%)")


if __name__ == "__main__":
    main()
