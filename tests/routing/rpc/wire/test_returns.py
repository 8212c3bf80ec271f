"""The Return converter: lossless round trips, and every bad field reported by its request path."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from customs.api import ReturnReason
from hubs.model import ConditionGrade
from reroute.v1 import common_pb2, routing_pb2
from routing.decide.domain import MAX_WEIGHT_G, Constraints, Item, Return
from routing.errors import FieldViolation, InvalidInput
from routing.rpc.wire import returns as wire_returns
from routing.rpc.wire.returns import request_to_proto, return_from_proto, return_to_proto
from routing.rpc.wire.violations import MAX_REPORTED_VIOLATIONS
from tests.strategies import returns

TODAY = date(2026, 11, 22)
ROOT = "customer_return"


def sample_return(**changes: object) -> Return:
    item = Item(
        sku="SKU-1",
        hs_code="6109100010",
        value_minor=2999,
        currency="EUR",
        weight_g=350,
        dims_mm=(300, 200, 40),
        quantity=2,
        grade=ConditionGrade.B,
        reason=ReturnReason.WRONG_SIZE,
    )
    r = Return(
        items=(item, replace(item, sku="SKU-2"), replace(item, sku="SKU-3")),
        customer_country="DE",
        customer_postal_code="10115",
        origin_facility_id="ORIG-CN-SZX",
        import_date=date(2026, 10, 1),
        duty_paid_minor=0,
        vat_paid_minor=1140,
        paid_currency="EUR",
        return_date=date(2026, 11, 20),
        idempotency_key="order-42-rma-1",
    )
    return replace(r, **changes)  # type: ignore[arg-type]


def violations_of(msg: routing_pb2.Return) -> tuple[FieldViolation, ...]:
    with pytest.raises(InvalidInput) as exc:
        return_from_proto(msg, today=TODAY)
    return exc.value.violations


# -- round trips ----------------------------------------------------------------------------


@given(returns())
def test_return_round_trip(r: Return) -> None:
    """Every valid domain Return survives to_proto -> from_proto unchanged."""
    assert return_from_proto(return_to_proto(r), today=TODAY) == r


@given(returns())
def test_return_round_trip_through_bytes(r: Return) -> None:
    """Serializing the request to bytes and back loses nothing either."""
    wire = request_to_proto(r, correlation_id="c-1").SerializeToString()
    request = routing_pb2.RouteReturnRequest.FromString(wire)
    assert request.correlation_id == "c-1"
    assert return_from_proto(request.customer_return, today=TODAY) == r


# -- presence and defaults -------------------------------------------------------------------


def test_return_date_defaults_to_today() -> None:
    """An unset return_date means the routing day passed in (the server's today)."""
    msg = return_to_proto(sample_return())
    msg.ClearField("return_date")
    assert return_from_proto(msg, today=TODAY).return_date == TODAY


def test_unset_constraints_take_domain_defaults() -> None:
    """Constraints absent, or present with no field set, equal Constraints()."""
    msg = return_to_proto(sample_return())
    msg.ClearField("constraints")
    assert return_from_proto(msg, today=TODAY).constraints == Constraints()
    msg.constraints.SetInParent()
    assert return_from_proto(msg, today=TODAY).constraints == Constraints()


def test_explicit_false_and_zero_constraints_are_kept() -> None:
    """Presence distinguishes an explicit false/0 from unset (whose defaults are true/5/None)."""
    c = Constraints(
        max_days_to_refund=0, allow_returnless=False, allow_split=False, max_alternatives=0
    )
    msg = return_to_proto(sample_return(constraints=c))
    assert msg.constraints.HasField("allow_returnless")
    assert return_from_proto(msg, today=TODAY).constraints == c


# -- bad input ------------------------------------------------------------------------------

Mutation = Callable[[routing_pb2.Return], None]


def _set_item(i: int, **fields: object) -> Mutation:
    def mutate(m: routing_pb2.Return) -> None:
        for name, value in fields.items():
            setattr(m.items[i], name, value)

    return mutate


def _clear(getter: Callable[[routing_pb2.Return], object], name: str) -> Mutation:
    def mutate(m: routing_pb2.Return) -> None:
        getter(m).ClearField(name)  # type: ignore[attr-defined]

    return mutate


def _set_money(i: int, **fields: object) -> Mutation:
    def mutate(m: routing_pb2.Return) -> None:
        for name, value in fields.items():
            setattr(m.items[i].declared_value, name, value)

    return mutate


def _set_dims(i: int, **fields: int) -> Mutation:
    def mutate(m: routing_pb2.Return) -> None:
        for name, value in fields.items():
            setattr(m.items[i].dimensions_mm, name, value)

    return mutate


def _set_customer(**fields: str) -> Mutation:
    def mutate(m: routing_pb2.Return) -> None:
        for name, value in fields.items():
            setattr(m.customer, name, value)

    return mutate


def _set_date(getter: Callable[[routing_pb2.Return], object], y: int, mo: int, d: int) -> Mutation:
    def mutate(m: routing_pb2.Return) -> None:
        target = getter(m)
        target.year, target.month, target.day = y, mo, d  # type: ignore[attr-defined]

    return mutate


def _items(n: int) -> Mutation:
    def mutate(m: routing_pb2.Return) -> None:
        template = m.items[0]
        del m.items[:]
        for _ in range(n):
            m.items.add().CopyFrom(template)

    return mutate


def _set(**fields: object) -> Mutation:
    def mutate(m: routing_pb2.Return) -> None:
        for name, value in fields.items():
            setattr(m, name, value)

    return mutate


def _set_import(getter_name: str, **fields: object) -> Mutation:
    def mutate(m: routing_pb2.Return) -> None:
        target = getattr(m.original_import, getter_name)
        for name, value in fields.items():
            setattr(target, name, value)

    return mutate


def _set_constraint(**fields: int) -> Mutation:
    def mutate(m: routing_pb2.Return) -> None:
        for name, value in fields.items():
            setattr(m.constraints, name, value)

    return mutate


I2 = f"{ROOT}.items[2]"
OI = f"{ROOT}.original_import"
BAD_INPUTS: list[tuple[str, Mutation, str, str]] = [
    # (case id, mutation of a valid return, violation path, fragment of its description)
    ("unknown country", _set_customer(country="XX"), f"{ROOT}.customer.country", "unknown country"),
    ("lower-case country", _set_customer(country="de"), f"{ROOT}.customer.country", "upper case"),
    ("alpha-3 country", _set_customer(country="DEU"), f"{ROOT}.customer.country", "unknown"),
    ("no country", _set_customer(country=""), f"{ROOT}.customer.country", "is required"),
    ("bad postal code", _set_customer(postal_code="?"), f"{ROOT}.customer.postal_code", "letters"),
    (
        "territory of another country",
        _set_customer(territory="ES-CN"),
        f"{ROOT}.customer.territory",
        "ISO 3166-2",
    ),
    ("territory not a code", _set_customer(territory="DE"), f"{ROOT}.customer.territory", "DE-"),
    ("no customer", _clear(lambda m: m, "customer"), f"{ROOT}.customer", "is required"),
    ("HS code 5 digits", _set_item(2, hs_code="61091"), f"{I2}.hs_code", "6 to 10 digits"),
    ("HS code 11 digits", _set_item(2, hs_code="61091000101"), f"{I2}.hs_code", "6 to 10 digits"),
    ("HS code letters", _set_item(2, hs_code="61O91O"), f"{I2}.hs_code", "6 to 10 digits"),
    ("HS code dotted", _set_item(2, hs_code="6109.10"), f"{I2}.hs_code", "6 to 10 digits"),
    ("zero weight", _set_item(2, weight_g=0), f"{I2}.weight_g", "between 1 and 1000000, got 0"),
    ("negative weight", _set_item(2, weight_g=-5), f"{I2}.weight_g", "got -5"),
    ("over 1 t", _set_item(2, weight_g=1_000_001), f"{I2}.weight_g", "between 1 and 1000000"),
    ("zero value", _set_money(2, amount_minor=0), f"{I2}.declared_value.amount_minor", "got 0"),
    ("negative value", _set_money(2, amount_minor=-1), f"{I2}.declared_value.amount_minor", "-1"),
    ("currency EURO", _set_money(2, currency="EURO"), f"{I2}.declared_value.currency", "ISO 4217"),
    ("currency eur", _set_money(2, currency="eur"), f"{I2}.declared_value.currency", "ISO 4217"),
    ("no currency", _set_money(2, currency=""), f"{I2}.declared_value.currency", "is required"),
    (
        "no value",
        _clear(lambda m: m.items[2], "declared_value"),
        f"{I2}.declared_value",
        "required",
    ),
    ("zero height", _set_dims(2, height=0), f"{I2}.dimensions_mm.height", "got 0"),
    ("11 m long", _set_dims(2, length=11_000), f"{I2}.dimensions_mm.length", "and 10000"),
    (
        "no dimensions",
        _clear(lambda m: m.items[2], "dimensions_mm"),
        f"{I2}.dimensions_mm",
        "required",
    ),
    ("zero quantity", _set_item(2, quantity=0), f"{I2}.quantity", "got 0"),
    ("2 KB sku", _set_item(2, sku="x" * 2048), f"{I2}.sku", "longer than 1024 bytes"),
    ("multibyte sku over 1 KB", _set_item(2, sku="é" * 513), f"{I2}.sku", "1024 bytes"),
    ("blank sku", _set_item(2, sku="  "), f"{I2}.sku", "is required"),
    ("UNSPECIFIED grade", _set_item(2, grade=0), f"{I2}.grade", "is required"),
    ("unknown grade", _set_item(2, grade=99), f"{I2}.grade", "unknown ConditionGrade value 99"),
    ("UNSPECIFIED reason", _set_item(2, reason=0), f"{I2}.reason", "is required"),
    ("unknown reason", _set_item(2, reason=7), f"{I2}.reason", "unknown ReturnReason value 7"),
    ("empty items", _items(0), f"{ROOT}.items", "at least one item"),
    ("1001 items", _items(1001), f"{ROOT}.items", "at most 1000 item lines, got 1001"),
    ("no origin", _set(origin_facility_id=""), f"{ROOT}.origin_facility_id", "is required"),
    ("2 KB origin", _set(origin_facility_id="o" * 2048), f"{ROOT}.origin_facility_id", "1024"),
    ("2 KB idempotency key", _set(idempotency_key="k" * 2048), f"{ROOT}.idempotency_key", "1024"),
    (
        "import month 13",
        _set_date(lambda m: m.original_import.import_date, 2026, 13, 1),
        f"{OI}.import_date",
        "valid calendar date",
    ),
    (
        "import 30 February",
        _set_date(lambda m: m.original_import.import_date, 2026, 2, 30),
        f"{OI}.import_date",
        "2026-02-30",
    ),
    (
        "import year 0",
        _set_date(lambda m: m.original_import.import_date, 0, 1, 1),
        f"{OI}.import_date",
        "valid calendar date",
    ),
    (
        "import date missing",
        _clear(lambda m: m.original_import, "import_date"),
        f"{OI}.import_date",
        "is required",
    ),
    (
        "return date all zero",
        _set_date(lambda m: m.return_date, 0, 0, 0),
        f"{ROOT}.return_date",
        "valid calendar date",
    ),
    (
        "import after return",
        _set_date(lambda m: m.original_import.import_date, 2026, 11, 21),
        f"{OI}.import_date",
        "after the return date",
    ),
    ("no original import", _clear(lambda m: m, "original_import"), OI, "is required"),
    (
        "negative duty",
        _set_import("duty_paid", amount_minor=-1),
        f"{OI}.duty_paid.amount_minor",
        "got -1",
    ),
    ("no VAT paid", _clear(lambda m: m.original_import, "vat_paid"), f"{OI}.vat_paid", "required"),
    (
        "VAT in another currency",
        _set_import("vat_paid", currency="GBP"),
        f"{OI}.vat_paid.currency",
        "must equal duty_paid.currency 'EUR'",
    ),
    (
        "refund within 400 days",
        _set_constraint(max_days_to_refund=400),
        f"{ROOT}.constraints.max_days_to_refund",
        "between 0 and 365",
    ),
    (
        "51 alternatives",
        _set_constraint(max_alternatives=51),
        f"{ROOT}.constraints.max_alternatives",
        "between 0 and 50",
    ),
    (
        "negative alternatives",
        _set_constraint(max_alternatives=-1),
        f"{ROOT}.constraints.max_alternatives",
        "got -1",
    ),
]


@pytest.mark.parametrize(
    ("mutate", "path", "fragment"),
    [pytest.param(m, p, f, id=case) for case, m, p, f in BAD_INPUTS],
)
def test_bad_input_names_the_field(mutate: Mutation, path: str, fragment: str) -> None:
    """One bad field yields exactly one violation, at its full request path, saying why."""
    msg = return_to_proto(sample_return())
    mutate(msg)
    violations = violations_of(msg)
    assert [v.field for v in violations] == [path], violations
    assert fragment in violations[0].description


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("hs_code", "610910\n"),
    ],
)
def test_trailing_newline_is_rejected(field: str, value: str) -> None:
    """A value that is valid but for a trailing newline is still rejected."""
    msg = return_to_proto(sample_return())
    setattr(msg.items[0], field, value)
    assert [v.field for v in violations_of(msg)] == [f"{ROOT}.items[0].{field}"]


