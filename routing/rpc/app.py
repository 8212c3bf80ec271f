"""The application layer between the gRPC edge and the engine (the servicers' "data plane").

It owns the loaded network, the router and the decision store; servicers convert wire
messages and call it. Nothing here knows about protobuf.

Capacity: RouteReturn consumes facility intake through holds (``routing.store.decisions``). A
facility that cannot take the whole return on the routing day (``capacity_units_per_day`` minus
what earlier decisions hold) is excluded from the options, and the decision names it in its
reason
codes (``CAPACITY_FULL:<facility>``); when every option is excluded the answer is
FAILED_PRECONDITION with a CAPACITY_FULL violation per facility. Excluding, not pricing: a
3PL at capacity cannot receive the parcel, whatever we pay it; the batch planner is where
overflow is priced (``reroute plan --allow-overflow``).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from functools import partial
from pathlib import Path
from typing import TypeGuard

import customs
from customs.api import Assessment, CustomsAssessor
from hubs import default_network, load_network
from hubs.model import Network
from routing.decide.compiled import FxConverter
from routing.decide.domain import Decision, Return
from routing.decide.quote import QuoteInput, quote
from routing.decide.replay import Difference, diff_decisions
from routing.decide.router import Router
from routing.errors import InvalidInput, LimitReached, NoFeasibleOption, PreconditionViolation
from routing.plan.jobs import DEFAULT_TENANT
from routing.store.decisions import (
    AsyncDecisionStore,
    CapacityTaken,
    DecisionPage,
    DecisionStore,
    MemoryDecisionStore,
    StoredDecision,
    fingerprint,
    holds_of,
)

MAX_ROUTE_ATTEMPTS = 8  # re-routes when capacity is taken between routing and storing
INLINE_MAX_ITEM_LINES = 16  # larger returns are routed in a thread, not on the event loop
DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 500  # larger page sizes are reduced to this (AIP-158)
_TOKEN_PREFIX = "d1:"


@dataclass(frozen=True, slots=True)
class Replay:
    """A stored decision, the same request routed again now, and the fields that differ."""

    stored: Decision
    replayed: Decision
    differences: tuple[Difference, ...]
    truncated: bool  # more fields differ than listed

    @property
    def identical(self) -> bool:
        return not self.differences


@dataclass(frozen=True, slots=True)
class AppConfig:
    network_file: Path | None = None  # None = the embedded default network
    compiled_on: date | None = None  # FX date for rate cards; None = today


class RoutingApp:
    def __init__(
        self,
        network: Network,
        *,
        customs_assessor: CustomsAssessor | None = None,
        fx: FxConverter | None = None,
        store: DecisionStore | None = None,
        compiled_on: date | None = None,
    ) -> None:
        self.network = network
        self.customs = customs_assessor or customs.default_engine()
        self.router = Router(
            network,
            self.customs,
            fx or customs.default_fx(),
            compiled_on=compiled_on or date.today(),
        )
        self.store: DecisionStore = store or MemoryDecisionStore()
        self.capacity = {f.id: f.capacity_units_per_day for f in network.facilities.values()}

    @classmethod
    def from_config(cls, config: AppConfig, *, store: DecisionStore | None = None) -> RoutingApp:
        network = load_network(config.network_file) if config.network_file else default_network()
        return cls(network, compiled_on=config.compiled_on, store=store)

    def route_return(
        self,
        ret: Return,
        *,
        tenant: str = DEFAULT_TENANT,
        time_limit_s: float | None = None,
        commit_by: float | None = None,
    ) -> Decision:
        """Route one return and keep the decision; the same idempotency key always answers the
        same decision and holds capacity once.

        ``time_limit_s`` bounds the split model (None = its default; 0 = no split attempt).
        ``commit_by`` (``time.monotonic()``): the decision is not stored after this instant
        (DeadlinePassed, nothing kept), so a stored decision is one the caller could receive.
        """
        digest = fingerprint(ret)
        key = ret.idempotency_key
        if key:
            found = self.store.get(tenant, key, digest)
            if found is not None:
                return found
        full: set[str] = set()
        for _ in range(MAX_ROUTE_ATTEMPTS):
            held = self.store.reserved(ret.return_date)
            self._full(ret, held, full)
            decision = self.router.route(
                ret, time_limit_s=time_limit_s, full_facilities=frozenset(full), observed_units=held
            )
            try:
                return self.store.put(
                    tenant,
                    key,
                    digest,
                    decision,
                    holds_of(decision),
                    self.capacity,
                    commit_by=commit_by,
                )
            except CapacityTaken as exc:  # taken meanwhile: route again without it
                full.add(exc.facility_id)
        raise _capacity_churn()

    async def route_return_async(
        self,
        ret: Return,
        *,
        tenant: str = DEFAULT_TENANT,
        time_limit_s: float | None = None,
        commit_by: float | None = None,
    ) -> Decision:
        """``route_return`` for a caller on an event loop (the gRPC server).

        A return that cannot run the split model (CP-SAT, up to its time limit) is routed on
        the loop itself (well under a millisecond, less than handing it to a thread and back)
        and stored by ``put_async``; only I/O the store cannot answer from memory (the
        idempotency lookup, a stale capacity read) goes to a thread. Otherwise, or with a
        store without ``put_async``, the whole call runs in a thread.
        """
        loop = asyncio.get_running_loop()
        store = self.store
        if not _is_async(store) or not routes_inline(ret, time_limit_s):
            return await loop.run_in_executor(
                None,
                partial(
                    self.route_return,
                    ret,
                    tenant=tenant,
                    time_limit_s=time_limit_s,
                    commit_by=commit_by,
                ),
            )
        digest = fingerprint(ret)
        key = ret.idempotency_key
        if key:
            found = await loop.run_in_executor(None, store.get, tenant, key, digest)
            if found is not None:
                return found
        full: set[str] = set()
        for _ in range(MAX_ROUTE_ATTEMPTS):
            held = store.reserved_cached(ret.return_date)
            if held is None:
                held = await loop.run_in_executor(None, store.reserved, ret.return_date)
            self._full(ret, held, full)
            decision = self.router.route(
                ret, time_limit_s=time_limit_s, full_facilities=frozenset(full), observed_units=held
            )
            try:
                return await store.put_async(
                    tenant,
                    key,
                    digest,
                    decision,
                    holds_of(decision),
                    self.capacity,
                    commit_by=commit_by,
                )
            except CapacityTaken as exc:  # taken meanwhile: route again without it
                full.add(exc.facility_id)
        raise _capacity_churn()

    def _full(self, ret: Return, held: Mapping[str, int], full: set[str]) -> None:
        """Add to ``full`` the facilities that cannot take ``ret`` on top of ``held``."""
        full.update(f for f, cap in self.capacity.items() if held.get(f, 0) + ret.units > cap)

    def get_decision(self, decision_id: str, *, tenant: str = DEFAULT_TENANT) -> StoredDecision:
        if not decision_id:
            raise InvalidInput.one("decision_id", "is required")
        return self.store.find(tenant, decision_id)

    def explain_decision(self, decision_id: str, *, tenant: str = DEFAULT_TENANT) -> Replay:
        """Route a stored decision's request again on this app's network and rules (nothing
        stored, no capacity held; the facilities the stored decision found full are full
        again) and compare: ``Replay.differences`` is empty when nothing changed. Raises as
        ``get_decision``; NoFeasibleOption (NOT_REPLAYABLE) for a decision kept without its
        request, and as RouteReturn when the request has no feasible option any more."""
        stored = self.get_decision(decision_id, tenant=tenant).decision
        if stored.request is None:
            raise NoFeasibleOption(
                [
                    PreconditionViolation(
                        "NOT_REPLAYABLE",
                        f"decision:{decision_id[:64]}",
                        "stored before decisions kept their request (or read from the wire):"
                        " there is nothing to replay; route the return again instead",
                    )
                ]
            )
        full = frozenset(
            x.subject.removeprefix("facility:")
            for x in stored.excluded
            if x.reason == "CAPACITY_FULL"
        )
        replayed = self.router.route(stored.request, full_facilities=full)
        differences, truncated = diff_decisions(stored, replayed)
        return Replay(stored, replayed, differences, truncated)

    def list_decisions(
        self,
        *,
        tenant: str = DEFAULT_TENANT,
        page_size: int = 0,
        page_token: str = "",
        max_bytes: int | None = None,
    ) -> tuple[DecisionPage, str]:
        """A page of ``tenant``'s decisions, newest first, and the token of the next page
        ("" when there is none)."""
        if page_size < 0:
            raise InvalidInput.one("page_size", f"must be >= 0, got {page_size}")
        size = min(page_size or DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)
        page = self.store.page(
            tenant, size=size, before=parse_page_token(page_token), max_bytes=max_bytes
        )
        token = "" if page.next_before is None else make_page_token(page.next_before)
        return page, token

    def quote_customs(self, q: QuoteInput) -> Assessment:
        """One crossing assessed by the customs engine RouteReturn uses."""
        return quote(self.customs, q)


def routes_inline(ret: Return, time_limit_s: float | None) -> bool:
    """Whether routing ``ret`` is short enough for an event loop: no split model can run (one
    unit cannot be split into two shipments; splitting off or no time for it) and few item
    lines."""
    if len(ret.items) > INLINE_MAX_ITEM_LINES:
        return False
    single_unit = len(ret.items) == 1 and ret.items[0].quantity == 1
    return single_unit or not ret.constraints.allow_split or time_limit_s == 0


_ASYNC_STORES: dict[type, bool] = {}  # a Protocol isinstance check costs microseconds


def _is_async(store: DecisionStore) -> TypeGuard[AsyncDecisionStore]:
    found = _ASYNC_STORES.get(type(store))
    if found is None:
        found = _ASYNC_STORES[type(store)] = isinstance(store, AsyncDecisionStore)
    return found


def _capacity_churn() -> LimitReached:
    return LimitReached(
        "facility capacity kept changing while this return was routed; retry",
        retry_after_s=0.05,
    )


def make_page_token(before: int) -> str:
    return base64.urlsafe_b64encode(f"{_TOKEN_PREFIX}{before}".encode()).decode().rstrip("=")


def parse_page_token(token: str) -> int | None:
    if not token:
        return None
    bad = InvalidInput.one("page_token", "not a token this server issued")
    if len(token) > 100:
        raise bad
    try:
        text = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode("ascii")
    except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
        raise bad from exc
    if not text.startswith(_TOKEN_PREFIX) or not text[len(_TOKEN_PREFIX) :].isdigit():
        raise bad
    before = int(text[len(_TOKEN_PREFIX) :])
    if before >= 2**63:  # row ids are 64-bit: a larger number was never issued (and overflows)
        raise bad
    return before
