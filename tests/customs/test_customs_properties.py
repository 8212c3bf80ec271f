"""Properties of assess() over random crossings (hypothesis).

The crossing strategies stay here: the shared tests/strategies.py imports routing, and the
customs tests must not depend on it.
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
    CustomsNotCovered,
    ImportRecord,
    ReturnReason,
    RuleRef,
    default_engine,
)
from customs.rows import in_force, weakest

ENGINE = default_engine()
BOOK = ENGINE.rulebook
ROWS = {rule.rule_id: rule for rule in BOOK.rules()}  # every dated row of the tables
# the rows that can set an amount: duty (a duty rate, a de minimis row's flat duty), VAT, reclaims
SETS_DUTY = {r.rule.rule_id for r in BOOK.duty_rates} | {
    d.rule.rule_id for d in BOOK.de_minimis if d.flat_duty_per_category is not None
}
SETS_VAT = {v.rule.rule_id for v in BOOK.vat}
RECLAIMS = {r.rule.rule_id for r in BOOK.reclaims}
# A mix of EU members, special territories, partial-union parties and third countries.
PLACES = [
    ("DE", ""),
    ("FR", ""),
    ("NL", ""),
    ("MC", ""),
    ("ES", "ES-CN"),
    ("ES", "ES-CE"),
    ("ES", "ES-ML"),
    ("DE", "DE-HGL"),
    ("DE", "DE-BSG"),
    ("IT", "IT-CMP"),
    ("IT", "IT-LVG"),
    ("GR", "GR-69"),
    ("FI", "FI-01"),
    ("DK", ""),
    ("IE", ""),
    ("GB", ""),
    ("GB", "GB-NIR"),
    ("GB", "GB-ENG"),
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
    ("GL", ""),
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


def _answer(c: Crossing, goods: list[CustomsItem], on: date, currency: str) -> Assessment | None:
    """The assessment, the partial answer of a CustomsNotCovered, or None for refused input
    (a CustomsError naming a field; any other exception fails the test)."""
    error: CustomsError | None = None
    try:
        return ENGINE.assess(c, goods, on, currency=currency)
    except CustomsError as exc:
        error = exc
    assert error.field
    partial = error.partial if isinstance(error, CustomsNotCovered) else None
    if partial is not None:
        assert partial.border
        assert partial.vat_due_minor == 0  # unknown (noted), never guessed
        if not partial.customs_border:
            assert partial.duty_due_minor == 0  # no customs border, no duty: known
    return partial


def _traceable(ref: RuleRef, on: date) -> None:
    """``ref`` is a row of the tables as loaded, in force on ``on``, with known source ids."""
    assert ROWS.get(ref.rule_id) == ref, ref.rule_id
    assert in_force(ref, on), (ref.rule_id, on)
    assert ref.source_ids, ref.rule_id
    assert set(ref.source_ids) <= set(BOOK.sources), ref.rule_id


@settings(max_examples=600, deadline=None)
@given(
    case=crossings(),
    goods=st.lists(items, min_size=1, max_size=4),
    currency=st.sampled_from(CURRENCIES),
)
def test_every_amount_traces_to_a_dated_sourced_rule(
    case: tuple[Crossing, date], goods: list[CustomsItem], currency: str
) -> None:
    """Every non-zero duty, import VAT and reclaim amount (also in the partial answer of a
    CustomsNotCovered) is accompanied by a cited row of a table that sets such an amount; every
    RuleRef an assessment carries (cited, on a reclaim, on a document) is that row as tabled, in
    force on the assessment date, with at least one source id, all of them in sources.toml."""
    c, on = case
    a = _answer(c, goods, on, currency)
    if a is None:
        return
    cited = {ref.rule_id for ref in a.rules}
    for ref in (*a.rules, *(r.rule for r in a.reclaims), *(d.rule for d in a.documents)):
        _traceable(ref, on)
    if a.duty_due_minor:
        assert cited & SETS_DUTY, (a.duty_due_minor, sorted(cited))
    if a.vat_due_minor:
        assert cited & SETS_VAT, (a.vat_due_minor, sorted(cited))
    for reclaim in a.reclaims:  # (an amount may round to 0 in the assessment currency)
        assert reclaim.rule.rule_id in RECLAIMS
        assert reclaim.rule.rule_id in cited
    for document in a.documents:
        assert document.rule.rule_id in cited
