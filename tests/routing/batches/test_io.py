"""The batch file format: round trips, and every bad input named by row and column."""

from __future__ import annotations

import csv
import re
import tempfile
from collections.abc import Mapping, Sequence
from datetime import date
from pathlib import Path

import pyarrow as pa  # type: ignore[import-untyped]  # pyarrow ships no stubs (as in batch_io)
import pyarrow.parquet as pq  # type: ignore[import-untyped]
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from customs.api import ReturnReason
from hubs import default_network
from hubs.model import ConditionGrade
from routing.batches.generate import generate_returns
from routing.batches.io import (
    COLUMNS,
    MAX_REPORTED_ERRORS,
    BatchError,
    RowError,
    read_batch,
    write_batch,
)
from routing.decide.domain import Constraints, Item, Return
from routing.errors import InvalidInput
from tests.strategies import returns

ROOT = Path(__file__).resolve().parents[3]
HEADER = [c.name for c in COLUMNS]
REQUIRED = [c.name for c in COLUMNS if c.required]


def good_row(return_id: str = "R1", **cells: str) -> dict[str, str]:
    """A valid CSV row (text cells) of a French customer's return from the US origin."""
    row = {
        "return_id": return_id,
        "customer_country": "FR",
        "customer_postal_code": "75011",
        "origin_facility_id": "origin_us_pa",
        "import_date": "2026-10-20",
        "duty_paid_minor": "0",
        "vat_paid_minor": "1000",
        "paid_currency": "USD",
        "vat_collected_at_checkout": "true",
        "return_date": "2026-11-23",
        "sku": "TEE-1",
        "hs_code": "610910",
        "value_minor": "4999",
        "currency": "USD",
        "weight_g": "250",
        "length_mm": "300",
        "width_mm": "250",
        "height_mm": "30",
        "quantity": "1",
        "grade": "A",
        "reason": "wrong_size",
    }
    row.update(cells)
    return row


def write_csv(
    path: Path, rows: Sequence[Mapping[str, str]], header: Sequence[str] | None = None
) -> Path:
    header = list(header if header is not None else rows[0].keys())
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(header)
        for row in rows:
            w.writerow([row.get(name, "") for name in header])
    return path


def three_rows(**bad: str) -> list[dict[str, str]]:
    """R1 on rows 1-2 (valid), R2 on row 3 with the ``bad`` cells."""
    return [good_row("R1"), good_row("R1", sku="MUG-1", hs_code="691200"), good_row("R2", **bad)]


def errors_of(path: Path, **kwargs: object) -> list[RowError]:
    with pytest.raises(BatchError) as info:
        read_batch(path, **kwargs)  # type: ignore[arg-type]
    return info.value.errors


# -- round trips ------------------------------------------------------------------------------

return_ids = st.text(min_size=1, max_size=12).filter(lambda s: s.strip() != "")


