"""BigCommerce V2 payloads (the OpenAPI examples and 2013 VCR recordings), normalized."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml

from orderupd_tui.domain.changes import diff, kinds_of
from orderupd_tui.stores.bigcommerce import STATUSES, normalize


def load(fixtures_dir: Path, name: str) -> Any:
    return json.loads((fixtures_dir / "bigcommerce" / name).read_text(encoding="utf-8"))


def recorded_bodies(fixtures_dir: Path, name: str) -> list[Any]:
    cassette = yaml.safe_load((fixtures_dir / "bigcommerce" / name).read_text(encoding="utf-8"))
    return [json.loads(i["response"]["body"]["string"]) for i in cassette["http_interactions"]]


def test_the_single_order_with_its_products_and_addresses(fixtures_dir: Path) -> None:
    order = normalize(load(fixtures_dir, "docs_v2_order_get.json"),
                      load(fixtures_dir, "docs_v2_order_products.json"),
                      load(fixtures_dir, "docs_v2_order_shipping_addresses.json"))
    assert (order.remote_id, order.number, order.currency) == ("218", "218", "USD")
    assert (order.customer, order.email) == ("Jane Doe", "janedoe@example.com")
    # Four-decimal strings to cents: "69.8400" exactly; "62.6793" rounded half-even.
    assert order.total == Decimal("69.84")
    assert (order.subtotal, order.tax, order.shipping, order.discount) == (
        Decimal("62.68"), Decimal("5.31"), Decimal("11.09"), Decimal("5.00"))
    assert order.created_at == datetime(2019, 3, 5, 21, 40, 11, tzinfo=UTC)
    assert order.updated_at == datetime(2019, 3, 11, 15, 17, 25, tzinfo=UTC)
    # Awaiting Payment (7), but the gateway already authorized it.
    assert order.platform_status == "Awaiting Payment"
    assert (order.payment_status, order.fulfillment_status, order.order_status) == (
        "authorized", "unfulfilled", "open")
    assert [(li.sku, li.quantity, li.unit_price, li.total) for li in order.line_items] == [
        ("S-ORAN", 1, Decimal("55.99"), Decimal("55.99")),
        ("ABS", 1, Decimal("0.00"), Decimal("0.00")),
    ]
    assert order.shipping_address is not None and order.billing_address is not None
    assert order.shipping_address.one_line() == (
        "Trishy Smith, Acme Pty Ltd, 666 Sussex St, San Antonio, Texas, 78251, US")
    assert order.billing_address.line1 == "555 East Street"
    assert order.extra["shipping_addresses"] == "2"


def test_the_multiple_items_example_falls_back_to_the_default_currency(fixtures_dir: Path) -> None:
    """The documented example has a mangled ``currency_code"`` key: the store default stands in."""
    raw = load(fixtures_dir, "docs_v2_order_get_multiple_items.json")
    assert "currency_code" not in raw
    order = normalize(raw)
    assert (order.number, order.total, order.currency) == ("247", Decimal("1008.74"), "USD")
    assert (order.customer, order.email) == ("Jane Doe", "janedoe@email.com")
    # "captured", Awaiting Fulfillment, but by the Test Payment Gateway: no money moved.
    assert (order.payment_status, order.fulfillment_status, order.order_status) == (
        "unknown", "unfulfilled", "open")
    assert order.note == "Custom Journal Added"
    assert order.line_items == () and order.shipping_address is None  # links only, not fetched


def test_the_orders_list(fixtures_dir: Path) -> None:
    orders = [normalize(raw) for raw in load(fixtures_dir, "docs_v2_orders_list.json")]
    assert [(o.number, o.total, o.currency, o.customer, o.platform_status, o.payment_status)
            for o in orders] == [
        ("100", Decimal("361.95"), "USD", "Jane Doe", "Awaiting Fulfillment", "authorized"),
    ]


@pytest.mark.parametrize("name", ["vcr_2013_orders_collection.yml",
                                  "vcr_2013_orders_filter_by_date.yml"])
