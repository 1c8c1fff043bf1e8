"""A first import without index upkeep: the inbox's indexes are built once, after the orders.

Keeping eight sort indexes and the substring index (SQLite's FTS5 table,
PostgreSQL's trigram indexes) current row by row was most of a first
import's cost.  When a poll starts on an empty ``orders`` table, the sort
indexes and the FTS insert trigger are dropped; when it ends, however it
ends, they are created again and the FTS table is filled in one pass.
Both steps are idempotent and safe to run by two processes at once
(``IF EXISTS``/``IF NOT EXISTS``, and the fill skips rows already there).
A process killed in between leaves them missing: :func:`repair` runs at
every open and puts them back, so a crash costs speed, never correctness.
"""

from __future__ import annotations

import importlib

from peewee import Database, PostgresqlDatabase, SqliteDatabase

_INDEXES = importlib.import_module("orderupd_tui.db.migrations.0002_inbox_indexes")

#: The FTS insert trigger, as migration 0002 created it.
_FTS_TRIGGER = next(s for s in _INDEXES.SQLITE_FTS if "orders_fts_insert" in s)
_FTS_FILL = (
    "INSERT INTO orders_fts (rowid, number, customer, email, store) "
    "SELECT o.id, o.number, o.customer, o.email, s.name FROM orders o "
    "JOIN store s ON s.id = o.store_id "
    "WHERE o.id NOT IN (SELECT rowid FROM orders_fts)"
)


def defer_indexes(db: Database) -> bool:
    """Drop the inbox indexes if ``orders`` is empty; True when they were (or are) deferred."""
    with db.atomic():
        if db.execute_sql("SELECT 1 FROM orders LIMIT 1").fetchone() is not None:
            return False
        for name, _columns in _INDEXES.SORT_INDEXES:
            db.execute_sql(f"DROP INDEX IF EXISTS {name}")
        if isinstance(db, SqliteDatabase):
            db.execute_sql("DROP TRIGGER IF EXISTS orders_fts_insert")
        elif isinstance(db, PostgresqlDatabase):
            for column in _INDEXES.PG_TRGM_COLUMNS:
                db.execute_sql(f"DROP INDEX IF EXISTS orders_{column}_trgm")
    return True


def restore_indexes(db: Database) -> None:
    """Create whatever :func:`defer_indexes` dropped, and index the orders stored meanwhile."""
    with db.atomic():
        for name, columns in _INDEXES.SORT_INDEXES:
            db.execute_sql(f"CREATE INDEX IF NOT EXISTS {name} ON orders ({columns})")
        if isinstance(db, SqliteDatabase) and _has_table(db, "orders_fts"):
            if not _has_trigger(db, "orders_fts_insert"):
                db.execute_sql(_FTS_TRIGGER)
            db.execute_sql(_FTS_FILL)
        elif isinstance(db, PostgresqlDatabase):
            schema = _INDEXES._trgm_schema(db)
            if schema is not None:
                for column in _INDEXES.PG_TRGM_COLUMNS:
                    db.execute_sql(f'CREATE INDEX IF NOT EXISTS orders_{column}_trgm ON orders '
                                   f'USING gin ({column} "{schema}".gin_trgm_ops)')


def repair(db: Database) -> None:
    """At open: put back indexes a killed first import left dropped (a no-op otherwise)."""
    missing = {name for name, _ in _INDEXES.SORT_INDEXES} - _index_names(db)
    trigger_gone = (isinstance(db, SqliteDatabase) and _has_table(db, "orders_fts")
                    and not _has_trigger(db, "orders_fts_insert"))
    if missing or trigger_gone:
        restore_indexes(db)


def _index_names(db: Database) -> set[str]:
    if isinstance(db, SqliteDatabase):
        rows = db.execute_sql("SELECT name FROM sqlite_master WHERE type = 'index' "
                              "AND tbl_name = 'orders'").fetchall()
    else:
        rows = db.execute_sql("SELECT indexname FROM pg_indexes WHERE tablename = 'orders' "
                              "AND schemaname = current_schema()").fetchall()
    return {row[0] for row in rows}


def _has_table(db: SqliteDatabase, name: str) -> bool:
    return db.execute_sql("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?",
                          (name,)).fetchone() is not None


def _has_trigger(db: SqliteDatabase, name: str) -> bool:
    return db.execute_sql("SELECT 1 FROM sqlite_master WHERE type = 'trigger' AND name = ?",
                          (name,)).fetchone() is not None
