"""WooCommerce payloads from the published REST v3 docs, normalized as the sync sees them."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from orderupd_tui.domain.changes import diff, kinds_of
from orderupd_tui.domain.order import NormalizedOrder, UnreadableField
from orderupd_tui.stores.woocommerce import STATUSES, normalize


def load(fixtures_dir: Path, name: str) -> Any:
    return json.loads((fixtures_dir / "woocommerce" / name).read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    ("name", "number", "total", "status", "payment", "fulfillment", "order_status"),
    [
        ("docs_v3_order_get_727.json", "727", "29.35", "processing", "paid", "unfulfilled",
         "open"),
        ("docs_v3_order_update_status_completed.json", "727", "29.35", "completed", "paid",
         "fulfilled", "closed"),
        ("docs_v3_order_delete_response.json", "727", "29.35", "completed", "paid", "fulfilled",
         "closed"),
    ],
)
def test_each_order_fixture_normalizes(fixtures_dir: Path, name: str, number: str, total: str,
                                       status: str, payment: str, fulfillment: str,
                                       order_status: str) -> None:
    order = normalize(load(fixtures_dir, name))
    assert (order.remote_id, order.number) == ("727", number)
    assert order.total == Decimal(total)
    assert order.currency == "USD"
    assert (order.customer, order.email) == ("John Doe", "john.doe@example.com")
    assert order.platform_status == status
    assert (order.payment_status, order.fulfillment_status, order.order_status) == (
        payment, fulfillment, order_status)


def test_the_orders_list_normalizes_every_order(fixtures_dir: Path) -> None:
    orders = [normalize(raw) for raw in load(fixtures_dir, "docs_v3_orders_list.json")]
    assert [(o.number, o.total, o.currency, o.customer, o.platform_status) for o in orders] == [
        ("727", Decimal("29.35"), "USD", "John Doe", "processing"),
        ("723", Decimal("39.00"), "USD", "João Silva", "completed"),
    ]
    # 723 was completed, then refunded 10.00 and 9.00 of its 39.00.
    refunded = orders[1]
    assert refunded.refunded == Decimal("19.00")
    assert refunded.payment_status == "partially_refunded"
    assert (refunded.fulfillment_status, refunded.order_status) == ("fulfilled", "closed")


def test_order_refunds_match_the_refunds_list(fixtures_dir: Path) -> None:
    """The refund stubs inside order 723 add up to the amounts of its refunds resource."""
    order = next(o for o in load(fixtures_dir, "docs_v3_orders_list.json") if o["id"] == 723)
    refunds = load(fixtures_dir, "docs_v3_order_refunds_list.json")
    assert sum(Decimal(r["amount"]) for r in refunds) == normalize(order).refunded


def test_amounts_dates_lines_and_addresses(fixtures_dir: Path) -> None:
    order = normalize(load(fixtures_dir, "docs_v3_order_get_727.json"))
    # The _gmt fields (19:28 UTC), not the shop-local ones (16:28).
    assert order.created_at == datetime(2017, 3, 22, 19, 28, 2, tzinfo=UTC)
    assert order.updated_at == datetime(2017, 3, 22, 19, 28, 8, tzinfo=UTC)
    assert (order.subtotal, order.tax, order.shipping, order.discount) == (
        Decimal("18.00"), Decimal("1.35"), Decimal("10.00"), Decimal("0.00"))
    assert [(li.sku, li.title, li.quantity, li.unit_price, li.total)
            for li in order.line_items] == [
        ("", "Woo Single #1", 2, Decimal("3.00"), Decimal("6.00")),
        ("Bar3", "Ship Your Idea \u2013 Color: Black, Size: M Test", 1, Decimal("12.00"),
         Decimal("12.00")),
    ]
    assert order.billing_address is not None and order.shipping_address is not None
    assert order.billing_address.one_line() == "John Doe, 969 Market, San Francisco, CA, 94103, US"
    assert order.billing_address.phone == "(555) 555-5555"
    assert order.shipping_address.phone == ""


def test_completing_the_order_raises_order_and_fulfillment_status(fixtures_dir: Path) -> None:
    before = normalize(load(fixtures_dir, "docs_v3_order_get_727.json"))
    after = normalize(load(fixtures_dir, "docs_v3_order_update_status_completed.json"))
    changes = diff(before, after)
    assert kinds_of(changes) == ["order_status", "fulfillment_status"]
    assert {(c.field, c.old, c.new) for c in changes} == {
        ("order_status", "open", "closed"),
        ("fulfillment_status", "unfulfilled", "fulfilled"),
    }
    assert before.digest() != after.digest()


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        # No payment date: a bank transfer (bacs) in processing is still owed, and a
        # completed order without one contradicts itself.
        ("pending", ("pending", "unfulfilled", "open")),
        ("processing", ("pending", "unfulfilled", "open")),
        ("on-hold", ("pending", "unfulfilled", "open")),
        ("completed", ("unknown", "fulfilled", "closed")),
        ("cancelled", ("voided", "unfulfilled", "cancelled")),
        ("refunded", ("refunded", "unknown", "closed")),
        ("failed", ("failed", "unfulfilled", "open")),
        ("shipped", ("unknown", "unknown", "open")),  # a plugin's status
    ],
)
def test_every_status_maps(fixtures_dir: Path, status: str, expected: tuple[str, str, str]) -> None:
    raw = load(fixtures_dir, "docs_v3_order_get_727.json")
    raw["status"] = status
    raw["date_paid_gmt"] = None
    order = normalize(raw)
    assert (order.payment_status, order.fulfillment_status, order.order_status) == expected
    assert order.platform_status == status


def test_the_table_covers_every_core_status() -> None:
    core = ["pending", "processing", "on-hold", "completed", "cancelled", "refunded", "failed"]
    assert sorted(STATUSES) == sorted(core)


def test_cancelling_raises_cancelled_and_paid_cancellations_stay_paid(fixtures_dir: Path) -> None:
    raw = load(fixtures_dir, "docs_v3_order_get_727.json")
    before = normalize(raw)
    cancelled = normalize({**raw, "status": "cancelled"})  # date_paid_gmt is set: money held
    assert cancelled.payment_status == "paid"
    # The platform status moving shows as order_status; open -> cancelled only as cancelled.
    assert kinds_of(diff(before, cancelled)) == ["cancelled"]


def test_a_broken_order_is_one_line_naming_it(fixtures_dir: Path) -> None:
    raw = load(fixtures_dir, "docs_v3_order_get_727.json")
    del raw["date_created_gmt"]
    with pytest.raises(UnreadableField, match=r"^date_created_gmt: missing$"):
        normalize(raw)


def test_orders_round_trip_through_to_dict(fixtures_dir: Path) -> None:
    order = normalize(load(fixtures_dir, "docs_v3_orders_list.json")[1])
    assert NormalizedOrder.from_dict(order.to_dict()).digest() == order.digest()
