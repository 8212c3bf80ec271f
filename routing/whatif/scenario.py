"""What-if scenario files (TOML, ``docs/scenario_format.md``): a base and named variants.

``load_scenario(path)`` reads and checks a file's structure; every problem is collected and
raised together as one :class:`ScenarioError` whose lines name the file, the variant (``base``
for the base) and the key, e.g. ``uk.toml: variant 'uk_3pl': rates[0].pct: must be > -100``.
References into the network (facility, carrier, lane ids) and the customs rows are checked when
the variant is applied (:mod:`routing.whatif.apply`), with the same kind of message.
"""

from __future__ import annotations

import functools
import math
import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Final

from customs.toml_reader import Problems, Table, article, describe
from routing.errors import FieldViolation, InvalidInput
from routing.plan.planner import MAX_TIME_LIMIT_S

FORMAT_VERSION: Final = 1
BASE: Final = "base"
_NAME_RE: Final = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
MAX_RETURNS: Final = 2_000_000
_WANTED: Final = {"boolean": "true or false", "date": "a date (YYYY-MM-DD)"}
RATE_SELECTORS: Final = ("carrier", "service", "rate_card", "lane")
CUSTOMS_TABLES: Final = ("de_minimis", "duty_rate")
POLICY_KEYS: Final = (
    "refund_delay_per_day_minor",
    "resale_depreciation_per_day_bp",
    "co2e_price_per_tonne_minor",
    "returnless_max_value_minor",
)


@dataclass(frozen=True, slots=True)
class Problem:
    variant: str
    key: str
    reason: str


class ScenarioError(InvalidInput, ValueError):
    """An invalid scenario: each line names the file, the variant and the key."""

    def __init__(self, file: str, problems: Sequence[Problem]) -> None:
        if not problems:
            raise ValueError("ScenarioError needs at least one problem")
        self.file = file
        self.problems = tuple(problems)
        super().__init__(
            [
                FieldViolation(
                    f"{file}: variant {p.variant!r}" + (f": {p.key}" if p.key else ""), p.reason
                )
                for p in self.problems
            ]
        )
        self.args = ("\n".join(self.lines()),)

    def lines(self) -> list[str]:
        return [
            f"{self.file}: variant {p.variant!r}: {p.key}: {p.reason}"
            if p.key
            else f"{self.file}: variant {p.variant!r}: {p.reason}"
            for p in self.problems
        ]

    def __reduce__(self) -> tuple[object, ...]:
        return (type(self), (self.file, self.problems))


# -- the model ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Resize:
    facility: str
    capacity_units_per_day: int | None = None
    capacity_pct: Decimal | None = None  # change in percent, e.g. -20
    processing_days: int | None = None


@dataclass(frozen=True, slots=True)
class RateChange:
    """Prices of the selected rate cards (or a lane's costs) scaled by ``pct`` or shifted by
    ``add_minor`` (in the card's / lane's currency, which ``currency`` must name)."""

    selector: str  # one of RATE_SELECTORS
    target: str
    pct: Decimal | None = None
    add_minor: int | None = None
    currency: str = ""


@dataclass(frozen=True, slots=True)
class CustomsChange:
    """A customs row (``customs/data`` format) in force from ``effective_from``: rows of the
    same key in force on or after that day end the day before."""

    table: str  # one of CUSTOMS_TABLES
    effective_from: date
    row: Mapping[str, object]


@dataclass(frozen=True, slots=True)
class Sla:
    max_days_to_refund: int | None = None
    allow_returnless: bool | None = None


@dataclass(frozen=True, slots=True)
class Demand:
    countries: frozenset[str] | None = None  # keep only these customer countries
    country_factors: Mapping[str, Decimal] = field(default_factory=dict)  # resample per country
    origin: str | None = None  # every return comes back for this origin facility
    seed: int = 0


