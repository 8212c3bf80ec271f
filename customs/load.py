"""Load and validate the customs rule tables into a ``RuleBook`` of typed rows.

Validation is strict and happens once: unknown keys, missing sources, unknown source ids,
countries, currencies or document codes, inverted dates, duplicate ids and overlapping rows of
the same key are ``RuleDataError`` naming the file, row and key.
"""

from __future__ import annotations

import enum
import itertools
from collections.abc import Callable, Hashable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from importlib.resources.abc import Traversable
from typing import Protocol, TypeVar

from customs.api import Channel, Claimant, Confidence, ReturnReason, RuleRef
from customs.fx import FxTable
from customs.rows import (
    Basis,
    CheckoutScheme,
    ClaimFrom,
    Condition,
    DeMinimisRow,
    DocumentRule,
    DocumentType,
    DutyRateRow,
    Exemption,
    Exit,
    Jurisdiction,
    Money,
    MovementRow,
    Op,
    Period,
    Principle,
    ReclaimRow,
    ReliefRow,
    Source,
    TerritoryRow,
    Trigger,
    UnionKind,
    UnionRow,
    VatRow,
)
from customs.tables import RowReader, RuleDataError, data_dir, read_rows

_ALL_CHAPTERS = frozenset(range(1, 98))
_Row = TypeVar("_Row")
_E = TypeVar("_E", bound=enum.Enum)


class _Dated(Protocol):
    @property
    def rule(self) -> RuleRef: ...


_D = TypeVar("_D", bound=_Dated)
_T = TypeVar("_T")


@dataclass(frozen=True, slots=True)
class RuleBook:
    """Every rule table, typed. Built once; the engine indexes it for the hot path."""

    sources: Mapping[str, Source]
    jurisdictions: Mapping[str, Jurisdiction]
    unions: tuple[UnionRow, ...]
    territories: tuple[TerritoryRow, ...]
    vat: tuple[VatRow, ...]
    de_minimis: tuple[DeMinimisRow, ...]
    duty_rates: tuple[DutyRateRow, ...]
    reliefs: tuple[ReliefRow, ...]
    reclaims: tuple[ReclaimRow, ...]
    document_types: Mapping[str, DocumentType]
    document_rules: tuple[DocumentRule, ...]
    principles: Mapping[str, Principle]
    # one-way movements between places of one country (territories.toml [[movement]])
    movements: tuple[MovementRow, ...] = ()
    # checkout-VAT schemes by importing regime (checkout.toml [[scheme]])
    checkout_schemes: tuple[CheckoutScheme, ...] = ()
    # rule id -> why the row is low confidence: rated low in the tables (with what they mark
    # NOT VERIFIED), or no source of the reference fact base (then its RuleRef is made LOW); an
    # answer citing such a row says which and why (rows.low_confidence_notes)
    unverified: Mapping[str, str] = field(default_factory=dict)

    def rules(self) -> Iterator[RuleRef]:
        """The RuleRef of every dated rule row, in table order."""
        tables: tuple[Sequence[_Dated], ...] = (
            self.unions,
            self.territories,
            self.vat,
            self.de_minimis,
            self.duty_rates,
            self.reliefs,
            self.reclaims,
            self.document_rules,
            tuple(self.principles.values()),
            self.movements,
            self.checkout_schemes,
        )
        for row in itertools.chain.from_iterable(tables):
            yield row.rule


def load_rulebook(fx: FxTable, directory: Traversable | None = None) -> RuleBook:
    """Read every table in ``directory`` (default: the packaged data) and cross-check them."""
    return _Loader(fx, directory or data_dir()).load()


