"""Dates and tokens from the wire stay within what the service can compute with: a date past
LATEST_DATE or a page token past a 64-bit row id is INVALID_ARGUMENT naming the field, never
an overflow answered INTERNAL later (year 9997 plus a deadline left the calendar)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest

from reroute.v1 import customs_pb2
from routing.batches.examples import sample_return
from routing.decide.domain import LATEST_DATE
from routing.errors import FieldViolation, InvalidInput
from routing.rpc.app import make_page_token, parse_page_token
from routing.rpc.wire.customs import quote_from_proto
from routing.rpc.wire.returns import return_from_proto, return_to_proto

TODAY = date(2026, 11, 20)


def _violations(call: Callable[[], object]) -> tuple[FieldViolation, ...]:
    with pytest.raises(InvalidInput) as err:
        call()
    return err.value.violations


@pytest.mark.parametrize("year", [2200, 9997, 9999])
def test_a_return_dated_past_the_calendar_names_its_date(year: int) -> None:
    """return_date past LATEST_DATE: one violation on customer_return.return_date."""
    msg = return_to_proto(sample_return(TODAY))
    msg.return_date.year = year
    msg.original_import.import_date.year = 2026
    got = _violations(lambda: return_from_proto(msg, today=TODAY))
    assert got == (
        FieldViolation(
            "customer_return.return_date",
            f"must be on or before {LATEST_DATE}, got {year}-{msg.return_date.month:02d}-"
            f"{msg.return_date.day:02d}",
        ),
    )


def test_the_last_day_of_the_calendar_is_accepted() -> None:
    """LATEST_DATE itself is a valid return date."""
    msg = return_to_proto(sample_return(TODAY))
    msg.return_date.year, msg.return_date.month, msg.return_date.day = 2199, 12, 31
    assert return_from_proto(msg, today=TODAY).return_date == LATEST_DATE


def test_a_quote_dated_past_the_calendar_names_its_date() -> None:
    """QuoteCustoms' date past LATEST_DATE: a violation on ``date``."""
    msg = customs_pb2.QuoteCustomsRequest(export_country="FR", import_country="US")
    msg.date.year, msg.date.month, msg.date.day = 9998, 1, 1
    fields = [v.field for v in _violations(lambda: quote_from_proto(msg, today=TODAY))]
    assert "date" in fields


@pytest.mark.parametrize(("number", "valid"), [(2**63 - 1, True), (2**63, False), (10**30, False)])
def test_page_tokens_stay_within_a_row_id(number: int, valid: bool) -> None:
    """A token for a number a 64-bit row id cannot hold was never issued: INVALID_ARGUMENT on
    page_token, not a database overflow."""
    token = make_page_token(number)
    if valid:
        assert parse_page_token(token) == number
    else:
        [violation] = _violations(lambda: parse_page_token(token))
        assert violation.field == "page_token"