@dataclass(frozen=True, slots=True)
class Changes:
    remove_facilities: tuple[str, ...] = ()
    add_facilities: Mapping[str, Mapping[str, object]] = field(default_factory=dict)
    remove_lanes: tuple[str, ...] = ()
    add_lanes: Mapping[str, Mapping[str, object]] = field(default_factory=dict)
    add_services: Mapping[str, Mapping[str, object]] = field(default_factory=dict)
    add_rate_cards: Mapping[str, Mapping[str, object]] = field(default_factory=dict)
    resize: tuple[Resize, ...] = ()
    rates: tuple[RateChange, ...] = ()
    customs: tuple[CustomsChange, ...] = ()
    policy: Mapping[str, int] = field(default_factory=dict)
    sla: Sla | None = None
    demand: Demand | None = None

    def summary(self) -> list[str]:
        """One line per change, for the report."""
        out = [f"remove facility {f}" for f in self.remove_facilities]
        out += [f"add facility {f}" for f in self.add_facilities]
        out += [f"remove lane {lane}" for lane in self.remove_lanes]
        out += [f"add lane {lane}" for lane in self.add_lanes]
        out += [f"add service {x}" for x in self.add_services]
        out += [f"add rate card {x}" for x in self.add_rate_cards]
        for r in self.resize:
            parts = []
            if r.capacity_units_per_day is not None:
                parts.append(f"capacity {r.capacity_units_per_day}/day")
            if r.capacity_pct is not None:
                parts.append(f"capacity {r.capacity_pct:+}%")
            if r.processing_days is not None:
                parts.append(f"processing {r.processing_days} d")
            out.append(f"resize {r.facility}: " + ", ".join(parts))
        for c in self.rates:
            how = f"{c.pct:+}%" if c.pct is not None else f"{c.add_minor:+} {c.currency} minor"
            out.append(f"rates of {c.selector} {c.target!r} {how}")
        for cc in self.customs:
            out.append(
                f"customs {cc.table} {cc.row.get('regime', '?')} from {cc.effective_from}"
                f" ({cc.row.get('id', '')})"
            )
        out += [f"policy {k} = {v}" for k, v in self.policy.items()]
        if self.sla is not None:
            if self.sla.max_days_to_refund is not None:
                out.append(f"SLA: refund within {self.sla.max_days_to_refund} days")
            if self.sla.allow_returnless is not None:
                out.append(f"SLA: returnless {'allowed' if self.sla.allow_returnless else 'off'}")
        if self.demand is not None:
            d = self.demand
            if d.countries is not None:
                out.append("demand: customers in " + ", ".join(sorted(d.countries)))
            out += [f"demand: {c} x {f}" for c, f in d.country_factors.items()]
            if d.origin is not None:
                out.append(f"demand: every return for origin {d.origin}")
        return out


@dataclass(frozen=True, slots=True)
class Generate:
    returns: int
    seed: int
    start: date


@dataclass(frozen=True, slots=True)
class Base:
    network: Path | None  # None: the embedded default network
    batch: Path | None  # a batch file, or ...
    generate: Generate | None  # ... a generated batch
    fx_date: date | None
    horizon_days: int
    time_limit_s: float
    overflow_price_minor: int  # per unit planned outside the network (network currency)
    changes: Changes


@dataclass(frozen=True, slots=True)
class Variant:
    name: str
    description: str
    changes: Changes


@dataclass(frozen=True, slots=True)
class Scenario:
    path: Path
    name: str
    description: str
    base: Base
    variants: tuple[Variant, ...]

    @property
    def file(self) -> str:
        return self.path.name

    def variant(self, name: str) -> Variant:
        """``base`` or a named variant (the base's changes are applied by the caller)."""
        if name == BASE:
            return Variant(BASE, "the base, as it is", Changes())
        for v in self.variants:
            if v.name == name:
                return v
        raise KeyError(name)

    @property
    def names(self) -> tuple[str, ...]:
        return (BASE, *(v.name for v in self.variants))


# -- reading --------------------------------------------------------------------------------


