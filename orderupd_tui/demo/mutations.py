"""The changes a Shopify order goes through, applied the way Shopify applies them.

Each change edits a Shopify-shaped order dict in place and stamps
``updated_at``. The generator replays them to build an order's history, the
store applies them on request, and the scripted schedule applies them over
time, so every path yields the same, consistent shape.

What each kind does (``updated_at`` is always bumped):

- ``capture_payment``: pending / authorized / partially_paid -> paid, nothing outstanding.
- ``fulfil``: fulfils every line still to ship, adds a fulfillment -> ``fulfilled``.
- ``cancel``: sets ``cancelled_at`` and ``cancel_reason``; an unpaid order becomes
  ``voided``, a (partly) paid one is refunded in full (refund with a transaction)
  -> ``refunded``. Refused on fulfilled or partly fulfilled orders, as Shopify does.
- ``refund``: refunds one line (``partially_refunded``), or the last line plus
  shipping (``refunded``), with a refund transaction.
- ``edit_address``: a new shipping address in the same region (taxes unchanged).
- ``edit_line``: one more unit on an unfulfilled line; totals and taxes recomputed.
  A paid order then owes the difference (``partially_paid``).
- ``edit_note``: a different order note (the catalogue's next one).
- ``close``: archives the order (``closed_at``), as Shopify's auto-archive does.
- ``touch``: only ``updated_at`` moves (e.g. an app wrote a metafield).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from orderupd_tui.demo import catalog
from orderupd_tui.demo.totals import cents, fmt, refunded_total, reprice

CHANGE_KINDS = (
    "capture_payment",
    "fulfil",
    "cancel",
    "refund",
    "edit_address",
    "edit_line",
    "edit_note",
    "close",
    "touch",
)

Order = dict[str, Any]


class ChangeRefused(ValueError):
    """The order's state does not allow this change (Shopify would refuse it too)."""


@dataclass
class IdSource:
    """Increasing ids per object type, so refunds and fulfillments added later never collide."""

    next_ids: dict[str, int] = field(
        default_factory=lambda: {
            "line_item": 14_100_000_000_001,
            "fulfillment": 5_310_000_000_001,
            "refund": 9_120_000_000_001,
            "transaction": 7_450_000_000_001,
            "adjustment": 2_830_000_000_001,
            "refund_line_item": 6_640_000_000_001,
            "shipping_line": 4_470_000_000_001,
        }
    )

    def next(self, kind: str) -> int:
        value = self.next_ids[kind]
        self.next_ids[kind] = value + 1
        return value


@dataclass
class ChangeContext:
    """What a change needs besides the order: its time, a random source and fresh ids."""

    when: str
    rng: random.Random
    ids: IdSource


def refusal(order: Order, kind: str) -> str | None:
    """Why ``kind`` cannot be applied to ``order`` now, or None if it can."""
    check = _CHECKS.get(kind)
    if check is None:
        return f"unknown change kind {kind!r} (known: {', '.join(CHANGE_KINDS)})"
    return check(order)


def apply_change(order: Order, kind: str, ctx: ChangeContext) -> None:
    """Apply one change in place and stamp ``updated_at``; raise ChangeRefused if not allowed."""
    reason = refusal(order, kind)
    if reason:
        raise ChangeRefused(f"order {order['name']}: cannot {kind}: {reason}")
    _APPLY[kind](order, ctx)
    order["updated_at"] = ctx.when


def fulfil_lines(order: Order, ctx: ChangeContext, line_ids: set[int] | None = None) -> None:
    """Ship the given lines (default: all still to ship) in one fulfillment."""
    lines = [
        li for li in order["line_items"]
        if li["fulfillable_quantity"] > 0 and (line_ids is None or li["id"] in line_ids)
    ]
    fulfillment_id = ctx.ids.next("fulfillment")
    tracking = f"1Z{ctx.rng.randrange(10**15):015d}"
    order["fulfillments"].append({
        "id": fulfillment_id,
        "admin_graphql_api_id": f"gid://shopify/Fulfillment/{fulfillment_id}",
        "created_at": ctx.when,
        "name": f"{order['name']}.{len(order['fulfillments']) + 1}",
        "order_id": order["id"],
        "service": "manual",
        "shipment_status": None,
        "status": "success",
        "tracking_company": "UPS",
        "tracking_number": tracking,
        "tracking_url": f"https://www.ups.com/track?tracknum={tracking}",
        "updated_at": ctx.when,
        "line_items": [{"id": li["id"], "quantity": li["fulfillable_quantity"]} for li in lines],
    })
    for li in lines:
        li["fulfillable_quantity"] = 0
        li["fulfillment_status"] = "fulfilled"
    _restate_fulfillment(order)


