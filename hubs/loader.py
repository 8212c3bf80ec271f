"""Load and validate a network file (TOML; the format is described in ``hubs/FORMAT.md``).

``check_network(path)`` is what ``reroute network check FILE`` prints: a summary of a valid file.

Validation never stops at the first problem: every error is collected with the key path it
concerns (``facilities.hub_nl_venlo.country``) and raised together as one ``NetworkErrors``
(itself a ``NetworkError``). A TOML syntax error, an unreadable file or a file that is not UTF-8
becomes a ``NetworkErrors`` too, naming the file and, for syntax errors, the line.
"""

from __future__ import annotations

import difflib
import enum
import functools
import itertools
import json
import math
import re
import tomllib
from collections import Counter
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Final, TypeVar

import pycountry

from hubs.graph import LaneGraph
from hubs.model import (
    CarrierService,
    ConditionGrade,
    CustomerRegion,
    Disposition,
    Facility,
    FacilityKind,
    LinehaulLane,
    Mode,
    Network,
    NetworkError,
    Policy,
    RateCard,
    RecoveryRates,
    Scope,
    ServiceKind,
    Source,
)

FORMAT_VERSION: Final = 1
DISPATCH_UNITS: Final = (
    "tote",
    "pallet",
    "gaylord",
    "ftl_trailer",
    "container_20ft",
    "container_40ft",
    "container_40ft_hc",
    "air_uld",
)
_ID_RE: Final = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
_BARE_KEY_RE: Final = re.compile(r"^[A-Za-z0-9_-]+$")
_TOML_POS_RE: Final = re.compile(r"\(at line (\d+), column (\d+)\)$")
_MIN_YEAR, _MAX_YEAR = 1900, 2100

E = TypeVar("E", bound=enum.Enum)


class NetworkErrors(NetworkError):
    """Every problem found in one network definition.

    ``path`` is the definition's origin (a file name or ``<string>``); ``errors`` holds one
    ``NetworkError`` per problem, each naming its key. ``str()`` lists them all.
    """

    def __init__(self, origin: str, errors: Sequence[NetworkError]) -> None:
        if not errors:
            raise ValueError("NetworkErrors needs at least one error")
        self.origin = origin
        self.errors: tuple[NetworkError, ...] = tuple(errors)
        count = len(self.errors)
        listing = "\n".join(f"  {e.path}: {e.reason}" for e in self.errors)
        noun = "error" if count == 1 else "errors"
        super().__init__(origin, f"{count} {noun} in the network definition:\n{listing}")
        # one field violation per problem, each naming its key (not one for the whole file)
        self.violations = tuple(v for e in self.errors for v in e.violations)


# -- public API ------------------------------------------------------------------------------


def load_network(path: str | Path) -> Network:
    """Read, parse and validate a network file. Raises ``NetworkErrors``."""
    return loads_network(read_network_text(path), origin=str(path))


def read_network_text(path: str | Path) -> str:
    """A network file's text (to parse it and keep it as read). Raises ``NetworkErrors``."""
    origin = str(path)
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        error = NetworkError(origin, f"cannot read the file: {reason}")
        raise NetworkErrors(origin, [error]) from None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        where = f"{origin}: byte {exc.start}"
        raise NetworkErrors(origin, [NetworkError(where, "the file is not valid UTF-8")]) from None


