"""CustomsEngine.assess: borders, charges, relief, reclaims, documents, validation, tracing."""

from __future__ import annotations

import builtins
import pickle
from datetime import date, datetime

import pytest

import customs
from customs import (
    Assessment,
    Channel,
    Claimant,
    Confidence,
    Crossing,
    CustomsAssessor,
    CustomsEngine,
    CustomsError,
    CustomsItem,
    CustomsNotCovered,
    ReturnReason,
)
from customs.rows import weakest
from tests.customs.customs_builders import TODAY, crossing, imported, item

R = ReturnReason


def _assess(
    engine: CustomsEngine,
    c: Crossing,
    items: list[CustomsItem] | None = None,
    on: date = TODAY,
    currency: str = "EUR",
) -> Assessment:
    return engine.assess(c, items or [item()], on, currency=currency)


def _codes(a: Assessment) -> set[str]:
    return {d.code for d in a.documents}


# -- borders -------------------------------------------------------------------------------------


def test_de_to_fr_has_no_border_and_no_documents(engine: CustomsEngine) -> None:
    """Inside the EU customs union nothing is due, nothing is filed, and the union is named."""
    a = _assess(engine, crossing("DE", "FR"))
    assert (a.border, a.union, a.duty_due_minor, a.vat_due_minor) == (False, "EU", 0, 0)
    assert a.documents == ()
    assert a.reclaims == ()
    assert [r.rule_id for r in a.rules] == ["union.EU.2021"]


def test_de_to_monaco_has_no_border(engine: CustomsEngine) -> None:
    """Monaco is inside the EU customs territory (UCC Art. 4(2))."""
    a = _assess(engine, crossing("DE", "MC", channel=Channel.COURIER))
    assert (a.border, a.union) == (False, "EU")


def test_same_country_cites_the_domestic_principle(engine: CustomsEngine) -> None:
    """A return to a 3PL in the same country crosses no border, citing the domestic rule."""
    a = _assess(engine, crossing("GB", "GB"))
    assert (a.border, a.union) == (False, "")
    assert "principle.domestic" in {r.rule_id for r in a.rules}
    assert (a.customs_border, a.vat_border) == (False, False)


def test_hessen_is_not_heligoland(engine: CustomsEngine) -> None:
    """DE-HE is the ISO 3166-2 code of Hessen: an ordinary part of Germany, not Heligoland."""
    assert not _assess(engine, crossing("DE", "FR", export_territory="DE-HE")).border
    assert _assess(engine, crossing("DE", "FR", export_territory="DE-HGL")).border


def test_canary_islands_cross_a_vat_border(engine: CustomsEngine) -> None:
    """ES-CN is in the customs union but outside the VAT area: a border with import VAT, no duty."""
    a = _assess(engine, crossing("ES", "DE", export_territory="ES-CN", reason=R.CHANGED_MIND))
    assert (a.border, a.union, a.duty_due_minor, a.vat_due_minor) == (True, "EU", 0, 2280)
    assert (a.customs_border, a.vat_border) == (False, True)
    # no customs exit: no export declaration even above the EUR 1,000 that needs one to CH
    dear = [item(value_minor=150_000)]
    assert "EU_export_declaration" in _codes(_assess(engine, crossing("ES", "CH"), dear))
    canary = crossing("ES", "DE", export_territory="ES-CN", reason=R.CHANGED_MIND)
    assert "EU_export_declaration" not in _codes(_assess(engine, canary, dear))


def test_busingen_is_inside_the_swiss_areas(engine: CustomsEngine) -> None:
    """DE-BSG is in the Swiss customs territory and VAT area by treaty: no border with CH either
    way; from Germany it is an import into Switzerland (Swiss VAT 8.1 %, industrial goods
    duty-free since 2024)."""
    for c in (
        crossing("DE", "CH", export_territory="DE-BSG"),
        crossing("CH", "DE", import_territory="DE-BSG"),
    ):
        assert not _assess(engine, c).border
    into = _assess(engine, crossing("DE", "DE", import_territory="DE-BSG"))
    assert (into.customs_border, into.vat_border, into.duty_due_minor) == (True, True, 0)
    assert into.vat_due_minor == 972  # 8.1 % of EUR 120.00
    assert "vat.CH" in " ".join(r.rule_id for r in into.rules)


def test_heligoland_crosses_the_customs_border(engine: CustomsEngine) -> None:
    """Heligoland is outside the EU customs territory: duty applies on entry into Germany."""
    a = _assess(engine, crossing("DE", "DE", export_territory="DE-HGL"), [item(value_minor=40_000)])
    assert (a.border, a.union) == (True, "")
    assert a.duty_due_minor == 3200  # 8% illustrative footwear rate on EUR 400.00
    assert (a.customs_border, a.vat_border) == (True, True)


