"""Batch files as Parquet, read and written in record batches with pyarrow (imported on use).

Column types are checked against the format before any row is read; cells come as typed
Python values (or text, parsed like CSV).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any, Final, cast

from routing.batches.rows import RowReader, start_reader
from routing.batches.schema import BY_NAME, COLUMNS, BatchError, Column, Kind, RowError

__all__ = ["PARQUET_BATCH_ROWS", "read_parquet", "write_parquet"]

PARQUET_BATCH_ROWS: Final = 65_536  # rows per record batch read, and per row group written
_TEXT_KINDS: Final = frozenset({Kind.TEXT, Kind.GRADE, Kind.REASON, Kind.TRIGGER})


def _parquet_type_error(column: Column, t: Any) -> str | None:
    """Why the Parquet column type ``t`` cannot hold ``column``, or None when it can."""
    import pyarrow as pa  # type: ignore[import-untyped]

    if pa.types.is_dictionary(t):
        t = t.value_type
    if pa.types.is_null(t):
        return None
    texty = pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_string_view(t)
    if column.kind in _TEXT_KINDS:
        if texty:
            return None
        if column.name == "hs_code":
            return (
                f"must be a string column, got {t}: a numeric HS code column loses leading "
                "zeros (090111 -> 90111)"
            )
        return f"must be a string column, got {t}"
    if texty:
        return None  # parsed like CSV text
    ok = {
        Kind.INT: pa.types.is_integer(t) or pa.types.is_floating(t),
        Kind.DATE: pa.types.is_date(t),
        Kind.BOOL: pa.types.is_boolean(t),
    }[column.kind]
    return None if ok else f"must be a {column.kind.value} column, got {t}"


_EPOCH: Final = date(1970, 1, 1)


def _values(array: Any) -> list[object]:
    """The cells of a Parquet column as Python values (``None`` for nulls), built fast: equal
    strings and dates share one object; integers and booleans convert through numpy."""
    import numpy as np
    import pyarrow as pa

    t = array.type
    if array.null_count:
        return cast(list[object], array.to_pylist())
    if pa.types.is_dictionary(t):
        values = np.array(array.dictionary.to_pylist(), dtype=object)
        return cast(list[object], values[array.indices.to_numpy()].tolist())
    if pa.types.is_integer(t) or pa.types.is_boolean(t) or pa.types.is_floating(t):
        return cast(list[object], array.to_numpy(zero_copy_only=False).tolist())
    if pa.types.is_date32(t):
        days, index = np.unique(array.cast(pa.int32()).to_numpy(), return_inverse=True)
        dates = np.array([_EPOCH + timedelta(days=int(d)) for d in days], dtype=object)
        return cast(list[object], dates[index.reshape(-1)].tolist())
    return cast(list[object], array.to_pylist())


def read_parquet(path: Path, known: frozenset[str] | None) -> RowReader:
    """The rows of a Parquet batch file, read into a RowReader (``known``: the known origins)."""
    import pyarrow as pa
    import pyarrow.parquet as pq  # type: ignore[import-untyped]

    try:
        pf = pq.ParquetFile(path)
        # text columns other than the ids come dictionary-decoded: one str object per value
        low_cardinality = [
            n for n in pf.schema_arrow.names if n in BY_NAME and n not in ("return_id", "sku")
        ]
        pf = pq.ParquetFile(path, read_dictionary=low_cardinality)
    except (pa.ArrowException, OSError) as exc:
        if isinstance(exc, FileNotFoundError):
            raise
        raise BatchError([RowError(0, "", "", f"not a readable Parquet file: {exc}")]) from None
    schema = pf.schema_arrow
    header = [str(name) for name in schema.names]
    reader = start_reader(header, known)
    type_errors = [
        RowError(0, "", name, why)
        for name, t in zip(header, schema.types, strict=True)
        if (why := _parquet_type_error(BY_NAME[name], t)) is not None
    ]
    if type_errors:
        raise BatchError(type_errors)
    row = 0
    add = reader.add
    try:
        for record_batch in pf.iter_batches(batch_size=PARQUET_BATCH_ROWS):
            columns = [_values(record_batch.column(i)) for i in range(len(header))]
            for cells in zip(*columns, strict=True):
                row += 1
                add(row, cells)
    except pa.ArrowException as exc:
        raise BatchError([RowError(row + 1, "", "", f"unreadable Parquet data: {exc}")]) from None
    return reader


def _arrow_schema() -> Any:
    import pyarrow as pa

    types = {
        Kind.TEXT: pa.string(),
        Kind.GRADE: pa.string(),
        Kind.REASON: pa.string(),
        Kind.TRIGGER: pa.string(),
        Kind.INT: pa.int64(),
        Kind.DATE: pa.date32(),
        Kind.BOOL: pa.bool_(),
    }
    return pa.schema([pa.field(c.name, types[c.kind], nullable=not c.required) for c in COLUMNS])


def write_parquet(path: Path, rows: Iterator[tuple[object, ...]]) -> int:
    """Write ``rows`` (cells in COLUMNS order) in row groups; returns the number of rows."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = _arrow_schema()
    n = 0
    with pq.ParquetWriter(path, schema) as writer:
        chunk: list[tuple[object, ...]] = []

        def flush() -> None:
            columns = list(zip(*chunk, strict=True))
            writer.write_table(
                pa.table(
                    [pa.array(col, type=f.type) for col, f in zip(columns, schema, strict=True)],
                    schema=schema,
                )
            )
            chunk.clear()

        for row in rows:
            chunk.append(row)
            n += 1
            if len(chunk) == PARQUET_BATCH_ROWS:
                flush()
        if chunk:
            flush()
    return n