def loads_network(text: str, *, origin: str = "<string>") -> Network:
    """Parse and validate a network given as TOML text. Raises ``NetworkErrors``."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise NetworkErrors(origin, [_syntax_error(origin, exc)]) from None
    return network_from_mapping(data, origin=origin)


@functools.cache
def default_network() -> Network:
    """The embedded default network (``hubs/data/default_network.toml``), loaded once."""
    ref = resources.files("hubs").joinpath("data", "default_network.toml")
    return loads_network(ref.read_text(encoding="utf-8"), origin="hubs/data/default_network.toml")


def network_from_mapping(data: Mapping[str, object], *, origin: str = "<mapping>") -> Network:
    """Validate an already-parsed network document (the dict ``tomllib`` returns)."""
    return _Builder(data, origin).build()


def check_network(path: str | Path) -> list[str]:
    """Load and validate ``path``; return summary lines. Raises ``NetworkErrors`` when invalid."""
    network = load_network(path)
    return [f"{path}: OK", *summarize_network(network)]


def summarize_network(network: Network, graph: LaneGraph | None = None) -> list[str]:
    """Counts of facilities by kind, services, lanes and countries, and origin coverage."""
    graph = graph if graph is not None else LaneGraph(network)
    kinds = Counter(f.kind.value for f in network.facilities.values())
    service_kinds = Counter(s.kind.value for s in network.services.values())
    lane_modes = Counter(lane.mode.value for lane in network.lanes.values())
    countries = sorted(network.regions)
    lines = [
        f"network {network.name!r}, base currency {network.currency}",
        f"facilities: {len(network.facilities)} ({_counts(kinds)})",
        f"bonded facilities: {sum(f.bonded for f in network.facilities.values())}",
        f"rate cards: {len(network.rate_cards)}",
        f"parcel services: {len(network.services)} ({_counts(service_kinds)})",
        f"line-haul lanes: {len(network.lanes)} ({_counts(lane_modes)})",
        f"countries served: {len(countries)} ({', '.join(countries)})",
    ]
    for origin in graph.origins:
        covered = [c for c in countries if graph.candidate_paths(c, origin)]
        direct = [c for c in countries if _reaches_origin(graph, c, origin)]
        lines.append(
            f"origin {origin}: paths from {len(covered)}/{len(countries)} countries, "
            f"back to the origin from {len(direct)}/{len(countries)}"
        )
        missing = sorted(set(countries) - set(covered))
        if missing:
            lines.append(
                f"warning: no path at all for returns to {origin} from {', '.join(missing)}"
            )
    unused = sorted(set(network.rate_cards) - {s.rate_card for s in network.services.values()})
    if unused:
        lines.append(f"warning: rate cards no service uses: {', '.join(unused)}")
    return lines


def _reaches_origin(graph: LaneGraph, country: str, origin: str) -> bool:
    return any(p.destination_id == origin for p in graph.candidate_paths(country, origin))


def _counts(counter: Counter[str]) -> str:
    return ", ".join(f"{key} {counter[key]}" for key in sorted(counter))


__all__ = ["check_network", "summarize_network"]


# -- errors and the typed reader ---------------------------------------------------------------


def _syntax_error(origin: str, exc: tomllib.TOMLDecodeError) -> NetworkError:
    message = str(exc)
    match = _TOML_POS_RE.search(message)
    where = origin
    if match is not None:
        where = f"{origin}:{match.group(1)}:{match.group(2)}"
        message = message[: match.start()].rstrip()
        message = f"{message} (line {match.group(1)}, column {match.group(2)})"
    if message.startswith(("Cannot declare", "Cannot overwrite")):
        message = f"{message}: a table or key is defined twice (ids must be unique)"
    return NetworkError(where, f"TOML syntax error: {message}")


def _describe(value: object) -> str:
    if isinstance(value, bool):
        return f"boolean {str(value).lower()}"
    if isinstance(value, int):
        return f"integer {value}"
    if isinstance(value, float):
        return f"float {value!r}"
    if isinstance(value, str):
        shown = value if len(value) <= 24 else value[:21] + "..."
        return f"string {shown!r}"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "a table"
    return type(value).__name__


def _key_path(parent: str, key: str) -> str:
    shown = key if _BARE_KEY_RE.match(key) else json.dumps(key)
    return f"{parent}.{shown}" if parent else shown


def _allowed(values: Sequence[str]) -> str:
    return ", ".join(values)


class _Errors:
    """The errors found so far; ``mark``/``clean_since`` tell whether a part read cleanly."""

    def __init__(self) -> None:
        self.items: list[NetworkError] = []

    def add(self, path: str, reason: str) -> None:
        self.items.append(NetworkError(path, reason))

    def mark(self) -> int:
        return len(self.items)

    def clean_since(self, mark: int) -> bool:
        return len(self.items) == mark

    @contextmanager
    def model(self, path: str) -> Iterator[None]:
        """Record a domain object's own ``__post_init__`` error under the TOML key path."""
        try:
            yield
        except NetworkError as exc:
            _, _, field = exc.path.partition(".")
            self.add(f"{path}.{field}" if field else path, exc.reason)


_MISSING: Final = object()


