"""The rule tables themselves: sources, coverage, confidence discipline and loader strictness."""

from __future__ import annotations

import json
import shutil
from datetime import date, timedelta
from pathlib import Path

import pycountry
import pytest

from customs import (
    Channel,
    Confidence,
    CustomsError,
    FxTable,
    RuleBook,
    RuleDataError,
    load_rulebook,
)
from customs.engine import CustomsEngine
from customs.rows import DocumentType, Jurisdiction, in_force
from tests.customs.customs_builders import TODAY, crossing, item

# Rows that mention NOT VERIFIED / CONFLICT yet are not low, each for a stated reason.
NOT_LOW_ON_PURPOSE = {
    # The fact base (S41) states "no border" between EAEU members; only the explanation of
    # where intra-EAEU VAT is paid is unverified.
    "union.EAEU.2021",
    # A newer legal act (Reg. 2019/474, source T01) supersedes the stale S21 summary.
    "territory.IT-CMP.2020",
    # The unverified part (the ~EUR 2 handling fee) is not modelled at all.
    "de_minimis.EU.2026",
}
SAMPLE_CHAPTERS = (1, 22, 24, 25, 33, 42, 61, 62, 64, 71, 85, 97)


def _all_rows(book: RuleBook) -> list[object]:
    return [
        *book.unions,
        *book.territories,
        *book.vat,
        *book.de_minimis,
        *book.duty_rates,
        *book.reliefs,
        *book.reclaims,
        *book.document_rules,
        *book.principles.values(),
        *book.movements,
    ]


def _boundaries(book: RuleBook, start: date) -> list[date]:
    """Every day on which some row starts or stops applying, from ``start``."""
    days = {start}
    for rule in book.rules():
        days.add(rule.effective_from)
        if rule.effective_to is not None:
            days.add(rule.effective_to + timedelta(days=1))
    return sorted(d for d in days if d >= start)


def _import_regimes(book: RuleBook) -> dict[str, str]:
    """Assessable country -> the regime its import rules are keyed by."""
    eu = next(u for u in book.unions if u.code == "EU")
    return {
        code: "EU" if code in eu.members else code
        for code, j in book.jurisdictions.items()
        if j.imports_assessable
    }


def test_every_rule_row_cites_known_sources(rulebook: RuleBook) -> None:
    """Every dated rule row has at least one source id, and every id is in sources.toml."""
    rules = list(rulebook.rules())
    assert len(rules) > 200
    for rule in rules:
        assert rule.source_ids, rule.rule_id
        assert set(rule.source_ids) <= set(rulebook.sources), rule.rule_id


def test_registry_rows_cite_known_sources(rulebook: RuleBook, fx: FxTable) -> None:
    """Countries, document types, currencies and FX rows cite ids from sources.toml too."""
    known = set(rulebook.sources)
    registry: list[Jurisdiction | DocumentType] = [
        *rulebook.jurisdictions.values(),
        *rulebook.document_types.values(),
    ]
    for row in registry:
        assert row.sources, row
        assert set(row.sources) <= known, row
    assert {c.source for c in fx.currency_rows} <= known
    assert {r.source_id for r in fx.rates} <= known


def test_rule_ids_are_unique(rulebook: RuleBook) -> None:
    """No two rule rows share an id (a RuleRef must identify one row)."""
    ids = [rule.rule_id for rule in rulebook.rules()]
    assert len(ids) == len(set(ids))


def test_source_registry_matches_the_fact_base(rulebook: RuleBook, fact_base_path: Path) -> None:
    """S01..S47 are copied from the shared fact base with the same titles and URLs."""
    if not fact_base_path.exists():
        pytest.skip(f"fact base not present at {fact_base_path}")
    facts = json.loads(fact_base_path.read_text(encoding="utf-8"))["sources"]
    for sid, src in facts.items():
        assert rulebook.sources[sid].title == src["title"], sid
        assert rulebook.sources[sid].url == src["url"], sid


def test_unverified_or_conflicting_rows_are_low(rulebook: RuleBook) -> None:
    """A row that says NOT VERIFIED or CONFLICT is low confidence, unless listed with a reason."""
    offenders = []
    for row in _all_rows(rulebook):
        rule, note = row.rule, row.note  # type: ignore[attr-defined]
        text = f"{rule.legal_basis} {note}".upper()
        unsure = "NOT VERIFIED" in text or "CONFLICT" in text
        if (
            unsure
            and rule.confidence is not Confidence.LOW
            and rule.rule_id not in NOT_LOW_ON_PURPOSE
        ):
            offenders.append(rule.rule_id)
    assert offenders == []