def test_faroe_islands_are_outside_the_eu(engine: CustomsEngine) -> None:
    """FO -> DK is a border; imports into FO are not assessable yet and say so by field."""
    assert _assess(engine, crossing("FO", "DK", "DE")).border
    with pytest.raises(CustomsError) as raised:
        _assess(engine, crossing("DK", "FO"))
    assert raised.value.field == "crossing.import_country"


def test_eu_to_turkey_still_crosses(engine: CustomsEngine) -> None:
    """The EU-TR customs union is partial: border, import VAT and an A.TR certificate."""
    a = _assess(engine, crossing("DE", "TR", channel=Channel.FREIGHT), [item("850760", 50_000)])
    assert (a.border, a.union, a.duty_due_minor, a.vat_due_minor) == (True, "EU-TR", 0, 10_000)
    assert (a.customs_border, a.vat_border) == (True, True)  # a partial union still crosses
    assert {"ATR", "commercial_invoice"} <= _codes(a)


# -- Northern Ireland, Åland and the territories whose import rules are not tabled ----------------


def test_northern_ireland_follows_the_eu_for_goods(engine: CustomsEngine) -> None:
    """GB-NIR is in the EU customs area for goods (Windsor Framework): no border with IE either
    way, and routing sees the EU as its customs area."""
    assert engine.customs_area("GB", "GB-NIR", TODAY) == "EU"
    assert engine.customs_area("GB", "GB-ENG", TODAY) == "GB"
    for c in (
        crossing("GB", "IE", export_territory="GB-NIR"),
        crossing("IE", "GB", import_territory="GB-NIR"),
    ):
        a = _assess(engine, c)
        assert (a.border, a.union, a.documents) == (False, "EU", ())
        assert (a.customs_border, a.vat_border) == (False, False)
        assert "territory.GB-NIR.2021" in {r.rule_id for r in a.rules}


@pytest.mark.parametrize("to_territory", ["", "GB-ENG", "GB-SCT"])
def test_northern_ireland_to_great_britain_is_unfettered(
    engine: CustomsEngine, to_territory: str
) -> None:
    """Goods leaving NI for Great Britain (any ordinary part of it) cross no border: the movement
    row overrides the different customs areas and is cited."""
    c = crossing("GB", "GB", export_territory="GB-NIR", import_territory=to_territory)
    a = _assess(engine, c, [item(value_minor=90_000)])
    assert (a.border, a.duty_due_minor, a.vat_due_minor) == (False, 0, 0)
    assert "movement.GB-NIR.GB.2021" in {r.rule_id for r in a.rules}


def test_great_britain_to_northern_ireland_is_a_low_confidence_border(
    engine: CustomsEngine,
) -> None:
    """GB -> NI (conservative reading): a declaration, EU duty above EUR 150 and import VAT at the
    UK rate; the goods stay in the UK customs territory, so no UK export declaration (even for
    postal goods over GBP 2,000) and no UK reclaim route needing a customs exit."""
    record = imported("GB", date(2026, 10, 1), 20_000, 60_000, "GBP")
    c = crossing("GB", "GB", import_territory="GB-NIR", reason=R.DEFECTIVE, original_import=record)
    a = _assess(engine, c, [item("850760", 300_000, "GBP")], currency="GBP")
    assert a.border
    assert a.duty_due_minor == 12_000  # 4% (illustrative) of GBP 3,000.00 > EUR 150
    assert a.vat_due_minor == 62_400  # 20% (vat.GB) of GBP 3,120.00
    assert {"NI_movement_declaration", "commercial_invoice", "CN23"} == _codes(a)
    assert a.reclaims == ()
    assert any("C285): the goods do not leave the customs territory" in n for n in a.notes)
    assert a.confidence is Confidence.LOW
    assert "movement.GB.GB-NIR.2021" in {r.rule_id for r in a.rules}
    assert a.customs_border  # the goods enter the EU's customs area for goods


def test_goods_return_to_northern_ireland_under_eu_relief(engine: CustomsEngine) -> None:
    """An NI merchant's goods coming back from the US re-enter under the UCC relief that applies
    in NI (the origin country GB is given without its territory, as routing does), and pay the
    UK VAT rate only when the relief does not cover it."""
    c = crossing(
        "US",
        "GB",
        "GB",
        channel=Channel.COURIER,
        import_territory="GB-NIR",
        reentry=True,
        export_date=date(2026, 9, 1),
    )
    a = _assess(engine, c, [item(value_minor=40_000)])
    assert a.relief == "returned goods relief (UCC Art. 203)"
    assert (a.duty_due_minor, a.vat_due_minor) == (0, 0)
    altered = _assess(engine, c, [item(value_minor=40_000, unaltered=False)])
    assert altered.duty_due_minor == 3200  # EU footwear 8% (illustrative) of EUR 400.00
    assert altered.vat_due_minor == 8640  # UK rate 20% of EUR 432.00


