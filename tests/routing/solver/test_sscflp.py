"""External truth: Holmberg SSCFLP p1-p12 through the planner's solver reach the published
optima, proven (correctness only; the timing targets live in benchmarks/sscflp.py)."""

from __future__ import annotations

import json
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from benchmarks.sscflp import main as bench_main
from benchmarks.sscflp_generate import main as gen_main
from routing.solver import Backend, load_optima, load_sscflp, read_sscflp, solve

ROOT = Path(__file__).resolve().parents[3]
HOLMBERG = ROOT / "tests" / "data" / "sscflp_holmberg"  # the instances the tests use
TINY = ROOT / "tests" / "data" / "sscflp_tiny"


@pytest.mark.parametrize("number", range(1, 13))
def test_holmberg_small_instances_reach_the_optimum(number: int) -> None:
    """p1-p12 (10 facilities x 50 customers): the planner's default solver returns the
    published optimum, proven optimal, within every capacity."""
    optimum = load_optima(HOLMBERG / "os")[number - 1]
    problem = load_sscflp(HOLMBERG / f"p{number}")
    result = solve(problem, time_limit_s=60)
    assert result.objective == optimum
    assert result.proven
    assert result.bound == optimum
    assert result.assignment is not None
    loads = problem.evaluate(result.assignment).facility_loads
    assert all(load <= f.capacity for load, f in zip(loads, problem.facilities, strict=True))


@pytest.mark.parametrize("backend", list(Backend), ids=lambda b: b.value)
def test_every_backend_proves_the_same_optimum_on_p1(backend: Backend) -> None:
    """The five backends agree with the published optimum of p1 (8848)."""
    result = solve(load_sscflp(HOLMBERG / "p1"), time_limit_s=60, backend=backend)
    assert result.objective == 8848
    assert result.proven


def test_benchmark_runs_on_any_folder_of_the_format(tmp_path: Path) -> None:
    """The benchmark command works on a folder of hand-made instances with known optima
    (CRLF, demands wrapped with trailing dots): all found and proven by both solvers."""
    out = tmp_path / "r.json"
    code = bench_main(
        [str(TINY), "--time-limit", "10", "--reference-time-limit", "10", "--out", str(out)]
    )
    assert code == 0
    result = json.loads(out.read_text())
    summary = result["summary"]
    assert summary["instances"] == 3
    assert summary["at_best"] == summary["proven"] == summary["within_target"] == 3
    assert summary["cbc_at_best"] == summary["cbc_proven"] == summary["cbc_within_target"] == 3
    assert [r["best_known"] for r in result["rows"]] == ["154", "10", "78"]
    assert all(r["best_is_optimum"] for r in result["rows"])
    assert [r["size"] for r in result["rows"]] == ["2x3", "3x2", "3x5"]


def test_benchmark_only_refuses_unknown_instances(tmp_path: Path) -> None:
    """--only with a name the folder lacks stops with a usage error naming it."""
    with pytest.raises(SystemExit):
        bench_main([str(TINY), "--only", "p9", "--out", str(tmp_path / "r.json")])


def test_benchmark_without_pulp_asks_for_the_cbc_extra(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without PuLP the CBC reference stops the benchmark at once with a usage error saying how
    to install it (or to pass --no-reference); with --no-reference it runs."""
    monkeypatch.setitem(sys.modules, "pulp", None)  # `import pulp` raises ImportError
    out = tmp_path / "r.json"
    with pytest.raises(SystemExit) as stop:
        bench_main([str(TINY), "--time-limit", "10", "--out", str(out)])
    assert stop.value.code == 2
    err = capsys.readouterr().err
    assert "pip install 'reroute[cbc]'" in err
    assert "--no-reference" in err
    assert not out.exists()
    assert bench_main([str(TINY), "--time-limit", "10", "--no-reference", "--out", str(out)]) == 0
    assert json.loads(out.read_text())["summary"]["at_best"] == 3


def test_generated_instances_run_without_optima_and_decimal_costs_report_in_file_units(
    tmp_path: Path,
) -> None:
    """The Yang-style generator writes the same files for the same seed; the benchmark runs a
    folder without an ``os`` file (best known = best plan of the run) and reports a decimal
    instance's costs in the file's own units."""
    a, b = tmp_path / "a", tmp_path / "b"
    for folder in (a, b):
        assert gen_main([str(folder), "--seed", "7", "--sizes", "4x12", "--ratios", "3,5"]) == 0
    assert (a / "y1").read_text() == (b / "y1").read_text()
    assert (a / "y1").read_text() != (a / "y2").read_text()
    assert read_sscflp(a / "y1").problem.facilities[0].capacity > 0
    (a / "index.json").unlink()
    # a decimal copy of y2: every cost / 100, so its optimum in file units is y2's / 100
    text = (a / "y2").read_text().split("\n")
    m = int(text[0].split()[0])
    rows = [f"{line.split()[0]} {int(line.split()[1]) / 100}" for line in text[1 : 1 + m]]
    demand_lines = -(-12 // 10)
    costs = [
        " ".join(str(int(c) / 100) for c in line.split()) for line in text[1 + m + demand_lines :]
    ]
    (a / "y3").write_text("\n".join([text[0], *rows, *text[1 + m : 1 + m + demand_lines], *costs]))
    out = tmp_path / "r.json"
    assert bench_main([str(a), "--time-limit", "10", "--no-reference", "--out", str(out)]) == 0
    rows_out = json.loads(out.read_text())["rows"]
    assert [r["instance"] for r in rows_out] == ["y1", "y2", "y3"]
    assert not any(r["best_is_optimum"] for r in rows_out)
    y2, y3 = rows_out[1], rows_out[2]
    assert y2["proven"]
    assert y3["proven"]
    assert y3["cost_scale"] == 100
    assert Decimal(y3["found"]) * 100 == Decimal(y2["found"])
