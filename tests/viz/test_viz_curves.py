import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from scipy import stats  # noqa: E402

from atomlab.errors import ConfigError  # noqa: E402
from atomlab.viz.curves import mean_band, plot_curves, plot_metric_by_level  # noqa: E402
from atomlab.viz.style import save_figure  # noqa: E402


def tidy(seed=0, diverge=True):
    """Width x activation arms, 4 seeds, 5 recorded steps; one relu trial at width 16 diverges."""
    rng = np.random.default_rng(seed)
    rows = []
    for act in ("relu", "tanh"):
        for width in (2, 4, 16):
            for s in range(4):
                trial = f"{act}-{width}-{s}"
                bad = diverge and act == "relu" and width == 16 and s == 3
                for step in (0, 25, 50, 75, 100):
                    acc = 0.5 + 0.4 * (1 - np.exp(-step / 30)) * (width / 16) ** 0.3 + 0.02 * rng.normal()
                    rows.append({"trial": trial, "arm": f"{act}-{width}", "seed": s, "step": step,
                                 "epoch": step / 10, "activation": act, "hidden_units": width,
                                 "test_acc": np.nan if bad and step >= 50 else acc,
                                 "diverged": bad and step >= 50})
    return pd.DataFrame(rows)


def test_mean_band_contains_the_t_interval():
    """The band is the statistics module's interval: the t interval, widened where skewness calls for it."""
    v = np.array([0.8, 0.82, 0.79, 0.85, 0.9])
    m, lo, hi = mean_band(v, ci=0.9)
    ref = stats.t.interval(0.9, len(v) - 1, loc=v.mean(), scale=stats.sem(v))
    assert m == pytest.approx(v.mean())
    assert lo <= ref[0] + 1e-12 and hi >= ref[1] - 1e-12


def test_mean_band_is_the_statistics_interval_inside_bounds_sd_and_edge_cases():
    from atomlab import stats

    v = np.array([0.91, 0.97, 0.99, 1.0])
    m, lo, hi = mean_band(v, bounds=(0.0, 1.0))
    assert (m, lo, hi) == pytest.approx(stats.mean_interval(v, bounds=(0.0, 1.0)))
    assert lo < m < hi <= 1.0, "the band of an accuracy never passes 1"
    assert mean_band(v, band="sd")[1] == pytest.approx(m - v.std(ddof=1))
    m1, lo1, hi1 = mean_band(np.array([3.0, np.nan]))
    assert m1 == 3.0 and np.isnan(lo1) and np.isnan(hi1)
    assert np.isnan(mean_band(np.array([np.nan]))[0])


def test_metric_by_level_numbers_and_diverged_trial_left_out(tmp_path):
    df = tidy()
    fig, ax = plt.subplots()
    summary = plot_metric_by_level(ax, df, x="hidden_units", y="test_acc", hue="activation", logx=True)
    final = df.loc[df["step"] == 100]
    relu16 = final.loc[(final["activation"] == "relu") & (final["hidden_units"] == 16), "test_acc"].dropna()
    row = summary.loc[(summary["activation"] == "relu") & (summary["hidden_units"] == 16)].iloc[0]
    assert row["n"] == 3 and len(relu16) == 3
    assert row["mean"] == pytest.approx(relu16.mean())
    assert row["low"] < row["mean"] < row["high"]
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["relu (1/12 diverged)", "tanh"]
    # The tanh arm's numbers do not depend on relu's diverged trial.
    clean = plot_metric_by_level(plt.subplots()[1], tidy(diverge=False), x="hidden_units", y="test_acc",
                                 hue="activation")
    assert clean.loc[clean["activation"] == "tanh", "mean"].tolist() == pytest.approx(
        summary.loc[summary["activation"] == "tanh", "mean"].tolist())
    # Legend sits outside the axes, to the right.
    assert ax.get_legend().get_bbox_to_anchor().x0 > ax.get_window_extent().x1 - 1
    assert ax.get_xscale() == "log"
    png, svg = save_figure(fig, tmp_path / "by_level", formats=("png", "svg"))
    assert _drawn(png) and "<svg" in svg.read_text()[:500]
    plt.close("all")


def test_metric_by_level_categorical_x():
    df = tidy()
    fig, ax = plt.subplots()
    summary = plot_metric_by_level(ax, df, x="activation", y="test_acc", hue="hidden_units", band="ci")
    assert [t.get_text() for t in ax.get_xticklabels()] == ["relu", "tanh"]
    assert len(summary) == 6
    assert ax.get_xlabel() == "Activation" and ax.get_ylabel() == "Test accuracy"
    plt.close(fig)


def test_metric_by_level_errors():
    df = tidy()
    fig, ax = plt.subplots()
    with pytest.raises(ConfigError, match="'test_mse'"):
        plot_metric_by_level(ax, df, x="hidden_units", y="test_mse")
    with pytest.raises(ConfigError, match="logx"):
        plot_metric_by_level(ax, df, x="activation", y="test_acc", logx=True)
    with pytest.raises(ConfigError, match="band"):
        plot_metric_by_level(ax, df, x="hidden_units", y="test_acc", band="wide")
    with pytest.raises(ConfigError, match="ci"):
        plot_metric_by_level(ax, df, x="hidden_units", y="test_acc", ci=95)
    plt.close(fig)


def test_plot_curves_mean_band_and_labels(tmp_path):
    df = tidy()
    df = df.loc[df["hidden_units"] == 16]
    fig, ax = plt.subplots()
    summary = plot_curves(ax, df, x="step", y="test_acc", hue="activation", show_seeds=True,
                          xlabel="Step (minibatches)")
    tanh = df.loc[df["activation"] == "tanh"].groupby("step")["test_acc"].mean()
    got = summary.loc[summary["activation"] == "tanh"].set_index("step")["mean"]
    assert got.to_numpy() == pytest.approx(tanh.to_numpy())
    relu = summary.loc[summary["activation"] == "relu"]
    assert (relu["n"] == 3).all(), "the diverged seed is out of every step of its arm"
    assert ax.get_xlabel() == "Step (minibatches)"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["relu (1/4 diverged)", "tanh"]
    assert _drawn(save_figure(fig, tmp_path / "curves")[0])


def test_plot_curves_many_arms_put_legend_below():
    rows = [{"trial": f"{a}-{s}", "arm": f"arm {a}", "seed": s, "step": t, "test_loss": 1 / (t + 1 + a)}
            for a in range(10) for s in range(2) for t in range(5)]
    fig, ax = plt.subplots()
    plot_curves(ax, pd.DataFrame(rows), y="test_loss", logy=True, ci=None)
    leg = ax.get_legend()
    assert len(leg.get_texts()) == 10
    assert leg.get_bbox_to_anchor().y1 < ax.get_window_extent().y0 + 1, "legend below the axes"
    assert ax.get_yscale() == "log"
    plt.close(fig)


def _drawn(path) -> bool:
    """The PNG at ``path`` opens and shows a drawing: many colours, not a blank canvas."""
    from PIL import Image

    with Image.open(path) as im:
        colours = im.convert("RGB").getcolors(maxcolors=1 << 20)
        return im.size[0] > 100 and im.size[1] > 100 and len(colours) > 20