class _Table:
    """One TOML table being read.

    Every getter records a precise error under the key's path and returns a harmless
    placeholder, so reading goes on and reports every problem at once. Getters remember which
    keys they were asked for; ``finish`` reports any other key as unknown (typos are errors).
    """

    def __init__(self, data: Mapping[str, object], path: str, errors: _Errors) -> None:
        self.data = data
        self.path = path
        self.errors = errors
        self._asked: list[str] = []

    def at(self, key: str) -> str:
        return _key_path(self.path, key)

    def error(self, key: str, reason: str) -> None:
        self.errors.add(self.at(key), reason)

    def _get(self, key: str, *, required: bool) -> object:
        self._asked.append(key)
        if key in self.data:
            return self.data[key]
        if required:
            self.error(key, "missing required key")
        return _MISSING

    def finish(self) -> None:
        for key in self.data:
            if key in self._asked:
                continue
            hint = difflib.get_close_matches(key, self._asked, n=1, cutoff=0.5)
            suggestion = f"did you mean {hint[0]!r}? " if hint else ""
            self.error(key, f"unknown key; {suggestion}allowed: {_allowed(sorted(self._asked))}")

    # scalars

    def integer(
        self,
        key: str,
        *,
        minimum: int | None = 0,
        maximum: int | None = None,
        default: int | None = None,
    ) -> int:
        value = self._get(key, required=default is None)
        if value is _MISSING:
            return default if default is not None else 0
        return self.int_at(self.at(key), value, minimum, maximum)

    def int_at(self, path: str, value: object, minimum: int | None, maximum: int | None) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            hint = ""
            if isinstance(value, float):
                hint = " (money is integer minor units, weights grams, sizes mm, shares bp)"
            self.errors.add(path, f"expected an integer, got {_describe(value)}{hint}")
            return minimum if minimum is not None and minimum > 0 else 0
        if minimum is not None and value < minimum:
            self.errors.add(path, f"must be >= {minimum}, got {value}")
        elif maximum is not None and value > maximum:
            self.errors.add(path, f"must be <= {maximum}, got {value}")
        return value

    def number(self, key: str, *, minimum: float, maximum: float) -> float:
        value = self._get(key, required=True)
        if value is _MISSING:
            return 0.0
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.error(key, f"expected a number, got {_describe(value)}")
            return 0.0
        number = float(value)
        if not math.isfinite(number) or not minimum <= number <= maximum:
            self.error(key, f"must be between {minimum:g} and {maximum:g}, got {value}")
            return 0.0
        return number

    def text(self, key: str, *, default: str | None = None, nonempty: bool = True) -> str:
        value = self._get(key, required=default is None)
        if value is _MISSING:
            return default if default is not None else ""
        if not isinstance(value, str):
            self.error(key, f"expected a string, got {_describe(value)}")
            return ""
        if nonempty and not value.strip():
            self.error(key, "must not be empty")
        return value

    def flag(self, key: str, *, default: bool | None = None) -> bool:
        value = self._get(key, required=default is None)
        if value is _MISSING:
            return bool(default)
        if not isinstance(value, bool):
            self.error(key, f"expected a boolean (true or false), got {_describe(value)}")
            return False
        return value

    def choice(self, key: str, kind: type[E], *, refused: Collection[E] = ()) -> E | None:
        """An enum value. ``refused`` members are left out of the allowed list; they are
        returned as read so the caller can say why they do not belong here."""
        value = self._get(key, required=True)
        if value is _MISSING:
            return None
        return self.choice_at(self.at(key), value, kind, refused=refused)

    def choice_at(
        self, path: str, value: object, kind: type[E], *, refused: Collection[E] = ()
    ) -> E | None:
        allowed = [str(member.value) for member in kind if member not in refused]
        if not isinstance(value, str):
            self.errors.add(
                path, f"expected a string, got {_describe(value)}; allowed: {_allowed(allowed)}"
            )
            return None
        for member in kind:
            if member.value == value:
                return member
        self.errors.add(path, f"unknown value {value!r}; allowed: {_allowed(allowed)}")
        return None

    def country(self, key: str) -> str:
        value = self.text(key)
        if value and not is_country(value):
            self.error(key, f"unknown country code {value!r} (ISO 3166-1 alpha-2, upper case)")
        return value

    def currency(self, key: str) -> str:
        value = self.text(key)
        if value and not is_currency(value):
            self.error(key, f"unknown currency {value!r} (ISO 4217 code, upper case)")
        return value

    def reference(self, key: str) -> str:
        value = self.text(key)
        if value and not _ID_RE.match(value):
            self.error(key, f"{value!r} is not a valid id ({_ID_RULE})")
        return value

    # arrays

    def _array(self, key: str, *, required: bool = True) -> list[object] | None:
        value = self._get(key, required=required)
        if value is _MISSING:
            return None
        if not isinstance(value, list):
            self.error(key, f"expected an array, got {_describe(value)}")
            return None
        return value

    def integers(self, key: str, *, minimum: int | None = 0) -> tuple[int, ...]:
        array = self._array(key)
        if array is None:
            return ()
        path = self.at(key)
        return tuple(self.int_at(f"{path}[{i}]", v, minimum, None) for i, v in enumerate(array))

    def matrix(self, key: str, *, minimum: int | None = 0) -> tuple[tuple[int, ...], ...]:
        array = self._array(key)
        if array is None:
            return ()
        path = self.at(key)
        rows: list[tuple[int, ...]] = []
        for i, row in enumerate(array):
            if not isinstance(row, list):
                self.errors.add(
                    f"{path}[{i}]", f"expected an array of integers, got {_describe(row)}"
                )
                continue
            rows.append(
                tuple(self.int_at(f"{path}[{i}][{j}]", v, minimum, None) for j, v in enumerate(row))
            )
        return tuple(rows)

    def countries(self, key: str) -> frozenset[str]:
        array = self._array(key)
        if array is None:
            return frozenset()
        path = self.at(key)
        codes: list[str] = []
        for i, value in enumerate(array):
            if not isinstance(value, str):
                self.errors.add(f"{path}[{i}]", f"expected a country code, got {_describe(value)}")
            elif not is_country(value):
                self.errors.add(
                    f"{path}[{i}]",
                    f"unknown country code {value!r} (ISO 3166-1 alpha-2, upper case)",
                )
            elif value in codes:
                self.errors.add(f"{path}[{i}]", f"{value} is listed twice")
            else:
                codes.append(value)
        return frozenset(codes)

    def choices(self, key: str, kind: type[E], *, refused: Collection[E] = ()) -> frozenset[E]:
        array = self._array(key)
        if array is None:
            return frozenset()
        path = self.at(key)
        members: list[E] = []
        for i, value in enumerate(array):
            member = self.choice_at(f"{path}[{i}]", value, kind, refused=refused)
            if member in members:
                self.errors.add(f"{path}[{i}]", f"{value!r} is listed twice")
            elif member is not None:
                members.append(member)
        return frozenset(members)

    def sources(self) -> tuple[Source, ...]:
        array = self._array("sources", required=False)
        if array is None:
            return ()
        path = self.at("sources")
        out: list[Source] = []
        for i, value in enumerate(array):
            if not isinstance(value, dict):
                self.errors.add(
                    f"{path}[{i}]", f"expected a table {{ref, year, note}}, got {_describe(value)}"
                )
                continue
            entry = _Table(value, f"{path}[{i}]", self.errors)
            ref = entry.text("ref")
            year = entry.integer("year", minimum=_MIN_YEAR, maximum=_MAX_YEAR)
            note = entry.text("note", default="", nonempty=False)
            entry.finish()
            out.append(Source(ref=ref, year=year, note=note))
        return tuple(out)

    # sub-tables

    def table(self, key: str) -> _Table:
        value = self._get(key, required=True)
        if value is _MISSING:
            return _Table({}, self.at(key), self.errors)
        if not isinstance(value, dict):
            self.error(key, f"expected a table, got {_describe(value)}")
            return _Table({}, self.at(key), self.errors)
        return _Table(value, self.at(key), self.errors)

    def entries(self, key: str, *, ids: bool = True) -> dict[str, _Table]:
        """A table of tables keyed by id (``[facilities.hub_nl]``): one reader per entry."""
        parent = self.table(key)
        out: dict[str, _Table] = {}
        for name, value in parent.data.items():
            parent._asked.append(name)
            path = parent.at(name)
            if ids and not _ID_RE.match(name):
                self.errors.add(path, f"{name!r} is not a valid id ({_ID_RULE})")
                continue
            if not isinstance(value, dict):
                self.errors.add(path, f"expected a table, got {_describe(value)}")
                continue
            out[name] = _Table(value, path, self.errors)
        return out