def test_every_violation_is_reported_at_once() -> None:
    """Independent bad fields across the message are all reported in one error."""
    msg = return_to_proto(sample_return())
    msg.customer.country = "EURO"
    msg.items[0].hs_code = "12345"
    msg.items[1].weight_g = 0
    msg.items[1].grade = common_pb2.CONDITION_GRADE_UNSPECIFIED
    msg.original_import.import_date.month = 13
    msg.constraints.max_alternatives = 99
    assert sorted(v.field for v in violations_of(msg)) == sorted(
        [
            f"{ROOT}.customer.country",
            f"{ROOT}.items[0].hs_code",
            f"{ROOT}.items[1].weight_g",
            f"{ROOT}.items[1].grade",
            f"{OI}.import_date",
            f"{ROOT}.constraints.max_alternatives",
        ]
    )


def test_violations_are_capped() -> None:
    """1000 bad lines give MAX_REPORTED_VIOLATIONS violations, the last counting the rest."""
    msg = return_to_proto(sample_return())
    _items(1000)(msg)
    for item in msg.items:
        item.weight_g = 0
    violations = violations_of(msg)
    assert len(violations) == MAX_REPORTED_VIOLATIONS
    assert violations[0] == FieldViolation(
        f"{ROOT}.items[0].weight_g", "must be between 1 and 1000000, got 0"
    )
    assert violations[-1].field == ROOT
    assert violations[-1].description == f"and {1000 - MAX_REPORTED_VIOLATIONS + 1} more violations"


