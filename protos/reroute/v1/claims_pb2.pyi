import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
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

class ClaimState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CLAIM_STATE_UNSPECIFIED: _ClassVar[ClaimState]
    CLAIM_STATE_ELIGIBLE: _ClassVar[ClaimState]
    CLAIM_STATE_EVIDENCE_COMPLETE: _ClassVar[ClaimState]
    CLAIM_STATE_FILED: _ClassVar[ClaimState]
    CLAIM_STATE_PAID: _ClassVar[ClaimState]
    CLAIM_STATE_REJECTED: _ClassVar[ClaimState]
    CLAIM_STATE_EXPIRED: _ClassVar[ClaimState]

class ClaimAction(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CLAIM_ACTION_UNSPECIFIED: _ClassVar[ClaimAction]
    CLAIM_ACTION_ATTACH_EVIDENCE: _ClassVar[ClaimAction]
    CLAIM_ACTION_FILE: _ClassVar[ClaimAction]
    CLAIM_ACTION_MARK_PAID: _ClassVar[ClaimAction]
    CLAIM_ACTION_MARK_REJECTED: _ClassVar[ClaimAction]
CLAIM_STATE_UNSPECIFIED: ClaimState
CLAIM_STATE_ELIGIBLE: ClaimState
CLAIM_STATE_EVIDENCE_COMPLETE: ClaimState
CLAIM_STATE_FILED: ClaimState
CLAIM_STATE_PAID: ClaimState
CLAIM_STATE_REJECTED: ClaimState
CLAIM_STATE_EXPIRED: ClaimState
CLAIM_ACTION_UNSPECIFIED: ClaimAction
CLAIM_ACTION_ATTACH_EVIDENCE: ClaimAction
CLAIM_ACTION_FILE: ClaimAction
CLAIM_ACTION_MARK_PAID: ClaimAction
CLAIM_ACTION_MARK_REJECTED: ClaimAction

class Evidence(_message.Message):
    __slots__ = ("kind", "reference")
    KIND_FIELD_NUMBER: _ClassVar[int]
    REFERENCE_FIELD_NUMBER: _ClassVar[int]
    kind: str
    reference: str
    def __init__(self, kind: _Optional[str] = ..., reference: _Optional[str] = ...) -> None: ...

class Claim(_message.Message):
    __slots__ = ("claim_id", "decision_id", "route", "rule_id", "claimant", "export_country", "amount", "duty_minor", "vat_minor", "deadline", "export_by", "evidence", "state", "expected_cash_date", "expected_cash_note", "filed_on", "paid_on", "received", "rejection_reason")
    CLAIM_ID_FIELD_NUMBER: _ClassVar[int]
    DECISION_ID_FIELD_NUMBER: _ClassVar[int]
    ROUTE_FIELD_NUMBER: _ClassVar[int]
    RULE_ID_FIELD_NUMBER: _ClassVar[int]
    CLAIMANT_FIELD_NUMBER: _ClassVar[int]
    EXPORT_COUNTRY_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FIELD_NUMBER: _ClassVar[int]
    DUTY_MINOR_FIELD_NUMBER: _ClassVar[int]
    VAT_MINOR_FIELD_NUMBER: _ClassVar[int]
    DEADLINE_FIELD_NUMBER: _ClassVar[int]
    EXPORT_BY_FIELD_NUMBER: _ClassVar[int]
    EVIDENCE_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_CASH_DATE_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_CASH_NOTE_FIELD_NUMBER: _ClassVar[int]
    FILED_ON_FIELD_NUMBER: _ClassVar[int]
    PAID_ON_FIELD_NUMBER: _ClassVar[int]
    RECEIVED_FIELD_NUMBER: _ClassVar[int]
    REJECTION_REASON_FIELD_NUMBER: _ClassVar[int]
    claim_id: str
    decision_id: str
    route: str
    rule_id: str
    claimant: _customs_pb2.Claimant
    export_country: str
    amount: _common_pb2.Money
    duty_minor: int
    vat_minor: int
    deadline: _date_pb2.Date
    export_by: _date_pb2.Date
    evidence: _containers.RepeatedCompositeFieldContainer[Evidence]
    state: ClaimState
    expected_cash_date: _date_pb2.Date
    expected_cash_note: str
    filed_on: _date_pb2.Date
    paid_on: _date_pb2.Date
    received: _common_pb2.Money
    rejection_reason: str
    def __init__(self, claim_id: _Optional[str] = ..., decision_id: _Optional[str] = ..., route: _Optional[str] = ..., rule_id: _Optional[str] = ..., claimant: _Optional[_Union[_customs_pb2.Claimant, str]] = ..., export_country: _Optional[str] = ..., amount: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., duty_minor: _Optional[int] = ..., vat_minor: _Optional[int] = ..., deadline: _Optional[_Union[_date_pb2.Date, _Mapping]] = ..., export_by: _Optional[_Union[_date_pb2.Date, _Mapping]] = ..., evidence: _Optional[_Iterable[_Union[Evidence, _Mapping]]] = ..., state: _Optional[_Union[ClaimState, str]] = ..., expected_cash_date: _Optional[_Union[_date_pb2.Date, _Mapping]] = ..., expected_cash_note: _Optional[str] = ..., filed_on: _Optional[_Union[_date_pb2.Date, _Mapping]] = ..., paid_on: _Optional[_Union[_date_pb2.Date, _Mapping]] = ..., received: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., rejection_reason: _Optional[str] = ...) -> None: ...

class ListClaimsRequest(_message.Message):
    __slots__ = ("state", "rule_id", "export_country", "deadline_before", "page_size", "page_token")
    STATE_FIELD_NUMBER: _ClassVar[int]
    RULE_ID_FIELD_NUMBER: _ClassVar[int]
    EXPORT_COUNTRY_FIELD_NUMBER: _ClassVar[int]
    DEADLINE_BEFORE_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    state: ClaimState
    rule_id: str
    export_country: str
    deadline_before: _date_pb2.Date
    page_size: int
    page_token: str
    def __init__(self, state: _Optional[_Union[ClaimState, str]] = ..., rule_id: _Optional[str] = ..., export_country: _Optional[str] = ..., deadline_before: _Optional[_Union[_date_pb2.Date, _Mapping]] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListClaimsResponse(_message.Message):
    __slots__ = ("claims", "next_page_token", "as_of")
    CLAIMS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    AS_OF_FIELD_NUMBER: _ClassVar[int]
    claims: _containers.RepeatedCompositeFieldContainer[Claim]
    next_page_token: str
    as_of: _timestamp_pb2.Timestamp
    def __init__(self, claims: _Optional[_Iterable[_Union[Claim, _Mapping]]] = ..., next_page_token: _Optional[str] = ..., as_of: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class GetClaimRequest(_message.Message):
    __slots__ = ("claim_id",)
    CLAIM_ID_FIELD_NUMBER: _ClassVar[int]
    claim_id: str
    def __init__(self, claim_id: _Optional[str] = ...) -> None: ...

class UpdateClaimRequest(_message.Message):
    __slots__ = ("claim_id", "evidence", "action", "on", "received", "reason")
    CLAIM_ID_FIELD_NUMBER: _ClassVar[int]
    EVIDENCE_FIELD_NUMBER: _ClassVar[int]
    ACTION_FIELD_NUMBER: _ClassVar[int]
    ON_FIELD_NUMBER: _ClassVar[int]
    RECEIVED_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    claim_id: str
    evidence: _containers.RepeatedCompositeFieldContainer[Evidence]
    action: ClaimAction
    on: _date_pb2.Date
    received: _common_pb2.Money
    reason: str
    def __init__(self, claim_id: _Optional[str] = ..., evidence: _Optional[_Iterable[_Union[Evidence, _Mapping]]] = ..., action: _Optional[_Union[ClaimAction, str]] = ..., on: _Optional[_Union[_date_pb2.Date, _Mapping]] = ..., received: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., reason: _Optional[str] = ...) -> None: ...