_ID_RULE: Final = (
    "lower-case letters, digits, '_' and '-', starting with a letter or digit, at most 64"
)


def is_country(code: str) -> bool:
    """ISO 3166-1 alpha-2, upper case."""
    return len(code) == 2 and code.isupper() and pycountry.countries.get(alpha_2=code) is not None


def is_currency(code: str) -> bool:
    """ISO 4217 alphabetic code, upper case."""
    return len(code) == 3 and code.isupper() and pycountry.currencies.get(alpha_3=code) is not None


@functools.cache
def _subdivision_codes() -> frozenset[str]:
    return frozenset(str(sub.code) for sub in pycountry.subdivisions)


def _is_subdivision_of(code: str, country: str) -> bool:
    return code.startswith(f"{country}-") and code in _subdivision_codes()


# -- the builder ---------------------------------------------------------------------------------


class _Builder:
    """Reads each part of the document, then checks references, then reachability."""

    def __init__(self, data: Mapping[str, object], origin: str) -> None:
        self.origin = origin
        self.errors = _Errors()
        self.root = _Table(data, "", self.errors)

    def fail_if_any(self) -> None:
        if self.errors.items:
            raise NetworkErrors(self.origin, self.errors.items)

    def build(self) -> Network:
        root = self.root
        mark = self.errors.mark()
        version = root.integer("format_version", minimum=1)
        if self.errors.clean_since(mark) and version != FORMAT_VERSION:
            root.error(
                "format_version", f"unsupported version {version}; expected {FORMAT_VERSION}"
            )
        head = root.table("network")
        name = head.text("name")
        currency = head.currency("currency")
        notes = head.text("notes", default="", nonempty=False)
        network_sources = head.sources()
        head.finish()

        co2e, co2e_sources = _read_co2e(root.table("co2e"))
        policy = _read_policy(root.table("policy"), self.errors)
        recovery = _read_recovery(root.table("recovery"), self.errors)
        regions = _read_all(root.entries("regions", ids=False), _read_region, self.errors)
        facilities = _read_all(root.entries("facilities"), _read_facility, self.errors)
        rate_cards = _read_all(root.entries("rate_cards"), _read_rate_card, self.errors)
        services = _read_all(root.entries("services"), _read_service, self.errors)
        lanes = _read_all(root.entries("lanes"), _read_lane, self.errors)
        root.finish()

        declared = _Declared(
            facilities=set(_entry_names(root, "facilities")),
            rate_cards=set(_entry_names(root, "rate_cards")),
            services=set(_entry_names(root, "services")),
            regions=set(_entry_names(root, "regions")),
        )
        _check_references(self.errors, declared, facilities, rate_cards, services, lanes, regions)
        _check_recovery(self.errors, recovery, facilities)
        _check_presence(self.errors, declared, facilities, services, regions)
        self.fail_if_any()
        # A part that did not read cleanly added an error, and fail_if_any raised.
        assert policy is not None
        assert recovery is not None
        assert co2e is not None
        network = Network(
            name=name,
            currency=currency,
            facilities=facilities,
            rate_cards=rate_cards,
            services=services,
            lanes=lanes,
            regions=regions,
            co2e_g_per_tkm=co2e,
            recovery=recovery,
            policy=policy,
            notes=notes,
            sources=network_sources + co2e_sources,
        )
        _check_reachability(self.errors, network)
        self.fail_if_any()
        return network


