"""The report in a real browser: Debian's headless Chromium (installed by .ci/run) opens
report.html and finds the KPIs on the page, every chart loaded, no console error and no network
request; a screenshot is kept under test-artifacts/."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from routing.plan.executor import SerialExecutor
from routing.whatif.report import write_report
from routing.whatif.runner import run_scenario

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts"


def _chromium() -> Path:
    if CHROMIUM.exists():
        return CHROMIUM
    if os.environ.get("CI"):
        pytest.fail("Debian's chromium is missing: .ci/run installs it (apt-get install chromium)")
    pytest.skip("Debian's chromium is not installed (apt-get install chromium)")


def test_report_opens_in_headless_chromium(small_scenario: Path, tmp_path: Path) -> None:
    """Every KPI of report.json is on the page, every <img> chart decoded with a size, no
    console error, nothing fetched but the file itself."""
    executable = _chromium()
    from playwright.sync_api import sync_playwright

    out = tmp_path / "report"
    write_report(run_scenario(small_scenario, executor=SerialExecutor()), out)
    data = json.loads((out / "report.json").read_text(encoding="utf-8"))
    errors: list[str] = []
    requests: list[str] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(executable), args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.on("request", lambda r: requests.append(r.url))
            page.goto((out / "report.html").as_uri(), wait_until="load")
            images = page.eval_on_selector_all(
                "img",
                "els => els.map(e => ({alt: e.alt, ok: e.complete && e.naturalWidth > 0,"
                " w: e.naturalWidth, h: e.naturalHeight}))",
            )
            cells = page.eval_on_selector_all(
                "#summary tr[data-variant]",
                "rows => rows.map(r => [r.dataset.variant, r.dataset.policy,"
                " r.querySelector('[data-kpi=total_cost_minor]').dataset.value,"
                " r.querySelector('[data-kpi=total_cost_minor]').innerText])",
            )
            text = page.inner_text("body")
            shot = tmp_path / "whatif_report.png"
            page.screenshot(path=str(shot), full_page=True)
        finally:
            browser.close()
    ARTIFACTS.mkdir(exist_ok=True)
    shutil.copy(shot, ARTIFACTS / shot.name)
    assert not errors, errors
    assert all(u.startswith(("file://", "data:")) for u in requests), requests
    # 1 cost-vs-refund chart + 4 per variant (waterfall, difference, utilization, flow map)
    assert len(images) == 1 + 4 * len(data["variants"])
    assert all(i["ok"] and i["h"] > 0 for i in images), images
    shown = {(v, p): (int(value), label) for v, p, value, label in cells}
    for v in data["variants"]:
        for policy, kpis in v["policies"].items():
            value, label = shown[(v["name"], policy)]
            assert value == kpis["total_cost_minor"]
            major = f"{kpis['total_cost_minor'] / 100:.2f}"
            assert major in label
    for heading in ("Summary", "Cost by term", "duties paid", "refund p50 / p90", "CO2e"):
        assert heading in text
    assert shot.stat().st_size > 10_000
