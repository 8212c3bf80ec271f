"""Batches of returns: CSV/Parquet files, the synthetic generator, example returns.

:mod:`routing.batches.io` reads and writes batch files (``docs/batch_format.md``) with row
and field errors; :mod:`~routing.batches.generate` makes realistic batches from
``data/generator.toml`` (read and validated by :mod:`~routing.batches.generator_config`);
:mod:`~routing.batches.examples` the returns the README and the benchmarks use.

Behind :mod:`~routing.batches.io`, one module per concept: :mod:`~routing.batches.schema` the
columns, the Batch and its row/field errors; :mod:`~routing.batches.cells` cells to typed
values; :mod:`~routing.batches.rows` rows parsed and grouped into returns (and returns
flattened into rows); :mod:`~routing.batches.csv_io` and :mod:`~routing.batches.parquet_io`
the two file types.

May import: ``routing.decide`` (the Return it reads into), ``routing.errors``, ``customs``,
``hubs``.
"""

__all__ = ["examples", "generate", "generator_config", "io"]