@st.composite
def batches(draw: st.DrawFn) -> list[tuple[str, Return]]:
    rs = draw(st.lists(returns(max_items=3), min_size=1, max_size=4))
    ids = draw(st.lists(return_ids, min_size=len(rs), max_size=len(rs), unique=True))
    return list(zip(ids, rs, strict=True))


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(batch=batches())
def test_write_then_read_gives_the_same_returns(
    suffix: str, batch: list[tuple[str, Return]]
) -> None:
    """read_batch(write_batch(x)) == x for any valid returns and ids (any text: commas, quotes,
    newlines, NULs, non-ASCII), in order, every optional field included."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"batch{suffix}"
        written = write_batch(path, batch)
        got = read_batch(path)
    assert written == len(batch)
    assert list(got.returns) == batch
    assert got.skipped == ()
    assert got.rows == sum(len(r.items) for _, r in batch)


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_generated_batch_round_trips(tmp_path: Path, suffix: str) -> None:
    """A generated batch (shared Items, many currencies of merchants) survives a round trip."""
    batch = list(
        generate_returns(2000, seed=5, network=default_network(), start=date(2026, 11, 23))
    )
    path = tmp_path / f"b{suffix}"
    write_batch(path, batch)
    assert (
        list(read_batch(path, known_origins=frozenset(default_network().facilities)).returns)
        == batch
    )


def test_hs_code_keeps_its_leading_zero(tmp_path: Path) -> None:
    """HS codes are text end to end: 090111 (coffee) stays 090111 in CSV and Parquet."""
    path = write_csv(tmp_path / "b.csv", [good_row(hs_code="090111")])
    (ret,) = (r for _, r in read_batch(path).returns)
    assert ret.items[0].hs_code == "090111"
    write_batch(tmp_path / "b.parquet", [("R1", ret)])
    assert pq.read_table(tmp_path / "b.parquet").schema.field("hs_code").type == pa.string()
    assert read_batch(tmp_path / "b.parquet").returns[0][1].items[0].hs_code == "090111"


def test_rows_with_one_id_form_one_return_in_first_appearance_order(tmp_path: Path) -> None:
    """Rows of a return may be apart; returns come in the order of their first row."""
    rows = [good_row("B"), good_row("A", sku="X"), good_row("B", sku="Y", quantity="3")]
    batch = read_batch(write_csv(tmp_path / "b.csv", rows))
    assert [rid for rid, _ in batch.returns] == ["B", "A"]
    b = batch.returns[0][1]
    assert [(i.sku, i.quantity) for i in b.items] == [("TEE-1", 1), ("Y", 3)]


def test_optional_columns_take_their_defaults(tmp_path: Path) -> None:
    """Absent optional columns (and empty optional cells) give the API's defaults."""
    path = write_csv(tmp_path / "b.csv", [good_row()])
    ((_, ret),) = read_batch(path).returns
    assert ret.customer_territory == ""
    assert ret.idempotency_key == ""
    assert ret.constraints == Constraints()
    full = good_row(
        customer_territory="",
        max_days_to_refund="",
        idempotency_key="",
        allow_returnless="",
        allow_split="",
        max_alternatives="",
    )
    ((_, again),) = read_batch(write_csv(tmp_path / "c.csv", [full])).returns
    assert again == ret


def test_optional_columns_are_read(tmp_path: Path) -> None:
    """Every optional column reaches the domain Return; booleans are case-insensitive."""
    row = good_row(
        customer_country="ES",
        customer_territory="ES-CN",
        max_days_to_refund="14",
        idempotency_key="k-1",
        allow_returnless="FALSE",
        allow_split="False",
        max_alternatives="0",
    )
    ((_, ret),) = read_batch(write_csv(tmp_path / "b.csv", [row])).returns
    assert ret.customer_territory == "ES-CN"
    assert ret.idempotency_key == "k-1"
    assert ret.constraints == Constraints(14, False, False, 0)


def test_utf8_bom_and_crlf_are_accepted(tmp_path: Path) -> None:
    """A spreadsheet export (BOM, CRLF) reads like a plain UTF-8 file; text is not trimmed."""
    path = write_csv(tmp_path / "b.csv", [good_row(sku=' Café, "noir" ')])
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    ((_, ret),) = read_batch(path).returns
    assert ret.items[0].sku == ' Café, "noir" '


def test_the_documented_example_reads(tmp_path: Path) -> None:
    """The CSV example in docs/batch_format.md is a valid batch of two returns."""
    text = (ROOT / "docs" / "batch_format.md").read_text(encoding="utf-8")
    example = text.split("## Example (CSV)")[1].split("```")[1].strip("\n")
    path = tmp_path / "example.csv"
    path.write_text(example + "\n", encoding="utf-8")
    batch = read_batch(path, known_origins=frozenset(default_network().facilities))
    assert [(rid, len(r.items)) for rid, r in batch.returns] == [("R1", 2), ("R2", 1)]


def test_docs_describe_every_column() -> None:
    """docs/batch_format.md has a table row for every column, marked required or not."""
    text = (ROOT / "docs" / "batch_format.md").read_text(encoding="utf-8")
    for column in COLUMNS:
        match = re.search(rf"^\| `{column.name}` \| [^|]+ \| (yes|no) \|", text, re.MULTILINE)
        assert match, f"{column.name} is not documented"
        assert (match.group(1) == "yes") == column.required, column.name


# -- bad cells --------------------------------------------------------------------------------

