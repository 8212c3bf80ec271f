"""The one module that calls solver libraries (routing.solver.backends): the multi-item split
model works on plain numbers."""

from __future__ import annotations

from routing.solver import SplitCandidate, SplitParcel, solve_split


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
