"""What every ``reroute`` command shares: the exit codes, the error for a bad flag or file, and
the readers of flag values that name the flag when the value is wrong.

Exit codes: 0 ok; 1 the server could not be reached or failed; 2 bad input (the message names
the field); 3 valid input but no feasible option (the message says why).
"""

from __future__ import annotations

import os
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path

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


def out_dir(flag: str, text: str) -> Path:
    """The output folder ``text``, checked before any work is done (it is created when the
    result is written): a UsageError naming ``flag`` when a file is in the way or the folder
    could not be created or written."""
    path = Path(text)
    if path.exists():
        if not path.is_dir():
            raise UsageError(f"{flag} {text}: exists and is not a folder")
        if not os.access(path, os.W_OK):
            raise UsageError(f"{flag} {text}: the folder is not writable")
        return path
    ancestor = path.absolute().parent
    while not ancestor.exists():
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        raise UsageError(f"{flag} {text}: cannot create the folder: {ancestor} is not a folder")
    if not os.access(ancestor, os.W_OK | os.X_OK):
        raise UsageError(f"{flag} {text}: cannot create the folder: {ancestor} is not writable")
    return path


def out_file(flag: str, text: str) -> Path:
    """An output file whose folder must exist and be writable."""
    path = Path(text)
    parent = path.parent
    if path.is_dir():
        raise UsageError(f"{flag} {text}: is a folder, not a file")
    if not parent.is_dir():
        raise UsageError(f"{flag} {text}: the folder {parent} does not exist")
    if not os.access(parent, os.W_OK):
        raise UsageError(f"{flag} {text}: the folder {parent} is not writable")
    return path


def parse_date(flag: str, text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise UsageError(f"{flag}: not an ISO date (YYYY-MM-DD): {text!r}") from exc
