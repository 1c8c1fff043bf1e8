"""The protocol's helpers: the factory, idempotency keys, and how an order becomes lines."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from orderupd_tui.accounting.base import (
    AccountingConfigError,
    idempotency_key,
    make_backend,
)
from orderupd_tui.accounting.beancount import BeancountLedger
from orderupd_tui.accounting.lines import document_lines, revenue_split
from orderupd_tui.domain.order import LineItem
from tests.accounting.conftest import MakeOrder


def test_the_factory_builds_the_named_backend(tmp_path: Path) -> None:
    assert make_backend({"backend": "none", "on_reset": "keep"}) is None
    ledger = make_backend({"path": str(tmp_path / "o.beancount")})  # beancount is the default
    assert isinstance(ledger, BeancountLedger)
    with pytest.raises(AccountingConfigError, match=r"^accounting\.backend: 'sage' is not one"):
        make_backend({"backend": "sage"})
    with pytest.raises(AccountingConfigError, match=r"^accounting\.path: required"):
        make_backend({"backend": "beancount"})
    with pytest.raises(AccountingConfigError, match=r"^accounting\.timeout: expected a positive"):
        make_backend({"backend": "xero", "tenant_id": "t", "token": "x", "account_code": "200",
                      "contact_name": "Shop", "timeout": "soon"})


def test_idempotency_keys_are_stable_short_and_distinct() -> None:
    key = idempotency_key("3f2a9c1e-posting")
    assert key == idempotency_key("3f2a9c1e-posting")
    assert key != idempotency_key("3f2a9c1e-postinG")
    assert len(idempotency_key("x" * 500)) <= 50
    assert key.replace("-", "").isalnum()


def test_lines_add_up_to_the_total_whatever_the_store_sent(make_order: MakeOrder) -> None:
    order = make_order(
        total=Decimal("89.13"),
        line_items=(LineItem("A", "Discounted", 3, Decimal("10.00"), Decimal("27.00")),
                    LineItem("B", "Plain", 2, Decimal("25.00"), Decimal("50.00"))),
    )
    lines = document_lines(order, "main:1001")
    assert sum(line.amount for line in lines) == order.total
    assert [line.kind for line in lines] == ["item", "item", "shipping", "tax", "discount",
                                             "adjustment"]
    discounted = lines[0]
    assert (discounted.description, discounted.quantity, discounted.amount) == (
        "Discounted x3", Decimal(1), Decimal("27.00"))
    assert lines[1].quantity * lines[1].unit_price == lines[1].amount
    assert lines[-1].amount == Decimal("-1.32")


def test_an_order_without_lines_gets_one(make_order: MakeOrder) -> None:
    lines = document_lines(make_order(line_items=()), "main:1001")
    assert lines[0].description == "Order main:1001"
    assert sum(line.amount for line in lines) == Decimal("113.45")
    assert all(line.kind != "adjustment" for line in lines)


def test_the_revenue_split_balances(make_order: MakeOrder) -> None:
    split = revenue_split(make_order(total=Decimal("50.00")))
    assert split.receivable == split.sales + split.shipping + split.tax - split.discount
    assert split.sales == Decimal("36.55")
