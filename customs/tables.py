"""Reading the TOML rule tables: a typed accessor per row that names the offending key on error.

Loading happens once (``default_engine`` / ``default_fx`` are cached); nothing here runs per
assessment.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterator
from datetime import date
from importlib import resources
from importlib.resources.abc import Traversable
from typing import NoReturn

from customs.errors import FieldViolation, InvalidInput


class RuleDataError(InvalidInput, ValueError):
    """A rule table is malformed; ``where`` names the file, row and key that are wrong."""

    def __init__(self, where: str, reason: str) -> None:
        super().__init__([FieldViolation(where, reason)])
        self.where = where
        self.reason = reason


def data_dir() -> Traversable:
    """The rule tables shipped with the package."""
    return resources.files("customs") / "data"


class RowReader:
    """One ``[[table]]`` row. Every accessor consumes its key; ``finish`` rejects the rest."""

    def __init__(self, where: str, data: dict[str, object]) -> None:
        self.where = where
        self._data = data
        self._seen: set[str] = set()

    def fail(self, key: str, reason: str) -> NoReturn:
        raise RuleDataError(f"{self.where}.{key}" if key else self.where, reason)

    def has(self, key: str) -> bool:
        return key in self._data

    def _get(self, key: str, kind: type | tuple[type, ...], required: bool) -> object:
        self._seen.add(key)
        if key not in self._data:
            if required:
                self.fail(key, "is required")
            return None
        value = self._data[key]
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            self.fail(key, f"expected {getattr(kind, '__name__', kind)}, got {value!r}")
        return value

    def text(self, key: str, default: str | None = None) -> str:
        value = self._get(key, str, default is None)
        return value if isinstance(value, str) else str(default)

    def flag(self, key: str, default: bool | None = None) -> bool:
        value = self._get(key, bool, default is None)
        return value if isinstance(value, bool) else bool(default)

    def integer(self, key: str) -> int:
        value = self._get(key, int, True)
        assert isinstance(value, int)
        return value

    def day(self, key: str) -> date:
        value = self.maybe_day(key, required=True)
        assert value is not None
        return value

    def maybe_day(self, key: str, *, required: bool = False) -> date | None:
        value = self._get(key, date, required)
        return value if isinstance(value, date) else None

    def texts(self, key: str, *, required: bool = False) -> tuple[str, ...]:
        value = self._get(key, list, required)
        if value is None:
            return ()
        assert isinstance(value, list)
        if not all(isinstance(v, str) for v in value):
            self.fail(key, f"expected a list of strings, got {value!r}")
        return tuple(value)

    def list_or_text(self, key: str) -> tuple[str, ...] | str:
        value = self._get(key, (list, str), True)
        return value if isinstance(value, str) else self.texts(key)

    def sub(self, key: str) -> RowReader | None:
        value = self._get(key, dict, False)
        if value is None:
            return None
        assert isinstance(value, dict)
        return RowReader(f"{self.where}.{key}", value)

    def finish(self) -> None:
        unknown = sorted(set(self._data) - self._seen)
        if unknown:
            self.fail("", f"unknown keys {unknown}")


def read_rows(directory: Traversable, filename: str, table: str) -> Iterator[RowReader]:
    """The ``[[table]]`` rows of ``directory/filename``, each named for error messages."""
    document = read_document(directory, filename)
    rows = document.get(table, [])
    if not isinstance(rows, list):
        raise RuleDataError(f"{filename} {table}", "expected an array of tables ([[...]])")
    for index, row in enumerate(rows):
        if not isinstance(row, dict):
            raise RuleDataError(f"{filename} {table}[{index}]", "expected a table")
        label = row.get("id", row.get("code", ""))
        yield RowReader(f"{filename} {table}[{index}]" + (f" ({label})" if label else ""), row)


def read_document(directory: Traversable, filename: str) -> dict[str, object]:
    try:
        return tomllib.loads(directory.joinpath(filename).read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise RuleDataError(filename, str(exc)) from exc