def test_custom_root_path() -> None:
    """``path`` re-roots every violation (e.g. for a return inside a batch request)."""
    msg = return_to_proto(sample_return())
    msg.items[0].weight_g = 0
    with pytest.raises(InvalidInput) as exc:
        return_from_proto(msg, today=TODAY, path="returns[3]")
    assert [v.field for v in exc.value.violations] == ["returns[3].items[0].weight_g"]


def test_domain_rule_missed_by_the_converter_keeps_the_request_path(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Should a domain invariant catch what the converter did not, the path is still rooted
    (the domain asserts invariants, not the edge's whole validation: the HS code format is
    the edge's to check, a weight of at least one gram the item's)."""
    monkeypatch.setattr(wire_returns, "check_int_range", lambda v, path, value, lo, hi: None)
    msg = return_to_proto(sample_return())
    msg.items[1].weight_g = 0
    assert violations_of(msg) == (
        FieldViolation(f"{ROOT}.items[1].weight_g", f"must be between 1 and {MAX_WEIGHT_G}, got 0"),
    )


def test_empty_message_reports_each_required_part() -> None:
    """An empty Return names each missing required part, nothing else."""
    assert [v.field for v in violations_of(routing_pb2.Return())] == [
        f"{ROOT}.items",
        f"{ROOT}.customer",
        f"{ROOT}.origin_facility_id",
        OI,
    ]


_FIELD_VALUES = st.one_of(
    st.integers(-(2**31), 2**31 - 1),
    st.sampled_from(["", " ", "DE", "de", "EUR", "EURO", "12345", "ES-CN", "x" * 1100, "\n"]),
    st.text(max_size=12),
)
_INT_FIELDS = {"weight_g", "quantity", "grade", "reason", "amount_minor", "length", "width", "year"}
_INT_FIELDS |= {"height", "month", "day", "max_days_to_refund", "max_alternatives"}


@st.composite
def _mutated(draw: st.DrawFn) -> routing_pb2.Return:
    msg = return_to_proto(draw(returns(max_items=3)))
    targets: list[object] = [msg, msg.customer, msg.original_import, msg.constraints]
    targets += [msg.original_import.import_date, msg.return_date]
    targets += [msg.original_import.duty_paid, msg.original_import.vat_paid]
    for item in msg.items:
        targets += [item, item.declared_value, item.dimensions_mm]
    for _ in range(draw(st.integers(1, 4))):
        target = draw(st.sampled_from(targets))
        fields = target.DESCRIPTOR.fields  # type: ignore[attr-defined]
        field = draw(st.sampled_from([f for f in fields if f.message_type is None]))
        value = draw(_FIELD_VALUES)
        if (field.name in _INT_FIELDS) != isinstance(value, int) or field.type == field.TYPE_BOOL:
            continue
        setattr(target, field.name, value)
    if draw(st.booleans()):
        target = draw(st.sampled_from(targets[:3]))
        names = [f.name for f in target.DESCRIPTOR.fields if f.message_type is not None]  # type: ignore[attr-defined]
        if names:
            target.ClearField(draw(st.sampled_from(names)))  # type: ignore[attr-defined]
    return msg


@settings(max_examples=300)
@given(_mutated())
def test_any_message_parses_or_fails_with_rooted_paths(msg: routing_pb2.Return) -> None:
    """Whatever a client sends, parsing gives a Return or InvalidInput at request paths."""
    violations: tuple[FieldViolation, ...] = ()
    try:
        r = return_from_proto(msg, today=TODAY)
    except InvalidInput as exc:
        violations = exc.violations
    else:
        assert return_from_proto(return_to_proto(r), today=TODAY) == r
    assert all(v.field.startswith(f"{ROOT}.") or v.field == ROOT for v in violations), violations
