"""The atlas and two experiment reports, opened in headless Chromium at a desktop and a phone width.

Each page must show every image (decoded, natural width > 0), log no console error and request nothing
but local files, fit its viewport without horizontal scrolling at 1280 px and 390 px, and show every
experiment with its verdict badge. Screenshots of both widths are saved to the test's ``tmp_path`` (and
also to ``$ATOMLAB_SCREENSHOT_DIR`` when it is set, to look at them).
"""

from __future__ import annotations

import json
import os
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest

ATLAS_EXPERIMENTS = ("universal-approximation", "activation-surfaces")  # as built by conftest.atlas_run
VERDICTS = ("supported", "refuted", "inconclusive")
VIEWPORTS = {"desktop": (1280, 900, False), "phone": (390, 844, True)}
PAGES = ("index", *ATLAS_EXPERIMENTS)

# Load every lazy image now and report what the browser made of it.
IMAGES_JS = """
(async () => {
  const imgs = Array.from(document.images);
  for (const img of imgs) { img.loading = 'eager'; }
  await Promise.all(imgs.map(img => img.decode().catch(() => null)));
  return imgs.map(img => ({src: img.getAttribute('src'), complete: img.complete, width: img.naturalWidth}));
})()
"""
LAYOUT_JS = """
(() => {
  const vw = window.innerWidth;
  const wide = [];
  for (const el of document.body.querySelectorAll('*')) {
    const r = el.getBoundingClientRect();
    if (r.right > vw + 1 || r.left < -1) {
      let clipped = false;  // inside a horizontally scrolling box (a wide table), which is fine
      for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
        const ox = getComputedStyle(p).overflowX;
        if (ox === 'auto' || ox === 'scroll' || ox === 'hidden') { clipped = true; break; }
      }
      if (!clipped) wide.push(el.tagName.toLowerCase() + (el.className ? '.' + el.className : '') +
                              ' right=' + Math.round(r.right));
    }
  }
  return {scrollWidth: document.documentElement.scrollWidth, viewport: vw, wide: wide.slice(0, 8),
          bodyFont: parseFloat(getComputedStyle(document.body).fontSize)};
})()
"""
RESOURCES_JS = """
(() => {
  const refs = [];
  for (const el of document.querySelectorAll('img[src],script[src],link[href],source[src],iframe[src],' +
                                             'video[src],audio[src],object[data],embed[src]')) {
    refs.push(el.getAttribute('src') || el.getAttribute('href') || el.getAttribute('data'));
  }
  let css = '';
  for (const sheet of document.styleSheets) {
    for (const rule of sheet.cssRules) { css += rule.cssText + '\\n'; }
  }
  return {refs: refs, scripts: document.scripts.length, fonts: document.fonts.size, css: css};
})()
"""
CARDS_JS = """
Array.from(document.querySelectorAll('article.card')).map(card => {
  const badge = card.querySelector('.badge');
  return {id: card.id, badge: badge ? badge.className : '', text: badge ? badge.textContent : '',
          links: Array.from(card.querySelectorAll('a[href]')).map(a => a.getAttribute('href'))};
})
"""
REPORT_JS = """
(() => {
  const badge = document.querySelector('header .badge.lg');
  return {badge: badge ? badge.className : '', title: document.title,
          figures: Array.from(document.querySelectorAll('figure img')).map(i => i.getAttribute('src')),
          seeds: (document.querySelector('header .meta') || {textContent: ''}).textContent,
          sections: Array.from(document.querySelectorAll('main section[id]')).map(s => s.id)};
})()
"""
EXTERNAL = re.compile(r"^\s*(https?:)?//", re.I)


def page_path(root: Path, page: str) -> Path:
    return root / "index.html" if page == "index" else root / page / "report.html"


def verdict_of(root: Path, name: str) -> dict:
    return json.loads((root / name / "verdict.json").read_text())


class _Refs(HTMLParser):
    """Every src/href of a page's resources and links, as written in the file."""

    def __init__(self) -> None:
        super().__init__()
        self.refs: list[tuple[str, str, str]] = []

    def handle_starttag(self, tag, attrs):
        for key, value in attrs:
            if key in ("src", "href", "data") and value is not None:
                self.refs.append((tag, key, value))


