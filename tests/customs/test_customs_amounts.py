"""``CustomsEngine.amounts`` answers ``Amounts.of(assess(...))``, whatever its memos hold.

``amounts`` is the batch planner's path: no documents, notes or cited rules, the validated lines
of the last items kept by identity, the reclaims memoized on the request's amounts. Each answer
of an engine that has served other crossings is compared with an engine whose memos were just
emptied, so a memo keyed on too little would show here.
"""

from __future__ import annotations

import dataclasses
from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st

from customs import (
    Amounts,
    Channel,
    Crossing,
    CustomsEngine,
    CustomsError,
    CustomsItem,
    ImportRecord,
    ReturnReason,
    default_engine,
)
from tests.customs.test_customs_properties import crossings, items

SHARED = default_engine()
FRESH = CustomsEngine(SHARED.rulebook, SHARED.fx)


def _answer(
    engine: CustomsEngine, c: Crossing, goods: tuple[CustomsItem, ...], on: date, *, full: bool
) -> Amounts | tuple[str, str, str]:
    try:
        if full:
            return Amounts.of(engine.assess(c, goods, on, currency="EUR"))
        return engine.amounts(c, goods, on, currency="EUR")
    except CustomsError as exc:
        return (type(exc).__name__, exc.field, exc.reason)


def _reference(c: Crossing, goods: tuple[CustomsItem, ...], on: date) -> object:
    FRESH._memoize()  # every memo empty: an engine new to it all
    return _answer(FRESH, c, goods, on, full=True)


@settings(max_examples=150, deadline=None)
@given(
    first=crossings(),
    second=crossings(),
    goods=st.lists(items, min_size=1, max_size=3),
    paid=st.integers(min_value=0, max_value=1_000_000),
)
def test_amounts_equal_the_assessment_after_other_crossings(
    first: tuple[Crossing, date],
    second: tuple[Crossing, date],
    goods: list[CustomsItem],
    paid: int,
) -> None:
    """Crossings of one request (one items tuple, several places and dates, the original
    import's amounts changed) each get the amounts of their own full assessment."""
    shared = tuple(goods)
    (c1, on1), (c2, on2) = first, second
    record = c1.original_import
    c3 = c1
    if record is not None:
        c3 = dataclasses.replace(
            c1, original_import=dataclasses.replace(record, vat_paid_minor=paid)
        )
    for c, on in ((c1, on1), (c2, on2), (c3, on1), (c1, on1)):
        assert _answer(SHARED, c, shared, on, full=False) == _reference(c, shared, on)
        assert _answer(SHARED, c, shared, on, full=True) == _reference(c, shared, on)


def _no_to_de(vat_paid_minor: int) -> Crossing:
    """Defective goods back from Norway, duty and VAT paid on their import there."""
    return Crossing(
        "NO",
        "DE",
        "DE",
        Channel.COURIER,
        ReturnReason.DEFECTIVE,
        reentry=True,
        export_date=date(2026, 10, 20),
        original_import=ImportRecord("NO", date(2026, 10, 25), 15_000, vat_paid_minor, "NOK"),
    )


def test_items_equal_in_all_but_value_are_not_answered_from_the_last_call() -> None:
    """The lines of the last items are reused only for the very same tuple: another tuple of
    items differing in value, or a list changed in place, is validated again."""
    on = date(2026, 11, 2)
    crossing = Crossing("US", "GB", "US", Channel.COURIER, ReturnReason.CHANGED_MIND)
    cheap = (CustomsItem("640399", 20_000, "GBP", 1, 900),)
    dear = (CustomsItem("640399", 90_000, "GBP", 1, 900),)
    answers = [SHARED.amounts(crossing, goods, on, currency="GBP") for goods in (cheap, dear)]
    assert answers[0] != answers[1]
    for goods, answer in zip((cheap, dear), answers, strict=True):
        assert answer == Amounts.of(SHARED.assess(crossing, goods, on, currency="GBP"))
    changing = list(cheap)
    first = SHARED.amounts(crossing, changing, on, currency="GBP")
    changing[0] = dear[0]
    assert SHARED.amounts(crossing, changing, on, currency="GBP") == answers[1] != first


def test_reclaims_follow_each_requests_paid_amounts() -> None:
    """Two crossings alike but for the VAT paid on the original import reclaim each its own
    VAT (the reclaim memo keys on the import record)."""
    on = date(2026, 11, 2)
    goods = (CustomsItem("640399", 150_000, "NOK", 1, 900),)
    low, high = (
        SHARED.amounts(_no_to_de(paid), goods, on, currency="EUR") for paid in (10_000, 40_000)
    )
    assert 0 < low.reclaim_vat_minor < high.reclaim_vat_minor
    for paid, got in ((10_000, low), (40_000, high)):
        assert got == Amounts.of(SHARED.assess(_no_to_de(paid), goods, on, currency="EUR"))
