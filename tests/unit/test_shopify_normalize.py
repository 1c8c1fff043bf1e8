"""Shopify payloads -> NormalizedOrder, on the published fixtures read in place (no network)."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from orderupd_tui.domain.changes import diff, kinds_of
from orderupd_tui.domain.order import UnreadableField
from orderupd_tui.stores.shopify import normalize

GET = "docs_2026-07_order_get_450789469.json"
CANCEL = "docs_2026-07_order_cancel_response.json"


def _load(fixtures_dir: Path, name: str) -> Any:
    return json.loads((fixtures_dir / "shopify" / name).read_text(encoding="utf-8"))


def _orders_in(data: Any) -> list[dict[str, Any]]:
    if isinstance(data, dict) and isinstance(data.get("order"), dict):
        return [data["order"]]
    if isinstance(data, dict) and isinstance(data.get("orders"), list):
        return list(data["orders"])
    return []


def _order(fixtures_dir: Path, name: str) -> dict[str, Any]:
    (order,) = _orders_in(_load(fixtures_dir, name))
    return order


def _reversed_keys(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _reversed_keys(value[k]) for k in reversed(list(value))}
    if isinstance(value, list):
        return [_reversed_keys(v) for v in value]
    return value


def test_every_order_in_every_fixture_normalizes(fixtures_dir: Path) -> None:
    seen: dict[str, int] = {}
    for path in sorted((fixtures_dir / "shopify").glob("*.json")):
        for raw in _orders_in(json.loads(path.read_text(encoding="utf-8"))):
            if path.name == "docs_2026-07_orders_list_fields.json":
                continue  # a projection without the currency: see the test below
            order = normalize(raw)
            assert order.remote_id == str(raw["id"])
            assert order.number
            assert order.total > 0
            assert order.created_at.tzinfo is UTC
            assert len(order.digest()) == 32
            seen[path.name] = seen.get(path.name, 0) + 1
    assert {
        GET,
        CANCEL,
        "docs_2026-07_orders_list_ids.json",
        "docs_2026-07_orders_list_status_any.json",
        "docs_2026-07_orders_list_updated_at_min.json",
        "python_api_order.json",
        "python_api_orders.json",
    } <= set(seen)


def test_documented_order_maps_every_field(fixtures_dir: Path) -> None:
    order = normalize(_order(fixtures_dir, GET))
    assert order.remote_id == "450789469"
    assert order.number == "1001"
    assert order.currency == "USD"
    assert (order.total, order.subtotal, order.tax) == (
        Decimal("598.94"), Decimal("597.00"), Decimal("11.94"))
    assert (order.discount, order.shipping) == (Decimal("10.00"), Decimal("0.00"))
    assert order.refunded == Decimal("209.00")
    assert order.customer == "Bob Norman"
    assert order.email == "bob.norman@mail.example.com"
    assert order.payment_status == "partially_refunded"
    assert order.fulfillment_status == "unfulfilled"
    assert order.order_status == "open"
    assert order.platform_status == "partially_refunded/unfulfilled"
    assert order.created_at == datetime(2008, 1, 10, 16, 0, tzinfo=UTC)
    assert [li.sku for li in order.line_items] == ["IPOD2008GREEN", "IPOD2008RED", "IPOD2008BLACK"]
    first = order.line_items[0]
    assert (first.title, first.quantity, first.unit_price) == (
        "IPod Nano - 8gb - green", 1, Decimal("199.00"))
    assert first.total == Decimal("195.66")  # 199.00 less its 3.34 share of TENOFF
    assert order.shipping_address is not None
    assert order.shipping_address.one_line() == (
        "Bob Norman, Chestnut Street 92, Louisville, Kentucky, 40202, United States")
    assert order.billing_address is not None
    assert order.billing_address.phone == "+1(502)-459-2181"
    assert order.extra["name"] == "#1001"


def test_cancel_response_is_cancelled(fixtures_dir: Path) -> None:
    order = normalize(_order(fixtures_dir, CANCEL))
    assert order.order_status == "cancelled"
    assert order.cancelled
    assert order.platform_status == "partially_refunded/unfulfilled/cancelled"
    assert order.extra["cancel_reason"] == "other"
    assert order.updated_at == datetime(2025, 7, 2, 16, 31, 25, tzinfo=UTC)


def test_get_then_cancel_diffs_as_cancelled(fixtures_dir: Path) -> None:
    before = normalize(_order(fixtures_dir, GET))
    after = normalize(_order(fixtures_dir, CANCEL))
    kinds = kinds_of(diff(before, after))
    assert "cancelled" in kinds
    assert "totals" not in kinds
    assert "line_items" not in kinds
    assert before.digest() != after.digest()


def test_other_shapes(fixtures_dir: Path) -> None:
    older = normalize(_order(fixtures_dir, "python_api_order.json"))
    assert (older.payment_status, older.total, older.refunded) == (
        "authorized", Decimal("409.94"), Decimal("0.00"))
    assert older.customer == "Bob Norman"
    assert older.email == "bob.norman@hostmail.com"

    guest = normalize(_order(fixtures_dir, "docs_2026-07_orders_list_ids.json"))
    # "paid", yet total_outstanding is the whole 199.00 and no gateway is named:
    # the amounts contradict the status, and unknown beats a wrong paid.
    assert (guest.remote_id, guest.number, guest.payment_status) == (
        "1073459969", "1002", "unknown")
    assert (guest.customer, guest.email, guest.shipping_address) == ("", "", None)
    assert [li.title for li in guest.line_items] == ["IPod Touch 8GB - Black"]

    # No fulfillment_status key at all: not known, unlike a null (nothing shipped).
    listed = normalize(_order(fixtures_dir, "python_api_orders.json"))
    assert listed.fulfillment_status == "unknown"
    assert listed.platform_status == "partially_refunded"


def test_fields_projection_defaults_what_it_lacks(fixtures_dir: Path) -> None:
    raw = _order(fixtures_dir, "docs_2026-07_orders_list_fields.json")
    # Without a currency no amount can be read at its precision: the order is unreadable.
    with pytest.raises(UnreadableField, match=r"^currency: missing$"):
        normalize(raw)
    order = normalize({**raw, "currency": "USD"})
    assert order.number == "1001"  # from name "#1001": order_number was not asked for
    assert order.total == Decimal("598.94")
    assert (order.payment_status, order.fulfillment_status, order.order_status) == (
        "unknown", "unknown", "open")
    assert order.updated_at == order.created_at
    assert order.line_items == ()


def test_refunded_counts_successful_refund_transactions_only(fixtures_dir: Path) -> None:
    raw = _order(fixtures_dir, "python_api_order.json")
    refund = _load(fixtures_dir, "python_api_refund.json")["refund"]
    suggested = _load(fixtures_dir, "python_api_refund_calculate.json")["refund"]
    failed = copy.deepcopy(refund)
    failed["transactions"][0]["status"] = "failure"
    raw["refunds"] = [refund, suggested, failed]
    assert normalize(raw).refunded == Decimal("209.00")


@pytest.mark.parametrize(
    ("financial", "payment"),
    [("pending", "pending"), ("authorized", "authorized"), ("partially_paid", "partially_paid"),
     ("paid", "paid"), ("partially_refunded", "partially_refunded"), ("refunded", "refunded"),
     ("voided", "voided"), ("expired", "failed"), ("something_new", "unknown"), (None, "unknown")],
)
def test_payment_status_mapping(fixtures_dir: Path, financial: str | None, payment: str) -> None:
    raw = _order(fixtures_dir, GET)
    raw["financial_status"] = financial
    assert normalize(raw).payment_status == payment


@pytest.mark.parametrize(
    ("shopify", "fulfillment"),
    [(None, "unfulfilled"), ("partial", "partial"), ("fulfilled", "fulfilled"),
     ("restocked", "unfulfilled"), ("something_new", "unknown")],
)
def test_fulfillment_status_mapping(
    fixtures_dir: Path, shopify: str | None, fulfillment: str
) -> None:
    raw = _order(fixtures_dir, GET)
    raw["fulfillment_status"] = shopify
    assert normalize(raw).fulfillment_status == fulfillment


def test_closed_order(fixtures_dir: Path) -> None:
    raw = _order(fixtures_dir, GET)
    raw["closed_at"] = "2008-01-11T09:00:00-05:00"
    raw["financial_status"] = "paid"
    raw["fulfillment_status"] = "fulfilled"
    order = normalize(raw)
    assert order.order_status == "closed"
    assert order.platform_status == "paid/fulfilled/closed"


def test_digest_ignores_key_order_and_updated_at(fixtures_dir: Path) -> None:
    raw = _order(fixtures_dir, GET)
    reference = normalize(raw).digest()
    assert normalize(_reversed_keys(raw)).digest() == reference
    touched = dict(raw, updated_at="2030-01-01T00:00:00Z")
    assert normalize(touched).digest() == reference
    edited = copy.deepcopy(raw)
    edited["shipping_address"]["address1"] = "Chestnut Street 94"
    assert normalize(edited).digest() != reference
    assert kinds_of(diff(normalize(raw), normalize(edited))) == ["shipping_address"]
