"""A customer's return on the wire: ``reroute.v1.Return`` to a domain Return and back.

Parsing validates the whole message first and reports every bad field at once, by its path in
the request (``customer_return.items[2].weight_g``), as one :class:`routing.errors.InvalidInput`;
only then are the (self-validating) domain objects built.
"""

from __future__ import annotations

from datetime import date

from customs.codes import is_territory
from reroute.v1 import common_pb2, routing_pb2
from routing.decide.domain import (
    MAX_ALTERNATIVES,
    MAX_DAYS_TO_REFUND,
    MAX_DIMENSION_MM,
    MAX_ITEMS,
    MAX_LOSS_BP,
    MAX_QUANTITY,
    MAX_WEIGHT_G,
    Constraints,
    Item,
    MerchantPolicy,
    Return,
    Violations,
    check_country,
    check_hs_code,
    check_int_range,
    check_postal_code,
    check_string,
)
from routing.errors import InvalidInput
from routing.rpc.wire.enums import GRADES, REASONS, REFUND_TRIGGERS
from routing.rpc.wire.scalars import (
    date_to_proto,
    money_to_proto,
    parse_date,
    parse_money,
    parse_required_date,
    within_calendar,
)
from routing.rpc.wire.violations import raise_capped, reroot

__all__ = ["request_to_proto", "return_from_proto", "return_to_proto"]


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
        if territory and not is_territory(territory, country):
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
        import_date = within_calendar(
            v,
            f"{oi_path}.import_date",
            parse_required_date(v, f"{oi_path}.import_date", oi, "import_date"),
        )
        duty = parse_money(v, f"{oi_path}.duty_paid", oi, "duty_paid", lo=0)
        vat = parse_money(v, f"{oi_path}.vat_paid", oi, "vat_paid", lo=0)
        if duty is not None and vat is not None and duty[1] != vat[1]:
            v.add(
                f"{oi_path}.vat_paid.currency",
                f"must equal duty_paid.currency {duty[1]!r}, got {vat[1]!r}",
            )

    return_date: date | None = today
    if msg.HasField("return_date"):
        return_date = within_calendar(
            v, f"{path}.return_date", parse_date(v, f"{path}.return_date", msg.return_date)
        )
    if import_date is not None and return_date is not None and import_date > return_date:
        v.add(f"{oi_path}.import_date", f"{import_date} is after the return date {return_date}")

    constraints = _constraints_from_proto(v, f"{path}.constraints", msg)
    policy = _policy_from_proto(v, f"{path}.merchant_policy", msg)

    raise_capped(v, path)
    if import_date is None or return_date is None or duty is None or vat is None:
        raise AssertionError("unreachable: a missing part was reported as a violation")
    if constraints is None or policy is None:
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
            policy=policy,
        )
    except InvalidInput as exc:  # a rule the checks above missed: keep the path rooted
        raise reroot(exc, "return", path) from exc


def _item_from_proto(v: Violations, path: str, m: routing_pb2.Item) -> Item | None:
    before = len(v.items)
    check_string(v, f"{path}.sku", m.sku)
    check_hs_code(v, f"{path}.hs_code", m.hs_code)
    value = parse_money(v, f"{path}.declared_value", m, "declared_value", lo=1)
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
        v.items.extend(reroot(exc, "item", path).violations)
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
        v.items.extend(reroot(exc, "constraints", path).violations)
        return None


def _policy_from_proto(v: Violations, path: str, msg: routing_pb2.Return) -> MerchantPolicy | None:
    if not msg.HasField("merchant_policy"):
        return MerchantPolicy()
    p = msg.merchant_policy
    before = len(v.items)
    caps: dict[str, int] = {}
    currency = ""
    for name, field in (
        ("keep_it_max_value_minor", "keep_it_max_unit_value"),
        ("local_disposal_max_value_minor", "local_disposal_max_unit_value"),
    ):
        if not p.HasField(field):
            continue
        got = parse_money(v, f"{path}.{field}", p, field, lo=0)
        if got is None:
            continue
        if currency and got[1] != currency:
            v.add(
                f"{path}.{field}.currency",
                f"must equal keep_it_max_unit_value.currency {currency!r}, got {got[1]!r}",
            )
            continue
        caps[name], currency = got
    max_loss: int | None = None
    if p.HasField("max_loss_bp"):
        max_loss = p.max_loss_bp
        check_int_range(v, f"{path}.max_loss_bp", max_loss, 0, MAX_LOSS_BP)
    trigger = None
    if p.refund_trigger:
        trigger = REFUND_TRIGGERS.parse(v, f"{path}.refund_trigger", p.refund_trigger)
    if len(v.items) != before:
        return None
    try:
        return MerchantPolicy(
            keep_it_max_value_minor=caps.get("keep_it_max_value_minor"),
            local_disposal_max_value_minor=caps.get("local_disposal_max_value_minor"),
            currency=currency,
            max_loss_bp=max_loss,
            refund_trigger=trigger,
            allow_local_disposal=p.allow_local_disposal
            if p.HasField("allow_local_disposal")
            else True,
        )
    except InvalidInput as exc:  # a rule the checks above missed: keep the path rooted
        v.items.extend(reroot(exc, "policy", path).violations)
        return None


def _policy_to_proto(p: MerchantPolicy) -> routing_pb2.MerchantPolicy | None:
    if p == MerchantPolicy():
        return None
    msg = routing_pb2.MerchantPolicy(allow_local_disposal=p.allow_local_disposal)
    if p.keep_it_max_value_minor is not None:
        msg.keep_it_max_unit_value.CopyFrom(money_to_proto(p.keep_it_max_value_minor, p.currency))
    if p.local_disposal_max_value_minor is not None:
        msg.local_disposal_max_unit_value.CopyFrom(
            money_to_proto(p.local_disposal_max_value_minor, p.currency)
        )
    if p.max_loss_bp is not None:
        msg.max_loss_bp = p.max_loss_bp
    if p.refund_trigger is not None:
        msg.refund_trigger = REFUND_TRIGGERS.to_proto(p.refund_trigger)
    return msg


def return_to_proto(r: Return) -> routing_pb2.Return:
    """The wire form of a domain Return (every field set, so parsing it gives ``r`` back)."""
    c = r.constraints
    return routing_pb2.Return(
        items=[
            routing_pb2.Item(
                sku=i.sku,
                hs_code=i.hs_code,
                declared_value=money_to_proto(i.value_minor, i.currency),
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
            import_date=date_to_proto(r.import_date),
            duty_paid=money_to_proto(r.duty_paid_minor, r.paid_currency),
            vat_paid=money_to_proto(r.vat_paid_minor, r.paid_currency),
            vat_collected_at_checkout=r.vat_collected_at_checkout,
        ),
        return_date=date_to_proto(r.return_date),
        idempotency_key=r.idempotency_key,
        constraints=routing_pb2.Constraints(
            max_days_to_refund=c.max_days_to_refund,
            allow_returnless=c.allow_returnless,
            allow_split=c.allow_split,
            max_alternatives=c.max_alternatives,
        ),
        merchant_policy=_policy_to_proto(r.policy),
    )


def request_to_proto(r: Return, *, correlation_id: str = "") -> routing_pb2.RouteReturnRequest:
    """The request a client sends for ``r`` (to RouteReturn, or as one RouteReturns message)."""
    return routing_pb2.RouteReturnRequest(
        customer_return=return_to_proto(r), correlation_id=correlation_id
    )