class _Table(Table):
    """One table of a scenario: the product's TOML reader (:mod:`customs.toml_reader`) with the
    scenario format's wording; its ``scope`` is the variant (``base`` for the base). Values are
    optional unless said otherwise: an absent or bad one reads as ``None`` (bad ones reported)."""

    # -- wording ---------------------------------------------------------------------------

    def missing_message(self) -> str:
        return "is required"

    def type_message(self, expected: str, value: object) -> str:
        wanted = _WANTED.get(expected) or article(expected)
        return f"must be {wanted}, got {describe(value)}"

    def range_message(
        self, value: object, low: float | None, high: float | None, *, number: bool
    ) -> str:
        return f"must be between {low} and {high}, got {value}"

    def unknown_message(self, key: str, suggestion: str | None, allowed: Sequence[str]) -> str:
        hint = f" (did you mean {suggestion!r}?)" if suggestion else ""
        return f"unknown key{hint}; allowed: {', '.join(allowed)}"

    # -- the scenario's accessors ----------------------------------------------------------

    def text(self, key: str, *, required: bool = False, default: str = "") -> str:
        if required:
            return self.str(key)
        value = self.optional(key, self.str)
        return default if value is None else value

    def integer(self, key: str, *, low: int, high: int) -> int | None:
        return self.optional(key, functools.partial(self.int, low=low, high=high))

    def flag(self, key: str) -> bool | None:
        return self.optional(key, self.bool)

    def decimal(self, key: str) -> Decimal | None:
        return self.optional(key, self._decimal)

    def _decimal(self, key: str) -> Decimal | None:
        v = self.get(key)
        if isinstance(v, bool) or not isinstance(v, int | float | str):
            self.error(key, f"must be a number, got {describe(v)}")
            return None
        if isinstance(v, float) and not math.isfinite(v):
            self.error(key, "must be a finite number")
            return None
        try:
            d = Decimal(str(v))
        except InvalidOperation:
            self.error(key, f"not a number: {v!r}")
            return None
        if not d.is_finite():
            self.error(key, "must be a finite number")
            return None
        return d

    def day(self, key: str, *, required: bool = False) -> date | None:
        """A TOML date, or a string in ISO form (YYYY-MM-DD)."""
        if not self.has(key):
            self.ask(key)
            if required:
                self.error(key, "is required (a date, YYYY-MM-DD)")
            return None
        v = self.get(key)
        if isinstance(v, date) and not isinstance(v, datetime):
            return v
        if isinstance(v, str):
            try:
                return date.fromisoformat(v)
            except ValueError:
                self.error(key, f"not a valid date (YYYY-MM-DD): {v!r}")
                return None
        self.error(key, f"must be a date (YYYY-MM-DD), got {describe(v)}")
        return None

    def names(self, key: str) -> tuple[str, ...]:
        return self.strs(key, required=False)

    def sub(self, key: str) -> _Table | None:
        """The table at ``key``, or ``None`` when absent (or not a table: reported)."""
        return self.optional(key, self.table)


def _check_name(name: str) -> str | None:
    if _NAME_RE.fullmatch(name):
        return None
    return "ids are lower-case letters, digits, '_' and '-' (at most 64)"


def _entries(t: _Table, key: str) -> dict[str, Mapping[str, object]]:
    if not t.has(key):
        t.ask(key)
        return {}
    return {name: e.data for name, e in t.tables(key, check_name=_check_name).items()}


def _resize(t: _Table) -> Resize | None:
    facility = t.text("facility", required=True)
    capacity = t.integer("capacity_units_per_day", low=0, high=10**9)
    pct = t.decimal("capacity_pct")
    days = t.integer("processing_days", low=0, high=365)
    t.finish()
    if capacity is not None and pct is not None:
        t.error("capacity_pct", "give capacity_units_per_day or capacity_pct, not both")
    if pct is not None and pct <= -100:
        t.error("capacity_pct", f"must be > -100, got {pct}")
        return None
    if capacity is None and pct is None and days is None:
        t.error("", "changes nothing: give capacity_units_per_day, capacity_pct or processing_days")
        return None
    return Resize(facility, capacity, pct, days) if facility else None


def _rate(t: _Table) -> RateChange | None:
    chosen = [(s, t.text(s)) for s in RATE_SELECTORS if t.has(s)]
    for s in RATE_SELECTORS:
        t.ask(s)
    pct = t.decimal("pct")
    add = t.integer("add_minor", low=-(10**11), high=10**11)
    currency = t.text("currency")
    t.finish()
    if len(chosen) != 1:
        t.error("", f"name exactly one of {', '.join(RATE_SELECTORS)}")
        return None
    selector, target = chosen[0]
    if not target:
        return None
    if t.has("pct") == t.has("add_minor"):
        t.error("pct", "give pct or add_minor (exactly one)")
        return None
    if pct is None and add is None:
        return None
    if pct is not None and pct <= -100:
        t.error("pct", f"must be > -100 (a rate cannot become negative), got {pct}")
        return None
    if add is not None and not currency:
        t.error("currency", "is required with add_minor (the rate card's or lane's currency)")
        return None
    return RateChange(selector, target, pct, add, currency)


