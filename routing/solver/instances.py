"""SSCFLP instance files (the Holmberg / OR-Library format) read into plan problems.

``m n``, then m lines ``s_i f_i`` (capacity, fixed cost), n demands, and m*n costs,
facility-major; CRLF or LF, trailing dots ("49." = 49), decimals allowed ("12.75").
:func:`read_sscflp` reads an instance into a :class:`~routing.solver.problem.PlanProblem` (one
class of count 1 per customer, one capacity row with its fixed cost per facility) on integers:
decimal costs are multiplied by the smallest power of ten that clears them (exactly, with
``fractions``; the scale is returned, so objectives can be reported in the file's units);
:func:`load_sscflp` is its problem alone, :func:`load_optima` an ``os`` file of published
optima; a malformed file raises :class:`InstanceFormatError` naming the file and the line.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

from routing.errors import FieldViolation, InvalidInput
from routing.solver.problem import (
    MAX_COEFFICIENT,
    CapacityRow,
    ClassOption,
    PlanProblem,
    ReturnClass,
)


class InstanceFormatError(InvalidInput, ValueError):
    """A malformed instance file; the message names the file, the line and what is wrong."""

    def __init__(self, path: Path | str, line: int | None, what: str) -> None:
        where = f"{path}:{line}" if line is not None else f"{path}"
        super().__init__([FieldViolation(where, what)])
        self.path = str(path)
        self.line = line
        self.what = what


def _tokens(path: Path) -> list[tuple[str, int]]:
    try:
        text = path.read_bytes().decode("ascii")
    except UnicodeDecodeError as exc:
        raise InstanceFormatError(path, None, f"not ASCII text ({exc.reason})") from exc
    out: list[tuple[str, int]] = []
    # splitlines() treats CRLF, LF and lone CR alike; stray NUL padding is whitespace here
    for number, line in enumerate(text.replace("\x00", " ").splitlines(), start=1):
        out.extend((tok, number) for tok in line.split())
    return out


# plain decimals, or with an exponent of at most two digits (so no token becomes a huge int)
_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d{1,2})?")
_MAX_SCALE_DIGITS = 9  # decimals beyond this are no cost or capacity a planner writes


def _decimal(path: Path, token: str, line: int, what: str) -> Decimal:
    """A number read exactly: ``49``, ``49.`` (the original files' trailing dot), ``12.75``."""
    if not _NUMBER.fullmatch(token):
        raise InstanceFormatError(path, line, f"{what}: expected a number, got {token!r}")
    return Decimal(token)


def _integer(path: Path, token: str, line: int, what: str) -> int:
    """An integer token, allowing the trailing dot of the original files ("49." = 49)."""
    value = Decimal(token) if _NUMBER.fullmatch(token) else None
    if value is None or value != value.to_integral_value():
        raise InstanceFormatError(path, line, f"{what}: expected an integer, got {token!r}")
    return int(value)


def decimal_scale(values: Iterable[Decimal]) -> int:
    """The smallest power of ten that makes every value an integer (1 when all are)."""
    return int(10 ** max((_places(v) for v in values), default=0))


def _places(value: Decimal) -> int:
    """Decimal places of a finite value once trailing zeros go (``12.50`` has 1); read from
    its digits, never through a context that could round it."""
    _, digits, exponent = value.as_tuple()
    significant = "".join(map(str, digits)).rstrip("0")
    if not isinstance(exponent, int) or exponent >= 0 or not significant:
        return 0
    return max(0, -exponent - (len(digits) - len(significant)))


def _scaled(path: Path, values: list[tuple[Decimal, int]], what: str) -> tuple[list[int], int]:
    """Values (with their lines) times their common :func:`decimal_scale`, exactly, and that
    scale; an :class:`InstanceFormatError` when no exact integer of a solver's range exists."""
    scale = decimal_scale(v for v, _ in values)
    if scale > 10**_MAX_SCALE_DIGITS:
        worst = max(values, key=lambda vl: _places(vl[0]))
        raise InstanceFormatError(
            path,
            worst[1],
            f"{what}: {worst[0]} has more than {_MAX_SCALE_DIGITS} decimal places; "
            "no exact integer scaling within the solver's range",
        )
    out = []
    for value, line in values:
        exact = Fraction(value) * scale
        assert exact.denominator == 1, (value, scale)  # the scale clears every decimal
        n = int(exact)
        if abs(n) > MAX_COEFFICIENT:
            raise InstanceFormatError(
                path,
                line,
                f"{what}: {value} scaled by {scale} (to make every {what} an integer) is "
                f"{n}, beyond the solver's range of {MAX_COEFFICIENT}",
            )
        out.append(n)
    return out, scale


@dataclass(frozen=True, slots=True)
class SscflpInstance:
    """An instance file read exactly: the plan problem on integers, and the powers of ten the
    file's costs (``cost_scale``) and its capacities and demands (``size_scale``) were
    multiplied by to make them integers (1 when the file has no decimals)."""

    problem: PlanProblem
    cost_scale: int = 1
    size_scale: int = 1

    def in_file_units(self, cost: int) -> Decimal:
        """A cost of the problem (an objective, a bound) in the file's own units, exactly."""
        return Decimal(cost) / Decimal(self.cost_scale)

    def from_file_units(self, cost: Decimal | int) -> Fraction:
        """A cost in the file's units (e.g. a published optimum) on the problem's scale."""
        return Fraction(cost) * self.cost_scale


def load_sscflp(path: str | Path) -> PlanProblem:
    """Read an SSCFLP instance into a plan problem (see :func:`read_sscflp`, which also says
    by what the file's decimal costs were scaled)."""
    return read_sscflp(path).problem


def read_sscflp(path: str | Path) -> SscflpInstance:
    """Read an SSCFLP instance (``m n``, m lines ``s_i f_i``, n demands, m*n costs).

    Costs are facility-major: the i-th block of n numbers is the cost of serving each
    customer entirely from facility i. Each customer becomes a class of count 1 with one
    option per facility; each facility a capacity row with its fixed cost. Numbers may have
    decimals: the costs (fixed and assignment) are multiplied by the smallest power of ten that
    makes them all integers, the capacities and demands by theirs, exactly (never rounded);
    the scales are returned beside the problem.
    """
    path = Path(path)
    try:
        tokens = _tokens(path)
    except OSError as exc:
        raise InstanceFormatError(path, None, f"cannot read ({exc.strerror})") from exc
    if len(tokens) < 2:
        raise InstanceFormatError(path, None, "empty file: expected 'm n' on the first line")
    pos = 0

    def token(what: str) -> tuple[str, int]:
        nonlocal pos
        if pos >= len(tokens):
            last = tokens[-1][1]
            raise InstanceFormatError(path, last, f"file ends early: missing {what}")
        pos += 1
        return tokens[pos - 1]

    def count(what: str) -> int:
        text, line = token(what)
        value = _integer(path, text, line, what)
        if value < 1:
            raise InstanceFormatError(path, line, f"{what} must be >= 1, got {value}")
        return value

    def number(what: str) -> tuple[Decimal, int]:
        text, line = token(what)
        value = _decimal(path, text, line, what)
        if value < 0:
            raise InstanceFormatError(path, line, f"{what} must be >= 0, got {text}")
        return value, line

    m = count("facility count m")
    n = count("customer count n")
    caps = [
        (number(f"capacity of facility {i + 1}"), number(f"fixed cost of facility {i + 1}"))
        for i in range(m)
    ]
    demands = [number(f"demand of customer {j + 1}") for j in range(n)]
    costs = [
        number(f"cost of customer {j + 1} at facility {i + 1}") for i in range(m) for j in range(n)
    ]
    if pos != len(tokens):
        text, line = tokens[pos]
        raise InstanceFormatError(
            path, line, f"{len(tokens) - pos} unexpected trailing value(s), first {text!r}"
        )
    money, cost_scale = _scaled(path, [f for _, f in caps] + costs, "cost")
    sizes, size_scale = _scaled(path, [s for s, _ in caps] + demands, "capacity or demand")
    fixed, assign = money[:m], money[m:]
    capacity, demand = sizes[:m], sizes[m:]
    facilities = tuple(
        CapacityRow(capacity=s, fixed_cost_minor=f) for s, f in zip(capacity, fixed, strict=True)
    )
    classes = tuple(
        ReturnClass(
            count=1,
            demand=demand[j],
            options=tuple(ClassOption(cost_minor=assign[i * n + j], facility=i) for i in range(m)),
        )
        for j in range(n)
    )
    try:
        problem = PlanProblem(classes=classes, facilities=facilities, name=path.name)
    except ValueError as exc:  # the objective's magnitude beyond exact float arithmetic
        what = f"{exc}" + (f" (costs scaled by {cost_scale})" if cost_scale > 1 else "")
        raise InstanceFormatError(path, None, what) from exc
    return SscflpInstance(problem, cost_scale, size_scale)


def load_optima(path: str | Path) -> list[Decimal]:
    """Read an ``os`` file: one optimal value per line (blank lines ignored), exactly (an
    integer file gives integral decimals, equal to the ints)."""
    path = Path(path)
    try:
        tokens = _tokens(path)
    except OSError as exc:
        raise InstanceFormatError(path, None, f"cannot read ({exc.strerror})") from exc
    return [_decimal(path, tok, line, "optimal value") for tok, line in tokens]
