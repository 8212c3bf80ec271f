from google.type import date_pb2 as _date_pb2
from reroute.v1 import common_pb2 as _common_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Confidence(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CONFIDENCE_UNSPECIFIED: _ClassVar[Confidence]
    CONFIDENCE_HIGH: _ClassVar[Confidence]
    CONFIDENCE_MEDIUM: _ClassVar[Confidence]
    CONFIDENCE_LOW: _ClassVar[Confidence]

class Claimant(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CLAIMANT_UNSPECIFIED: _ClassVar[Claimant]
    CLAIMANT_IMPORTER_OF_RECORD: _ClassVar[Claimant]
    CLAIMANT_DECLARANT: _ClassVar[Claimant]
    CLAIMANT_SELLER: _ClassVar[Claimant]
    CLAIMANT_CONSUMER: _ClassVar[Claimant]

class Channel(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CHANNEL_UNSPECIFIED: _ClassVar[Channel]
    CHANNEL_POSTAL: _ClassVar[Channel]
    CHANNEL_COURIER: _ClassVar[Channel]
    CHANNEL_FREIGHT: _ClassVar[Channel]
CONFIDENCE_UNSPECIFIED: Confidence
CONFIDENCE_HIGH: Confidence
CONFIDENCE_MEDIUM: Confidence
CONFIDENCE_LOW: Confidence
CLAIMANT_UNSPECIFIED: Claimant
CLAIMANT_IMPORTER_OF_RECORD: Claimant
CLAIMANT_DECLARANT: Claimant
CLAIMANT_SELLER: Claimant
CLAIMANT_CONSUMER: Claimant
CHANNEL_UNSPECIFIED: Channel
CHANNEL_POSTAL: Channel
CHANNEL_COURIER: Channel
CHANNEL_FREIGHT: Channel

class RuleRef(_message.Message):
    __slots__ = ("rule_id", "legal_basis", "source_ids", "effective_from", "effective_to", "confidence")
    RULE_ID_FIELD_NUMBER: _ClassVar[int]
    LEGAL_BASIS_FIELD_NUMBER: _ClassVar[int]
    SOURCE_IDS_FIELD_NUMBER: _ClassVar[int]
    EFFECTIVE_FROM_FIELD_NUMBER: _ClassVar[int]
    EFFECTIVE_TO_FIELD_NUMBER: _ClassVar[int]
    CONFIDENCE_FIELD_NUMBER: _ClassVar[int]
    rule_id: str
    legal_basis: str
    source_ids: _containers.RepeatedScalarFieldContainer[str]
    effective_from: _date_pb2.Date
    effective_to: _date_pb2.Date
    confidence: Confidence
    def __init__(self, rule_id: _Optional[str] = ..., legal_basis: _Optional[str] = ..., source_ids: _Optional[_Iterable[str]] = ..., effective_from: _Optional[_Union[_date_pb2.Date, _Mapping]] = ..., effective_to: _Optional[_Union[_date_pb2.Date, _Mapping]] = ..., confidence: _Optional[_Union[Confidence, str]] = ...) -> None: ...

class FxConversion(_message.Message):
    __slots__ = ("from_currency", "to_currency", "rate", "rate_date", "amount_from_minor", "amount_to_minor", "source_id")
    FROM_CURRENCY_FIELD_NUMBER: _ClassVar[int]
    TO_CURRENCY_FIELD_NUMBER: _ClassVar[int]
    RATE_FIELD_NUMBER: _ClassVar[int]
    RATE_DATE_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FROM_MINOR_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_TO_MINOR_FIELD_NUMBER: _ClassVar[int]
    SOURCE_ID_FIELD_NUMBER: _ClassVar[int]
    from_currency: str
    to_currency: str
    rate: str
    rate_date: _date_pb2.Date
    amount_from_minor: int
    amount_to_minor: int
    source_id: str
    def __init__(self, from_currency: _Optional[str] = ..., to_currency: _Optional[str] = ..., rate: _Optional[str] = ..., rate_date: _Optional[_Union[_date_pb2.Date, _Mapping]] = ..., amount_from_minor: _Optional[int] = ..., amount_to_minor: _Optional[int] = ..., source_id: _Optional[str] = ...) -> None: ...

class Reclaim(_message.Message):
    __slots__ = ("route", "duty_minor", "vat_minor", "deadline", "claimant", "conditions", "document_codes", "rule", "export_by", "note")
    ROUTE_FIELD_NUMBER: _ClassVar[int]
    DUTY_MINOR_FIELD_NUMBER: _ClassVar[int]
    VAT_MINOR_FIELD_NUMBER: _ClassVar[int]
    DEADLINE_FIELD_NUMBER: _ClassVar[int]
    CLAIMANT_FIELD_NUMBER: _ClassVar[int]
    CONDITIONS_FIELD_NUMBER: _ClassVar[int]
    DOCUMENT_CODES_FIELD_NUMBER: _ClassVar[int]
    RULE_FIELD_NUMBER: _ClassVar[int]
    EXPORT_BY_FIELD_NUMBER: _ClassVar[int]
    NOTE_FIELD_NUMBER: _ClassVar[int]
    route: str
    duty_minor: int
    vat_minor: int
    deadline: _date_pb2.Date
    claimant: Claimant
    conditions: _containers.RepeatedScalarFieldContainer[str]
    document_codes: _containers.RepeatedScalarFieldContainer[str]
    rule: RuleRef
    export_by: _date_pb2.Date
    note: str
    def __init__(self, route: _Optional[str] = ..., duty_minor: _Optional[int] = ..., vat_minor: _Optional[int] = ..., deadline: _Optional[_Union[_date_pb2.Date, _Mapping]] = ..., claimant: _Optional[_Union[Claimant, str]] = ..., conditions: _Optional[_Iterable[str]] = ..., document_codes: _Optional[_Iterable[str]] = ..., rule: _Optional[_Union[RuleRef, _Mapping]] = ..., export_by: _Optional[_Union[_date_pb2.Date, _Mapping]] = ..., note: _Optional[str] = ...) -> None: ...

class CustomsDocument(_message.Message):
    __slots__ = ("code", "name", "reason", "rule")
    CODE_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    RULE_FIELD_NUMBER: _ClassVar[int]
    code: str
    name: str
    reason: str
    rule: RuleRef
    def __init__(self, code: _Optional[str] = ..., name: _Optional[str] = ..., reason: _Optional[str] = ..., rule: _Optional[_Union[RuleRef, _Mapping]] = ...) -> None: ...

class CustomsAssessment(_message.Message):
    __slots__ = ("export_country", "import_country", "border", "customs_union", "currency", "duty_due_minor", "vat_due_minor", "relief", "de_minimis", "reclaims", "reclaimable_minor", "documents", "rules", "fx", "confidence", "notes", "customs_border", "vat_border")
    EXPORT_COUNTRY_FIELD_NUMBER: _ClassVar[int]
    IMPORT_COUNTRY_FIELD_NUMBER: _ClassVar[int]
    BORDER_FIELD_NUMBER: _ClassVar[int]
    CUSTOMS_UNION_FIELD_NUMBER: _ClassVar[int]
    CURRENCY_FIELD_NUMBER: _ClassVar[int]
    DUTY_DUE_MINOR_FIELD_NUMBER: _ClassVar[int]
    VAT_DUE_MINOR_FIELD_NUMBER: _ClassVar[int]
    RELIEF_FIELD_NUMBER: _ClassVar[int]
    DE_MINIMIS_FIELD_NUMBER: _ClassVar[int]
    RECLAIMS_FIELD_NUMBER: _ClassVar[int]
    RECLAIMABLE_MINOR_FIELD_NUMBER: _ClassVar[int]
    DOCUMENTS_FIELD_NUMBER: _ClassVar[int]
    RULES_FIELD_NUMBER: _ClassVar[int]
    FX_FIELD_NUMBER: _ClassVar[int]
    CONFIDENCE_FIELD_NUMBER: _ClassVar[int]
    NOTES_FIELD_NUMBER: _ClassVar[int]
    CUSTOMS_BORDER_FIELD_NUMBER: _ClassVar[int]
    VAT_BORDER_FIELD_NUMBER: _ClassVar[int]
    export_country: str
    import_country: str
    border: bool
    customs_union: str
    currency: str
    duty_due_minor: int
    vat_due_minor: int
    relief: str
    de_minimis: str
    reclaims: _containers.RepeatedCompositeFieldContainer[Reclaim]
    reclaimable_minor: int
    documents: _containers.RepeatedCompositeFieldContainer[CustomsDocument]
    rules: _containers.RepeatedCompositeFieldContainer[RuleRef]
    fx: _containers.RepeatedCompositeFieldContainer[FxConversion]
    confidence: Confidence
    notes: _containers.RepeatedScalarFieldContainer[str]
    customs_border: bool
    vat_border: bool
    def __init__(self, export_country: _Optional[str] = ..., import_country: _Optional[str] = ..., border: _Optional[bool] = ..., customs_union: _Optional[str] = ..., currency: _Optional[str] = ..., duty_due_minor: _Optional[int] = ..., vat_due_minor: _Optional[int] = ..., relief: _Optional[str] = ..., de_minimis: _Optional[str] = ..., reclaims: _Optional[_Iterable[_Union[Reclaim, _Mapping]]] = ..., reclaimable_minor: _Optional[int] = ..., documents: _Optional[_Iterable[_Union[CustomsDocument, _Mapping]]] = ..., rules: _Optional[_Iterable[_Union[RuleRef, _Mapping]]] = ..., fx: _Optional[_Iterable[_Union[FxConversion, _Mapping]]] = ..., confidence: _Optional[_Union[Confidence, str]] = ..., notes: _Optional[_Iterable[str]] = ..., customs_border: _Optional[bool] = ..., vat_border: _Optional[bool] = ...) -> None: ...

class QuoteItem(_message.Message):
    __slots__ = ("hs_code", "value", "quantity", "weight_g", "altered")
    HS_CODE_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    QUANTITY_FIELD_NUMBER: _ClassVar[int]
    WEIGHT_G_FIELD_NUMBER: _ClassVar[int]
    ALTERED_FIELD_NUMBER: _ClassVar[int]
    hs_code: str
    value: _common_pb2.Money
    quantity: int
    weight_g: int
    altered: bool
    def __init__(self, hs_code: _Optional[str] = ..., value: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., quantity: _Optional[int] = ..., weight_g: _Optional[int] = ..., altered: _Optional[bool] = ...) -> None: ...

class QuoteImport(_message.Message):
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

class QuoteCustomsRequest(_message.Message):
    __slots__ = ("export_country", "export_territory", "import_country", "import_territory", "goods_origin_country", "channel", "reason", "bonded_destination", "original_import", "export_date", "items", "date", "currency", "vat_at_checkout")
    EXPORT_COUNTRY_FIELD_NUMBER: _ClassVar[int]
    EXPORT_TERRITORY_FIELD_NUMBER: _ClassVar[int]
    IMPORT_COUNTRY_FIELD_NUMBER: _ClassVar[int]
    IMPORT_TERRITORY_FIELD_NUMBER: _ClassVar[int]
    GOODS_ORIGIN_COUNTRY_FIELD_NUMBER: _ClassVar[int]
    CHANNEL_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    BONDED_DESTINATION_FIELD_NUMBER: _ClassVar[int]
    ORIGINAL_IMPORT_FIELD_NUMBER: _ClassVar[int]
    EXPORT_DATE_FIELD_NUMBER: _ClassVar[int]
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    DATE_FIELD_NUMBER: _ClassVar[int]
    CURRENCY_FIELD_NUMBER: _ClassVar[int]
    VAT_AT_CHECKOUT_FIELD_NUMBER: _ClassVar[int]
    export_country: str
    export_territory: str
    import_country: str
    import_territory: str
    goods_origin_country: str
    channel: Channel
    reason: _common_pb2.ReturnReason
    bonded_destination: bool
    original_import: QuoteImport
    export_date: _date_pb2.Date
    items: _containers.RepeatedCompositeFieldContainer[QuoteItem]
    date: _date_pb2.Date
    currency: str
    vat_at_checkout: bool
    def __init__(self, export_country: _Optional[str] = ..., export_territory: _Optional[str] = ..., import_country: _Optional[str] = ..., import_territory: _Optional[str] = ..., goods_origin_country: _Optional[str] = ..., channel: _Optional[_Union[Channel, str]] = ..., reason: _Optional[_Union[_common_pb2.ReturnReason, str]] = ..., bonded_destination: _Optional[bool] = ..., original_import: _Optional[_Union[QuoteImport, _Mapping]] = ..., export_date: _Optional[_Union[_date_pb2.Date, _Mapping]] = ..., items: _Optional[_Iterable[_Union[QuoteItem, _Mapping]]] = ..., date: _Optional[_Union[_date_pb2.Date, _Mapping]] = ..., currency: _Optional[str] = ..., vat_at_checkout: _Optional[bool] = ...) -> None: ...

class QuoteCustomsResponse(_message.Message):
    __slots__ = ("assessment",)
    ASSESSMENT_FIELD_NUMBER: _ClassVar[int]
    assessment: CustomsAssessment
    def __init__(self, assessment: _Optional[_Union[CustomsAssessment, _Mapping]] = ...) -> None: ...