def test_aland_is_a_vat_border_inside_the_customs_union(engine: CustomsEngine) -> None:
    """FI-01 (Åland) is inside the EU customs territory but outside the VAT area: Finnish import
    VAT across the tax border both ways, no duty and no customs reclaim (no customs exit)."""
    record = imported("FI", date(2026, 11, 1), 0, 3060)
    into = _assess(engine, crossing("FI", "FI", import_territory="FI-01", original_import=record))
    assert (into.border, into.union, into.duty_due_minor, into.vat_due_minor) == (
        True,
        "EU",
        0,
        3060,
    )
    assert into.reclaims == ()
    assert "vat.FI-01.2024-09-01" in {r.rule_id for r in into.rules}
    back = _assess(engine, crossing("FI", "FI", export_territory="FI-01"))
    assert (back.border, back.duty_due_minor, back.vat_due_minor) == (True, 0, 3060)
    for a in (into, back):  # a VAT border only: no customs border either way
        assert (a.customs_border, a.vat_border) == (False, True)


@pytest.mark.parametrize(
    ("territory", "union", "duty"),
    [
        ("ES-CN", "EU", 0),
        ("ES-CE", "", 3200),
        ("ES-ML", "", 3200),
        ("DE-HGL", "", 3200),
        ("DE-BSG", "", 3200),
        ("IT-LVG", "", 3200),
        ("IT-CMP", "EU", 0),
        ("GR-69", "EU", 0),
        ("FI-01", "EU", 0),
    ],
)
def test_special_territory_to_its_mainland(
    engine: CustomsEngine, territory: str, union: str, duty: int
) -> None:
    """From each special territory to its own mainland: always a border; duty (EUR 400.00 of
    footwear at 8%) only from territories outside the EU customs territory; VAT always."""
    country = territory[:2]
    c = crossing(country, country, "CN", channel=Channel.COURIER, export_territory=territory)
    a = _assess(engine, c, [item(value_minor=40_000)])
    assert (a.border, a.union, a.duty_due_minor) == (True, union, duty)
    assert a.vat_due_minor > 0
    assert f"territory.{territory}" in " ".join(r.rule_id for r in a.rules)


@pytest.mark.parametrize(
    ("c", "field", "union"),
    [
        (crossing("DK", "FO"), "crossing.import_country", ""),
        (crossing("DK", "GL"), "crossing.import_country", ""),
        (crossing("ES", "ES", import_territory="ES-CN"), "crossing.import_territory", "EU"),
        (crossing("ES", "ES", import_territory="ES-CE"), "crossing.import_territory", ""),
        (crossing("ES", "ES", import_territory="ES-ML"), "crossing.import_territory", ""),
        (crossing("DE", "DE", import_territory="DE-HGL"), "crossing.import_territory", ""),
        (crossing("IT", "IT", import_territory="IT-LVG"), "crossing.import_territory", ""),
        (crossing("IT", "IT", import_territory="IT-CMP"), "crossing.import_territory", "EU"),
        (crossing("GR", "GR", import_territory="GR-69"), "crossing.import_territory", "EU"),
    ],
)
def test_untabled_imports_still_answer_the_border(
    engine: CustomsEngine, c: Crossing, field: str, union: str
) -> None:
    """Imports whose duty/VAT rules are not tabled raise CustomsNotCovered naming the field, with
    the part that is covered: a border, the union, the documents and a note that the amounts
    (0) are not assessed."""
    with pytest.raises(CustomsNotCovered) as raised:
        _assess(engine, c)
    assert raised.value.field == field
    partial = raised.value.partial
    assert partial is not None
    assert (partial.border, partial.union) == (True, union)
    assert (partial.duty_due_minor, partial.vat_due_minor, partial.relief) == (0, 0, "")
    assert {"commercial_invoice", "CN22"} <= _codes(partial)
    assert any("not assessed" in n for n in partial.notes)


def test_untabled_imports_still_answer_the_reclaim(engine: CustomsEngine) -> None:
    """Leaving Denmark for the Faroe Islands leaves the EU customs territory: the EU invalidation
    route is answered even though the Faroese import charges are not."""
    record = imported("DK", date(2026, 10, 1), 0, 3000)
    with pytest.raises(CustomsNotCovered) as raised:
        _assess(engine, crossing("DK", "FO", original_import=record))
    partial = raised.value.partial
    assert partial is not None
    assert [(r.rule.rule_id, r.vat_minor, r.deadline) for r in partial.reclaims] == [
        ("reclaim.EU.invalidation", 3000, date(2026, 12, 30))
    ]
    assert {"original_import_entry", "EU_proof_of_export"} <= _codes(partial)


