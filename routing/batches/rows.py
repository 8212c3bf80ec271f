"""Rows of cells and returns: rows parsed and grouped into Returns with row and field errors,
and Returns flattened back into rows.

A :class:`RowReader` takes the rows of one file in order (cells in header order), converts each
cell (:mod:`routing.batches.cells`), groups item rows by ``return_id``, checks that a return's
rows agree on its return-level columns, and leaves the value rules to the domain objects, whose
violations come back as :class:`~routing.batches.schema.RowError` s naming row and column.
"""

from __future__ import annotations

import difflib
import operator
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from types import SimpleNamespace
from typing import Any, Final, cast

from customs.api import ReturnReason
from customs.codes import is_territory
from hubs.model import ConditionGrade, RefundTrigger
from routing.batches.cells import (
    CONVERTERS,
    GRADES,
    REASONS,
    BadCell,
    to_bool,
    to_date,
    to_int,
    to_trigger,
)
from routing.batches.schema import (
    DEFAULT_CONSTRAINTS,
    HEAD_COLUMNS,
    ITEM_COLUMNS,
    Batch,
    BatchError,
    RowError,
    header_errors,
)
from routing.decide.domain import (
    LATEST_DATE,
    MAX_STRING_BYTES,
    Constraints,
    Item,
    MerchantPolicy,
    Return,
    Violations,
    checked,
    validate_item,
    validate_return,
)
from routing.errors import InvalidInput

__all__ = ["RowReader", "return_rows", "start_reader"]

_ITEM_CACHE_SIZE: Final = 100_000  # distinct item rows remembered (cleared when full)
# the territory code shape of the wire (routing.rpc.wire.scalars)


# (converter, column name, required, default) per column, in COLUMNS order
_Spec = tuple[Callable[[object], object], str, bool, object]
_HEAD_SPECS: Final[tuple[_Spec, ...]] = tuple(
    (CONVERTERS[c.kind], c.name, c.required, c.default) for c in HEAD_COLUMNS
)
_ITEM_SPECS: Final[tuple[_Spec, ...]] = tuple(
    (CONVERTERS[c.kind], c.name, c.required, c.default) for c in ITEM_COLUMNS
)

# valid stand-ins for cells that failed to convert, to check the other cells of their row
_ITEM_PLACEHOLDER: Final[dict[str, object]] = {
    "sku": "x",
    "hs_code": "000000",
    "value_minor": 1,
    "currency": "EUR",
    "weight_g": 1,
    "length_mm": 1,
    "width_mm": 1,
    "height_mm": 1,
    "quantity": 1,
    "grade": ConditionGrade.A,
    "reason": ReturnReason.CHANGED_MIND,
}
_PLACEHOLDER_ITEM: Final = Item(
    sku="x",
    hs_code="000000",
    value_minor=1,
    currency="EUR",
    weight_g=1,
    dims_mm=(1, 1, 1),
    quantity=1,
    grade=ConditionGrade.A,
    reason=ReturnReason.CHANGED_MIND,
)

# domain violation paths -> columns
_PATHS: Final = {
    "item.sku": "sku",
    "item.hs_code": "hs_code",
    "item.value_minor": "value_minor",
    "item.currency": "currency",
    "item.weight_g": "weight_g",
    "item.dimensions_mm": "length_mm",
    "item.dimensions_mm.length": "length_mm",
    "item.dimensions_mm.width": "width_mm",
    "item.dimensions_mm.height": "height_mm",
    "item.quantity": "quantity",
    "return.items": "return_id",
    "return.customer.country": "customer_country",
    "return.customer.postal_code": "customer_postal_code",
    "return.origin_facility_id": "origin_facility_id",
    "return.idempotency_key": "idempotency_key",
    "return.import.duty_paid_minor": "duty_paid_minor",
    "return.import.vat_paid_minor": "vat_paid_minor",
    "return.import.currency": "paid_currency",
    "return.import.import_date": "import_date",
    "return.return_date": "return_date",
    "constraints.max_days_to_refund": "max_days_to_refund",
    "constraints.max_alternatives": "max_alternatives",
    "policy.keep_it_max_value_minor": "keep_it_max_value_minor",
    "policy.local_disposal_max_value_minor": "local_disposal_max_value_minor",
    "policy.currency": "policy_currency",
    "policy.max_loss_bp": "max_loss_bp",
}
_POLICY_COLUMNS: Final = frozenset(
    {
        "keep_it_max_value_minor",
        "local_disposal_max_value_minor",
        "policy_currency",
        "max_loss_bp",
        "refund_trigger",
        "allow_local_disposal",
    }
)