def _customs(t: _Table) -> CustomsChange | None:
    table = t.text("table", required=True)
    start = t.day("from", required=True)
    row_table = t.sub("row")
    t.finish()
    if table and table not in CUSTOMS_TABLES:
        t.error("table", f"one of {', '.join(CUSTOMS_TABLES)}; got {table!r}")
        return None
    if row_table is None:
        t.error("row", "is required: the row, as in customs/data/<table>.toml")
        return None
    for key in ("effective_from",):
        if row_table.has(key):
            row_table.error(key, "is set by 'from'")
    for key, value in row_table.data.items():
        if isinstance(value, str) and key.startswith("effective_"):
            row_table.error(key, "must be a TOML date")
    if start is None or not table:
        return None
    return CustomsChange(table, start, dict(row_table.data))


def _sla(t: _Table) -> Sla:
    days = t.integer("max_days_to_refund", low=0, high=365)
    returnless = t.flag("allow_returnless")
    t.finish()
    return Sla(days, returnless)


def _demand(t: _Table) -> Demand:
    countries = t.names("countries")
    factors_t = t.sub("country_factors")
    origin = t.text("origin") or None
    seed = t.integer("seed", low=0, high=2**63 - 1)
    t.finish()
    factors: dict[str, Decimal] = {}
    if factors_t is not None:
        for code in list(factors_t.data):
            f = factors_t.decimal(code)
            if not re.fullmatch(r"[A-Z]{2}", code):
                factors_t.error(code, "must be an ISO 3166-1 alpha-2 country code")
            elif f is not None and not 0 <= f <= 100:
                factors_t.error(code, f"must be between 0 and 100, got {f}")
            elif f is not None:
                factors[code] = f
    for code in countries:
        if not re.fullmatch(r"[A-Z]{2}", code):
            t.error("countries", f"{code!r} is not an ISO 3166-1 alpha-2 country code")
    return Demand(frozenset(countries) if t.has("countries") else None, factors, origin, seed or 0)


def _changes(t: _Table) -> Changes:
    remove_f = t.names("remove_facilities")
    add_f = _entries(t, "add_facilities")
    remove_l = t.names("remove_lanes")
    add_l = _entries(t, "add_lanes")
    add_s = _entries(t, "add_services")
    add_r = _entries(t, "add_rate_cards")
    resize = tuple(r for r in (_resize(x) for x in t.array_of_tables("resize")) if r is not None)
    rates = tuple(r for r in (_rate(x) for x in t.array_of_tables("rates")) if r is not None)
    customs = tuple(c for c in (_customs(x) for x in t.array_of_tables("customs")) if c is not None)
    policy: dict[str, int] = {}
    policy_t = t.sub("policy")
    if policy_t is not None:
        for key in POLICY_KEYS:
            v = policy_t.integer(key, low=0, high=10**11)
            if v is not None:
                policy[key] = v
        policy_t.finish()
    sla_t = t.sub("sla")
    demand_t = t.sub("demand")
    return Changes(
        remove_facilities=remove_f,
        add_facilities=add_f,
        remove_lanes=remove_l,
        add_lanes=add_l,
        add_services=add_s,
        add_rate_cards=add_r,
        resize=resize,
        rates=rates,
        customs=customs,
        policy=policy,
        sla=_sla(sla_t) if sla_t is not None else None,
        demand=_demand(demand_t) if demand_t is not None else None,
    )


_CHANGE_KEYS: Final = (
    "remove_facilities",
    "add_facilities",
    "remove_lanes",
    "add_lanes",
    "add_services",
    "add_rate_cards",
    "resize",
    "rates",
    "customs",
    "policy",
    "sla",
    "demand",
)


