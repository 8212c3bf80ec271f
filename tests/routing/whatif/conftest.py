"""Shared fixtures: a small scenario file, and helpers to write broken ones."""

from __future__ import annotations

from pathlib import Path

import pytest

SHIPPED = Path(__file__).resolve().parents[3] / "benchmarks" / "whatif"

SMALL = """
format_version = 1

[scenario]
name = "small"
description = "A small mixed batch; DHL Express dearer; Venlo hub halved."

[base]
generate = { returns = 250, seed = 3, start = 2026-11-02 }
time_limit_s = 10

[[variant]]
name = "dhl_up"
[[variant.rates]]
carrier = "DHL Express"
pct = 12

[[variant]]
name = "venlo_small"
[[variant.resize]]
facility = "hub_nl_venlo"
capacity_units_per_day = 5
"""


@pytest.fixture
def small_scenario(tmp_path: Path) -> Path:
    path = tmp_path / "small.toml"
    path.write_text(SMALL, encoding="utf-8")
    return path


def write(tmp_path: Path, text: str, name: str = "bad.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path
