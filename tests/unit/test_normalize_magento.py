"""Magento 2 payloads from the Adobe Commerce web API docs, normalized."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from orderupd_tui.domain.changes import diff, kinds_of
from orderupd_tui.domain.order import UnreadableField
from orderupd_tui.stores.magento import STATES, format_time, normalize, parse_time


def load(fixtures_dir: Path, name: str) -> Any:
    return json.loads((fixtures_dir / "magento" / name).read_text(encoding="utf-8"))


def order_3(fixtures_dir: Path) -> dict[str, Any]:
    return load(fixtures_dir, "docs_order_get_3.json")  # type: ignore[no-any-return]


def test_the_documented_order(fixtures_dir: Path) -> None:
    order = normalize(order_3(fixtures_dir))
    assert (order.remote_id, order.number) == ("3", "000000003")
    assert (order.total, order.currency) == (Decimal("165.00"), "USD")
    assert (order.subtotal, order.shipping, order.tax, order.discount) == (
        Decimal("160.00"), Decimal("5.00"), Decimal("0.00"), Decimal("0.00"))
    assert (order.customer, order.email) == ("Jane Doe", "jdoe@example.com")
    # state "new", status "pending": nothing paid, nothing shipped.
    assert (order.platform_status, order.extra["state"]) == ("pending", "new")
    assert (order.payment_status, order.fulfillment_status, order.order_status) == (
        "pending", "unfulfilled", "open")
    assert order.created_at == datetime(2017, 8, 21, 22, 22, 19, tzinfo=UTC)
    assert order.updated_at == datetime(2017, 8, 21, 22, 22, 20, tzinfo=UTC)
    assert [(li.sku, li.title, li.quantity, li.unit_price, li.total)
            for li in order.line_items] == [
        ("WS12-M-Orange", "Radiant Tee-M-Orange", 1, Decimal("22.00"), Decimal("22.00"))]
    assert order.shipping_address is not None and order.billing_address is not None
    assert order.shipping_address.one_line() == "Jane Doe, 123 Oak Ave, Purchase, NY, 10577, US"
    assert order.billing_address.phone == "512-555-1111"


def test_the_projected_search_parses_but_is_not_an_order(fixtures_dir: Path) -> None:
    """A ``fields=`` projection keeps only ids: it lists, but normalizing says what is missing."""
    body = load(fixtures_dir, "docs_orders_search_status_pending_fields_projection.json")
    assert [(i["entity_id"], i["increment_id"]) for i in body["items"]] == [
        (3003, "WA0003003"), (3140, "WA0003140"), (9435, "WA0009435")]
    assert "total_count" not in body
    with pytest.raises(UnreadableField, match=r"^state: missing$"):
        normalize(body["items"][0])


def test_json_numbers_become_exact_cents(fixtures_dir: Path) -> None:
    raw = json.loads(json.dumps({**order_3(fixtures_dir), "grand_total": 0.1 + 0.2,
                                 "subtotal": 1234567.89, "discount_amount": -19.99}))
    order = normalize(raw)
    assert (order.total, order.subtotal) == (Decimal("0.30"), Decimal("1234567.89"))
    assert order.discount == Decimal("19.99")  # Magento stores discounts as negatives


@pytest.mark.parametrize(
    ("state", "status", "expected"),
    [
        ("new", "pending", ("pending", "unfulfilled", "open")),
        ("pending_payment", "pending_payment", ("pending", "unfulfilled", "open")),
        ("payment_review", "fraud", ("pending", "unfulfilled", "open")),
        # Nothing paid (total_paid absent, total_due the whole total): processing is
        # money still owed, and complete (which means invoiced) contradicts the amounts.
        ("processing", "processing", ("pending", "unfulfilled", "open")),
        ("holded", "holded", ("unknown", "unfulfilled", "open")),
        ("complete", "complete", ("unknown", "fulfilled", "closed")),
        ("closed", "closed", ("refunded", "unknown", "closed")),
        ("canceled", "canceled", ("voided", "unfulfilled", "cancelled")),
    ],
)
def test_every_state_maps(fixtures_dir: Path, state: str, status: str,
                          expected: tuple[str, str, str]) -> None:
    order = normalize({**order_3(fixtures_dir), "state": state, "status": status})
    assert (order.payment_status, order.fulfillment_status, order.order_status) == expected
    assert order.platform_status == status
    assert state in STATES


def test_amounts_and_quantities_refine_the_state(fixtures_dir: Path) -> None:
    raw = order_3(fixtures_dir)
    invoiced = {**raw, "state": "processing", "status": "processing", "total_paid": 165,
                "total_due": 0}
    assert normalize(invoiced).payment_status == "paid"
    items = [{**raw["items"][0], "qty_ordered": 2, "qty_shipped": 1}]
    half_shipped = normalize({**invoiced, "items": items})
    assert half_shipped.fulfillment_status == "partial"
    refunded = normalize({**invoiced, "total_refunded": 20})
    assert (refunded.payment_status, refunded.refunded) == ("partially_refunded", Decimal("20.00"))


def test_an_invoice_raises_payment_status_alone(fixtures_dir: Path) -> None:
    raw = order_3(fixtures_dir)
    after = {**raw, "state": "processing", "status": "processing", "total_paid": 165,
             "total_due": 0, "updated_at": "2017-08-22 08:00:00"}
    assert kinds_of(diff(normalize(raw), normalize(after))) == ["payment_status"]


def test_child_lines_of_configurable_products_are_left_out(fixtures_dir: Path) -> None:
    raw = order_3(fixtures_dir)
    child = {**raw["items"][0], "item_id": 4, "parent_item_id": 3, "price": 0, "row_total": 0}
    assert len(normalize({**raw, "items": [raw["items"][0], child]}).line_items) == 1


def test_search_times_are_utc_whatever_the_caller_zone() -> None:
    local = datetime(2026, 3, 1, 1, 30, tzinfo=timezone(timedelta(hours=-5)))
    assert format_time(local) == "2026-03-01 06:30:00"
    assert parse_time("2026-03-01 06:30:00") == local