_CONSTRAINT_COLUMNS: Final = frozenset(
    {"max_days_to_refund", "allow_returnless", "allow_split", "max_alternatives"}
)


def _field_errors(exc: InvalidInput) -> list[tuple[str, str]]:
    return [(_PATHS.get(v.field, v.field), v.description) for v in exc.violations]


# -- the reader ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Head:
    """The parsed return-level columns of a return (one row's worth)."""

    customer_country: str
    customer_postal_code: str
    customer_territory: str
    origin_facility_id: str
    import_date: date
    duty_paid_minor: int
    vat_paid_minor: int
    paid_currency: str
    vat_collected_at_checkout: bool
    return_date: date
    idempotency_key: str
    constraints: Constraints
    policy: MerchantPolicy


class _Group:
    """The rows of one return seen so far."""

    __slots__ = ("errors", "first_row", "head", "head_errors", "items", "rows")

    def __init__(self, first_row: int) -> None:
        self.first_row = first_row
        self.head: _Head | None = None  # None when the first row's return-level cells are bad
        self.head_errors: list[tuple[str, str]] = []
        self.items: list[Item] = []
        self.rows: list[int] = []
        self.errors: list[RowError] = []


class RowReader:
    """Turns rows of cells (in header order) into grouped returns and row errors."""

    def __init__(self, header: Sequence[str], *, known_origins: frozenset[str] | None) -> None:
        self.width = len(header)
        self.known_origins = known_origins
        self.constraints: dict[tuple[object, ...], Constraints] = {}  # equal ones shared
        self.policies: dict[tuple[object, ...], MerchantPolicy] = {}  # equal ones shared
        self.item_cache: dict[tuple[object, ...], Item] = {}  # identical item cells: one Item
        index = {name: i for i, name in enumerate(header)}
        self.rid_index = index["return_id"]
        # a cell getter per column; absent optional columns read as None (the default)
        self.head_get = _getter([index.get(c.name) for c in HEAD_COLUMNS])
        self.item_get = _getter([index[c.name] for c in ITEM_COLUMNS])
        self.groups: dict[str, _Group] = {}
        self.orphans: list[RowError] = []  # rows without a usable return_id
        self.rows = 0
        # the previous row's return-level cells: a return's next row usually repeats them
        self.last_group: _Group | None = None
        self.last_head_raw: tuple[object, ...] = ()

    def add(self, row: int, cells: Sequence[object]) -> None:
        self.rows = row
        if len(cells) != self.width:
            if not cells or (len(cells) == 1 and cells[0] in ("", None)):
                return  # a blank line (counted, ignored)
            rid = cells[self.rid_index] if self.rid_index < len(cells) else ""
            self._row_error(
                row,
                rid if isinstance(rid, str) else "",
                "",
                f"has {len(cells)} fields, the header has {self.width}",
            )
            return
        rid = cells[self.rid_index]
        if not isinstance(rid, str):  # a null in Parquet
            self.orphans.append(RowError(row, "", "return_id", "is required"))
            return
        head_raw = self.head_get(cells)
        group = self.last_group
        if group is not None and head_raw == self.last_head_raw:  # the same return, same cells
            if group.head_errors:
                group.errors += [RowError(row, rid, f, r) for f, r in group.head_errors]
        else:
            group = self.groups.get(rid)
            if group is None:
                if not rid.strip() or len(rid.encode()) > MAX_STRING_BYTES:
                    reason = (
                        f"must be text of at most {MAX_STRING_BYTES} bytes"
                        if rid.strip()
                        else "is required"
                    )
                    self.orphans.append(RowError(row, "", "return_id", reason))
                    return
                group = self.groups[rid] = _Group(row)
                group.head, group.head_errors = self._head(head_raw)
                group.errors += [RowError(row, rid, f, r) for f, r in group.head_errors]
            else:
                self._check_agreement(group, row, rid, head_raw)
            self.last_group, self.last_head_raw = group, head_raw
        group.rows.append(row)
        item_raw = self.item_get(cells)
        item = self.item_cache.get(item_raw)
        if item is None:
            item, errors = self._item(item_raw)
            group.errors += [RowError(row, rid, f, r) for f, r in errors]
            if item is None:
                return
            if len(self.item_cache) >= _ITEM_CACHE_SIZE:
                self.item_cache.clear()
            self.item_cache[item_raw] = item
        group.items.append(item)

    def _row_error(self, row: int, rid: str, field: str, reason: str) -> None:
        group = self.groups.get(rid) if rid else None
        if group is None:
            self.orphans.append(RowError(row, rid, field, reason))
        else:
            group.rows.append(row)
            group.errors.append(RowError(row, rid, field, reason))

    def _check_agreement(
        self, group: _Group, row: int, rid: str, head_raw: tuple[object, ...]
    ) -> None:
        """A later row of a return: its return-level cells must say what the first row's say."""
        head, errors = self._head(head_raw)
        group.errors += [RowError(row, rid, f, r) for f, r in errors]
        if head is None or group.head is None:
            if not errors:  # this row is fine, the first was not: they still disagree
                group.errors.append(
                    RowError(
                        row, rid, "", f"return-level columns differ from row {group.first_row}"
                    )
                )
            return
        for column, new, old in _differences(head, group.head):
            group.errors.append(
                RowError(
                    row,
                    rid,
                    column,
                    f"disagrees with row {group.first_row} of the same return: "
                    f"{_show(new)} here, {_show(old)} there",
                )
            )

    @staticmethod
    def _cells(
        specs: Sequence[_Spec], raw: Sequence[object]
    ) -> tuple[list[Any], list[tuple[str, str]]]:
        """Convert cells to their types; every value of a column without an error is typed."""
        values: list[Any] = []
        errors: list[tuple[str, str]] = []
        for (convert, name, required, default), cell in zip(specs, raw, strict=True):
            try:
                value = convert(cell)
            except BadCell as bad:
                errors.append((name, bad.reason))
                values.append(None)
                continue
            if value is None:
                if required:
                    errors.append((name, "is required"))
                value = default
            values.append(value)
        return values, errors

    def _head(self, raw: tuple[object, ...]) -> tuple[_Head | None, list[tuple[str, str]]]:
        try:  # the fast path for a valid row: any doubt falls through to the precise one
            head = self._head_fast(raw)
            if head is not None:
                return head, []
        except (InvalidInput, BadCell, LookupError, TypeError, AttributeError, ValueError):
            pass
        return self._head_checked(raw)

    def _head_fast(self, raw: tuple[object, ...]) -> _Head | None:
        (
            _rid,
            country,
            postal,
            territory,
            origin,
            import_date,
            duty,
            vat,
            paid_currency,
            checkout,
            return_date,
            max_days,
            key,
            returnless,
            split,
            alternatives,
            *policy_raw,
        ) = raw
        territory = territory or ""
        if (
            type(country) is not str
            or type(postal) is not str
            or type(origin) is not str
            or type(paid_currency) is not str
            or type(territory) is not str
            or (territory and not is_territory(territory, country))
            or (self.known_origins is not None and origin not in self.known_origins)
        ):
            return None
        key = key or ""
        if type(key) is not str:
            return None
        imported, returned = to_date(import_date), to_date(return_date)
        duty_paid, vat_paid, collected = to_int(duty), to_int(vat), to_bool(checkout)
        if imported is None or returned is None or duty_paid is None or vat_paid is None:
            return None
        if collected is None:
            return None
        cache_key = (max_days, returnless, split, alternatives)
        constraints = self.constraints.get(cache_key)
        if constraints is None:
            allow_returnless, allow_split = to_bool(returnless), to_bool(split)
            max_alternatives = to_int(alternatives)
            constraints = self.constraints[cache_key] = Constraints(
                max_days_to_refund=to_int(max_days),
                allow_returnless=(
                    DEFAULT_CONSTRAINTS.allow_returnless
                    if allow_returnless is None
                    else allow_returnless
                ),
                allow_split=DEFAULT_CONSTRAINTS.allow_split if allow_split is None else allow_split,
                max_alternatives=(
                    DEFAULT_CONSTRAINTS.max_alternatives
                    if max_alternatives is None
                    else max_alternatives
                ),
            )
        policy_key = tuple(policy_raw)
        policy = self.policies.get(policy_key)
        if policy is None:
            keep_it, local, currency, max_loss, trigger, allow_local = policy_raw
            if currency is not None and type(currency) is not str:
                return None
            allowed = to_bool(allow_local)
            policy = self.policies[policy_key] = MerchantPolicy(
                keep_it_max_value_minor=to_int(keep_it),
                local_disposal_max_value_minor=to_int(local),
                currency=currency or "",
                max_loss_bp=to_int(max_loss),
                refund_trigger=to_trigger(trigger),
                allow_local_disposal=True if allowed is None else allowed,
            )
        return _Head(
            customer_country=country,
            customer_postal_code=postal,
            customer_territory=territory,
            origin_facility_id=origin,
            import_date=imported,
            duty_paid_minor=duty_paid,
            vat_paid_minor=vat_paid,
            paid_currency=paid_currency,
            vat_collected_at_checkout=collected,
            return_date=returned,
            idempotency_key=key,
            constraints=constraints,
            policy=policy,
        )

    def _head_checked(self, raw: tuple[object, ...]) -> tuple[_Head | None, list[tuple[str, str]]]:
        values, errors = self._cells(_HEAD_SPECS, raw)
        (
            _rid,
            country,
            postal,
            territory,
            origin,
            import_date,
            duty,
            vat,
            paid_currency,
            checkout,
            return_date,
            max_days,
            key,
            returnless,
            split,
            alternatives,
            *policy_values,
        ) = values
        if territory and not is_territory(territory, country):
            errors.append(
                (
                    "customer_territory",
                    "must be an ISO 3166-2 style code of customer_country "
                    f"({country or '?'}-...), got {territory[:16]!r}",
                )
            )
        if self.known_origins is not None and origin and origin not in self.known_origins:
            errors.append(("origin_facility_id", _unknown_origin(origin, self.known_origins)))
        constraints: Constraints | None = None
        if not any(f in _CONSTRAINT_COLUMNS for f, _ in errors):
            cache_key = (max_days, returnless, split, alternatives)
            constraints = self.constraints.get(cache_key)
            if constraints is None:
                try:
                    constraints = self.constraints[cache_key] = Constraints(
                        max_days_to_refund=max_days,
                        allow_returnless=returnless,
                        allow_split=split,
                        max_alternatives=alternatives,
                    )
                except InvalidInput as exc:
                    errors += _field_errors(exc)
        policy: MerchantPolicy | None = None
        if not any(f in _POLICY_COLUMNS for f, _ in errors):
            keep_it, local, currency, max_loss, trigger, allow_local = policy_values
            try:
                policy = MerchantPolicy(
                    keep_it_max_value_minor=keep_it,
                    local_disposal_max_value_minor=local,
                    currency=currency or "",
                    max_loss_bp=max_loss,
                    refund_trigger=trigger,
                    allow_local_disposal=allow_local,
                )
            except InvalidInput as exc:
                errors += _field_errors(exc)
        if errors or constraints is None or policy is None:
            # still check the other cells against the domain's rules: report every error now
            bad = {f for f, _ in errors}
            stand_in = SimpleNamespace(
                items=(_PLACEHOLDER_ITEM,),
                customer_country="DE" if "customer_country" in bad else country,
                customer_postal_code="1" if "customer_postal_code" in bad else postal,
                origin_facility_id="x" if "origin_facility_id" in bad else origin,
                idempotency_key="" if "idempotency_key" in bad else key,
                duty_paid_minor=0 if "duty_paid_minor" in bad else duty,
                vat_paid_minor=0 if "vat_paid_minor" in bad else vat,
                paid_currency="EUR" if "paid_currency" in bad else paid_currency,
                import_date=date.min if "import_date" in bad else import_date,
                return_date=LATEST_DATE if "return_date" in bad else return_date,
            )
            v = Violations()
            validate_return(v, "return", cast(Return, stand_in))
            found = _field_errors(InvalidInput(v.items)) if v.items else []
            errors += [(f, r) for f, r in found if f not in bad and f != "return_id"]
            return None, errors
        return (
            _Head(
                customer_country=country,
                customer_postal_code=postal,
                customer_territory=territory,
                origin_facility_id=origin,
                import_date=import_date,
                duty_paid_minor=duty,
                vat_paid_minor=vat,
                paid_currency=paid_currency,
                vat_collected_at_checkout=checkout,
                return_date=return_date,
                idempotency_key=key,
                constraints=constraints,
                policy=policy,
            ),
            errors,
        )

    def _item(self, raw: tuple[object, ...]) -> tuple[Item | None, list[tuple[str, str]]]:
        sku, hs_code, value, currency, weight, length, width, height, qty, grade, reason = raw
        try:  # the fast path for a valid row: any doubt falls through to the precise one
            return (
                checked(
                    validate_item,
                    "item",
                    Item(
                        sku=sku,  # type: ignore[arg-type]
                        hs_code=hs_code,  # type: ignore[arg-type]
                        value_minor=to_int(value),  # type: ignore[arg-type]
                        currency=currency,  # type: ignore[arg-type]
                        weight_g=to_int(weight),  # type: ignore[arg-type]
                        dims_mm=(to_int(length), to_int(width), to_int(height)),  # type: ignore[arg-type]
                        quantity=to_int(qty),  # type: ignore[arg-type]
                        grade=GRADES[grade],  # type: ignore[index]
                        reason=REASONS[reason],  # type: ignore[index]
                    ),
                ),
                [],
            )
        except (InvalidInput, BadCell, LookupError, TypeError, AttributeError, ValueError):
            pass
        values, errors = self._cells(_ITEM_SPECS, raw)
        if errors:
            # still check the other cells against the domain's rules: report every error now
            bad = {f for f, _ in errors}
            stand_in = SimpleNamespace(
                **{
                    c.name: _ITEM_PLACEHOLDER[c.name] if c.name in bad else v
                    for c, v in zip(ITEM_COLUMNS, values, strict=True)
                }
            )
            stand_in.dims_mm = (stand_in.length_mm, stand_in.width_mm, stand_in.height_mm)
            v = Violations()
            validate_item(v, "item", cast(Item, stand_in))
            found = _field_errors(InvalidInput(v.items)) if v.items else []
            errors += [(f, r) for f, r in found if f not in bad]
        else:
            sku, hs_code, value, currency, weight, length, width, height, qty, grade, reason = (
                values
            )
            try:
                return (
                    checked(
                        validate_item,
                        "item",
                        Item(
                            sku=sku,
                            hs_code=hs_code,
                            value_minor=value,
                            currency=currency,
                            weight_g=weight,
                            dims_mm=(length, width, height),
                            quantity=qty,
                            grade=grade,
                            reason=reason,
                        ),
                    ),
                    [],
                )
            except InvalidInput as exc:
                errors = _field_errors(exc)
        if isinstance(hs_code, str) and hs_code.isdigit() and len(hs_code) < 6:
            errors = [
                (f, f"{r} (a leading zero lost? keep hs_code as text)" if f == "hs_code" else r)
                for f, r in errors
            ]
        return None, errors

    def finish(self, *, skip_invalid: bool) -> Batch:
        returns: list[tuple[str, Return]] = []
        bad: list[RowError] = list(self.orphans)
        for rid, group in self.groups.items():
            if not group.errors and group.head is not None:
                h = group.head
                try:
                    returns.append(
                        (
                            rid,
                            checked(
                                validate_return,
                                "return",
                                Return(
                                    items=tuple(group.items),
                                    customer_country=h.customer_country,
                                    customer_postal_code=h.customer_postal_code,
                                    origin_facility_id=h.origin_facility_id,
                                    import_date=h.import_date,
                                    duty_paid_minor=h.duty_paid_minor,
                                    vat_paid_minor=h.vat_paid_minor,
                                    paid_currency=h.paid_currency,
                                    return_date=h.return_date,
                                    idempotency_key=h.idempotency_key,
                                    vat_collected_at_checkout=h.vat_collected_at_checkout,
                                    customer_territory=h.customer_territory,
                                    constraints=h.constraints,
                                    policy=h.policy,
                                ),
                            ),
                        )
                    )
                    continue
                except InvalidInput as exc:
                    group.errors += [
                        RowError(group.first_row, rid, f, r) for f, r in _field_errors(exc)
                    ]
            bad += group.errors
            if skip_invalid:
                with_errors = {e.row for e in group.errors}
                listed = ", ".join(str(r) for r in sorted(with_errors)[:5])
                more = " ..." if len(with_errors) > 5 else ""
                bad += [
                    RowError(r, rid, "", f"skipped with its return (errors in row {listed}{more})")
                    for r in dict.fromkeys(group.rows)
                    if r not in with_errors
                ]
        if bad and not skip_invalid:
            raise BatchError(bad)
        bad.sort(key=lambda e: e.row)
        return Batch(returns=tuple(returns), skipped=tuple(bad), rows=self.rows)


