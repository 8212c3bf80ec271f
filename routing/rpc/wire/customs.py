"""Customs on the wire: quote requests in and out, and customs assessments both ways.

A QuoteCustomsRequest is validated whole, every bad field named by its path, as one
:class:`routing.errors.InvalidInput`. Assessments travel inside decisions too:
:class:`AssessmentWriter` and :class:`AssessmentReader` are what :mod:`routing.rpc.wire.decisions`
builds on.
"""

from __future__ import annotations

import functools
from datetime import date
from typing import Final

from google.protobuf.message import Message

from customs.api import (
    Assessment,
    CustomsItem,
    Document,
    FxConversion,
    ImportRecord,
    Reclaim,
    RuleRef,
)
from reroute.v1 import customs_pb2
from routing.decide.domain import (
    MAX_ITEMS,
    MAX_QUANTITY,
    MAX_WEIGHT_G,
    Violations,
    check_country,
    check_currency,
    check_hs_code,
    check_int_range,
)
from routing.decide.quote import QuoteInput
from routing.rpc.wire.enums import CHANNELS, CLAIMANTS, CONFIDENCES, REASONS
from routing.rpc.wire.scalars import (
    check_territory,
    date_to_proto,
    money_to_proto,
    parse_date,
    parse_money,
    parse_required_date,
    within_calendar,
)
from routing.rpc.wire.violations import Reader, raise_capped

__all__ = [
    "DEFAULT_QUOTE_CURRENCY",
    "AssessmentReader",
    "AssessmentWriter",
    "assessment_from_proto",
    "assessment_to_proto",
    "quote_from_proto",
    "quote_to_proto",
]

# -- quotes -------------------------------------------------------------------------------

DEFAULT_QUOTE_CURRENCY: Final = "EUR"


def quote_from_proto(msg: customs_pb2.QuoteCustomsRequest, *, today: date) -> QuoteInput:
    """Validate a QuoteCustomsRequest; every violation names its field."""
    v = Violations()
    check_country(v, "export_country", msg.export_country)
    check_country(v, "import_country", msg.import_country)
    check_country(v, "goods_origin_country", msg.goods_origin_country)
    check_territory(v, "export_territory", msg.export_territory, msg.export_country)
    check_territory(v, "import_territory", msg.import_territory, msg.import_country)
    channel = CHANNELS.parse(v, "channel", msg.channel)
    reason = REASONS.parse(v, "reason", msg.reason)
    items: list[CustomsItem] = []
    if not msg.items:
        v.add("items", "at least one item is required")
    elif len(msg.items) > MAX_ITEMS:
        v.add("items", f"at most {MAX_ITEMS} item lines, got {len(msg.items)}")
    for i, m in enumerate(msg.items[:MAX_ITEMS]):
        path = f"items[{i}]"
        before = len(v.items)
        check_hs_code(v, f"{path}.hs_code", m.hs_code)
        value = parse_money(v, f"{path}.value", m, "value", lo=1)
        check_int_range(v, f"{path}.quantity", m.quantity, 1, MAX_QUANTITY)
        check_int_range(v, f"{path}.weight_g", m.weight_g, 1, MAX_WEIGHT_G)
        if len(v.items) == before and value is not None:
            items.append(
                CustomsItem(m.hs_code, value[0], value[1], m.quantity, m.weight_g, not m.altered)
            )
    on = within_calendar(
        v, "date", parse_date(v, "date", msg.date) if msg.HasField("date") else today
    )
    currency = msg.currency or DEFAULT_QUOTE_CURRENCY
    check_currency(v, "currency", currency)
    export_date = None
    if msg.HasField("export_date"):
        export_date = within_calendar(
            v, "export_date", parse_date(v, "export_date", msg.export_date)
        )
    original = None
    if msg.HasField("original_import"):
        oi = msg.original_import
        when = within_calendar(
            v,
            "original_import.import_date",
            parse_required_date(v, "original_import.import_date", oi, "import_date"),
        )
        duty = parse_money(v, "original_import.duty_paid", oi, "duty_paid", lo=0)
        vat = parse_money(v, "original_import.vat_paid", oi, "vat_paid", lo=0)
        if duty is not None and vat is not None and duty[1] != vat[1]:
            v.add("original_import.vat_paid.currency", f"must equal duty_paid.currency {duty[1]!r}")
        elif when is not None and duty is not None and vat is not None:
            original = ImportRecord(
                msg.export_country, when, duty[0], vat[0], duty[1], oi.vat_collected_at_checkout
            )
    raise_capped(v, "request")
    if on is None or channel is None or reason is None:
        raise AssertionError("unreachable: reported as violations")
    return QuoteInput(
        export_country=msg.export_country,
        import_country=msg.import_country,
        goods_origin_country=msg.goods_origin_country,
        channel=channel,
        reason=reason,
        items=tuple(items),
        on=on,
        currency=currency,
        export_territory=msg.export_territory,
        import_territory=msg.import_territory,
        bonded_destination=msg.bonded_destination,
        original_import=original,
        export_date=export_date,
        vat_at_checkout=msg.vat_at_checkout,
    )


