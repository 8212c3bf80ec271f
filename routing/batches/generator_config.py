"""The generator's configuration: ``routing/batches/data/generator.toml``, read and validated.

Every distribution the generator samples is data in that file, each entry with its source (a
row of the logistics fact base, a customs source, a data file of this repository, or "planning
assumption"). This module owns the configuration's dataclasses (:class:`GeneratorConfig` and
its parts), reading a file through the product's TOML reader (:mod:`customs.toml_reader`) and
validating every key: a :class:`GeneratorConfigError` names the first key that is wrong.
``default_config`` is the packaged file. Sampling returns from a configuration is
:mod:`routing.batches.generate`.
"""

from __future__ import annotations

import functools
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Final

from customs.api import ReturnReason
from customs.codes import is_country
from customs.toml_reader import Problems, Table
from hubs.model import ConditionGrade, Source
from routing.decide.domain import (
    MAX_DIMENSION_MM,
    Violations,
    check_hs_code,
    check_postal_code,
)
from routing.errors import FieldViolation, InvalidInput

__all__ = [
    "Category",
    "CurrencyRate",
    "GeneratorConfig",
    "GeneratorConfigError",
    "ImportTaxRegime",
    "LogNormal",
    "OriginMix",
    "config_from_mapping",
    "default_config",
    "load_config",
]

_SHARE_TOLERANCE: Final = 1e-6
_FILE: Final = "generator.toml"
_MAX_INT: Final = 10**12  # the default upper bound of an integer setting