def test_customs_not_covered_pickles_with_its_partial(engine: CustomsEngine) -> None:
    """Customs errors survive pickling (process pools): field, reason and the partial answer."""
    with pytest.raises(CustomsNotCovered) as raised:
        _assess(engine, crossing("DK", "GL"))
    again = pickle.loads(pickle.dumps(raised.value))
    assert type(again) is CustomsNotCovered
    assert (again.field, again.reason, again.partial) == (
        raised.value.field,
        raised.value.reason,
        raised.value.partial,
    )
    plain = pickle.loads(pickle.dumps(CustomsError("on", "too early")))
    assert (plain.field, plain.reason) == ("on", "too early")


def test_a_country_without_rules_has_no_partial_answer(engine: CustomsEngine) -> None:
    """A valid ISO country without any rules (Peru) cannot even answer the border."""
    with pytest.raises(CustomsNotCovered) as raised:
        _assess(engine, crossing("DE", "PE"))
    assert raised.value.partial is None


# -- Norway -> Germany: relief in DE, reclaim in NO ------------------------------------------------


def test_norway_to_germany_reentry(engine: CustomsEngine) -> None:
    """Goods that came from DE re-enter duty- and VAT-free under EU RGR, and Norway's refund route
    returns the duty and VAT paid on the outbound import, with its (assumed) 90-day deadline."""
    record = imported("NO", date(2026, 10, 1), 15_000, 40_000, "NOK")
    c = crossing(
        "NO", "DE", "DE", reentry=True, export_date=date(2026, 9, 28), original_import=record
    )
    a = _assess(engine, c)
    assert (a.border, a.duty_due_minor, a.vat_due_minor) == (True, 0, 0)
    assert a.relief == "returned goods relief (UCC Art. 203)"
    (reclaim,) = a.reclaims
    assert reclaim.rule.rule_id == "reclaim.NO.refund"
    assert (reclaim.duty_minor, reclaim.vat_minor, reclaim.deadline) == (
        1271,
        3390,
        date(2026, 12, 30),
    )
    assert {"EU_proof_of_export", "NO_refund_application", "original_import_entry"} <= _codes(a)
    assert a.confidence is Confidence.LOW  # the Norwegian deadline is NOT VERIFIED


# -- de minimis ----------------------------------------------------------------------------------


def test_us_de_minimis_suspended_from_2025_08_29(engine: CustomsEngine) -> None:
    """A USD 500 US-bound return is duty-free on 2025-08-28 and dutiable on 2025-08-29."""
    c = crossing("GB", "US", "CN", channel=Channel.COURIER)
    goods = [item(value_minor=50_000, currency="USD")]
    before = _assess(engine, c, goods, date(2025, 8, 28), "USD")
    after = _assess(engine, c, goods, date(2025, 8, 29), "USD")
    assert before.duty_due_minor == 0
    assert "800.00 USD" in before.de_minimis
    assert after.duty_due_minor == 5000
    assert "de_minimis.US.2025" in after.de_minimis


@pytest.mark.parametrize(
    ("value_cad", "duty", "gst"),
    [(4000, 0, 0), (4001, 0, 200), (15000, 0, 750), (15001, 750, 788)],
)
def test_us_to_canada_courier_cusma_thresholds(
    engine: CustomsEngine, value_cad: int, duty: int, gst: int
) -> None:
    """Courier goods from the US: no tax up to CAD 40, no duty up to CAD 150 (CUSMA), inclusive."""
    c = crossing("US", "CA", "CN", channel=Channel.COURIER)
    a = _assess(engine, c, [item("420222", value_cad, "CAD")], currency="CAD")
    assert (a.duty_due_minor, a.vat_due_minor) == (duty, gst)
    assert "de_minimis.CA.CUSMA" in a.de_minimis


def test_canada_postal_uses_cad_20(engine: CustomsEngine) -> None:
    """Postal shipments get only the CAD 20 threshold, whatever their origin."""
    c = crossing("US", "CA", "CN", channel=Channel.POSTAL)
    a = _assess(engine, c, [item("420222", 3000, "CAD")], currency="CAD")
    assert a.duty_due_minor > 0
    assert "de_minimis.CA.LVS" in a.de_minimis


def test_eu_flat_duty_per_category_from_2026_07_01(engine: CustomsEngine) -> None:
    """Under EUR 150 the EU charged no duty until 2026-06-30, and EUR 3 per item category after."""
    c = crossing("CN", "DE", "CN", channel=Channel.COURIER)
    goods = [item("420222", 5000), item("640399", 4000), item("640399", 1000)]
    assert _assess(engine, c, goods, date(2026, 6, 30)).duty_due_minor == 0
    assert _assess(engine, c, goods, date(2026, 7, 1)).duty_due_minor == 600  # 2 categories


# -- documents -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("value_eur", "code"), [(35_128, "CN22"), (35_129, "CN23")])
def test_cn22_below_300_sdr_cn23_from_300(engine: CustomsEngine, value_eur: int, code: str) -> None:
    """EUR 351.28 is 299.99 SDR (CN22); EUR 351.29 is 300.00 SDR (CN23) at 0.8540 SDR/EUR."""
    a = _assess(engine, crossing("DE", "GB", "CN"), [item("850760", value_eur)])
    assert code in _codes(a)
    assert ({"CN22", "CN23"} - {code}).isdisjoint(_codes(a))