@dataclass(frozen=True, slots=True)
class _Declared:
    """Ids declared in the file, read cleanly or not (no 'unknown id' for a broken entry)."""

    facilities: set[str]
    rate_cards: set[str]
    services: set[str]
    regions: set[str]


def _entry_names(root: _Table, key: str) -> list[str]:
    value = root.data.get(key)
    return list(value) if isinstance(value, dict) else []


T = TypeVar("T")


def _read_all(
    entries: Mapping[str, _Table],
    read: Callable[[str, _Table, _Errors], T | None],
    errors: _Errors,
) -> dict[str, T]:
    out: dict[str, T] = {}
    for key, table in entries.items():
        item = read(key, table, errors)
        if item is not None:
            out[key] = item
    return out


def _read_co2e(t: _Table) -> tuple[dict[Mode, int] | None, tuple[Source, ...]]:
    mark = t.errors.mark()
    factors = t.table("g_per_tkm")
    out: dict[Mode, int] = {}
    for mode in Mode:
        out[mode] = factors.integer(mode.value, minimum=0)
    factors.finish()
    sources = t.sources()
    t.finish()
    return (out if t.errors.clean_since(mark) else None), sources


def _read_policy(t: _Table, errors: _Errors) -> Policy | None:
    mark = errors.mark()
    fields = {
        name: t.integer(name, minimum=0)
        for name in (
            "refund_delay_per_day_minor",
            "resale_depreciation_per_day_bp",
            "co2e_price_per_tonne_minor",
            "returnless_max_value_minor",
        )
    }
    sources = t.sources()
    t.finish()
    if not errors.clean_since(mark):
        return None
    with errors.model(t.path):
        return Policy(**fields, sources=sources)
    return None


def _read_recovery(t: _Table, errors: _Errors) -> RecoveryRates | None:
    mark = errors.mark()
    currency = t.currency("currency")
    rates = _read_recovery_rates(t.entries("rates_bp", ids=False))
    costs = _read_disposition_costs(t.table("cost_per_unit_minor"))
    sources = t.sources()
    t.finish()
    if not errors.clean_since(mark):
        return None
    with errors.model(t.path):
        return RecoveryRates(
            rates_bp=rates, cost_per_unit_minor=costs, currency=currency, sources=sources
        )
    return None


