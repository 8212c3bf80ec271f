import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.rpc import status_pb2 as _status_pb2
from google.type import date_pb2 as _date_pb2
from reroute.v1 import common_pb2 as _common_pb2
from reroute.v1 import customs_pb2 as _customs_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class RefundTrigger(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    REFUND_TRIGGER_UNSPECIFIED: _ClassVar[RefundTrigger]
    REFUND_TRIGGER_FIRST_SCAN: _ClassVar[RefundTrigger]
    REFUND_TRIGGER_RECEIPT: _ClassVar[RefundTrigger]
    REFUND_TRIGGER_GRADED: _ClassVar[RefundTrigger]

class Term(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    TERM_UNSPECIFIED: _ClassVar[Term]
    TERM_PARCEL_CARRIAGE: _ClassVar[Term]
    TERM_FUEL_SURCHARGE: _ClassVar[Term]
    TERM_CARRIER_FEES: _ClassVar[Term]
    TERM_LINEHAUL_SHARE: _ClassVar[Term]
    TERM_HANDLING: _ClassVar[Term]
    TERM_DISPOSITION_COST: _ClassVar[Term]
    TERM_DUTY_DUE: _ClassVar[Term]
    TERM_IMPORT_VAT_DUE: _ClassVar[Term]
    TERM_DUTY_RECLAIM: _ClassVar[Term]
    TERM_VAT_RECLAIM: _ClassVar[Term]
    TERM_RECOVERY_VALUE: _ClassVar[Term]
    TERM_REFUND_DELAY: _ClassVar[Term]
    TERM_RESALE_DELAY: _ClassVar[Term]
    TERM_CO2E: _ClassVar[Term]

class DestinationKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    DESTINATION_KIND_UNSPECIFIED: _ClassVar[DestinationKind]
    DESTINATION_KIND_LOCAL_3PL: _ClassVar[DestinationKind]
    DESTINATION_KIND_HUB: _ClassVar[DestinationKind]
    DESTINATION_KIND_ORIGIN: _ClassVar[DestinationKind]
    DESTINATION_KIND_NONE: _ClassVar[DestinationKind]

class LegKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    LEG_KIND_UNSPECIFIED: _ClassVar[LegKind]
    LEG_KIND_PARCEL: _ClassVar[LegKind]
    LEG_KIND_LINEHAUL: _ClassVar[LegKind]
REFUND_TRIGGER_UNSPECIFIED: RefundTrigger
REFUND_TRIGGER_FIRST_SCAN: RefundTrigger
REFUND_TRIGGER_RECEIPT: RefundTrigger
REFUND_TRIGGER_GRADED: RefundTrigger
TERM_UNSPECIFIED: Term
TERM_PARCEL_CARRIAGE: Term
TERM_FUEL_SURCHARGE: Term
TERM_CARRIER_FEES: Term
TERM_LINEHAUL_SHARE: Term
TERM_HANDLING: Term
TERM_DISPOSITION_COST: Term
TERM_DUTY_DUE: Term
TERM_IMPORT_VAT_DUE: Term
TERM_DUTY_RECLAIM: Term
TERM_VAT_RECLAIM: Term
TERM_RECOVERY_VALUE: Term
TERM_REFUND_DELAY: Term
TERM_RESALE_DELAY: Term
TERM_CO2E: Term
DESTINATION_KIND_UNSPECIFIED: DestinationKind
DESTINATION_KIND_LOCAL_3PL: DestinationKind
DESTINATION_KIND_HUB: DestinationKind
DESTINATION_KIND_ORIGIN: DestinationKind
DESTINATION_KIND_NONE: DestinationKind
LEG_KIND_UNSPECIFIED: LegKind
LEG_KIND_PARCEL: LegKind
LEG_KIND_LINEHAUL: LegKind

class ExplainDecisionRequest(_message.Message):
    __slots__ = ("decision_id",)
    DECISION_ID_FIELD_NUMBER: _ClassVar[int]
    decision_id: str
    def __init__(self, decision_id: _Optional[str] = ...) -> None: ...

class ExplainDecisionResponse(_message.Message):
    __slots__ = ("stored", "replayed", "differences", "identical", "truncated", "request")
    STORED_FIELD_NUMBER: _ClassVar[int]
    REPLAYED_FIELD_NUMBER: _ClassVar[int]
    DIFFERENCES_FIELD_NUMBER: _ClassVar[int]
    IDENTICAL_FIELD_NUMBER: _ClassVar[int]
    TRUNCATED_FIELD_NUMBER: _ClassVar[int]
    REQUEST_FIELD_NUMBER: _ClassVar[int]
    stored: RouteDecision
    replayed: RouteDecision
    differences: _containers.RepeatedCompositeFieldContainer[DecisionDifference]
    identical: bool
    truncated: bool
    request: Return
    def __init__(self, stored: _Optional[_Union[RouteDecision, _Mapping]] = ..., replayed: _Optional[_Union[RouteDecision, _Mapping]] = ..., differences: _Optional[_Iterable[_Union[DecisionDifference, _Mapping]]] = ..., identical: _Optional[bool] = ..., truncated: _Optional[bool] = ..., request: _Optional[_Union[Return, _Mapping]] = ...) -> None: ...

class DecisionDifference(_message.Message):
    __slots__ = ("path", "stored", "replayed")
    PATH_FIELD_NUMBER: _ClassVar[int]
    STORED_FIELD_NUMBER: _ClassVar[int]
    REPLAYED_FIELD_NUMBER: _ClassVar[int]
    path: str
    stored: str
    replayed: str
    def __init__(self, path: _Optional[str] = ..., stored: _Optional[str] = ..., replayed: _Optional[str] = ...) -> None: ...

class GetDecisionRequest(_message.Message):
    __slots__ = ("decision_id",)
    DECISION_ID_FIELD_NUMBER: _ClassVar[int]
    decision_id: str
    def __init__(self, decision_id: _Optional[str] = ...) -> None: ...

class GetDecisionResponse(_message.Message):
    __slots__ = ("decision", "create_time")
    DECISION_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    decision: RouteDecision
    create_time: _timestamp_pb2.Timestamp
    def __init__(self, decision: _Optional[_Union[RouteDecision, _Mapping]] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ListDecisionsRequest(_message.Message):
    __slots__ = ("page_size", "page_token")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListDecisionsResponse(_message.Message):
    __slots__ = ("decisions", "next_page_token")
    DECISIONS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    decisions: _containers.RepeatedCompositeFieldContainer[GetDecisionResponse]
    next_page_token: str
    def __init__(self, decisions: _Optional[_Iterable[_Union[GetDecisionResponse, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class RouteReturnRequest(_message.Message):
    __slots__ = ("customer_return", "correlation_id")
    CUSTOMER_RETURN_FIELD_NUMBER: _ClassVar[int]
    CORRELATION_ID_FIELD_NUMBER: _ClassVar[int]
    customer_return: Return
    correlation_id: str
    def __init__(self, customer_return: _Optional[_Union[Return, _Mapping]] = ..., correlation_id: _Optional[str] = ...) -> None: ...

class RouteReturnResponse(_message.Message):
    __slots__ = ("decision",)
    DECISION_FIELD_NUMBER: _ClassVar[int]
    decision: RouteDecision
    def __init__(self, decision: _Optional[_Union[RouteDecision, _Mapping]] = ...) -> None: ...

class RouteReturnsResponse(_message.Message):
    __slots__ = ("correlation_id", "decision", "error")
    CORRELATION_ID_FIELD_NUMBER: _ClassVar[int]
    DECISION_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    correlation_id: str
    decision: RouteDecision
    error: _status_pb2.Status
    def __init__(self, correlation_id: _Optional[str] = ..., decision: _Optional[_Union[RouteDecision, _Mapping]] = ..., error: _Optional[_Union[_status_pb2.Status, _Mapping]] = ...) -> None: ...

class Return(_message.Message):
    __slots__ = ("items", "customer", "origin_facility_id", "original_import", "return_date", "idempotency_key", "constraints", "merchant_policy")
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    CUSTOMER_FIELD_NUMBER: _ClassVar[int]
    ORIGIN_FACILITY_ID_FIELD_NUMBER: _ClassVar[int]
    ORIGINAL_IMPORT_FIELD_NUMBER: _ClassVar[int]
    RETURN_DATE_FIELD_NUMBER: _ClassVar[int]
    IDEMPOTENCY_KEY_FIELD_NUMBER: _ClassVar[int]
    CONSTRAINTS_FIELD_NUMBER: _ClassVar[int]
    MERCHANT_POLICY_FIELD_NUMBER: _ClassVar[int]
    items: _containers.RepeatedCompositeFieldContainer[Item]
    customer: Customer
    origin_facility_id: str
    original_import: OriginalImport
    return_date: _date_pb2.Date
    idempotency_key: str
    constraints: Constraints
    merchant_policy: MerchantPolicy
    def __init__(self, items: _Optional[_Iterable[_Union[Item, _Mapping]]] = ..., customer: _Optional[_Union[Customer, _Mapping]] = ..., origin_facility_id: _Optional[str] = ..., original_import: _Optional[_Union[OriginalImport, _Mapping]] = ..., return_date: _Optional[_Union[_date_pb2.Date, _Mapping]] = ..., idempotency_key: _Optional[str] = ..., constraints: _Optional[_Union[Constraints, _Mapping]] = ..., merchant_policy: _Optional[_Union[MerchantPolicy, _Mapping]] = ...) -> None: ...

class MerchantPolicy(_message.Message):
    __slots__ = ("keep_it_max_unit_value", "local_disposal_max_unit_value", "max_loss_bp", "refund_trigger", "allow_local_disposal")
    KEEP_IT_MAX_UNIT_VALUE_FIELD_NUMBER: _ClassVar[int]
    LOCAL_DISPOSAL_MAX_UNIT_VALUE_FIELD_NUMBER: _ClassVar[int]
    MAX_LOSS_BP_FIELD_NUMBER: _ClassVar[int]
    REFUND_TRIGGER_FIELD_NUMBER: _ClassVar[int]
    ALLOW_LOCAL_DISPOSAL_FIELD_NUMBER: _ClassVar[int]
    keep_it_max_unit_value: _common_pb2.Money
    local_disposal_max_unit_value: _common_pb2.Money
    max_loss_bp: int
    refund_trigger: RefundTrigger
    allow_local_disposal: bool
    def __init__(self, keep_it_max_unit_value: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., local_disposal_max_unit_value: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., max_loss_bp: _Optional[int] = ..., refund_trigger: _Optional[_Union[RefundTrigger, str]] = ..., allow_local_disposal: _Optional[bool] = ...) -> None: ...

class Item(_message.Message):
    __slots__ = ("sku", "hs_code", "declared_value", "weight_g", "dimensions_mm", "quantity", "grade", "reason")
    SKU_FIELD_NUMBER: _ClassVar[int]
    HS_CODE_FIELD_NUMBER: _ClassVar[int]
    DECLARED_VALUE_FIELD_NUMBER: _ClassVar[int]
    WEIGHT_G_FIELD_NUMBER: _ClassVar[int]
    DIMENSIONS_MM_FIELD_NUMBER: _ClassVar[int]
    QUANTITY_FIELD_NUMBER: _ClassVar[int]
    GRADE_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    sku: str
    hs_code: str
    declared_value: _common_pb2.Money
    weight_g: int
    dimensions_mm: _common_pb2.Dimensions
    quantity: int
    grade: _common_pb2.ConditionGrade
    reason: _common_pb2.ReturnReason
    def __init__(self, sku: _Optional[str] = ..., hs_code: _Optional[str] = ..., declared_value: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., weight_g: _Optional[int] = ..., dimensions_mm: _Optional[_Union[_common_pb2.Dimensions, _Mapping]] = ..., quantity: _Optional[int] = ..., grade: _Optional[_Union[_common_pb2.ConditionGrade, str]] = ..., reason: _Optional[_Union[_common_pb2.ReturnReason, str]] = ...) -> None: ...

class Customer(_message.Message):
    __slots__ = ("country", "postal_code", "territory")
    COUNTRY_FIELD_NUMBER: _ClassVar[int]
    POSTAL_CODE_FIELD_NUMBER: _ClassVar[int]
    TERRITORY_FIELD_NUMBER: _ClassVar[int]
    country: str
    postal_code: str
    territory: str
    def __init__(self, country: _Optional[str] = ..., postal_code: _Optional[str] = ..., territory: _Optional[str] = ...) -> None: ...

class OriginalImport(_message.Message):
    __slots__ = ("import_date", "duty_paid", "vat_paid", "vat_collected_at_checkout")
    IMPORT_DATE_FIELD_NUMBER: _ClassVar[int]
    DUTY_PAID_FIELD_NUMBER: _ClassVar[int]
    VAT_PAID_FIELD_NUMBER: _ClassVar[int]
    VAT_COLLECTED_AT_CHECKOUT_FIELD_NUMBER: _ClassVar[int]
    import_date: _date_pb2.Date
    duty_paid: _common_pb2.Money
    vat_paid: _common_pb2.Money
    vat_collected_at_checkout: bool
    def __init__(self, import_date: _Optional[_Union[_date_pb2.Date, _Mapping]] = ..., duty_paid: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., vat_paid: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., vat_collected_at_checkout: _Optional[bool] = ...) -> None: ...

class Constraints(_message.Message):
    __slots__ = ("max_days_to_refund", "allow_returnless", "allow_split", "max_alternatives")
    MAX_DAYS_TO_REFUND_FIELD_NUMBER: _ClassVar[int]
    ALLOW_RETURNLESS_FIELD_NUMBER: _ClassVar[int]
    ALLOW_SPLIT_FIELD_NUMBER: _ClassVar[int]
    MAX_ALTERNATIVES_FIELD_NUMBER: _ClassVar[int]
    max_days_to_refund: int
    allow_returnless: bool
    allow_split: bool
    max_alternatives: int
    def __init__(self, max_days_to_refund: _Optional[int] = ..., allow_returnless: _Optional[bool] = ..., allow_split: _Optional[bool] = ..., max_alternatives: _Optional[int] = ...) -> None: ...

class RouteDecision(_message.Message):
    __slots__ = ("decision_id", "idempotency_key", "currency", "chosen", "alternatives", "options_evaluated", "network_name", "return_date", "loss_guard", "excluded", "network_version", "rules_version")
    DECISION_ID_FIELD_NUMBER: _ClassVar[int]
    IDEMPOTENCY_KEY_FIELD_NUMBER: _ClassVar[int]
    CURRENCY_FIELD_NUMBER: _ClassVar[int]
    CHOSEN_FIELD_NUMBER: _ClassVar[int]
    ALTERNATIVES_FIELD_NUMBER: _ClassVar[int]
    OPTIONS_EVALUATED_FIELD_NUMBER: _ClassVar[int]
    NETWORK_NAME_FIELD_NUMBER: _ClassVar[int]
    RETURN_DATE_FIELD_NUMBER: _ClassVar[int]
    LOSS_GUARD_FIELD_NUMBER: _ClassVar[int]
    EXCLUDED_FIELD_NUMBER: _ClassVar[int]
    NETWORK_VERSION_FIELD_NUMBER: _ClassVar[int]
    RULES_VERSION_FIELD_NUMBER: _ClassVar[int]
    decision_id: str
    idempotency_key: str
    currency: str
    chosen: RouteOption
    alternatives: _containers.RepeatedCompositeFieldContainer[RouteOption]
    options_evaluated: int
    network_name: str
    return_date: _date_pb2.Date
    loss_guard: LossGuard
    excluded: _containers.RepeatedCompositeFieldContainer[ExcludedOption]
    network_version: str
    rules_version: str
    def __init__(self, decision_id: _Optional[str] = ..., idempotency_key: _Optional[str] = ..., currency: _Optional[str] = ..., chosen: _Optional[_Union[RouteOption, _Mapping]] = ..., alternatives: _Optional[_Iterable[_Union[RouteOption, _Mapping]]] = ..., options_evaluated: _Optional[int] = ..., network_name: _Optional[str] = ..., return_date: _Optional[_Union[_date_pb2.Date, _Mapping]] = ..., loss_guard: _Optional[_Union[LossGuard, _Mapping]] = ..., excluded: _Optional[_Iterable[_Union[ExcludedOption, _Mapping]]] = ..., network_version: _Optional[str] = ..., rules_version: _Optional[str] = ...) -> None: ...

class LossGuard(_message.Message):
    __slots__ = ("loss_minor", "threshold_minor", "excluded_label", "excluded_net_cost_minor", "excluded_because")
    LOSS_MINOR_FIELD_NUMBER: _ClassVar[int]
    THRESHOLD_MINOR_FIELD_NUMBER: _ClassVar[int]
    EXCLUDED_LABEL_FIELD_NUMBER: _ClassVar[int]
    EXCLUDED_NET_COST_MINOR_FIELD_NUMBER: _ClassVar[int]
    EXCLUDED_BECAUSE_FIELD_NUMBER: _ClassVar[int]
    loss_minor: int
    threshold_minor: int
    excluded_label: str
    excluded_net_cost_minor: int
    excluded_because: str
    def __init__(self, loss_minor: _Optional[int] = ..., threshold_minor: _Optional[int] = ..., excluded_label: _Optional[str] = ..., excluded_net_cost_minor: _Optional[int] = ..., excluded_because: _Optional[str] = ...) -> None: ...

class ExcludedOption(_message.Message):
    __slots__ = ("option", "reason", "subject", "description")
    OPTION_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    SUBJECT_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    option: str
    reason: str
    subject: str
    description: str
    def __init__(self, option: _Optional[str] = ..., reason: _Optional[str] = ..., subject: _Optional[str] = ..., description: _Optional[str] = ...) -> None: ...

class RouteOption(_message.Message):
    __slots__ = ("label", "net_cost_minor", "totals", "shipments", "days_to_refund", "days_to_resale", "co2e_g", "reason_codes")
    LABEL_FIELD_NUMBER: _ClassVar[int]
    NET_COST_MINOR_FIELD_NUMBER: _ClassVar[int]
    TOTALS_FIELD_NUMBER: _ClassVar[int]
    SHIPMENTS_FIELD_NUMBER: _ClassVar[int]
    DAYS_TO_REFUND_FIELD_NUMBER: _ClassVar[int]
    DAYS_TO_RESALE_FIELD_NUMBER: _ClassVar[int]
    CO2E_G_FIELD_NUMBER: _ClassVar[int]
    REASON_CODES_FIELD_NUMBER: _ClassVar[int]
    label: str
    net_cost_minor: int
    totals: _containers.RepeatedCompositeFieldContainer[TermTotal]
    shipments: _containers.RepeatedCompositeFieldContainer[Shipment]
    days_to_refund: int
    days_to_resale: int
    co2e_g: int
    reason_codes: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, label: _Optional[str] = ..., net_cost_minor: _Optional[int] = ..., totals: _Optional[_Iterable[_Union[TermTotal, _Mapping]]] = ..., shipments: _Optional[_Iterable[_Union[Shipment, _Mapping]]] = ..., days_to_refund: _Optional[int] = ..., days_to_resale: _Optional[int] = ..., co2e_g: _Optional[int] = ..., reason_codes: _Optional[_Iterable[str]] = ...) -> None: ...

class TermTotal(_message.Message):
    __slots__ = ("term", "amount_minor")
    TERM_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_MINOR_FIELD_NUMBER: _ClassVar[int]
    term: Term
    amount_minor: int
    def __init__(self, term: _Optional[_Union[Term, str]] = ..., amount_minor: _Optional[int] = ...) -> None: ...

class CostTerm(_message.Message):
    __slots__ = ("term", "amount_minor", "detail")
    TERM_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_MINOR_FIELD_NUMBER: _ClassVar[int]
    DETAIL_FIELD_NUMBER: _ClassVar[int]
    term: Term
    amount_minor: int
    detail: str
    def __init__(self, term: _Optional[_Union[Term, str]] = ..., amount_minor: _Optional[int] = ..., detail: _Optional[str] = ...) -> None: ...

class Shipment(_message.Message):
    __slots__ = ("destination_id", "destination_kind", "destination_country", "items", "legs", "terms", "customs", "net_cost_minor", "days_to_refund", "days_to_resale", "co2e_g")
    DESTINATION_ID_FIELD_NUMBER: _ClassVar[int]
    DESTINATION_KIND_FIELD_NUMBER: _ClassVar[int]
    DESTINATION_COUNTRY_FIELD_NUMBER: _ClassVar[int]
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    LEGS_FIELD_NUMBER: _ClassVar[int]
    TERMS_FIELD_NUMBER: _ClassVar[int]
    CUSTOMS_FIELD_NUMBER: _ClassVar[int]
    NET_COST_MINOR_FIELD_NUMBER: _ClassVar[int]
    DAYS_TO_REFUND_FIELD_NUMBER: _ClassVar[int]
    DAYS_TO_RESALE_FIELD_NUMBER: _ClassVar[int]
    CO2E_G_FIELD_NUMBER: _ClassVar[int]
    destination_id: str
    destination_kind: DestinationKind
    destination_country: str
    items: _containers.RepeatedCompositeFieldContainer[ItemAllocation]
    legs: _containers.RepeatedCompositeFieldContainer[Leg]
    terms: _containers.RepeatedCompositeFieldContainer[CostTerm]
    customs: _containers.RepeatedCompositeFieldContainer[_customs_pb2.CustomsAssessment]
    net_cost_minor: int
    days_to_refund: int
    days_to_resale: int
    co2e_g: int
    def __init__(self, destination_id: _Optional[str] = ..., destination_kind: _Optional[_Union[DestinationKind, str]] = ..., destination_country: _Optional[str] = ..., items: _Optional[_Iterable[_Union[ItemAllocation, _Mapping]]] = ..., legs: _Optional[_Iterable[_Union[Leg, _Mapping]]] = ..., terms: _Optional[_Iterable[_Union[CostTerm, _Mapping]]] = ..., customs: _Optional[_Iterable[_Union[_customs_pb2.CustomsAssessment, _Mapping]]] = ..., net_cost_minor: _Optional[int] = ..., days_to_refund: _Optional[int] = ..., days_to_resale: _Optional[int] = ..., co2e_g: _Optional[int] = ...) -> None: ...

class ItemAllocation(_message.Message):
    __slots__ = ("sku", "quantity", "disposition", "recovery_minor")
    SKU_FIELD_NUMBER: _ClassVar[int]
    QUANTITY_FIELD_NUMBER: _ClassVar[int]
    DISPOSITION_FIELD_NUMBER: _ClassVar[int]
    RECOVERY_MINOR_FIELD_NUMBER: _ClassVar[int]
    sku: str
    quantity: int
    disposition: _common_pb2.Disposition
    recovery_minor: int
    def __init__(self, sku: _Optional[str] = ..., quantity: _Optional[int] = ..., disposition: _Optional[_Union[_common_pb2.Disposition, str]] = ..., recovery_minor: _Optional[int] = ...) -> None: ...

class Leg(_message.Message):
    __slots__ = ("kind", "service_id", "carrier", "service_name", "mode", "from_country", "to_country", "to_facility_id", "distance_km", "transit_days", "billable_weight_g", "charge_minor")
    KIND_FIELD_NUMBER: _ClassVar[int]
    SERVICE_ID_FIELD_NUMBER: _ClassVar[int]
    CARRIER_FIELD_NUMBER: _ClassVar[int]
    SERVICE_NAME_FIELD_NUMBER: _ClassVar[int]
    MODE_FIELD_NUMBER: _ClassVar[int]
    FROM_COUNTRY_FIELD_NUMBER: _ClassVar[int]
    TO_COUNTRY_FIELD_NUMBER: _ClassVar[int]
    TO_FACILITY_ID_FIELD_NUMBER: _ClassVar[int]
    DISTANCE_KM_FIELD_NUMBER: _ClassVar[int]
    TRANSIT_DAYS_FIELD_NUMBER: _ClassVar[int]
    BILLABLE_WEIGHT_G_FIELD_NUMBER: _ClassVar[int]
    CHARGE_MINOR_FIELD_NUMBER: _ClassVar[int]
    kind: LegKind
    service_id: str
    carrier: str
    service_name: str
    mode: _common_pb2.TransportMode
    from_country: str
    to_country: str
    to_facility_id: str
    distance_km: int
    transit_days: int
    billable_weight_g: int
    charge_minor: int
    def __init__(self, kind: _Optional[_Union[LegKind, str]] = ..., service_id: _Optional[str] = ..., carrier: _Optional[str] = ..., service_name: _Optional[str] = ..., mode: _Optional[_Union[_common_pb2.TransportMode, str]] = ..., from_country: _Optional[str] = ..., to_country: _Optional[str] = ..., to_facility_id: _Optional[str] = ..., distance_km: _Optional[int] = ..., transit_days: _Optional[int] = ..., billable_weight_g: _Optional[int] = ..., charge_minor: _Optional[int] = ...) -> None: ...
