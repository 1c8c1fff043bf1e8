"""What a Shopify-shaped demo order says once its history is added up, for the other platforms.

The store keeps every order as Shopify shapes it: a payment status, lines
with ``fulfillable_quantity``, fulfillments, and refunds with transactions.
WooCommerce, BigCommerce and Magento report the same facts differently
(amounts paid and refunded, quantities shipped and refunded per line, one
status word), so their translations start from these sums rather than each
re-reading Shopify's structures its own way. One place computing them keeps
every platform's view of a change the same.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from orderupd_tui.demo.totals import cents, refunded_total

Order = dict[str, Any]

#: Payment states in which no money has been taken yet.
UNPAID = ("pending", "authorized", "voided")


def when(value: str) -> datetime:
    """A Shopify timestamp (ISO 8601 with the shop's offset) as an aware datetime."""
    return datetime.fromisoformat(value)


def refunded(order: Order) -> int:
    """Cents given back so far, from the refunds' successful transactions."""
    return refunded_total(order)


def paid(order: Order) -> int:
    """Cents the customer has paid, before any refund.

    A cancelled order was paid exactly what its cancellation refunded; an
    edited order that now owes more has paid all but ``total_outstanding``.
    """
    if order["cancelled_at"]:
        return refunded(order)
    if order["financial_status"] in UNPAID:
        return 0
    return cents(order["total_price"]) - cents(order["total_outstanding"])


def shipping(order: Order) -> int:
    """The shipping charged, in cents (untaxed in the demo)."""
    return sum(cents(line["price"]) for line in order["shipping_lines"])


def shipped_by_line(order: Order) -> dict[int, int]:
    """Units shipped per line id, from the fulfillments."""
    shipped: dict[int, int] = {}
    for fulfillment in order["fulfillments"]:
        for item in fulfillment["line_items"]:
            shipped[item["id"]] = shipped.get(item["id"], 0) + item["quantity"]
    return shipped


def refunded_by_line(order: Order) -> dict[int, int]:
    """Units refunded per line id, from the refunds' line items."""
    back: dict[int, int] = {}
    for refund in order["refunds"]:
        for item in refund["refund_line_items"]:
            back[item["line_item_id"]] = back.get(item["line_item_id"], 0) + item["quantity"]
    return back


def cancelled_by_line(order: Order) -> dict[int, int]:
    """Units cancelled without a refund per line id (an unpaid order's cancellation)."""
    if not order["cancelled_at"]:
        return {}
    back = refunded_by_line(order)
    shipped = shipped_by_line(order)
    return {
        li["id"]: li["quantity"] - back.get(li["id"], 0) - shipped.get(li["id"], 0)
        for li in order["line_items"]
        if li["quantity"] - back.get(li["id"], 0) - shipped.get(li["id"], 0) > 0
    }


def line_discount(line: Order) -> int:
    """Cents of the order's discount allocated to this line."""
    return sum(cents(a["amount"]) for a in line["discount_allocations"])


def line_tax(line: Order) -> int:
    """Cents of tax charged on this line."""
    return sum(cents(t["price"]) for t in line["tax_lines"])


def completed_at(order: Order) -> str | None:
    """When the last fulfillment was made, for a fully fulfilled order."""
    if order["fulfillment_status"] != "fulfilled" or not order["fulfillments"]:
        return None
    return str(order["fulfillments"][-1]["created_at"])


def paid_at(order: Order) -> str | None:
    """When the order was paid: the demo takes payment when the order is processed."""
    return None if paid(order) == 0 else str(order["processed_at"])


def buyer(order: Order) -> tuple[str, str]:
    """The buyer's first and last name: the customer record's, else the billing address's."""
    person = order["customer"] or order["billing_address"] or {}
    return str(person.get("first_name") or ""), str(person.get("last_name") or "")
