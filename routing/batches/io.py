"""Read and write a batch of returns as a flat CSV or Parquet file (see docs/batch_format.md).

One row per item line; rows with the same ``return_id`` form one return and must agree on every
return-level column. ``read_batch`` streams the file (CSV with the standard library, Parquet in
record batches with pyarrow), converts each cell to its type, and leaves the value rules (ranges,
ISO codes, HS code and postal code shapes, date order) to the domain objects, which validate
themselves once on construction; their violations come back as :class:`RowError` s naming the
row and the column. Rows are numbered from 1 (the header is row 0)::

    batch = read_batch("returns.csv", known_origins=frozenset(network.facilities))
    for return_id, ret in batch.returns: ...

    write_batch("returns.parquet", batch.returns)   # .csv or .parquet, by extension
"""

from __future__ import annotations

import csv
import difflib
import enum
import gc
import math
import operator
import os
import re
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Final, cast

from customs.api import ReturnReason
from hubs.model import ConditionGrade
from routing.decide.domain import (
    MAX_STRING_BYTES,
    Constraints,
    Item,
    Return,
    Violations,
    validate_item,
    validate_return,
)
from routing.errors import FieldViolation, InvalidInput

__all__ = [
    "COLUMNS",
    "MAX_REPORTED_ERRORS",
    "Batch",
    "BatchError",
    "Column",
    "Kind",
    "RowError",
    "read_batch",
    "write_batch",
]

MAX_REPORTED_ERRORS: Final = 50  # errors spelled out in a BatchError's message; all are in .errors
_ITEM_CACHE_SIZE: Final = 100_000  # distinct item rows remembered (cleared when full)
_PARQUET_BATCH_ROWS: Final = 65_536
_TERRITORY_RE: Final = re.compile(r"[A-Z]{2}-[A-Z0-9]{1,8}")  # as the wire (routing.rpc.convert)
_DEFAULTS: Final = Constraints()  # defaults of the optional constraint columns


class Kind(enum.Enum):
    TEXT = "text"
    INT = "integer"
    DATE = "date"
    BOOL = "boolean"
    GRADE = "grade"
    REASON = "reason"


@dataclass(frozen=True, slots=True)
class Column:
    """One column of the batch format. ``default`` is used when an optional column is absent
    or its cell is empty; a required column must be present and every cell filled."""

    name: str
    kind: Kind
    per_return: bool  # True: a return-level column (all rows of a return agree)
    required: bool = True
    default: object = None
    doc: str = ""


COLUMNS: Final[tuple[Column, ...]] = (
    Column("return_id", Kind.TEXT, True, doc="groups the item rows of one return"),
    Column("customer_country", Kind.TEXT, True, doc="ISO 3166-1 alpha-2, upper case"),
    Column("customer_postal_code", Kind.TEXT, True, doc="1-12 letters, digits, spaces, hyphens"),
    Column("customer_territory", Kind.TEXT, True, False, "", "ISO 3166-2 style, e.g. ES-CN"),
    Column("origin_facility_id", Kind.TEXT, True, doc="the merchant origin facility of the sale"),
    Column("import_date", Kind.DATE, True, doc="when the goods entered the customer's country"),
    Column("duty_paid_minor", Kind.INT, True, doc="duty paid at that import, minor units"),
    Column("vat_paid_minor", Kind.INT, True, doc="VAT paid at that import, minor units"),
    Column("paid_currency", Kind.TEXT, True, doc="ISO 4217 of duty/VAT paid"),
    Column("vat_collected_at_checkout", Kind.BOOL, True, doc="IOSS / UK <= GBP 135 / LVG / VOEC"),
    Column("return_date", Kind.DATE, True, doc="the day the return is routed"),
    Column("max_days_to_refund", Kind.INT, True, False, None, "refund SLA in days; empty = none"),
    Column("idempotency_key", Kind.TEXT, True, False, "", "the request key, if any"),
    Column(
        "allow_returnless",
        Kind.BOOL,
        True,
        False,
        _DEFAULTS.allow_returnless,
        "may refund without shipment",
    ),
    Column("allow_split", Kind.BOOL, True, False, _DEFAULTS.allow_split, "may split the return"),
    Column(
        "max_alternatives",
        Kind.INT,
        True,
        False,
        _DEFAULTS.max_alternatives,
        "alternatives to report, 0-50",
    ),
    Column("sku", Kind.TEXT, False, doc="merchant SKU"),
    Column("hs_code", Kind.TEXT, False, doc="6-10 digits, as text (keep leading zeros)"),
    Column("value_minor", Kind.INT, False, doc="per unit, minor units of currency, > 0"),
    Column("currency", Kind.TEXT, False, doc="ISO 4217 of value_minor"),
    Column("weight_g", Kind.INT, False, doc="per unit, grams, > 0"),
    Column("length_mm", Kind.INT, False, doc="per unit, millimetres, > 0"),
    Column("width_mm", Kind.INT, False, doc="per unit, millimetres, > 0"),
    Column("height_mm", Kind.INT, False, doc="per unit, millimetres, > 0"),
    Column("quantity", Kind.INT, False, doc="units on this line, > 0"),
    Column("grade", Kind.GRADE, False, doc="condition: A, B, C or D"),
    Column("reason", Kind.REASON, False, doc="return reason"),
)
_BY_NAME: Final = {c.name: c for c in COLUMNS}
_HEAD: Final = tuple(c for c in COLUMNS if c.per_return)
_ITEM: Final = tuple(c for c in COLUMNS if not c.per_return)