BAD_CELLS = [
    ("customer_country", "XX", "unknown country code"),
    ("customer_country", "fr", "unknown country code"),
    ("customer_postal_code", "!!", "letters, digits"),
    ("customer_territory", "DE-HGL", "ISO 3166-2 style code of customer_country (FR-"),
    ("origin_facility_id", "", "is required"),
    ("import_date", "2026-02-30", "ISO date"),
    ("import_date", "2026-12-01", "after the return date"),
    ("return_date", "23/11/2026", "ISO date"),
    ("duty_paid_minor", "-1", "between 0 and"),
    ("vat_paid_minor", "12.50", "whole number"),
    ("paid_currency", "", "is required"),
    ("paid_currency", "EURO", "unknown currency"),
    ("vat_collected_at_checkout", "yes", "true or false"),
    ("max_days_to_refund", "400", "between 0 and 365"),
    ("max_alternatives", "51", "between 0 and 50"),
    ("allow_split", "1", "true or false"),
    ("sku", "", "is required"),
    ("sku", "   ", "is required"),
    ("hs_code", "90111", "leading zero lost"),
    ("hs_code", "6109.10", "6 to 10 digits"),
    ("value_minor", "0", "between 1 and"),
    ("value_minor", "abc", "whole number"),
    ("currency", "usd", "unknown currency"),
    ("weight_g", "0", "between 1 and"),
    ("weight_g", "-5", "between 1 and"),
    ("weight_g", "nan", "finite number"),
    ("weight_g", "1.5", "whole number"),
    ("weight_g", "1e3", "whole number"),
    ("weight_g", "", "is required"),
    ("weight_g", "9" * 5000, "out of range"),
    ("value_minor", "100000000001", "between 1 and 100000000000"),
    ("length_mm", "0", "between 1 and"),
    ("width_mm", "20000", "between 1 and 10000"),
    ("height_mm", "x", "whole number"),
    ("quantity", "0", "between 1 and"),
    ("grade", "E", "one of A, B, C, D"),
    ("grade", "a", "one of A, B, C, D"),
    ("reason", "bored", "must be one of changed_mind"),
    ("return_date", "2300-01-01", "must be on or before 2199-12-31"),
]


@pytest.mark.parametrize(("column", "value", "reason"), BAD_CELLS)
def test_a_bad_cell_is_named_by_row_and_column(
    tmp_path: Path, column: str, value: str, reason: str
) -> None:
    """Each bad cell of row 3 gives exactly one error: row 3, return R2, that column; the
    valid return R1 (rows 1-2) is not blamed."""
    errors = errors_of(write_csv(tmp_path / "b.csv", three_rows(**{column: value}), HEADER))
    assert [(e.row, e.return_id, e.field) for e in errors] == [(3, "R2", column)]
    assert reason in errors[0].reason


@pytest.mark.parametrize(("column", "value", "reason"), BAD_CELLS)
def test_skip_invalid_keeps_the_valid_returns(
    tmp_path: Path, column: str, value: str, reason: str
) -> None:
    """With skip_invalid, R2 (row 3) is skipped and listed with its reason; R1 is kept."""
    batch = read_batch(
        write_csv(tmp_path / "b.csv", three_rows(**{column: value}), HEADER), skip_invalid=True
    )
    assert [rid for rid, _ in batch.returns] == ["R1"]
    assert len(batch.returns[0][1].items) == 2
    assert [(e.row, e.field) for e in batch.skipped] == [(3, column)]
    assert reason in batch.skipped[0].reason


@settings(max_examples=300, deadline=None)
@given(
    column=st.sampled_from(HEADER[1:]),
    value=st.text(max_size=40) | st.from_regex(r"-?[0-9]{1,30}(\.[0-9]*)?", fullmatch=True),
)
def test_any_cell_gives_a_batch_or_a_batch_error(column: str, value: str) -> None:
    """The reader never fails otherwise: any text in any cell of row 3 gives both returns or
    a BatchError whose errors are all on row 3 (R2); with skip_invalid R1 is always kept."""
    with tempfile.TemporaryDirectory() as tmp:
        path = write_csv(Path(tmp) / "b.csv", three_rows(**{column: value}), HEADER)
        errors: list[RowError] = []
        try:
            batch = read_batch(path)
        except BatchError as exc:
            errors = exc.errors
        kept = read_batch(path, skip_invalid=True)
    if errors:
        assert {(e.row, e.return_id) for e in errors} == {(3, "R2")}
        assert [rid for rid, _ in kept.returns] == ["R1"]
        assert {e.row for e in kept.skipped} == {3}
    else:
        assert [rid for rid, _ in batch.returns] == ["R1", "R2"]
        assert kept == batch


