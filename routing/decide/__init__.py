"""One return: the network compiled for the hot path, costing, the router, split, quote.

Owns the domain objects of a decision (:mod:`routing.decide.domain`: a Return in, a Decision
out), the precomputed lane tables (:mod:`~routing.decide.compiled`), integer costing of a
shipment (:mod:`~routing.decide.costing`), the router that picks the cheapest feasible option
(:mod:`~routing.decide.router`), the split of a multi-item return (:mod:`~routing.decide.split`)
and a customs quote of one crossing (:mod:`~routing.decide.quote`).

Costing, one module per concept: :mod:`~routing.decide.parcels` the units and their parcel
(within a service's limits); :mod:`~routing.decide.base_costs` carriage, line-haul, handling,
disposition, time and CO2e; :mod:`~routing.decide.customs_terms` the borders along the route;
:mod:`~routing.decide.costing` the evaluation of a route from those; and
:mod:`~routing.decide.shipments` the Shipment with its named terms, and the returnless refund;
:mod:`~routing.decide.replay` the versions a decision was made with and the diff of a replay.

May import: ``routing.solver``, ``routing.errors``, ``customs``, ``hubs``. Never the wire
contract, a store, a planner or the edge.
"""

from __future__ import annotations

from routing.decide.compiled import CompiledNetwork, FxConverter, Route
from routing.decide.domain import (
    Constraints,
    CostTerm,
    Decision,
    DestinationKind,
    Exclusion,
    Item,
    ItemAllocation,
    Leg,
    LegKind,
    LossGuard,
    MerchantPolicy,
    Option,
    Return,
    Shipment,
    Term,
)
from routing.decide.quote import QuoteInput, quote
from routing.decide.router import PlanChoice, Router

__all__ = [
    "CompiledNetwork",
    "Constraints",
    "CostTerm",
    "Decision",
    "DestinationKind",
    "Exclusion",
    "FxConverter",
    "Item",
    "ItemAllocation",
    "Leg",
    "LegKind",
    "LossGuard",
    "MerchantPolicy",
    "Option",
    "PlanChoice",
    "QuoteInput",
    "Return",
    "Route",
    "Router",
    "Shipment",
    "Term",
    "quote",
]