class _Loader:
    def __init__(self, fx: FxTable, directory: Traversable) -> None:
        self.fx = fx
        self.dir = directory
        self.sources: dict[str, Source] = {}
        self.unverified: dict[str, str] = {}
        self.countries: dict[str, Jurisdiction] = {}
        self.union_members: dict[str, frozenset[str]] = {}
        self.document_codes: set[str] = set()
        self.territory_codes: set[str] = set()

    def load(self) -> RuleBook:
        self.sources = self._keyed(self._source, "sources.toml", "source", lambda s: s.id)
        self.countries = self._keyed(
            self._jurisdiction, "countries.toml", "country", lambda j: j.code
        )
        document_types = self._keyed(
            self._document_type, "documents.toml", "document", lambda d: d.code
        )
        self.document_codes = set(document_types)
        unions = self._rows(self._union, "unions.toml", "union")
        self.union_members = {u.code: u.members for u in unions if u.kind is UnionKind.FULL}
        for union in unions:
            for party in union.members - set(self.countries) - set(self.union_members):
                raise RuleDataError(union.rule.rule_id, f"unknown party {party!r}")
        territories = self._rows(self._territory, "territories.toml", "territory")
        self.territory_codes = {t.code for t in territories}
        book = RuleBook(
            sources=self.sources,
            jurisdictions=self.countries,
            unions=unions,
            territories=territories,
            vat=self._rows(self._vat, "vat.toml", "vat"),
            de_minimis=self._rows(self._de_minimis, "de_minimis.toml", "de_minimis"),
            duty_rates=self._rows(self._duty_rate, "duty_rates.toml", "duty_rate"),
            reliefs=self._rows(self._relief, "relief.toml", "relief"),
            reclaims=self._rows(self._reclaim, "reclaims.toml", "reclaim"),
            document_types=document_types,
            document_rules=self._rows(self._document_rule, "documents.toml", "document_rule"),
            principles=self._keyed(
                self._principle, "principles.toml", "principle", lambda p: p.topic
            ),
            movements=self._rows(self._movement, "territories.toml", "movement"),
            checkout_schemes=self._rows(self._checkout_scheme, "checkout.toml", "scheme"),
            unverified=self.unverified,  # filled while the rows above were read
        )
        _check_unique_ids(book)
        _check_no_overlaps(book)
        return book

    # -- generic ----------------------------------------------------------------------------

    def _rows(
        self, parse: Callable[[RowReader], _Row], filename: str, table: str
    ) -> tuple[_Row, ...]:
        rows = []
        for reader in read_rows(self.dir, filename, table):
            rows.append(parse(reader))
            reader.finish()
        return tuple(rows)

    def _keyed(
        self,
        parse: Callable[[RowReader], _Row],
        filename: str,
        table: str,
        key: Callable[[_Row], str],
    ) -> dict[str, _Row]:
        out: dict[str, _Row] = {}
        for row in self._rows(parse, filename, table):
            if key(row) in out:
                raise RuleDataError(f"{filename} {table}", f"duplicate key {key(row)!r}")
            out[key(row)] = row
        return out

    def _source_ids(self, r: RowReader, key: str = "sources") -> tuple[str, ...]:
        ids = r.strs(key)
        if not ids:
            r.fail(key, "every row needs at least one source id")
        for sid in ids:
            if sid not in self.sources:
                r.fail(key, f"unknown source id {sid!r} (not in sources.toml)")
        return ids

    def _rule(self, r: RowReader) -> RuleRef:
        effective_from, effective_to = r.date("effective_from"), r.optional("effective_to", r.date)
        if effective_to is not None and effective_to < effective_from:
            r.fail("effective_to", f"{effective_to} is before effective_from {effective_from}")
        legal_basis = r.str("legal_basis")
        if not legal_basis.strip():
            r.fail("legal_basis", "must not be empty")
        rule = RuleRef(
            rule_id=r.str("id"),
            legal_basis=legal_basis,
            source_ids=self._source_ids(r),
            effective_from=effective_from,
            effective_to=effective_to,
            confidence=_enum(r, "confidence", Confidence),
        )
        why = _why_low(rule, r.data, self.sources)
        if not why:
            return rule
        self.unverified[rule.rule_id] = why
        return replace(rule, confidence=Confidence.LOW)

    def _country(self, r: RowReader, key: str, code: str) -> str:
        if code not in self.countries:
            r.fail(key, f"unknown country {code!r} (not in countries.toml)")
        return code

    def _places(self, r: RowReader, key: str) -> frozenset[str]:
        """Countries or full-union codes (expanded to their members)."""
        out: set[str] = set()
        for code in r.strs(key, required=False):
            out |= self.union_members.get(code) or {self._country(r, key, code)}
        return frozenset(out)

    def _regime(self, r: RowReader) -> str:
        regime = r.str("regime")
        if regime not in self.countries and regime not in self.union_members:
            r.fail("regime", f"unknown regime {regime!r} (a country or a full union code)")
        return regime

    def _money_amount(self, r: RowReader, amount: str, currency: str) -> int:
        if currency not in self.fx.currencies:
            r.fail("currency", f"unknown currency {currency!r} (not in fx.toml)")
        try:
            return self.fx.to_minor(amount, currency)
        except ValueError as exc:
            r.fail("amount", str(exc))

    def _condition(self, r: RowReader | None) -> Condition | None:
        if r is None:
            return None
        currency, op = r.str("currency"), _enum(r, "op", Op)
        amount_minor = self._money_amount(r, r.str("amount"), currency)
        text = f"{op.value} {self.fx.format(amount_minor, currency)}"
        condition = Condition(op, amount_minor, currency, text)
        if condition.amount_minor < 0:
            r.fail("amount", "must be >= 0")
        return condition

    def _documents(self, r: RowReader, key: str = "documents") -> tuple[str, ...]:
        codes = r.strs(key, required=False)
        for code in codes:
            if code not in self.document_codes:
                r.fail(key, f"unknown document code {code!r} (not in documents.toml)")
        return codes

    # -- one parser per table ---------------------------------------------------------------

    def _source(self, r: RowReader) -> Source:
        # url may be "" or absent: a legal act or guidance cited by its description only
        origin = r.str("origin")
        if origin not in ("fact_base", "reroute"):
            r.fail("origin", f"expected 'fact_base' or 'reroute', got {origin!r}")
        return Source(r.str("id"), r.str("title"), r.str("url", ""), r.str("kind"), origin)

    def _jurisdiction(self, r: RowReader) -> Jurisdiction:
        sources = r.strs("sources")
        for sid in sources:
            if sid not in self.sources:
                r.fail("sources", f"unknown source id {sid!r}")
        if not sources:
            r.fail("sources", "every row needs at least one source id")
        currencies = r.strs("currencies")
        if not currencies:
            r.fail("currencies", "every country needs at least one ISO 4217 currency")
        for code in currencies:
            if code not in self.fx.currencies:
                r.fail("currencies", f"no FX rates for currency {code!r} (fx.toml)")
        return Jurisdiction(
            r.str("code"),
            r.str("name"),
            r.bool("imports_assessable"),
            sources,
            r.str("note", ""),
            currencies,
        )

    def _union(self, r: RowReader) -> UnionRow:
        rule, kind = self._rule(r), _enum(r, "kind", UnionKind)
        members = r.strs("members")
        full = kind is UnionKind.FULL
        for code in members:
            if full and code not in self.countries:
                r.fail("members", f"unknown country {code!r} (not in countries.toml)")
        return UnionRow(
            rule=rule,
            code=r.str("code"),
            name=r.str("name"),
            kind=kind,
            members=frozenset(members),
            vat_border_between_members=r.bool("vat_border_between_members") if full else True,
            duty_free_chapters=frozenset()
            if full
            else _chapters(r, "duty_free_chapters", required=True),
            documents=self._documents(r),
            note=r.str("note", ""),
        )

    def _territory(self, r: RowReader) -> TerritoryRow:
        rule, code = self._rule(r), r.str("code")
        country = self._country(r, "country", r.str("country"))
        if not code.startswith(country + "-"):
            r.fail("code", f"must start with its country code {country}-")
        row = TerritoryRow(
            rule,
            code,
            country,
            r.str("name"),
            r.bool("in_customs_territory"),
            r.bool("in_vat_area"),
            r.str("note", ""),
            r.str("goods_area", ""),
            r.str("customs_country", ""),
        )
        if row.customs_country:
            self._country(r, "customs_country", row.customs_country)
            if row.goods_area or row.in_customs_territory or row.in_vat_area:
                r.fail(
                    "customs_country",
                    "a territory inside another country's areas is outside its own country's"
                    " customs territory and VAT area, and follows no union's (goods_area)",
                )
        if row.goods_area and row.goods_area not in self.union_members:
            r.fail("goods_area", f"unknown full union {row.goods_area!r} (not in unions.toml)")
        if row.goods_area and not (row.in_customs_territory and row.in_vat_area):
            r.fail("goods_area", "a territory following a union's area must be inside both areas")
        return row

    def _place(self, r: RowReader, key: str) -> str:
        """A country code or a territory code of territories.toml."""
        code = r.str(key)
        if "-" in code:
            if code not in self.territory_codes:
                r.fail(key, f"unknown territory {code!r} (not in territories.toml)")
            return code
        return self._country(r, key, code)

    def _movement(self, r: RowReader) -> MovementRow:
        rule, origin, destination = self._rule(r), self._place(r, "from"), self._place(r, "to")
        if origin.split("-")[0] != destination.split("-")[0]:
            r.fail("to", f"a movement stays inside one country ({origin} -> {destination})")
        border = r.bool("border")
        row = MovementRow(
            rule=rule,
            origin=origin,
            destination=destination,
            border=border,
            leaves_customs_territory=r.bool("leaves_customs_territory", True),
            relief=r.bool("relief", True),
            documents=self._documents(r),
            note=r.str("note", ""),
        )
        if not border and (row.documents or not row.relief or not row.leaves_customs_territory):
            r.fail("border", "a movement without a border takes no documents or border flags")
        return row

    def _vat(self, r: RowReader) -> VatRow:
        rule, area, rate_bp = self._rule(r), r.str("area"), r.int("rate_bp")
        self._country(r, "area", area.split("-")[0])
        if not 0 <= rate_bp <= 10_000:
            r.fail("rate_bp", "must be 0..10000")
        return VatRow(rule, area, rate_bp, r.str("note", ""))

    def _exemption(self, r: RowReader, key: str) -> Exemption | None:
        sub = r.optional(key, r.table)
        if sub is None:
            return None
        basis = _enum(sub, "basis", Basis)
        condition = self._condition(sub)
        sub.finish()
        assert condition is not None
        if condition.op not in (Op.LE, Op.LT):
            sub.fail("op", "an exemption holds below a threshold: use <= or <")
        return Exemption(basis, condition)

    def _de_minimis(self, r: RowReader) -> DeMinimisRow:
        rule, regime = self._rule(r), self._regime(r)
        flat = r.optional("flat_duty_per_category", r.table)
        flat_money = None
        if flat is not None:
            currency = flat.str("currency")
            flat_money = Money(self._money_amount(flat, flat.str("amount"), currency), currency)
            flat.finish()
        row = DeMinimisRow(
            rule=rule,
            regime=regime,
            origins=self._places(r, "origins"),
            channels=_channels(r),
            duty_exempt=self._exemption(r, "duty_exempt"),
            vat_exempt=self._exemption(r, "vat_exempt"),
            flat_duty_per_category=flat_money,
            note=r.str("note", ""),
        )
        if flat_money is not None and row.duty_exempt is None:
            r.fail("flat_duty_per_category", "needs a duty_exempt band to apply in")
        return row

    def _duty_rate(self, r: RowReader) -> DutyRateRow:
        rule, regime, rate_bp = self._rule(r), self._regime(r), r.int("rate_bp")
        if not 0 <= rate_bp <= 100_000:
            r.fail("rate_bp", "must be 0..100000")
        return DutyRateRow(
            rule=rule,
            regime=regime,
            chapters=_chapters(r, "chapters") if r.has("chapters") else frozenset(),
            origins=self._places(r, "origins"),
            channels=_channels(r),
            rate_bp=rate_bp,
            includes_vat=r.bool("includes_vat", False),
            additional=r.bool("additional", False),
            note=r.str("note", ""),
        )

    def _relief(self, r: RowReader) -> ReliefRow:
        rule, regime, available = self._rule(r), self._regime(r), r.bool("available")
        limit = r.str("limit", "")
        return ReliefRow(
            rule=rule,
            regime=regime,
            name=r.str("name"),
            available=available,
            limit=_period(r, "limit", limit) if limit else None,
            covers_duty=r.bool("covers_duty", False),
            covers_vat=r.bool("covers_vat", False),
            requires_unaltered=r.bool("requires_unaltered", True),
            reasons=_reasons(r, "reasons") if r.has("reasons") else frozenset(ReturnReason),
            excluded_chapters=_chapters(r, "excluded_chapters")
            if r.has("excluded_chapters")
            else frozenset(),
            conditions=r.strs("conditions", required=False),
            documents=self._documents(r),
            note=r.str("note", ""),
        )

    def _checkout_scheme(self, r: RowReader) -> CheckoutScheme:
        rule, regime, name = self._rule(r), self._regime(r), r.str("name")
        sub = r.table("limit")
        limit = self._condition(sub)
        sub.finish()
        assert limit is not None
        if limit.op not in (Op.LE, Op.LT):
            sub.fail("op", "a scheme's limit holds below a threshold: use <= or <")
        per = r.str("per")
        if per not in ("consignment", "item"):
            r.fail("per", f"expected 'consignment' or 'item', got {per!r}")
        return CheckoutScheme(
            rule=rule,
            regime=regime,
            name=name,
            limit=limit,
            per_item=per == "item",
            duty_exempt=r.bool("duty_exempt"),
            note=r.str("note", ""),
        )

    def _reclaim(self, r: RowReader) -> ReclaimRow:
        rule, regime, offered = self._rule(r), self._regime(r), r.bool("offered", True)
        claim_within = r.str("claim_within", "")
        export_within = r.str("export_within", "")
        if offered and not claim_within:
            r.fail("claim_within", "an offered route needs a claim deadline")
        row = ReclaimRow(
            rule=rule,
            regime=regime,
            route=r.str("route"),
            offered=offered,
            reasons=_reasons(r, "reasons"),
            channels=_channels(r),
            exit=_enum(r, "exit", Exit),
            requires_unaltered=r.bool("requires_unaltered"),
            duty_share_bp=_share(r, "duty_share_bp"),
            vat_share_bp=_share(r, "vat_share_bp"),
            checkout_vat=r.bool("checkout_vat", False),
            claimant=_enum(r, "claimant", Claimant),
            export_within=_period(r, "export_within", export_within) if export_within else None,
            claim_from=_enum(r, "claim_from", ClaimFrom),
            claim_within=_period(r, "claim_within", claim_within) if claim_within else None,
            value_limit=self._condition(r.optional("value_limit", r.table)),
            min_claim=self._condition(r.optional("min_claim", r.table)),
            conditions=r.strs("conditions", required=False),
            documents=self._documents(r),
            note=r.str("note", ""),
        )
        if row.offered and not row.checkout_vat and "original_import_entry" not in row.documents:
            r.fail("documents", "every customs reclaim route needs original_import_entry")
        return row

    def _document_type(self, r: RowReader) -> DocumentType:
        return DocumentType(r.str("code"), r.str("name"), self._source_ids(r))

    def _document_rule(self, r: RowReader) -> DocumentRule:
        rule, code = self._rule(r), r.str("code")
        if code not in self.document_codes:
            r.fail("code", f"unknown document code {code!r}")
        regime = self._regime(r) if r.has("regime") else ""
        return DocumentRule(
            rule=rule,
            code=code,
            trigger=_enum(r, "trigger", Trigger),
            regime=regime,
            channels=_channels(r),
            when_value=self._condition(r.optional("when_value", r.table)),
            per_line=r.bool("per_line", False),
            exempt_destinations=self._places(r, "exempt_destinations"),
            other_member_state_only=r.bool("other_member_state_only", False),
            note=r.str("note", ""),
        )

    def _principle(self, r: RowReader) -> Principle:
        return Principle(self._rule(r), r.str("topic"), r.str("text"), r.str("note", ""))


