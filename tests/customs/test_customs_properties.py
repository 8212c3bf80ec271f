"""Properties of assess() over random crossings (hypothesis).

The strategies live here until the shared tests/strategies.py exists; they should move there.
"""

from __future__ import annotations

from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st

from customs import (
    Assessment,
    Channel,
    Crossing,
    CustomsError,
    CustomsItem,
    ImportRecord,
    ReturnReason,
    default_engine,
)
from customs.rows import weakest

ENGINE = default_engine()
# A mix of EU members, special territories, partial-union parties and third countries.
PLACES = [
    ("DE", ""),
    ("FR", ""),
    ("NL", ""),
    ("MC", ""),
    ("ES", "ES-CN"),
    ("DE", "DE-HGL"),
    ("IT", "IT-CMP"),
    ("GB", ""),
    ("US", ""),
    ("CA", ""),
    ("CA", "CA-ON"),
    ("MX", ""),
    ("CH", ""),
    ("NO", ""),
    ("TR", ""),
    ("AU", ""),
    ("NZ", ""),
    ("JP", ""),
    ("KR", ""),
    ("CN", ""),
    ("HK", ""),
    ("SG", ""),
    ("IN", ""),
    ("AE", ""),
    ("SA", ""),
    ("BR", ""),
    ("ZA", ""),
    ("FO", ""),
    ("RU", ""),
    ("KZ", ""),
]
CURRENCIES = ["EUR", "USD", "GBP", "JPY", "NOK", "CAD", "KRW", "CNY"]
DATES = st.dates(min_value=date(2021, 7, 1), max_value=date(2031, 12, 31))

items = st.builds(
    CustomsItem,
    hs_code=st.sampled_from(["640399", "420222", "6109100010", "85076000", "22030001", "33049900"]),
    value_minor=st.integers(min_value=0, max_value=5_000_000),
    currency=st.sampled_from(CURRENCIES),
    quantity=st.integers(min_value=1, max_value=5),
    weight_g=st.integers(min_value=0, max_value=30_000),
    unaltered=st.booleans(),
)


@st.composite
def crossings(draw: st.DrawFn) -> tuple[Crossing, date]:
    on = draw(DATES)
    (exp, exp_territory), (imp, imp_territory) = (
        draw(st.sampled_from(PLACES)),
        draw(st.sampled_from(PLACES)),
    )
    reentry = draw(st.booleans())
    origin = imp if reentry else draw(st.sampled_from([p for p, _ in PLACES]))
    record = None
    if draw(st.booleans()):
        record = ImportRecord(
            country=exp,
            import_date=draw(st.dates(min_value=date(2018, 1, 1), max_value=on)),
            duty_paid_minor=draw(st.integers(min_value=0, max_value=1_000_000)),
            vat_paid_minor=draw(st.integers(min_value=0, max_value=1_000_000)),
            currency=draw(st.sampled_from(CURRENCIES)),
            vat_collected_at_checkout=draw(st.booleans()),
        )
    export_date = draw(st.none() | st.dates(min_value=date(2018, 1, 1), max_value=on))
    c = Crossing(
        export_country=exp,
        import_country=imp,
        goods_origin_country=origin,
        channel=draw(st.sampled_from(Channel)),
        reason=draw(st.sampled_from(ReturnReason)),
        export_territory=exp_territory,
        import_territory=imp_territory,
        reentry=reentry and not imp_territory,
        bonded_destination=draw(st.booleans()),
        original_import=record,
        export_date=export_date,
    )
    return c, on


def _try(c: Crossing, goods: list[CustomsItem], on: date, currency: str) -> Assessment | None:
    """The assessment, or None when assess() refused the input with a CustomsError naming a field
    (any other exception fails the test)."""
    error: CustomsError | None = None
    try:
        return ENGINE.assess(c, goods, on, currency=currency)
    except CustomsError as exc:
        error = exc
    assert error.field
    assert error.reason
    return None


@settings(max_examples=400, deadline=None)
@given(
    case=crossings(),
    goods=st.lists(items, min_size=1, max_size=4),
    currency=st.sampled_from(CURRENCIES),
)
def test_assessment_invariants(
    case: tuple[Crossing, date], goods: list[CustomsItem], currency: str
) -> None:
    """For any crossing assess() either names a bad field or returns an assessment in which: amounts
    are non-negative; no border means nothing due, filed or reclaimed; a refund never exceeds what
    was paid; deadlines are not past; every reclaim and document cites a cited rule; and the
    confidence is that of the weakest cited rule."""
    c, on = case
    a = _try(c, goods, on, currency)
    if a is None:
        return
    assert a.duty_due_minor >= 0
    assert a.vat_due_minor >= 0
    if not a.border:
        assert (a.duty_due_minor, a.vat_due_minor, a.reclaims, a.documents) == (0, 0, (), ())
    if c.bonded_destination:
        assert (a.duty_due_minor, a.vat_due_minor) == (0, 0)
    record = c.original_import
    for reclaim in a.reclaims:
        assert record is not None
        assert reclaim.deadline >= on
        paid_duty = ENGINE.fx.convert(record.duty_paid_minor, record.currency, currency, on)
        paid_vat = ENGINE.fx.convert(record.vat_paid_minor, record.currency, currency, on)
        assert 0 <= reclaim.duty_minor <= paid_duty.amount_to_minor
        assert 0 <= reclaim.vat_minor <= paid_vat.amount_to_minor
    assert (
        sum(r.vat_minor for r in a.reclaims)
        <= ENGINE.fx.convert(
            record.vat_paid_minor if record else 0,
            record.currency if record else currency,
            currency,
            on,
        ).amount_to_minor
    )
    cited = {r.rule_id for r in a.rules}
    assert all(r.rule.rule_id in cited for r in a.reclaims)
    assert all(d.rule.rule_id in cited for d in a.documents)
    assert a.confidence is weakest([r.confidence for r in a.rules])


@settings(max_examples=150, deadline=None)
@given(case=crossings(), goods=st.lists(items, min_size=1, max_size=3))
def test_assessment_is_deterministic_and_currency_consistent(
    case: tuple[Crossing, date], goods: list[CustomsItem]
) -> None:
    """The same question gets the same answer; asking in another currency changes amounts only:
    border, union, relief, reclaim routes and documents stay the same."""
    c, on = case
    first, again = _try(c, goods, on, "EUR"), _try(c, goods, on, "EUR")
    assert first == again
    other = _try(c, goods, on, "USD")
    if first is None or other is None:
        assert first is None
        assert other is None
        return
    assert (first.border, first.union, first.relief) == (other.border, other.union, other.relief)
    assert [r.route for r in first.reclaims] == [r.route for r in other.reclaims]
    assert {d.code for d in first.documents} == {d.code for d in other.documents}
