"""Replicas starting together on one empty database: each migrates, one at a time, and all
find the schema current (no "relation already exists" crash on PostgreSQL)."""

from __future__ import annotations

import multiprocessing
import traceback

from alembic.script import ScriptDirectory

from routing.store.database import MIGRATIONS, current_revision, make_engine, upgrade


def _migrate(url: str, go: object, out: object) -> None:
    engine = make_engine(url)
    try:
        go.wait()  # type: ignore[attr-defined]
        upgrade(engine)
        out.put("")  # type: ignore[attr-defined]
    except BaseException:
        out.put(traceback.format_exc())  # type: ignore[attr-defined]
    finally:
        engine.dispose()


def test_concurrent_upgrades_all_succeed(database_url: str) -> None:
    """Three processes (three replicas) migrate an empty database at the same moment: none
    fails, and the database ends at the head revision."""
    ctx = multiprocessing.get_context("spawn")
    go, out = ctx.Barrier(3), ctx.Queue()
    procs = [ctx.Process(target=_migrate, args=(database_url, go, out)) for _ in range(3)]
    for p in procs:
        p.start()
    errors = [out.get(timeout=120) for _ in procs]
    for p in procs:
        p.join(30)
    assert [e for e in errors if e] == []
    engine = make_engine(database_url)
    try:
        assert current_revision(engine) == ScriptDirectory(str(MIGRATIONS)).get_current_head()
    finally:
        engine.dispose()