# -- field parsers --------------------------------------------------------------------------


def _enum(r: RowReader, key: str, kind: type[_E]) -> _E:
    text = r.str(key)
    try:
        return kind(text)
    except ValueError:
        r.fail(key, f"expected one of {[m.value for m in kind]}, got {text!r}")


def _channels(r: RowReader) -> frozenset[Channel]:
    try:
        return frozenset(Channel(c) for c in r.strs("channels", required=False))
    except ValueError as exc:
        r.fail("channels", str(exc))


def _reasons(r: RowReader, key: str) -> frozenset[ReturnReason]:
    value = r.list_or_text(key)
    if value == "any":
        return frozenset(ReturnReason)
    if value == "rejected":
        return frozenset(reason for reason in ReturnReason if reason.rejected_goods)
    if isinstance(value, str):
        r.fail(key, f'expected "any", "rejected" or a list of reasons, got {value!r}')
    try:
        return frozenset(ReturnReason(v) for v in value)
    except ValueError as exc:
        r.fail(key, str(exc))


def _chapters(r: RowReader, key: str, *, required: bool = False) -> frozenset[int]:
    out: set[int] = set()
    for text in r.strs(key, required=required):
        low, _, high = text.partition("-")
        try:
            first, last = int(low), int(high or low)
        except ValueError:
            r.fail(key, f"expected chapter ranges like '61-62' or '64', got {text!r}")
        if not 1 <= first <= last <= 97:
            r.fail(key, f"chapters run 01..97, got {text!r}")
        out |= set(range(first, last + 1))
    return frozenset(out)