def test_courier_returns_need_no_cn22(engine: CustomsEngine) -> None:
    """CN22/CN23 are UPU postal forms; a courier crossing carries the commercial invoice."""
    a = _assess(engine, crossing("DE", "GB", "CN", channel=Channel.COURIER))
    assert _codes(a) == {"commercial_invoice"}


def test_eu_export_declaration_above_eur_1000(engine: CustomsEngine) -> None:
    """Leaving the EU with more than EUR 1,000 needs an export declaration; EUR 1,000 does not."""
    c = crossing("DE", "GB", "CN", channel=Channel.COURIER)
    assert "EU_export_declaration" not in _codes(_assess(engine, c, [item("850760", 100_000)]))
    assert "EU_export_declaration" in _codes(_assess(engine, c, [item("850760", 100_001)]))


# -- reclaims ------------------------------------------------------------------------------------


def _fr_to_us(reason: ReturnReason, imported_on: date, on: date, value: int = 12_000) -> Assessment:
    record = imported("FR", imported_on, 3000, 6000)
    c = crossing("FR", "US", "US", channel=Channel.COURIER, reason=reason, original_import=record)
    return customs.assess(c, [item(value_minor=value)], on, currency="EUR")


def test_invalidation_deadline_is_90_days() -> None:
    """The EU invalidation route (<= EUR 150) closes 90 days after the import: open on day 90."""
    open_day = _fr_to_us(R.CHANGED_MIND, date(2026, 9, 1), date(2026, 11, 30))
    assert [(r.rule.rule_id, r.deadline) for r in open_day.reclaims] == [
        ("reclaim.EU.invalidation", date(2026, 11, 30))
    ]
    assert (open_day.reclaims[0].duty_minor, open_day.reclaims[0].vat_minor) == (3000, 6000)
    assert _fr_to_us(R.CHANGED_MIND, date(2026, 9, 1), date(2026, 12, 1)).reclaims == ()


def test_art118_deadline_is_one_year_and_only_for_rejected_goods() -> None:
    """Art. 118 repays duty (not VAT) for defective goods in 1 year, not for a change of mind."""
    defective = _fr_to_us(R.DEFECTIVE, date(2026, 1, 10), date(2027, 1, 10), value=30_000)
    (reclaim,) = defective.reclaims
    assert (reclaim.rule.rule_id, reclaim.deadline, reclaim.vat_minor) == (
        "reclaim.EU.art118",
        date(2027, 1, 10),
        0,
    )
    assert _fr_to_us(R.DEFECTIVE, date(2026, 1, 10), date(2027, 1, 11), value=30_000).reclaims == ()
    assert (
        _fr_to_us(R.CHANGED_MIND, date(2026, 1, 10), date(2026, 6, 1), value=30_000).reclaims == ()
    )


def test_the_best_of_several_routes_is_counted_and_the_others_noted() -> None:
    """Defective goods <= EUR 150 within 90 days qualify for Art. 118 (duty) and invalidation (duty
    and VAT): only the larger invalidation claim is counted, so nothing is refunded twice."""
    record = imported("FR", date(2026, 10, 1), 1500, 2400)
    c = crossing(
        "FR", "US", "CN", channel=Channel.COURIER, reason=R.DEFECTIVE, original_import=record
    )
    a = customs.assess(c, [item()], TODAY, currency="EUR")
    assert [(r.rule.rule_id, r.duty_minor, r.vat_minor) for r in a.reclaims] == [
        ("reclaim.EU.invalidation", 1500, 2400)
    ]
    assert any("alternative reclaim route (not counted): EU UCC Art. 118" in n for n in a.notes)


def test_us_drawback_deadline_is_five_years(engine: CustomsEngine) -> None:
    """US drawback returns 99% of the duty paid, until 5 years after the import."""
    record = imported("US", date(2022, 3, 15), 4000, 0, "USD")
    c = crossing("US", "GB", "CN", channel=Channel.COURIER, original_import=record)
    (reclaim,) = _assess(engine, c, on=date(2027, 3, 15), currency="USD").reclaims
    assert (reclaim.duty_minor, reclaim.deadline, reclaim.claimant) == (
        3960,
        date(2027, 3, 15),
        Claimant.IMPORTER_OF_RECORD,
    )
    assert _assess(engine, c, on=date(2027, 3, 16), currency="USD").reclaims == ()


