"""The product's one TOML reader: typed access to a parsed TOML table that knows its path.

Every hand-written TOML format of reroute is read with it: the network (:mod:`hubs.reading`),
the customs rule tables (:mod:`customs.tables`), the batch generator's configuration
(:mod:`routing.batches.generator_config`) and what-if scenarios (:mod:`routing.whatif.scenario`).
``tomllib`` parses; a :class:`Table` walks one table of the result::

    problems = Problems("net.toml")
    root = Table(tomllib.loads(text), problems)
    head = root.table("network")
    name = head.str("name", nonempty=True)
    weight = head.int("weight_g", low=0)
    for key, hub in root.tables("facilities").items(): ...
    head.finish()  # a key nobody asked for: "unknown key; did you mean 'name'? allowed: ..."
    problems.raise_if_any()  # TomlError, e.g. "net.toml: network.weight_g: must be >= 0, got -1"

Every getter records a precise problem at the key's full path (``facilities.hub_nl.country``,
``rates[0].pct``; keys that are not bare are quoted as in TOML) and returns a harmless
placeholder, so one pass reports every problem of a document. A format that wants the first
problem only (fixed data shipped with the package) gives :class:`Problems` a ``raise_as``
factory. Getters remember the keys they were asked for; :meth:`Table.finish` reports any other
key as unknown, naming the closest known one (``difflib``): a typo is never silently ignored.

Messages are phrased by a few overridable :class:`Table` methods (``missing_message``,
``type_message``, ``range_message``, ``unknown_message``); the defaults are the product's
wording. A format whose users and tests rely on other phrasing overrides them in a subclass,
which also adds that format's own accessors (country codes, currencies, sources...).

It lives in ``customs`` because that is the lowest package: ``hubs`` and ``routing`` import
``customs`` and ``customs`` imports neither, so this is the one place all three may share; its
errors belong to the one exception tree rooted in :mod:`customs.errors`.
"""

from __future__ import annotations

import builtins
import datetime
import difflib
import enum
import json
import re
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Final, NoReturn, Self, TypeVar

from customs.errors import FieldViolation, InvalidInput

__all__ = [
    "SUGGEST_CUTOFF",
    "Problem",
    "Problems",
    "Table",
    "TomlError",
    "article",
    "closest",
    "describe",
    "key_path",
]

SUGGEST_CUTOFF: Final = 0.5  # difflib ratio a known key needs to be suggested for a typo
_BARE_KEY_RE: Final = re.compile(r"^[A-Za-z0-9_-]+$")
_ARTICLES: Final = {
    "integer": "an integer",
    "number": "a number",
    "string": "a string",
    "boolean": "a boolean (true or false)",
    "date": "a date",
    "table": "a table",
    "array": "an array",
    "array of tables": "an array of tables ([[...]])",
}

E = TypeVar("E", bound=enum.Enum)
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Problem:
    """One problem of a document. ``path`` is the key path inside it (``""``: the document or
    the scope itself); ``scope`` names a part of the document reported apart (a scenario's
    variant), ``""`` for none."""

    path: str
    reason: str
    scope: str = ""

    @property
    def where(self) -> str:
        return ": ".join(part for part in (self.scope, self.path) if part)


class TomlError(InvalidInput, ValueError):
    """Every problem of one TOML document; each field violation names ``file: table.key``."""

    def __init__(self, file: str, problems: Sequence[Problem]) -> None:
        self.file = file
        self.problems = tuple(problems)
        super().__init__(
            [
                FieldViolation(f"{file}: {p.where}" if p.where else file, p.reason)
                for p in self.problems
            ]
        )


RaiseAs = Callable[[str, str], Exception]


class Problems:
    """The problems of one document found so far.

    Collected, to be raised together by :meth:`raise_if_any`; or, with ``raise_as`` (a factory
    ``(path, reason) -> exception``), raised at the first. ``mark``/``clean_since`` tell whether
    a part read cleanly.
    """

    def __init__(self, file: str = "<string>", *, raise_as: RaiseAs | None = None) -> None:
        self.file = file
        self.raise_as = raise_as
        self.items: list[Problem] = []

    def add(self, path: str, reason: str, *, scope: str = "") -> None:
        if self.raise_as is not None:
            raise self.raise_as(path, reason)
        self.items.append(Problem(path, reason, scope))

    def fail(self, path: str, reason: str, *, scope: str = "") -> NoReturn:
        """Raise this one problem now (whatever the mode)."""
        if self.raise_as is not None:
            raise self.raise_as(path, reason)
        raise TomlError(self.file, [*self.items, Problem(path, reason, scope)])

    def mark(self) -> int:
        return len(self.items)

    def clean_since(self, mark: int) -> bool:
        return len(self.items) == mark

    def raise_if_any(self) -> None:
        if self.items:
            raise TomlError(self.file, self.items)