def _period(r: RowReader, key: str, text: str) -> Period:
    try:
        return Period.parse(text)
    except ValueError as exc:
        r.fail(key, str(exc))


def _share(r: RowReader, key: str) -> int:
    value = r.int(key)
    if not 0 <= value <= 10_000:
        r.fail(key, "must be 0..10000 basis points")
    return value


# -- cross-row checks -----------------------------------------------------------------------


def _check_unique_ids(book: RuleBook) -> None:
    seen: set[str] = set()
    for rule in book.rules():
        if rule.rule_id in seen:
            raise RuleDataError(rule.rule_id, "duplicate rule id")
        seen.add(rule.rule_id)


def _overlap(a: RuleRef, b: RuleRef) -> bool:
    a_end, b_end = a.effective_to, b.effective_to
    return (a_end is None or b.effective_from <= a_end) and (
        b_end is None or a.effective_from <= b_end
    )


def _check_no_overlaps(book: RuleBook) -> None:
    """Two rows competing for the same decision must not be in force on the same day."""
    _no_overlap(book.unions, lambda u: u.code)
    _no_overlap(book.territories, lambda t: t.code)
    _no_overlap(book.movements, lambda m: (m.origin, m.destination))
    _no_overlap(book.vat, lambda v: v.area)
    _no_overlap(book.reliefs, lambda x: x.regime)
    _no_overlap(book.checkout_schemes, lambda x: x.regime)
    _no_overlap(book.de_minimis, lambda d: (d.regime, d.origins, d.channels))
    _no_overlap(
        book.duty_rates, lambda d: (d.regime, d.origins, d.channels, d.chapters, d.additional)
    )
    _no_ambiguity(
        book.de_minimis,
        lambda d: (d.regime, d.specificity),
        lambda d: (d.origins, d.channels, frozenset()),
    )
    _no_ambiguity(
        [d for d in book.duty_rates if not d.additional],
        lambda d: (d.regime, d.specificity),
        lambda d: (d.origins, d.channels, d.chapters),
    )