@dataclass(frozen=True, slots=True)
class RowError:
    """A problem with one data row (``row`` counts data rows from 1; 0 = the header/file)."""

    row: int
    return_id: str
    field: str  # the column name; "" when the problem is the row or the file as a whole
    reason: str

    def __str__(self) -> str:
        where = f"row {self.row}" if self.row else "header"
        if self.return_id:
            where += f" (return {self.return_id[:64]!r})"
        return f"{where}, {self.field}: {self.reason}" if self.field else f"{where}: {self.reason}"


class BatchError(InvalidInput):
    """The batch file is invalid. ``errors`` holds every error found, in row order; the message
    spells out the first :data:`MAX_REPORTED_ERRORS` and counts the rest."""

    def __init__(self, errors: Sequence[RowError]) -> None:
        if not errors:
            raise ValueError("BatchError needs at least one error")
        self.errors = sorted(errors, key=lambda e: e.row)
        shown = self.errors[:MAX_REPORTED_ERRORS]
        violations = [FieldViolation(f"rows[{e.row}].{e.field or 'row'}", e.reason) for e in shown]
        rest = len(self.errors) - len(shown)
        if rest:
            violations.append(FieldViolation("rows", f"... and {rest} more errors"))
        super().__init__(violations)

    def __str__(self) -> str:
        lines = [f"{len(self.errors)} error(s) in the batch file:"]
        lines += [f"  {e}" for e in self.errors[:MAX_REPORTED_ERRORS]]
        rest = len(self.errors) - MAX_REPORTED_ERRORS
        if rest > 0:
            lines.append(f"  ... and {rest} more")
        return "\n".join(lines)


@dataclass(frozen=True, slots=True)
class Batch:
    returns: tuple[tuple[str, Return], ...]  # (return_id, return), in order of first appearance
    skipped: tuple[RowError, ...] = ()  # skip_invalid: every skipped row, with why; row order
    rows: int = 0  # data rows read


# -- cell conversion: CSV gives str, Parquet gives typed values (or str) ------------------------


