"""A discount already netted into the line totals is laid out once, not twice."""

from __future__ import annotations

from decimal import Decimal

from orderupd_tui.accounting.lines import document_lines
from orderupd_tui.demo.generator import generate_orders
from orderupd_tui.domain.order import LineItem
from orderupd_tui.stores.shopify import normalize
from tests.accounting.conftest import MakeOrder


def test_shopify_demo_orders_need_no_adjustment_line() -> None:
    """Shopify's line totals are net of ``discount_allocations``; ``total_discounts`` is the sum."""
    orders = [normalize(raw) for raw in generate_orders(400, seed=7)]
    discounted = [o for o in orders if o.discount]
    assert len(discounted) > 20
    for order in orders:
        lines = document_lines(order, f"main:{order.number}")
        assert sum(line.amount for line in lines) == order.total
        assert all(line.kind != "adjustment" for line in lines), order.number
    for order in discounted:
        lines = document_lines(order, f"main:{order.number}")
        (discount,) = [line for line in lines if line.kind == "discount"]
        assert discount.amount == -order.discount
        items = [line for line in lines if line.kind == "item"]
        assert all(line.quantity * line.unit_price == line.amount for line in items)


def test_lines_net_of_a_discount_they_do_not_show_keep_it_inside(make_order: MakeOrder) -> None:
    """Net line totals whose unit prices are net too: the discount is already in them."""
    order = make_order(
        discount=Decimal("10.00"), total=Decimal("108.45"),
        line_items=(LineItem("A", "Widget", 2, Decimal("25.00"), Decimal("50.00")),
                    LineItem("B", "Gadget", 1, Decimal("40.00"), Decimal("40.00"))))
    lines = document_lines(order, "main:1001")
    assert [line.kind for line in lines] == ["item", "item", "shipping", "tax"]
    assert sum(line.amount for line in lines) == order.total


def test_a_separate_order_discount_still_gets_its_line(make_order: MakeOrder) -> None:
    lines = document_lines(make_order(), "main:1001")
    assert [line.kind for line in lines] == ["item", "item", "shipping", "tax", "discount"]
    assert lines[-1].amount == Decimal("-5.00")
