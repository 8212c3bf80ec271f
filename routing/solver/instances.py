"""SSCFLP instance files (the Holmberg / OR-Library format) read into plan problems.

``m n``, then m lines ``s_i f_i`` (capacity, fixed cost), n demands, and m*n costs,
facility-major; CRLF or LF, trailing dots ("49." = 49). :func:`load_sscflp` reads an instance
into a :class:`~routing.solver.problem.PlanProblem` (one class of count 1 per customer, one
capacity row with its fixed cost per facility), :func:`load_optima` an ``os`` file of published
optima; a malformed file raises :class:`InstanceFormatError` naming the file and the line.
"""

from __future__ import annotations

from pathlib import Path

from routing.errors import FieldViolation, InvalidInput
from routing.solver.problem import CapacityRow, ClassOption, PlanProblem, ReturnClass


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


def _integer(path: Path, token: str, line: int, what: str) -> int:
    """An integer token, allowing the trailing dot of the original files ("49." = 49)."""
    text = token[:-1] if token.endswith(".") else token
    if text.endswith(".0"):
        text = text[:-2]
    if not text or not (text.isdigit() or (text[0] == "-" and text[1:].isdigit())):
        raise InstanceFormatError(path, line, f"{what}: expected an integer, got {token!r}")
    return int(text)


def load_sscflp(path: str | Path) -> PlanProblem:
    """Read an SSCFLP instance (``m n``, m lines ``s_i f_i``, n demands, m*n costs).

    Costs are facility-major: the i-th block of n numbers is the cost of serving each
    customer entirely from facility i. Each customer becomes a class of count 1 with one
    option per facility; each facility a capacity row with its fixed cost.
    """
    path = Path(path)
    try:
        tokens = _tokens(path)
    except OSError as exc:
        raise InstanceFormatError(path, None, f"cannot read ({exc.strerror})") from exc
    if len(tokens) < 2:
        raise InstanceFormatError(path, None, "empty file: expected 'm n' on the first line")
    pos = 0

    def take(what: str, low: int) -> int:
        nonlocal pos
        if pos >= len(tokens):
            last = tokens[-1][1]
            raise InstanceFormatError(path, last, f"file ends early: missing {what}")
        token, line = tokens[pos]
        value = _integer(path, token, line, what)
        if value < low:
            raise InstanceFormatError(path, line, f"{what} must be >= {low}, got {value}")
        pos += 1
        return value

    m = take("facility count m", 1)
    n = take("customer count n", 1)
    caps: list[tuple[int, int]] = [
        (take(f"capacity of facility {i + 1}", 0), take(f"fixed cost of facility {i + 1}", 0))
        for i in range(m)
    ]
    demands = [take(f"demand of customer {j + 1}", 0) for j in range(n)]
    costs = [
        [take(f"cost of customer {j + 1} at facility {i + 1}", 0) for j in range(n)]
        for i in range(m)
    ]
    if pos != len(tokens):
        token, line = tokens[pos]
        raise InstanceFormatError(
            path, line, f"{len(tokens) - pos} unexpected trailing value(s), first {token!r}"
        )
    facilities = tuple(CapacityRow(capacity=s, fixed_cost_minor=f) for s, f in caps)
    classes = tuple(
        ReturnClass(
            count=1,
            demand=demands[j],
            options=tuple(ClassOption(cost_minor=costs[i][j], facility=i) for i in range(m)),
        )
        for j in range(n)
    )
    return PlanProblem(classes=classes, facilities=facilities, name=path.name)


def load_optima(path: str | Path) -> list[int]:
    """Read an ``os`` file: one optimal value per line (blank lines ignored)."""
    path = Path(path)
    try:
        tokens = _tokens(path)
    except OSError as exc:
        raise InstanceFormatError(path, None, f"cannot read ({exc.strerror})") from exc
    return [_integer(path, tok, line, "optimal value") for tok, line in tokens]
