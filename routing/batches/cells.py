"""Cell conversion: CSV gives text, Parquet gives typed values (or text); both become typed.

Each converter takes one cell and returns its value, None for an empty cell, or raises
:class:`BadCell` saying why the cell cannot be read. Value rules (ranges, codes) are checked
after, by the domain's validators (``routing.decide.domain.validate_item``/``validate_return``).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import date
from typing import Final

from customs.api import ReturnReason
from hubs.model import ConditionGrade, RefundTrigger
from routing.batches.schema import Kind
from routing.errors import RerouteError

__all__ = [
    "CONVERTERS",
    "GRADES",
    "REASONS",
    "BadCell",
    "to_bool",
    "to_date",
    "to_grade",
    "to_int",
    "to_reason",
    "to_text",
    "to_trigger",
]


class BadCell(RerouteError):
    """One cell cannot be read as its column's type; the reader adds the row and column."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def to_text(v: object) -> str | None:
    if type(v) is str:
        return v or None
    if v is None:
        return None
    raise BadCell(f"must be text, got {type(v).__name__}")


_MAX_DIGITS: Final = 18  # every integer of the format fits (the largest bound is 10**11)


def to_int(v: object) -> int | None:
    if type(v) is int:
        return v
    if type(v) is str:
        if v.isdigit() and v.isascii() and len(v) <= _MAX_DIGITS:
            return int(v)
        return _int_from_text(v)
    if type(v) is float:
        if not math.isfinite(v):
            raise BadCell(f"must be a finite number, got {v}")
        if not v.is_integer():
            raise BadCell(f"must be a whole number, got {v}")
        return int(v)
    if v is None:
        return None
    raise BadCell(f"must be a whole number, got {type(v).__name__}")


def _int_from_text(v: str) -> int | None:
    if not v:
        return None
    digits = v[1:] if v[0] == "-" else v
    if digits.isdigit() and digits.isascii():
        if len(digits) > _MAX_DIGITS:
            raise BadCell(f"is out of range ({len(digits)} digits)")
        return int(v)  # negative: the range check names the bound
    try:
        number = float(v)
    except ValueError:
        raise BadCell(f"must be a whole number, got {v[:16]!r}") from None
    if not math.isfinite(number):
        raise BadCell(f"must be a finite number, got {v[:16]!r}")
    raise BadCell(f"must be a whole number written with digits only, got {v[:16]!r}")


def to_date(v: object) -> date | None:
    if type(v) is date:
        return v
    if type(v) is str:
        if not v:
            return None
        try:
            return date.fromisoformat(v)
        except ValueError:
            raise BadCell(f"must be an ISO date YYYY-MM-DD, got {v[:16]!r}") from None
    if v is None:
        return None
    raise BadCell(f"must be a date, got {type(v).__name__}")


_BOOLS: Final = {"true": True, "false": False}


def to_bool(v: object) -> bool | None:
    if type(v) is bool:
        return v
    if type(v) is str:
        if not v:
            return None
        found = _BOOLS.get(v.lower())
        if found is None:
            raise BadCell(f"must be true or false, got {v[:16]!r}")
        return found
    if v is None:
        return None
    raise BadCell(f"must be true or false, got {type(v).__name__}")


GRADES: Final = {g.value: g for g in ConditionGrade}
REASONS: Final = {r.value: r for r in ReturnReason}


def to_grade(v: object) -> ConditionGrade | None:
    if v is None or v == "":
        return None
    found = GRADES.get(v) if isinstance(v, str) else None
    if found is None:
        raise BadCell(f"must be one of {', '.join(GRADES)}, got {str(v)[:16]!r}")
    return found


def to_reason(v: object) -> ReturnReason | None:
    if v is None or v == "":
        return None
    found = REASONS.get(v) if isinstance(v, str) else None
    if found is None:
        raise BadCell(f"must be one of {', '.join(REASONS)}, got {str(v)[:24]!r}")
    return found


TRIGGERS: Final = {t.value: t for t in RefundTrigger}


def to_trigger(v: object) -> RefundTrigger | None:
    if v is None or v == "":
        return None
    found = TRIGGERS.get(v) if isinstance(v, str) else None
    if found is None:
        raise BadCell(f"must be one of {', '.join(TRIGGERS)}, got {str(v)[:24]!r}")
    return found


CONVERTERS: Final[dict[Kind, Callable[[object], object]]] = {
    Kind.TEXT: to_text,
    Kind.INT: to_int,
    Kind.DATE: to_date,
    Kind.BOOL: to_bool,
    Kind.GRADE: to_grade,
    Kind.TRIGGER: to_trigger,
    Kind.REASON: to_reason,
}