def test_the_2013_recordings(fixtures_dir: Path, name: str) -> None:
    """A real store's answer: empty payment_status, so the status (11) decides payment."""
    (body,) = recorded_bodies(fixtures_dir, name)
    (order,) = [normalize(raw) for raw in body]
    assert (order.number, order.total, order.currency) == ("100", Decimal("158.95"), "USD")
    assert (order.customer, order.email) == ("", "test.customer@foobar.xyz.com")
    assert order.created_at == datetime(2013, 3, 24, 23, 7, 53, tzinfo=UTC)
    assert (order.payment_status, order.fulfillment_status, order.order_status) == (
        "paid", "unfulfilled", "open")


def test_the_extracted_recording_body_matches_the_cassette(fixtures_dir: Path) -> None:
    extracted = load(fixtures_dir, "vcr_2013_orders_collection_body.json")
    (recorded,) = recorded_bodies(fixtures_dir, "vcr_2013_orders_collection.yml")
    assert [normalize(r) for r in extracted] == [normalize(r) for r in recorded]


def test_every_documented_status_id_is_mapped(fixtures_dir: Path) -> None:
    ids = {s["id"] for s in load(fixtures_dir, "docs_v2_order_statuses.json")}
    counted = {s["id"] for s in load(fixtures_dir, "docs_v2_orders_count.json")["statuses"]}
    assert ids == counted == set(range(15)) == set(STATUSES)


@pytest.mark.parametrize(
    ("status_id", "payment_status", "expected"),
    [
        (2, "captured", ("paid", "fulfilled", "closed")),  # Shipped
        (3, "captured", ("paid", "partial", "open")),  # Partially Shipped
        (4, "refunded", ("refunded", "unfulfilled", "closed")),  # nothing shipped: counts say
        (5, "void", ("voided", "unfulfilled", "cancelled")),
        (6, "declined", ("failed", "unfulfilled", "cancelled")),  # Declined
        (7, "", ("pending", "unfulfilled", "open")),  # Awaiting Payment, manual
        (10, "", ("paid", "fulfilled", "closed")),  # Completed (digital)
        (11, "", ("paid", "unfulfilled", "open")),
        (12, "held for review", ("pending", "unfulfilled", "open")),
        (14, "partially refunded", ("partially_refunded", "unfulfilled", "open")),
    ],
)
def test_status_ids_and_payment_statuses(fixtures_dir: Path, status_id: int,
                                         payment_status: str,
                                         expected: tuple[str, str, str]) -> None:
    statuses = {s["id"]: s["name"] for s in load(fixtures_dir, "docs_v2_order_statuses.json")}
    raw = {**load(fixtures_dir, "docs_v2_orders_list.json")[0], "status_id": status_id,
           "status": statuses[status_id], "payment_status": payment_status}
    order = normalize(raw)
    assert (order.payment_status, order.fulfillment_status, order.order_status) == expected
    assert order.platform_status == statuses[status_id]


def test_shipped_counts_decide_fulfilment_for_waiting_statuses(fixtures_dir: Path) -> None:
    raw = load(fixtures_dir, "docs_v2_orders_list.json")[0]  # 17 items, 0 shipped
    assert normalize({**raw, "items_shipped": 5}).fulfillment_status == "partial"
    assert normalize({**raw, "items_shipped": 17}).fulfillment_status == "fulfilled"


def test_a_partial_refund_raises_payment_and_totals(fixtures_dir: Path) -> None:
    raw = load(fixtures_dir, "docs_v2_orders_list.json")[0]
    before = normalize(raw)
    after = normalize({**raw, "refunded_amount": "10.0000",
                       "date_modified": "Thu, 06 Dec 2018 09:00:00 +0000"})
    assert (after.refunded, after.payment_status) == (Decimal("10.00"), "partially_refunded")
    assert kinds_of(diff(before, after)) == ["payment_status", "totals"]


def test_a_broken_date_is_one_line_naming_the_order(fixtures_dir: Path) -> None:
    raw = {**load(fixtures_dir, "docs_v2_orders_list.json")[0], "date_created": "yesterday"}
    with pytest.raises(ValueError, match=r"^BigCommerce order 100: not an RFC 2822 date"):
        normalize(raw)
