"""How an order's money is split into document lines, the same way for every backend.

Stores do not agree on what a line total includes (some net line discounts,
some do not) or on how tax is rounded, yet a document in the books must add
up to exactly what the customer was charged.  So the order's ``total`` is
the truth: items, shipping, tax and discount are laid out as the store gave
them, and whatever is left over becomes one explicit adjustment line rather
than a silent change to someone's numbers.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from orderupd_tui.domain.order import LineItem, NormalizedOrder, rounded

ZERO = Decimal(0)


@dataclass(frozen=True)
class DocLine:
    """One priced line of a remote document; ``amount`` is signed (a discount is negative)."""

    kind: str
    """``item``, ``shipping``, ``tax``, ``discount`` or ``adjustment``."""
    description: str
    quantity: Decimal
    unit_price: Decimal
    amount: Decimal


@dataclass(frozen=True)
class RevenueSplit:
    """The order's total split by account, for a double-entry transaction.

    ``sales`` is what balances the rest, so the split always sums to zero:
    ``receivable == sales + shipping + tax - discount``.
    """

    receivable: Decimal
    sales: Decimal
    shipping: Decimal
    tax: Decimal
    discount: Decimal


def revenue_split(order: NormalizedOrder) -> RevenueSplit:
    """Split ``order.total`` into sales, shipping, tax and discount."""
    sales = order.total - order.shipping - order.tax + order.discount
    return RevenueSplit(order.total, sales, order.shipping, order.tax, order.discount)


def document_lines(order: NormalizedOrder, ref: str) -> list[DocLine]:
    """The lines of an invoice or receipt for ``order``, summing exactly to its total.

    Some stores (Shopify, WooCommerce) give line totals already net of the
    order's discount; laying the discount out again would count it twice.
    The order's own arithmetic tells which: when the line totals plus
    shipping and tax already make the total, the discount is inside them,
    and the lines are shown as sold (quantity times price) with the discount
    apart if that restores exactly the discount, or as they are otherwise.

    A line whose total is not quantity times unit price (a line discount)
    is sent as one unit at its total, because both QuickBooks and Xero
    refuse a line whose amount disagrees with its quantity and price.
    Amounts are at the currency's precision (JPY 0, KWD 3 decimals) and
    quantities as exact as the store gave them (1.5 kg).
    """
    discount = order.discount
    as_sold = False
    if discount and order.line_items and (
        _net(order) + order.shipping + order.tax == order.total
    ):
        as_sold = _as_sold(order) - _net(order) == discount
        if not as_sold:
            discount = ZERO
    lines = [_item_line(item, as_sold, order.currency) for item in order.line_items]
    if not lines:
        split = revenue_split(order)
        lines.append(DocLine("item", f"Order {ref}", Decimal(1), split.sales, split.sales))
    if order.shipping:
        lines.append(DocLine("shipping", "Shipping", Decimal(1), order.shipping, order.shipping))
    if order.tax:
        lines.append(DocLine("tax", "Sales tax", Decimal(1), order.tax, order.tax))
    if discount:
        lines.append(DocLine("discount", "Discount", Decimal(1), -discount, -discount))
    rest = rounded(order.total - sum((line.amount for line in lines), ZERO), order.currency)
    if rest:
        lines.append(DocLine("adjustment", "Adjustment to the order total", Decimal(1), rest,
                             rest))
    return lines


def _net(order: NormalizedOrder) -> Decimal:
    return sum((item.total for item in order.line_items), ZERO)


def _as_sold(order: NormalizedOrder) -> Decimal:
    """The lines at quantity times unit price, before any discount netted into them."""
    return sum((rounded(item.unit_price * item.quantity, order.currency)
                for item in order.line_items), ZERO)


def _item_line(item: LineItem, as_sold: bool, currency: str) -> DocLine:
    quantity = item.quantity
    amount = rounded(item.unit_price * quantity, currency)
    if quantity > 0 and (as_sold or amount == item.total):
        return DocLine("item", item.title or item.sku, quantity, item.unit_price, amount)
    title = f"{item.title or item.sku} x{item.quantity}"
    return DocLine("item", title, Decimal(1), item.total, item.total)
