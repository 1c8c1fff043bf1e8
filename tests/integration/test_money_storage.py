"""Orders read from a store, stored, and read back: nothing about their money or lines moves.

normalize -> digest -> stored (the real columns and JSON, on SQLite and on
PostgreSQL) -> from_dict -> diff, for every kind of payload the connectors
must read exactly.  Both databases must hold the same amounts.
"""

from __future__ import annotations

import shutil
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from peewee import PostgresqlDatabase

from orderupd_tui.db import connection, migrate
from orderupd_tui.db.connection import open_database
from orderupd_tui.db.models import Order, Posting, Store, database, utcnow
from orderupd_tui.db.records import insert_orders, local_copy, order_columns
from orderupd_tui.domain.changes import diff
from orderupd_tui.domain.order import MAX_AMOUNT, NormalizedOrder
from orderupd_tui.stores import bigcommerce, magento, shopify, woocommerce
from orderupd_tui.stores.base import RemoteOrder
from tests.unit.test_reading_orders import (
    bc,
    bigcommerce_payload,
    mage,
    magento_payload,
    shop,
    shopify_payload,
    woo,
    woo_payload,
)

CASES: dict[str, tuple[Any, dict[str, Any]]] = {
    "woo KWD 12.345": (woocommerce.normalize,
                       woo_payload("KWD", "12.345", [(1, 1, "12.345", "12.345")])),
    "woo JPY 1500": (woocommerce.normalize,
                     woo_payload("JPY", "1500", [(1, 1, "1500.00", "1500.00")])),
    "woo 1.5 kg": (woocommerce.normalize, woo_payload("USD", "6.00", [(1, 1.5, 4, "6.00")])),
    "woo repeated line": (woocommerce.normalize,
                          woo_payload("USD", "25.00", [(7, 1, "25.00", "25.00")] * 2)),
    "woo unpaid COD": (woocommerce.normalize, woo(payment_method="cod", date_paid_gmt=None)),
    "magento unpaid processing": (magento.normalize, mage(total_paid=None, total_due=165)),
    "magento BHD 7.125": (magento.normalize,
                          magento_payload("BHD", 7.125, [(1, 0.25, 28.5, 7.125)])),
    "shopify JPY": (shopify.normalize, shopify_payload("JPY", "1500", [(1, 3, "500", "1500")])),
    "shopify outstanding": (shopify.normalize, shop(total_outstanding="25.00")),
    "bigcommerce KWD": (bigcommerce.normalize,
                        bigcommerce_payload("KWD", "12.3450", [(1, 1, "12.3450", "12.3450")])),
    "bigcommerce cod": (bigcommerce.normalize,
                        bc(payment_status="", payment_method="Cash on Delivery")),
    "largest amount": (woocommerce.normalize,
                       woo_payload("KWD", str(MAX_AMOUNT - Decimal("0.001")), [])),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_stored_order_reads_back_unchanged(db_url: str, case: str) -> None:
    read, payload = CASES[case]
    order: NormalizedOrder = read(payload)
    db = open_database(db_url)
    try:
        store = Store.create(name="main", platform="woocommerce")
        insert_orders([{**order_columns(RemoteOrder(order, payload), order.digest()),
                        "store": store.id, "remote_id": order.remote_id}])
        row = Order.get()
        assert row.total == order.total  # the column, on either database
        stored = local_copy(row)
        assert stored == order and diff(order, stored) == [] and diff(stored, order) == []
        assert stored.digest() == row.digest == order.digest()
        Posting.create(posting_id="p-1", order=row, backend="beancount", state="pending",
                       amount=order.total, currency=order.currency, created_at=utcnow())
        assert Posting.get().amount == order.total
    finally:
        db.close()


def test_the_money_columns_hold_three_decimals(db_url: str) -> None:
    db = open_database(db_url)
    try:
        if isinstance(db, PostgresqlDatabase):
            scale = db.execute_sql(
                "SELECT numeric_precision, numeric_scale FROM information_schema.columns "
                "WHERE table_schema = current_schema() AND table_name = %s "
                "AND column_name = %s", ("orders", "total")).fetchone()
            assert scale == (15, 3)
        store = Store.create(name="main", platform="woocommerce")
        order = woocommerce.normalize(woo_payload("KWD", "999999999999.999", []))
        insert_orders([{**order_columns(RemoteOrder(order, {}), order.digest()),
                        "store": store.id, "remote_id": order.remote_id}])
        assert str(Order.get().total) == "999999999999.999"
    finally:
        db.close()


def test_migration_0004_widens_the_columns_of_an_existing_database(db_url: str,
                                                                   tmp_path: Path) -> None:
    """A database made before 0004 keeps its amounts and then takes a third decimal."""
    older = tmp_path / "migrations"
    older.mkdir()
    for path in sorted(migrate.MIGRATIONS.glob("[0-9]*.py")):
        if path.name < "0004":
            shutil.copy(path, older / path.name)
    db = connection._make(db_url)
    db.connect()
    database.initialize(db)
    try:
        migrate.upgrade(db, older)
        store = Store.create(name="main", platform="woocommerce")
        db.execute_sql(
            "INSERT INTO orders (store_id, remote_id, number, created_at, updated_at, customer, "
            "email, total, currency, payment_status, fulfillment_status, order_status, "
            "platform_status, local_status, pending, accounting_state, data, payload, digest, "
            f"downloaded_at) VALUES ({db.param}, '1', '1', {db.param}, {db.param}, '', '', "
            "123456789012.34, 'USD', 'paid', 'unfulfilled', 'open', '', 'active', "
            f"{db.param}, 'unposted', '{{}}', '{{}}', 'd', {db.param})",
            (store.id, utcnow(), utcnow(), False, utcnow()))
        assert "0004_money_precision" in migrate.upgrade(db)
        assert Order.get().total == Decimal("123456789012.34")
        Order.update(total=Decimal("12.345")).execute()
        assert str(Order.get().total) == "12.345"
    finally:
        db.close()