def describe(value: object) -> str:
    """A value as a message shows it: ``integer 5``, ``string 'abc'``, ``a table``."""
    if isinstance(value, bool):
        return f"boolean {str(value).lower()}"
    if isinstance(value, int):
        return f"integer {value}"
    if isinstance(value, float):
        return f"float {value!r}"
    if isinstance(value, str):
        shown = value if len(value) <= 24 else value[:21] + "..."
        return f"string {shown!r}"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return f"{type(value).__name__} {value.isoformat()}"
    return type(value).__name__


def article(kind: str) -> str:
    """A TOML type as the default messages name it: ``integer`` -> ``an integer``."""
    return _ARTICLES.get(kind, kind)


def key_path(parent: str, key: str) -> str:
    """``parent.key``, the key quoted as TOML would need it (``facilities."Hub NL"``)."""
    shown = key if _BARE_KEY_RE.match(key) else json.dumps(key)
    return f"{parent}.{shown}" if parent else shown


def closest(key: str, known: Collection[str]) -> str | None:
    """The known key a typo most likely meant, if any is close enough."""
    match = difflib.get_close_matches(key, list(known), n=1, cutoff=SUGGEST_CUTOFF)
    return match[0] if match else None


_MISSING: Final = object()


class Table:
    """One TOML table being read: ``data`` as parsed, ``path`` its key path in the document.

    Child tables (:meth:`table`, :meth:`tables`, :meth:`array_of_tables`) are of the same class
    and report to the same :class:`Problems`, within the same ``scope``.
    """

    def __init__(
        self,
        data: Mapping[str, object],
        problems: Problems,
        path: builtins.str = "",
        *,
        scope: builtins.str = "",
    ) -> None:
        self.data = data
        self.problems = problems
        self.path = path
        self.scope = scope
        self._asked: dict[builtins.str, None] = {}  # ordered set

    def child(self, data: Mapping[builtins.str, object], path: builtins.str) -> Self:
        """A table of the same kind at ``path`` (override when a subclass takes more)."""
        return type(self)(data, self.problems, path, scope=self.scope)

    # -- paths and problems ----------------------------------------------------------------

    def at(self, key: builtins.str) -> builtins.str:
        """The path of ``key`` in this table (``""``: the table itself)."""
        return key_path(self.path, key) if key else self.path

    def report(self, path: builtins.str, reason: builtins.str) -> None:
        """A problem at a full path (an array element, a key of a child)."""
        self.problems.add(path, reason, scope=self.scope)

    def error(self, key: builtins.str, reason: builtins.str) -> None:
        """A problem at ``key`` of this table (``""``: the table itself)."""
        self.report(self.at(key), reason)

    def fail(self, key: builtins.str, reason: builtins.str) -> NoReturn:
        """Raise the problem at ``key`` now, whatever the mode."""
        self.problems.fail(self.at(key), reason, scope=self.scope)

    def optional(self, key: builtins.str, read: Callable[[builtins.str], T]) -> T | None:
        """``read(key)`` when the key is there and reads cleanly; ``None`` when it is absent
        (no problem) or had a problem (reported). E.g. ``t.optional("seed", t.int)``."""
        if key not in self.data:
            self.ask(key)
            return None
        mark = self.problems.mark()
        value = read(key)
        return value if self.problems.clean_since(mark) else None

    # -- wording (override to keep a format's established phrasing) ------------------------

    def missing_message(self) -> builtins.str:
        return "missing required key"

    def type_message(self, expected: builtins.str, value: object) -> builtins.str:
        """``expected`` is one of: integer, number, string, boolean, date, table, array,
        array of tables."""
        return f"expected {article(expected)}, got {describe(value)}"

    def range_message(
        self,
        value: object,
        low: builtins.float | None,
        high: builtins.float | None,
        *,
        number: builtins.bool,
    ) -> builtins.str:
        if number and low is not None and high is not None:
            return f"must be between {low:g} and {high:g}, got {value}"
        if low is not None and not (
            isinstance(value, builtins.int | builtins.float) and value >= low
        ):
            return f"must be >= {low}, got {value}"
        return f"must be <= {high}, got {value}"

    def unknown_message(
        self, key: builtins.str, suggestion: builtins.str | None, allowed: Sequence[builtins.str]
    ) -> builtins.str:
        hint = f"did you mean {suggestion!r}? " if suggestion else ""
        return f"unknown key; {hint}allowed: {', '.join(allowed)}"

    def report_unknown(self, unknown: Sequence[builtins.str]) -> None:
        """Each unknown key at its own path, with the closest known key."""
        allowed = self.known()
        for key in unknown:
            self.error(key, self.unknown_message(key, closest(key, allowed), allowed))

    # -- keys ------------------------------------------------------------------------------

    def has(self, key: builtins.str) -> builtins.bool:
        """Whether ``key`` is there (it is not asked for by this)."""
        return key in self.data

    def ask(self, key: builtins.str) -> None:
        """Mark ``key`` as known to the format (read elsewhere, or optional and absent)."""
        self._asked[key] = None

    def known(self) -> list[builtins.str]:
        """The keys asked for so far (the format's keys for this table), sorted."""
        return sorted(self._asked)

    def ask_all(self) -> list[builtins.str]:
        """Every key present, each marked as asked for (tables keyed by data, not by name)."""
        keys = list(self.data)
        for key in keys:
            self.ask(key)
        return keys

    def get(self, key: builtins.str, *, required: builtins.bool = True) -> object:
        """The raw value; when absent, a problem if ``required``, and the module's private
        missing sentinel either way (the typed readers below check for it)."""
        self.ask(key)
        if key in self.data:
            return self.data[key]
        if required:
            self.error(key, self.missing_message())
        return _MISSING

    def finish(self) -> None:
        """Report every key that was never asked for."""
        unknown = [key for key in self.data if key not in self._asked]
        if unknown:
            self.report_unknown(unknown)

    # -- scalars ---------------------------------------------------------------------------

    def int(
        self,
        key: builtins.str,
        *,
        low: builtins.int | None = None,
        high: builtins.int | None = None,
        default: builtins.int | None = None,
    ) -> builtins.int:
        """An integer in ``[low, high]``; required unless ``default`` is given."""
        value = self.get(key, required=default is None)
        if value is _MISSING:
            return default if default is not None else 0
        return self.int_at(self.at(key), value, low=low, high=high)

    def int_at(
        self,
        path: builtins.str,
        value: object,
        *,
        low: builtins.int | None = None,
        high: builtins.int | None = None,
    ) -> builtins.int:
        """Check a value found at ``path`` (an array element) as :meth:`int` does. Out of
        range, the value is reported and returned; of the wrong type, ``max(low, 0)``."""
        if isinstance(value, bool) or not isinstance(value, builtins.int):
            self.report(path, self.type_message("integer", value))
            return low if low is not None and low > 0 else 0
        if (low is not None and value < low) or (high is not None and value > high):
            self.report(path, self.range_message(value, low, high, number=False))
        return value

    def float(
        self,
        key: builtins.str,
        *,
        low: builtins.float | None = None,
        high: builtins.float | None = None,
        default: builtins.float | None = None,
    ) -> builtins.float:
        """A number (integer or float) in ``[low, high]``; required unless ``default``."""
        value = self.get(key, required=default is None)
        if value is _MISSING:
            return default if default is not None else 0.0
        if isinstance(value, bool) or not isinstance(value, builtins.int | builtins.float):
            self.error(key, self.type_message("number", value))
            return 0.0
        number = builtins.float(value)
        # written so that NaN fails either bound (and infinity passes a missing one)
        if (low is not None and not low <= number) or (high is not None and not number <= high):
            self.error(key, self.range_message(value, low, high, number=True))
            return 0.0
        return number

    def str(
        self,
        key: builtins.str,
        default: builtins.str | None = None,
        *,
        nonempty: builtins.bool = False,
    ) -> builtins.str:
        """A string (``nonempty``: not blank); required unless ``default`` is given."""
        value = self.get(key, required=default is None)
        if value is _MISSING:
            return default if default is not None else ""
        if not isinstance(value, builtins.str):
            self.error(key, self.type_message("string", value))
            return ""
        if nonempty and not value.strip():
            self.error(key, "must not be empty")
        return value

    def bool(self, key: builtins.str, default: builtins.bool | None = None) -> builtins.bool:
        """``true`` or ``false``; required unless ``default`` is given."""
        value = self.get(key, required=default is None)
        if value is _MISSING:
            return builtins.bool(default)
        if not isinstance(value, builtins.bool):
            self.error(key, self.type_message("boolean", value))
            return False
        return value

    def date(self, key: builtins.str, default: datetime.date | None = None) -> datetime.date:
        """A TOML local date (``2026-11-02``); required unless ``default`` is given."""
        value = self.get(key, required=default is None)
        if value is _MISSING:
            return default if default is not None else datetime.date.min
        if isinstance(value, datetime.datetime) or not isinstance(value, datetime.date):
            self.error(key, self.type_message("date", value))
            return datetime.date.min
        return value

    def choice(self, key: builtins.str, kind: type[E], *, refused: Collection[E] = ()) -> E | None:
        """An enum member by value. ``refused`` members are left out of the allowed list; they
        are returned as read so the caller can say why they do not belong here."""
        value = self.get(key)
        if value is _MISSING:
            return None
        return self.choice_at(self.at(key), value, kind, refused=refused)

    def choice_at(
        self, path: builtins.str, value: object, kind: type[E], *, refused: Collection[E] = ()
    ) -> E | None:
        """Check a value found at ``path`` (an array element, a key) as :meth:`choice` does."""
        allowed = ", ".join(builtins.str(m.value) for m in kind if m not in refused)
        if not isinstance(value, builtins.str):
            self.report(path, f"{self.type_message('string', value)}; allowed: {allowed}")
            return None
        for member in kind:
            if member.value == value:
                return member
        self.report(path, f"unknown value {value!r}; allowed: {allowed}")
        return None

    # -- arrays ----------------------------------------------------------------------------

    def array(self, key: builtins.str, *, required: builtins.bool = True) -> list[object] | None:
        """The array at ``key``; ``None`` when absent or not an array (reported)."""
        value = self.get(key, required=required)
        if value is _MISSING:
            return None
        if not isinstance(value, list):
            self.error(key, self.type_message("array", value))
            return None
        return value

    def ints(
        self,
        key: builtins.str,
        *,
        low: builtins.int | None = None,
        high: builtins.int | None = None,
        required: builtins.bool = True,
    ) -> tuple[builtins.int, ...]:
        """An array of integers, each checked at ``key[i]``."""
        array = self.array(key, required=required)
        if array is None:
            return ()
        path = self.at(key)
        return tuple(
            self.int_at(f"{path}[{i}]", v, low=low, high=high) for i, v in enumerate(array)
        )

    def strs(
        self, key: builtins.str, *, required: builtins.bool = True
    ) -> tuple[builtins.str, ...]:
        """An array of strings, each checked at ``key[i]`` (the bad ones left out)."""
        array = self.array(key, required=required)
        if array is None:
            return ()
        path = self.at(key)
        out: list[builtins.str] = []
        for i, value in enumerate(array):
            if isinstance(value, builtins.str):
                out.append(value)
            else:
                self.report(f"{path}[{i}]", self.type_message("string", value))
        return tuple(out)

    # -- tables ----------------------------------------------------------------------------

    def table(self, key: builtins.str, *, required: builtins.bool = True) -> Self:
        """The table at ``key``; an empty one (at the same path) when absent or not a table."""
        value = self.get(key, required=required)
        if value is not _MISSING and not isinstance(value, dict):
            self.error(key, self.type_message("table", value))
        return self.child(value if isinstance(value, dict) else {}, self.at(key))

    def tables(
        self,
        key: builtins.str,
        *,
        required: builtins.bool = True,
        check_name: Callable[[builtins.str], builtins.str | None] | None = None,
    ) -> dict[builtins.str, Self]:
        """A table of tables keyed by name (``[facilities.hub_nl]``): one reader per entry.

        ``check_name`` returns why a name is refused (reported at the entry; the entry is left
        out) or ``None``. An entry that is not a table is reported and left out too.
        """
        parent = self.table(key, required=required)
        out: dict[builtins.str, Self] = {}
        for name in parent.ask_all():
            value = parent.data[name]
            path = parent.at(name)
            refused = check_name(name) if check_name is not None else None
            if refused is not None:
                self.report(path, refused)
            elif not isinstance(value, dict):
                self.report(path, self.type_message("table", value))
            else:
                out[name] = parent.child(value, path)
        return out

    def array_of_tables(self, key: builtins.str, *, required: builtins.bool = False) -> list[Self]:
        """The ``[[key]]`` tables, each at ``key[i]``; an element that is not a table is
        reported and left out. Absent: none (a problem if ``required``)."""
        value = self.get(key, required=required)
        if value is _MISSING:
            return []
        if not isinstance(value, list):
            self.error(key, self.type_message("array of tables", value))
            return []
        path = self.at(key)
        out: list[Self] = []
        for i, item in enumerate(value):
            if isinstance(item, dict):
                out.append(self.child(item, f"{path}[{i}]"))
            else:
                self.report(f"{path}[{i}]", self.type_message("table", item))
        return out