def _restate_fulfillment(order: Order) -> None:
    """Shopify's order-level fulfillment_status: null, "partial" or "fulfilled"."""
    live = [li for li in order["line_items"] if li["current_quantity"] > 0]
    shipped = [li for li in live if li["fulfillment_status"] == "fulfilled"]
    if not live:
        return
    if len(shipped) == len(live):
        order["fulfillment_status"] = "fulfilled"
    elif shipped:
        order["fulfillment_status"] = "partial"
    else:
        order["fulfillment_status"] = None


def _paid(order: Order) -> int:
    """What the customer has paid so far (captured, net of refunds)."""
    return cents(order["current_total_price"]) - cents(order["total_outstanding"])


def _add_refund(order: Order, ctx: ChangeContext, lines: list[Order], amount: int,
                shipping: int, note: str) -> None:
    """Record a refund of whole lines (and shipping) with its successful transaction."""
    refund_id = ctx.ids.next("refund")
    transaction_id = ctx.ids.next("transaction")
    currency = order["currency"]
    refund_lines = []
    for li in lines:
        alloc = sum(cents(a["amount"]) for a in li["discount_allocations"])
        subtotal = cents(li["price"]) * li["quantity"] - alloc
        tax = sum(cents(t["price"]) for t in li["tax_lines"])
        refund_lines.append({
            "id": ctx.ids.next("refund_line_item"),
            "line_item_id": li["id"],
            "quantity": li["current_quantity"],
            "restock_type": "cancel" if order["cancelled_at"] else "return",
            "subtotal": subtotal / 100,
            "total_tax": tax / 100,
        })
        li["current_quantity"] = 0
        li["fulfillable_quantity"] = 0
    adjustments = []
    if shipping:
        adjustments.append({
            "id": ctx.ids.next("adjustment"),
            "order_id": order["id"],
            "refund_id": refund_id,
            "amount": fmt(-shipping),
            "tax_amount": "0.00",
            "kind": "shipping_refund",
            "reason": "Shipping refund",
        })
    order["refunds"].append({
        "id": refund_id,
        "admin_graphql_api_id": f"gid://shopify/Refund/{refund_id}",
        "created_at": ctx.when,
        "note": note,
        "order_id": order["id"],
        "processed_at": ctx.when,
        "restock": bool(lines),
        "user_id": 81_234_567_001,
        "order_adjustments": adjustments,
        "transactions": [{
            "id": transaction_id,
            "admin_graphql_api_id": f"gid://shopify/OrderTransaction/{transaction_id}",
            "amount": fmt(amount),
            "authorization": None,
            "created_at": ctx.when,
            "currency": currency,
            "gateway": order["payment_gateway_names"][0],
            "kind": "refund",
            "message": "Refunded",
            "order_id": order["id"],
            "parent_id": None,
            "processed_at": ctx.when,
            "status": "success",
            "test": False,
        }],
        "refund_line_items": refund_lines,
        "duties": [],
    })


def _line_value(li: Order) -> int:
    """A line's discounted amount plus its tax: what refunding it gives back."""
    alloc = sum(cents(a["amount"]) for a in li["discount_allocations"])
    tax = sum(cents(t["price"]) for t in li["tax_lines"])
    return cents(li["price"]) * li["quantity"] - alloc + tax


def _live_lines(order: Order) -> list[Order]:
    return [li for li in order["line_items"] if li["current_quantity"] > 0]


def _editable_line(order: Order) -> Order | None:
    for li in order["line_items"]:
        if li["current_quantity"] > 0 and li["fulfillment_status"] is None and not li["gift_card"]:
            return li
    return None


# --- eligibility -------------------------------------------------------------------------------


def _check_capture(order: Order) -> str | None:
    if order["cancelled_at"]:
        return "it is cancelled"
    if order["financial_status"] not in ("pending", "authorized", "partially_paid"):
        return f"financial_status is {order['financial_status']}"
    return None


def _check_fulfil(order: Order) -> str | None:
    if order["cancelled_at"]:
        return "it is cancelled"
    if not any(li["fulfillable_quantity"] > 0 for li in order["line_items"]):
        return "nothing left to fulfil"
    return None


def _check_cancel(order: Order) -> str | None:
    if order["cancelled_at"]:
        return "it is already cancelled"
    if order["fulfillment_status"] is not None:
        return f"fulfillment_status is {order['fulfillment_status']}"
    return None


def _check_refund(order: Order) -> str | None:
    if order["cancelled_at"]:
        return "it is cancelled"
    if order["financial_status"] not in ("paid", "partially_refunded"):
        return f"financial_status is {order['financial_status']}"
    if not _live_lines(order):
        return "no line left to refund"
    return None