def test_no_customs_reclaim_without_leaving_the_customs_territory(engine: CustomsEngine) -> None:
    """Leaving the Canary Islands for Germany does not leave the EU customs territory."""
    record = imported("ES", date(2026, 11, 1), 500, 700)
    c = crossing("ES", "DE", export_territory="ES-CN", reason=R.DEFECTIVE, original_import=record)
    a = _assess(engine, c)
    assert a.border
    assert a.reclaims == ()
    assert any("do not leave the customs territory" in n for n in a.notes)


def test_vat_collected_at_checkout_goes_back_through_the_seller(engine: CustomsEngine) -> None:
    """IOSS VAT is refunded via the seller's VAT return; customs routes then return duty only."""
    record = imported("FR", date(2026, 11, 1), 300, 2400, at_checkout=True)
    c = crossing(
        "FR", "US", "CN", channel=Channel.COURIER, reason=R.DEFECTIVE, original_import=record
    )
    reclaims = {r.claimant: r for r in _assess(engine, c).reclaims}
    assert (reclaims[Claimant.DECLARANT].duty_minor, reclaims[Claimant.DECLARANT].vat_minor) == (
        300,
        0,
    )
    assert (reclaims[Claimant.SELLER].vat_minor, reclaims[Claimant.SELLER].deadline) == (
        2400,
        date(2026, 11, 30),
    )


# -- relief and bonded destinations ---------------------------------------------------------------


def test_relief_assumes_the_import_date_when_the_export_date_is_unknown(
    engine: CustomsEngine,
) -> None:
    """Without crossing.export_date the original import date stands in, and a note says so."""
    record = imported("NO", date(2026, 10, 1), 0, 0, "NOK")
    a = _assess(engine, crossing("NO", "DE", "DE", reentry=True, original_import=record))
    assert a.relief
    assert any("taken as the export date" in n for n in a.notes)


def test_relief_needs_some_export_date(engine: CustomsEngine) -> None:
    """With no export date and no original import the time limit cannot be shown: no relief."""
    a = _assess(engine, crossing("NO", "DE", "DE", reentry=True), [item(value_minor=40_000)])
    assert a.relief == ""
    assert a.duty_due_minor > 0


def test_bonded_destination_pays_nothing_on_entry(engine: CustomsEngine) -> None:
    """Goods entering a customs warehouse owe no duty or VAT yet; a note says when they will."""
    a = _assess(
        engine,
        crossing("CN", "NL", channel=Channel.COURIER, bonded_destination=True),
        [item(value_minor=90_000)],
    )
    assert (a.border, a.duty_due_minor, a.vat_due_minor) == (True, 0, 0)
    assert "principle.bonded" in {r.rule_id for r in a.rules}
    assert any("released for free circulation" in n for n in a.notes)


# -- traceability and confidence -----------------------------------------------------------------


def test_amounts_trace_to_cited_rules(engine: CustomsEngine) -> None:
    """Duty cites a de minimis and a duty-rate row, VAT a VAT row, each reclaim and document its
    row, and the assessment is as confident as its weakest cited row."""
    record = imported("FR", date(2026, 1, 10), 3000, 6000)
    c = crossing(
        "FR", "GB", "CN", channel=Channel.POSTAL, reason=R.DEFECTIVE, original_import=record
    )
    a = _assess(engine, c, [item(value_minor=30_000)])
    cited = {r.rule_id for r in a.rules}
    assert a.duty_due_minor > 0
    assert {"de_minimis.GB.2021", "duty_rate.GB.footwear"} <= cited
    assert a.vat_due_minor > 0
    assert "vat.GB.2021-07-01" in cited
    assert a.reclaims
    assert all(r.rule.rule_id in cited for r in a.reclaims)
    assert all(d.rule.rule_id in cited for d in a.documents)
    assert a.confidence is weakest([r.confidence for r in a.rules]) is Confidence.LOW


def test_fx_conversions_are_reported(engine: CustomsEngine) -> None:
    """Every currency conversion the assessment made is listed with its rate, date and source."""
    a = _assess(engine, crossing("DE", "GB", "CN"), [item("850760", 34_000)])
    assert {(f.from_currency, f.to_currency) for f in a.fx} == {("EUR", "GBP"), ("EUR", "XDR")}
    assert all(f.source_id.startswith("FX") and f.rate_date <= TODAY for f in a.fx)


@pytest.mark.parametrize(
    ("c", "field"),
    [
        (crossing("DK", "FO"), "crossing.import_country"),
        (crossing("DE", "ES", import_territory="ES-CN"), "crossing.import_territory"),
        (crossing("DE", "DE", import_territory="DE-HGL"), "crossing.import_territory"),
        (crossing("DE", "PE"), "crossing.import_country"),
    ],
)
def test_coverage_gaps_are_customs_not_covered(
    engine: CustomsEngine, c: Crossing, field: str
) -> None:
    """Valid input the tables do not cover yet raises CustomsNotCovered (still a CustomsError), so
    routing can drop the option instead of rejecting the request."""
    with pytest.raises(CustomsNotCovered) as raised:
        _assess(engine, c)
    assert raised.value.field == field


