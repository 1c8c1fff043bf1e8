"""Every backend writes amounts at the currency's precision, exact quantities, and no NaN.

KWD has three decimals and JPY none (ISO 4217); a weighed line sells 1.5
units.  An order holding a non-finite amount never reaches the books: a
Beancount journal is only appended to, so a ``NaN`` there would stay
forever and make ``bean-check`` fail.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from orderupd_tui.accounting.base import AccountingError
from orderupd_tui.accounting.beancount import BeancountLedger
from orderupd_tui.accounting.quickbooks import QuickBooksBackend
from orderupd_tui.accounting.xero import XeroBackend
from orderupd_tui.domain.order import LineItem
from tests.accounting.conftest import MakeOrder
from tests.fakes.quickbooks_server import QuickBooksFake
from tests.fakes.xero_server import XeroFake


def kwd_order(make_order: MakeOrder):
    """1.5 kg at 8.230 KWD, 0.500 shipping, 0.620 tax: 13.465 KWD."""
    return make_order(
        currency="KWD", subtotal=Decimal("12.345"), shipping=Decimal("0.500"),
        tax=Decimal("0.620"), discount=Decimal(0), total=Decimal("13.465"),
        line_items=(LineItem("SAF", "Saffron (kg)", Decimal("1.5"), Decimal("8.230"),
                             Decimal("12.345")),))


def jpy_order(make_order: MakeOrder):
    return make_order(
        currency="JPY", subtotal=Decimal(1500), shipping=Decimal(0), tax=Decimal(150),
        discount=Decimal(0), total=Decimal(1650),
        line_items=(LineItem("TEA", "Sencha", Decimal(3), Decimal(500), Decimal(1500)),))


def test_beancount_writes_three_and_zero_decimals(ledger_path: Path, make_order: MakeOrder,
                                                  bean_check) -> None:
    ledger = BeancountLedger(ledger_path)
    ledger.post(kwd_order(make_order), "main:1001", "p-kwd")
    ledger.post(jpy_order(make_order), "main:1002", "p-jpy")
    bean_check(ledger_path)
    text = ledger_path.read_text(encoding="utf-8")
    assert "13.465 KWD" in text and "-12.345 KWD" in text and "-0.500 KWD" in text
    assert "1650 JPY" in text and "-1500 JPY" in text and ".00 JPY" not in text


def test_quickbooks_lines_carry_the_decimal_quantity_and_three_decimals(
        qbo: QuickBooksBackend, qbo_fake: QuickBooksFake, make_order: MakeOrder) -> None:
    qbo.post(kwd_order(make_order), "main:1001", "p-1")
    (create,) = qbo_fake.seen("create")
    item, *rest = create.body["Line"]
    assert item["Amount"] == 12.345
    assert item["SalesItemLineDetail"]["Qty"] == 1.5
    assert item["SalesItemLineDetail"]["UnitPrice"] == 8.23
    assert sum(Decimal(str(line["Amount"])) for line in [item, *rest]) == Decimal("13.465")
    assert create.body["CurrencyRef"] == {"value": "KWD"}


def test_xero_lines_carry_the_decimal_quantity_and_no_decimals_for_yen(
        xero: XeroBackend, xero_fake: XeroFake, make_order: MakeOrder) -> None:
    xero.post(kwd_order(make_order), "main:1001", "p-1")
    xero.post(jpy_order(make_order), "main:1002", "p-2")
    kwd, jpy = (c.body["Invoices"][0] for c in xero_fake.seen("create"))
    assert (kwd["LineItems"][0]["Quantity"], kwd["LineItems"][0]["LineAmount"]) == (1.5, 12.345)
    assert [line["LineAmount"] for line in jpy["LineItems"]] == [1500.0, 150.0]


@pytest.mark.parametrize("field", ["total", "tax", "line"])
@pytest.mark.parametrize("bad", ["NaN", "Infinity", "-Infinity"])
def test_every_backend_refuses_a_non_finite_amount_and_sends_nothing(
        field: str, bad: str, ledger_path: Path, make_order: MakeOrder, qbo: QuickBooksBackend,
        qbo_fake: QuickBooksFake, xero: XeroBackend, xero_fake: XeroFake) -> None:
    if field == "line":
        order = make_order(line_items=(LineItem("W", "Widget", Decimal(1), Decimal(bad),
                                                Decimal("100.00")),))
        name = "line 1 unit price"
    else:
        order = make_order(**{field: Decimal(bad)})
        name = field
    for backend in (BeancountLedger(ledger_path), qbo, xero):
        with pytest.raises(AccountingError) as refused:
            backend.post(order, "main:1001", "p-1")
        message = str(refused.value)
        assert message == f"order main:1001: {name} {Decimal(bad)} is not a finite amount: " \
                          "not posted"
        assert "\n" not in message
    assert not ledger_path.exists()
    assert qbo_fake.requests == [] and xero_fake.requests == []