def _read_recovery_rates(
    by_disposition: Mapping[str, _Table],
) -> dict[tuple[Disposition, ConditionGrade], int]:
    """``rates_bp.<disposition>.<grade> = bp``: keys are enum values, checked like values."""
    rates: dict[tuple[Disposition, ConditionGrade], int] = {}
    for disp_key, grades in by_disposition.items():
        disposition = grades.choice_at(grades.path, disp_key, Disposition)
        for grade_key in list(grades.data):
            grade = grades.choice_at(grades.at(grade_key), grade_key, ConditionGrade)
            bp = grades.integer(grade_key, minimum=0, maximum=10_000)
            if disposition is not None and grade is not None:
                rates[(disposition, grade)] = bp
        grades.finish()
    return rates


def _read_disposition_costs(t: _Table) -> dict[Disposition, int]:
    """``cost_per_unit_minor.<disposition> = amount``."""
    costs: dict[Disposition, int] = {}
    for disp_key in list(t.data):
        disposition = t.choice_at(t.at(disp_key), disp_key, Disposition)
        amount = t.integer(disp_key, minimum=0)
        if disposition is not None:
            costs[disposition] = amount
    t.finish()
    return costs


def _read_region(key: str, t: _Table, errors: _Errors) -> CustomerRegion | None:
    mark = errors.mark()
    if not is_country(key):
        errors.add(t.path, f"unknown country code {key!r} (ISO 3166-1 alpha-2, upper case)")
    lat = t.number("lat", minimum=-90.0, maximum=90.0)
    lon = t.number("lon", minimum=-180.0, maximum=180.0)
    territory = t.text("territory", default="", nonempty=False)
    if territory and is_country(key) and not _is_subdivision_of(territory, key):
        t.error("territory", f"unknown ISO 3166-2 subdivision {territory!r} of {key}")
    t.finish()
    if not errors.clean_since(mark):
        return None
    return CustomerRegion(country=key, lat=lat, lon=lon, territory=territory)


def _read_facility(key: str, t: _Table, errors: _Errors) -> Facility | None:
    mark = errors.mark()
    name = t.text("name")
    kind = t.choice("kind", FacilityKind)
    country = t.country("country")
    lat = t.number("lat", minimum=-90.0, maximum=90.0)
    lon = t.number("lon", minimum=-180.0, maximum=180.0)
    capacity = t.integer("capacity_units_per_day", minimum=0)
    per_parcel = t.integer("handling_per_parcel_minor", minimum=0)
    per_unit = t.integer("handling_per_unit_minor", minimum=0)
    currency = t.currency("currency")
    processing_days = t.integer("processing_days", minimum=0)
    dispositions = t.choices("dispositions", Disposition, refused={Disposition.RETURNLESS})
    if Disposition.RETURNLESS in dispositions:
        t.error("dispositions", "'returnless' needs no facility: it is decided without one")
    bonded = t.flag("bonded", default=False)
    resale_factor = t.integer("resale_factor_bp", minimum=1, default=10_000)
    territory = t.text("territory", default="", nonempty=False)
    if territory and country and is_country(country) and not _is_subdivision_of(territory, country):
        t.error("territory", f"unknown ISO 3166-2 subdivision {territory!r} of {country}")
    sources = t.sources()
    t.finish()
    if not errors.clean_since(mark) or kind is None:
        return None
    with errors.model(t.path):
        return Facility(
            id=key,
            name=name,
            kind=kind,
            country=country,
            lat=lat,
            lon=lon,
            capacity_units_per_day=capacity,
            handling_per_parcel_minor=per_parcel,
            handling_per_unit_minor=per_unit,
            currency=currency,
            processing_days=processing_days,
            dispositions=dispositions,
            bonded=bonded,
            resale_factor_bp=resale_factor,
            territory=territory,
            sources=sources,
        )
    return None


def _strictly_increasing(t: _Table, key: str, values: tuple[int, ...]) -> None:
    if not values:
        t.error(key, "must not be empty")
    elif any(b <= a for a, b in itertools.pairwise(values)):
        t.error(key, f"must be strictly increasing, got {list(values)}")


