"""End to end: the synthetic gallery builds every figure kind, a report and an atlas."""

import matplotlib

matplotlib.use("Agg")

import pytest  # noqa: E402

import atomlab.viz as viz  # noqa: E402
from atomlab.viz._demo import build_demo  # noqa: E402


def test_public_api_imports_nothing_else_of_atomlab():
    """viz draws; it may ask atomlab's leaves (errors, metric ranges, the statistics) and nothing above."""
    import ast
    from pathlib import Path

    for path in Path(viz.__file__).parent.glob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("atomlab"):
                assert node.module in ("atomlab.errors", "atomlab.metrics") or node.module.startswith(
                    ("atomlab.viz", "atomlab.stats")), (path, node.module)
            if isinstance(node, ast.Import):
                for alias in node.names:
                    allowed = alias.name.startswith(("atomlab.viz", "atomlab.stats"))
                    assert not alias.name.startswith("atomlab") or allowed
    assert all(hasattr(viz, name) for name in viz.__all__)


@pytest.mark.slow
def test_build_demo(tmp_path):
    paths = build_demo(tmp_path, grid_points=30)
    assert paths["report"].is_file() and paths["atlas"].is_file()
    pngs = sorted(p.name for p in paths["figures"].glob("*.png"))
    assert pngs == ["activations.png", "blobs.png", "ridges.png", "stats.png", "surfaces.png", "width_mse.png"]
    assert all(p.stat().st_size > 5000 for p in paths["figures"].glob("*.png"))
    assert (paths["figures"] / "width_mse.svg").is_file()
    assert paths["report"].read_text().count("<img ") == 6
