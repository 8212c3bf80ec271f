"""The root of reroute's one exception tree, and the input errors every package raises.

It lives here, in the package the others build on (``hubs`` and ``routing`` import
``customs``; ``customs`` imports neither), so that customs, hubs and routing all raise into
one tree. The whole tree is drawn in :mod:`routing.errors`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class FieldViolation:
    field: str  # dotted path into the input, e.g. "customer_return.items[2].weight_g"
    description: str


@dataclass(frozen=True, slots=True)
class PreconditionViolation:
    type: str  # e.g. "NO_CARRIER_ON_LANE", "OVER_MAX_WEIGHT"
    subject: str  # what it is about, e.g. "service:postal_eu_economy"
    description: str


def _rebuild(cls: type[RerouteError], args: tuple[Any, ...], state: dict[str, Any]) -> Any:
    exc = cls.__new__(cls)
    Exception.__init__(exc, *args)
    exc.__dict__.update(state)
    return exc


class RerouteError(Exception):
    """Base of every error reroute raises on purpose. Unpickled with its attributes as raised
    (errors cross process boundaries from plan workers), whatever the subclass's constructor."""

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (type(self), self.args, dict(self.__dict__)))


class InvalidInput(RerouteError):
    """Input from outside (a request, a file, a command line) breaks a rule; each violation
    names the field (or file and key) and the reason."""

    def __init__(self, violations: Sequence[FieldViolation]) -> None:
        if not violations:
            raise ValueError(f"{type(self).__name__} needs at least one violation")
        self.violations: tuple[FieldViolation, ...] = tuple(violations)
        super().__init__("; ".join(f"{v.field}: {v.description}" for v in self.violations))

    @classmethod
    def one(cls, field: str, description: str) -> InvalidInput:
        return cls([FieldViolation(field, description)])
