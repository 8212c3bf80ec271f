"""The tables (SQLAlchemy 2 typed ORM). Money is integer minor units beside its ISO currency.

Schema changes go through alembic (``routing/store/migrations/versions``); a test checks that the
migrations and these models agree.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Date,
    DateTime,
    Double,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# SQLite autoincrements only INTEGER PRIMARY KEY; PostgreSQL gets a 64-bit identity
BigId = BigInteger().with_variant(Integer(), "sqlite")


class Base(DeclarativeBase):
    pass


class Tenant(Base):
    """A merchant (or platform account) whose decisions no other tenant can read."""

    __tablename__ = "tenants"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    # token bucket: sustained requests per second and burst; NULL = the server's default
    rate_per_s: Mapped[float | None]
    burst: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ApiKey(Base):
    """An API key: only its SHA-256 is kept; ``id`` is the visible prefix of the key."""

    __tablename__ = "api_keys"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"), index=True)
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    label: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class NetworkVersion(Base):
    """A network file as loaded by a server: one row per distinct content."""

    __tablename__ = "networks"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(200))
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    toml_text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class DecisionRow(Base):
    """One decision as answered, with the digest of the request that asked for it.

    ``decision_blob`` is the whole Decision (breakdown and alternatives, replayable) in the
    store's own versioned form, :mod:`routing.store.codec` (its first byte is the format),
    never the wire message. Rows written before migration 0004 held a reroute.v1
    RouteDecision in ``decision_pb``; 0004 rewrote them.
    """

    __tablename__ = "decisions"
    __table_args__ = (
        UniqueConstraint("tenant_id", "idempotency_key", name="uq_decisions_tenant_key"),
        Index("ix_decisions_tenant_seq", "tenant_id", "seq"),
    )
    seq: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    decision_id: Mapped[str] = mapped_column(String(64), unique=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"))
    idempotency_key: Mapped[str | None] = mapped_column(String(1024))  # NULL: none given
    request_sha256: Mapped[str] = mapped_column(String(64))
    network_id: Mapped[int] = mapped_column(ForeignKey("networks.id"))
    currency: Mapped[str] = mapped_column(String(3))
    net_cost_minor: Mapped[int] = mapped_column(BigInteger)
    return_date: Mapped[date] = mapped_column(Date)
    decision_blob: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class FacilityDay(Base):
    """Units reserved at a facility for one day, against its capacity that day."""

    __tablename__ = "facility_days"
    facility_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    reserved_units: Mapped[int] = mapped_column(BigInteger)


class Reservation(Base):
    """Capacity a decision holds: ``units`` at ``facility_id`` on ``day``."""

    __tablename__ = "capacity_reservations"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    decision_seq: Mapped[int] = mapped_column(ForeignKey("decisions.seq"), index=True)
    facility_id: Mapped[str] = mapped_column(String(200))
    day: Mapped[date] = mapped_column(Date)
    units: Mapped[int] = mapped_column(Integer)


class PlanJobRow(Base):
    """A batch plan job (routing.plan.jobs.Job). ``spec``, ``progress``, ``error`` and ``plan`` are
    the job's frozen dataclasses in the store's own versioned form (:mod:`routing.store.codec`;
    pickles until migration 0005); state, times, objective and gap are columns for queries
    and dashboards. ``batch`` is the batch to plan (same form) until the job ends; ``owner``
    and ``lease_expires_ms`` say which server process runs it and until when its claim holds
    (migration 0006)."""

    __tablename__ = "plan_jobs"
    __table_args__ = (
        UniqueConstraint("tenant_id", "idempotency_key", name="uq_plan_jobs_tenant_key"),
        Index("ix_plan_jobs_tenant_created", "tenant_id", "created_at"),
    )
    job_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    # who submitted it; jobs from before tenancy (migration 0003) belong to 'default'
    tenant_id: Mapped[int] = mapped_column(
        ForeignKey("tenants.id", name="fk_plan_jobs_tenant_id"), index=True
    )
    state: Mapped[str] = mapped_column(String(16), index=True)
    returns: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    spec: Mapped[bytes] = mapped_column(LargeBinary)
    progress: Mapped[bytes | None] = mapped_column(LargeBinary)
    error: Mapped[bytes | None] = mapped_column(LargeBinary)
    plan: Mapped[bytes | None] = mapped_column(LargeBinary)
    objective_minor: Mapped[int | None] = mapped_column(BigInteger)
    gap: Mapped[float | None]
    idempotency_key: Mapped[str | None] = mapped_column(String(1024))  # NULL: none given
    request_sha256: Mapped[str | None] = mapped_column(String(64))
    batch: Mapped[bytes | None] = mapped_column(LargeBinary)  # NULL once the job has ended
    owner: Mapped[str | None] = mapped_column(String(200))  # the process that claimed it
    lease_expires_ms: Mapped[int | None] = mapped_column(BigInteger)  # epoch ms, UTC


class ClaimRow(Base):
    """One claim of the reclaim ledger (routing.store.claims.Claim), opened from a stored
    decision by the ledger's projection; evidence and required evidence are JSON text."""

    __tablename__ = "claims"
    __table_args__ = (
        Index("ix_claims_tenant_deadline", "tenant_id", "deadline"),
        Index("ix_claims_tenant_state", "tenant_id", "state"),
    )
    claim_id: Mapped[str] = mapped_column(String(80), primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", name="fk_claims_tenant_id"))
    decision_seq: Mapped[int] = mapped_column(
        ForeignKey("decisions.seq", name="fk_claims_decision_seq"), index=True
    )
    decision_id: Mapped[str] = mapped_column(String(64))
    rule_id: Mapped[str] = mapped_column(String(200))
    route: Mapped[str] = mapped_column(Text)
    claimant: Mapped[str] = mapped_column(String(32))
    export_country: Mapped[str] = mapped_column(String(2))
    currency: Mapped[str] = mapped_column(String(3))
    duty_minor: Mapped[int] = mapped_column(BigInteger)
    vat_minor: Mapped[int] = mapped_column(BigInteger)
    deadline: Mapped[date] = mapped_column(Date)
    export_by: Mapped[date | None] = mapped_column(Date)
    required_evidence: Mapped[str] = mapped_column(Text)
    evidence: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(24))
    filed_on: Mapped[date | None] = mapped_column(Date)
    paid_on: Mapped[date | None] = mapped_column(Date)
    received_minor: Mapped[int | None] = mapped_column(BigInteger)
    rejection_reason: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ClaimProjection(Base):
    """How far the ledger has read the decisions: claims are opened for every decision with a
    larger ``seq`` on the next ledger call (one row, id 1)."""

    __tablename__ = "claims_projection"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_seq: Mapped[int] = mapped_column(BigInteger)


class RateBucket(Base):
    """A tenant's rate-limit token bucket, shared by every server process and replica
    (:mod:`routing.store.rates`): ``tokens`` left at ``at_s`` (seconds since the epoch, the
    clock of the process that last took from it). Keyed by tenant name, not id: with
    ``--auth none`` the tenant ``default`` may have no row in ``tenants``."""

    __tablename__ = "rate_buckets"
    tenant: Mapped[str] = mapped_column(String(64), primary_key=True)
    tokens: Mapped[float] = mapped_column(Double)
    at_s: Mapped[float] = mapped_column(Double)