def quote_to_proto(q: QuoteInput) -> customs_pb2.QuoteCustomsRequest:
    """The request a client sends for ``q``."""
    msg = customs_pb2.QuoteCustomsRequest(
        export_country=q.export_country,
        export_territory=q.export_territory,
        import_country=q.import_country,
        import_territory=q.import_territory,
        goods_origin_country=q.goods_origin_country,
        channel=CHANNELS.to_proto(q.channel),
        reason=REASONS.to_proto(q.reason),
        bonded_destination=q.bonded_destination,
        items=[
            customs_pb2.QuoteItem(
                hs_code=i.hs_code,
                value=money_to_proto(i.value_minor, i.currency),
                quantity=i.quantity,
                weight_g=i.weight_g,
                altered=not i.unaltered,
            )
            for i in q.items
        ],
        date=date_to_proto(q.on),
        currency=q.currency,
        vat_at_checkout=q.vat_at_checkout,
    )
    if q.export_date is not None:
        msg.export_date.CopyFrom(date_to_proto(q.export_date))
    if q.original_import is not None:
        oi = q.original_import
        msg.original_import.CopyFrom(
            customs_pb2.QuoteImport(
                import_date=date_to_proto(oi.import_date),
                duty_paid=money_to_proto(oi.duty_paid_minor, oi.currency),
                vat_paid=money_to_proto(oi.vat_paid_minor, oi.currency),
                vat_collected_at_checkout=oi.vat_collected_at_checkout,
            )
        )
    return msg


# -- assessments --------------------------------------------------------------------------


def assessment_to_proto(a: Assessment) -> customs_pb2.CustomsAssessment:
    return AssessmentWriter().assessment(a)


def assessment_from_proto(msg: customs_pb2.CustomsAssessment) -> Assessment:
    parser = AssessmentReader()
    got = parser.assessment(msg, "assessment")
    parser.v.raise_if_any()
    return got


# Rules and documents are rows of the customs data (no amounts in them): the few hundred in use
# recur in every decision, so their wire forms are built once (read only: messages copy them).
_SHARED_PROTOS = 1024


@functools.lru_cache(maxsize=_SHARED_PROTOS)
def _rule_proto(r: RuleRef) -> customs_pb2.RuleRef:
    return customs_pb2.RuleRef(
        rule_id=r.rule_id,
        legal_basis=r.legal_basis,
        source_ids=r.source_ids,
        effective_from=date_to_proto(r.effective_from),
        effective_to=None if r.effective_to is None else date_to_proto(r.effective_to),
        confidence=CONFIDENCES.to_proto(r.confidence),
    )


@functools.lru_cache(maxsize=_SHARED_PROTOS)
def _document_proto(doc: Document) -> customs_pb2.CustomsDocument:
    return customs_pb2.CustomsDocument(
        code=doc.code, name=doc.name, reason=doc.reason, rule=_rule_proto(doc.rule)
    )


class AssessmentWriter:
    """Builds wire assessments. Options of a decision share customs assessments and rule rows,
    so each distinct object is converted once per writer, memoized by identity (stable for one
    call)."""

    def __init__(self) -> None:
        self._assessments: dict[int, customs_pb2.CustomsAssessment] = {}
        self._rules: dict[int, customs_pb2.RuleRef] = {}

    def assessment(self, a: Assessment) -> customs_pb2.CustomsAssessment:
        found = self._assessments.get(id(a))
        if found is None:
            found = self._assessments[id(a)] = self._assessment(a)
        return found

    def rule(self, r: RuleRef) -> customs_pb2.RuleRef:
        found = self._rules.get(id(r))
        if found is None:
            found = self._rules[id(r)] = _rule_proto(r)
        return found

    def _assessment(self, a: Assessment) -> customs_pb2.CustomsAssessment:
        return customs_pb2.CustomsAssessment(
            export_country=a.export_country,
            import_country=a.import_country,
            border=a.border,
            customs_border=a.customs_border,  # None (not recorded) leaves it unset
            vat_border=a.vat_border,
            customs_union=a.union,
            currency=a.currency,
            duty_due_minor=a.duty_due_minor,
            vat_due_minor=a.vat_due_minor,
            relief=a.relief,
            de_minimis=a.de_minimis,
            reclaims=[
                customs_pb2.Reclaim(
                    route=r.route,
                    duty_minor=r.duty_minor,
                    vat_minor=r.vat_minor,
                    deadline=date_to_proto(r.deadline),
                    claimant=CLAIMANTS.to_proto(r.claimant),
                    conditions=r.conditions,
                    document_codes=r.documents,
                    rule=self.rule(r.rule),
                    export_by=None if r.export_by is None else date_to_proto(r.export_by),
                    note=r.note,
                )
                for r in a.reclaims
            ],
            reclaimable_minor=a.reclaimable_minor,
            documents=[_document_proto(doc) for doc in a.documents],
            rules=[self.rule(r) for r in a.rules],
            fx=[
                customs_pb2.FxConversion(
                    from_currency=f.from_currency,
                    to_currency=f.to_currency,
                    rate=f.rate,
                    rate_date=date_to_proto(f.rate_date),
                    amount_from_minor=f.amount_from_minor,
                    amount_to_minor=f.amount_to_minor,
                    source_id=f.source_id,
                )
                for f in a.fx
            ],
            confidence=CONFIDENCES.to_proto(a.confidence),
            notes=a.notes,
        )


