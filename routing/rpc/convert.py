"""The wire boundary: ``reroute.v1`` messages to domain objects and back.

Servicers and the CLI client only call these functions; protobuf messages never travel further
into the engine. Parsing validates the whole message first and reports every bad field at once,
by its path in the request (``customer_return.items[2].weight_g``), as one
:class:`routing.errors.InvalidArgument`; only then are the (self-validating) domain objects built.

Enums are mirrored one to one by :class:`EnumMap`: every domain member has exactly one proto
value and every proto value but ``*_UNSPECIFIED`` has exactly one domain member, checked when
this module is imported. Parsing rejects ``*_UNSPECIFIED`` and numbers this build does not know.
"""

from __future__ import annotations

import enum
import functools
import re
import threading
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from datetime import date
from typing import Final, Generic, TypeVar

from google.protobuf.message import Message
from google.type import date_pb2

from customs.api import (
    Assessment,
    Channel,
    Claimant,
    Confidence,
    CustomsItem,
    Document,
    FxConversion,
    ImportRecord,
    Reclaim,
    ReturnReason,
    RuleRef,
)
from hubs.model import ConditionGrade, Disposition, Mode
from reroute.v1 import common_pb2, customs_pb2, routing_pb2
from routing.decide.domain import (
    MAX_ALTERNATIVES,
    MAX_DAYS_TO_REFUND,
    MAX_DIMENSION_MM,
    MAX_ITEMS,
    MAX_QUANTITY,
    MAX_VALUE_MINOR,
    MAX_WEIGHT_G,
    Constraints,
    CostTerm,
    Decision,
    DestinationKind,
    Item,
    ItemAllocation,
    Leg,
    LegKind,
    Option,
    Return,
    Shipment,
    Term,
    Violations,
    check_country,
    check_currency,
    check_hs_code,
    check_int_range,
    check_postal_code,
    check_string,
)
from routing.decide.quote import QuoteInput
from routing.errors import FieldViolation, InvalidInput

__all__ = [
    "CHANNELS",
    "CLAIMANTS",
    "CONFIDENCES",
    "DESTINATION_KINDS",
    "DISPOSITIONS",
    "GRADES",
    "LEG_KINDS",
    "MAX_REPORTED_VIOLATIONS",
    "MODES",
    "REASONS",
    "TERMS",
    "EnumMap",
    "assessment_from_proto",
    "assessment_to_proto",
    "decision_bytes",
    "decision_from_proto",
    "decision_to_proto",
    "quote_from_proto",
    "quote_to_proto",
    "raise_capped",
    "remember_decision_bytes",
    "request_to_proto",
    "return_from_proto",
    "return_to_proto",
]

# An INVALID_ARGUMENT travels as google.rpc.BadRequest in a trailer (8 KiB by default): report
# at most this many violations, then one that counts the rest.
MAX_REPORTED_VIOLATIONS: Final = 20
_TERRITORY_RE: Final = re.compile(r"[A-Z]{2}-[A-Z0-9]{1,8}")

D = TypeVar("D", bound=enum.Enum)
P = TypeVar("P", bound=int)


# -- enums --------------------------------------------------------------------------------


class EnumMap(Generic[D, P]):
    """A bijection between a domain enum and the values of its proto mirror but ``*_UNSPECIFIED``.

    Built from an explicit table; raises ``TypeError`` at import time when either side has a
    value the other lacks, so adding a member on one side only cannot go unnoticed.
    """

    def __init__(
        self, domain: type[D], proto_name: str, proto_values: Iterable[int], table: Mapping[D, P]
    ) -> None:
        self.domain = domain
        self.proto_name = proto_name
        self._to_proto: dict[D, P] = dict(table)
        self._from_proto: dict[int, D] = {int(p): d for d, p in table.items()}
        wanted = set(proto_values) - {0}
        if (
            set(self._to_proto) != set(domain)
            or set(self._from_proto) != wanted
            or len(wanted) != len(table)
        ):
            raise TypeError(
                f"{domain.__name__} and reroute.v1.{proto_name} are not mirrored one to one"
            )

    def to_proto(self, value: D) -> P:
        return self._to_proto[value]

    def from_proto(self, number: int) -> D:
        """The domain member of a proto value; ``ValueError`` for UNSPECIFIED or unknown numbers."""
        try:
            return self._from_proto[number]
        except KeyError:
            raise ValueError(f"no {self.proto_name} value {number}") from None

    def parse(self, v: Violations, path: str, number: int) -> D | None:
        """Like :meth:`from_proto`, but records a violation at ``path`` and returns None."""
        member = self._from_proto.get(number)
        if member is None:
            if number == 0:
                v.add(path, f"is required ({self.proto_name} unspecified)")
            else:
                v.add(path, f"unknown {self.proto_name} value {number}")
        return member


