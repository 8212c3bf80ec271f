"""Migrations 0004 and 0005 on SQLite and PostgreSQL: decision rows written as reroute.v1 wire
bytes (revision 0003, the store as it was) and plan job parts written as pickles (revision
0004) read back equal after the upgrade to the store's own forms; the downgrades give the old
bytes back."""

from __future__ import annotations

import dataclasses
import pickle
from collections.abc import Iterator
from datetime import UTC, date, datetime

import pytest
from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import (
    BigInteger,
    Date,
    DateTime,
    Engine,
    Integer,
    LargeBinary,
    String,
    TableClause,
    column,
    insert,
    select,
    table,
)

import customs
from hubs import default_network
from reroute.v1 import routing_pb2
from routing.batches.generate import generate_returns
from routing.decide.domain import Decision
from routing.decide.router import Router
from routing.errors import InvalidInput, NoFeasibleOption
from routing.plan.jobs import JobState
from routing.rpc.wire.decisions import decision_from_proto, decision_to_proto
from routing.store.codec import FORMAT_V1, decode_decision
from routing.store.database import MIGRATIONS, current_revision, make_engine, upgrade, writer
from routing.store.jobs import SqlJobStore
from routing.store.sql import SqlDecisionStore
from routing.store.tables import DecisionRow
from tests.routing.store.test_codec import golden_decision, golden_jobs

ROWS = 620  # more than the migration's chunk (500): two chunks, the last one partial
TENANTS = ("acme", "globex")


@pytest.fixture(scope="module")
def routed() -> list[Decision]:
    """Decisions of the default network (real customs: rules, documents, reclaims, FX) with up
    to 5 alternatives, plus the golden decision (a split one)."""
    network = default_network()
    router = Router(
        network, customs.default_engine(), customs.default_fx(), compiled_on=date(2026, 11, 22)
    )
    out = [golden_decision()]
    for _, ret in generate_returns(60, seed=11, network=network, start=date(2026, 11, 2)):
        try:
            out.append(router.route(ret, time_limit_s=0))
        except (InvalidInput, NoFeasibleOption):
            continue
    assert sum(1 for d in out if d.alternatives) > 20
    return out


def decisions_0003() -> TableClause:
    """``decisions`` as revisions 0001-0003 made it: the wire message in ``decision_pb``."""
    return table(
        "decisions",
        column("seq", BigInteger),
        column("decision_id", String),
        column("tenant_id", BigInteger),
        column("idempotency_key", String),
        column("request_sha256", String),
        column("network_id", BigInteger),
        column("currency", String),
        column("net_cost_minor", BigInteger),
        column("return_date", Date),
        column("decision_pb", LargeBinary),
        column("created_at", DateTime(timezone=True)),
    )


def _alembic(engine: Engine, revision: str, *, down: bool = False) -> None:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with writer(engine).connect() as conn:
        cfg.attributes["connection"] = conn
        (command.downgrade if down else command.upgrade)(cfg, revision)
        conn.commit()


@pytest.fixture
def old_db(
    database_url: str, routed: list[Decision]
) -> Iterator[tuple[Engine, dict[str, Decision]]]:
    """A database at revision 0003 holding ``ROWS`` decisions stored as the store did then:
    ``decision_to_proto(d).SerializeToString()`` (what ``decision_bytes`` answered)."""
    eng = make_engine(database_url)
    upgrade(eng, "0003")
    now = datetime.now(UTC)
    tenants = table(
        "tenants",
        column("id", BigInteger),
        column("name", String),
        column("created_at", DateTime(timezone=True)),
    )
    networks = table(
        "networks",
        column("id", BigInteger),
        column("name", String),
        column("sha256", String),
        column("toml_text", String),
        column("created_at", DateTime(timezone=True)),
    )
    reservations = table(
        "capacity_reservations",
        column("decision_seq", BigInteger),
        column("facility_id", String),
        column("day", Date),
        column("units", Integer),
    )
    kept: dict[str, Decision] = {}
    with eng.begin() as conn:
        tids = [
            conn.execute(
                insert(tenants).values(name=n, created_at=now).returning(tenants.c.id)
            ).scalar_one()
            for n in TENANTS
        ]
        nid = conn.execute(
            insert(networks)
            .values(name="default", sha256="0" * 64, toml_text="#", created_at=now)
            .returning(networks.c.id)
        ).scalar_one()
        rows = []
        for i in range(ROWS):
            base = routed[i % len(routed)]
            # (the wire form never carried the request: a legacy row has none to replay)
            d = dataclasses.replace(
                base, decision_id=f"d{i:05d}", idempotency_key=f"k{i}", request=None
            )
            kept[d.decision_id] = d
            rows.append(
                {
                    "decision_id": d.decision_id,
                    "tenant_id": tids[i % len(tids)],
                    "idempotency_key": d.idempotency_key,
                    "request_sha256": "f" * 64,
                    "network_id": nid,
                    "currency": d.currency,
                    "net_cost_minor": d.chosen.net_cost_minor,
                    "return_date": d.return_date,
                    "decision_pb": decision_to_proto(d).SerializeToString(),
                    "created_at": now,
                }
            )
        conn.execute(insert(decisions_0003()), rows)
        first = conn.execute(select(decisions_0003().c.seq).limit(1)).scalar_one()
        conn.execute(
            insert(reservations).values(
                decision_seq=first, facility_id="hub_nl", day=date(2026, 11, 2), units=1
            )
        )
    yield eng, kept
    eng.dispose()