def _getter(indexes: Sequence[int | None]) -> Callable[[Sequence[object]], tuple[object, ...]]:
    """A fast ``cells -> tuple`` of the given columns; absent columns (None) give None."""
    present = [i for i in indexes if i is not None]
    if len(present) == len(indexes):
        if len(present) == 1:
            only = present[0]
            return lambda cells: (cells[only],)
        getter: Callable[[Sequence[object]], tuple[object, ...]] = operator.itemgetter(*present)
        return getter
    return lambda cells: tuple(None if i is None else cells[i] for i in indexes)


def _differences(a: _Head, b: _Head) -> Iterator[tuple[str, object, object]]:
    for name in (
        "customer_country",
        "customer_postal_code",
        "customer_territory",
        "origin_facility_id",
        "import_date",
        "duty_paid_minor",
        "vat_paid_minor",
        "paid_currency",
        "vat_collected_at_checkout",
        "return_date",
        "idempotency_key",
    ):
        new, old = getattr(a, name), getattr(b, name)
        if new != old:
            yield name, new, old
    for name in ("max_days_to_refund", "allow_returnless", "allow_split", "max_alternatives"):
        new, old = getattr(a.constraints, name), getattr(b.constraints, name)
        if new != old:
            yield name, new, old
    for column, name in (
        ("keep_it_max_value_minor", "keep_it_max_value_minor"),
        ("local_disposal_max_value_minor", "local_disposal_max_value_minor"),
        ("policy_currency", "currency"),
        ("max_loss_bp", "max_loss_bp"),
        ("refund_trigger", "refund_trigger"),
        ("allow_local_disposal", "allow_local_disposal"),
    ):
        new, old = getattr(a.policy, name), getattr(b.policy, name)
        if new != old:
            yield column, new, old