_c = common_pb2
_k = customs_pb2
_r = routing_pb2

GRADES: Final = EnumMap(
    ConditionGrade,
    "ConditionGrade",
    _c.ConditionGrade.values(),
    {
        ConditionGrade.A: _c.CONDITION_GRADE_A,
        ConditionGrade.B: _c.CONDITION_GRADE_B,
        ConditionGrade.C: _c.CONDITION_GRADE_C,
        ConditionGrade.D: _c.CONDITION_GRADE_D,
    },
)
REASONS: Final = EnumMap(
    ReturnReason,
    "ReturnReason",
    _c.ReturnReason.values(),
    {
        ReturnReason.CHANGED_MIND: _c.RETURN_REASON_CHANGED_MIND,
        ReturnReason.WRONG_SIZE: _c.RETURN_REASON_WRONG_SIZE,
        ReturnReason.DEFECTIVE: _c.RETURN_REASON_DEFECTIVE,
        ReturnReason.DAMAGED_IN_TRANSIT: _c.RETURN_REASON_DAMAGED_IN_TRANSIT,
        ReturnReason.NOT_AS_DESCRIBED: _c.RETURN_REASON_NOT_AS_DESCRIBED,
        ReturnReason.WRONG_ITEM: _c.RETURN_REASON_WRONG_ITEM,
    },
)
DISPOSITIONS: Final = EnumMap(
    Disposition,
    "Disposition",
    _c.Disposition.values(),
    {
        Disposition.RESTOCK: _c.DISPOSITION_RESTOCK,
        Disposition.RESELL_LOCAL: _c.DISPOSITION_RESELL_LOCAL,
        Disposition.REFURBISH: _c.DISPOSITION_REFURBISH,
        Disposition.LIQUIDATE: _c.DISPOSITION_LIQUIDATE,
        Disposition.RECYCLE: _c.DISPOSITION_RECYCLE,
        Disposition.RETURNLESS: _c.DISPOSITION_RETURNLESS,
    },
)
MODES: Final = EnumMap(
    Mode,
    "TransportMode",
    _c.TransportMode.values(),
    {
        Mode.VAN: _c.TRANSPORT_MODE_VAN,
        Mode.ROAD: _c.TRANSPORT_MODE_ROAD,
        Mode.AIR: _c.TRANSPORT_MODE_AIR,
        Mode.OCEAN: _c.TRANSPORT_MODE_OCEAN,
        Mode.RAIL: _c.TRANSPORT_MODE_RAIL,
    },
)
CONFIDENCES: Final = EnumMap(
    Confidence,
    "Confidence",
    _k.Confidence.values(),
    {
        Confidence.HIGH: _k.CONFIDENCE_HIGH,
        Confidence.MEDIUM: _k.CONFIDENCE_MEDIUM,
        Confidence.LOW: _k.CONFIDENCE_LOW,
    },
)
CLAIMANTS: Final = EnumMap(
    Claimant,
    "Claimant",
    _k.Claimant.values(),
    {
        Claimant.IMPORTER_OF_RECORD: _k.CLAIMANT_IMPORTER_OF_RECORD,
        Claimant.DECLARANT: _k.CLAIMANT_DECLARANT,
        Claimant.SELLER: _k.CLAIMANT_SELLER,
        Claimant.CONSUMER: _k.CLAIMANT_CONSUMER,
    },
)
DESTINATION_KINDS: Final = EnumMap(
    DestinationKind,
    "DestinationKind",
    _r.DestinationKind.values(),
    {
        DestinationKind.LOCAL_3PL: _r.DESTINATION_KIND_LOCAL_3PL,
        DestinationKind.HUB: _r.DESTINATION_KIND_HUB,
        DestinationKind.ORIGIN: _r.DESTINATION_KIND_ORIGIN,
        DestinationKind.NONE: _r.DESTINATION_KIND_NONE,
    },
)
LEG_KINDS: Final = EnumMap(
    LegKind,
    "LegKind",
    _r.LegKind.values(),
    {LegKind.PARCEL: _r.LEG_KIND_PARCEL, LegKind.LINEHAUL: _r.LEG_KIND_LINEHAUL},
)
TERMS: Final = EnumMap(
    Term,
    "Term",
    _r.Term.values(),
    {
        Term.PARCEL_CARRIAGE: _r.TERM_PARCEL_CARRIAGE,
        Term.FUEL_SURCHARGE: _r.TERM_FUEL_SURCHARGE,
        Term.CARRIER_FEES: _r.TERM_CARRIER_FEES,
        Term.LINEHAUL_SHARE: _r.TERM_LINEHAUL_SHARE,
        Term.HANDLING: _r.TERM_HANDLING,
        Term.DISPOSITION_COST: _r.TERM_DISPOSITION_COST,
        Term.DUTY_DUE: _r.TERM_DUTY_DUE,
        Term.IMPORT_VAT_DUE: _r.TERM_IMPORT_VAT_DUE,
        Term.DUTY_RECLAIM: _r.TERM_DUTY_RECLAIM,
        Term.VAT_RECLAIM: _r.TERM_VAT_RECLAIM,
        Term.RECOVERY_VALUE: _r.TERM_RECOVERY_VALUE,
        Term.REFUND_DELAY: _r.TERM_REFUND_DELAY,
        Term.RESALE_DELAY: _r.TERM_RESALE_DELAY,
        Term.CO2E: _r.TERM_CO2E,
    },
)


