"""The application layer between the gRPC edge and the engine (the servicers' "data plane").

It owns the loaded network, the router and the decision store; servicers convert wire
messages and call it. Nothing here knows about protobuf.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import customs
from customs.api import Assessment, CustomsAssessor
from hubs import default_network, load_network
from hubs.model import Network
from routing.compiled import FxConverter
from routing.domain import Decision, Return
from routing.engine import Router
from routing.quote import QuoteInput, quote
from routing.store import DecisionStore, MemoryDecisionStore, fingerprint


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

    @classmethod
    def from_config(cls, config: AppConfig) -> RoutingApp:
        network = load_network(config.network_file) if config.network_file else default_network()
        return cls(network, compiled_on=config.compiled_on)

    def route_return(self, ret: Return, *, time_limit_s: float | None = None) -> Decision:
        """Route one return; the same idempotency key always answers the same decision.

        ``time_limit_s`` bounds the split model (None = its default; 0 = no split attempt).
        """
        if not ret.idempotency_key:
            return self.router.route(ret, time_limit_s=time_limit_s)
        digest = fingerprint(ret)
        found = self.store.get(ret.idempotency_key, digest)
        if found is not None:
            return found
        decision = self.router.route(ret, time_limit_s=time_limit_s)
        return self.store.put(ret.idempotency_key, digest, decision)

    def quote_customs(self, q: QuoteInput) -> Assessment:
        """One crossing assessed by the customs engine RouteReturn uses."""
        return quote(self.customs, q)
