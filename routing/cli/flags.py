"""What every ``reroute`` command shares: the exit codes, the error for a bad flag or file, and
the readers of flag values that name the flag when the value is wrong.

Exit codes: 0 ok; 1 the server could not be reached or failed; 2 bad input (the message names
the field); 3 valid input but no feasible option (the message says why).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation

from customs.fx import to_minor
from routing.errors import RerouteError

EXIT_OK, EXIT_FAIL, EXIT_USAGE, EXIT_INFEASIBLE = 0, 1, 2, 3


class UsageError(RerouteError):
    """A bad flag or file: the message names it."""


def parse_minor(flag: str, text: str, currency: str) -> int:
    try:
        amount = Decimal(text)
    except InvalidOperation as exc:
        raise UsageError(f"{flag}: not a number: {text!r}") from exc
    if not amount.is_finite():
        raise UsageError(f"{flag}: must be a finite number, got {text!r}")
    try:
        return to_minor(amount, currency)
    except ValueError as exc:
        raise UsageError(f"{flag}: {exc}") from exc


def parse_date(flag: str, text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise UsageError(f"{flag}: not an ISO date (YYYY-MM-DD): {text!r}") from exc