def _check_edit_line(order: Order) -> str | None:
    if order["cancelled_at"] or order["closed_at"]:
        return "it is cancelled or archived"
    if order["refunds"]:
        return "it has refunds"
    if _editable_line(order) is None:
        return "no unfulfilled line to edit"
    return None


def _check_open(order: Order) -> str | None:
    if order["cancelled_at"] or order["closed_at"]:
        return "it is cancelled or archived"
    return None


def _check_close(order: Order) -> str | None:
    return "it is already archived" if order["closed_at"] else None


def _check_nothing(order: Order) -> str | None:
    return None


# --- effects -----------------------------------------------------------------------------------


def _capture(order: Order, ctx: ChangeContext) -> None:
    order["financial_status"] = "paid"
    order["total_outstanding"] = "0.00"


def _fulfil(order: Order, ctx: ChangeContext) -> None:
    fulfil_lines(order, ctx)


def _cancel(order: Order, ctx: ChangeContext) -> None:
    status = order["financial_status"]
    paid = 0 if status in ("pending", "authorized") else _paid(order)
    order["cancelled_at"] = ctx.when
    order["cancel_reason"] = ctx.rng.choice(catalog.CANCEL_REASONS)
    if paid > 0:
        shipping = cents(order["total_shipping_price_set"]["shop_money"]["amount"])
        _add_refund(order, ctx, _live_lines(order), paid, shipping, "Order canceled")
        order["financial_status"] = "refunded"
    else:
        for li in order["line_items"]:
            li["current_quantity"] = 0
            li["fulfillable_quantity"] = 0
        if status in ("pending", "authorized"):
            order["financial_status"] = "voided"
    order["total_outstanding"] = "0.00"
    reprice(order)


def _refund(order: Order, ctx: ChangeContext) -> None:
    live = _live_lines(order)
    if len(live) > 1:
        line = live[-1]
        _add_refund(order, ctx, [line], _line_value(line), 0, "Returned by the customer")
        order["financial_status"] = "partially_refunded"
    else:
        shipping = cents(order["total_shipping_price_set"]["shop_money"]["amount"])
        amount = cents(order["total_price"]) - refunded_total(order)
        _add_refund(order, ctx, live, amount, shipping, "Refunded in full")
        order["financial_status"] = "refunded"
    reprice(order)
    _restate_fulfillment(order)


def _edit_address(order: Order, ctx: ChangeContext) -> None:
    old = order["shipping_address"] or order["billing_address"]
    place = catalog.place_of(old) if old else catalog.PLACES[0]
    first = old["first_name"] if old else "Guest"
    last = old["last_name"] if old else "Customer"
    phone = old["phone"] if old else None
    new = catalog.postal_address(ctx.rng, first, last, place, phone)
    while old and new["address1"] == old["address1"]:
        new = catalog.postal_address(ctx.rng, first, last, place, phone)
    order["shipping_address"] = new


def _edit_line(order: Order, ctx: ChangeContext) -> None:
    line = _editable_line(order)
    assert line is not None  # guaranteed by _check_edit_line
    before = cents(order["current_total_price"])
    line["quantity"] += 1
    line["current_quantity"] += 1
    line["fulfillable_quantity"] += 1
    reprice(order)
    increase = cents(order["current_total_price"]) - before
    status = order["financial_status"]
    if status in ("paid", "partially_paid"):
        order["financial_status"] = "partially_paid"
        order["total_outstanding"] = fmt(cents(order["total_outstanding"]) + increase)
    else:
        order["total_outstanding"] = order["current_total_price"]


def _edit_note(order: Order, ctx: ChangeContext) -> None:
    """The next note of the catalogue, in turn: a random pick could come back to the note a
    client last saw after a few edits, and a test editing one order twice or more would then
    see no change at all."""
    notes = catalog.NOTES
    current = order["note"]
    order["note"] = notes[(notes.index(current) + 1) % len(notes)] if current in notes else notes[0]


def _close(order: Order, ctx: ChangeContext) -> None:
    order["closed_at"] = ctx.when


def _touch(order: Order, ctx: ChangeContext) -> None:
    """Nothing but ``updated_at``, which apply_change stamps."""


_CHECKS: dict[str, Callable[[Order], str | None]] = {
    "capture_payment": _check_capture,
    "fulfil": _check_fulfil,
    "cancel": _check_cancel,
    "refund": _check_refund,
    "edit_address": _check_open,
    "edit_line": _check_edit_line,
    "edit_note": _check_open,
    "close": _check_close,
    "touch": _check_nothing,
}
_APPLY: dict[str, Callable[[Order, ChangeContext], None]] = {
    "capture_payment": _capture,
    "fulfil": _fulfil,
    "cancel": _cancel,
    "refund": _refund,
    "edit_address": _edit_address,
    "edit_line": _edit_line,
    "edit_note": _edit_note,
    "close": _close,
    "touch": _touch,
}