# -- shared pieces --------------------------------------------------------------------------


def raise_capped(v: Violations, root: str) -> None:
    """Raise the first MAX_REPORTED_VIOLATIONS violations, the last one counting the rest."""
    if len(v.items) > MAX_REPORTED_VIOLATIONS:
        rest = len(v.items) - MAX_REPORTED_VIOLATIONS + 1
        del v.items[MAX_REPORTED_VIOLATIONS - 1 :]
        v.add(root, f"and {rest} more violations")
    v.raise_if_any()


def _reroot(exc: InvalidInput, local: str, path: str) -> InvalidInput:
    """Re-anchor violations a domain constructor reported under its local root (e.g. ``item``)."""

    def anchored(field: str) -> str:
        return path + field[len(local) :] if field.startswith(f"{local}.") else path

    return InvalidInput([FieldViolation(anchored(f.field), f.description) for f in exc.violations])


def _date_to_proto(d: date) -> date_pb2.Date:
    return date_pb2.Date(year=d.year, month=d.month, day=d.day)


def _parse_date(v: Violations, path: str, d: date_pb2.Date) -> date | None:
    year, month, day = int(d.year), int(d.month), int(d.day)
    try:
        return date(year, month, day)
    except ValueError:
        v.add(
            path,
            f"must be a valid calendar date (year 1-9999), got {year:04d}-{month:02d}-{day:02d}",
        )
        return None


def _parse_required_date(v: Violations, path: str, parent: Message, name: str) -> date | None:
    if not parent.HasField(name):
        v.add(path, "is required")
        return None
    d: date_pb2.Date = getattr(parent, name)
    return _parse_date(v, path, d)


def _money_to_proto(amount_minor: int, currency: str) -> common_pb2.Money:
    return common_pb2.Money(amount_minor=amount_minor, currency=currency)


def _parse_money(
    v: Violations, path: str, parent: Message, name: str, *, lo: int
) -> tuple[int, str] | None:
    """A required Money field: amount within lo..MAX_VALUE_MINOR and an ISO 4217 currency."""
    if not parent.HasField(name):
        v.add(path, "is required")
        return None
    m: common_pb2.Money = getattr(parent, name)
    before = len(v.items)
    check_int_range(v, f"{path}.amount_minor", m.amount_minor, lo, MAX_VALUE_MINOR)
    check_currency(v, f"{path}.currency", m.currency)
    return (m.amount_minor, m.currency) if len(v.items) == before else None


# -- the request ----------------------------------------------------------------------------


