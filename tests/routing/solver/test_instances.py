"""SSCFLP instance files (routing.solver.instances): the Holmberg format is read exactly and a
malformed file is refused naming the file and the line."""

from __future__ import annotations

from pathlib import Path

import pytest

from routing.solver import InstanceFormatError, load_optima, load_sscflp


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
        ("2 3\n10 100\n8 x5\n", 3, "fixed cost of facility 2: expected an integer, got 'x5'"),
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
    """The ``os`` file: one integer per line; a bad one is named by file and line."""
    good = write(tmp_path, "8848\n7913\n\n", "os")
    assert load_optima(good) == [8848, 7913]
    bad = write(tmp_path, "8848\n79 13x\n", "os2")
    with pytest.raises(InstanceFormatError, match=r"os2:2: optimal value: expected an integer"):
        load_optima(bad)
