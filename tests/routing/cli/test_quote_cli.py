"""`reroute customs FROM TO ...`: the issue's acceptance cases and its bad-input cases."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from routing.cli.flags import EXIT_INFEASIBLE, EXIT_OK, EXIT_USAGE
from routing.cli.main import main

ITEM = ["--value", "120.00", "--currency", "EUR", "--hs", "620193", "--date", "2026-11-02"]


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["customs", *argv])
    out = capsys.readouterr()
    return code, out.out, out.err


def as_json(capsys: pytest.CaptureFixture[str], *argv: str) -> dict[str, object]:
    code, out, err = run(capsys, *argv, "--json")
    assert code == EXIT_OK, err
    data: dict[str, object] = json.loads(out)
    return data


def test_intra_eu_has_no_border_and_no_documents(capsys: pytest.CaptureFixture[str]) -> None:
    """DE -> FR: no border, no documents, nothing due."""
    code, out, _ = run(capsys, "DE", "FR", *ITEM)
    assert code == EXIT_OK
    assert "no border" in out
    assert "documents: none" in out
    data = as_json(capsys, "DE", "FR", *ITEM)
    assert data.get("border", False) is False
    assert data["documents"] == []


def test_norway_to_germany_border_reclaim_and_relief(capsys: pytest.CaptureFixture[str]) -> None:
    """NO -> DE: a border, Norway's refund route for what was paid, EU returned-goods relief."""
    code, out, _ = run(capsys, "NO", "DE", *ITEM, "--duty-paid", "12", "--vat-paid", "33")
    assert code == EXIT_OK
    assert "customs and VAT border" in out
    assert "Norway" in out
    assert "returned goods relief" in out
    data = as_json(capsys, "NO", "DE", *ITEM, "--duty-paid", "12", "--vat-paid", "33")
    assert data["border"] is True
    assert data.get("duty_due_minor", "0") == "0"
    assert int(str(data["reclaimable_minor"])) > 0


def test_us_to_canada_shows_cusma_thresholds(capsys: pytest.CaptureFixture[str]) -> None:
    """US -> CA by courier: CUSMA's CAD 150 duty and CAD 40 tax thresholds."""
    data = as_json(capsys, "US", "CA", *ITEM[:3], "USD", *ITEM[4:], "--goods-origin", "US")
    text = str(data.get("de_minimis", ""))
    assert "150" in text
    assert "40" in text


def test_us_de_minimis_before_and_after_suspension(capsys: pytest.CaptureFixture[str]) -> None:
    """The same US-bound return before and after 2025-08-29 gets different de minimis outcomes."""
    base = ["CA", "US", "--value", "100", "--currency", "USD", "--hs", "620193"]
    base += ["--goods-origin", "CN", "--in", "USD"]
    before = as_json(capsys, *base, "--date", "2025-08-20")
    after = as_json(capsys, *base, "--date", "2025-09-10")
    assert before.get("duty_due_minor", "0") == "0"
    assert int(str(after.get("duty_due_minor", "0"))) > 0
    assert before.get("de_minimis") != after.get("de_minimis")


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["XX", "DE", *ITEM], "FROM"),
        (["DE", "QQ", *ITEM], "TO"),
        (["DE", "FR", *ITEM[:4], "--hs", "62", *ITEM[6:]], "--hs"),
        (["DE", "FR", *ITEM[:3], "EURO", *ITEM[4:]], "--currency"),
        (["DE", "FR", "--value", "-5", *ITEM[2:]], "--value"),
        (["DE", "FR", "--value", "nan", *ITEM[2:]], "--value"),
        (["DE", "FR", *ITEM[:6], "--date", "2026-13-01"], "--date"),
        (["NO", "DE", *ITEM[:6], "--date", "2001-01-01"], "2021-07-01"),
        (["DE", "FR", *ITEM, "--channel", "pigeon"], "--channel"),
    ],
)
def test_bad_input_exits_2_naming_the_field(
    capsys: pytest.CaptureFixture[str], argv: list[str], needle: str
) -> None:
    """Unknown country or currency, malformed HS code, negative value, a date outside every
    table: exit 2 with a message naming the field."""
    code, _, err = run(capsys, *argv)
    assert code == EXIT_USAGE
    assert needle in err
    assert "Traceback" not in err


