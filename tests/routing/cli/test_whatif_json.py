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
