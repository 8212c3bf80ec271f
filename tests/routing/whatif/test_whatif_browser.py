"""The report in a real browser: Debian's headless Chromium (installed by .ci/run) opens
report.html at 1400 px and finds the answer (the headline) on the first screen, the KPIs, every
chart loaded with a title and a caption, no two texts of a chart overprinting each other, no
console error and no network request; screenshots are kept under test-artifacts/."""

from __future__ import annotations

import base64
import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from routing.plan.executor import SerialExecutor
from routing.whatif.fmt import money
from routing.whatif.report import write_report
from routing.whatif.runner import run_scenario

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts"
WIDTH, HEIGHT = 1400, 900  # the first screen a planner sees

# every text of an inline matplotlib SVG (a <g id="text_N"> of glyph paths, its string in a
# comment) with its box on the page; a pair overlapping by more than 1 px each way overprints
_TEXT_BOXES = """() => Array.from(document.querySelectorAll('g[id^="text_"]')).map(g => {
  const r = g.getBoundingClientRect();
  const c = Array.from(g.childNodes).find(n => n.nodeType === 8);
  return {id: g.id, text: c ? c.textContent.trim() : '', x0: r.left, y0: r.top,
          x1: r.right, y1: r.bottom};
}).filter(b => b.x1 > b.x0 && b.y1 > b.y0)"""


def _chromium() -> Path:
    if CHROMIUM.exists():
        return CHROMIUM
    if os.environ.get("CI"):
        pytest.fail("Debian's chromium is missing: .ci/run installs it (apt-get install chromium)")
    pytest.skip("Debian's chromium is not installed (apt-get install chromium)")


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from tests.routing.whatif.conftest import SMALL

    root = tmp_path_factory.mktemp("whatif")
    scenario = root / "small.toml"
    scenario.write_text(SMALL, encoding="utf-8")
    out = root / "report"
    write_report(run_scenario(scenario, executor=SerialExecutor()), out)
    return out


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    executable = _chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=str(executable), args=ARGS)
        try:
            yield b
        finally:
            b.close()


def _overlaps(boxes: list[dict[str, Any]]) -> list[tuple[str, str]]:
    found = []
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            w = min(a["x1"], b["x1"]) - max(a["x0"], b["x0"])
            h = min(a["y1"], b["y1"]) - max(a["y0"], b["y0"])
            if w > 1 and h > 1:
                found.append((a["text"] or a["id"], b["text"] or b["id"]))
    return found