def return_from_proto(
    msg: routing_pb2.Return, *, today: date, path: str = "customer_return"
) -> Return:
    """Validate a wire Return and build the domain Return.

    ``today`` is the routing day used when ``return_date`` is unset (the service passes the
    current UTC date). ``path`` is where ``msg`` sits in the request; every violation's field
    path starts with it. Raises :class:`InvalidInput` naming every bad field.
    """
    v = Violations()

    items: list[Item] = []
    if not msg.items:
        v.add(f"{path}.items", "at least one item is required")
    elif len(msg.items) > MAX_ITEMS:
        v.add(f"{path}.items", f"at most {MAX_ITEMS} item lines, got {len(msg.items)}")
    for i, item_msg in enumerate(msg.items[:MAX_ITEMS]):
        item = _item_from_proto(v, f"{path}.items[{i}]", item_msg)
        if item is not None:
            items.append(item)

    country = postal_code = territory = ""
    if not msg.HasField("customer"):
        v.add(f"{path}.customer", "is required")
    else:
        c = msg.customer
        country, postal_code, territory = c.country, c.postal_code, c.territory
        check_country(v, f"{path}.customer.country", country)
        check_postal_code(v, f"{path}.customer.postal_code", postal_code)
        if territory and not (
            _TERRITORY_RE.fullmatch(territory) and territory.startswith(f"{country}-")
        ):
            v.add(
                f"{path}.customer.territory",
                f"must be an ISO 3166-2 style code of customer.country ({country or '?'}-...), "
                f"got {territory[:16]!r}",
            )

    check_string(v, f"{path}.origin_facility_id", msg.origin_facility_id)
    check_string(v, f"{path}.idempotency_key", msg.idempotency_key, required=False)

    import_date: date | None = None
    duty: tuple[int, str] | None = None
    vat: tuple[int, str] | None = None
    oi_path = f"{path}.original_import"
    if not msg.HasField("original_import"):
        v.add(oi_path, "is required")
    else:
        oi = msg.original_import
        import_date = _parse_required_date(v, f"{oi_path}.import_date", oi, "import_date")
        duty = _parse_money(v, f"{oi_path}.duty_paid", oi, "duty_paid", lo=0)
        vat = _parse_money(v, f"{oi_path}.vat_paid", oi, "vat_paid", lo=0)
        if duty is not None and vat is not None and duty[1] != vat[1]:
            v.add(
                f"{oi_path}.vat_paid.currency",
                f"must equal duty_paid.currency {duty[1]!r}, got {vat[1]!r}",
            )

    return_date: date | None = today
    if msg.HasField("return_date"):
        return_date = _parse_date(v, f"{path}.return_date", msg.return_date)
    if import_date is not None and return_date is not None and import_date > return_date:
        v.add(f"{oi_path}.import_date", f"{import_date} is after the return date {return_date}")

    constraints = _constraints_from_proto(v, f"{path}.constraints", msg)

    raise_capped(v, path)
    if import_date is None or return_date is None or duty is None or vat is None:
        raise AssertionError("unreachable: a missing part was reported as a violation")
    if constraints is None:
        raise AssertionError("unreachable: bad constraints were reported as violations")
    try:
        return Return(
            items=tuple(items),
            customer_country=country,
            customer_postal_code=postal_code,
            origin_facility_id=msg.origin_facility_id,
            import_date=import_date,
            duty_paid_minor=duty[0],
            vat_paid_minor=vat[0],
            paid_currency=duty[1],
            return_date=return_date,
            idempotency_key=msg.idempotency_key,
            vat_collected_at_checkout=msg.original_import.vat_collected_at_checkout,
            customer_territory=territory,
            constraints=constraints,
        )
    except InvalidInput as exc:  # a rule the checks above missed: keep the path rooted
        raise _reroot(exc, "return", path) from exc


def _item_from_proto(v: Violations, path: str, m: routing_pb2.Item) -> Item | None:
    before = len(v.items)
    check_string(v, f"{path}.sku", m.sku)
    check_hs_code(v, f"{path}.hs_code", m.hs_code)
    value = _parse_money(v, f"{path}.declared_value", m, "declared_value", lo=1)
    check_int_range(v, f"{path}.weight_g", m.weight_g, 1, MAX_WEIGHT_G)
    dims: tuple[int, int, int] = (0, 0, 0)
    if not m.HasField("dimensions_mm"):
        v.add(f"{path}.dimensions_mm", "is required")
    else:
        d = m.dimensions_mm
        dims = (d.length, d.width, d.height)
        for axis, size in zip(("length", "width", "height"), dims, strict=True):
            check_int_range(v, f"{path}.dimensions_mm.{axis}", size, 1, MAX_DIMENSION_MM)
    check_int_range(v, f"{path}.quantity", m.quantity, 1, MAX_QUANTITY)
    grade = GRADES.parse(v, f"{path}.grade", m.grade)
    reason = REASONS.parse(v, f"{path}.reason", m.reason)
    if len(v.items) != before or value is None or grade is None or reason is None:
        return None
    try:
        return Item(
            sku=m.sku,
            hs_code=m.hs_code,
            value_minor=value[0],
            currency=value[1],
            weight_g=m.weight_g,
            dims_mm=dims,
            quantity=m.quantity,
            grade=grade,
            reason=reason,
        )
    except InvalidInput as exc:  # a rule the checks above missed: keep the path rooted
        v.items.extend(_reroot(exc, "item", path).violations)
        return None