def test_malformed_input_is_not_a_coverage_gap(engine: CustomsEngine) -> None:
    """A code that is not ISO 3166-1 is bad input, not a gap in coverage."""
    with pytest.raises(CustomsError) as raised:
        _assess(engine, crossing("DE", "XX"))
    assert not isinstance(raised.value, CustomsNotCovered)


@pytest.mark.parametrize(
    ("country", "territory", "area"),
    [
        ("DE", "", "EU"),
        ("MC", "", "EU"),
        ("DE", "DE-HE", "EU"),
        ("ES", "ES-CN", "EU"),
        ("DE", "DE-HGL", "DE-HGL"),
        ("GB", "", "GB"),
        ("RU", "", "EAEU"),
    ],
)
def test_customs_area(engine: CustomsEngine, country: str, territory: str, area: str) -> None:
    """customs_area() tells routing which customs territory a place is in (for Crossing.reentry)."""
    assert engine.customs_area(country, territory, TODAY) == area


# -- the entry points -----------------------------------------------------------------------------


def test_module_assess_uses_the_cached_default_engine(engine: CustomsEngine) -> None:
    """customs.assess delegates to default_engine(), which is built once per process."""
    assert customs.default_engine() is engine
    c = crossing("DE", "GB", "CN")
    assert customs.assess(c, [item()], TODAY, currency="EUR") == engine.assess(
        c, [item()], TODAY, currency="EUR"
    )


def test_engine_satisfies_the_assessor_protocol(engine: CustomsEngine) -> None:
    """Routing can hold the engine as a CustomsAssessor."""
    assessor: CustomsAssessor = engine
    assert assessor.assess(crossing("DE", "FR"), [item()], TODAY, currency="EUR").union == "EU"


