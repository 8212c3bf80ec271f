"""One domain exception hierarchy; the edge maps each class to one gRPC status code."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class FieldViolation:
    field: str  # dotted path into the request, e.g. "return.items[2].weight_g"
    description: str


@dataclass(frozen=True, slots=True)
class PreconditionViolation:
    type: str  # e.g. "NO_CARRIER_ON_LANE", "OVER_MAX_WEIGHT"
    subject: str  # what it is about, e.g. "service:postal_eu_economy"
    description: str


class RerouteError(Exception):
    """Base of every error the engine raises on purpose."""


class InvalidArgument(RerouteError):
    """The input is malformed; each violation names the field and the reason."""

    def __init__(self, violations: list[FieldViolation]) -> None:
        if not violations:
            raise ValueError("InvalidArgument needs at least one violation")
        self.violations = tuple(violations)
        super().__init__("; ".join(f"{v.field}: {v.description}" for v in violations))

    @classmethod
    def one(cls, field: str, description: str) -> InvalidArgument:
        return cls([FieldViolation(field, description)])


class NoFeasibleOption(RerouteError):
    """The input is valid but nothing can carry it out (no carrier on the lane, too heavy, SLA)."""

    def __init__(self, violations: list[PreconditionViolation]) -> None:
        if not violations:
            raise ValueError("NoFeasibleOption needs at least one violation")
        self.violations = tuple(violations)
        super().__init__(
            "no feasible option: "
            + "; ".join(f"{v.type} ({v.subject}): {v.description}" for v in violations)
        )


class NotFound(RerouteError):
    def __init__(self, what: str) -> None:
        super().__init__(f"not found: {what}")
        self.what = what


class Conflict(RerouteError):
    """An idempotency key reused with a different request."""

    def __init__(self, description: str) -> None:
        super().__init__(description)
        self.description = description


class Unauthenticated(RerouteError):
    """No credentials, or credentials that do not identify a tenant."""


class PermissionDenied(RerouteError):
    """The caller is known but may not touch this resource (another tenant's)."""


class Unavailable(RerouteError):
    """The service could not do it now, through no fault of the request: trying again (as
    the description says) can succeed. ``reason`` is a machine-readable UPPER_SNAKE word."""

    def __init__(self, description: str, *, reason: str = "") -> None:
        super().__init__(description)
        self.description = description
        self.reason = reason


class SolverNotInstalled(RerouteError):
    """A solver backend whose library this installation lacks (an optional extra); the
    message says how to install it."""


class ResourceExhausted(RerouteError):
    """A limit was reached (rate, stream size); ``retry_after_s`` when waiting helps."""

    def __init__(self, description: str, *, retry_after_s: float | None = None) -> None:
        super().__init__(description)
        self.description = description
        self.retry_after_s = retry_after_s
