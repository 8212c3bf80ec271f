"""Customs for cross-border returns: dated rule tables and one entry point, ``assess``.

    from customs import Crossing, CustomsItem, Channel, ReturnReason, assess
    assessment = assess(crossing, items, on=date(2026, 11, 22), currency="EUR")

The rules live in ``customs/data/*.toml`` (each row dated, sourced and graded); ``default_engine``
indexes them once per process. See ``customs.engine`` for the semantics.
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
from customs.engine import CustomsEngine, assess, default_engine
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
    "FxConversion",
    "FxTable",
    "ImportRecord",
    "Reclaim",
    "ReturnReason",
    "RuleBook",
    "RuleDataError",
    "RuleRef",
    "assess",
    "default_engine",
    "default_fx",
    "format_minor",
    "load_fx",
    "load_rulebook",
    "to_minor",
]
