"""Where the database is, how to connect, and migrating it to the current schema.

The URL comes from ``--database-url``, else ``REROUTE_DATABASE_URL``, else a SQLite file in
the data directory (``data_dir()``), created on first use: zero set-up. PostgreSQL URLs use
psycopg 3 (``postgresql+psycopg://user:pass@host/db``; a bare ``postgresql://`` is read the
same way).

SQLite runs in WAL mode with ``synchronous=NORMAL``: a commit is in the WAL file before the
call returns, so a committed decision survives the process being killed (kill -9 included);
an operating-system crash or power loss may roll back the last commits (FULL would fsync each
one: 4.3 against 1.3 ms per decision here; PostgreSQL is the choice when that matters). Also
a busy timeout, foreign keys on, and every writing transaction
(``writer(engine)``) begun with ``BEGIN IMMEDIATE`` so that concurrent writers queue instead
of failing with "database is locked" when a read turns into a write; readers use WAL
snapshots and never wait.
"""

from __future__ import annotations

import os
import sqlite3
import time
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from routing.errors import ConfigurationError

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
SQLITE_BUSY_TIMEOUT_MS = 30_000
WRITE_OPTION = "reroute_write"
MIGRATION_LOCK = 0x7265726F757465  # pg advisory lock key held while migrating ("reroute")


class DatabaseConfigError(ConfigurationError):
    """A database URL or data directory that cannot be used; the message says why."""


def data_dir() -> Path:
    """``$REROUTE_DATA_DIR``, else ``$XDG_DATA_HOME/reroute``, else ~/.local/share/reroute."""
    explicit = os.environ.get("REROUTE_DATA_DIR")
    if explicit:
        return Path(explicit)
    xdg = os.environ.get("XDG_DATA_HOME")
    base = Path(xdg) if xdg else Path.home() / ".local" / "share"
    return base / "reroute"


def database_url(explicit: str | None = None) -> str:
    """The URL to use: ``explicit``, else ``REROUTE_DATABASE_URL``, else the SQLite default."""
    if explicit:
        return explicit
    from_env = os.environ.get("REROUTE_DATABASE_URL")
    if from_env:
        return from_env
    return f"sqlite:///{data_dir() / 'reroute.db'}"


def make_engine(url: str) -> Engine:
    """An engine for ``url`` (validated), tuned for this service's short transactions."""
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise DatabaseConfigError(f"database URL: cannot parse it: {exc}") from exc
    backend = parsed.get_backend_name()
    if backend == "postgresql":
        if parsed.drivername == "postgresql":
            parsed = parsed.set(drivername="postgresql+psycopg")
        if parsed.drivername != "postgresql+psycopg":
            raise DatabaseConfigError(
                f"database URL: driver {parsed.drivername!r} not supported;"
                " use postgresql+psycopg://"
            )
        return create_engine(parsed, pool_pre_ping=True, pool_size=10, max_overflow=20)
    if backend != "sqlite":
        raise DatabaseConfigError(
            f"database URL: {backend!r} not supported; use sqlite:///FILE or"
            " postgresql+psycopg://USER:PASS@HOST/DB"
        )
    if parsed.database and parsed.database != ":memory:":
        folder = Path(parsed.database).expanduser().resolve().parent
        try:
            folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        except OSError as exc:
            raise DatabaseConfigError(
                f"database URL: cannot create folder {folder}: {exc.strerror}"
            ) from exc
        engine = create_engine(parsed)
    else:
        raise DatabaseConfigError("database URL: an in-memory SQLite database is not shared")
    _sqlite_tuning(engine)
    return engine


def _wal(cur: Any) -> None:
    """``PRAGMA journal_mode = WAL``, retried: on a fresh file several processes (replicas
    starting together) switch it at once, and SQLite answers the losers "database is locked"
    at once, without its busy handler; the switch is done once one of them has made it."""
    for attempt in range(50):
        try:
            cur.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or attempt == 49:
                raise
            time.sleep(0.02 * (attempt + 1))


def _sqlite_tuning(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # we emit BEGIN ourselves (below)
        cur = dbapi_conn.cursor()
        cur.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        _wal(cur)
        cur.execute("PRAGMA synchronous = NORMAL")
        cur.execute("PRAGMA foreign_keys = ON")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        write = conn.get_execution_options().get(WRITE_OPTION, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


def writer(engine: Engine) -> Engine:
    """The engine for transactions that write (on SQLite they begin IMMEDIATE)."""
    return engine.execution_options(**{WRITE_OPTION: True})


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Run the packaged alembic migrations up to ``revision``, all in one transaction begun
    here, so that replicas starting together migrate one at a time (the others wait, then find
    the schema current): on PostgreSQL under a transaction-scoped advisory lock, on SQLite
    from ``BEGIN IMMEDIATE`` (the write lock at once). Begun before alembic sees the
    connection, it runs inside it; otherwise alembic commits after each revision on SQLite
    (it takes its DDL for non-transactional) and two processes interleave revisions."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with writer(engine).connect() as conn:
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK})")
        else:
            conn.exec_driver_sql("SELECT 1")  # begins the transaction (BEGIN IMMEDIATE)
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)
        conn.commit()


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        rev = MigrationContext.configure(conn).get_current_revision()
        conn.rollback()
        return rev


def redacted(url: str) -> str:
    return _redact(url)


def _redact(url: str) -> str:
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "<unparseable URL>"
