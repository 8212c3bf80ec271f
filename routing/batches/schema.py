"""The batch format: its columns, the batch read from a file, and the errors naming row and column.

One row per item line; rows with the same ``return_id`` form one return and must agree on every
return-level column (``per_return``). ``docs/batch_format.md`` documents every column.
"""

from __future__ import annotations

import difflib
import enum
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from routing.decide.domain import Constraints, Return
from routing.errors import FieldViolation, InvalidInput

__all__ = [
    "BY_NAME",
    "COLUMNS",
    "DEFAULT_CONSTRAINTS",
    "HEAD_COLUMNS",
    "ITEM_COLUMNS",
    "MAX_REPORTED_ERRORS",
    "Batch",
    "BatchError",
    "Column",
    "Kind",
    "RowError",
    "header_errors",
]

MAX_REPORTED_ERRORS: Final = 50  # errors spelled out in a BatchError's message; all are in .errors

DEFAULT_CONSTRAINTS: Final = Constraints()  # defaults of the optional constraint columns


class Kind(enum.Enum):
    TEXT = "text"
    INT = "integer"
    DATE = "date"
    BOOL = "boolean"
    GRADE = "grade"
    REASON = "reason"
    TRIGGER = "refund trigger"


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
        DEFAULT_CONSTRAINTS.allow_returnless,
        "may refund without shipment",
    ),
    Column(
        "allow_split",
        Kind.BOOL,
        True,
        False,
        DEFAULT_CONSTRAINTS.allow_split,
        "may split the return",
    ),
    Column(
        "max_alternatives",
        Kind.INT,
        True,
        False,
        DEFAULT_CONSTRAINTS.max_alternatives,
        "alternatives to report, 0-50",
    ),
    Column(
        "keep_it_max_value_minor",
        Kind.INT,
        True,
        False,
        None,
        "merchant policy: refund without a return up to this value per unit, minor units of"
        " policy_currency; empty = the network's cap",
    ),
    Column(
        "local_disposal_max_value_minor",
        Kind.INT,
        True,
        False,
        None,
        "merchant policy: local disposal (donate, recycle, liquidate) up to this value per"
        " unit; empty = the network's (none in the default network)",
    ),
    Column(
        "policy_currency",
        Kind.TEXT,
        True,
        False,
        "",
        "ISO 4217 of the two caps; required when one is set",
    ),
    Column(
        "max_loss_bp",
        Kind.INT,
        True,
        False,
        None,
        "merchant policy: flag options costing more than this share of the goods' value"
        " (10000 = their value); empty = the network's",
    ),
    Column(
        "refund_trigger",
        Kind.TRIGGER,
        True,
        False,
        None,
        "merchant policy: first_scan, receipt or graded; empty = the network's",
    ),
    Column(
        "allow_local_disposal",
        Kind.BOOL,
        True,
        False,
        True,
        "merchant policy: may the goods be disposed of locally",
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
BY_NAME: Final = {c.name: c for c in COLUMNS}
HEAD_COLUMNS: Final = tuple(c for c in COLUMNS if c.per_return)
ITEM_COLUMNS: Final = tuple(c for c in COLUMNS if not c.per_return)


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


def header_errors(header: Sequence[str]) -> list[RowError]:
    """Every problem of a header row: duplicate, unknown and missing required columns."""
    errors: list[RowError] = []
    seen: set[str] = set()
    for name in header:
        if name in seen:
            errors.append(RowError(0, "", name, "duplicate column"))
        seen.add(name)
        if name not in BY_NAME:
            close = difflib.get_close_matches(name, list(BY_NAME), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            errors.append(RowError(0, "", name or "(blank)", f"unknown column{hint}"))
    errors += [
        RowError(0, "", c.name, "missing required column")
        for c in COLUMNS
        if c.required and c.name not in seen
    ]
    return errors
