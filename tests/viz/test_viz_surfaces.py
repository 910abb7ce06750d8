import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.contour import ContourSet  # noqa: E402

from atomlab.errors import ConfigError  # noqa: E402
from atomlab.viz.style import save_figure  # noqa: E402
from atomlab.viz.surfaces import disagreement_area, plot_surface, surface_grid  # noqa: E402

G = np.linspace(-1, 1, 201)
XX, YY = np.meshgrid(G, G)


def circle(X):
    return 0.5 - X[:, 0] ** 2 - X[:, 1] ** 2


def test_disagreement_zero_when_learned_equals_truth():
    truth = YY - XX
    assert disagreement_area((truth > 0).astype(float), truth, XX, YY) == 0.0
    assert disagreement_area(1 / (1 + np.exp(-5 * truth)), lambda X: X[:, 1] - X[:, 0], XX, YY) == 0.0


def test_disagreement_half_plane_cases():
    # Learned half-plane at a right angle to the true one: wrong on half the box.
    assert disagreement_area((XX > 0).astype(float), YY, XX, YY) == pytest.approx(0.5, abs=0.01)
    # Fully inverted: wrong everywhere except on the boundary row itself.
    assert disagreement_area((YY < 0).astype(float), YY, XX, YY) == pytest.approx(1.0, abs=0.01)
    # Boundary shifted by a quarter of the box: wrong on a quarter; area in units of the box (2 x 2).
    frac = disagreement_area((XX > 0.5).astype(float), XX, XX, YY)
    assert frac == pytest.approx(0.25, abs=0.01)
    assert disagreement_area((XX > 0.5).astype(float), XX, XX, YY, area=True) == pytest.approx(4 * frac)


def test_disagreement_nan_and_shape_errors():
    prob = np.full(XX.shape, 0.7)
    prob[0, 0] = np.nan
    assert np.isnan(disagreement_area(prob, YY, XX, YY))
    with pytest.raises(ConfigError):
        disagreement_area(prob[:5], YY, XX, YY)


def test_plot_surface_draws_learned_and_dashed_true_boundary(tmp_path):
    rng = np.random.default_rng(0)
    X = rng.uniform(-1, 1, (50, 2))
    y = (circle(X) > 0).astype(int)
    prob = 1 / (1 + np.exp(-8 * (0.4 - XX**2 - YY**2)))
    fig, ax = plt.subplots()
    plot_surface(ax, XX, YY, prob, true_fn=circle, X=X, y=y, title="circle")
    sets = [c for c in ax.collections if isinstance(c, ContourSet)]
    filled = [c for c in sets if c.filled]
    lines = [c for c in sets if not c.filled]
    assert len(filled) == 1 and filled[0].get_clim() == (0.0, 1.0)
    assert [list(c.levels) for c in lines] == [[0.5], [0.0]]
    learned_dash = lines[0].get_linestyle()[0][1]
    true_dash = lines[1].get_linestyle()[0][1]
    assert learned_dash is None and true_dash is not None, "learned solid, truth dashed"
    assert ax.get_title() == "circle"
    from PIL import Image

    with Image.open(save_figure(fig, tmp_path / "surface")[0]) as im:
        assert len(im.convert("RGB").getcolors(maxcolors=1 << 20)) > 20, "a drawn surface, not a blank canvas"


def test_plot_surface_without_crossing_or_truth_draws_no_lines():
    fig, ax = plt.subplots()
    plot_surface(ax, XX, YY, np.full(XX.shape, 0.9))
    assert sum(isinstance(c, ContourSet) and not c.filled for c in ax.collections) == 0
    with pytest.raises(ConfigError):
        plot_surface(ax, XX, YY, np.zeros((3, 3)))
    plt.close(fig)


def test_surface_grid(tmp_path):
    xx, yy = np.meshgrid(np.linspace(-2, 2, 40), np.linspace(-2, 2, 40))
    fns = {"line": lambda X: X[:, 1] - X[:, 0], "circle": lambda X: 1 - X[:, 0] ** 2 - X[:, 1] ** 2}
    cells = {}
    for name, fn in fns.items():
        for w in (1, 4):
            score = fn(np.column_stack([xx.ravel(), yy.ravel()])).reshape(xx.shape)
            cells[(name, w)] = {"xx": xx, "yy": yy, "prob": 1 / (1 + np.exp(-w * score)), "true_fn": fn,
                                "title": f"w = {w}"}
    del cells[("circle", 1)]
    fig = surface_grid(list(fns), [1, 4], cells, col_labels=["soft", "sharp"], suptitle="grid")
    axes = fig.axes[:4]
    assert [a.get_title() for a in axes[:2]] == ["soft", "sharp"]
    assert axes[0].get_ylabel() == "line" and axes[2].get_ylabel() == "circle"
    assert any(t.get_text() == "not run" for t in axes[2].texts)
    assert len(fig.axes) == 5, "four cells and a colour bar"
    paths = save_figure(fig, tmp_path / "grid", formats=("png", "svg"))
    assert all(p.stat().st_size > 1000 for p in paths)


def test_surface_grid_validates():
    xx, yy = np.meshgrid(np.linspace(-1, 1, 5), np.linspace(-1, 1, 5))
    with pytest.raises(ConfigError, match="unknown key"):
        surface_grid(1, 1, {(0, 0): {"xx": xx, "yy": yy, "prob": xx, "colour": "red"}})
    with pytest.raises(ConfigError, match="labels"):
        surface_grid(2, 1, {}, row_labels=["only one"])