def test_canary_islands_show_a_vat_border_and_no_customs_border(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """ES-CN -> ES: inside the customs union, across the fiscal border."""
    code, out, _ = run(capsys, "ES", "ES", "--from-territory", "ES-CN", *ITEM)
    assert code == EXIT_OK
    assert "VAT border (no customs border)" in out.splitlines()[0]
    data = as_json(capsys, "ES", "ES", "--from-territory", "ES-CN", *ITEM)
    assert (data["customs_border"], data["vat_border"]) == (False, True)


def test_a_crossing_not_covered_exits_3_with_the_partial_answer(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """DE -> ES-CN: import VAT (IGIC) is not tabled. Valid input, not covered: exit 3 with what
    is known (no customs border, so no duty; the VAT gap named), never exit 2."""
    code, out, err = run(capsys, "DE", "ES", "--to-territory", "ES-CN", *ITEM)
    assert code == EXIT_INFEASIBLE
    assert out.startswith("PARTIAL ANSWER: the tables do not cover import_territory")
    assert "VAT border (no customs border)" in out
    assert "no duty (no customs border)" in out
    assert err.strip().startswith("error: not covered: import_territory")
    code, out, _ = run(capsys, "DE", "ES", "--to-territory", "ES-CN", *ITEM, "--json")
    assert code == EXIT_INFEASIBLE
    assert json.loads(out)["vat_border"] is True


EXAMPLE = Path(__file__).parents[3] / "examples" / "quote.json"


def test_a_multi_item_return_from_a_file(capsys: pytest.CaptureFixture[str]) -> None:
    """`--file` takes a QuoteCustomsRequest (the RPC's JSON): two item lines, one altered. The
    unaltered line re-enters under returned-goods relief, the altered one pays duty, and the
    lines are one consignment: EUR 329 in all is over the EU's EUR 150, so the shoes pay their
    full rate (8 % of EUR 89.00), where alone (EUR 89) they pay the flat EUR 3 of 2026-07."""
    data = as_json(capsys, "--file", str(EXAMPLE))
    assert data["relief"] == "returned goods relief (UCC Art. 203)"
    duty = int(str(data["duty_due_minor"]))
    assert duty > 0  # the altered shoes pay duty
    shoes = as_json(
        capsys,
        "NO",
        "DE",
        "--value",
        "89.00",
        "--currency",
        "EUR",
        "--hs",
        "640399",
        "--date",
        "2026-11-02",
        "--altered",
        "--reason",
        "wrong_size",
        "--duty-paid",
        "0",
        "--vat-paid",
        "0",
    )
    assert (duty, int(str(shoes["duty_due_minor"]))) == (712, 300)


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        (None, "cannot read"),
        ("[1, 2]", "expected a JSON object"),
        ("{not json", "Expecting property name"),
        ('{"itemz": 1}', 'no field named "itemz"'),
        (
            '{"export_country": "NO", "import_country": "DE", "goods_origin_country": "DE",'
            ' "channel": "CHANNEL_COURIER", "reason": "RETURN_REASON_WRONG_SIZE",'
            ' "items": [{"hs_code": "12"}]}',
            "items[0].hs_code",
        ),
    ],
)
def test_bad_quote_files_exit_2_naming_the_problem(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, content: str | None, needle: str
) -> None:
    path = tmp_path / "quote.json"
    if content is not None:
        path.write_text(content)
    code, _, err = run(capsys, "--file", str(path))
    assert code == EXIT_USAGE
    assert needle in err
    assert len(err.strip().splitlines()) == 1


def test_file_and_flags_are_one_or_the_other(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "NO", "DE", "--file", str(EXAMPLE))
    assert code == EXIT_USAGE
    assert "not both" in err
    code, _, err = run(capsys, "NO")
    assert code == EXIT_USAGE
    assert "TO, --value, --currency, --hs: required" in err


def test_a_return_into_a_checkout_scheme_shows_no_import_vat(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """`--entry-vat-at-checkout`: the crossing enters GB under the <= GBP 135 scheme."""
    flags = ["--value", "100", "--currency", "GBP", "--hs", "610910", "--date", "2026-11-22"]
    plain = as_json(capsys, "CN", "GB", *flags, "--goods-origin", "CN")
    assert int(str(plain["vat_due_minor"])) > 0
    data = as_json(capsys, "CN", "GB", *flags, "--goods-origin", "CN", "--entry-vat-at-checkout")
    assert data.get("vat_due_minor", "0") == "0"
    rules = data["rules"]
    assert isinstance(rules, list)
    assert "checkout.GB.low-value" in {r["rule_id"] for r in rules}


def test_the_original_import_estimate_honours_voec(capsys: pytest.CaptureFixture[str]) -> None:
    """NO -> SE for goods first sold from SE to a VOEC seller's customer: the estimated original
    import pays no duty (VOEC goods are duty-free) and its VAT goes back through the seller."""
    flags = ["--value", "2000", "--currency", "NOK", "--hs", "610910", "--date", "2026-11-22"]
    code, out, _ = run(capsys, "NO", "SE", *flags, "--goods-origin", "SE", "--vat-at-checkout")
    assert code == EXIT_OK
    estimate = next(line for line in out.splitlines() if "estimated" in line)
    assert "duty 0.00 NOK" in estimate
    assert "(collected at checkout)" in estimate
    assert "Norway VOEC: the seller refunds the VAT" in out


@pytest.mark.parametrize("currency", ["RUB", "KZT", "AED", "BRL", "QAR", "PYG"])
def test_values_in_union_members_currencies_are_accepted(
    capsys: pytest.CaptureFixture[str], currency: str
) -> None:
    """RUB, KZT, AED, BRL (and QAR, PYG): a value in the currency of an EAEU, GCC or Mercosur
    member is assessed, each conversion naming its rate, date and source."""
    value = "100000" if currency == "PYG" else "10000.00"  # the guarani has no minor unit
    argv = ("CN", "DE", "--value", value, "--currency", currency, "--hs", "620193")
    data = as_json(capsys, *argv, "--date", "2026-11-02")
    conversions = data["fx"]
    assert isinstance(conversions, list)
    assert conversions
    for conversion in conversions:
        assert conversion["from_currency"] == currency
        assert conversion["to_currency"] == "EUR"
        assert str(conversion["source_id"]).startswith("FX")
        assert int(conversion["amount_to_minor"]) > 0


def test_a_value_before_its_currencys_first_rate_exits_2_naming_the_date(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """KZT rates start 2023-07-01: an earlier crossing is a one-line error naming the date field
    and the first rate's date, not a traceback; the day itself is assessed."""
    argv = ["CN", "DE", "--value", "10000", "--currency", "KZT", "--hs", "620193"]
    argv += ["--duty-paid", "0", "--vat-paid", "0"]
    code, _, err = run(capsys, *argv, "--date", "2023-06-30")
    assert code == EXIT_USAGE
    assert "2023-07-01" in err
    assert "date" in err
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1
    code, out, err = run(capsys, *argv, "--date", "2023-07-01")
    assert code == EXIT_OK, err
    assert "KZT" in out