def _no_overlap(rows: Sequence[_D], key: Callable[[_D], Hashable]) -> None:
    groups: dict[Hashable, list[RuleRef]] = {}
    for row in rows:
        groups.setdefault(key(row), []).append(row.rule)
    for rules in groups.values():
        for a, b in itertools.combinations(rules, 2):
            if _overlap(a, b):
                raise RuleDataError(
                    f"{a.rule_id} / {b.rule_id}", "rows of the same key overlap in time"
                )


_Filters = tuple[frozenset[str], frozenset[Channel], frozenset[int]]


def _no_ambiguity(
    rows: Sequence[_D], rank: Callable[[_D], Hashable], filters: Callable[[_D], _Filters]
) -> None:
    """Equally specific rows of one regime may not both match one origin, channel and chapter."""
    for a, b in itertools.combinations(rows, 2):
        if rank(a) != rank(b) or not _overlap(a.rule, b.rule) or filters(a) == filters(b):
            continue
        (origins_a, channels_a, chapters_a), (origins_b, channels_b, chapters_b) = (
            filters(a),
            filters(b),
        )
        if (
            _meet(origins_a, origins_b)
            and _meet(channels_a, channels_b)
            and (chapters_a or _ALL_CHAPTERS) & (chapters_b or _ALL_CHAPTERS)
        ):
            raise RuleDataError(
                f"{a.rule.rule_id} / {b.rule.rule_id}", "equally specific rows are ambiguous"
            )


def _meet(a: frozenset[_T], b: frozenset[_T]) -> bool:
    """Two filters (empty = everything) admit a common value."""
    return not a or not b or bool(a & b)


def _why_low(rule: RuleRef, data: Mapping[str, object], sources: Mapping[str, Source]) -> str:
    """Why a row is low confidence, or "" when it is not: no source of the reference fact base
    (reroute's own additions, not checked against it), or rated low in the tables."""
    why = []
    if all(sources[sid].origin != "fact_base" for sid in rule.source_ids):
        why.append(f"no source in the reference fact base ({', '.join(rule.source_ids)})")
    if rule.confidence is Confidence.LOW:
        marked = any(
            isinstance(text, str) and "NOT VERIFIED" in text
            for text in (data.get("legal_basis"), data.get("note"), data.get("text"))
        )
        why.append("rated low in the tables" + (" (parts NOT VERIFIED)" if marked else ""))
    return "; ".join(why)
