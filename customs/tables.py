"""Reading the TOML rule tables: a typed accessor per row that names the offending key on error.

A row is a :class:`customs.toml_reader.Table` (the product's one TOML reader) that raises at the
first problem: the tables ship with the package, so one precise error is enough. Errors are
``RuleDataError`` naming file, row and key: ``vat.toml vat[3] (vat.DE.2007).rate_bp``.

Loading happens once (``default_engine`` / ``default_fx`` are cached); nothing here runs per
assessment.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterator, Sequence
from importlib import resources
from importlib.resources.abc import Traversable
from typing import Final

from customs.errors import FieldViolation, InvalidInput
from customs.toml_reader import Problems, Table, closest

__all__ = ["RowReader", "RuleDataError", "data_dir", "read_document", "read_rows"]

# the rule tables' established wording: Python's names for the TOML types
_TYPE_NAMES: Final = {
    "integer": "int",
    "number": "float",
    "string": "str",
    "boolean": "bool",
    "date": "date",
    "table": "a table",
    "array": "list",
    "array of tables": "an array of tables ([[...]])",
}


class RuleDataError(InvalidInput, ValueError):
    """A rule table is malformed; ``where`` names the file, row and key that are wrong."""

    def __init__(self, where: str, reason: str) -> None:
        super().__init__([FieldViolation(where, reason)])
        self.where = where
        self.reason = reason


def data_dir() -> Traversable:
    """The rule tables shipped with the package."""
    return resources.files("customs") / "data"


class RowReader(Table):
    """One ``[[table]]`` row. Every accessor consumes its key; ``finish`` rejects the rest."""

    def missing_message(self) -> str:
        return "is required"

    def type_message(self, expected: str, value: object) -> str:
        return f"expected {_TYPE_NAMES.get(expected, expected)}, got {value!r}"

    def report_unknown(self, unknown: Sequence[str]) -> None:
        """All of a row's unknown keys in one error at the row, with the closest known keys."""
        keys = sorted(unknown)
        known = self.known()
        hints = [(key, closest(key, known)) for key in keys]
        shown = [
            (f"{hint!r}" if len(keys) == 1 else f"{hint!r} for {key!r}")
            for key, hint in hints
            if hint is not None
        ]
        suggestion = f" (did you mean {', '.join(shown)}?)" if shown else ""
        self.error("", f"unknown keys {keys}{suggestion}")

    def list_or_text(self, key: str) -> tuple[str, ...] | str:
        """A string, or an array of strings."""
        value = self.get(key)
        if isinstance(value, str):
            return value
        if not isinstance(value, list):
            self.fail(key, f"expected list or str, got {value!r}")
        return self.strs(key)


def _problems(filename: str) -> Problems:
    """Raise at the first problem, as ``RuleDataError("<file> <table>[i] (id).key", ...)``."""

    def raise_as(path: str, reason: str) -> RuleDataError:
        return RuleDataError(f"{filename} {path}" if path else filename, reason)

    return Problems(filename, raise_as=raise_as)


def read_rows(directory: Traversable, filename: str, table: str) -> Iterator[RowReader]:
    """The ``[[table]]`` rows of ``directory/filename``, each named for error messages."""
    document = RowReader(read_document(directory, filename), _problems(filename))
    for row in document.array_of_tables(table):
        label = row.data.get("id", row.data.get("code", ""))
        if label:
            row.path = f"{row.path} ({label})"
        yield row


def read_document(directory: Traversable, filename: str) -> dict[str, object]:
    try:
        return tomllib.loads(directory.joinpath(filename).read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise RuleDataError(filename, str(exc)) from exc
