"""Every connector reads money, quantities and lines as the store meant them.

The payloads are written here from what each platform documents (field
names and types of WooCommerce REST v3, Magento 2 ``V1/orders``, Shopify
Admin REST, BigCommerce Orders V2 and Mal's remote call), each with one
hostile detail: a three-decimal or a no-decimal currency, a weighed
quantity, a line listed twice, an amount that is not a number.  Every
order that reads must survive the trip to storage and back unchanged.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import orjson
import pytest

from orderupd_tui.domain.changes import diff
from orderupd_tui.domain.order import NormalizedOrder, UnreadableField
from orderupd_tui.stores import bigcommerce, magento, mals, shopify, woocommerce

#: (line id, quantity, unit price, line total) as a test writes them.
Line = tuple[Any, Any, Any, Any]
RECEIVED = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)


def woo_payload(currency: Any, total: Any, lines: list[Line]) -> dict[str, Any]:
    return {
        "id": 727, "number": "727", "status": "processing", "currency": currency,
        "date_created_gmt": "2026-11-20T10:00:00", "date_modified_gmt": "2026-11-20T10:05:00",
        "date_paid_gmt": "2026-11-20T10:01:00", "payment_method": "stripe",
        "total": total, "total_tax": "0", "shipping_total": "0", "discount_total": "0",
        "billing": {"first_name": "Dana", "last_name": "Saleh", "email": "dana@example.com"},
        "shipping": {}, "refunds": [],
        "line_items": [{"id": i, "name": f"Item {i}", "sku": f"S{i}", "quantity": q,
                        "price": p, "subtotal": t, "total": t} for i, q, p, t in lines],
    }


def magento_payload(currency: Any, total: Any, lines: list[Line]) -> dict[str, Any]:
    return {
        "entity_id": 3, "increment_id": "000000003", "state": "processing",
        "status": "processing", "order_currency_code": currency, "base_currency_code": "USD",
        "created_at": "2026-11-20 10:00:00", "updated_at": "2026-11-20 10:05:00",
        "grand_total": total, "total_paid": total, "total_due": 0, "subtotal": total,
        "tax_amount": 0, "shipping_amount": 0, "discount_amount": 0,
        "customer_email": "dana@example.com", "customer_firstname": "Dana",
        "customer_lastname": "Saleh", "payment": {"method": "checkmo"},
        "items": [{"item_id": i, "sku": f"S{i}", "name": f"Item {i}", "qty_ordered": q,
                   "qty_shipped": 0, "price": p, "row_total": t} for i, q, p, t in lines],
    }


def shopify_payload(currency: Any, total: Any, lines: list[Line]) -> dict[str, Any]:
    return {
        "id": 450789469, "order_number": 1001, "name": "#1001", "currency": currency,
        "presentment_currency": currency, "financial_status": "paid",
        "fulfillment_status": None, "created_at": "2026-11-20T10:00:00-05:00",
        "updated_at": "2026-11-20T10:05:00-05:00", "total_price": total,
        "subtotal_price": total, "total_tax": "0.00", "total_discounts": "0.00",
        "total_outstanding": "0.00", "shipping_lines": [], "refunds": [], "test": False,
        "email": "dana@example.com", "customer": {"first_name": "Dana", "last_name": "Saleh"},
        "line_items": [{"id": i, "title": f"Item {i}", "name": f"Item {i}", "sku": f"S{i}",
                        "quantity": q, "price": p, "discount_allocations": []}
                       for i, q, p, _ in lines],
    }


def bigcommerce_payload(currency: Any, total: Any, lines: list[Line]) -> dict[str, Any]:
    return {
        "id": 247, "status_id": 11, "status": "Awaiting Fulfillment",
        "date_created": "Fri, 20 Nov 2026 10:00:00 +0000",
        "date_modified": "Fri, 20 Nov 2026 10:05:00 +0000",
        "currency_code": currency, "default_currency_code": "USD",
        "total_inc_tax": total, "total_ex_tax": total, "total_tax": "0.0000",
        "subtotal_ex_tax": total, "shipping_cost_ex_tax": "0.0000", "discount_amount": "0.0000",
        "refunded_amount": "0.0000", "payment_status": "captured",
        "payment_method": "Credit Card", "items_total": 1, "items_shipped": 0,
        "billing_address": {"first_name": "Dana", "last_name": "Saleh",
                            "email": "dana@example.com"},
        "products": [{"id": i, "name": f"Item {i}", "sku": f"S{i}", "quantity": q,
                      "price_ex_tax": p, "total_ex_tax": t} for i, q, p, t in lines],
        "shipping_addresses": [],
    }


def mals_fields(currency: Any, total: Any, lines: list[Line]) -> dict[str, Any]:
    cart = "~".join(f"Item {i}:{q}:{p}:1:S{i}" for i, q, p, _ in lines)
    fields = {"id": "55", "cart": cart, "method": "Card", "inv_name": "Dana Saleh",
              "email": "dana@example.com", "_currency": currency}
    if total is not None:
        fields["total"] = str(total)
    return fields


def read_mals(fields: dict[str, Any]) -> NormalizedOrder:
    fields = dict(fields)
    currency = fields.pop("_currency")
    return mals.normalize(fields, RECEIVED, currency=currency)


@dataclass(frozen=True)
class Platform:
    build: Callable[[Any, Any, list[Line]], dict[str, Any]]
    read: Callable[[dict[str, Any]], NormalizedOrder]
    total: str  # the field the order's total is read from
    line: str  # how the first line's price field is named in an error
    numbers: bool = False  # amounts are JSON numbers (Magento), not strings
    line_ids: bool = True  # lines carry ids (Mal's cart has none)


PLATFORMS = {
    "woocommerce": Platform(woo_payload, woocommerce.normalize, "total", "line_items[0].price"),
    "magento": Platform(magento_payload, magento.normalize, "grand_total", "items[0].price",
                        numbers=True),
    "shopify": Platform(shopify_payload, shopify.normalize, "total_price",
                        "line_items[0].price"),
    "bigcommerce": Platform(bigcommerce_payload, bigcommerce.normalize, "total_inc_tax",
                            "products[0].price_ex_tax"),
    "mals": Platform(mals_fields, read_mals, "total", "cart[0].price", line_ids=False),
}


def amount(platform: Platform, text: str) -> Any:
    """An amount as the platform writes it: a JSON number for Magento, else a string."""
    return float(text) if platform.numbers else text


def round_trip(order: NormalizedOrder) -> None:
    """normalize -> digest -> stored (JSON, as the database keeps it) -> from_dict -> diff."""
    stored = NormalizedOrder.from_dict(orjson.loads(orjson.dumps(order.to_dict())))
    assert stored == order
    assert diff(order, stored) == [] and diff(stored, order) == []
    assert stored.digest() == order.digest()


@pytest.fixture(params=sorted(PLATFORMS))
def platform(request: pytest.FixtureRequest) -> Platform:
    return PLATFORMS[request.param]


# --- currencies -----------------------------------------------------------------------------


def test_kwd_keeps_its_third_decimal(platform: Platform) -> None:
    price = amount(platform, "12.345")
    order = platform.read(platform.build("KWD", price, [(1, 1, price, price)]))
    assert (str(order.total), order.currency) == ("12.345", "KWD")
    assert str(order.line_items[0].unit_price) == "12.345"
    round_trip(order)


def test_jpy_has_no_decimals(platform: Platform) -> None:
    price = amount(platform, "1500.00")
    order = platform.read(platform.build("JPY", price, [(1, 1, price, price)]))
    assert (str(order.total), order.currency) == ("1500", "JPY")
    assert str(order.line_items[0].total) == "1500"
    round_trip(order)


def test_every_amount_carries_the_currency_precision_even_zero(platform: Platform) -> None:
    price = amount(platform, "12.345")
    order = platform.read(platform.build("KWD", price, [(1, 1, price, price)]))
    stored = order.to_dict()
    assert {k: stored[k] for k in ("tax", "shipping", "discount", "refunded")} == dict.fromkeys(
        ("tax", "shipping", "discount", "refunded"), "0.000")


def test_an_unknown_currency_code_is_unreadable(platform: Platform) -> None:
    with pytest.raises(UnreadableField, match="'EURO' is not an ISO 4217 currency code"):
        platform.read(platform.build("EURO", amount(platform, "10.00"), []))


# --- quantities and lines ---------------------------------------------------------------------


def test_a_weighed_quantity_stays_fractional(platform: Platform) -> None:
    order = platform.read(platform.build("USD", amount(platform, "6.00"),
                                         [(1, 1.5, amount(platform, "4.00"),
                                           amount(platform, "6.00"))]))
    (line,) = order.line_items
    assert (line.quantity, str(line.quantity)) == (Decimal("1.5"), "1.5")
    round_trip(order)
    heavier = platform.read(platform.build("USD", amount(platform, "6.80"),
                                           [(1, 1.7, amount(platform, "4.00"),
                                             amount(platform, "6.80"))]))
    assert "line_items" in {c.kind for c in diff(order, heavier)}


def test_whole_quantities_print_without_a_point(platform: Platform) -> None:
    order = platform.read(platform.build("USD", amount(platform, "8.00"),
                                         [(1, "2.0" if not platform.numbers else 2.0,
                                           amount(platform, "4.00"), amount(platform, "8.00"))]))
    assert str(order.line_items[0].quantity) == "2"


def test_a_line_listed_twice_is_kept_once_and_noted(platform: Platform) -> None:
    if not platform.line_ids:
        pytest.skip("Mal's cart lines have no id: two equal lines are two purchases")
    price = amount(platform, "25.00")
    order = platform.read(platform.build("USD", price, [(9, 1, price, price)] * 2))
    assert [li.sku for li in order.line_items] == ["S9"]
    assert order.notes == ("line 9 was listed 2 times: kept once",)
    round_trip(order)


def test_an_error_after_a_collapsed_line_names_the_line_the_store_has(
        platform: Platform) -> None:
    if not platform.line_ids:
        pytest.skip("Mal's cart lines have no id")
    price = amount(platform, "5.00")
    with pytest.raises(UnreadableField) as caught:
        platform.read(platform.build("USD", amount(platform, "10.00"),
                                     [(1, 1, price, price), (1, 1, price, price),
                                      (2, 1, "NaN", price)]))
    assert caught.value.field == platform.line.replace("[0]", "[2]")


def test_two_lines_with_their_own_ids_are_both_kept(platform: Platform) -> None:
    price = amount(platform, "5.00")
    order = platform.read(platform.build("USD", amount(platform, "10.00"),
                                         [(1, 1, price, price), (2, 1, price, price)]))
    assert len(order.line_items) == 2 and order.notes == ()


# --- unreadable money ---------------------------------------------------------------------------


@pytest.mark.parametrize(("value", "problem"), [
    ("NaN", "is not a finite number"),
    ("Infinity", "is not a finite number"),
    ("-Infinity", "is not a finite number"),
    ("twelve", "is not a finite number"),
    ("1e20", "is out of range"),
])
def test_a_total_that_is_not_a_number_is_unreadable_naming_the_field(
        platform: Platform, value: str, problem: str) -> None:
    with pytest.raises(UnreadableField) as caught:
        platform.read(platform.build("USD", value, []))
    assert caught.value.field == platform.total
    assert problem in caught.value.problem


def test_a_null_total_is_unreadable(platform: Platform) -> None:
    with pytest.raises(UnreadableField) as caught:
        platform.read(platform.build("USD", None, []))
    assert (caught.value.field, caught.value.problem) == (platform.total, "missing")


def test_a_float_nan_total_is_unreadable(platform: Platform) -> None:
    with pytest.raises(UnreadableField, match="is not a finite number"):
        platform.read(platform.build("USD", float("nan"), []))


def test_a_nan_line_price_is_unreadable_naming_the_line(platform: Platform) -> None:
    with pytest.raises(UnreadableField) as caught:
        platform.read(platform.build("USD", amount(platform, "10.00"),
                                     [(1, 1, "NaN", amount(platform, "10.00"))]))
    assert caught.value.field.startswith(platform.line.split(".")[0])
    assert "not a finite number" in caught.value.problem


def test_a_nan_quantity_is_unreadable(platform: Platform) -> None:
    with pytest.raises(UnreadableField, match="is not a finite number"):
        platform.read(platform.build("USD", amount(platform, "10.00"),
                                     [(1, "NaN", amount(platform, "10.00"),
                                       amount(platform, "10.00"))]))


# --- payment status from payment facts ----------------------------------------------------------


def woo(**changes: Any) -> dict[str, Any]:
    return {**woo_payload("USD", "25.00", [(1, 1, "25.00", "25.00")]), **changes}


@pytest.mark.parametrize(("changes", "payment"), [
    # Cash on delivery: processing before any money arrives.
    ({"payment_method": "cod", "date_paid_gmt": None}, "pending"),
    ({"payment_method": "bacs", "date_paid_gmt": None}, "pending"),
    ({"payment_method": "cheque", "date_paid_gmt": None}, "pending"),
    ({"payment_method": "cod", "date_paid_gmt": "2026-11-22T09:00:00",
      "status": "completed"}, "paid"),
    # A card order in processing without a payment date: the facts disagree.
    ({"payment_method": "stripe", "date_paid_gmt": None}, "unknown"),
    ({"status": "completed", "date_paid_gmt": None}, "unknown"),
    ({"status": "on-hold", "payment_method": "bacs", "date_paid_gmt": None}, "pending"),
    ({"status": "pending", "date_paid_gmt": "2026-11-20T10:01:00"}, "unknown"),
    ({"status": "failed", "date_paid_gmt": None}, "failed"),
    ({"status": "cancelled", "date_paid_gmt": None}, "voided"),
    ({"status": "cancelled"}, "paid"),
    ({"refunds": [{"id": 5, "reason": "", "total": "-5.00"}]}, "partially_refunded"),
    ({"refunds": [{"id": 5, "reason": "", "total": "-25.00"}]}, "refunded"),
])
def test_woocommerce_payment_comes_from_the_payment_date(changes: dict[str, Any],
                                                         payment: str) -> None:
    order = woocommerce.normalize(woo(**changes))
    assert order.payment_status == payment
    round_trip(order)


def test_woocommerce_before_3_0_has_no_payment_date_and_trusts_the_status() -> None:
    raw = woo()
    del raw["date_paid_gmt"]
    assert woocommerce.normalize(raw).payment_status == "paid"


def test_woocommerce_cod_payment_arriving_is_a_payment_change() -> None:
    before = woocommerce.normalize(woo(payment_method="cod", date_paid_gmt=None))
    after = woocommerce.normalize(woo(payment_method="cod", status="completed",
                                      date_paid_gmt="2026-11-22T09:00:00"))
    changes = {c.field: (c.old, c.new) for c in diff(before, after)}
    assert changes["payment_status"] == ("pending", "paid")


def mage(**changes: Any) -> dict[str, Any]:
    return {**magento_payload("USD", 165.0, [(1, 1, 165.0, 165.0)]), **changes}


@pytest.mark.parametrize(("changes", "payment"), [
    # Processing with nothing paid and everything due: shipped before anyone paid.
    ({"total_paid": None, "total_due": 165}, "pending"),
    ({"total_paid": 0, "total_due": 165}, "pending"),
    ({"total_paid": 165, "total_due": 0}, "paid"),
    ({"total_paid": 165, "total_due": 165}, "unknown"),
    ({"total_paid": 100, "total_due": 65}, "partially_paid"),
    ({"total_paid": None, "total_invoiced": 165, "total_due": 165}, "pending"),
    ({"total_paid": None, "payment": {"method": "braintree", "amount_authorized": 165}},
     "authorized"),
    ({"total_paid": None, "payment": {"method": "checkmo", "amount_paid": 165}}, "paid"),
    ({"state": "complete", "status": "complete", "total_paid": None}, "unknown"),
    ({"state": "complete", "status": "complete", "total_paid": 165, "total_due": 0}, "paid"),
    ({"total_refunded": 165}, "refunded"),
    ({"total_refunded": 20}, "partially_refunded"),
    ({"state": "canceled", "status": "canceled", "total_paid": None}, "voided"),
    # Paid in full by a gift card or store credit: Adobe Commerce leaves nothing to pay.
    ({"grand_total": 0, "total_paid": 0, "total_due": 0, "subtotal": 165,
      "extension_attributes": {"gift_cards_amount": 165}}, "paid"),
])
def test_magento_payment_comes_from_the_amounts(changes: dict[str, Any], payment: str) -> None:
    order = magento.normalize(mage(**changes))
    assert order.payment_status == payment
    round_trip(order)


def shop(**changes: Any) -> dict[str, Any]:
    return {**shopify_payload("USD", "25.00", [(1, 1, "25.00", "25.00")]), **changes}


@pytest.mark.parametrize(("changes", "payment"), [
    ({}, "paid"),
    ({"total_outstanding": "25.00"}, "unknown"),
    ({"test": True}, "unknown"),
    ({"financial_status": "pending", "total_outstanding": "25.00"}, "pending"),
    ({"financial_status": "partially_paid", "total_outstanding": "10.00"}, "partially_paid"),
    ({"financial_status": "expired"}, "failed"),
    ({"financial_status": None}, "unknown"),
    ({"financial_status": "chargeback"}, "unknown"),
    # Transactions, where an integration embeds them, must account for the total.
    ({"transactions": [{"kind": "sale", "status": "success", "amount": "25.00",
                        "currency": "USD"}]}, "paid"),
    ({"transactions": [{"kind": "sale", "status": "success", "amount": "15.00",
                        "gateway": "gift_card", "currency": "USD"},
                       {"kind": "sale", "status": "success", "amount": "10.00",
                        "gateway": "shopify_payments", "currency": "USD"}]}, "paid"),
    ({"transactions": [{"kind": "authorization", "status": "success", "amount": "25.00"}]},
     "unknown"),
    ({"transactions": [{"kind": "sale", "status": "failure", "amount": "25.00"}]}, "unknown"),
])
def test_shopify_payment_is_financial_status_checked_against_the_money(
        changes: dict[str, Any], payment: str) -> None:
    order = shopify.normalize(shop(**changes))
    assert order.payment_status == payment
    round_trip(order)


def test_shopify_reads_shop_money_not_presentment_money() -> None:
    raw = shop(currency="EUR", presentment_currency="KWD", total_price=None,
               total_price_set={"shop_money": {"amount": "30.00", "currency_code": "EUR"},
                                "presentment_money": {"amount": "9.876",
                                                      "currency_code": "KWD"}})
    order = shopify.normalize(raw)
    assert (str(order.total), order.currency) == ("30.00", "EUR")
    assert order.extra["presentment_currency"] == "KWD"


def test_shopify_prices_including_tax_are_laid_out_net() -> None:
    """``taxes_included``: 24.00 with 4.00 VAT in it is a 20.00 line and 4.00 of tax."""
    raw = shop(total_price="29.00", total_tax="4.83", taxes_included=True,
               line_items=[{"id": 1, "name": "Tea", "sku": "TEA", "quantity": 1,
                            "price": "24.00", "discount_allocations": [],
                            "tax_lines": [{"price": "4.00", "rate": 0.2, "title": "VAT"}]}],
               shipping_lines=[{"price": "5.00", "tax_lines": [{"price": "0.83"}]}])
    order = shopify.normalize(raw)
    assert (order.line_items[0].total, order.shipping, order.tax) == (
        Decimal("20.00"), Decimal("4.17"), Decimal("4.83"))
    assert order.line_items[0].total + order.shipping + order.tax == order.total


def bc(**changes: Any) -> dict[str, Any]:
    return {**bigcommerce_payload("USD", "25.0000", [(1, 1, "25.0000", "25.0000")]), **changes}


@pytest.mark.parametrize(("changes", "payment"), [
    ({}, "paid"),
    ({"payment_status": "authorized"}, "authorized"),
    ({"payment_status": "captured", "status_id": 7, "status": "Awaiting Payment"}, "unknown"),
    ({"payment_status": "", "payment_method": "Cash on Delivery"}, "pending"),
    ({"payment_status": "", "payment_method": "Bank Deposit", "status_id": 9}, "pending"),
    ({"payment_status": "", "payment_method": "Check", "status_id": 2}, "unknown"),
    ({"payment_status": "", "payment_method": "Manual"}, "paid"),
    ({"payment_status": "", "payment_method": "storecredit", "status_id": 7,
      "store_credit_amount": "25.0000"}, "paid"),
    ({"payment_status": "", "payment_method": "giftcertificate", "status_id": 7,
      "gift_certificate_amount": "15.0000", "store_credit_amount": "10.0000"}, "paid"),
    ({"payment_method": "Test Payment Gateway"}, "unknown"),
    ({"refunded_amount": "5.0000"}, "partially_refunded"),
    ({"refunded_amount": "25.0000"}, "refunded"),
])
def test_bigcommerce_payment_is_the_gateway_word_and_the_refunded_amount(
        changes: dict[str, Any], payment: str) -> None:
    order = bigcommerce.normalize(bc(**changes))
    assert order.payment_status == payment
    round_trip(order)


def test_bigcommerce_tax_inclusive_prices_are_laid_out_net() -> None:
    raw = bc(is_tax_inclusive_pricing=True, total_inc_tax="24.0000", total_tax="4.0000",
             subtotal_ex_tax="20.0000", subtotal_inc_tax="24.0000",
             products=[{"id": 1, "name": "Tea", "sku": "TEA", "quantity": 1,
                        "price_ex_tax": "20.0000", "price_inc_tax": "24.0000",
                        "total_ex_tax": "20.0000", "total_inc_tax": "24.0000"}])
    order = bigcommerce.normalize(raw)
    assert (order.subtotal, order.line_items[0].total, order.tax, order.total) == (
        Decimal("20.00"), Decimal("20.00"), Decimal("4.00"), Decimal("24.00"))