class AssessmentReader(Reader):
    """Reads CustomsAssessments (and their rules), collecting a violation per unusable field.

    Derived fields (reclaimable_minor) are not read: the domain objects recompute them.
    """

    def required_rule(self, parent: Message, name: str, path: str) -> RuleRef:
        if not parent.HasField(name):
            self.v.add(path, "is required")
        rule: customs_pb2.RuleRef = getattr(parent, name)
        return self.rule(rule, path)

    def rule(self, msg: customs_pb2.RuleRef, path: str) -> RuleRef:
        effective_to: date | None = None
        if msg.HasField("effective_to"):
            effective_to = parse_date(self.v, f"{path}.effective_to", msg.effective_to) or date.max
        return RuleRef(
            rule_id=msg.rule_id,
            legal_basis=msg.legal_basis,
            source_ids=tuple(msg.source_ids),
            effective_from=self.date(f"{path}.effective_from", msg, "effective_from"),
            effective_to=effective_to,
            confidence=self.enum(CONFIDENCES, f"{path}.confidence", msg.confidence),
        )

    def assessment(self, msg: customs_pb2.CustomsAssessment, path: str) -> Assessment:
        return Assessment(
            export_country=msg.export_country,
            import_country=msg.import_country,
            border=msg.border,
            customs_border=msg.customs_border if msg.HasField("customs_border") else None,
            vat_border=msg.vat_border if msg.HasField("vat_border") else None,
            union=msg.customs_union,
            currency=msg.currency,
            duty_due_minor=msg.duty_due_minor,
            vat_due_minor=msg.vat_due_minor,
            relief=msg.relief,
            de_minimis=msg.de_minimis,
            reclaims=tuple(
                Reclaim(
                    route=r.route,
                    duty_minor=r.duty_minor,
                    vat_minor=r.vat_minor,
                    deadline=self.date(f"{path}.reclaims[{i}].deadline", r, "deadline"),
                    claimant=self.enum(CLAIMANTS, f"{path}.reclaims[{i}].claimant", r.claimant),
                    conditions=tuple(r.conditions),
                    documents=tuple(r.document_codes),
                    rule=self.required_rule(r, "rule", f"{path}.reclaims[{i}].rule"),
                    export_by=(
                        self.date(f"{path}.reclaims[{i}].export_by", r, "export_by")
                        if r.HasField("export_by")
                        else None
                    ),
                    note=r.note,
                )
                for i, r in enumerate(msg.reclaims)
            ),
            documents=tuple(
                Document(
                    code=doc.code,
                    name=doc.name,
                    reason=doc.reason,
                    rule=self.required_rule(doc, "rule", f"{path}.documents[{i}].rule"),
                )
                for i, doc in enumerate(msg.documents)
            ),
            rules=tuple(self.rule(r, f"{path}.rules[{i}]") for i, r in enumerate(msg.rules)),
            fx=tuple(
                FxConversion(
                    from_currency=f.from_currency,
                    to_currency=f.to_currency,
                    rate=f.rate,
                    rate_date=self.date(f"{path}.fx[{i}].rate_date", f, "rate_date"),
                    amount_from_minor=f.amount_from_minor,
                    amount_to_minor=f.amount_to_minor,
                    source_id=f.source_id,
                )
                for i, f in enumerate(msg.fx)
            ),
            confidence=self.enum(CONFIDENCES, f"{path}.confidence", msg.confidence),
            notes=tuple(msg.notes),
        )
