import matplotlib

matplotlib.use("Agg")

import base64  # noqa: E402
import re  # noqa: E402
import urllib.parse  # noqa: E402
from html.parser import HTMLParser  # noqa: E402
from pathlib import Path  # noqa: E402

import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from atomlab.errors import ConfigError  # noqa: E402
from atomlab.viz.atlas import AtlasEntry, render_atlas  # noqa: E402
from atomlab.viz.report import ReportContent, render_report, result_html  # noqa: E402
from atomlab.viz.style import FigureRecord, save_figure  # noqa: E402

NASTY = 'Accuracy <b>increases</b> with "depth" & width </blockquote><script>alert(1)</script>'
VOID = {"img", "meta", "br", "hr", "link", "input", "source", "col", "area", "base", "wbr"}


class Page(HTMLParser):
    """Collects tags and attributes, text, and checks that elements nest properly."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []
        self.stack: list[str] = []
        self.errors: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag not in VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag):
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes {self.stack[-1:]}")
        else:
            self.stack.pop()

    def handle_data(self, data):
        self.text.append(data)

    def all(self, tag):
        return [a for t, a in self.tags if t == tag]


def parse(text: str) -> Page:
    p = Page()
    p.feed(text)
    p.close()
    assert not p.errors, p.errors[:5]
    assert p.stack == [], f"unclosed: {p.stack}"
    return p


def _figure(path: Path) -> Path:
    fig, ax = plt.subplots(figsize=(3, 2))
    ax.plot([0, 1, 2], [0.5, 0.7, 0.9])
    return save_figure(fig, path)[0]


def content(tmp_path: Path, out_dir: Path) -> ReportContent:
    _figure(out_dir / "figures" / "accuracy")  # inside the report folder, referenced relatively
    outside = _figure(tmp_path / "elsewhere" / "surfaces")
    return ReportContent(
        title="Depth & accuracy",
        name="depth-fixed-params",
        source="Atomic experiments in deep learning, §2",
        question="Does depth help at a fixed parameter count?",
        hypothesis="Accuracy rises with depth.\n\nEspecially on `alternating` labels.",
        method="Train weight-shared MLPs with 1-3 layers.",
        parameters={"model": {"layers": [10, 10], "activation": "relu"}, "lr": 0.01, "batch_size": 16,
                    "epochs": 200, "share_weights": True},
        scale="quick",
        seeds=10,
        verdict="refuted",
        verdict_text="Δacc(3 vs 1) = -0.03, 95% CI [-0.08, 0.02]",
        claims=[{"claim": "acc(3 layers) > acc(1 layer)", "verdict": "refuted", "statistic": -0.03,
                 "ci": (-0.08, 0.02), "n_seeds": 10, "test": "paired t-test", "note": "<none>"},
                {"claim": "params fixed", "verdict": "supported"}],
        source_conclusion=NASTY,
        agreement="Disagrees with the source.",
        discussion="Weight sharing limits what depth can add.",
        figures=[FigureRecord("surfaces", outside, "Surfaces of each depth; look at the sharp turns."),
                 FigureRecord("accuracy", Path("figures/accuracy.png"), "Accuracy by depth, flat.", main=True)],
        summary_table=pd.DataFrame({"depth": [1, 2, 3], "test_acc": [0.81234567, 0.8, 0.79], "n": [10, 10, 9]}),
        provenance={"versions": {"atomlab": "0.1.0", "torch": "2.4"}, "seed": 0, "threads": 2,
                    "wall_time_s": 75.0, "machine": "x86_64", "command": "atomlab run depth-fixed-params"},
        data_note="16 equally spaced points with alternating labels.",
    )


def test_render_report_is_valid_self_contained_and_complete(tmp_path):
    out_dir = tmp_path / "report"
    c = content(tmp_path, out_dir)
    path = render_report(c, out_dir)
    assert path == out_dir / "report.html"
    text = path.read_text(encoding="utf-8")
    page = parse(text)

    # Every image exists beside the page, is referenced relatively, and has its caption as alt text.
    imgs = page.all("img")
    assert len(imgs) == len(c.figures)
    captions = {f.caption for f in c.figures}
    for img in imgs:
        src = img["src"]
        assert not src.startswith("/") and "://" not in src
        assert (out_dir / urllib.parse.unquote(src)).is_file(), src
        assert img["alt"] in captions
    assert imgs[0]["alt"] == "Accuracy by depth, flat.", "the main figure comes first"
    assert (out_dir / "figures" / "surfaces.png").is_file(), "outside figure copied beside the report"

    # Nothing is fetched from anywhere: no scripts, no style sheets, no external references.
    assert "http://" not in text and "https://" not in text
    assert page.all("script") == [] and page.all("link") == [] and page.all("iframe") == []
    assert len(page.all("style")) == 1

    # Every parameter is shown, nested ones with dotted keys.
    body = " ".join(page.text)
    for key in ("model.layers", "model.activation", "lr", "batch_size", "epochs", "share_weights"):
        assert key in body
    assert "[10, 10]" in body and "0.01" in body

    # The quote is escaped: its markup shows as text and never becomes elements.
    assert NASTY in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert "<script>" not in text
    assert "Depth &amp; accuracy" in text

    # Verdict badges: the page's verdict and each claim's, with the word spelled out.
    spans = [a.get("class", "") for a in page.all("span")]
    assert spans.count("badge v-refuted lg") == 2
    assert spans.count("badge v-refuted") == 1 and spans.count("badge v-supported") == 1
    assert "[-0.08, 0.02]" in body and "paired t-test" in body
    # Source conclusion beside ours, in a grid that stacks on a phone.
    phone = re.search(r"@media \(max-width:720px\)\{(.*?)\n\}", text, re.DOTALL)
    assert phone and ".two{grid-template-columns:1fr}" in phone.group(1)
    assert '<div class="two"><div class="panel theirs">' in text
    assert 'name="viewport"' in text
    assert text.count('class="table-wrap') >= 3, "tables scroll horizontally in a wrapper"
    assert "0.8123" in body and "1 min 15 s" in body
    assert "<code>alternating</code>" in text


def test_summary_table_index_shown_only_when_meaningful(tmp_path):
    df = pd.DataFrame({"arm": ["b", "a"], "acc": [0.9, 0.8]}).sort_values("acc")  # shuffled integer index
    text = render_report(ReportContent(title="t", name="n", summary_table=df), tmp_path / "a").read_text()
    heads = re.findall(r'<th scope="col"[^>]*>([^<]*)</th>', text)
    assert heads[:2] == ["arm", "acc"] and "index" not in heads
    named = df.set_index("arm")
    text = render_report(ReportContent(title="t", name="n", summary_table=named), tmp_path / "b").read_text()
    assert re.findall(r'<th scope="col"[^>]*>([^<]*)</th>', text)[:2] == ["arm", "acc"]
    assert '<td class="num">0.8</td>' in text


def test_render_report_errors(tmp_path):
    with pytest.raises(ConfigError, match="verdict"):
        ReportContent(title="t", name="n", verdict="maybe")
    with pytest.raises(ConfigError, match="claim 0"):
        ReportContent(title="t", name="n", claims=[{"claim": "x", "p_value": 0.1}])
    with pytest.raises(ConfigError, match="claim 0"):
        ReportContent(title="t", name="n", claims=[{"claim": "x", "verdict": "yes"}])
    missing = ReportContent(title="t", name="n", figures=[FigureRecord("gone", tmp_path / "gone.png", "x.")])
    with pytest.raises(ConfigError, match="gone"):
        render_report(missing, tmp_path / "out")
    assert not (tmp_path / "out" / "report.html").exists()


def test_render_report_minimal_failed_run(tmp_path):
    c = ReportContent(title="Crashed", name="crash", verdict="FAILED", verdict_text="all trials diverged")
    text = render_report(c, tmp_path).read_text()
    page = parse(text)
    assert c.verdict == "failed"
    assert any(a.get("class") == "badge v-failed lg" for a in page.all("span"))
    assert page.all("img") == []


def test_result_html_embeds_main_figure(tmp_path):
    out_dir = tmp_path / "r"
    c = content(tmp_path, out_dir)
    frag = result_html(c, base_dir=out_dir)
    page = parse(frag)
    imgs = page.all("img")
    assert len(imgs) == 1 and imgs[0]["alt"] == "Accuracy by depth, flat."
    data = imgs[0]["src"].removeprefix("data:image/png;base64,")
    assert base64.b64decode(data)[:4] == b"\x89PNG"
    assert "refuted" in frag and "&lt;none&gt;" not in frag  # the fragment shows no notes column
    assert c._repr_html_().startswith('<div class="atomlab-result"')


def _entries():
    common = {"question": "Q?", "report": "x/report.html"}
    return [
        AtlasEntry(name="a", title="Width", source="Notebook", verdict="supported", agrees=True,
                   thumbnail="x/figures/main.png", thumbnail_caption="Main <figure>", **common),
        AtlasEntry(name="b", title="Surfaces", source="Blog", verdict="refuted", agrees=False,
                   source_conclusion='tanh "works" better', **common),
        AtlasEntry(name="c", title="Depth", source="Notebook", verdict="inconclusive", section="§2", **common),
        AtlasEntry(name="d", title="BN", source="Blog", verdict="failed", **common),
        AtlasEntry(name="e", title="Batch", source="Notebook", verdict="supported", **common),
    ]


def test_render_atlas_groups_by_source_with_one_badge_per_entry(tmp_path):
    entries = _entries()
    header = {"title": "Atlas <1>", "versions": {"atomlab": "0.1", "torch": "2.4"}, "machine": "2 cores",
              "wall_time_s": 3725.0}
    path = render_atlas(entries, tmp_path, header=header,
                        sections={"Where the sources disagree": ["Blog says <tanh>.", "Notebook says relu."]})
    text = path.read_text(encoding="utf-8")
    page = parse(text)

    groups = [a for a in page.all("section") if a.get("class") == "source-group"]
    assert [g["id"] for g in groups] == ["src-notebook", "src-blog"], "first-appearance order"
    # Cards appear under their source, in order.
    card_ids = [a["id"] for a in page.all("article")]
    assert card_ids == ["exp-a", "exp-c", "exp-e", "exp-b", "exp-d"]
    badges = [a["class"] for a in page.all("span") if a.get("class", "").startswith("badge ")]
    assert len(badges) == len(entries)
    assert badges == [f"badge v-{e.verdict}" for e in sorted(entries, key=lambda e: e.source != "Notebook")]

    body = " ".join(page.text)
    for word, n in (("supported", 2), ("refuted", 1), ("inconclusive", 1), ("failed", 1)):
        assert f"{n} {word}" in body
    assert "5 experiments" in body and "1 h 2 min" in body and "atomlab 0.1" in body
    assert "agrees with source" in body and "disagrees with source" in body
    assert "Blog says <tanh>." in body and "Atlas <1>" in body
    assert "&lt;tanh&gt;" in text and "<tanh>" not in text
    assert "http://" not in text and "https://" not in text
    imgs = page.all("img")
    assert len(imgs) == 1 and imgs[0]["alt"] == "Main <figure>" and imgs[0]["src"] == "x/figures/main.png"
    assert {a["href"] for a in page.all("a") if a.get("class") == "more"} == {"x/report.html"}


def test_render_atlas_absolute_paths_become_relative(tmp_path):
    rep = tmp_path / "runs" / "a b" / "report.html"
    e = AtlasEntry(name="a", title="T", source="S", question="Q", verdict="supported", report=rep,
                   thumbnail=tmp_path / "runs" / "a b" / "main.png")
    text = render_atlas([e], tmp_path / "site", header={}).read_text()
    page = parse(text)
    assert page.all("img")[0]["src"] == "../runs/a%20b/main.png"
    with pytest.raises(ConfigError, match="verdict"):
        AtlasEntry(name="a", title="T", source="S", question="Q", verdict="true", report="r.html")
