"""The one module that calls solver libraries (routing.solver.backends): PuLP/CBC is an optional
extra whose absence is reported with how to install it, and the multi-item split model works
on plain numbers."""

from __future__ import annotations

import re
import sys

import pytest

from routing.errors import SolverNotInstalled
from routing.solver import (
    Backend,
    CapacityRow,
    ClassOption,
    PlanProblem,
    ReturnClass,
    SplitCandidate,
    SplitParcel,
    Status,
    require_backend,
    solve,
    solve_split,
)

INSTALL = "pip install 'reroute[cbc]'"


@pytest.fixture(params=["pulp", "cbcbox"])
def without_cbc(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """An installation without the cbc extra: importing PuLP (or its CBC binary package)
    fails as it does when the package is not installed."""
    name: str = request.param
    monkeypatch.setitem(sys.modules, name, None)  # `import name` now raises ImportError
    return name


def small_problem() -> PlanProblem:
    return PlanProblem(
        classes=(
            ReturnClass(count=2, demand=1, options=(ClassOption(3, facility=0), ClassOption(5))),
        ),
        facilities=(CapacityRow(capacity=1, fixed_cost_minor=2),),
    )


@pytest.mark.usefixtures("without_cbc")
def test_cbc_without_pulp_says_how_to_install_it() -> None:
    """Backend.CBC without PuLP fails before solving with a domain error (not an ImportError)
    whose message names the extra and the pip command."""
    with pytest.raises(SolverNotInstalled, match=re.escape(INSTALL)) as err:
        solve(small_problem(), time_limit_s=5, backend=Backend.CBC)
    assert not isinstance(err.value, ImportError)
    assert "CBC" in str(err.value)
    with pytest.raises(SolverNotInstalled, match=re.escape(INSTALL)):
        require_backend(Backend.CBC)


@pytest.mark.usefixtures("without_cbc")
@pytest.mark.parametrize("backend", [b for b in Backend if b is not Backend.CBC])
def test_every_other_backend_runs_without_pulp(backend: Backend) -> None:
    """PuLP is needed by CBC alone: every other backend is available and solves."""
    require_backend(backend)
    result = solve(small_problem(), time_limit_s=10, backend=backend)
    assert result.status is Status.OPTIMAL
    assert result.objective == 3 + 2 + 5


def test_split_model_on_plain_numbers() -> None:
    """Two one-unit lines of 1 kg: line 0 may go returnless (free in the model), line 1 may not;
    the parcel candidate costs 5 a unit, 10 a parcel and 20 up to 1 kg, 50 up to 2 kg. Cheapest:
    line 0 returnless, line 1 alone in the parcel (35 < 70 for both in the parcel)."""
    parcel = SplitCandidate(
        unit_cost=(5, 5),
        parcel=SplitParcel(
            fixed_cost=10,
            breaks_g=(1000, 2000),
            break_cost=(20, 50),
            weight_g=(1000, 1000),
            volumetric_g=(0, 0),
        ),
    )
    returnless = SplitCandidate(unit_cost=(0, None))
    assert solve_split([1, 1], [parcel, returnless], time_limit_s=5) == {(1, 0): 1, (0, 1): 1}
    # line 1 fits nowhere when the parcel's largest break is below its weight
    small = SplitCandidate(
        unit_cost=(5, 5),
        parcel=SplitParcel(10, (500,), (20,), weight_g=(1000, 1000), volumetric_g=(0, 0)),
    )
    assert solve_split([1, 1], [small, returnless], time_limit_s=5) is None
