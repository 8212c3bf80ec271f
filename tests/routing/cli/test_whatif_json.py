"""`reroute whatif --json`: the variants' results as JSON on stdout, the progress on stderr."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from routing.cli.flags import EXIT_OK
from routing.cli.main import main
from tests.routing.whatif.conftest import SMALL


def test_whatif_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """stdout is one JSON document: per variant the optimized total, never above the best
    rule's, and the files written."""
    scenario = tmp_path / "small.toml"
    scenario.write_text(SMALL, encoding="utf-8")
    argv = ["whatif", str(scenario), "--out", str(tmp_path / "w"), "--workers", "1", "--json"]
    assert main(argv) == EXIT_OK
    doc = json.loads(capsys.readouterr().out)
    assert {v["variant"] for v in doc["variants"]} >= {"dhl_up", "venlo_small"}
    for v in doc["variants"]:
        assert v["optimized_minor"] <= v["best_rule_minor"]
    assert any(f.endswith("report.html") for f in doc["files"])
    # the report's answer comes first on the terminal too, the same as report.json's
    report = json.loads((tmp_path / "w" / "report.json").read_text(encoding="utf-8"))
    assert doc["headline"] == report["headline"]


def test_whatif_prints_the_answer_first(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Without --json the summary ends with the report's headline and its findings."""
    scenario = tmp_path / "small.toml"
    scenario.write_text(SMALL, encoding="utf-8")
    argv = ["whatif", str(scenario), "--out", str(tmp_path / "w"), "--workers", "1"]
    assert main(argv) == EXIT_OK
    out = capsys.readouterr().out
    report = json.loads((tmp_path / "w" / "report.json").read_text(encoding="utf-8"))
    lines = out.splitlines()
    assert report["headline"]["answer"] in lines
    assert report["headline"]["answer"].startswith(report["headline"]["take"])
    assert "  1. " in out