def _constraints_from_proto(
    v: Violations, path: str, msg: routing_pb2.Return
) -> Constraints | None:
    if not msg.HasField("constraints"):
        return Constraints()
    c = msg.constraints
    default = Constraints()
    before = len(v.items)
    max_days: int | None = None
    if c.HasField("max_days_to_refund"):
        max_days = c.max_days_to_refund
        check_int_range(v, f"{path}.max_days_to_refund", max_days, 0, MAX_DAYS_TO_REFUND)
    max_alternatives = default.max_alternatives
    if c.HasField("max_alternatives"):
        max_alternatives = c.max_alternatives
        check_int_range(v, f"{path}.max_alternatives", max_alternatives, 0, MAX_ALTERNATIVES)
    if len(v.items) != before:
        return None
    try:
        return Constraints(
            max_days_to_refund=max_days,
            allow_returnless=c.allow_returnless
            if c.HasField("allow_returnless")
            else default.allow_returnless,
            allow_split=c.allow_split if c.HasField("allow_split") else default.allow_split,
            max_alternatives=max_alternatives,
        )
    except InvalidInput as exc:  # a rule the checks above missed: keep the path rooted
        v.items.extend(_reroot(exc, "constraints", path).violations)
        return None


def return_to_proto(r: Return) -> routing_pb2.Return:
    """The wire form of a domain Return (every field set, so parsing it gives ``r`` back)."""
    c = r.constraints
    return routing_pb2.Return(
        items=[
            routing_pb2.Item(
                sku=i.sku,
                hs_code=i.hs_code,
                declared_value=_money_to_proto(i.value_minor, i.currency),
                weight_g=i.weight_g,
                dimensions_mm=common_pb2.Dimensions(
                    length=i.dims_mm[0], width=i.dims_mm[1], height=i.dims_mm[2]
                ),
                quantity=i.quantity,
                grade=GRADES.to_proto(i.grade),
                reason=REASONS.to_proto(i.reason),
            )
            for i in r.items
        ],
        customer=routing_pb2.Customer(
            country=r.customer_country,
            postal_code=r.customer_postal_code,
            territory=r.customer_territory,
        ),
        origin_facility_id=r.origin_facility_id,
        original_import=routing_pb2.OriginalImport(
            import_date=_date_to_proto(r.import_date),
            duty_paid=_money_to_proto(r.duty_paid_minor, r.paid_currency),
            vat_paid=_money_to_proto(r.vat_paid_minor, r.paid_currency),
            vat_collected_at_checkout=r.vat_collected_at_checkout,
        ),
        return_date=_date_to_proto(r.return_date),
        idempotency_key=r.idempotency_key,
        constraints=routing_pb2.Constraints(
            max_days_to_refund=c.max_days_to_refund,
            allow_returnless=c.allow_returnless,
            allow_split=c.allow_split,
            max_alternatives=c.max_alternatives,
        ),
    )


def request_to_proto(r: Return, *, correlation_id: str = "") -> routing_pb2.RouteReturnRequest:
    """The request a client sends for ``r`` (to RouteReturn, or as one RouteReturns message)."""
    return routing_pb2.RouteReturnRequest(
        customer_return=return_to_proto(r), correlation_id=correlation_id
    )


# -- the decision ---------------------------------------------------------------------------

# The wire bytes of recent decisions, by decision id: RouteReturn stores a decision and answers
# it, and converting a decision (~0.25 ms for six options) dominates parsing its bytes (~15 us).
_ENCODED: OrderedDict[str, bytes] = OrderedDict()
_ENCODED_MAX = 512
_ENCODED_LOCK = threading.Lock()


def decision_bytes(d: Decision) -> bytes:
    """``decision_to_proto(d)`` serialized, converted once per decision id (decisions are
    immutable and their ids unique) and kept for the last few hundred decisions."""
    with _ENCODED_LOCK:
        found = _ENCODED.get(d.decision_id)
        if found is not None:
            _ENCODED.move_to_end(d.decision_id)
            return found
    blob = decision_to_proto(d).SerializeToString()
    with _ENCODED_LOCK:
        _ENCODED[d.decision_id] = blob
        while len(_ENCODED) > _ENCODED_MAX:
            _ENCODED.popitem(last=False)
    return blob


def remember_decision_bytes(d: Decision, blob: bytes) -> None:
    """Seed :func:`decision_bytes` with bytes ``d`` was just decoded from (a stored decision
    answered again is not converted back)."""
    with _ENCODED_LOCK:
        _ENCODED[d.decision_id] = blob
        while len(_ENCODED) > _ENCODED_MAX:
            _ENCODED.popitem(last=False)