class _Bad(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _text(v: object) -> str | None:
    if type(v) is str:
        return v or None
    if v is None:
        return None
    raise _Bad(f"must be text, got {type(v).__name__}")


_MAX_DIGITS: Final = 18  # every integer of the format fits (the largest bound is 10**11)


def _int(v: object) -> int | None:
    if type(v) is int:
        return v
    if type(v) is str:
        if v.isdigit() and v.isascii() and len(v) <= _MAX_DIGITS:
            return int(v)
        return _int_from_text(v)
    if type(v) is float:
        if not math.isfinite(v):
            raise _Bad(f"must be a finite number, got {v}")
        if not v.is_integer():
            raise _Bad(f"must be a whole number, got {v}")
        return int(v)
    if v is None:
        return None
    raise _Bad(f"must be a whole number, got {type(v).__name__}")


def _int_from_text(v: str) -> int | None:
    if not v:
        return None
    digits = v[1:] if v[0] == "-" else v
    if digits.isdigit() and digits.isascii():
        if len(digits) > _MAX_DIGITS:
            raise _Bad(f"is out of range ({len(digits)} digits)")
        return int(v)  # negative: the range check names the bound
    try:
        number = float(v)
    except ValueError:
        raise _Bad(f"must be a whole number, got {v[:16]!r}") from None
    if not math.isfinite(number):
        raise _Bad(f"must be a finite number, got {v[:16]!r}")
    raise _Bad(f"must be a whole number written with digits only, got {v[:16]!r}")


def _date(v: object) -> date | None:
    if type(v) is date:
        return v
    if type(v) is str:
        if not v:
            return None
        try:
            return date.fromisoformat(v)
        except ValueError:
            raise _Bad(f"must be an ISO date YYYY-MM-DD, got {v[:16]!r}") from None
    if v is None:
        return None
    raise _Bad(f"must be a date, got {type(v).__name__}")


_BOOLS: Final = {"true": True, "false": False}


def _bool(v: object) -> bool | None:
    if type(v) is bool:
        return v
    if type(v) is str:
        if not v:
            return None
        found = _BOOLS.get(v.lower())
        if found is None:
            raise _Bad(f"must be true or false, got {v[:16]!r}")
        return found
    if v is None:
        return None
    raise _Bad(f"must be true or false, got {type(v).__name__}")


_GRADES: Final = {g.value: g for g in ConditionGrade}
_REASONS: Final = {r.value: r for r in ReturnReason}


def _grade(v: object) -> ConditionGrade | None:
    if v is None or v == "":
        return None
    found = _GRADES.get(v) if isinstance(v, str) else None
    if found is None:
        raise _Bad(f"must be one of {', '.join(_GRADES)}, got {str(v)[:16]!r}")
    return found


def _reason(v: object) -> ReturnReason | None:
    if v is None or v == "":
        return None
    found = _REASONS.get(v) if isinstance(v, str) else None
    if found is None:
        raise _Bad(f"must be one of {', '.join(_REASONS)}, got {str(v)[:24]!r}")
    return found


_CONVERT: Final[dict[Kind, Callable[[object], object]]] = {
    Kind.TEXT: _text,
    Kind.INT: _int,
    Kind.DATE: _date,
    Kind.BOOL: _bool,
    Kind.GRADE: _grade,
    Kind.REASON: _reason,
}

# (converter, column name, required, default) per column, in COLUMNS order
_Spec = tuple[Callable[[object], object], str, bool, object]
_HEAD_SPECS: Final[tuple[_Spec, ...]] = tuple(
    (_CONVERT[c.kind], c.name, c.required, c.default) for c in _HEAD
)
_ITEM_SPECS: Final[tuple[_Spec, ...]] = tuple(
    (_CONVERT[c.kind], c.name, c.required, c.default) for c in _ITEM
)

# valid stand-ins for cells that failed to convert, to check the other cells of their row
_ITEM_PLACEHOLDER: Final[dict[str, object]] = {
    "sku": "x",
    "hs_code": "000000",
    "value_minor": 1,
    "currency": "EUR",
    "weight_g": 1,
    "length_mm": 1,
    "width_mm": 1,
    "height_mm": 1,
    "quantity": 1,
    "grade": ConditionGrade.A,
    "reason": ReturnReason.CHANGED_MIND,
}
_PLACEHOLDER_ITEM: Final = Item(
    sku="x",
    hs_code="000000",
    value_minor=1,
    currency="EUR",
    weight_g=1,
    dims_mm=(1, 1, 1),
    quantity=1,
    grade=ConditionGrade.A,
    reason=ReturnReason.CHANGED_MIND,
)

# domain violation paths -> columns
_PATHS: Final = {
    "item.sku": "sku",
    "item.hs_code": "hs_code",
    "item.value_minor": "value_minor",
    "item.currency": "currency",
    "item.weight_g": "weight_g",
    "item.dimensions_mm": "length_mm",
    "item.dimensions_mm.length": "length_mm",
    "item.dimensions_mm.width": "width_mm",
    "item.dimensions_mm.height": "height_mm",
    "item.quantity": "quantity",
    "return.items": "return_id",
    "return.customer.country": "customer_country",
    "return.customer.postal_code": "customer_postal_code",
    "return.origin_facility_id": "origin_facility_id",
    "return.idempotency_key": "idempotency_key",
    "return.import.duty_paid_minor": "duty_paid_minor",
    "return.import.vat_paid_minor": "vat_paid_minor",
    "return.import.currency": "paid_currency",
    "return.import.import_date": "import_date",
    "constraints.max_days_to_refund": "max_days_to_refund",
    "constraints.max_alternatives": "max_alternatives",
}


_CONSTRAINT_COLUMNS: Final = frozenset(
    {"max_days_to_refund", "allow_returnless", "allow_split", "max_alternatives"}
)


def _field_errors(exc: InvalidInput) -> list[tuple[str, str]]:
    return [(_PATHS.get(v.field, v.field), v.description) for v in exc.violations]


# -- the reader ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Head:
    """The parsed return-level columns of a return (one row's worth)."""

    customer_country: str
    customer_postal_code: str
    customer_territory: str
    origin_facility_id: str
    import_date: date
    duty_paid_minor: int
    vat_paid_minor: int
    paid_currency: str
    vat_collected_at_checkout: bool
    return_date: date
    idempotency_key: str
    constraints: Constraints


class _Group:
    """The rows of one return seen so far."""

    __slots__ = ("errors", "first_row", "head", "head_errors", "items", "rows")

    def __init__(self, first_row: int) -> None:
        self.first_row = first_row
        self.head: _Head | None = None  # None when the first row's return-level cells are bad
        self.head_errors: list[tuple[str, str]] = []
        self.items: list[Item] = []
        self.rows: list[int] = []
        self.errors: list[RowError] = []


class _Reader:
    """Turns rows of cells (in header order) into grouped returns and row errors."""

    def __init__(self, header: Sequence[str], *, known_origins: frozenset[str] | None) -> None:
        self.width = len(header)
        self.known_origins = known_origins
        self.constraints: dict[tuple[object, ...], Constraints] = {}  # equal ones shared
        self.item_cache: dict[tuple[object, ...], Item] = {}  # identical item cells: one Item
        index = {name: i for i, name in enumerate(header)}
        self.rid_index = index["return_id"]
        # a cell getter per column; absent optional columns read as None (the default)
        self.head_get = _getter([index.get(c.name) for c in _HEAD])
        self.item_get = _getter([index[c.name] for c in _ITEM])
        self.groups: dict[str, _Group] = {}
        self.orphans: list[RowError] = []  # rows without a usable return_id
        self.rows = 0
        # the previous row's return-level cells: a return's next row usually repeats them
        self.last_group: _Group | None = None
        self.last_head_raw: tuple[object, ...] = ()

    def add(self, row: int, cells: Sequence[object]) -> None:
        self.rows = row
        if len(cells) != self.width:
            if not cells or (len(cells) == 1 and cells[0] in ("", None)):
                return  # a blank line (counted, ignored)
            rid = cells[self.rid_index] if self.rid_index < len(cells) else ""
            self._row_error(
                row,
                rid if isinstance(rid, str) else "",
                "",
                f"has {len(cells)} fields, the header has {self.width}",
            )
            return
        rid = cells[self.rid_index]
        if not isinstance(rid, str):  # a null in Parquet
            self.orphans.append(RowError(row, "", "return_id", "is required"))
            return
        head_raw = self.head_get(cells)
        group = self.last_group
        if group is not None and head_raw == self.last_head_raw:  # the same return, same cells
            if group.head_errors:
                group.errors += [RowError(row, rid, f, r) for f, r in group.head_errors]
        else:
            group = self.groups.get(rid)
            if group is None:
                if not rid.strip() or len(rid.encode()) > MAX_STRING_BYTES:
                    reason = (
                        f"must be text of at most {MAX_STRING_BYTES} bytes"
                        if rid.strip()
                        else "is required"
                    )
                    self.orphans.append(RowError(row, "", "return_id", reason))
                    return
                group = self.groups[rid] = _Group(row)
                group.head, group.head_errors = self._head(head_raw)
                group.errors += [RowError(row, rid, f, r) for f, r in group.head_errors]
            else:
                self._check_agreement(group, row, rid, head_raw)
            self.last_group, self.last_head_raw = group, head_raw
        group.rows.append(row)
        item_raw = self.item_get(cells)
        item = self.item_cache.get(item_raw)
        if item is None:
            item, errors = self._item(item_raw)
            group.errors += [RowError(row, rid, f, r) for f, r in errors]
            if item is None:
                return
            if len(self.item_cache) >= _ITEM_CACHE_SIZE:
                self.item_cache.clear()
            self.item_cache[item_raw] = item
        group.items.append(item)

    def _row_error(self, row: int, rid: str, field: str, reason: str) -> None:
        group = self.groups.get(rid) if rid else None
        if group is None:
            self.orphans.append(RowError(row, rid, field, reason))
        else:
            group.rows.append(row)
            group.errors.append(RowError(row, rid, field, reason))

    def _check_agreement(
        self, group: _Group, row: int, rid: str, head_raw: tuple[object, ...]
    ) -> None:
        """A later row of a return: its return-level cells must say what the first row's say."""
        head, errors = self._head(head_raw)
        group.errors += [RowError(row, rid, f, r) for f, r in errors]
        if head is None or group.head is None:
            if not errors:  # this row is fine, the first was not: they still disagree
                group.errors.append(
                    RowError(
                        row, rid, "", f"return-level columns differ from row {group.first_row}"
                    )
                )
            return
        for column, new, old in _differences(head, group.head):
            group.errors.append(
                RowError(
                    row,
                    rid,
                    column,
                    f"disagrees with row {group.first_row} of the same return: "
                    f"{_show(new)} here, {_show(old)} there",
                )
            )

    @staticmethod
    def _cells(
        specs: Sequence[_Spec], raw: Sequence[object]
    ) -> tuple[list[Any], list[tuple[str, str]]]:
        """Convert cells to their types; every value of a column without an error is typed."""
        values: list[Any] = []
        errors: list[tuple[str, str]] = []
        for (convert, name, required, default), cell in zip(specs, raw, strict=True):
            try:
                value = convert(cell)
            except _Bad as bad:
                errors.append((name, bad.reason))
                values.append(None)
                continue
            if value is None:
                if required:
                    errors.append((name, "is required"))
                value = default
            values.append(value)
        return values, errors

    def _head(self, raw: tuple[object, ...]) -> tuple[_Head | None, list[tuple[str, str]]]:
        try:  # the fast path for a valid row: any doubt falls through to the precise one
            head = self._head_fast(raw)
            if head is not None:
                return head, []
        except (InvalidInput, _Bad, LookupError, TypeError, AttributeError, ValueError):
            pass
        return self._head_checked(raw)

    def _head_fast(self, raw: tuple[object, ...]) -> _Head | None:
        (
            _rid,
            country,
            postal,
            territory,
            origin,
            import_date,
            duty,
            vat,
            paid_currency,
            checkout,
            return_date,
            max_days,
            key,
            returnless,
            split,
            alternatives,
        ) = raw
        territory = territory or ""
        if (
            type(country) is not str
            or type(postal) is not str
            or type(origin) is not str
            or type(paid_currency) is not str
            or type(territory) is not str
            or (territory and not territory.startswith(f"{country}-"))
            or (territory and not _TERRITORY_RE.fullmatch(territory))
            or (self.known_origins is not None and origin not in self.known_origins)
        ):
            return None
        key = key or ""
        if type(key) is not str:
            return None
        imported, returned = _date(import_date), _date(return_date)
        duty_paid, vat_paid, collected = _int(duty), _int(vat), _bool(checkout)
        if imported is None or returned is None or duty_paid is None or vat_paid is None:
            return None
        if collected is None:
            return None
        cache_key = (max_days, returnless, split, alternatives)
        constraints = self.constraints.get(cache_key)
        if constraints is None:
            allow_returnless, allow_split = _bool(returnless), _bool(split)
            max_alternatives = _int(alternatives)
            constraints = self.constraints[cache_key] = Constraints(
                max_days_to_refund=_int(max_days),
                allow_returnless=(
                    _DEFAULTS.allow_returnless if allow_returnless is None else allow_returnless
                ),
                allow_split=_DEFAULTS.allow_split if allow_split is None else allow_split,
                max_alternatives=(
                    _DEFAULTS.max_alternatives if max_alternatives is None else max_alternatives
                ),
            )
        return _Head(
            customer_country=country,
            customer_postal_code=postal,
            customer_territory=territory,
            origin_facility_id=origin,
            import_date=imported,
            duty_paid_minor=duty_paid,
            vat_paid_minor=vat_paid,
            paid_currency=paid_currency,
            vat_collected_at_checkout=collected,
            return_date=returned,
            idempotency_key=key,
            constraints=constraints,
        )

    def _head_checked(self, raw: tuple[object, ...]) -> tuple[_Head | None, list[tuple[str, str]]]:
        values, errors = self._cells(_HEAD_SPECS, raw)
        (
            _rid,
            country,
            postal,
            territory,
            origin,
            import_date,
            duty,
            vat,
            paid_currency,
            checkout,
            return_date,
            max_days,
            key,
            returnless,
            split,
            alternatives,
        ) = values
        if territory and not (
            _TERRITORY_RE.fullmatch(territory) and territory.startswith(f"{country}-")
        ):
            errors.append(
                (
                    "customer_territory",
                    "must be an ISO 3166-2 style code of customer_country "
                    f"({country or '?'}-...), got {territory[:16]!r}",
                )
            )
        if self.known_origins is not None and origin and origin not in self.known_origins:
            errors.append(("origin_facility_id", _unknown_origin(origin, self.known_origins)))
        constraints: Constraints | None = None
        if not any(f in _CONSTRAINT_COLUMNS for f, _ in errors):
            cache_key = (max_days, returnless, split, alternatives)
            constraints = self.constraints.get(cache_key)
            if constraints is None:
                try:
                    constraints = self.constraints[cache_key] = Constraints(
                        max_days_to_refund=max_days,
                        allow_returnless=returnless,
                        allow_split=split,
                        max_alternatives=alternatives,
                    )
                except InvalidInput as exc:
                    errors += _field_errors(exc)
        if errors or constraints is None:
            # still check the other cells against the domain's rules: report every error now
            bad = {f for f, _ in errors}
            stand_in = SimpleNamespace(
                items=(_PLACEHOLDER_ITEM,),
                customer_country="DE" if "customer_country" in bad else country,
                customer_postal_code="1" if "customer_postal_code" in bad else postal,
                origin_facility_id="x" if "origin_facility_id" in bad else origin,
                idempotency_key="" if "idempotency_key" in bad else key,
                duty_paid_minor=0 if "duty_paid_minor" in bad else duty,
                vat_paid_minor=0 if "vat_paid_minor" in bad else vat,
                paid_currency="EUR" if "paid_currency" in bad else paid_currency,
                import_date=date.min if "import_date" in bad else import_date,
                return_date=date.max if "return_date" in bad else return_date,
            )
            v = Violations()
            validate_return(v, "return", cast(Return, stand_in))
            found = _field_errors(InvalidInput(v.items)) if v.items else []
            errors += [(f, r) for f, r in found if f not in bad and f != "return_id"]
            return None, errors
        return (
            _Head(
                customer_country=country,
                customer_postal_code=postal,
                customer_territory=territory,
                origin_facility_id=origin,
                import_date=import_date,
                duty_paid_minor=duty,
                vat_paid_minor=vat,
                paid_currency=paid_currency,
                vat_collected_at_checkout=checkout,
                return_date=return_date,
                idempotency_key=key,
                constraints=constraints,
            ),
            errors,
        )

    def _item(self, raw: tuple[object, ...]) -> tuple[Item | None, list[tuple[str, str]]]:
        sku, hs_code, value, currency, weight, length, width, height, qty, grade, reason = raw
        try:  # the fast path for a valid row: any doubt falls through to the precise one
            return (
                Item(
                    sku=sku,  # type: ignore[arg-type]
                    hs_code=hs_code,  # type: ignore[arg-type]
                    value_minor=_int(value),  # type: ignore[arg-type]
                    currency=currency,  # type: ignore[arg-type]
                    weight_g=_int(weight),  # type: ignore[arg-type]
                    dims_mm=(_int(length), _int(width), _int(height)),  # type: ignore[arg-type]
                    quantity=_int(qty),  # type: ignore[arg-type]
                    grade=_GRADES[grade],  # type: ignore[index]
                    reason=_REASONS[reason],  # type: ignore[index]
                ),
                [],
            )
        except (InvalidInput, _Bad, LookupError, TypeError, AttributeError, ValueError):
            pass
        values, errors = self._cells(_ITEM_SPECS, raw)
        if errors:
            # still check the other cells against the domain's rules: report every error now
            bad = {f for f, _ in errors}
            stand_in = SimpleNamespace(
                **{
                    c.name: _ITEM_PLACEHOLDER[c.name] if c.name in bad else v
                    for c, v in zip(_ITEM, values, strict=True)
                }
            )
            stand_in.dims_mm = (stand_in.length_mm, stand_in.width_mm, stand_in.height_mm)
            v = Violations()
            validate_item(v, "item", cast(Item, stand_in))
            found = _field_errors(InvalidInput(v.items)) if v.items else []
            errors += [(f, r) for f, r in found if f not in bad]
        else:
            sku, hs_code, value, currency, weight, length, width, height, qty, grade, reason = (
                values
            )
            try:
                return (
                    Item(
                        sku=sku,
                        hs_code=hs_code,
                        value_minor=value,
                        currency=currency,
                        weight_g=weight,
                        dims_mm=(length, width, height),
                        quantity=qty,
                        grade=grade,
                        reason=reason,
                    ),
                    [],
                )
            except InvalidInput as exc:
                errors = _field_errors(exc)
        if isinstance(hs_code, str) and hs_code.isdigit() and len(hs_code) < 6:
            errors = [
                (f, f"{r} (a leading zero lost? keep hs_code as text)" if f == "hs_code" else r)
                for f, r in errors
            ]
        return None, errors

    def finish(self, *, skip_invalid: bool) -> Batch:
        returns: list[tuple[str, Return]] = []
        bad: list[RowError] = list(self.orphans)
        for rid, group in self.groups.items():
            if not group.errors and group.head is not None:
                h = group.head
                try:
                    returns.append(
                        (
                            rid,
                            Return(
                                items=tuple(group.items),
                                customer_country=h.customer_country,
                                customer_postal_code=h.customer_postal_code,
                                origin_facility_id=h.origin_facility_id,
                                import_date=h.import_date,
                                duty_paid_minor=h.duty_paid_minor,
                                vat_paid_minor=h.vat_paid_minor,
                                paid_currency=h.paid_currency,
                                return_date=h.return_date,
                                idempotency_key=h.idempotency_key,
                                vat_collected_at_checkout=h.vat_collected_at_checkout,
                                customer_territory=h.customer_territory,
                                constraints=h.constraints,
                            ),
                        )
                    )
                    continue
                except InvalidInput as exc:
                    group.errors += [
                        RowError(group.first_row, rid, f, r) for f, r in _field_errors(exc)
                    ]
            bad += group.errors
            if skip_invalid:
                with_errors = {e.row for e in group.errors}
                listed = ", ".join(str(r) for r in sorted(with_errors)[:5])
                more = " ..." if len(with_errors) > 5 else ""
                bad += [
                    RowError(r, rid, "", f"skipped with its return (errors in row {listed}{more})")
                    for r in dict.fromkeys(group.rows)
                    if r not in with_errors
                ]
        if bad and not skip_invalid:
            raise BatchError(bad)
        bad.sort(key=lambda e: e.row)
        return Batch(returns=tuple(returns), skipped=tuple(bad), rows=self.rows)


def _getter(indexes: Sequence[int | None]) -> Callable[[Sequence[object]], tuple[object, ...]]:
    """A fast ``cells -> tuple`` of the given columns; absent columns (None) give None."""
    present = [i for i in indexes if i is not None]
    if len(present) == len(indexes):
        if len(present) == 1:
            only = present[0]
            return lambda cells: (cells[only],)
        getter: Callable[[Sequence[object]], tuple[object, ...]] = operator.itemgetter(*present)
        return getter
    return lambda cells: tuple(None if i is None else cells[i] for i in indexes)


def _differences(a: _Head, b: _Head) -> Iterator[tuple[str, object, object]]:
    for name in (
        "customer_country",
        "customer_postal_code",
        "customer_territory",
        "origin_facility_id",
        "import_date",
        "duty_paid_minor",
        "vat_paid_minor",
        "paid_currency",
        "vat_collected_at_checkout",
        "return_date",
        "idempotency_key",
    ):
        new, old = getattr(a, name), getattr(b, name)
        if new != old:
            yield name, new, old
    for name in ("max_days_to_refund", "allow_returnless", "allow_split", "max_alternatives"):
        new, old = getattr(a.constraints, name), getattr(b.constraints, name)
        if new != old:
            yield name, new, old


def _show(value: object) -> str:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "(empty)"
    return repr(value) if isinstance(value, str) else str(value)


def _unknown_origin(origin: str, known: frozenset[str]) -> str:
    close = difflib.get_close_matches(origin, sorted(known), n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    listing = ", ".join(sorted(known)[:10]) + (" ..." if len(known) > 10 else "")
    return f"unknown origin facility {origin[:64]!r}{hint} (known: {listing})"


def _header_errors(header: Sequence[str]) -> list[RowError]:
    errors: list[RowError] = []
    seen: set[str] = set()
    for name in header:
        if name in seen:
            errors.append(RowError(0, "", name, "duplicate column"))
        seen.add(name)
        if name not in _BY_NAME:
            close = difflib.get_close_matches(name, list(_BY_NAME), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            errors.append(RowError(0, "", name or "(blank)", f"unknown column{hint}"))
    errors += [
        RowError(0, "", c.name, "missing required column")
        for c in COLUMNS
        if c.required and c.name not in seen
    ]
    return errors


def read_batch(
    path: str | os.PathLike[str],
    *,
    skip_invalid: bool = False,
    known_origins: frozenset[str] | None = None,
) -> Batch:
    """Read a batch of returns from a ``.csv`` or ``.parquet`` file.

    Every error in the file is collected: without ``skip_invalid`` any error raises
    :class:`BatchError` (all errors in ``.errors``); with it, every row of a return that has an
    invalid row is skipped and listed in ``Batch.skipped`` (a file-level problem such as a
    missing column, an unreadable file or no data rows still raises). ``known_origins``, when
    given, is the set of origin facility ids the returns may name.
    """
    p = Path(path)
    suffix = p.suffix.lower()
    if suffix not in (".csv", ".parquet"):
        raise BatchError(
            [RowError(0, "", "", f"unsupported file type {suffix!r}: use .csv or .parquet")]
        )
    with _gc_paused():
        reader = (
            _read_csv(p, known_origins) if suffix == ".csv" else _read_parquet(p, known_origins)
        )
        if reader.rows == 0 or (not reader.groups and not reader.orphans):
            raise BatchError([RowError(0, "", "", "no data rows")])
        return reader.finish(skip_invalid=skip_invalid)


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while a batch is built: the reader allocates millions
    of small objects and no reference cycles, and the collector would rescan all of them again
    and again (about 45 % of the read time at 1M rows). Reference counting still frees memory."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _start(header: Sequence[str], known: frozenset[str] | None) -> _Reader:
    errors = _header_errors(header)
    if errors:
        raise BatchError(errors)
    return _Reader(header, known_origins=known)


def _read_csv(path: Path, known: frozenset[str] | None) -> _Reader:
    row = 0
    try:
        with path.open(newline="", encoding="utf-8-sig") as f:
            rows = csv.reader(f, strict=True)
            header = next(rows, None)
            if header is None or not any(h.strip() for h in header):
                raise BatchError([RowError(0, "", "", "empty file: no header row")])
            reader = _start([h.strip() for h in header], known)
            add = reader.add
            for row, cells in enumerate(rows, start=1):
                add(row, cells)
    except UnicodeDecodeError as exc:
        raise BatchError(
            [RowError(0, "", "", f"not UTF-8 text ({exc.reason}), after data row {row}")]
        ) from None
    except csv.Error as exc:
        raise BatchError([RowError(row + 1, "", "", f"malformed CSV: {exc}")]) from None
    return reader


_TEXT_KINDS: Final = frozenset({Kind.TEXT, Kind.GRADE, Kind.REASON})


def _parquet_type_error(column: Column, t: Any) -> str | None:
    """Why the Parquet column type ``t`` cannot hold ``column``, or None when it can."""
    import pyarrow as pa  # type: ignore[import-untyped]

    if pa.types.is_dictionary(t):
        t = t.value_type
    if pa.types.is_null(t):
        return None
    texty = pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_string_view(t)
    if column.kind in _TEXT_KINDS:
        if texty:
            return None
        if column.name == "hs_code":
            return (
                f"must be a string column, got {t}: a numeric HS code column loses leading "
                "zeros (090111 -> 90111)"
            )
        return f"must be a string column, got {t}"
    if texty:
        return None  # parsed like CSV text
    ok = {
        Kind.INT: pa.types.is_integer(t) or pa.types.is_floating(t),
        Kind.DATE: pa.types.is_date(t),
        Kind.BOOL: pa.types.is_boolean(t),
    }[column.kind]
    return None if ok else f"must be a {column.kind.value} column, got {t}"


_EPOCH: Final = date(1970, 1, 1)


def _values(array: Any) -> list[object]:
    """The cells of a Parquet column as Python values (``None`` for nulls), built fast: equal
    strings and dates share one object; integers and booleans convert through numpy."""
    import numpy as np
    import pyarrow as pa

    t = array.type
    if array.null_count:
        return cast(list[object], array.to_pylist())
    if pa.types.is_dictionary(t):
        values = np.array(array.dictionary.to_pylist(), dtype=object)
        return cast(list[object], values[array.indices.to_numpy()].tolist())
    if pa.types.is_integer(t) or pa.types.is_boolean(t) or pa.types.is_floating(t):
        return cast(list[object], array.to_numpy(zero_copy_only=False).tolist())
    if pa.types.is_date32(t):
        days, index = np.unique(array.cast(pa.int32()).to_numpy(), return_inverse=True)
        dates = np.array([_EPOCH + timedelta(days=int(d)) for d in days], dtype=object)
        return cast(list[object], dates[index.reshape(-1)].tolist())
    return cast(list[object], array.to_pylist())


def _read_parquet(path: Path, known: frozenset[str] | None) -> _Reader:
    import pyarrow as pa
    import pyarrow.parquet as pq  # type: ignore[import-untyped]

    try:
        pf = pq.ParquetFile(path)
        # text columns other than the ids come dictionary-decoded: one str object per value
        low_cardinality = [
            n for n in pf.schema_arrow.names if n in _BY_NAME and n not in ("return_id", "sku")
        ]
        pf = pq.ParquetFile(path, read_dictionary=low_cardinality)
    except (pa.ArrowException, OSError) as exc:
        if isinstance(exc, FileNotFoundError):
            raise
        raise BatchError([RowError(0, "", "", f"not a readable Parquet file: {exc}")]) from None
    schema = pf.schema_arrow
    header = [str(name) for name in schema.names]
    reader = _start(header, known)
    type_errors = [
        RowError(0, "", name, why)
        for name, t in zip(header, schema.types, strict=True)
        if (why := _parquet_type_error(_BY_NAME[name], t)) is not None
    ]
    if type_errors:
        raise BatchError(type_errors)
    row = 0
    add = reader.add
    try:
        for record_batch in pf.iter_batches(batch_size=_PARQUET_BATCH_ROWS):
            columns = [_values(record_batch.column(i)) for i in range(len(header))]
            for cells in zip(*columns, strict=True):
                row += 1
                add(row, cells)
    except pa.ArrowException as exc:
        raise BatchError([RowError(row + 1, "", "", f"unreadable Parquet data: {exc}")]) from None
    return reader


# -- the writer -----------------------------------------------------------------------------


def _rows(returns: Iterable[tuple[str, Return]], seen: set[str]) -> Iterator[tuple[object, ...]]:
    """The rows of ``returns`` in COLUMNS order; ``seen`` collects the return ids."""
    for rid, r in returns:
        if not isinstance(rid, str) or not rid.strip() or len(rid.encode()) > MAX_STRING_BYTES:
            raise ValueError(f"return id must be non-blank text of at most 1024 bytes: {rid!r}")
        if rid in seen:
            raise ValueError(f"duplicate return id {rid!r}: its rows would merge into one return")
        seen.add(rid)
        c = r.constraints
        head = (
            rid,
            r.customer_country,
            r.customer_postal_code,
            r.customer_territory,
            r.origin_facility_id,
            r.import_date,
            r.duty_paid_minor,
            r.vat_paid_minor,
            r.paid_currency,
            r.vat_collected_at_checkout,
            r.return_date,
            c.max_days_to_refund,
            r.idempotency_key,
            c.allow_returnless,
            c.allow_split,
            c.max_alternatives,
        )
        for i in r.items:
            length, width, height = i.dims_mm
            yield (
                *head,
                i.sku,
                i.hs_code,
                i.value_minor,
                i.currency,
                i.weight_g,
                length,
                width,
                height,
                i.quantity,
                i.grade.value,
                i.reason.value,
            )


def _csv_cell(v: object) -> object:
    if v is None:
        return ""
    if v is True:
        return "true"
    if v is False:
        return "false"
    if isinstance(v, date):
        return v.isoformat()
    return v


def write_batch(path: str | os.PathLike[str], returns: Iterable[tuple[str, Return]]) -> int:
    """Write ``(return_id, return)`` pairs as a ``.csv`` or ``.parquet`` batch file (by the
    extension), streaming; returns the number of returns written. ``read_batch`` reads back
    equal returns, in the same order.

    Return ids must be unique and non-blank (ValueError otherwise)."""
    p = Path(path)
    suffix = p.suffix.lower()
    seen: set[str] = set()
    if suffix == ".csv":
        _write_csv(p, _rows(returns, seen))
    elif suffix == ".parquet":
        _write_parquet(p, _rows(returns, seen))
    else:
        raise ValueError(f"unsupported file type {suffix!r}: use .csv or .parquet")
    return len(seen)


def _write_csv(path: Path, rows: Iterator[tuple[object, ...]]) -> int:
    n = 0
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)  # RFC 4180: CRLF, fields with separators, quotes, CR or LF quoted
        w.writerow([c.name for c in COLUMNS])
        for row in rows:
            w.writerow([_csv_cell(v) for v in row])
            n += 1
    return n


def _arrow_schema() -> Any:
    import pyarrow as pa

    types = {
        Kind.TEXT: pa.string(),
        Kind.GRADE: pa.string(),
        Kind.REASON: pa.string(),
        Kind.INT: pa.int64(),
        Kind.DATE: pa.date32(),
        Kind.BOOL: pa.bool_(),
    }
    return pa.schema([pa.field(c.name, types[c.kind], nullable=not c.required) for c in COLUMNS])


def _write_parquet(path: Path, rows: Iterator[tuple[object, ...]]) -> int:
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = _arrow_schema()
    n = 0
    with pq.ParquetWriter(path, schema) as writer:
        chunk: list[tuple[object, ...]] = []

        def flush() -> None:
            columns = list(zip(*chunk, strict=True))
            writer.write_table(
                pa.table(
                    [pa.array(col, type=f.type) for col, f in zip(columns, schema, strict=True)],
                    schema=schema,
                )
            )
            chunk.clear()

        for row in rows:
            chunk.append(row)
            n += 1
            if len(chunk) == _PARQUET_BATCH_ROWS:
                flush()
        if chunk:
            flush()
    return n


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m routing.batches.io FILE [--skip-invalid]``: read a batch and report."""
    import argparse
    import time

    parser = argparse.ArgumentParser(prog="python -m routing.batches.io", description=main.__doc__)
    parser.add_argument("file", type=Path)
    parser.add_argument("--skip-invalid", action="store_true")
    a = parser.parse_args(argv)
    started = time.perf_counter()
    try:
        batch = read_batch(a.file, skip_invalid=a.skip_invalid)
    except BatchError as exc:
        print(exc, file=sys.stderr)
        return 1
    took = time.perf_counter() - started
    items = sum(len(r.items) for _, r in batch.returns)
    skipped = len({e.row for e in batch.skipped})
    print(
        f"{batch.rows} rows, {len(batch.returns)} returns, {items} item lines, "
        f"{skipped} rows skipped in {took:.1f} s"
    )
    for e in batch.skipped[:MAX_REPORTED_ERRORS]:
        print(f"  skipped {e}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
