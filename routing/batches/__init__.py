"""Batches of returns: CSV/Parquet files, the synthetic generator, example returns.

:mod:`routing.batches.io` reads and writes batch files (``docs/batch_format.md``) with row
and field errors; :mod:`~routing.batches.generate` makes realistic batches from
``data/generator.toml``; :mod:`~routing.batches.examples` the returns the README and the
benchmarks use.

May import: ``routing.decide`` (the Return it reads into), ``routing.errors``, ``customs``,
``hubs``.
"""
