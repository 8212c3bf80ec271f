"""Decisions, tenants, API keys and plan jobs, kept: in memory or in SQL (SQLAlchemy 2).

:mod:`routing.store.decisions` is the DecisionStore protocol and the in-memory store;
:mod:`~routing.store.sql` the durable one with :mod:`~routing.store.group_commit`;
:mod:`~routing.store.jobs` the SQL JobStore; :mod:`~routing.store.tenants` tenants, keys and
network versions; :mod:`~routing.store.database` where the database is and migrating it
(alembic scripts in ``migrations/``); :mod:`~routing.store.tables` the schema;
:mod:`~routing.store.codec` the stored form of a decision (ours, versioned: never the wire
message, so the public proto can change without touching the database);
:mod:`~routing.store.claims` the reclaim ledger's claims and their lifecycle, and
:mod:`~routing.store.ledger` the ledger in SQL (claims opened from the stored decisions).

May import: ``routing.decide`` and ``routing.plan`` (the objects it keeps),
``routing.solver``, ``routing.errors``, ``routing.observe``. Never the wire contract
(``reroute.v1``, ``routing.rpc``), but in migration 0004, which reads the legacy rows.
"""

from __future__ import annotations

from routing.store.database import DatabaseConfigError, database_url, make_engine, upgrade
from routing.store.decisions import (
    AsyncDecisionStore,
    CapacityTaken,
    DecisionPage,
    DecisionStore,
    MemoryDecisionStore,
    StoredDecision,
)
from routing.store.jobs import SqlJobStore
from routing.store.sql import SqlDecisionStore

__all__ = [
    "AsyncDecisionStore",
    "CapacityTaken",
    "DatabaseConfigError",
    "DecisionPage",
    "DecisionStore",
    "MemoryDecisionStore",
    "SqlDecisionStore",
    "SqlJobStore",
    "StoredDecision",
    "database_url",
    "make_engine",
    "upgrade",
]