def test_illustrative_rows_are_low(rulebook: RuleBook) -> None:
    """Rows citing an illustrative source (TAR01, the MFN stand-ins) are low confidence."""
    for rule in rulebook.rules():
        if "TAR01" in rule.source_ids:
            assert rule.confidence is Confidence.LOW, rule.rule_id


def test_import_rules_cover_every_day(engine: CustomsEngine, rulebook: RuleBook) -> None:
    """From the table start, every assessable regime has a VAT rate, a de minimis row and a base
    duty rate for every origin, channel and sampled HS chapter on every boundary day."""
    regimes = _import_regimes(rulebook)
    origins = sorted({o for d in rulebook.de_minimis for o in d.origins} | {"JP", "DE", "BR"})
    gaps = []
    for day in _boundaries(rulebook, engine.coverage_start):
        for country, regime in regimes.items():
            if not any(v.area == country and in_force(v.rule, day) for v in rulebook.vat):
                gaps.append(f"vat {country} {day}")
            for origin in origins:
                for channel in Channel:
                    if not any(
                        d.regime == regime
                        and in_force(d.rule, day)
                        and (not d.origins or origin in d.origins)
                        and (not d.channels or channel in d.channels)
                        for d in rulebook.de_minimis
                    ):
                        gaps.append(f"de minimis {regime} {origin} {channel.value} {day}")
                    for chapter in SAMPLE_CHAPTERS:
                        if not any(
                            r.regime == regime
                            and not r.additional
                            and in_force(r.rule, day)
                            and r.covers(chapter)
                            and (not r.origins or origin in r.origins)
                            and (not r.channels or channel in r.channels)
                            for r in rulebook.duty_rates
                        ):
                            gaps.append(f"duty {regime} ch{chapter} {origin} {channel.value} {day}")
    assert gaps[:10] == []


def test_every_regime_states_relief_and_reclaims(rulebook: RuleBook) -> None:
    """Each assessable regime says what happens on re-entry and on leaving (even 'not verified')."""
    regimes = set(_import_regimes(rulebook).values())
    assert regimes <= {r.regime for r in rulebook.reliefs}
    assert regimes <= {r.regime for r in rulebook.reclaims}
    assert len(regimes) >= 20  # EU (27 member states + MC) and 19 other regimes


def test_eu_members_all_have_a_vat_rate_today(rulebook: RuleBook) -> None:
    """Every member of the EU customs territory (incl. Monaco) has a VAT rate in force today."""
    eu = next(u for u in rulebook.unions if u.code == "EU")
    assert len(eu.members) == 28
    assert "MC" in eu.members
    assert "GB" not in eu.members
    for country in eu.members:
        assert any(v.area == country and in_force(v.rule, TODAY) for v in rulebook.vat), country


def test_territory_codes_are_iso_or_private(rulebook: RuleBook) -> None:
    """Special territories use ISO 3166-2 codes where they exist and private three-letter suffixes
    otherwise; DE-HE (Hessen) is not one of them."""
    iso = {s.code for s in pycountry.subdivisions}
    for territory in rulebook.territories:
        suffix = territory.code.split("-", 1)[1]
        assert territory.code in iso or (len(suffix) == 3 and territory.code not in iso)
    codes = {t.code: t for t in rulebook.territories}
    assert "DE-HE" not in codes
    assert codes["DE-HGL"].in_customs_territory is False
    assert codes["ES-CN"].in_customs_territory
    assert not codes["ES-CN"].in_vat_area


def test_special_territories_have_their_status(rulebook: RuleBook) -> None:
    """Each special territory the fact base names (plus Åland and Northern Ireland) is tabled with
    its customs and VAT status; Faroe Islands and Greenland are countries outside the EU."""
    status = {
        t.code: (t.in_customs_territory, t.in_vat_area, t.goods_area) for t in rulebook.territories
    }
    assert status == {
        "ES-CN": (True, False, ""),
        "ES-CE": (False, False, ""),
        "ES-ML": (False, False, ""),
        "GR-69": (True, False, ""),
        "DE-HGL": (False, False, ""),
        "DE-BSG": (False, False, ""),
        "IT-LVG": (False, False, ""),
        "IT-CMP": (True, False, ""),
        "FI-01": (True, False, ""),
        "GB-NIR": (True, True, "EU"),
    }
    eu = next(u for u in rulebook.unions if u.code == "EU")
    assert {"FO", "GL"} <= set(rulebook.jurisdictions)
    assert not {"FO", "GL", "GB"} & eu.members
    moves = {(m.origin, m.destination): m for m in rulebook.movements}
    assert set(moves) == {("GB-NIR", "GB"), ("GB", "GB-NIR")}
    assert not moves["GB-NIR", "GB"].border
    into_ni = moves["GB", "GB-NIR"]
    assert into_ni.border
    assert not into_ni.leaves_customs_territory
    assert not into_ni.relief
    assert into_ni.rule.confidence is Confidence.LOW  # the conservative reading


