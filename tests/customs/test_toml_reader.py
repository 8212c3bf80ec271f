"""The product's one TOML reader: typed getters that name ``file: table.key`` on every problem."""

from __future__ import annotations

import tomllib
from datetime import date

import pytest

from customs.errors import InvalidInput
from customs.toml_reader import Problems, Table, TomlError

DOC = tomllib.loads(
    """
name = "demo"
[parcel]
weight_g = -5
sizes_mm = [10, "20", 30]
ship_on = 2026-11-02
[hubs.hub_nl]
capacity = 10
[hubs."Hub DE"]
capacity = 1.5
[[rates]]
pct = 12
[[rates]]
pcz = 3
"""
)


def _read(problems: Problems) -> None:
    root = Table(DOC, problems)
    assert root.str("name", nonempty=True) == "demo"
    parcel = root.table("parcel")
    parcel.int("weight_g", low=0)
    assert parcel.ints("sizes_mm", low=1)[::2] == (10, 30)
    assert parcel.date("ship_on") == date(2026, 11, 2)
    parcel.bool("fragile")
    parcel.finish()
    for hub in root.tables("hubs").values():
        hub.int("capacity", low=0)
        hub.finish()
    for rate in root.array_of_tables("rates"):
        rate.optional("pct", rate.int)
        rate.finish()
    root.finish()


def test_every_problem_is_collected_with_file_table_and_key() -> None:
    """One pass reports every problem, each at its full key path (quoted where TOML would)."""
    problems = Problems("demo.toml")
    _read(problems)
    with pytest.raises(TomlError) as info:
        problems.raise_if_any()
    assert isinstance(info.value, InvalidInput)
    fields = {v.field: v.description for v in info.value.violations}
    assert fields == {
        "demo.toml: parcel.weight_g": "must be >= 0, got -5",
        "demo.toml: parcel.sizes_mm[1]": "expected an integer, got string '20'",
        "demo.toml: parcel.fragile": "missing required key",
        'demo.toml: hubs."Hub DE".capacity': "expected an integer, got float 1.5",
        "demo.toml: rates[1].pcz": "unknown key; did you mean 'pct'? allowed: pct",
    }


def test_raise_as_stops_at_the_first_problem() -> None:
    """With ``raise_as`` the first problem is raised at once, as the caller's own error."""

    class ConfigError(ValueError):
        def __init__(self, path: str, reason: str) -> None:
            super().__init__(f"{path}: {reason}")

    with pytest.raises(ConfigError, match=r"^parcel\.weight_g: must be >= 0, got -5$"):
        _read(Problems("demo.toml", raise_as=ConfigError))


def test_optional_is_none_when_absent_or_bad() -> None:
    """``optional`` reads an absent key as None (no problem) and a bad one as None (reported)."""
    problems = Problems("x.toml")
    t = Table({"seed": "seven"}, problems)
    assert t.optional("limit", t.int) is None
    assert t.optional("seed", t.int) is None
    t.finish()
    assert [(p.path, p.reason) for p in problems.items] == [
        ("seed", "expected an integer, got string 'seven'")
    ]


def test_wording_is_overridable() -> None:
    """A format keeps its established phrasing by overriding a message method."""

    class Terse(Table):
        def missing_message(self) -> str:
            return "is required"

    problems = Problems("x.toml")
    Terse({"a": {}}, problems).table("a").str("b")
    assert [(p.path, p.reason) for p in problems.items] == [("a.b", "is required")]


def test_scope_names_a_part_of_the_document() -> None:
    """A scope (a scenario's variant) is kept apart from the key path and named in the error."""
    problems = Problems("s.toml")
    Table({}, problems, scope="variant 'v'").int("n")
    with pytest.raises(TomlError) as info:
        problems.raise_if_any()
    assert info.value.violations[0].field == "s.toml: variant 'v': n"
