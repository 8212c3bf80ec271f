"""Synthetic but realistic batches of returns, deterministic for a seed.

Every distribution is data in ``routing/batches/data/generator.toml``, each entry with its
source; :mod:`routing.batches.generator_config` reads and validates it, this module samples
returns from it::

    from hubs import default_network
    for return_id, ret in generate_returns(100_000, seed=7, network=default_network(),
                                           start=date(2026, 11, 23)):
        ...

Sampling is vectorised with one ``numpy.random.Generator`` (PCG64) per call, in chunks; only the
domain objects are built in a loop (identical item lines share one ``Item``). The same seed,
network, start date and configuration always give the same returns, in the same order.

What a return looks like (see the configuration for the numbers):

- the customer country is drawn by cross-border e-commerce import volume among the countries
  the network serves; the merchant origin by the customer's region (origin_mix);
- 1-3 item lines of SKUs from a per-category catalogue (drawn once per seed; popularity Zipf),
  the category by purchase share x return rate; each line's reason by its category, its
  condition grade by its reason; quantity mostly 1;
- values in the MERCHANT's currency (the origin facility's currency), as .99 price points;
- the return date within ``return_window_days`` of ``start``, the import 5-60 days before it;
- duty/VAT paid at the outbound import: an ESTIMATE (category duty rate and the customer
  country's VAT rate above its de minimis, zero inside one customs area), in the merchant's
  currency; ``vat_collected_at_checkout`` for low-value schemes (IOSS, UK, NO, AU, NZ, SG).
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Final

import numpy as np
import numpy.typing as npt

from customs.api import ReturnReason
from hubs.model import ConditionGrade, FacilityKind, Network
from routing.batches.generator_config import (
    CurrencyRate,
    GeneratorConfig,
    LogNormal,
    default_config,
)
from routing.decide.domain import Constraints, Item, Return

__all__ = ["generate_returns"]

_CHUNK: Final = 65_536  # returns sampled per vectorised step
_GRADES: Final = tuple(ConditionGrade)
_REASONS: Final = tuple(ReturnReason)
_DEFAULT_CONSTRAINTS: Final = Constraints()
_LETTERS: Final = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]


def _normalised(weights: Sequence[float]) -> FloatArray:
    w = np.asarray(weights, dtype=np.float64)
    out: FloatArray = w / w.sum()
    return out


def _draw_rows(rng: np.random.Generator, cumulative: FloatArray, rows: IntArray) -> IntArray:
    """For each i, an index drawn from the distribution ``cumulative[rows[i]]`` (row-wise CDFs)."""
    u = rng.random(len(rows))
    picked = (u[:, None] >= cumulative[rows]).sum(axis=1)
    out: IntArray = np.minimum(picked, cumulative.shape[1] - 1).astype(np.int64)
    return out


def _cdf_rows(rows: Sequence[Sequence[float]]) -> FloatArray:
    m = np.asarray(rows, dtype=np.float64)
    m = m / m.sum(axis=1, keepdims=True)
    return np.cumsum(m, axis=1)


@dataclass(frozen=True, slots=True)
class _Catalogue:
    """Per SKU (category-major): HS code, value (minor units per currency), weight, size."""

    names: list[str]
    hs: list[str]
    category: IntArray
    value_minor: IntArray  # [currency, sku]
    weight_g: IntArray
    dims_mm: IntArray  # [sku, 3]
    popularity_cdf: FloatArray  # over the SKUs of one category, by rank


class _Plan:
    """Everything the sampler needs, as arrays indexed by country / origin / category."""

    def __init__(self, config: GeneratorConfig, network: Network, rng: np.random.Generator):
        self.config = config
        served = [c for c in config.countries if c in network.regions]
        if not served:
            raise ValueError("the network serves none of the generator's customer countries")
        self.countries = served
        self.territories = [network.regions[c].territory for c in served]
        self.country_p = _normalised([config.countries[c] for c in served])

        origins = sorted(
            (f for f in network.facilities.values() if f.kind is FacilityKind.ORIGIN),
            key=lambda f: f.id,
        )
        if not origins:
            raise ValueError("the network has no origin facility")
        self.origin_ids = [f.id for f in origins]
        self.currencies = sorted({f.currency for f in origins})
        missing = [c for c in self.currencies if c not in config.currencies]
        if missing:
            raise ValueError(f"generator.toml has no [currencies] rate for {', '.join(missing)}")
        self.origin_currency = np.array(
            [self.currencies.index(f.currency) for f in origins], dtype=np.int64
        )
        by_country: dict[str, list[int]] = {}
        for i, f in enumerate(origins):
            by_country.setdefault(f.country, []).append(i)
        origin_rows = []
        for c in served:
            mix = config.group_of(c)
            row = [0.0] * len(origins)
            for origin_country, share in mix.shares:
                for i in by_country.get(origin_country, []):
                    row[i] += share / len(by_country[origin_country])
            if sum(row) <= 0:
                raise ValueError(
                    f"origin_mix.{mix.name}: the network has no origin in "
                    f"{', '.join(sorted(dict(mix.shares)))}"
                )
            origin_rows.append(row)
        self.origin_cdf = _cdf_rows(origin_rows)

        areas = sorted({config.customs_area(c) for c in served + [f.country for f in origins]})
        self.country_area = np.array([areas.index(config.customs_area(c)) for c in served])
        self.origin_area = np.array([areas.index(config.customs_area(f.country)) for f in origins])
        regimes = [config.regime_of(c) for c in served]
        self.vat_bp = np.array([r.vat_bp[c] for r, c in zip(regimes, served, strict=True)])
        self.charges_duty = np.array([r.duty for r in regimes])
        self.duty_free_max_eur = np.array([r.duty_free_max_eur for r in regimes])
        self.vat_free_max_eur = np.array([r.vat_free_max_eur for r in regimes])
        self.checkout_max_eur = np.array([r.checkout_max_eur for r in regimes])
        rates = [config.currencies[c] for c in self.currencies]
        self.minor_per_eur = np.array([r.per_eur * 10**r.exponent for r in rates])

        cats = config.categories
        self.category_p = _normalised([c.return_weight for c in cats])
        self.duty_bp = np.array([c.duty_bp for c in cats], dtype=np.int64)
        self.reason_cdf = _cdf_rows([c.reasons for c in cats])
        self.grade_cdf = _cdf_rows([config.grades[r] for r in _REASONS])
        self.lines = np.array([n for n, _ in config.lines], dtype=np.int64)
        self.lines_p = _normalised([p for _, p in config.lines])
        self.quantity = np.array([n for n, _ in config.quantity], dtype=np.int64)
        self.quantity_p = _normalised([p for _, p in config.quantity])

        # drawn once per seed, in this order: catalogue, postal codes, then the returns
        self.catalogue = self._catalogue(rng, rates)
        self.postal = [self._postal_codes(rng, config.postal_formats[c]) for c in served]

    def _catalogue(self, rng: np.random.Generator, rates: Sequence[CurrencyRate]) -> _Catalogue:
        config, size = self.config, self.config.skus_per_category
        names: list[str] = []
        hs: list[str] = []
        values: list[FloatArray] = []
        weights: list[IntArray] = []
        dims: list[IntArray] = []
        for cat in config.categories:
            names += [f"{cat.sku_prefix}-{i:05d}" for i in range(1, size + 1)]
            codes = [code for code, _ in cat.hs_codes]
            picks = rng.choice(len(codes), size=size, p=_normalised([p for _, p in cat.hs_codes]))
            hs += [codes[i] for i in picks]
            # value and weight share a Gaussian copula: heavier SKUs tend to cost more
            z_weight = rng.standard_normal(size)
            rho = config.value_weight_correlation
            z_value = rho * z_weight + math.sqrt(1.0 - rho * rho) * rng.standard_normal(size)
            values.append(_lognormal_of(cat.value_eur, z_value))
            w = np.rint(_lognormal_of(cat.weight_g, z_weight)).astype(np.int64)
            weights.append(np.maximum(w, 1))
            scale = (w / cat.weight_g.median) ** (1.0 / 3.0)
            box = np.rint(np.outer(scale, cat.dims_mm)).astype(np.int64)
            dims.append(np.clip(box, 1, cat.max_dim_mm))
        value_eur = np.concatenate(values)
        value_minor = np.empty((len(rates), len(value_eur)), dtype=np.int64)
        for i, rate in enumerate(rates):
            # .99 price points: round the converted price up, minus one minor unit
            major = np.ceil(value_eur * rate.per_eur)
            unit = 10**rate.exponent
            value_minor[i] = np.maximum(major.astype(np.int64) * unit - (1 if unit > 1 else 0), 1)
        ranks = np.arange(1, size + 1, dtype=np.float64)
        popularity = ranks ** (-config.zipf_exponent)
        return _Catalogue(
            names=names,
            hs=hs,
            category=np.repeat(np.arange(len(config.categories)), size),
            value_minor=value_minor,
            weight_g=np.concatenate(weights),
            dims_mm=np.concatenate(dims),
            popularity_cdf=np.cumsum(popularity / popularity.sum()),
        )

    def _postal_codes(self, rng: np.random.Generator, fmt: str) -> list[str]:
        n = self.config.postal_areas_per_country
        digits = rng.integers(0, 10, size=(n, len(fmt)))
        letters = rng.integers(0, 26, size=(n, len(fmt)))
        out = []
        for d_row, l_row in zip(digits.tolist(), letters.tolist(), strict=True):
            out.append(
                "".join(
                    str(d) if ch == "#" else _LETTERS[le] if ch == "@" else ch
                    for ch, d, le in zip(fmt, d_row, l_row, strict=True)
                )
            )
        return out


def _lognormal_of(d: LogNormal, z: FloatArray) -> FloatArray:
    """The lognormal ``d`` at standard normal draws ``z``, clipped to its bounds."""
    out: FloatArray = np.clip(np.exp(math.log(d.median) + d.sigma * z), d.min, d.max)
    return out


@dataclass(frozen=True, slots=True)
class _Chunk:
    """One chunk of returns, as arrays: per return and per item line (lines of a return are
    contiguous, ``start[r]:start[r] + n_lines[r]``)."""

    country: IntArray
    origin: IntArray
    return_day: IntArray
    import_lag: IntArray
    postal: IntArray
    duty: IntArray
    vat: IntArray
    checkout: npt.NDArray[np.bool_]
    start: IntArray
    n_lines: IntArray
    sku: IntArray
    quantity: IntArray
    grade: IntArray
    reason: IntArray


def _sample_chunk(plan: _Plan, rng: np.random.Generator, m: int) -> _Chunk:
    config, cat = plan.config, plan.catalogue
    country = rng.choice(len(plan.countries), size=m, p=plan.country_p)
    origin = _draw_rows(rng, plan.origin_cdf, country)
    n_lines = rng.choice(plan.lines, size=m, p=plan.lines_p)
    owner = np.repeat(np.arange(m), n_lines)
    n = len(owner)
    category = rng.choice(len(config.categories), size=n, p=plan.category_p)
    rank = np.searchsorted(cat.popularity_cdf, rng.random(n), side="right")
    rank = np.minimum(rank, config.skus_per_category - 1)
    sku = category * config.skus_per_category + rank
    quantity = rng.choice(plan.quantity, size=n, p=plan.quantity_p)
    reason = _draw_rows(rng, plan.reason_cdf, category)
    grade = _draw_rows(rng, plan.grade_cdf, reason)
    return_day = rng.integers(0, config.return_window_days, size=m)
    import_lag = rng.integers(config.import_lag_min_days, config.import_lag_max_days + 1, size=m)
    postal = rng.integers(0, config.postal_areas_per_country, size=m)

    # parcels over the weight cap: one unit per line, then only the lines that fit
    start = np.concatenate(([0], np.cumsum(n_lines)[:-1]))
    line_weight = cat.weight_g[sku] * quantity
    over = np.add.reduceat(line_weight, start) > config.max_parcel_weight_g
    if over.any():
        quantity = np.where(over[owner], 1, quantity)
        line_weight = cat.weight_g[sku] * quantity
        cumulative = np.cumsum(line_weight)
        before = (cumulative - line_weight)[start]  # weight of earlier returns' lines
        within = cumulative - before[owner]
        first = np.zeros(n, dtype=bool)
        first[start] = True
        keep = first | (within <= config.max_parcel_weight_g)
        n_lines = np.bincount(owner[keep], minlength=m)
        owner, sku, quantity = owner[keep], sku[keep], quantity[keep]
        reason, grade, category = reason[keep], grade[keep], category[keep]
        start = np.concatenate(([0], np.cumsum(n_lines)[:-1]))

    # duty/VAT paid at the outbound import: an estimate in the merchant's currency
    currency = plan.origin_currency[origin]
    line_value = cat.value_minor[currency[owner], sku] * quantity
    consignment = np.add.reduceat(line_value, start)
    value_eur = consignment / plan.minor_per_eur[currency]
    cross = plan.country_area[country] != plan.origin_area[origin]
    duty_line = line_value * plan.duty_bp[category] // 10_000
    duty_due = cross & plan.charges_duty[country] & (value_eur > plan.duty_free_max_eur[country])
    duty = np.where(duty_due, np.add.reduceat(duty_line, start), 0)
    checkout = cross & (value_eur <= plan.checkout_max_eur[country])
    vat_due = cross & (checkout | (value_eur > plan.vat_free_max_eur[country]))
    vat = np.where(vat_due, ((consignment + duty) * plan.vat_bp[country] + 5_000) // 10_000, 0)
    checkout &= plan.vat_bp[country] > 0

    return _Chunk(
        country=country,
        origin=origin,
        return_day=return_day,
        import_lag=import_lag,
        postal=postal,
        duty=duty.astype(np.int64),
        vat=vat.astype(np.int64),
        checkout=checkout,
        start=start,
        n_lines=n_lines,
        sku=sku,
        quantity=quantity,
        grade=grade,
        reason=reason,
    )


def generate_returns(
    n: int,
    *,
    seed: int,
    network: Network,
    start: date,
    config: GeneratorConfig | None = None,
) -> Iterator[tuple[str, Return]]:
    """``n`` synthetic returns ``(return_id, Return)`` for ``network``, deterministic for ``seed``.

    Return ids are ``R00000001``, ``R00000002``... Customer countries are those of the
    configuration the network serves; origins are the network's origin facilities.
    ``config`` defaults to the packaged ``routing/batches/data/generator.toml``.
    """
    if isinstance(n, bool) or not isinstance(n, int) or n < 0:
        raise ValueError(f"n must be an integer >= 0, got {n!r}")
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise ValueError(f"seed must be an integer, got {seed!r}")
    rng = np.random.default_rng(seed)
    plan = _Plan(config or default_config(), network, rng)
    return _generate(plan, rng, n, start)


def _generate(
    plan: _Plan, rng: np.random.Generator, n: int, start: date
) -> Iterator[tuple[str, Return]]:
    config, cat = plan.config, plan.catalogue
    id_width = max(8, len(str(n)))
    lag_max = config.import_lag_max_days
    days = [start + timedelta(days=d) for d in range(-lag_max, config.return_window_days)]
    currency_codes = plan.currencies
    origin_currency = [currency_codes[i] for i in plan.origin_currency.tolist()]
    items: dict[tuple[int, int, int, int, int], Item] = {}  # identical lines share one Item
    done = 0
    while done < n:
        m = min(_CHUNK, n - done)
        c = _sample_chunk(plan, rng, m)
        line_currency = np.repeat(plan.origin_currency[c.origin], c.n_lines).tolist()
        line_items: list[Item] = []
        for key in zip(
            c.sku.tolist(),
            line_currency,
            c.quantity.tolist(),
            c.grade.tolist(),
            c.reason.tolist(),
            strict=True,
        ):
            item = items.get(key)
            if item is None:
                sku, cur, qty, grade, reason = key
                length, width, height = cat.dims_mm[sku].tolist()
                item = items[key] = Item(
                    sku=cat.names[sku],
                    hs_code=cat.hs[sku],
                    value_minor=int(cat.value_minor[cur, sku]),
                    currency=currency_codes[cur],
                    weight_g=int(cat.weight_g[sku]),
                    dims_mm=(length, width, height),
                    quantity=qty,
                    grade=_GRADES[grade],
                    reason=_REASONS[reason],
                )
            line_items.append(item)
        for j, (country, origin, day, lag, postal, duty, vat, checkout, first, count) in enumerate(
            zip(
                c.country.tolist(),
                c.origin.tolist(),
                c.return_day.tolist(),
                c.import_lag.tolist(),
                c.postal.tolist(),
                c.duty.tolist(),
                c.vat.tolist(),
                c.checkout.tolist(),
                c.start.tolist(),
                c.n_lines.tolist(),
                strict=True,
            ),
            start=done + 1,
        ):
            currency = origin_currency[origin]
            yield (
                f"R{j:0{id_width}d}",
                Return(
                    items=tuple(line_items[first : first + count]),
                    customer_country=plan.countries[country],
                    customer_postal_code=plan.postal[country][postal],
                    origin_facility_id=plan.origin_ids[origin],
                    import_date=days[lag_max + day - lag],
                    duty_paid_minor=duty,
                    vat_paid_minor=vat,
                    paid_currency=currency,
                    return_date=days[lag_max + day],
                    vat_collected_at_checkout=checkout,
                    customer_territory=plan.territories[country],
                    constraints=_DEFAULT_CONSTRAINTS,
                ),
            )
        done += m


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m routing.batches.generate N --seed S --out FILE`` (.csv or .parquet): write a
    batch."""
    import argparse
    import time

    from hubs import default_network, load_network
    from routing.batches.io import write_batch

    parser = argparse.ArgumentParser(
        prog="python -m routing.batches.generate", description=main.__doc__
    )
    parser.add_argument("n", type=int)
    parser.add_argument("--seed", type=int, required=True)
    parser.add_argument("--out", type=Path, help="write a batch file; without it only time")
    parser.add_argument("--start", type=date.fromisoformat, default=date.today())
    parser.add_argument("--network", type=Path, help="network file (default: the embedded one)")
    a = parser.parse_args(argv)
    network = load_network(a.network) if a.network else default_network()
    started = time.perf_counter()
    returns = generate_returns(a.n, seed=a.seed, network=network, start=a.start)
    if a.out is None:
        count = sum(1 for _ in returns)
        print(f"generated {count} returns in {time.perf_counter() - started:.1f} s")
    else:
        count = write_batch(a.out, returns)
        print(f"wrote {count} returns to {a.out} in {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
