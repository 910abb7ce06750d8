import matplotlib

matplotlib.use("Agg")

import matplotlib as mpl  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
from matplotlib.colors import to_rgb  # noqa: E402

from atomlab.errors import ConfigError  # noqa: E402
from atomlab.viz.style import (  # noqa: E402
    OKABE_ITO,
    PALETTE,
    FigureRecord,
    apply_style,
    class_colors,
    level_colors,
    save_figure,
)


def test_palette_is_okabe_ito_and_distinct():
    assert set(PALETTE) == set(OKABE_ITO.values())
    assert len(set(PALETTE)) == 8


def test_level_colors_stable_across_calls_and_figures():
    levels = [2, 4, 16, 64]
    a = level_colors(levels)
    b = level_colors(list(levels))
    assert a == b
    assert list(a) == levels
    assert len(set(a.values())) == len(levels)
    # Same level, same colour, whichever figure asks, as long as the level order is the same.
    assert level_colors(["relu", "tanh", "relu", "elu"]) == {"relu": PALETTE[0], "tanh": PALETTE[1], "elu": PALETTE[2]}


def test_level_colors_many_levels_are_distinct_and_ordered():
    levels = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000]
    colors = level_colors(levels)
    assert len(set(colors.values())) == len(levels)
    # cividis runs dark to light: perceived lightness rises with the level.
    lum = [sum(to_rgb(colors[lv])) for lv in levels]
    assert lum == sorted(lum)


def test_class_colors():
    assert class_colors(2) == [OKABE_ITO["blue"], OKABE_ITO["vermillion"]]
    assert len(set(class_colors(12))) == 12
    with pytest.raises(ConfigError):
        class_colors(0)


def test_apply_style_sets_and_restores_rcparams():
    before = mpl.rcParams["axes.spines.top"]
    with apply_style(**{"font.size": 9}):
        assert mpl.rcParams["axes.spines.top"] is False
        assert mpl.rcParams["font.size"] == 9
        assert mpl.rcParams["axes.grid"] is True
    assert mpl.rcParams["axes.spines.top"] == before


def test_save_figure_png_and_svg(tmp_path):
    fig, ax = plt.subplots()
    ax.plot([0, 1, 2], [1, 0, 1])
    paths = save_figure(fig, tmp_path / "sub" / "curve.png", formats=("png", "svg"))
    assert [p.name for p in paths] == ["curve.png", "curve.svg"]
    assert paths[0].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert b"<svg" in paths[1].read_bytes()[:2000]
    assert not plt.fignum_exists(fig.number), "save_figure closes the figure"
    assert not [p for p in tmp_path.rglob("*.tmp")], "no temporary files left behind"


def test_save_figure_is_byte_deterministic(tmp_path):
    def draw(stem):
        fig, ax = plt.subplots()
        ax.plot([0, 1], [0, 1], label="a")
        ax.legend()
        return save_figure(fig, stem, formats=("png", "svg"))

    a, b = draw(tmp_path / "a"), draw(tmp_path / "b")
    for pa, pb in zip(a, b):
        assert pa.read_bytes() == pb.read_bytes(), pa.suffix


def test_save_figure_rejects_unknown_format(tmp_path):
    fig, _ = plt.subplots()
    with pytest.raises(ConfigError, match="jpeg"):
        save_figure(fig, tmp_path / "x", formats=("jpeg",))


def test_figure_record_needs_caption(tmp_path):
    rec = FigureRecord("acc", str(tmp_path / "a.png"), "Accuracy rises with depth.", main=True)
    assert rec.path == tmp_path / "a.png"
    with pytest.raises(ConfigError):
        FigureRecord("acc", tmp_path / "a.png", "  ")