@pytest.mark.parametrize("page", PAGES)
def test_pages_are_self_contained_and_images_decode(atlas_run, page):
    """Without a browser: every referenced file exists, every image decodes, nothing points at the network."""
    from PIL import Image

    path = page_path(atlas_run, page)
    text = path.read_text(encoding="utf-8")
    parser = _Refs()
    parser.feed(text)
    assert parser.refs, f"{path} references nothing"
    imgs = [v for tag, _, v in parser.refs if tag == "img"]
    assert imgs, f"{path} shows no image"
    for tag, key, value in parser.refs:
        assert not EXTERNAL.match(value), f"{path}: <{tag} {key}={value!r}> points at the network"
        if value.startswith(("#", "data:", "mailto:")):
            continue
        target = path.parent / unquote(urlparse(value).path)
        assert target.is_file(), f"{path}: <{tag} {key}={value!r}> names a missing file"
        if tag == "img":
            with Image.open(target) as im:
                im.load()
                assert im.size[0] > 0 and im.size[1] > 0, f"{target} is empty"
    assert "<script" not in text.lower(), f"{path} contains a script"
    assert "@font-face" not in text and "@import" not in text, f"{path} loads fonts or style sheets"


def problems_in_browser(browser, path: Path, width: int, height: int, mobile: bool) -> dict[str, list]:
    """Open ``path`` and list what is wrong with it: broken images, overflow, network use, console errors."""
    browser.load(path, width=width, height=height, mobile=mobile)
    images = browser.evaluate(IMAGES_JS)
    layout = browser.evaluate(LAYOUT_JS)
    res = browser.evaluate(RESOURCES_JS)
    problems: dict[str, list] = {
        "no images": [] if images else [str(path)],
        "broken images": [i["src"] for i in images if not i["complete"] or i["width"] <= 0],
        "horizontal overflow": ([f"scrollWidth {layout['scrollWidth']} > {width}; past the edge: {layout['wide']}"]
                                if layout["scrollWidth"] > width + 1 or layout["viewport"] != width else []),
        "small text": [layout["bodyFont"]] if layout["bodyFont"] < 14 else [],
        "network references": [r for r in res["refs"] if EXTERNAL.match(r)],
        "web fonts or remote css": ([res["fonts"]] if res["fonts"] else [])
        + re.findall(r"@font-face|@import|url\(\s*['\"]?(?:https?:)?//[^)]*\)", res["css"]),
        "scripts": [res["scripts"]] if res["scripts"] else [],
        "remote requests": [u for u in browser.requested_urls() if not u.startswith(("file:", "data:"))],
        "console errors": browser.console_errors(),
    }
    return {k: v for k, v in problems.items() if v}


@pytest.mark.browser
def test_harness_catches_a_broken_page(browser, tmp_path):
    """The checks are not vacuous: a page with a missing image, a script error and a too-wide box fails them."""
    bad = tmp_path / "bad.html"
    bad.write_text('<!DOCTYPE html><html><head><meta name="viewport" content="width=device-width">'
                   '<style>body{font-size:16px}</style></head><body><img src="missing.png" alt="x">'
                   '<div style="width:2000px">wide</div><script>console.error("boom")</script></body></html>')
    found = problems_in_browser(browser, bad, 390, 844, True)
    assert found.get("broken images") == ["missing.png"], found
    assert "horizontal overflow" in found and "scripts" in found, found
    assert any("boom" in e for e in found.get("console errors", [])), found


@pytest.mark.browser
@pytest.mark.parametrize("viewport", list(VIEWPORTS))
@pytest.mark.parametrize("page", PAGES)
def test_page_in_chromium(atlas_run, browser, tmp_path, page, viewport):
    """The page passes every browser check, and shows each experiment with its verdict badge."""
    width, height, mobile = VIEWPORTS[viewport]
    path = page_path(atlas_run, page)
    problems = problems_in_browser(browser, path, width, height, mobile)
    shot = browser.screenshot(tmp_path / f"{page}-{width}.png")
    keep = os.environ.get("ATOMLAB_SCREENSHOT_DIR")
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        shutil.copyfile(shot, Path(keep) / shot.name)
    assert not problems, f"{page} at {width}px: {problems} (screenshot: {shot})"

    if page == "index":
        cards = browser.evaluate(CARDS_JS)
        assert sorted(c["id"] for c in cards) == sorted(f"exp-{n}" for n in ATLAS_EXPERIMENTS)
        for card in cards:
            name = card["id"].removeprefix("exp-")
            verdict = verdict_of(atlas_run, name)["verdict"]
            assert verdict in VERDICTS
            assert f"v-{verdict}" in card["badge"].split() and verdict in card["text"], card
            assert f"{name}/report.html" in [unquote(h) for h in card["links"]], card["links"]
    else:
        info = browser.evaluate(REPORT_JS)
        v = verdict_of(atlas_run, page)
        assert f"v-{v['verdict']}" in info["badge"].split(), info
        assert str(v["seeds"]) in info["seeds"], info
        assert {f["path"] for f in v["figures"]} <= {unquote(s) for s in info["figures"]}, info["figures"]
        assert {"verdict", "claims", "figures", "method", "provenance"} <= set(info["sections"])
