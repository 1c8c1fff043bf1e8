"""Mal's E-Commerce remote-call fields (the documented field list and cart example), normalized."""

from __future__ import annotations

import csv
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from orderupd_tui.domain.order import UnreadableField
from orderupd_tui.stores.mals import normalize, parse_cart

RECEIVED = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


def documented_cart(fixtures_dir: Path) -> str:
    text = (fixtures_dir / "mals" / "remote_call_cart_example.txt").read_text(encoding="utf-8")
    return next(line for line in text.splitlines() if line and not line.startswith("#"))


def documented_fields(fixtures_dir: Path) -> dict[str, str]:
    """Every documented field with its documented example value (empty where none is given)."""
    with (fixtures_dir / "mals" / "remote_call_fields.tsv").open(encoding="utf-8") as handle:
        fields = {row["field"]: row["example"] for row in csv.DictReader(handle, delimiter="\t")}
    return {**fields, "cart": documented_cart(fixtures_dir)}


def test_the_documented_cart_string(fixtures_dir: Path) -> None:
    items = parse_cart(documented_cart(fixtures_dir))
    assert [(i.description, i.quantity, i.price, i.ship_units, i.stock_code) for i in items] == [
        ("First product description", 1, Decimal("9.99"), "0", "PX001"),
        ("Second product description", 2, Decimal("8.99"), "0", "PT0045"),
    ]


def test_a_colon_in_a_description_stays_in_it() -> None:
    (item,) = parse_cart("Poster: A2 size:3:4.50:1:POS-A2~")
    assert (item.description, item.quantity, item.price, item.stock_code) == (
        "Poster: A2 size", 3, Decimal("4.50"), "POS-A2")


def test_a_malformed_cart_item_is_refused() -> None:
    with pytest.raises(ValueError, match="not desc:qty:price:ship_units:scode"):
        parse_cart("Widget:1:9.99")


def test_the_documented_fields_make_an_order(fixtures_dir: Path) -> None:
    fields = documented_fields(fixtures_dir)
    order = normalize({**fields, "subtotal": "27.97", "total": "27.97"}, RECEIVED)
    assert (order.remote_id, order.number) == ("81343431", "81343431")
    assert (order.total, order.currency) == (Decimal("27.97"), "USD")
    assert order.email == "me@mydomain.com"
    assert [(li.sku, li.title, li.quantity, li.unit_price, li.total)
            for li in order.line_items] == [
        ("PX001", "First product description", 1, Decimal("9.99"), Decimal("9.99")),
        ("PT0045", "Second product description", 2, Decimal("8.99"), Decimal("17.98")),
    ]
    # Paid by PayPal before the call is made; nothing shipped yet; new orders only.
    assert (order.payment_status, order.fulfillment_status, order.order_status) == (
        "paid", "unfulfilled", "open")
    assert order.created_at == order.updated_at == RECEIVED
    assert order.extra["date"] == "21 May 2010 - 19:00"  # no zone: kept for display only
    assert order.billing_address is not None
    assert (order.billing_address.region, order.billing_address.postal_code,
            order.billing_address.phone) == ("NV", "89052", "909-555-1212")
    assert order.shipping_address is None  # no del_* example values


def test_customer_currency_and_offline_payment() -> None:
    fields = {"id": "55", "total": "10.00", "inv_name": "Ann Lee", "method": "Check",
              "cart": "Mug:1:10.00:1:M1", "currency": "0"}
    order = normalize(fields, RECEIVED, currency="GBP")
    assert (order.customer, order.currency, order.payment_status) == ("Ann Lee", "GBP", "pending")


def test_a_call_without_total_is_unreadable_naming_the_field() -> None:
    with pytest.raises(UnreadableField, match=r"^total: missing$"):
        normalize({"id": "55", "cart": ""}, RECEIVED)