def test_sources_without_a_url_describe_themselves(rulebook: RuleBook) -> None:
    """reroute's own sources may omit the URL (legal acts cited by description) but then say what
    they are and that they were not re-read; the fact base's sources all have one."""
    for source in rulebook.sources.values():
        assert source.title.strip(), source.id
        if not source.url:
            assert not source.id.startswith("S"), source.id
            assert "not re-read" in source.kind, source.id


def test_minor_unit_exponents(fx: FxTable) -> None:
    """ISO 4217 exponents: JPY and KRW have no minor unit, the Gulf dinars three, most two."""
    assert (fx.exponent("JPY"), fx.exponent("KRW")) == (0, 0)
    assert (fx.exponent("KWD"), fx.exponent("BHD")) == (3, 3)
    assert (fx.exponent("EUR"), fx.exponent("USD"), fx.exponent("XDR")) == (2, 2, 2)


def test_every_country_has_its_currencies_with_exponents_and_fx_rows(
    rulebook: RuleBook, fx: FxTable
) -> None:
    """Walk the countries: each lists its ISO 4217 currencies, and each of those has an exponent
    in currencies.toml and at least one dated FX row citing a known source."""
    exponents = {c.code: c.exponent for c in fx.currency_rows}
    quoted = {r.quote for r in fx.rates} | {fx.pivot}
    for code, country in rulebook.jurisdictions.items():
        assert country.currencies, code
        for currency in country.currencies:
            assert currency in exponents, (code, currency)
            assert currency in quoted, (code, currency)
            assert currency in fx.currencies, (code, currency)
            assert fx.first_date(currency) <= TODAY, (code, currency)


@pytest.mark.parametrize(
    ("union", "currencies"),
    [
        ("EAEU", {"AMD", "BYN", "KZT", "KGS", "RUB"}),
        ("GCC", {"AED", "BHD", "KWD", "OMR", "QAR", "SAR"}),
        ("SACU", {"BWP", "LSL", "NAD", "SZL", "ZAR"}),
        ("MERCOSUR", {"ARS", "BRL", "PYG", "UYU"}),
    ],
)
def test_union_members_currencies_are_tabled(
    rulebook: RuleBook, fx: FxTable, union: str, currencies: set[str]
) -> None:
    """EAEU, GCC, SACU and Mercosur members name their own currencies, all convertible."""
    unions = {u.code.upper(): u for u in rulebook.unions}
    members = unions[union].members
    named = {c for m in members for c in rulebook.jurisdictions[m].currencies}
    assert currencies <= named
    assert currencies <= fx.currencies


def test_iso_4217_exponents_of_the_added_currencies(fx: FxTable) -> None:
    """The guarani has no minor unit; the other currencies added for the unions have two."""
    assert fx.exponent("PYG") == 0
    for code in ("AMD", "BYN", "KZT", "KGS", "RUB", "QAR", "BWP", "LSL", "NAD", "SZL", "ARS"):
        assert fx.exponent(code) == 2, code
    assert fx.exponent("UYU") == 2


def test_pegged_currencies_follow_their_anchor(fx: FxTable) -> None:
    """QAR is 3.64 per USD (Amiri Decree 34/2001); LSL, NAD and SZL are at par with the rand."""
    for on in (date(2021, 7, 1), date(2023, 1, 2), date(2024, 1, 2), date(2025, 7, 1), TODAY):
        assert fx.convert(100_00, "USD", "QAR", on).amount_to_minor == 364_00
        for code in ("LSL", "NAD", "SZL"):
            assert fx.convert(100_00, "ZAR", code, on).amount_to_minor == 100_00


def test_a_conversion_before_a_currency_starts_names_on(fx: FxTable) -> None:
    """KZT starts at its first sourced row (2023-07-01): a day earlier is an error naming `on`."""
    first = fx.first_date("KZT")
    assert first == date(2023, 7, 1)
    assert fx.convert(1000_00, "KZT", "EUR", first).amount_to_minor > 0
    with pytest.raises(CustomsError) as raised:
        fx.convert(1000_00, "KZT", "EUR", first - timedelta(days=1))
    assert raised.value.field == "on"
    assert "2023-07-01" in str(raised.value)