def test_report_opens_in_headless_chromium(report: Path, browser: Any, tmp_path: Path) -> None:
    """The headline names report.json's winner and findings and fits the first screen; every
    KPI of report.json is on the page; every chart decoded with a size, a title and a caption;
    the summary table fits the page; no console error, nothing fetched but the file itself."""
    data = json.loads((report / "report.json").read_text(encoding="utf-8"))
    headline = data["headline"]
    errors: list[str] = []
    requests: list[str] = []
    page = browser.new_page(viewport={"width": WIDTH, "height": HEIGHT})
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("request", lambda r: requests.append(r.url))
    page.goto((report / "report.html").as_uri(), wait_until="load")
    top = page.eval_on_selector(
        "#headline",
        "e => ({bottom: e.getBoundingClientRect().bottom, variant: e.dataset.variant,"
        " policy: e.dataset.policy, take: e.querySelector('.take').innerText,"
        " findings: Array.from(e.querySelectorAll('#findings li')).map(li => li.innerText)})",
    )
    figures = page.eval_on_selector_all(
        "figure.chart",
        "els => els.map(f => {const i = f.querySelector('img'); return {key: f.dataset.chart,"
        " title: f.querySelector('.chart-title').innerText,"
        " caption: f.querySelector('figcaption').innerText,"
        " ok: i.complete && i.naturalWidth > 0, h: i.naturalHeight,"
        " fits: i.getBoundingClientRect().right <= document.documentElement.clientWidth}})",
    )
    table = page.eval_on_selector(
        "#summary",
        "t => ({right: t.getBoundingClientRect().right, page: document.documentElement.clientWidth,"
        " rows: Array.from(t.querySelectorAll('tr[data-variant]')).map(r => [r.dataset.variant,"
        " r.dataset.policy, r.querySelector('[data-kpi=total_cost_minor]').dataset.value,"
        " r.querySelector('[data-kpi=total_cost_minor]').innerText])})",
    )
    text = page.inner_text("body")
    shot = tmp_path / "whatif_first_screen.png"
    page.screenshot(path=str(shot))
    page.close()
    ARTIFACTS.mkdir(exist_ok=True)
    shutil.copy(shot, ARTIFACTS / shot.name)

    assert not errors, errors
    assert all(u.startswith(("file://", "data:")) for u in requests), requests
    # the answer, on the first screen: the winner and the findings report.json gives
    winner = headline["winner"]
    assert (top["variant"], top["policy"]) == (winner["variant"], winner["policy"])
    assert winner["variant"] in top["take"]
    assert winner["label"] in top["take"]
    assert top["findings"] == headline["findings"]
    assert 1 <= len(top["findings"]) <= 3
    assert top["bottom"] <= HEIGHT, top["bottom"]
    # 1 cost-vs-refund chart + 4 per variant (waterfall, difference, utilization, flow map)
    assert len(figures) == 1 + 4 * len(data["variants"])
    for f in figures:
        assert f["ok"], f
        assert f["h"] > 0, f
        assert f["fits"], f
        assert f["title"].strip(), f
        assert len(f["caption"].strip()) > 20, f
    assert table["right"] <= table["page"], table
    shown = {(v, p): (int(value), label) for v, p, value, label in table["rows"]}
    for v in data["variants"]:
        for policy, kpis in v["policies"].items():
            value, label = shown[(v["name"], policy)]
            assert value == kpis["total_cost_minor"]
            assert label == money(kpis["total_cost_minor"], data["currency"], whole=True)
    for heading in ("Summary", "Cost by term", "duties paid", "refund days", "CO2e"):
        assert heading in text


def test_no_chart_overprints_its_own_text(report: Path, browser: Any) -> None:
    """Inside every chart SVG (opened inline, so its texts are DOM nodes), no two texts -
    titles, tick labels, legend entries, map labels - overlap by more than a pixel."""
    html = (report / "report.html").read_text(encoding="utf-8")
    prefix = 'src="data:image/svg+xml;base64,'
    uris = [part.split('"', 1)[0] for part in html.split(prefix)[1:]]
    assert uris
    page = browser.new_page(viewport={"width": WIDTH, "height": HEIGHT})
    bad = {}
    try:
        for i, uri in enumerate(uris):
            svg = base64.b64decode(uri).decode("utf-8")
            page.set_content(f"<html><body style='margin:0'>{svg}</body></html>")
            boxes = page.evaluate(_TEXT_BOXES)
            assert len(boxes) >= 3, (i, boxes)  # a chart has a title, axis labels and ticks
            if found := _overlaps(boxes):
                bad[i] = found
    finally:
        page.close()
    assert not bad, bad


def test_screenshots_of_charts_are_kept(report: Path, browser: Any, tmp_path: Path) -> None:
    """The flow map and the waterfall of the first variant, as a person sees them at 1400 px."""
    page = browser.new_page(viewport={"width": WIDTH, "height": HEIGHT})
    try:
        page.goto((report / "report.html").as_uri(), wait_until="load")
        for key in ("flow_map", "waterfall"):
            shot = tmp_path / f"whatif_{key}.png"
            page.locator(f"section figure[data-chart={key}]").first.screenshot(path=str(shot))
            assert shot.stat().st_size > 10_000
            ARTIFACTS.mkdir(exist_ok=True)
            shutil.copy(shot, ARTIFACTS / shot.name)
    finally:
        page.close()
