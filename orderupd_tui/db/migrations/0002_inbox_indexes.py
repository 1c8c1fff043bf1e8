"""Indexes for the inbox: one per sort order, and a substring index for the filter.

The inbox pages through up to millions of orders with keyset queries
(``WHERE (key, id) > (?, ?) ORDER BY key, id LIMIT n``), so each sort it
offers has an index whose columns are exactly that key plus ``id``.

The filter matches a substring of the number, customer, email or store
name.  A plain ``LIKE '%…%'`` reads every row, so each database gets a
real substring index:

- SQLite: an FTS5 table with the trigram tokenizer, kept in step with
  ``orders`` (and store renames) by triggers;
- PostgreSQL: ``pg_trgm`` GIN indexes.  Creating the extension needs a
  privilege some hosted databases withhold; then the filter still works,
  by scanning, and a warning says what to ask the database owner for.
"""

import logging

from peewee import DatabaseError, PostgresqlDatabase, SqliteDatabase

log = logging.getLogger("orderupd_tui.db.migrations")

#: (index name, columns) for each inbox sort; every key ends with ``id`` for keyset paging.
SORT_INDEXES = (
    ("orders_by_created", "created_at, id"),
    ("orders_by_number", "length(number), number, id"),
    ("orders_by_store", "store_id, created_at, id"),
    ("orders_by_customer", "customer, id"),
    ("orders_by_total", "total, id"),
    ("orders_by_payment", "payment_status, created_at, id"),
    ("orders_by_fulfillment", "fulfillment_status, created_at, id"),
    ("orders_by_accounting", "accounting_state, created_at, id"),
)

SQLITE_FTS = (
    "CREATE VIRTUAL TABLE orders_fts USING fts5(number, customer, email, store, "
    "tokenize='trigram')",
    "INSERT INTO orders_fts (rowid, number, customer, email, store) "
    "SELECT o.id, o.number, o.customer, o.email, s.name FROM orders o "
    "JOIN store s ON s.id = o.store_id",
    "CREATE TRIGGER orders_fts_insert AFTER INSERT ON orders BEGIN "
    "INSERT INTO orders_fts (rowid, number, customer, email, store) VALUES "
    "(new.id, new.number, new.customer, new.email, "
    "(SELECT name FROM store WHERE id = new.store_id)); END",
    "CREATE TRIGGER orders_fts_delete AFTER DELETE ON orders BEGIN "
    "DELETE FROM orders_fts WHERE rowid = old.id; END",
    # Re-downloads rewrite these columns with the same values: only real edits touch the index.
    "CREATE TRIGGER orders_fts_update AFTER UPDATE OF number, customer, email, store_id "
    "ON orders WHEN old.number IS NOT new.number OR old.customer IS NOT new.customer "
    "OR old.email IS NOT new.email OR old.store_id IS NOT new.store_id BEGIN "
    "UPDATE orders_fts SET number = new.number, customer = new.customer, email = new.email, "
    "store = (SELECT name FROM store WHERE id = new.store_id) WHERE rowid = old.id; END",
    "CREATE TRIGGER store_fts_rename AFTER UPDATE OF name ON store "
    "WHEN old.name IS NOT new.name BEGIN "
    "UPDATE orders_fts SET store = new.name "
    "WHERE rowid IN (SELECT id FROM orders WHERE store_id = new.id); END",
)

#: Columns with a trigram index; ``{ops}`` is the operator class, qualified by the schema the
#: extension lives in (it may not be on this connection's search path).
PG_TRGM_COLUMNS = ("number", "customer", "email")


def up(migrator, db):
    for name, columns in SORT_INDEXES:
        db.execute_sql(f"CREATE INDEX {name} ON orders ({columns})")
    # The Updates pane lists pending updates newest first.
    db.execute_sql(
        "CREATE INDEX order_update_pending_by_detected ON order_update (detected_at, id) "
        "WHERE status = 'pending'"
    )
    db.execute_sql("CREATE INDEX orders_pending ON orders (id) WHERE pending")
    if isinstance(db, SqliteDatabase):
        _sqlite_fts(db)
    elif isinstance(db, PostgresqlDatabase):
        _pg_trgm(db)


def _sqlite_fts(db):
    if not _has_fts5_trigram(db):
        log.warning(
            "this SQLite has no FTS5 trigram tokenizer (it needs SQLite 3.34 or later with "
            "FTS5): the inbox filter will scan every order instead of using an index"
        )
        return
    for statement in SQLITE_FTS:
        db.execute_sql(statement)


def _has_fts5_trigram(db):
    try:
        with db.atomic():
            db.execute_sql("CREATE VIRTUAL TABLE temp.fts_probe USING fts5(x, tokenize='trigram')")
            db.execute_sql("DROP TABLE temp.fts_probe")
    except DatabaseError:
        return False
    return True


def _pg_trgm(db):
    schema = _trgm_schema(db)
    if schema is None:
        reason = _create_trgm(db)
        if reason:
            log.warning(
                "cannot create the pg_trgm extension (%s): the inbox filter will scan every "
                "order instead of using an index; ask the database owner to run "
                "'CREATE EXTENSION pg_trgm' in this database, then create the indexes "
                "listed in orderupd_tui/db/migrations/0002_inbox_indexes.py",
                reason,
            )
            return
        schema = _trgm_schema(db)
    for column in PG_TRGM_COLUMNS:
        db.execute_sql(f'CREATE INDEX orders_{column}_trgm ON orders USING gin '
                       f'({column} "{schema}".gin_trgm_ops)')


def _create_trgm(db):
    """Install pg_trgm, in ``public`` where possible (shared by every schema); else the
    first schema of the search path.  Returns why it failed, or None."""
    reason = None
    for statement in ("CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA public",
                      "CREATE EXTENSION IF NOT EXISTS pg_trgm"):
        try:
            with db.atomic():  # a savepoint: a refusal must not abort the whole upgrade
                db.execute_sql(statement)
            return None
        except DatabaseError as exc:
            text = str(exc).strip()
            reason = text.splitlines()[0] if text else "refused"
    return reason


def _trgm_schema(db):
    """The schema pg_trgm is installed in, or None when it is not installed."""
    row = db.execute_sql(
        "SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace "
        "WHERE e.extname = 'pg_trgm'"
    ).fetchone()
    return row[0] if row else None
