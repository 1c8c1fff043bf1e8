"""Order arithmetic in integer cents, so every demo order adds up to the cent.

Shopify's figures, for a shop that does not include taxes in prices:

- ``total_line_items_price`` = sum of ``price * quantity`` over the lines;
- ``total_discounts`` = sum of the lines' ``discount_allocations``;
- ``subtotal_price`` = line items - discounts (Shopify's subtotal is after discounts);
- ``total_price`` = subtotal + shipping + tax, i.e. line items - discounts + shipping + tax;
- ``current_*`` are the same figures after refunds and cancellation removed lines.

Taxes are charged per line on the discounted line amount and listed again,
summed by title, in the order's ``tax_lines``. Shipping is untaxed.
"""

from __future__ import annotations

from typing import Any


def cents(amount: str) -> int:
    """Parse a Shopify money string ("12.30", "-5.99") into cents."""
    negative = amount.startswith("-")
    whole, _, frac = amount.lstrip("-").partition(".")
    value = int(whole) * 100 + int((frac + "00")[:2])
    return -value if negative else value


def fmt(value: int) -> str:
    """Cents back to the two-decimal string Shopify sends."""
    sign = "-" if value < 0 else ""
    value = abs(value)
    return f"{sign}{value // 100}.{value % 100:02d}"


def money_set(value: int, currency: str) -> dict[str, Any]:
    """A MoneyBag: the amount in shop and presentment currency (the same in the demo)."""
    money = {"amount": fmt(value), "currency_code": currency}
    return {"shop_money": money, "presentment_money": dict(money)}


def percent_of(base: int, rate: float) -> int:
    """``base * rate`` rounded half up to the cent, without float drift on the product."""
    basis_points = round(rate * 1_000_000)
    return (base * basis_points + 500_000) // 1_000_000


def allocate(total: int, weights: list[int]) -> list[int]:
    """Split ``total`` across lines in proportion to ``weights``; the last line takes the rest."""
    whole = sum(weights)
    if whole == 0 or total == 0:
        return [0] * len(weights)
    shares = [total * w // whole for w in weights[:-1]]
    return [*shares, total - sum(shares)]


def reprice(order: dict[str, Any]) -> None:
    """Recompute discounts, taxes and every total from the lines, in place.

    Called after anything that changes quantities, refunds or cancellation,
    so the order always adds up. A line counts towards the ``current_*``
    figures only while its ``current_quantity`` is positive (the demo
    refunds and cancels whole lines).
    """
    currency = order["currency"]
    lines = order["line_items"]
    line_totals = [cents(li["price"]) * li["quantity"] for li in lines]
    line_items_price = sum(line_totals)

    discount = _discount_total(order, line_items_price)
    allocations = allocate(discount, line_totals)
    tax_by_title: dict[tuple[str, float], int] = {}
    current = {"subtotal": 0, "discounts": 0, "tax": 0}
    total_tax = 0
    for li, line_total, alloc in zip(lines, line_totals, allocations, strict=True):
        li["discount_allocations"] = (
            [{"amount": fmt(alloc), "discount_application_index": 0}] if alloc else []
        )
        line_tax = 0
        for tax in li["tax_lines"]:
            price = percent_of(line_total - alloc, tax["rate"])
            tax["price"] = fmt(price)
            key = (tax["title"], tax["rate"])
            tax_by_title[key] = tax_by_title.get(key, 0) + price
            line_tax += price
        total_tax += line_tax
        if li["current_quantity"] > 0:
            current["subtotal"] += line_total - alloc
            current["discounts"] += alloc
            current["tax"] += line_tax

    shipping = sum(cents(s["price"]) for s in order["shipping_lines"])
    shipping_refunded = -sum(
        cents(adj["amount"])
        for refund in order["refunds"]
        for adj in refund["order_adjustments"]
        if adj["kind"] == "shipping_refund"
    )
    current_shipping = 0 if order["cancelled_at"] else shipping - shipping_refunded
    subtotal = line_items_price - discount
    total = subtotal + shipping + total_tax
    current_total = current["subtotal"] + current_shipping + current["tax"]

    if order["discount_codes"]:
        order["discount_codes"][0]["amount"] = fmt(discount)
    order["tax_lines"] = [
        {"price": fmt(price), "rate": rate, "title": title}
        for (title, rate), price in tax_by_title.items()
    ]
    order.update(
        current_subtotal_price=fmt(current["subtotal"]),
        current_total_discounts=fmt(current["discounts"]),
        current_total_price=fmt(current_total),
        current_total_tax=fmt(current["tax"]),
        subtotal_price=fmt(subtotal),
        total_discounts=fmt(discount),
        total_line_items_price=fmt(line_items_price),
        total_price=fmt(total),
        total_shipping_price_set=money_set(shipping, currency),
        total_tax=fmt(total_tax),
        total_weight=sum(li["grams"] * li["quantity"] for li in lines),
    )


def _discount_total(order: dict[str, Any], line_items_price: int) -> int:
    """What the order's discount code takes off, never more than the lines cost."""
    if not order["discount_applications"]:
        return 0
    application = order["discount_applications"][0]
    if application["value_type"] == "percentage":
        return percent_of(line_items_price, float(application["value"]) / 100)
    return min(cents(application["value"]), line_items_price)


def refunded_total(order: dict[str, Any]) -> int:
    """Money already given back, from the refunds' successful transactions."""
    return sum(
        cents(tx["amount"])
        for refund in order["refunds"]
        for tx in refund["transactions"]
        if tx["kind"] == "refund" and tx["status"] == "success"
    )
