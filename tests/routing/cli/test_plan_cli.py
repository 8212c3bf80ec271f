"""`reroute generate-returns` then `reroute plan` on the default network, end to end."""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

import pytest

from routing.cli.flags import EXIT_OK, EXIT_USAGE
from routing.cli.main import main


def test_generate_then_plan(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A generated batch plans to an optimal plan: every return assigned exactly once, loads
    within capacities, a bound no higher than the objective, files written."""
    batch = tmp_path / "b.csv"
    assert (
        main(
            ["generate-returns", "300", "--seed", "3", "--out", str(batch), "--start", "2026-11-02"]
        )
        == EXIT_OK
    )
    out = tmp_path / "plan"
    assert main(["plan", str(batch), "--out", str(out), "--time-limit", "20"]) == EXIT_OK
    plan = json.loads((out / "plan.json").read_text())
    assert plan["status"] in {"optimal", "feasible"}
    assert plan["bound_minor"] <= plan["objective_minor"]
    for f in plan["facilities"]:
        assert f["load_units"] <= f["capacity_units"]
    with (out / "assignments.csv").open() as fh:
        rows = list(csv.DictReader(fh))
    ids = [r["return_id"] for r in rows]
    assert len(ids) == len(set(ids)) == plan["returns"] - len(plan["unroutable"])
    assert sum(int(r["net_cost_minor"]) for r in rows) == plan["objective_minor"]
    assert "gap" in capsys.readouterr().out


def test_plan_refuses_bad_rows_with_row_and_field(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A batch with a bad country is refused (exit 2) naming the row and the field; with
    --skip-invalid the rest is planned and the skipped row is listed."""
    batch = tmp_path / "b.csv"
    assert (
        main(
            ["generate-returns", "20", "--seed", "5", "--out", str(batch), "--start", "2026-11-02"]
        )
        == EXIT_OK
    )
    lines = batch.read_text().splitlines()
    header = lines[0].split(",")
    cells = lines[1].split(",")
    cells[header.index("customer_country")] = "XX"
    lines[1] = ",".join(cells)
    batch.write_text("\n".join(lines) + "\n")
    capsys.readouterr()
    assert main(["plan", str(batch), "--out", str(tmp_path / "p")]) == EXIT_USAGE
    err = capsys.readouterr().err
    assert "row 1" in err
    assert "customer_country" in err
    assert main(["plan", str(batch), "--out", str(tmp_path / "p"), "--skip-invalid"]) == EXIT_OK
    assert "customer_country" in capsys.readouterr().err


def test_generate_requires_a_seed(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """The seed is required."""
    assert main(["generate-returns", "10", "--out", str(tmp_path / "x.csv")]) == EXIT_USAGE


def test_plan_with_cbc_but_no_pulp_says_how_to_install_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """--backend cbc without the cbc extra exits 2 before planning, with the pip command to
    install it and no traceback."""
    batch = tmp_path / "b.csv"
    assert (
        main(
            ["generate-returns", "20", "--seed", "5", "--out", str(batch), "--start", "2026-11-02"]
        )
        == EXIT_OK
    )
    capsys.readouterr()
    monkeypatch.setitem(sys.modules, "pulp", None)  # `import pulp` raises ImportError
    out = tmp_path / "plan"
    assert main(["plan", str(batch), "--out", str(out), "--backend", "cbc"]) == EXIT_USAGE
    err = capsys.readouterr().err
    assert err.startswith("error: --backend cbc: ")
    assert "pip install 'reroute[cbc]'" in err
    assert "Traceback" not in err
    assert not out.exists()


@pytest.mark.parametrize("make", ["missing", "directory"])
def test_plan_names_an_unreadable_batch_file_without_a_traceback(
    make: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A batch file that cannot be read exits 2 with one line naming the file and why."""
    path = tmp_path / "returns.csv"
    if make == "directory":
        path.mkdir()
    assert main(["plan", str(path), "--out", str(tmp_path / "out")]) == EXIT_USAGE
    err = capsys.readouterr().err
    assert err.startswith(f"error: {path}: cannot read the file: ")
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1