def decision_to_proto(d: Decision) -> routing_pb2.RouteDecision:
    """The wire form of a decision, with the derived summaries (label, totals, net cost) set."""
    msg = routing_pb2.RouteDecision(
        decision_id=d.decision_id,
        idempotency_key=d.idempotency_key,
        currency=d.currency,
        options_evaluated=d.options_evaluated,
        network_name=d.network_name,
        return_date=_date_to_proto(d.return_date),
    )
    w = _DecisionWriter()
    w.option(d.chosen, msg.chosen)
    for o in d.alternatives:
        w.option(o, msg.alternatives.add())
    return msg


_TERM_NUMBERS: Final = {t: TERMS.to_proto(t) for t in Term}


# Rules and documents are rows of the customs data (no amounts in them): the few hundred in use
# recur in every decision, so their wire forms are built once (read only: messages copy them).
_SHARED_PROTOS = 1024


@functools.lru_cache(maxsize=_SHARED_PROTOS)
def _rule_proto(r: RuleRef) -> customs_pb2.RuleRef:
    return customs_pb2.RuleRef(
        rule_id=r.rule_id,
        legal_basis=r.legal_basis,
        source_ids=r.source_ids,
        effective_from=_date_to_proto(r.effective_from),
        effective_to=None if r.effective_to is None else _date_to_proto(r.effective_to),
        confidence=CONFIDENCES.to_proto(r.confidence),
    )


@functools.lru_cache(maxsize=_SHARED_PROTOS)
def _document_proto(doc: Document) -> customs_pb2.CustomsDocument:
    return customs_pb2.CustomsDocument(
        code=doc.code, name=doc.name, reason=doc.reason, rule=_rule_proto(doc.rule)
    )


class _DecisionWriter:
    """Builds the wire decision in place (``add()`` rather than copied sub-messages, on the
    RouteReturn hot path). Options share customs assessments and rule rows, so each distinct
    object is converted once per decision, memoized by identity (stable for one call)."""

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

    def option(self, o: Option, msg: routing_pb2.RouteOption) -> None:
        msg.label = o.label
        msg.net_cost_minor = o.net_cost_minor
        add_total = msg.totals.add
        for term, amount in sorted(o.totals().items(), key=lambda ta: _TERM_NUMBERS[ta[0]]):
            add_total(term=_TERM_NUMBERS[term], amount_minor=amount)
        for s in o.shipments:
            self.shipment(s, msg.shipments.add())
        msg.days_to_refund = o.days_to_refund
        if o.days_to_resale is not None:
            msg.days_to_resale = o.days_to_resale
        msg.co2e_g = o.co2e_g
        msg.reason_codes.extend(o.reason_codes)

    def shipment(self, s: Shipment, msg: routing_pb2.Shipment) -> None:
        msg.destination_id = s.destination_id
        msg.destination_kind = DESTINATION_KINDS.to_proto(s.destination_kind)
        msg.destination_country = s.destination_country
        for a in s.items:
            msg.items.add(
                sku=a.sku,
                quantity=a.quantity,
                disposition=DISPOSITIONS.to_proto(a.disposition),
                recovery_minor=a.recovery_minor,
            )
        for leg in s.legs:
            msg.legs.add(
                kind=LEG_KINDS.to_proto(leg.kind),
                service_id=leg.service_id,
                carrier=leg.carrier,
                service_name=leg.service_name,
                mode=MODES.to_proto(leg.mode),
                from_country=leg.from_country,
                to_country=leg.to_country,
                to_facility_id=leg.to_facility,
                distance_km=leg.distance_km,
                transit_days=leg.transit_days,
                billable_weight_g=leg.billable_weight_g,
                charge_minor=leg.charge_minor,
            )
        add_term = msg.terms.add
        for t in s.terms:
            add_term(term=_TERM_NUMBERS[t.term], amount_minor=t.amount_minor, detail=t.detail)
        for c in s.customs:
            msg.customs.add().CopyFrom(self.assessment(c))
        msg.net_cost_minor = s.net_cost_minor
        msg.days_to_refund = s.days_to_refund
        if s.days_to_resale is not None:
            msg.days_to_resale = s.days_to_resale
        msg.co2e_g = s.co2e_g

    def _assessment(self, a: Assessment) -> customs_pb2.CustomsAssessment:
        return customs_pb2.CustomsAssessment(
            export_country=a.export_country,
            import_country=a.import_country,
            border=a.border,
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
                    deadline=_date_to_proto(r.deadline),
                    claimant=CLAIMANTS.to_proto(r.claimant),
                    conditions=r.conditions,
                    document_codes=r.documents,
                    rule=self.rule(r.rule),
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
                    rate_date=_date_to_proto(f.rate_date),
                    amount_from_minor=f.amount_from_minor,
                    amount_to_minor=f.amount_to_minor,
                    source_id=f.source_id,
                )
                for f in a.fx
            ],
            confidence=CONFIDENCES.to_proto(a.confidence),
            notes=a.notes,
        )


