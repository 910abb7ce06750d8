"""Diagrams, decision boundaries and training-statistics figures."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from atomlab.errors import ConfigError  # noqa: E402
from atomlab.viz.boundaries import plot_decision_boundary, predicted_classes  # noqa: E402
from atomlab.viz.diagrams import draw_neural_net, plot_activation_shapes  # noqa: E402
from atomlab.viz.ridges import plot_histogram_ridges, plot_stat_small_multiples  # noqa: E402
from atomlab.viz.style import save_figure  # noqa: E402


def _n_segments(ax):
    return len(ax.collections[0].get_segments())


def test_draw_neural_net_small_and_clipped(tmp_path):
    fig, axes = plt.subplots(1, 3, figsize=(9, 3))
    draw_neural_net(axes[0], 0.15, 0.9, 0.1, 0.85, [2, 3, 1])
    draw_neural_net(axes[1], 0.15, 0.9, 0.1, 0.85, [1, 100, 1], max_units=7)
    draw_neural_net(axes[2], 0.15, 0.9, 0.1, 0.85, [1, 100, 100, 1], layer_labels=["x", "h1", "h2", "y"])
    assert _n_segments(axes[0]) == 2 * 3 + 3 * 1
    assert _n_segments(axes[1]) == 2 * 6, "6 of the 100 units are drawn, plus the ellipsis"
    assert _n_segments(axes[2]) == 8 + 8 * 8 + 8
    assert any(t.get_text() == "\u22ee" for t in axes[1].texts)
    assert "100" in [t.get_text() for t in axes[1].texts]
    assert not axes[0].axison
    # Circles keep one size whatever the layer widths, so side-by-side diagrams match.
    sizes = {float(ax.collections[1].get_sizes()[0]) for ax in (axes[0], axes[2])}
    assert len(sizes) == 1
    assert save_figure(fig, tmp_path / "nets")[0].stat().st_size > 1000


def test_draw_neural_net_validates():
    fig, ax = plt.subplots()
    with pytest.raises(ConfigError):
        draw_neural_net(ax, 0.1, 0.9, 0.1, 0.9, [3])
    with pytest.raises(ConfigError):
        draw_neural_net(ax, 0.1, 0.9, 0.1, 0.9, [3, 0, 1])
    with pytest.raises(ConfigError):
        draw_neural_net(ax, 0.9, 0.1, 0.1, 0.9, [1, 1])
    plt.close(fig)


def test_activation_shapes_on_figure_and_axes(tmp_path):
    funcs = {"relu": lambda z: np.maximum(z, 0), "tanh": np.tanh, "square": np.square, "sin": np.sin,
             "sign": np.sign, "identity": lambda z: z, "elu": lambda z: np.where(z > 0, z, np.expm1(z))}
    fig = plt.figure(figsize=(12, 4))
    axes = plot_activation_shapes(fig, funcs, ncols=4)
    assert [a.get_title() for a in axes] == list(funcs)
    assert len(fig.axes) == 7, "the unused eighth panel is removed"
    assert save_figure(fig, tmp_path / "acts")[0].stat().st_size > 1000
    fig, row = plt.subplots(1, 2)
    plot_activation_shapes(row, {"relu": funcs["relu"], "tanh": np.tanh}, x=np.linspace(-10, 10, 50))
    line = row[0].get_lines()[-1]
    assert line.get_xdata()[0] == -10 and line.get_ydata()[-1] == 10
    with pytest.raises(ConfigError, match="'broken'"):
        plot_activation_shapes(row, {"broken": lambda z: z.nonexistent()})
    with pytest.raises(ConfigError, match="2 axes for 3"):
        plot_activation_shapes(row, {"a": np.sin, "b": np.cos, "c": np.tanh})
    plt.close("all")


def test_predicted_classes():
    assert predicted_classes(np.array([0.1, 0.9])).tolist() == [0, 1]
    assert predicted_classes(np.array([0, 3, 2])).tolist() == [0, 3, 2]
    assert predicted_classes(np.array([0.0, 3.0])).tolist() == [0, 3]
    assert predicted_classes(np.array([[0.2, 0.3, 0.5]])).tolist() == [2]
    assert predicted_classes(np.array([[0.7], [0.2]])).tolist() == [1, 0]
    grid = np.array([[0.1, 0.8], [0.6, 0.4]])
    assert predicted_classes(grid, point_ndim=2).tolist() == [[0, 1], [1, 0]]


def test_decision_boundary_four_blobs(tmp_path):
    rng = np.random.default_rng(1)
    centers = np.array([[-2, -2], [2, -2], [-2, 2], [2, 2]])
    X = np.concatenate([c + rng.normal(scale=0.7, size=(30, 2)) for c in centers])
    y = np.repeat(np.arange(4), 30)

    def nearest(P):
        return np.argmin(((P[:, None, :] - centers[None]) ** 2).sum(-1), axis=1)

    fig, ax = plt.subplots()
    Z = plot_decision_boundary(ax, nearest, X, y, domain=((-4, 4), (-4, 4)), resolution=81)
    assert Z.shape == (81, 81) and set(np.unique(Z)) == {0, 1, 2, 3}
    assert Z[0, 0] == 0 and Z[-1, -1] == 3
    assert ax.get_xlim() == (-4, 4)
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [f"class {i}" for i in range(4)]
    assert save_figure(fig, tmp_path / "blobs")[0].stat().st_size > 1000


def test_decision_boundary_from_precomputed_grid():
    xx, yy = np.meshgrid(np.linspace(-1, 1, 30), np.linspace(-1, 1, 30))
    scores = np.stack([-xx, xx], axis=-1)  # class 1 on the right
    X = np.array([[-0.5, 0.0], [0.5, 0.0]])
    fig, ax = plt.subplots()
    Z = plot_decision_boundary(ax, (xx, yy, scores), X, [0, 1], class_names=["left", "right"])
    assert (Z[:, :15] == 0).all() and (Z[:, 15:] == 1).all()
    with pytest.raises(ConfigError):
        plot_decision_boundary(ax, (xx, yy, scores[:5]), X, [0, 1])
    with pytest.raises(ConfigError):
        plot_decision_boundary(ax, (xx, yy, scores), X[:, :1], [0, 1])
    plt.close(fig)


def _stats_long():
    rows = []
    for tensor in ("weights", "gradients"):
        for k, layer in enumerate(["dense_2", "dense_10", "out"]):
            for seed in (0, 1):
                for step in range(0, 100, 10):
                    std = 0.3 / (k + 1) + 0.01 * seed
                    for stat, v in (("mean", 0.01 * step), ("std", std), ("min", -3 * std), ("max", 3 * std)):
                        rows.append({"tensor": tensor, "layer": layer, "seed": seed, "step": step,
                                     "stat": stat, "value": v})
    return pd.DataFrame(rows)


def test_stat_small_multiples_long_and_wide(tmp_path):
    long = _stats_long()
    fig = plot_stat_small_multiples(long, row="tensor")
    assert len(fig.axes) == 6
    assert [a.get_title() for a in fig.axes[:3]] == ["dense_2", "dense_10", "out"], "table order, not sorted"
    mean_line = fig.axes[0].get_lines()[2]
    assert mean_line.get_ydata()[-1] == pytest.approx(0.9)
    std_line = fig.axes[0].get_lines()[3]
    assert std_line.get_ydata()[0] == pytest.approx(0.305), "averaged over the two seeds"
    assert save_figure(fig, tmp_path / "stats")[0].stat().st_size > 1000

    wide = long.loc[long["tensor"] == "weights"].pivot_table(
        index=["layer", "step"], columns="stat", values="value").reset_index()
    fig = plot_stat_small_multiples(wide, ncols=2, stats=("mean", "std"))
    assert len(fig.axes) == 3 and len(fig.axes[0].get_lines()) == 2
    with pytest.raises(ConfigError, match="'p99'"):
        plot_stat_small_multiples(long, stats=("mean", "p99"))
    plt.close("all")


def test_histogram_ridges(tmp_path):
    rng = np.random.default_rng(0)
    edges = np.linspace(-2, 2, 41)
    steps = np.arange(60) * 10
    counts = np.stack([np.histogram(rng.normal(0, 1 - t / 80, 300), edges)[0] for t in range(60)])
    fig, ax = plt.subplots()
    plot_histogram_ridges(ax, steps, edges, counts, max_ridges=12)
    ridges = [c for c in ax.collections]
    assert len(ridges) == 12, "thinned to max_ridges"
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels[0] == "0" and labels[-1] == "590", "first and last steps are kept"
    assert save_figure(fig, tmp_path / "ridges")[0].stat().st_size > 1000
    fig, ax = plt.subplots()
    with pytest.raises(ConfigError):
        plot_histogram_ridges(ax, steps[:5], edges, counts)
    with pytest.raises(ConfigError):
        plot_histogram_ridges(ax, steps, edges[:-1], counts)
    plt.close("all")
