"""External truth: Holmberg SSCFLP p1-p12 through the planner's solver reach the published
optima (correctness only; the timing targets live in benchmarks/sscflp.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from benchmarks.sscflp import main as bench_main
from routing.plan_model import load_optima, load_sscflp
from routing.solver import Backend, solve

ROOT = Path(__file__).resolve().parents[2]
HOLMBERG = ROOT.parent / "shared" / "benchmarks" / "sscflp-holmberg"
TINY = ROOT / "tests" / "data" / "sscflp_tiny"

needs_holmberg = pytest.mark.skipif(
    not (HOLMBERG / "os").exists(), reason="shared/benchmarks is beside the repository in CI"
)


@needs_holmberg
@pytest.mark.parametrize("number", range(1, 13))
def test_holmberg_small_instances_reach_the_optimum(number: int) -> None:
    """p1-p12 (10 facilities x 50 customers): the plan found is the published optimum, proven."""
    optimum = load_optima(HOLMBERG / "os")[number - 1]
    problem = load_sscflp(HOLMBERG / f"p{number}")
    result = solve(problem, time_limit_s=60, backend=Backend.HIGHS)
    assert result.objective == optimum
    assert result.proven
    assert result.assignment is not None
    assert all(
        f <= c.capacity
        for f, c in zip(
            problem.evaluate(result.assignment).facility_loads, problem.facilities, strict=True
        )
    )


def test_benchmark_runs_on_any_folder_of_the_format(tmp_path: Path) -> None:
    """The benchmark command works on a folder of hand-made instances with known optima."""
    out = tmp_path / "r.json"
    assert (
        bench_main(
            [str(TINY), "--time-limit", "10", "--reference-time-limit", "10", "--out", str(out)]
        )
        == 0
    )
    summary = json.loads(out.read_text())["summary"]
    assert summary["instances"] == 2
    assert summary["at_optimum"] == 2
    assert summary["cbc_at_optimum"] == 2
