"""Reading a network document: the network's dialect of the product's one TOML reader.

:class:`NetworkTable` is a :class:`customs.toml_reader.Table` with the network format's own
accessors (ids, country and currency codes, enum arrays, price matrices, sources);
:class:`NetworkProblems` collects every problem of one document under its key path
(``facilities.hub_nl_venlo.country``) and raises them together as one :class:`NetworkErrors`.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Collection, Iterator, Sequence
from contextlib import contextmanager
from typing import Final, TypeVar

from customs.codes import is_country, is_currency, is_subdivision, is_territory
from customs.toml_reader import Problems, Table, describe
from hubs.model import NetworkError, Source

__all__ = [
    "ID_RULE",
    "NetworkErrors",
    "NetworkProblems",
    "NetworkTable",
    "check_id",
    "is_country",
    "is_currency",
    "is_subdivision_of",
]

ID_RE: Final = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
ID_RULE: Final = (
    "lower-case letters, digits, '_' and '-', starting with a letter or digit, at most 64"
)
_MIN_YEAR, _MAX_YEAR = 1900, 2100
_INTEGER_HINT: Final = " (money is integer minor units, weights grams, sizes mm, shares bp)"

E = TypeVar("E", bound=enum.Enum)


class NetworkErrors(NetworkError):
    """Every problem found in one network definition.

    ``path`` is the definition's origin (a file name or ``<string>``); ``errors`` holds one
    ``NetworkError`` per problem, each naming its key. ``str()`` lists them all.
    """

    def __init__(self, origin: str, errors: Sequence[NetworkError]) -> None:
        if not errors:
            raise ValueError("NetworkErrors needs at least one error")
        self.origin = origin
        self.errors: tuple[NetworkError, ...] = tuple(errors)
        count = len(self.errors)
        listing = "\n".join(f"  {e.path}: {e.reason}" for e in self.errors)
        noun = "error" if count == 1 else "errors"
        super().__init__(origin, f"{count} {noun} in the network definition:\n{listing}")
        # one field violation per problem, each naming its key (not one for the whole file)
        self.violations = tuple(v for e in self.errors for v in e.violations)


class NetworkProblems(Problems):
    """The problems of one network document, raised together as :class:`NetworkErrors`."""

    def raise_if_any(self) -> None:
        if self.items:
            raise NetworkErrors(self.file, [NetworkError(p.path, p.reason) for p in self.items])

    @contextmanager
    def model(self, path: str) -> Iterator[None]:
        """Record a domain object's own ``__post_init__`` error under the TOML key path."""
        try:
            yield
        except NetworkError as exc:
            _, _, field = exc.path.partition(".")
            self.add(f"{path}.{field}" if field else path, exc.reason)


class NetworkTable(Table):
    """One table of a network document (see :class:`customs.toml_reader.Table`)."""

    def type_message(self, expected: str, value: object) -> str:
        message = super().type_message(expected, value)
        if expected == "integer" and isinstance(value, float):
            message += _INTEGER_HINT
        return message

    def country(self, key: str) -> str:
        value = self.str(key, nonempty=True)
        if value and not is_country(value):
            self.error(key, f"unknown country code {value!r} (ISO 3166-1 alpha-2, upper case)")
        return value

    def currency(self, key: str) -> str:
        value = self.str(key, nonempty=True)
        if value and not is_currency(value):
            self.error(key, f"unknown currency {value!r} (ISO 4217 code, upper case)")
        return value

    def reference(self, key: str) -> str:
        """The id of another entry (checked against the declared ids later)."""
        value = self.str(key, nonempty=True)
        if value and not ID_RE.match(value):
            self.error(key, f"{value!r} is not a valid id ({ID_RULE})")
        return value

    def matrix(self, key: str, *, low: int | None = 0) -> tuple[tuple[int, ...], ...]:
        array = self.array(key)
        if array is None:
            return ()
        path = self.at(key)
        rows: list[tuple[int, ...]] = []
        for i, row in enumerate(array):
            if not isinstance(row, list):
                self.report(f"{path}[{i}]", f"expected an array of integers, got {describe(row)}")
                continue
            rows.append(
                tuple(self.int_at(f"{path}[{i}][{j}]", v, low=low) for j, v in enumerate(row))
            )
        return tuple(rows)

    def countries(self, key: str) -> frozenset[str]:
        array = self.array(key)
        if array is None:
            return frozenset()
        path = self.at(key)
        codes: list[str] = []
        for i, value in enumerate(array):
            if not isinstance(value, str):
                self.report(f"{path}[{i}]", f"expected a country code, got {describe(value)}")
            elif not is_country(value):
                self.report(
                    f"{path}[{i}]",
                    f"unknown country code {value!r} (ISO 3166-1 alpha-2, upper case)",
                )
            elif value in codes:
                self.report(f"{path}[{i}]", f"{value} is listed twice")
            else:
                codes.append(value)
        return frozenset(codes)

    def choices(self, key: str, kind: type[E], *, refused: Collection[E] = ()) -> frozenset[E]:
        array = self.array(key)
        if array is None:
            return frozenset()
        path = self.at(key)
        members: list[E] = []
        for i, value in enumerate(array):
            member = self.choice_at(f"{path}[{i}]", value, kind, refused=refused)
            if member in members:
                self.report(f"{path}[{i}]", f"{value!r} is listed twice")
            elif member is not None:
                members.append(member)
        return frozenset(members)

    def sources(self) -> tuple[Source, ...]:
        """The optional ``sources = [{ref, year, note}, ...]`` of an entry."""
        array = self.array("sources", required=False)
        if array is None:
            return ()
        path = self.at("sources")
        out: list[Source] = []
        for i, value in enumerate(array):
            if not isinstance(value, dict):
                self.report(
                    f"{path}[{i}]", f"expected a table {{ref, year, note}}, got {describe(value)}"
                )
                continue
            entry = self.child(value, f"{path}[{i}]")
            ref = entry.str("ref", nonempty=True)
            year = entry.int("year", low=_MIN_YEAR, high=_MAX_YEAR)
            note = entry.str("note", default="")
            entry.finish()
            out.append(Source(ref=ref, year=year, note=note))
        return tuple(out)


def check_id(name: str) -> str | None:
    """Why ``name`` is not a valid entry id, or ``None``."""
    return None if ID_RE.match(name) else f"{name!r} is not a valid id ({ID_RULE})"


def is_subdivision_of(code: str, country: str) -> bool:
    """``code`` is an ISO 3166-2 subdivision of ``country`` (customs.codes: the one definition)."""
    return is_territory(code, country) and is_subdivision(code)
