"""Shared fixtures for the customs tests (builders live in customs_builders.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from customs import CustomsEngine, FxTable, RuleBook, default_engine, default_fx

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def engine() -> CustomsEngine:
    return default_engine()


@pytest.fixture(scope="session")
def rulebook(engine: CustomsEngine) -> RuleBook:
    return engine.rulebook


@pytest.fixture(scope="session")
def fx() -> FxTable:
    return default_fx()


@pytest.fixture(scope="session")
def data_dir() -> Path:
    return REPO / "customs" / "data"


@pytest.fixture(scope="session")
def golden_path() -> Path:
    return REPO / "tests" / "data" / "customs_golden.toml"


@pytest.fixture(scope="session")
def fact_base_path() -> Path:
    return REPO.parent / "shared" / "reference" / "customs_facts.json"
