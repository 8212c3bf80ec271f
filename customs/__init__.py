"""Customs for cross-border returns: dated rule tables and one entry point, ``assess``.

    from customs import Crossing, CustomsItem, Channel, ReturnReason, assess
    assessment = assess(crossing, items, on=date(2026, 11, 22), currency="EUR")

The rules live in ``customs/data/*.toml`` (each row dated, sourced and graded); ``default_engine``
indexes them once per process. See ``customs.engine`` for the semantics and the map of the
modules (one per concept: validate, borders, duty, relief, reclaims, documents), and
``customs.codes`` for the code standards (ISO 3166-1/-2, ISO 4217, HS) every package checks against.
"""

from customs.api import (
    Amounts,
    Assessment,
    Channel,
    Claimant,
    Confidence,
    Crossing,
    CustomsAssessor,
    CustomsError,
    CustomsItem,
    CustomsNotCovered,
    Document,
    FxConversion,
    ImportRecord,
    Reclaim,
    ReturnReason,
    RuleRef,
)
from customs.codes import is_country, is_currency, is_hs_code, is_subdivision, is_territory
from customs.engine import CustomsEngine, assess, default_engine
from customs.errors import FieldViolation, InvalidInput, PreconditionViolation, RerouteError
from customs.fx import FxTable, default_fx, format_minor, load_fx, to_minor
from customs.load import RuleBook, load_rulebook
from customs.tables import RuleDataError

__all__ = [
    "Amounts",
    "Assessment",
    "Channel",
    "Claimant",
    "Confidence",
    "Crossing",
    "CustomsAssessor",
    "CustomsEngine",
    "CustomsError",
    "CustomsItem",
    "CustomsNotCovered",
    "Document",
    "FieldViolation",
    "FxConversion",
    "FxTable",
    "ImportRecord",
    "InvalidInput",
    "PreconditionViolation",
    "Reclaim",
    "RerouteError",
    "ReturnReason",
    "RuleBook",
    "RuleDataError",
    "RuleRef",
    "assess",
    "default_engine",
    "default_fx",
    "format_minor",
    "is_country",
    "is_currency",
    "is_hs_code",
    "is_subdivision",
    "is_territory",
    "load_fx",
    "load_rulebook",
    "to_minor",
]