class _DecisionParser:
    """Reads a RouteDecision, collecting a violation per unusable field (enums, dates, options).

    Derived fields (labels, totals, net costs, option-level days and CO2e, reclaimable_minor)
    are not read: the domain objects recompute them.
    """

    def __init__(self) -> None:
        self.v = Violations()

    def enum(self, table: EnumMap[D, P], path: str, number: int) -> D:
        member = table.parse(self.v, path, number)
        # a placeholder keeps the walk going; the collected violations are raised at the end
        return member if member is not None else next(iter(table.domain))

    def date(self, path: str, parent: Message, name: str) -> date:
        return _parse_required_date(self.v, path, parent, name) or date.min

    def decision(self, msg: routing_pb2.RouteDecision, path: str) -> Decision:
        if not msg.HasField("chosen"):
            self.v.add(f"{path}.chosen", "is required")
        chosen = self.option(msg.chosen, f"{path}.chosen")
        alternatives = tuple(
            self.option(o, f"{path}.alternatives[{i}]") for i, o in enumerate(msg.alternatives)
        )
        return Decision(
            decision_id=msg.decision_id,
            idempotency_key=msg.idempotency_key,
            currency=msg.currency,
            chosen=chosen,
            alternatives=alternatives,
            options_evaluated=msg.options_evaluated,
            network_name=msg.network_name,
            return_date=self.date(f"{path}.return_date", msg, "return_date"),
        )

    def option(self, msg: routing_pb2.RouteOption, path: str) -> Option:
        if not msg.shipments:
            self.v.add(f"{path}.shipments", "at least one shipment is required")
        return Option(
            shipments=tuple(
                self.shipment(s, f"{path}.shipments[{i}]") for i, s in enumerate(msg.shipments)
            ),
            reason_codes=tuple(msg.reason_codes),
        )

    def shipment(self, msg: routing_pb2.Shipment, path: str) -> Shipment:
        return Shipment(
            destination_id=msg.destination_id,
            destination_kind=self.enum(
                DESTINATION_KINDS, f"{path}.destination_kind", msg.destination_kind
            ),
            destination_country=msg.destination_country,
            items=tuple(
                ItemAllocation(
                    sku=a.sku,
                    quantity=a.quantity,
                    disposition=self.enum(
                        DISPOSITIONS, f"{path}.items[{i}].disposition", a.disposition
                    ),
                    recovery_minor=a.recovery_minor,
                )
                for i, a in enumerate(msg.items)
            ),
            legs=tuple(self.leg(leg, f"{path}.legs[{i}]") for i, leg in enumerate(msg.legs)),
            terms=tuple(
                CostTerm(
                    term=self.enum(TERMS, f"{path}.terms[{i}].term", t.term),
                    amount_minor=t.amount_minor,
                    detail=t.detail,
                )
                for i, t in enumerate(msg.terms)
            ),
            customs=tuple(
                self.assessment(a, f"{path}.customs[{i}]") for i, a in enumerate(msg.customs)
            ),
            days_to_refund=msg.days_to_refund,
            days_to_resale=msg.days_to_resale if msg.HasField("days_to_resale") else None,
            co2e_g=msg.co2e_g,
        )

    def leg(self, msg: routing_pb2.Leg, path: str) -> Leg:
        return Leg(
            kind=self.enum(LEG_KINDS, f"{path}.kind", msg.kind),
            service_id=msg.service_id,
            carrier=msg.carrier,
            service_name=msg.service_name,
            mode=self.enum(MODES, f"{path}.mode", msg.mode),
            from_country=msg.from_country,
            to_country=msg.to_country,
            to_facility=msg.to_facility_id,
            distance_km=msg.distance_km,
            transit_days=msg.transit_days,
            billable_weight_g=msg.billable_weight_g,
            charge_minor=msg.charge_minor,
        )

    def required_rule(self, parent: Message, name: str, path: str) -> RuleRef:
        if not parent.HasField(name):
            self.v.add(path, "is required")
        rule: customs_pb2.RuleRef = getattr(parent, name)
        return self.rule(rule, path)

    def rule(self, msg: customs_pb2.RuleRef, path: str) -> RuleRef:
        effective_to: date | None = None
        if msg.HasField("effective_to"):
            effective_to = _parse_date(self.v, f"{path}.effective_to", msg.effective_to) or date.max
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