def _read_all(eng: Engine) -> dict[str, Decision]:
    """Every decision through the store's own reads (find by id, and pages per tenant)."""
    store = SqlDecisionStore(eng, network_id=1)
    found: dict[str, Decision] = {}
    for tenant in TENANTS:
        before = None
        while True:
            page = store.page(tenant, size=200, before=before)
            found.update((s.decision.decision_id, s.decision) for s in page.items)
            if page.next_before is None:
                break
            before = page.next_before
    store.close()
    return found


def test_upgrade_rewrites_wire_rows_into_the_stored_form(
    old_db: tuple[Engine, dict[str, Decision]],
) -> None:
    """After upgrading a 0003 database, every row is in format 1 and every decision reads back
    equal to the one stored as wire bytes: by page, by id and by idempotency key."""
    eng, kept = old_db
    upgrade(eng)
    assert current_revision(eng) == ScriptDirectory(str(MIGRATIONS)).get_current_head()
    with eng.connect() as conn:
        blobs = conn.execute(select(DecisionRow.decision_id, DecisionRow.decision_blob)).all()
    assert len(blobs) == ROWS
    assert {bytes(b)[0] for _, b in blobs} == {FORMAT_V1}
    assert all(decode_decision(bytes(b)) == kept[i] for i, b in blobs)
    assert _read_all(eng) == kept
    store = SqlDecisionStore(eng, network_id=1)
    try:
        for n in (0, 1, ROWS - 1):
            d = kept[f"d{n:05d}"]
            tenant = TENANTS[n % len(TENANTS)]
            assert store.find(tenant, d.decision_id).decision == d
            assert store.get(tenant, d.idempotency_key, "f" * 64) == d
    finally:
        store.close()


def test_downgrade_gives_the_wire_rows_back(old_db: tuple[Engine, dict[str, Decision]]) -> None:
    """Upgrading then downgrading to 0003 leaves wire bytes in ``decision_pb`` that decode to
    the same decisions (and upgrading again reads them all back once more)."""
    eng, kept = old_db
    upgrade(eng)
    _alembic(eng, "0003", down=True)
    assert current_revision(eng) == "0003"
    old = decisions_0003()
    with eng.connect() as conn:
        rows = conn.execute(select(old.c.decision_id, old.c.decision_pb)).all()
    assert len(rows) == ROWS
    for decision_id, blob in rows:
        msg = routing_pb2.RouteDecision.FromString(bytes(blob))
        assert decision_from_proto(msg) == kept[decision_id]
    upgrade(eng)
    assert _read_all(eng) == kept


# -- 0005: plan jobs ------------------------------------------------------------------------

JOB_COLUMNS = ("spec", "progress", "error", "plan")


def plan_jobs_0004() -> TableClause:
    return table(
        "plan_jobs",
        column("job_id", String),
        column("tenant_id", BigInteger),
        column("state", String),
        column("returns", Integer),
        column("created_at", DateTime(timezone=True)),
        column("updated_at", DateTime(timezone=True)),
        *(column(c, LargeBinary) for c in JOB_COLUMNS),
    )


def _pickled(obj: object) -> bytes | None:
    """A job part as SqlJobStore wrote it until revision 0005."""
    return None if obj is None else pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)


def test_job_pickles_become_stored_forms_and_back(database_url: str) -> None:
    """Plan jobs pickled at revision 0004 (a succeeded one with plan and progress, a failed one
    with its error, 205 queued ones: two chunks) read back equal through SqlJobStore after the
    upgrade, every blob in format 1; downgrading to 0004 gives equal pickles back."""
    eng = make_engine(database_url)
    try:
        upgrade(eng, "0004")
        golden = {c: value for c, (_, value) in golden_jobs().items()}
        now = datetime.now(UTC)
        tenants = table(
            "tenants",
            column("id", BigInteger),
            column("name", String),
            column("created_at", DateTime(timezone=True)),
        )
        wanted = {
            "done": (
                JobState.SUCCEEDED,
                {"spec": golden["spec"], "progress": golden["progress"], "plan": golden["plan"]},
            ),
            "failed": (JobState.FAILED, {"spec": golden["spec"], "error": golden["error"]}),
        }
        for i in range(205):
            wanted[f"q{i:03d}"] = (JobState.QUEUED, {"spec": golden["spec"]})
        with eng.begin() as conn:
            tid = conn.execute(
                insert(tenants).values(name="acme", created_at=now).returning(tenants.c.id)
            ).scalar_one()
            conn.execute(
                insert(plan_jobs_0004()),
                [
                    {
                        "job_id": job_id,
                        "tenant_id": tid,
                        "state": state.value,
                        "returns": 4,
                        "created_at": now,
                        "updated_at": now,
                        **{c: _pickled(parts.get(c)) for c in JOB_COLUMNS},
                    }
                    for job_id, (state, parts) in wanted.items()
                ],
            )
        upgrade(eng)
        store = SqlJobStore(eng)
        for job_id, (state, parts) in wanted.items():
            got = store.get(job_id)
            assert (got.state, got.tenant) == (state, "acme")
            assert {c: getattr(got, c) for c in JOB_COLUMNS} == {
                c: parts.get(c) for c in JOB_COLUMNS
            }
        old = plan_jobs_0004()
        with eng.connect() as conn:
            rows = conn.execute(select(old)).all()
        firsts = {bytes(getattr(r, c))[0] for r in rows for c in JOB_COLUMNS if getattr(r, c)}
        assert firsts == {FORMAT_V1}
        _alembic(eng, "0004", down=True)
        with eng.connect() as conn:
            rows = conn.execute(select(old)).all()
        assert len(rows) == len(wanted)
        for r in rows:
            parts = wanted[r.job_id][1]
            for c in JOB_COLUMNS:
                blob = getattr(r, c)
                assert (None if blob is None else pickle.loads(blob)) == parts.get(c)
    finally:
        eng.dispose()
