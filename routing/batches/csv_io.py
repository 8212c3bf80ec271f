"""Batch files as CSV (RFC 4180, UTF-8, an optional byte order mark), read and written.

Read with the standard library's ``csv`` module, row by row into a
:class:`~routing.batches.rows.RowReader`; every cell comes as text.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from datetime import date
from pathlib import Path

from routing.batches.rows import RowReader, start_reader
from routing.batches.schema import COLUMNS, BatchError, RowError

__all__ = ["read_csv", "write_csv"]


def read_csv(path: Path, known: frozenset[str] | None) -> RowReader:
    """The rows of a CSV batch file, read into a RowReader (``known``: the known origins)."""
    row = 0
    try:
        with path.open(newline="", encoding="utf-8-sig") as f:
            rows = csv.reader(f, strict=True)
            header = next(rows, None)
            if header is None or not any(h.strip() for h in header):
                raise BatchError([RowError(0, "", "", "empty file: no header row")])
            reader = start_reader([h.strip() for h in header], known)
            add = reader.add
            for row, cells in enumerate(rows, start=1):
                add(row, cells)
    except UnicodeDecodeError as exc:
        raise BatchError(
            [RowError(0, "", "", f"not UTF-8 text ({exc.reason}), after data row {row}")]
        ) from None
    except csv.Error as exc:
        raise BatchError([RowError(row + 1, "", "", f"malformed CSV: {exc}")]) from None
    return reader


def _csv_cell(v: object) -> object:
    if v is None:
        return ""
    if v is True:
        return "true"
    if v is False:
        return "false"
    if isinstance(v, date):
        return v.isoformat()
    return v


def write_csv(path: Path, rows: Iterator[tuple[object, ...]]) -> int:
    """Write a header and ``rows`` (cells in COLUMNS order); returns the number of rows."""
    n = 0
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)  # RFC 4180: CRLF, fields with separators, quotes, CR or LF quoted
        w.writerow([c.name for c in COLUMNS])
        for row in rows:
            w.writerow([_csv_cell(v) for v in row])
            n += 1
    return n