def decision_from_proto(msg: routing_pb2.RouteDecision, *, path: str = "decision") -> Decision:
    """The domain Decision of a wire RouteDecision (for clients and tests).

    Raises :class:`InvalidInput` naming every unusable field: an enum left UNSPECIFIED or
    unknown to this build, a missing or impossible date, an option without shipments.
    """
    parser = _DecisionParser()
    decision = parser.decision(msg, path)
    raise_capped(parser.v, path)
    return decision


# -- customs quotes -------------------------------------------------------------------------

CHANNELS: Final = EnumMap(
    Channel,
    "Channel",
    customs_pb2.Channel.values(),
    {
        Channel.POSTAL: customs_pb2.CHANNEL_POSTAL,
        Channel.COURIER: customs_pb2.CHANNEL_COURIER,
        Channel.FREIGHT: customs_pb2.CHANNEL_FREIGHT,
    },
)
DEFAULT_QUOTE_CURRENCY: Final = "EUR"


def _territory(v: Violations, path: str, territory: str, country: str) -> None:
    if territory and not (
        _TERRITORY_RE.fullmatch(territory) and territory.startswith(f"{country}-")
    ):
        v.add(
            path,
            f"must be an ISO 3166-2 style code of {country or '?'}-..., got {territory[:16]!r}",
        )


def quote_from_proto(msg: customs_pb2.QuoteCustomsRequest, *, today: date) -> QuoteInput:
    """Validate a QuoteCustomsRequest; every violation names its field."""
    v = Violations()
    check_country(v, "export_country", msg.export_country)
    check_country(v, "import_country", msg.import_country)
    check_country(v, "goods_origin_country", msg.goods_origin_country)
    _territory(v, "export_territory", msg.export_territory, msg.export_country)
    _territory(v, "import_territory", msg.import_territory, msg.import_country)
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
        value = _parse_money(v, f"{path}.value", m, "value", lo=1)
        check_int_range(v, f"{path}.quantity", m.quantity, 1, MAX_QUANTITY)
        check_int_range(v, f"{path}.weight_g", m.weight_g, 1, MAX_WEIGHT_G)
        if len(v.items) == before and value is not None:
            items.append(
                CustomsItem(m.hs_code, value[0], value[1], m.quantity, m.weight_g, not m.altered)
            )
    on = _parse_date(v, "date", msg.date) if msg.HasField("date") else today
    currency = msg.currency or DEFAULT_QUOTE_CURRENCY
    check_currency(v, "currency", currency)
    export_date = None
    if msg.HasField("export_date"):
        export_date = _parse_date(v, "export_date", msg.export_date)
    original = None
    if msg.HasField("original_import"):
        oi = msg.original_import
        when = _parse_required_date(v, "original_import.import_date", oi, "import_date")
        duty = _parse_money(v, "original_import.duty_paid", oi, "duty_paid", lo=0)
        vat = _parse_money(v, "original_import.vat_paid", oi, "vat_paid", lo=0)
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
                value=_money_to_proto(i.value_minor, i.currency),
                quantity=i.quantity,
                weight_g=i.weight_g,
                altered=not i.unaltered,
            )
            for i in q.items
        ],
        date=_date_to_proto(q.on),
        currency=q.currency,
    )
    if q.export_date is not None:
        msg.export_date.CopyFrom(_date_to_proto(q.export_date))
    if q.original_import is not None:
        oi = q.original_import
        msg.original_import.CopyFrom(
            customs_pb2.QuoteImport(
                import_date=_date_to_proto(oi.import_date),
                duty_paid=_money_to_proto(oi.duty_paid_minor, oi.currency),
                vat_paid=_money_to_proto(oi.vat_paid_minor, oi.currency),
                vat_collected_at_checkout=oi.vat_collected_at_checkout,
            )
        )
    return msg


def assessment_to_proto(a: Assessment) -> customs_pb2.CustomsAssessment:
    return _DecisionWriter().assessment(a)


def assessment_from_proto(msg: customs_pb2.CustomsAssessment) -> Assessment:
    parser = _DecisionParser()
    got = parser.assessment(msg, "assessment")
    parser.v.raise_if_any()
    return got