def test_unknown_origin_is_an_error_only_with_known_origins(tmp_path: Path) -> None:
    """An origin outside ``known_origins`` is named, with a did-you-mean; without the set, any
    id is accepted (the engine checks it later)."""
    path = write_csv(tmp_path / "b.csv", three_rows(origin_facility_id="origin_us_pb"))
    known = frozenset({"origin_us_pa", "origin_de_hh"})
    (error,) = errors_of(path, known_origins=known)
    assert (error.row, error.field) == (3, "origin_facility_id")
    assert "did you mean 'origin_us_pa'" in error.reason
    assert len(read_batch(path).returns) == 2


@pytest.mark.parametrize(
    "bad",
    [
        {"weight_g": "0", "grade": "Z", "reason": "meh"},
        {"weight_g": "0", "quantity": "x", "currency": "???"},
        {"customer_country": "XX", "return_date": "soon", "paid_currency": "eur"},
        {"customer_country": "XX", "origin_facility_id": "nowhere", "duty_paid_minor": "-2"},
        {"import_date": "2027-01-01", "max_alternatives": "99", "customer_postal_code": "?"},
    ],
)
def test_every_bad_cell_of_a_row_is_reported(tmp_path: Path, bad: dict[str, str]) -> None:
    """Errors are collected, not stopped at the first: each bad cell of the row is named,
    whether it fails to convert or breaks a domain rule."""
    path = write_csv(tmp_path / "b.csv", three_rows(**bad), HEADER)
    known = frozenset({"origin_us_pa"})
    errors = errors_of(path, known_origins=known)
    assert sorted(e.field for e in errors) == sorted(bad)
    assert {e.row for e in errors} == {3}


def test_rows_of_a_return_that_disagree_name_both_rows(tmp_path: Path) -> None:
    """A later row of R1 with another country: an error on that row naming the first row."""
    rows = [good_row("R1"), good_row("R2"), good_row("R1", customer_country="DE", sku="X")]
    (error,) = errors_of(write_csv(tmp_path / "b.csv", rows))
    assert (error.row, error.return_id, error.field) == (3, "R1", "customer_country")
    assert "row 1" in error.reason
    assert "'DE' here, 'FR' there" in error.reason


def test_disagreeing_dates_and_flags_are_caught_after_parsing(tmp_path: Path) -> None:
    """Cells that differ as text but not in value agree (TRUE = true); values that differ
    disagree, one error per column."""
    rows = [
        good_row("R1"),
        good_row("R1", vat_collected_at_checkout="TRUE", sku="X"),
        good_row("R1", return_date="2026-11-24", vat_paid_minor="999", sku="Y"),
    ]
    errors = errors_of(write_csv(tmp_path / "b.csv", rows))
    assert sorted((e.row, e.field) for e in errors) == [(3, "return_date"), (3, "vat_paid_minor")]


def test_a_return_level_problem_is_on_the_first_row_and_skips_every_row(tmp_path: Path) -> None:
    """A bad country on a 2-row return is reported once, on its first row; skip_invalid lists
    the other row as skipped with its return."""
    rows = [good_row("R1", customer_country="ZZ"), good_row("R1", customer_country="ZZ", sku="X")]
    rows.append(good_row("R2"))
    path = write_csv(tmp_path / "b.csv", rows)
    assert [(e.row, e.field) for e in errors_of(path)] == [(1, "customer_country")]
    batch = read_batch(path, skip_invalid=True)
    assert [rid for rid, _ in batch.returns] == ["R2"]
    assert [(e.row, e.field) for e in batch.skipped] == [(1, "customer_country"), (2, "")]
    assert "skipped with its return (errors in row 1)" in batch.skipped[1].reason