def _read_rate_card(key: str, t: _Table, errors: _Errors) -> RateCard | None:
    mark = errors.mark()
    currency = t.currency("currency")
    zones = t.integers("zone_upper_km", minimum=1)
    _strictly_increasing(t, "zone_upper_km", zones)
    weights = t.integers("weight_upper_g", minimum=1)
    _strictly_increasing(t, "weight_upper_g", weights)
    prices = t.matrix("prices_minor", minimum=0)
    if zones and len(prices) != len(zones):
        t.error("prices_minor", f"needs one row per zone: {len(zones)} zones, {len(prices)} rows")
    for z, row in enumerate(prices):
        if weights and len(row) != len(weights):
            errors.add(
                f"{t.at('prices_minor')}[{z}]",
                f"needs one price per weight break: {len(weights)} breaks, {len(row)} prices",
            )
    divisor = t.integer("volumetric_divisor_cm3_per_kg", minimum=1)
    fuel = t.integer("fuel_surcharge_bp", minimum=0)
    fee = t.integer("per_parcel_fee_minor", minimum=0, default=0)
    sources = t.sources()
    t.finish()
    if not errors.clean_since(mark):
        return None
    with errors.model(t.path):
        return RateCard(
            id=key,
            currency=currency,
            zone_upper_km=zones,
            weight_upper_g=weights,
            prices_minor=prices,
            volumetric_divisor_cm3_per_kg=divisor,
            fuel_surcharge_bp=fuel,
            per_parcel_fee_minor=fee,
            sources=sources,
        )
    return None


def _read_service(key: str, t: _Table, errors: _Errors) -> CarrierService | None:
    mark = errors.mark()
    carrier = t.text("carrier")
    name = t.text("name")
    kind = t.choice("kind", ServiceKind, refused={ServiceKind.LINEHAUL})
    if kind is ServiceKind.LINEHAUL:
        t.error("kind", "'linehaul' is a lane ([lanes.*]), not a parcel service")
    mode = t.choice("mode", Mode)
    scope = t.choice("scope", Scope)
    rate_card = t.reference("rate_card")
    transit = t.integers("transit_days_by_zone", minimum=0)
    pickup = t.countries("pickup_countries")
    max_weight = t.integer("max_weight_g", minimum=1)
    max_length = t.integer("max_length_mm", minimum=1)
    max_girth = t.integer("max_length_plus_girth_mm", minimum=1)
    clears_customs = t.flag("clears_customs")
    sources = t.sources()
    t.finish()
    if not errors.clean_since(mark) or kind is None or mode is None or scope is None:
        return None
    with errors.model(t.path):
        return CarrierService(
            id=key,
            carrier=carrier,
            name=name,
            kind=kind,
            mode=mode,
            scope=scope,
            rate_card=rate_card,
            transit_days_by_zone=transit,
            pickup_countries=pickup,
            max_weight_g=max_weight,
            max_length_mm=max_length,
            max_length_plus_girth_mm=max_girth,
            clears_customs=clears_customs,
            sources=sources,
        )
    return None


def _read_lane(key: str, t: _Table, errors: _Errors) -> LinehaulLane | None:
    mark = errors.mark()
    from_facility = t.reference("from_facility")
    to_facility = t.reference("to_facility")
    if from_facility and from_facility == to_facility:
        t.error("to_facility", "a lane must join two different facilities")
    carrier = t.text("carrier")
    mode = t.choice("mode", Mode)
    dispatch_unit = t.text("dispatch_unit")
    if dispatch_unit and dispatch_unit not in DISPATCH_UNITS:
        t.error(
            "dispatch_unit", f"unknown value {dispatch_unit!r}; allowed: {_allowed(DISPATCH_UNITS)}"
        )
    capacity_g = t.integer("capacity_g", minimum=1)
    units_mark = errors.mark()
    capacity_units = t.integer("capacity_units", minimum=1)
    units_ok = errors.clean_since(units_mark)
    fixed_cost = t.integer("fixed_cost_minor", minimum=0)
    per_kg = t.integer("per_kg_minor", minimum=0)
    currency = t.currency("currency")
    cadence = t.integer("cadence_days", minimum=0)
    transit = t.integer("transit_days", minimum=0)
    planning = t.integer("planning_units_per_dispatch", minimum=1)
    if units_ok and planning > capacity_units:
        t.error(
            "planning_units_per_dispatch", f"{planning} exceeds capacity_units ({capacity_units})"
        )
    lane_km = t.integer("distance_km", minimum=1)
    sources = t.sources()
    t.finish()
    if not errors.clean_since(mark) or mode is None:
        return None
    with errors.model(t.path):
        return LinehaulLane(
            id=key,
            from_facility=from_facility,
            to_facility=to_facility,
            carrier=carrier,
            mode=mode,
            dispatch_unit=dispatch_unit,
            capacity_g=capacity_g,
            capacity_units=capacity_units,
            fixed_cost_minor=fixed_cost,
            per_kg_minor=per_kg,
            currency=currency,
            cadence_days=cadence,
            transit_days=transit,
            planning_units_per_dispatch=planning,
            distance_km=lane_km,
            sources=sources,
        )
    return None