def _base(t: _Table, here: Path) -> Base:
    network = t.text("network", default="default")
    batch = t.text("batch")
    gen_t = t.sub("generate")
    fx_date = t.day("fx_date")
    horizon = t.integer("horizon_days", low=1, high=366)
    limit = t.decimal("time_limit_s")
    overflow = t.integer("overflow_price_minor", low=0, high=10**9)
    changes = _changes(t)
    t.finish()
    generate = None
    if gen_t is not None:
        n = gen_t.integer("returns", low=1, high=MAX_RETURNS)
        seed = gen_t.integer("seed", low=0, high=2**63 - 1)
        start = gen_t.day("start", required=True)
        gen_t.finish()
        if n is None and not gen_t.has("returns"):
            gen_t.error("returns", "is required")
        if seed is None and not gen_t.has("seed"):
            gen_t.error("seed", "is required (the same seed gives the same batch)")
        if n is not None and seed is not None and start is not None:
            generate = Generate(n, seed, start)
    if bool(batch) == (gen_t is not None):
        t.error("batch", "give a batch file (batch = ...) or a generator ([base.generate])")
    if limit is not None and not 0 < limit <= MAX_TIME_LIMIT_S:
        t.error("time_limit_s", f"must be > 0 and <= {MAX_TIME_LIMIT_S:g}, got {limit}")
    return Base(
        network=None if network == "default" else (here / network),
        batch=(here / batch) if batch else None,
        generate=generate,
        fx_date=fx_date,
        horizon_days=horizon or 7,
        time_limit_s=float(limit) if limit is not None and limit > 0 else 30.0,
        overflow_price_minor=5_000 if overflow is None else overflow,
        changes=changes,
    )


def _variant(t: _Table, seen: set[str]) -> Variant | None:
    name = t.text("name", required=True)
    description = t.text("description")
    changes = _changes(t)
    t.finish()
    if not name:
        return None
    if name == BASE:
        t.error("name", f"{BASE!r} is reserved for the base")
        return None
    if not _NAME_RE.fullmatch(name):
        t.error("name", "lower-case letters, digits, '_' and '-' (at most 64)")
        return None
    if name in seen:
        t.error("name", f"duplicate variant name {name!r}")
        return None
    seen.add(name)
    empty = not any(getattr(changes, k) for k in _CHANGE_KEYS)
    if empty:
        t.error("", "changes nothing (give at least one change)")
    return Variant(name, description, changes)


def _toml_error(path: Path, text: str, exc: tomllib.TOMLDecodeError) -> ScenarioError:
    """A syntax error, attributed to the variant whose table holds the line."""
    m = re.search(r"\(at line (\d+), column (\d+)\)", str(exc))
    line = int(m.group(1)) if m else 0
    variant = BASE
    if line:
        for raw in text.splitlines()[: line - 1]:
            s = raw.strip()
            if s.startswith("[[variant]]"):
                variant = "(unnamed variant)"
            elif s.startswith("name") and variant != BASE:
                found = re.match(r'name\s*=\s*"([^"]*)"', s)
                if found:
                    variant = found.group(1)
            elif (
                s.startswith("[") and not s.startswith("[variant") and not s.startswith("[[variant")
            ):
                variant = BASE
    key = f"line {line}" if line else ""
    return ScenarioError(path.name, [Problem(variant, key, f"TOML syntax: {exc}")])


def load_scenario(path: str | Path) -> Scenario:
    """Read and check a scenario file (structure and values; references are checked when a
    variant is applied)."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise ScenarioError(p.name, [Problem(BASE, "", f"cannot read: {exc.strerror}")]) from exc
    except UnicodeDecodeError as exc:
        raise ScenarioError(p.name, [Problem(BASE, "", "not UTF-8 text")]) from exc
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise _toml_error(p, text, exc) from exc
    problems = Problems(p.name)
    root = _Table(data, problems, scope=BASE)
    version = root.integer("format_version", low=0, high=10**6)
    if version != FORMAT_VERSION:
        root.error("format_version", f"must be {FORMAT_VERSION}")
    head = root.sub("scenario")
    name, description = p.stem, ""
    if head is not None:
        name = head.text("name", default=p.stem) or p.stem
        description = head.text("description")
        head.finish()
    base_t = root.sub("base")
    if base_t is None:
        root.error("base", "is required")
    base = _base(base_t, p.parent) if base_t is not None else None
    seen: set[str] = set()
    variants: list[Variant] = []
    for entry in root.array_of_tables("variant"):
        label = entry.data.get("name")
        # keys of a variant are named relative to its table, the variant by its name
        scope = label if isinstance(label, str) and label else entry.path
        v = _variant(_Table(entry.data, problems, scope=scope), seen)
        if v is not None:
            variants.append(v)
    root.finish()
    if not variants and "variant" not in data:
        root.error("variant", "at least one [[variant]] is required")
    if problems.items or base is None:
        found = [Problem(x.scope, x.path, x.reason) for x in problems.items]
        raise ScenarioError(p.name, found or [Problem(BASE, "base", "is required")])
    return Scenario(p.resolve(), name, description, base, tuple(variants))
