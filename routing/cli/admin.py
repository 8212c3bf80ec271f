"""``reroute db upgrade`` and ``reroute keys create|list|revoke``: administration on the
database directly (``--database-url``, else REROUTE_DATABASE_URL, else the SQLite default)."""

from __future__ import annotations

import argparse
import json
import sys

from sqlalchemy import Engine

from routing.store.database import database_url, make_engine, redacted, upgrade
from routing.store.tenants import create_key, list_keys, revoke_key


def _engine(a: argparse.Namespace) -> Engine:
    engine = make_engine(database_url(a.database_url))
    upgrade(engine)
    return engine


def cmd_db_upgrade(a: argparse.Namespace) -> int:
    engine = make_engine(database_url(a.database_url))
    upgrade(engine)
    print(f"database {redacted(database_url(a.database_url))}: schema up to date")
    return 0


def cmd_keys_create(a: argparse.Namespace) -> int:
    key_id, clear = create_key(_engine(a), a.tenant, label=a.label)
    if a.json:
        print(json.dumps({"id": key_id, "tenant": a.tenant, "key": clear}))
    else:
        print(clear)
        print(
            f"key {key_id} for tenant {a.tenant!r}: shown once, only its hash is kept",
            file=sys.stderr,
        )
    return 0


def cmd_keys_list(a: argparse.Namespace) -> int:
    keys = list_keys(_engine(a), a.tenant)
    if a.json:
        print(
            json.dumps(
                [
                    {
                        "id": k.id,
                        "tenant": k.tenant,
                        "label": k.label,
                        "created_at": k.created_at.isoformat(),
                        "revoked_at": k.revoked_at.isoformat() if k.revoked_at else None,
                    }
                    for k in keys
                ],
                indent=2,
            )
        )
        return 0
    print(f"{'id':<16} {'tenant':<20} {'created (UTC)':<20} {'state':<8} label")
    for k in keys:
        state = "revoked" if k.revoked_at else "active"
        print(f"{k.id:<16} {k.tenant:<20} {k.created_at:%Y-%m-%d %H:%M:%S}  {state:<8} {k.label}")
    return 0


def cmd_keys_revoke(a: argparse.Namespace) -> int:
    revoke_key(_engine(a), a.key_id)
    print(f"revoked {a.key_id} (servers stop accepting it within their key cache time, 5 s)")
    return 0


def add_admin_commands(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    def db_flag(p: argparse.ArgumentParser) -> None:
        p.add_argument(
            "--database-url",
            help="SQLAlchemy URL (default: $REROUTE_DATABASE_URL, else"
            " sqlite:///<data dir>/reroute.db)",
        )

    d = sub.add_parser("db", help="the database")
    dsub = d.add_subparsers(dest="db_command", required=True)
    up = dsub.add_parser("upgrade", help="migrate the database to the current schema")
    db_flag(up)
    up.set_defaults(func=cmd_db_upgrade)

    k = sub.add_parser("keys", help="API keys of tenants")
    ksub = k.add_subparsers(dest="keys_command", required=True)
    c = ksub.add_parser("create", help="a new key (the tenant is created if new)")
    c.add_argument("--tenant", required=True)
    c.add_argument("--label", default="", help="what the key is for")
    c.add_argument("--json", action="store_true")
    db_flag(c)
    c.set_defaults(func=cmd_keys_create)
    ls = ksub.add_parser("list", help="keys (ids, tenants, state; never the keys)")
    ls.add_argument("--tenant")
    ls.add_argument("--json", action="store_true")
    db_flag(ls)
    ls.set_defaults(func=cmd_keys_list)
    rv = ksub.add_parser("revoke", help="revoke a key by its id (rr_...)")
    rv.add_argument("key_id", metavar="ID")
    db_flag(rv)
    rv.set_defaults(func=cmd_keys_revoke)