def test_skip_invalid_lists_every_skipped_row(tmp_path: Path) -> None:
    """Every data row ends up in a kept return or in ``skipped``: nothing is dropped silently."""
    rows = [
        good_row("R1"),
        good_row("R1", weight_g="-1", sku="X"),  # row 2: R1 invalid
        good_row("R2"),
        good_row("R3", customer_country="QQ"),  # row 4
        good_row("", sku="orphan"),  # row 5: no return id
        good_row("R1", sku="Z"),  # row 6: valid, but R1 is skipped
        good_row("R4"),
    ]
    batch = read_batch(write_csv(tmp_path / "b.csv", rows), skip_invalid=True)
    assert [rid for rid, _ in batch.returns] == ["R2", "R4"]
    assert sorted({e.row for e in batch.skipped}) == [1, 2, 4, 5, 6]
    kept = sum(len(r.items) for _, r in batch.returns)
    assert kept + len({e.row for e in batch.skipped}) == batch.rows == 7


def test_a_missing_return_id_is_an_error(tmp_path: Path) -> None:
    """A row without a return id cannot be grouped: an error on return_id."""
    (error,) = errors_of(write_csv(tmp_path / "b.csv", [good_row(), good_row(" ")]))
    assert (error.row, error.field, error.reason) == (2, "return_id", "is required")


def test_a_row_with_the_wrong_number_of_fields(tmp_path: Path) -> None:
    """A short row is named (row, return) even though its cells cannot be matched."""
    path = write_csv(tmp_path / "b.csv", [good_row()])
    with path.open("a", newline="", encoding="utf-8") as f:
        f.write("R1,FR,75011\r\n")
    (error,) = errors_of(path)
    assert (error.row, error.return_id, error.field) == (2, "R1", "")
    assert "has 3 fields" in error.reason


def test_blank_lines_are_counted_and_ignored(tmp_path: Path) -> None:
    """A blank line keeps the row numbering of the lines after it and is not an error."""
    path = write_csv(tmp_path / "b.csv", [good_row()])
    with path.open("a", newline="", encoding="utf-8") as f:
        f.write("\r\n")
        csv.writer(f).writerow(list(good_row("R2", weight_g="0").values()))
    (error,) = errors_of(path)
    assert (error.row, error.field) == (3, "weight_g")


def test_too_many_errors_are_all_kept_and_the_message_is_capped(tmp_path: Path) -> None:
    """60 bad rows: all 60 in ``errors``; the message lists 50 and counts the other 10."""
    rows = [good_row(f"R{i}", weight_g="0") for i in range(60)]
    with pytest.raises(BatchError) as info:
        read_batch(write_csv(tmp_path / "b.csv", rows))
    exc = info.value
    assert len(exc.errors) == 60
    assert [e.row for e in exc.errors] == list(range(1, 61))
    assert "... and 10 more" in str(exc)
    assert str(exc).count("weight_g") == MAX_REPORTED_ERRORS
    assert isinstance(exc, InvalidInput)
    assert len(exc.violations) == MAX_REPORTED_ERRORS + 1


# -- file-level problems ---------------------------------------------------------------------


def test_missing_columns_are_each_named(tmp_path: Path) -> None:
    """Missing required columns: one error per column, on row 0 (the header)."""
    header = [h for h in HEADER if h not in ("weight_g", "sku")]
    errors = errors_of(write_csv(tmp_path / "b.csv", [good_row()], header))
    assert sorted((e.row, e.field, e.reason) for e in errors) == [
        (0, "sku", "missing required column"),
        (0, "weight_g", "missing required column"),
    ]


def test_missing_columns_raise_even_with_skip_invalid(tmp_path: Path) -> None:
    """A file-level problem cannot be skipped row by row."""
    header = [h for h in REQUIRED if h != "quantity"]
    assert errors_of(write_csv(tmp_path / "b.csv", [good_row()], header), skip_invalid=True)


def test_unknown_column_suggests_the_close_name(tmp_path: Path) -> None:
    """A misspelt column is unknown (did you mean ...?) and its real name is missing."""
    row = good_row()
    row["wieght_g"] = row.pop("weight_g")
    errors = errors_of(write_csv(tmp_path / "b.csv", [row]))
    by_field = {e.field: e.reason for e in errors}
    assert by_field["wieght_g"] == "unknown column; did you mean 'weight_g'?"
    assert by_field["weight_g"] == "missing required column"