# -- checks across tables ----------------------------------------------------------------------


def _check_references(
    errors: _Errors,
    declared: _Declared,
    facilities: Mapping[str, Facility],
    rate_cards: Mapping[str, RateCard],
    services: Mapping[str, CarrierService],
    lanes: Mapping[str, LinehaulLane],
    regions: Mapping[str, CustomerRegion],
) -> None:
    for sid, service in services.items():
        path = _key_path("services", sid)
        card = rate_cards.get(service.rate_card)
        if service.rate_card not in declared.rate_cards:
            known = _allowed(sorted(declared.rate_cards)) or "none"
            errors.add(
                f"{path}.rate_card", f"unknown rate card {service.rate_card!r}; known: {known}"
            )
        elif card is not None:
            if len(service.transit_days_by_zone) != len(card.zone_upper_km):
                errors.add(
                    f"{path}.transit_days_by_zone",
                    f"has {len(service.transit_days_by_zone)} entries but rate card "
                    f"{card.id!r} has {len(card.zone_upper_km)} zones",
                )
            if service.max_weight_g > card.max_weight_g:
                errors.add(
                    f"{path}.max_weight_g",
                    f"{service.max_weight_g} g exceeds the last weight break of rate card "
                    f"{card.id!r} ({card.max_weight_g} g): heavier parcels could not be priced",
                )
        missing = sorted(service.pickup_countries - regions.keys())
        if missing:
            errors.add(
                f"{path}.pickup_countries",
                f"no customer region for {', '.join(missing)} (add [regions.{missing[0]}])",
            )
    for lid, lane in lanes.items():
        path = _key_path("lanes", lid)
        for end in ("from_facility", "to_facility"):
            ref = getattr(lane, end)
            if ref not in declared.facilities:
                known = _allowed(sorted(declared.facilities)) or "none"
                errors.add(f"{path}.{end}", f"unknown facility {ref!r}; known: {known}")
        source = facilities.get(lane.from_facility)
        target = facilities.get(lane.to_facility)
        if source is not None and source.kind is FacilityKind.ORIGIN:
            errors.add(f"{path}.from_facility", f"{source.id!r} is an origin: returns end there")
        if target is not None and target.kind is not FacilityKind.ORIGIN:
            errors.add(
                f"{path}.to_facility",
                f"{target.id!r} is a {target.kind.value}; a lane must end at an origin facility",
            )


def _check_recovery(
    errors: _Errors, recovery: RecoveryRates | None, facilities: Mapping[str, Facility]
) -> None:
    if recovery is None:
        return
    with_rates = {disposition for disposition, _ in recovery.rates_bp}
    for disposition in sorted(
        with_rates - recovery.cost_per_unit_minor.keys(), key=lambda d: d.value
    ):
        errors.add("recovery.cost_per_unit_minor", f"missing a cost for {disposition.value!r}")
    for fid, facility in facilities.items():
        for disposition in sorted(facility.dispositions - with_rates, key=lambda d: d.value):
            errors.add(
                f"{_key_path('facilities', fid)}.dispositions",
                f"{disposition.value!r} has no rate in [recovery.rates_bp]: it could never be used",
            )


def _check_presence(
    errors: _Errors,
    declared: _Declared,
    facilities: Mapping[str, Facility],
    services: Mapping[str, CarrierService],
    regions: Mapping[str, CustomerRegion],
) -> None:
    """The network needs an origin, a service and a region (judged only on clean entries)."""
    all_read = len(facilities) == len(declared.facilities)
    if all_read and not any(f.kind is FacilityKind.ORIGIN for f in facilities.values()):
        errors.add("facilities", "the network needs at least one origin facility")
    if not declared.services:
        errors.add("services", "the network needs at least one parcel service")
    if not declared.regions:
        errors.add("regions", "the network needs at least one customer region")


def _check_reachability(errors: _Errors, network: Network) -> None:
    reached = LaneGraph(network).reachable_facilities()
    for fid, facility in network.facilities.items():
        if fid in reached:
            continue
        if facility.kind is FacilityKind.ORIGIN:
            why = "no customer region has a parcel service to it or to a hub with a lane to it"
        elif facility.kind is FacilityKind.LOCAL_3PL:
            why = (
                f"no domestic-scope service picks up in {facility.country} "
                "within its rate card's zones"
            )
        else:
            why = (
                "no parcel service reaches it from any customer region within its rate card's zones"
            )
        errors.add(_key_path("facilities", fid), f"unreachable: {why}")
