"""SSCFLP instance files (routing.solver.instances): the Holmberg format is read exactly and a
malformed file is refused naming the file and the line."""

from __future__ import annotations

import itertools
from decimal import Decimal
from pathlib import Path

import pytest

from routing.solver import (
    InstanceFormatError,
    decimal_scale,
    load_optima,
    load_sscflp,
    read_sscflp,
    solve,
)


def write(tmp_path: Path, text: str, name: str = "inst") -> Path:
    path = tmp_path / name
    path.write_bytes(text.replace("\n", "\r\n").encode())
    return path


def test_loader_reads_crlf_wrapped_lines_with_trailing_dots(tmp_path: Path) -> None:
    """CRLF, demands wrapped over lines with trailing dots, facility-major costs: one class per
    customer (count 1) with one option per facility, and the facilities' fixed costs."""
    path = write(tmp_path, "2 3\n 10 100\n 8 50\n 4. 5.\n 6.\n 1 2 3\n 9. 9. 1.\n")
    problem = load_sscflp(path)
    assert [(f.capacity, f.fixed_cost_minor) for f in problem.facilities] == [(10, 100), (8, 50)]
    assert [c.demand for c in problem.classes] == [4, 5, 6]
    assert [[o.cost_minor for o in c.options] for c in problem.classes] == [[1, 9], [2, 9], [3, 1]]
    assert all(c.count == 1 for c in problem.classes)
    assert [o.facility for o in problem.classes[0].options] == [0, 1]
    assert problem.name == "inst"


@pytest.mark.parametrize(
    ("text", "where", "what"),
    [
        ("", None, "empty file: expected 'm n' on the first line"),
        ("2 3\n10 100\n8 x5\n", 3, "fixed cost of facility 2: expected a number, got 'x5'"),
        ("2.5 3\n", 1, "facility count m: expected an integer, got '2.5'"),
        ("1 1\n10 1e999\n", 2, "fixed cost of facility 1: expected a number, got '1e999'"),
        ("1 2\n10 100\n4. 5.\n1\n", 4, "file ends early: missing cost of customer 2 at facility 1"),
        ("1 1\n10 100\n4.\n1 7\n", 4, "1 unexpected trailing value(s), first '7'"),
        ("1 1\n-10 100\n4.\n1\n", 2, "capacity of facility 1 must be >= 0, got -10"),
        ("0 1\n", 1, "facility count m must be >= 1, got 0"),
    ],
)
def test_loader_errors_name_the_file_and_line(
    tmp_path: Path, text: str, where: int | None, what: str
) -> None:
    """A malformed instance fails with ``path:line: what is wrong``."""
    path = write(tmp_path, text)
    with pytest.raises(InstanceFormatError) as err:
        load_sscflp(path)
    expected = f"{path}:{where}: {what}" if where else f"{path}: {what}"
    assert str(err.value) == expected
    assert err.value.line == where
    assert isinstance(err.value, ValueError)


def test_optima_loader_names_the_bad_line(tmp_path: Path) -> None:
    """The ``os`` file: one number per line (read exactly); a bad one is named by file and
    line."""
    good = write(tmp_path, "8848\n7913\n\n", "os")
    assert load_optima(good) == [8848, 7913]
    bad = write(tmp_path, "8848\n79 13x\n", "os2")
    with pytest.raises(InstanceFormatError, match=r"os2:2: optimal value: expected a number"):
        load_optima(bad)


def test_decimal_costs_are_scaled_exactly_and_reported(tmp_path: Path) -> None:
    """Costs with decimals (fixed 100.5, assignment 0.25 ...) are multiplied by the smallest
    power of ten that clears them all (here 100), exactly, never rounded; capacities and
    demands get their own scale (10 for 4.5); the optimum reads back in the file's units."""
    path = write(tmp_path, "2 3\n10 100.5\n8.0 50\n4.5 5.\n 6.\n 1 2.25 3\n9. 9. 0.1\n")
    inst = read_sscflp(path)
    assert (inst.cost_scale, inst.size_scale) == (100, 10)
    p = inst.problem
    assert [(f.capacity, f.fixed_cost_minor) for f in p.facilities] == [(100, 10050), (80, 5000)]
    assert [c.demand for c in p.classes] == [45, 50, 60]
    assert [[o.cost_minor for o in c.options] for c in p.classes] == [
        [100, 900],
        [225, 900],
        [300, 10],
    ]
    # brute force over the 2**3 plans in file units, with exact decimals
    fixed, cap = (Decimal("100.5"), Decimal(50)), (Decimal(10), Decimal(8))
    dem = (Decimal("4.5"), Decimal(5), Decimal(6))
    cost = ((Decimal(1), Decimal("2.25"), Decimal(3)), (Decimal(9), Decimal(9), Decimal("0.1")))
    best = min(
        sum(cost[i][j] for j, i in enumerate(plan)) + sum(fixed[i] for i in set(plan))
        for plan in itertools.product((0, 1), repeat=3)
        if all(sum(dem[j] for j, i in enumerate(plan) if i == f) <= cap[f] for f in (0, 1))
    )
    result = solve(p, time_limit_s=10)
    assert result.objective is not None
    assert result.proven
    assert inst.in_file_units(result.objective) == best
    assert inst.from_file_units(best) == result.objective


@pytest.mark.parametrize(
    ("values", "scale"),
    [
        (["1", "2", "49."], 1),
        (["12.50", "3"], 10),
        (["0.000", "7"], 1),
        (["1.00000000000000000000000000001"], 10**29),  # more digits than a default context
        (["2.5e-3", "1e2"], 10**4),
    ],
)
def test_decimal_scale_is_the_smallest_power_of_ten(values: list[str], scale: int) -> None:
    """The scale clears every decimal place that is not a trailing zero, read from the digits
    (no context rounding: 29 significant digits keep their last one)."""
    assert decimal_scale(Decimal(v) for v in values) == scale


def test_too_many_decimals_are_refused_not_rounded(tmp_path: Path) -> None:
    """A cost whose exact scaling leaves the solver's integer range is refused naming its
    line, never rounded silently."""
    path = write(tmp_path, "1 1\n10 100\n4.\n1.0000000000001\n")
    with pytest.raises(InstanceFormatError, match=r":4: cost: 1.0000000000001 has more than 9"):
        read_sscflp(path)