def test_assess_reads_no_files_and_no_code_lists(
    engine: CustomsEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Once built, an assessment opens no file and queries no pycountry list (hot-path rule)."""

    def forbidden(*args: object, **kwargs: object) -> None:
        raise AssertionError("IO or a code-list lookup on the hot path")

    monkeypatch.setattr(builtins, "open", forbidden)
    monkeypatch.setattr("customs.tables.read_document", forbidden)
    monkeypatch.setattr("pycountry.countries.get", forbidden)
    monkeypatch.setattr("pycountry.subdivisions.get", forbidden)
    record = imported("NO", date(2026, 10, 1), 15_000, 40_000, "NOK")
    c = crossing(
        "NO", "DE", "DE", reentry=True, export_date=date(2026, 9, 28), original_import=record
    )
    assert _assess(engine, c).reclaims


# -- validation -----------------------------------------------------------------------------------


_GOOD = crossing("DE", "GB", "GB")


@pytest.mark.parametrize(
    ("c", "items", "on", "currency", "field"),
    [
        (_GOOD, [item("64039")], TODAY, "EUR", "items[0].hs_code"),
        (_GOOD, [item("64o399")], TODAY, "EUR", "items[0].hs_code"),
        (_GOOD, [item("00039900")], TODAY, "EUR", "items[0].hs_code"),
        (_GOOD, [item(), item(value_minor=-1)], TODAY, "EUR", "items[1].value_minor"),
        (_GOOD, [item(quantity=0)], TODAY, "EUR", "items[0].quantity"),
        (_GOOD, [item(currency="ABC")], TODAY, "EUR", "items[0].currency"),
        (_GOOD, [], TODAY, "EUR", "items"),
        (_GOOD, [item()], TODAY, "ABC", "currency"),
        (_GOOD, [item()], date(2021, 6, 30), "EUR", "on"),
        (_GOOD, [item()], datetime(2026, 11, 22, 10, 0), "EUR", "on"),
        (crossing("DE", "XX"), [item()], TODAY, "EUR", "crossing.import_country"),
        (crossing("de", "GB"), [item()], TODAY, "EUR", "crossing.export_country"),
        (crossing("DE", "PE"), [item()], TODAY, "EUR", "crossing.import_country"),
        (crossing("DE", "GB", "ZZ"), [item()], TODAY, "EUR", "crossing.goods_origin_country"),
        (
            crossing("DE", "GB", export_territory="ES-CN"),
            [item()],
            TODAY,
            "EUR",
            "crossing.export_territory",
        ),
        (
            crossing("DE", "GB", export_territory="DE-ZZ"),
            [item()],
            TODAY,
            "EUR",
            "crossing.export_territory",
        ),
        (
            crossing("DE", "GB", export_date=date(2026, 12, 1)),
            [item()],
            TODAY,
            "EUR",
            "crossing.export_date",
        ),
        (crossing("DE", "GB", "US", reentry=True), [item()], TODAY, "EUR", "crossing.reentry"),
        (
            crossing("DE", "GB", original_import=imported("US", date(2026, 1, 1), 0, 0)),
            [item()],
            TODAY,
            "EUR",
            "crossing.original_import.country",
        ),
        (
            crossing("DE", "GB", original_import=imported("DE", date(2026, 12, 1), 0, 0)),
            [item()],
            TODAY,
            "EUR",
            "crossing.original_import.import_date",
        ),
        (
            crossing("DE", "GB", original_import=imported("DE", date(2026, 1, 1), -1, 0)),
            [item()],
            TODAY,
            "EUR",
            "crossing.original_import.duty_paid_minor",
        ),
        (
            crossing("DE", "ES", import_territory="ES-CN"),
            [item()],
            TODAY,
            "EUR",
            "crossing.import_territory",
        ),
    ],
)
def test_bad_input_raises_customs_error_naming_the_field(
    engine: CustomsEngine,
    c: Crossing,
    items: list[CustomsItem],
    on: date,
    currency: str,
    field: str,
) -> None:
    """Invalid input is a CustomsError whose ``field`` names the offending input."""
    with pytest.raises(CustomsError) as raised:
        engine.assess(c, items, on, currency=currency)
    assert raised.value.field == field
    assert raised.value.reason


# -- checkout-VAT schemes on the assessed crossing (checkout.toml) -------------------------------


@pytest.mark.parametrize(
    ("into", "value", "currency", "scheme"),
    [
        ("GB", 13_500, "GBP", "checkout.GB.low-value"),  # <= GBP 135, the limit itself
        ("DE", 15_000, "EUR", "checkout.EU.ioss"),  # <= EUR 150
        ("AU", 90_000, "AUD", "checkout.AU.lvg"),
        ("NZ", 90_000, "NZD", "checkout.NZ.lvg"),
        ("SG", 39_000, "SGD", "checkout.SG.ovr"),
    ],
)
def test_a_crossing_under_a_checkout_scheme_pays_no_import_vat(
    engine: CustomsEngine, into: str, value: int, currency: str, scheme: str
) -> None:
    """Entering under the import side's scheme, within its limit: no import VAT at the border
    (the seller charged it), the scheme cited; the same crossing without it pays import VAT."""
    goods = [item("610910", value, currency)]
    plain = _assess(engine, crossing("CN", into, "CN"), goods, currency=currency)
    assert plain.vat_due_minor > 0
    a = _assess(engine, crossing("CN", into, "CN", vat_at_checkout=True), goods, currency=currency)
    assert a.vat_due_minor == 0
    assert scheme in {r.rule_id for r in a.rules}
    assert any("collected at checkout" in n for n in a.notes)
    assert a.duty_due_minor == plain.duty_due_minor  # these schemes leave duty to the tariff


def test_over_the_schemes_limit_import_vat_is_charged_and_the_note_says_why(
    engine: CustomsEngine,
) -> None:
    """GBP 135.01 is over the UK scheme: VAT at the border, the scheme not cited."""
    goods = [item("610910", 13_501, "GBP")]
    a = _assess(engine, crossing("CN", "GB", "CN", vat_at_checkout=True), goods, currency="GBP")
    assert a.vat_due_minor > 0
    assert "checkout.GB.low-value" not in {r.rule_id for r in a.rules}
    assert any("outside UK VAT charged at sale" in n for n in a.notes)


def test_voec_is_per_item_and_exempts_duty(engine: CustomsEngine) -> None:
    """VOEC: each unit < NOK 3,000, and VOEC goods are duty-free too. Two units of NOK 2,000
    (NOK 4,000 in all) qualify; one unit of NOK 3,000 does not."""
    cheap = [item("610910", 200_000, "NOK", quantity=2)]
    a = _assess(engine, crossing("SE", "NO", "SE", vat_at_checkout=True), cheap, currency="NOK")
    assert (a.duty_due_minor, a.vat_due_minor) == (0, 0)
    assert "checkout.NO.voec" in {r.rule_id for r in a.rules}
    plain = _assess(engine, crossing("SE", "NO", "SE"), cheap, currency="NOK")
    assert plain.duty_due_minor > 0
    dear = [item("610910", 300_000, "NOK")]
    b = _assess(engine, crossing("SE", "NO", "SE", vat_at_checkout=True), dear, currency="NOK")
    assert b.duty_due_minor > 0
    assert b.vat_due_minor > 0
    assert any("items[0] is outside Norway VOEC" in n for n in b.notes)


def test_no_checkout_scheme_tabled_is_said(engine: CustomsEngine) -> None:
    """Switzerland has no checkout scheme in the tables: import VAT is charged, and said so."""
    goods = [item("610910", 4_000, "CHF")]
    a = _assess(engine, crossing("DE", "CH", "DE", vat_at_checkout=True), goods, currency="CHF")
    assert a.vat_due_minor > 0
    assert any("CH has no checkout-VAT scheme in the tables" in n for n in a.notes)