def test_duplicate_column(tmp_path: Path) -> None:
    """A column given twice is an error (which one would count?)."""
    path = tmp_path / "b.csv"
    header = [*REQUIRED, "sku"]
    path.write_text(",".join(header) + "\r\n", encoding="utf-8")
    assert [(e.row, e.field, e.reason) for e in errors_of(path)] == [(0, "sku", "duplicate column")]


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"", "empty file: no header row"),
        (b"\xef\xbb\xbf", "empty file: no header row"),
        (",".join(REQUIRED).encode() + b"\r\n", "no data rows"),
    ],
)
def test_empty_files(tmp_path: Path, content: bytes, reason: str) -> None:
    """No header, or a header without rows, is an error on row 0."""
    path = tmp_path / "b.csv"
    path.write_bytes(content)
    assert [(e.row, e.reason) for e in errors_of(path)] == [(0, reason)]


def test_malformed_csv_quoting(tmp_path: Path) -> None:
    """An unterminated quote is a file-level error (the rest of the file cannot be trusted)."""
    path = write_csv(tmp_path / "b.csv", [good_row()])
    with path.open("a", newline="", encoding="utf-8") as f:
        f.write('R2,"FR,75011\r\n')
    (error,) = errors_of(path, skip_invalid=True)
    assert "malformed CSV" in error.reason


def test_not_utf8(tmp_path: Path) -> None:
    """A Latin-1 file is refused with a clear reason."""
    path = write_csv(tmp_path / "b.csv", [good_row(sku="Caf\u00e9")])
    path.write_bytes(path.read_bytes().replace("\u00e9".encode(), b"\xe9"))
    (error,) = errors_of(path)
    assert "not UTF-8" in error.reason


def test_unsupported_extension(tmp_path: Path) -> None:
    """Only .csv and .parquet are batch files, for reading and writing."""
    path = tmp_path / "b.xlsx"
    path.write_bytes(b"")
    assert "unsupported file type '.xlsx'" in errors_of(path)[0].reason
    with pytest.raises(ValueError, match="unsupported"):
        write_batch(path, [])


def test_write_refuses_duplicate_or_blank_ids(tmp_path: Path) -> None:
    """Two returns with one id would merge on reading: write_batch refuses them."""
    ((_, ret),) = read_batch(write_csv(tmp_path / "b.csv", [good_row()])).returns
    with pytest.raises(ValueError, match="duplicate return id 'R1'"):
        write_batch(tmp_path / "c.csv", [("R1", ret), ("R1", ret)])
    with pytest.raises(ValueError, match="non-blank"):
        write_batch(tmp_path / "c.csv", [(" ", ret)])


# -- Parquet specifics ------------------------------------------------------------------------


def parquet_table(**overrides: pa.Array) -> pa.Table:
    """Three rows (R1, R1, R2) with typed columns; ``overrides`` replace whole columns."""
    rows = three_rows()
    columns: dict[str, pa.Array] = {}
    for name in rows[0]:
        values = [r[name] for r in rows]
        if name in ("import_date", "return_date"):
            columns[name] = pa.array([date.fromisoformat(v) for v in values], pa.date32())
        elif name == "vat_collected_at_checkout":
            columns[name] = pa.array([v == "true" for v in values])
        elif name in {c.name for c in COLUMNS if c.kind.value == "integer"}:
            columns[name] = pa.array([int(v) for v in values], pa.int64())
        else:
            columns[name] = pa.array(values, pa.string())
    columns.update(overrides)
    return pa.table(columns)


def test_parquet_typed_columns_read(tmp_path: Path) -> None:
    """Typed Parquet columns (int64, date32, bool, string) give the same returns as CSV."""
    pq.write_table(parquet_table(), tmp_path / "b.parquet")
    write_csv(tmp_path / "b.csv", three_rows())
    assert read_batch(tmp_path / "b.parquet").returns == read_batch(tmp_path / "b.csv").returns


def test_parquet_numeric_hs_code_column_is_refused(tmp_path: Path) -> None:
    """An integer hs_code column has lost its leading zeros: refused on row 0, naming it."""
    pq.write_table(parquet_table(hs_code=pa.array([610910, 691200, 90111])), tmp_path / "b.parquet")
    (error,) = errors_of(tmp_path / "b.parquet")
    assert (error.row, error.field) == (0, "hs_code")
    assert "string column" in error.reason
    assert "leading zeros" in error.reason