def test_a_late_currency_does_not_move_the_tables_start(engine: CustomsEngine) -> None:
    """The tables still start 2021-07-01 although KZT, AMD, ... start later; an item in KZT
    before KZT's first row is an error naming `on` and the item, and is assessed from that day."""
    assert engine.coverage_start == date(2021, 7, 1)
    assert engine.assess(crossing("CN", "DE"), [item()], date(2021, 7, 1), currency="EUR")
    kzt = [item(value_minor=5_000_000, currency="KZT")]
    with pytest.raises(CustomsError) as raised:
        engine.assess(crossing("CN", "DE"), kzt, date(2023, 6, 30), currency="EUR")
    assert raised.value.field == "on"
    assert "KZT" in raised.value.reason
    assert "items[0]" in raised.value.reason
    answer = engine.assess(crossing("CN", "DE"), kzt, date(2023, 7, 1), currency="EUR")
    assert answer.currency == "EUR"


# -- the loader rejects bad tables ---------------------------------------------------------------


def _copy(data_dir: Path, tmp_path: Path) -> Path:
    target = tmp_path / "data"
    shutil.copytree(data_dir, target)
    return target


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_packaged_tables_load(data_dir: Path, fx: FxTable, tmp_path: Path) -> None:
    """An unmodified copy of the tables loads (the rejections below are about the edits)."""
    assert load_rulebook(fx, _copy(data_dir, tmp_path)).vat


@pytest.mark.parametrize(
    ("filename", "old", "new", "where"),
    [
        ("vat.toml", 'sources = ["S20"]', "sources = []", "vat.toml vat[0]"),
        (
            "de_minimis.toml",
            'sources = ["S16", "S18", "S19"]',
            "sources = []",
            "de_minimis.EU.2021",
        ),
        ("reclaims.toml", 'sources = ["S14", "S15", "S23"]', "sources = []", "reclaim.EU.art118"),
    ],
)
def test_a_row_without_a_source_fails_to_load(
    data_dir: Path, fx: FxTable, tmp_path: Path, filename: str, old: str, new: str, where: str
) -> None:
    """A rule row with an empty source list is rejected, naming the row and the key."""
    directory = _copy(data_dir, tmp_path)
    _edit(directory / filename, old, new)
    with pytest.raises(RuleDataError) as raised:
        load_rulebook(fx, directory)
    assert where in raised.value.where
    assert raised.value.where.endswith("sources")


@pytest.mark.parametrize(
    ("filename", "old", "new", "message"),
    [
        ("vat.toml", 'sources = ["S20"]', 'sources = ["S99"]', "unknown source id"),
        ("vat.toml", "rate_bp = 1900", "rate_pb = 1900", "rate_bp: is required"),
        ("relief.toml", "covers_vat = true", "cover_vat = true", "unknown keys"),
        ("de_minimis.toml", "effective_to = 2026-06-30", "effective_to = 2026-07-31", "overlap"),
        ("reclaims.toml", 'claim_within = "P90D"', 'claim_within = "90 days"', "ISO 8601"),
        ("relief.toml", 'documents = ["US_CBP_3311"]', 'documents = ["CBP3311"]', "document"),
        ("duty_rates.toml", 'chapters = ["64"]', 'chapters = ["98"]', "chapters"),
        ("territories.toml", 'goods_area = "EU"', 'goods_area = "EUX"', "unknown full union"),
        ("territories.toml", 'to = "GB-NIR"', 'to = "GB-XYZ"', "unknown territory"),
        ("territories.toml", 'to = "GB-NIR"', 'to = "IE"', "inside one country"),
        (
            "territories.toml",
            'from = "GB-NIR"',
            'from = "GB-NIR"\nrelief = false',
            "without a border",
        ),
        ("territories.toml", "relief = false", 'relief = "no"', "expected bool"),
        ("documents.toml", 'sources = ["T05", "T04"]', 'sources = ["T99"]', "unknown source"),
        ("countries.toml", 'currencies = ["KZT"]', 'currencies = ["KZX"]', "no FX rates"),
        ("countries.toml", 'currencies = ["KZT"]', "currencies = []", "at least one ISO 4217"),
        ("countries.toml", 'currencies = ["KZT"]\n', "", "currencies: is required"),
    ],
)
def test_malformed_rows_fail_to_load(
    data_dir: Path, fx: FxTable, tmp_path: Path, filename: str, old: str, new: str, message: str
) -> None:
    """Unknown sources, typos in keys, overlapping dated rows, bad periods, unknown document codes
    and out-of-range chapters are load errors, not silent defaults."""
    directory = _copy(data_dir, tmp_path)
    _edit(directory / filename, old, new)
    with pytest.raises(RuleDataError, match=message):
        load_rulebook(fx, directory)