class GeneratorConfigError(InvalidInput, ValueError):
    """The generator configuration is invalid; ``path`` names the key."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__([FieldViolation(path, reason)])
        self.path = path
        self.reason = reason


@dataclass(frozen=True, slots=True)
class LogNormal:
    """exp(N(ln median, sigma)), clipped to [min, max]."""

    median: float
    sigma: float
    min: float
    max: float


@dataclass(frozen=True, slots=True)
class Category:
    name: str
    sku_prefix: str
    purchase_share: float  # relative
    return_rate_pct: float
    value_eur: LogNormal
    weight_g: LogNormal
    dims_mm: tuple[int, int, int]  # at the median weight
    max_dim_mm: int
    hs_codes: tuple[tuple[str, float], ...]  # (HS code, share)
    duty_bp: int
    reasons: tuple[float, ...]  # relative weight per ReturnReason, in enum order
    sources: tuple[Source, ...]

    @property
    def return_weight(self) -> float:
        """Share of returns (before normalising): purchase share x return rate."""
        return self.purchase_share * self.return_rate_pct


@dataclass(frozen=True, slots=True)
class OriginMix:
    name: str
    countries: tuple[str, ...]
    shares: tuple[tuple[str, float], ...]  # (origin facility country, share)
    sources: tuple[Source, ...]


@dataclass(frozen=True, slots=True)
class ImportTaxRegime:
    name: str
    vat_bp: Mapping[str, int]  # customer country -> VAT/GST rate on imports
    duty: bool
    duty_free_max_eur: float
    vat_free_max_eur: float
    checkout_max_eur: float  # VAT collected at checkout up to this value (0 = no scheme)
    sources: tuple[Source, ...]


@dataclass(frozen=True, slots=True)
class CurrencyRate:
    code: str
    per_eur: float
    exponent: int
    sources: tuple[Source, ...]


@dataclass(frozen=True, slots=True)
class GeneratorConfig:
    return_window_days: int
    import_lag_min_days: int
    import_lag_max_days: int
    lines: tuple[tuple[int, float], ...]  # (item lines per return, share)
    quantity: tuple[tuple[int, float], ...]  # (units per line, share)
    max_parcel_weight_g: int
    skus_per_category: int
    zipf_exponent: float
    value_weight_correlation: float  # of log value and log weight across a category's SKUs
    countries: Mapping[str, float]  # customer country -> relative weight
    origin_mix: tuple[OriginMix, ...]
    categories: tuple[Category, ...]
    grades: Mapping[ReturnReason, tuple[float, ...]]  # shares per ConditionGrade, enum order
    currencies: Mapping[str, CurrencyRate]
    customs_unions: Mapping[str, frozenset[str]]
    import_taxes: tuple[ImportTaxRegime, ...]
    postal_areas_per_country: int
    postal_formats: Mapping[str, str]
    sources: Mapping[str, tuple[Source, ...]]  # section or entry path -> its sources

    def group_of(self, country: str) -> OriginMix:
        for mix in self.origin_mix:
            if country in mix.countries:
                return mix
        raise GeneratorConfigError("origin_mix", f"no group has country {country}")

    def regime_of(self, country: str) -> ImportTaxRegime:
        for regime in self.import_taxes:
            if country in regime.vat_bp:
                return regime
        raise GeneratorConfigError("import_taxes", f"no regime has country {country}")

    def customs_area(self, country: str) -> str:
        for union, members in self.customs_unions.items():
            if country in members:
                return union
        return country


class _Table(Table):
    """One table of generator.toml: the product's TOML reader (:mod:`customs.toml_reader`),
    raising a :class:`GeneratorConfigError` at the first problem, named by its key path."""

    @classmethod
    def root(cls, data: Mapping[str, object]) -> _Table:
        problems = Problems(_FILE, raise_as=GeneratorConfigError)
        return cls(data, problems, _FILE)

    def entries(self, key: str) -> list[tuple[str, _Table]]:
        """A table of named tables, at least one."""
        entries = self.tables(key)
        if not entries:
            self.fail(key, "needs at least one entry")
        return list(entries.items())

    def text(self, key: str) -> str:
        """A non-empty string."""
        value = self.str(key)
        if not value:
            self.fail(key, "must be a non-empty string")
        return value

    def names(self, key: str) -> tuple[str, ...]:
        """A non-empty array of strings."""
        names = self.strs(key)
        if not names:
            self.fail(key, "must be a non-empty list of strings")
        return names

    def weights(self, key: str, *, shares: bool) -> dict[str, float]:
        """A table of non-negative numbers; ``shares`` ones must sum to 1."""
        t = self.table(key)
        out = {name: t.float(name, low=0.0) for name in t.ask_all()}
        total = sum(out.values())
        if total <= 0:
            t.fail("", "needs a positive entry")
        if shares and abs(total - 1.0) > _SHARE_TOLERANCE:
            t.fail("", f"shares must sum to 1, got {total:.6f}")
        return out

    def sources(self) -> tuple[Source, ...]:
        """``sources = [{ref, year, note}, ...]``: at least one."""
        entries = self.array_of_tables("sources", required=True)
        if not entries:
            self.fail("sources", "must list at least one source")
        return tuple(
            Source(
                ref=t.text("ref"),
                year=t.int("year", low=1900, high=2100),
                note=str(t.data.get("note", "")),
            )
            for t in entries
        )


def _counts(t: _Table, key: str) -> tuple[tuple[int, float], ...]:
    shares = t.weights(key, shares=True)
    out = []
    for name, share in shares.items():
        if not name.isdigit() or int(name) < 1:
            raise GeneratorConfigError(f"{t.path}.{key}.{name}", "keys must be counts >= 1")
        out.append((int(name), share))
    return tuple(sorted(out))


def _lognormal(t: _Table, key: str) -> LogNormal:
    d = t.table(key)
    ln = LogNormal(
        median=d.float("median", low=1e-9),
        sigma=d.float("sigma", low=0.0, high=5.0),
        min=d.float("min", low=1e-9),
        max=d.float("max", low=1e-9),
    )
    if not ln.min <= ln.median <= ln.max:
        raise GeneratorConfigError(d.path, "needs min <= median <= max")
    return ln


def _category(name: str, t: _Table, max_parcel_g: int) -> Category:
    dims = t.ints("dims_mm", low=1, high=MAX_DIMENSION_MM)
    if len(dims) != 3:
        t.fail("dims_mm", "must be 3 sizes in mm")
    hs = t.weights("hs_codes", shares=True)
    for code in hs:
        v = Violations()
        check_hs_code(v, "hs", code)
        if v.items:
            raise GeneratorConfigError(f"{t.path}.hs_codes.{code}", "must be 6 to 10 digits")
    reasons = t.weights("reasons", shares=False)
    for key in reasons:
        if key not in {r.value for r in ReturnReason}:
            raise GeneratorConfigError(f"{t.path}.reasons.{key}", "unknown return reason")
    weight = _lognormal(t, "weight_g")
    if weight.max > max_parcel_g:
        raise GeneratorConfigError(f"{t.path}.weight_g.max", "exceeds parcel.max_weight_g")
    return Category(
        name=name,
        sku_prefix=t.text("sku_prefix"),
        purchase_share=t.float("purchase_share", low=0.0),
        return_rate_pct=t.float("return_rate_pct", low=0.0, high=100.0),
        value_eur=_lognormal(t, "value_eur"),
        weight_g=weight,
        dims_mm=(dims[0], dims[1], dims[2]),
        max_dim_mm=t.int("max_dim_mm", low=1, high=MAX_DIMENSION_MM),
        hs_codes=tuple(hs.items()),
        duty_bp=t.int("duty_bp", low=0, high=10_000),
        reasons=tuple(reasons.get(r.value, 0.0) for r in ReturnReason),
        sources=t.sources(),
    )


def config_from_mapping(data: Mapping[str, object]) -> GeneratorConfig:
    """Validate a parsed generator.toml; raises :class:`GeneratorConfigError` naming the key."""
    root = _Table.root(data)
    if root.int("format_version", low=1, high=1) != 1:
        raise GeneratorConfigError("format_version", "must be 1")
    sources: dict[str, tuple[Source, ...]] = {}
    sources["generator"] = root.table("generator").sources()

    dates = root.table("dates")
    sources["dates"] = dates.sources()
    lag_min = dates.int("import_lag_min_days", low=0, high=3650)
    lag_max = dates.int("import_lag_max_days", low=lag_min, high=3650)
    lines, quantity = root.table("lines"), root.table("quantity")
    sources["lines"], sources["quantity"] = lines.sources(), quantity.sources()
    parcel = root.table("parcel")
    sources["parcel"] = parcel.sources()
    max_parcel_g = parcel.int("max_weight_g", low=1, high=_MAX_INT)
    catalogue = root.table("catalogue")
    sources["catalogue"] = catalogue.sources()

    countries: dict[str, float] = {}
    for code, t in root.entries("countries"):
        if not is_country(code):
            raise GeneratorConfigError(t.path, "not an ISO 3166-1 alpha-2 code")
        countries[code] = t.float("weight", low=0.0)
        sources[t.path] = t.sources()

    origin_mix = []
    for name, t in root.entries("origin_mix"):
        shares = t.weights("shares", shares=True)
        for code in shares:
            if not is_country(code):
                raise GeneratorConfigError(f"{t.path}.shares.{code}", "not a country code")
        origin_mix.append(OriginMix(name, t.names("countries"), tuple(shares.items()), t.sources()))
    grouped = [c for mix in origin_mix for c in mix.countries]
    for code in countries:
        if grouped.count(code) != 1:
            raise GeneratorConfigError(
                "origin_mix",
                f"country {code} must be in exactly one group, is in {grouped.count(code)}",
            )

    categories = tuple(_category(name, t, max_parcel_g) for name, t in root.entries("categories"))
    grades: dict[ReturnReason, tuple[float, ...]] = {}
    for reason in ReturnReason:
        t = root.table("grades").table(reason.value)
        shares = t.weights("shares", shares=True)
        unknown = set(shares) - {g.value for g in ConditionGrade}
        if unknown:
            raise GeneratorConfigError(f"{t.path}.shares", f"unknown grades {sorted(unknown)}")
        grades[reason] = tuple(shares.get(g.value, 0.0) for g in ConditionGrade)
        sources[t.path] = t.sources()

    currencies = {}
    for code, t in root.entries("currencies"):
        currencies[code] = CurrencyRate(
            code, t.float("per_eur", low=1e-9), t.int("exponent", low=0, high=4), t.sources()
        )

    unions = {}
    for name, t in root.entries("customs_unions"):
        unions[name] = frozenset(t.names("members"))
        sources[t.path] = t.sources()

    regimes = []
    for name, t in root.entries("import_taxes"):
        vat = t.table("vat_bp")
        regimes.append(
            ImportTaxRegime(
                name=name,
                vat_bp={c: vat.int(c, low=0, high=10_000) for c in vat.ask_all()},
                duty=t.bool("duty"),
                duty_free_max_eur=t.float("duty_free_max_eur", low=0.0),
                vat_free_max_eur=t.float("vat_free_max_eur", low=0.0),
                checkout_max_eur=t.float("checkout_max_eur", low=0.0),
                sources=t.sources(),
            )
        )
    taxed = [c for r in regimes for c in r.vat_bp]
    for code in countries:
        if taxed.count(code) != 1:
            raise GeneratorConfigError(
                "import_taxes",
                f"country {code} must be in exactly one regime, is in {taxed.count(code)}",
            )

    postal = root.table("postal")
    sources["postal"] = postal.sources()
    formats = postal.table("formats")
    postal_formats = {c: formats.text(c) for c in formats.ask_all()}
    for code in countries:
        fmt = postal_formats.get(code)
        if fmt is None:
            raise GeneratorConfigError(f"{formats.path}.{code}", "is required for every country")
        v = Violations()
        check_postal_code(v, "postal", fmt.replace("#", "0").replace("@", "A"))
        if v.items:
            raise GeneratorConfigError(f"{formats.path}.{code}", v.items[0].description)

    return GeneratorConfig(
        return_window_days=dates.int("return_window_days", low=1, high=3650),
        import_lag_min_days=lag_min,
        import_lag_max_days=lag_max,
        lines=_counts(lines, "shares"),
        quantity=_counts(quantity, "shares"),
        max_parcel_weight_g=max_parcel_g,
        skus_per_category=catalogue.int("skus_per_category", low=1, high=10**6),
        zipf_exponent=catalogue.float("zipf_exponent", low=0.0, high=10.0),
        value_weight_correlation=catalogue.float("value_weight_correlation", low=0.0, high=0.99),
        countries=countries,
        origin_mix=tuple(origin_mix),
        categories=categories,
        grades=grades,
        currencies=currencies,
        customs_unions=unions,
        import_taxes=tuple(regimes),
        postal_areas_per_country=postal.int("areas_per_country", low=1, high=10**6),
        postal_formats=postal_formats,
        sources=sources,
    )


def load_config(path: str | Path) -> GeneratorConfig:
    with Path(path).open("rb") as f:
        return config_from_mapping(tomllib.load(f))


@functools.cache
def default_config() -> GeneratorConfig:
    """The packaged ``routing/batches/data/generator.toml``."""
    text = (
        resources.files("routing.batches")
        .joinpath("data/generator.toml")
        .read_text(encoding="utf-8")
    )
    return config_from_mapping(tomllib.loads(text))