@pytest.mark.parametrize(
    ("column", "array", "row", "reason"),
    [
        ("weight_g", pa.array([250.0, 250.0, float("nan")]), 3, "finite number"),
        ("weight_g", pa.array([250.0, 2.5, 250.0]), 2, "whole number"),
        ("weight_g", pa.array([250, 250, -3], pa.int64()), 3, "between 1 and"),
        ("value_minor", pa.array([4999, None, 4999], pa.int64()), 2, "is required"),
        ("sku", pa.array(["A", "B", None]), 3, "is required"),
        ("grade", pa.array(["A", "Q", "A"]), 2, "one of A, B, C, D"),
        ("import_date", pa.array(["2026-10-20", "2026-10-20", "20.10.2026"]), 3, "ISO date"),
    ],
)
def test_parquet_bad_values_are_named_by_row(
    tmp_path: Path, column: str, array: pa.Array, row: int, reason: str
) -> None:
    """Parquet values get the same checks as CSV cells, with their 1-based row."""
    pq.write_table(parquet_table(**{column: array}), tmp_path / "b.parquet")
    errors = [e for e in errors_of(tmp_path / "b.parquet") if e.field == column]
    assert [(e.row, e.field) for e in errors] == [(row, column)]
    assert reason in errors[0].reason


def test_parquet_wrong_column_types_are_refused(tmp_path: Path) -> None:
    """A timestamp date or a numeric grade column is a file-level error naming the column."""
    table = parquet_table(
        return_date=pa.array([1, 2, 3], pa.timestamp("s")), grade=pa.array([1, 2, 3])
    )
    pq.write_table(table, tmp_path / "b.parquet")
    assert sorted(e.field for e in errors_of(tmp_path / "b.parquet")) == ["grade", "return_date"]


def test_parquet_row_numbers_span_record_batches(tmp_path: Path) -> None:
    """Row numbers count across Parquet record batches and row groups."""
    n = 70_000  # more than one record batch of 65,536
    rows = three_rows()
    table = parquet_table()
    big = pa.concat_tables([table] * (n // 3 + 1)).slice(0, n)
    ids = pa.array([f"R{i}" for i in range(n)])
    weights = pa.array([0 if i == n - 1 else 250 for i in range(n)], pa.int64())
    big = big.set_column(big.schema.get_field_index("return_id"), "return_id", ids)
    big = big.set_column(big.schema.get_field_index("weight_g"), "weight_g", weights)
    pq.write_table(big, tmp_path / "b.parquet", row_group_size=20_000)
    (error,) = errors_of(tmp_path / "b.parquet")
    assert (error.row, error.return_id, error.field) == (n, f"R{n - 1}", "weight_g")
    assert rows  # the table was built from the valid rows


def test_not_a_parquet_file(tmp_path: Path) -> None:
    """A .parquet file that is not Parquet is refused on row 0."""
    (tmp_path / "b.parquet").write_bytes(b"return_id,sku\r\n")
    assert "not a readable Parquet file" in errors_of(tmp_path / "b.parquet")[0].reason


def test_domain_objects_are_equal_to_hand_built_ones(tmp_path: Path) -> None:
    """The reader builds exactly the domain objects the API would."""
    ((_, ret),) = read_batch(write_csv(tmp_path / "b.csv", [good_row()])).returns
    assert ret == Return(
        items=(
            Item(
                sku="TEE-1",
                hs_code="610910",
                value_minor=4999,
                currency="USD",
                weight_g=250,
                dims_mm=(300, 250, 30),
                quantity=1,
                grade=ConditionGrade.A,
                reason=ReturnReason.WRONG_SIZE,
            ),
        ),
        customer_country="FR",
        customer_postal_code="75011",
        origin_facility_id="origin_us_pa",
        import_date=date(2026, 10, 20),
        duty_paid_minor=0,
        vat_paid_minor=1000,
        paid_currency="USD",
        return_date=date(2026, 11, 23),
        vat_collected_at_checkout=True,
    )