def _show(value: object) -> str:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "(empty)"
    if isinstance(value, RefundTrigger):
        return value.value
    return repr(value) if isinstance(value, str) else str(value)


def _unknown_origin(origin: str, known: frozenset[str]) -> str:
    close = difflib.get_close_matches(origin, sorted(known), n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    listing = ", ".join(sorted(known)[:10]) + (" ..." if len(known) > 10 else "")
    return f"unknown origin facility {origin[:64]!r}{hint} (known: {listing})"


def start_reader(header: Sequence[str], known: frozenset[str] | None) -> RowReader:
    """A reader for rows under ``header``; BatchError naming every bad column of the header."""
    errors = header_errors(header)
    if errors:
        raise BatchError(errors)
    return RowReader(header, known_origins=known)


# -- the writer's rows ----------------------------------------------------------------------


def return_rows(
    returns: Iterable[tuple[str, Return]], seen: set[str]
) -> Iterator[tuple[object, ...]]:
    """The rows of ``returns`` in COLUMNS order; ``seen`` collects the return ids."""
    for rid, r in returns:
        if not isinstance(rid, str) or not rid.strip() or len(rid.encode()) > MAX_STRING_BYTES:
            raise ValueError(f"return id must be non-blank text of at most 1024 bytes: {rid!r}")
        if rid in seen:
            raise ValueError(f"duplicate return id {rid!r}: its rows would merge into one return")
        seen.add(rid)
        c = r.constraints
        head = (
            rid,
            r.customer_country,
            r.customer_postal_code,
            r.customer_territory,
            r.origin_facility_id,
            r.import_date,
            r.duty_paid_minor,
            r.vat_paid_minor,
            r.paid_currency,
            r.vat_collected_at_checkout,
            r.return_date,
            c.max_days_to_refund,
            r.idempotency_key,
            c.allow_returnless,
            c.allow_split,
            c.max_alternatives,
            *_policy_cells(r.policy),
        )
        for i in r.items:
            length, width, height = i.dims_mm
            yield (
                *head,
                i.sku,
                i.hs_code,
                i.value_minor,
                i.currency,
                i.weight_g,
                length,
                width,
                height,
                i.quantity,
                i.grade.value,
                i.reason.value,
            )


def _policy_cells(p: MerchantPolicy) -> tuple[object, ...]:
    """The policy columns of a return (in COLUMNS order)."""
    return (
        p.keep_it_max_value_minor,
        p.local_disposal_max_value_minor,
        p.currency,
        p.max_loss_bp,
        p.refund_trigger.value if p.refund_trigger is not None else None,
        p.allow_local_disposal,
    )
