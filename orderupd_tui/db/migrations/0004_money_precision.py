"""Money columns with three decimals: ``DECIMAL(15, 3)`` instead of ``DECIMAL(14, 2)``.

KWD, BHD, OMR, JOD, TND and other ISO 4217 currencies have three minor
digits; in a two-decimal column their last digit was rounded away.  The
integer part stays at 12 digits, so every amount already stored fits.

PostgreSQL enforces the declared type, so the columns are altered there
(which also rebuilds the index on ``orders.total``).  SQLite keeps any
``DECIMAL`` as a number whatever its declared size, so nothing changes on
disk there and the migration only records itself.

The migrations are matched by name, not by an unbroken count: this file
may run before a lower-numbered one that arrives later, so it touches only
the two money columns.
"""

from peewee import PostgresqlDatabase

#: (table, column) of every money column.
MONEY_COLUMNS = (("orders", "total"), ("posting", "amount"))


def up(migrator, db):
    if not isinstance(db, PostgresqlDatabase):
        return
    for table, column in MONEY_COLUMNS:
        db.execute_sql(f'ALTER TABLE "{table}" ALTER COLUMN "{column}" TYPE NUMERIC(15, 3)')
