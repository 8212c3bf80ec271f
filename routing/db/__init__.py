"""Persistence: SQLAlchemy 2 models, alembic migrations shipped with the package, the SQL
decision store and the tenant/API-key repository.

SQLite file by default (``default_database_url()``: ``$REROUTE_DATA_DIR/reroute.db``, else
``$XDG_DATA_HOME/reroute/reroute.db``, else ``~/.local/share/reroute/reroute.db``);
PostgreSQL through ``postgresql+psycopg://...`` in ``--database-url`` or
``REROUTE_DATABASE_URL``.
"""
