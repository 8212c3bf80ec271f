"""How the converters report bad input: every violation collected, capped, rooted at its path.

A converter collects violations in a :class:`routing.decide.domain.Violations` while it walks
a message, then raises them as one :class:`routing.errors.InvalidInput` with
:func:`raise_capped`. :class:`Reader` is the start of a walk that must go on past a bad field
(a decision, an assessment): it stands in a placeholder and records why.
"""

from __future__ import annotations

from datetime import date
from typing import Final

from google.protobuf.message import Message

from routing.decide.domain import Violations
from routing.errors import FieldViolation, InvalidInput
from routing.rpc.wire.enums import D, EnumMap, P
from routing.rpc.wire.scalars import parse_required_date

__all__ = ["MAX_REPORTED_VIOLATIONS", "Reader", "raise_capped", "reroot"]

# An INVALID_ARGUMENT travels as google.rpc.BadRequest in a trailer (8 KiB by default): report
# at most this many violations, then one that counts the rest.
MAX_REPORTED_VIOLATIONS: Final = 20


def raise_capped(v: Violations, root: str) -> None:
    """Raise the first MAX_REPORTED_VIOLATIONS violations, the last one counting the rest."""
    if len(v.items) > MAX_REPORTED_VIOLATIONS:
        rest = len(v.items) - MAX_REPORTED_VIOLATIONS + 1
        del v.items[MAX_REPORTED_VIOLATIONS - 1 :]
        v.add(root, f"and {rest} more violations")
    v.raise_if_any()


def reroot(exc: InvalidInput, local: str, path: str) -> InvalidInput:
    """Re-anchor violations a domain constructor reported under its local root (e.g. ``item``)."""

    def anchored(field: str) -> str:
        return path + field[len(local) :] if field.startswith(f"{local}.") else path

    return InvalidInput([FieldViolation(anchored(f.field), f.description) for f in exc.violations])


class Reader:
    """Reads a message to the end, collecting a violation per unusable field in ``v``."""

    def __init__(self) -> None:
        self.v = Violations()

    def enum(self, table: EnumMap[D, P], path: str, number: int) -> D:
        member = table.parse(self.v, path, number)
        # a placeholder keeps the walk going; the collected violations are raised at the end
        return member if member is not None else next(iter(table.domain))

    def date(self, path: str, parent: Message, name: str) -> date:
        return parse_required_date(self.v, path, parent, name) or date.min
