"""A demo order (Shopify-shaped) as BigCommerce's Orders V2 API sends it, with its sub-resources.

A V2 order holds neither its lines nor its shipping addresses: it links to
``/orders/{id}/products`` and ``/orders/{id}/shippingaddresses``, so a
translation is the order plus those two lists. Money is a string with four
decimals, dates are RFC 2822 in UTC (``+0000``, whatever the store's own
zone), and the state is one ``status_id`` (0-14, see the fixtures) next to
the gateway's ``payment_status``. Each change kind shows as:

- ``capture_payment``: Awaiting Payment (7) -> Awaiting Fulfillment (11),
  ``payment_status`` ``captured``;
- ``fulfil``: -> Shipped (2), or Partially Shipped (3), with ``items_shipped``
  and ``date_shipped``; ``close`` of a shipped order then makes it Completed (10);
- ``cancel``: -> Cancelled (5), with ``refunded_amount`` if it had been paid;
- ``refund``: ``refunded_amount``, Partially Refunded (14) or Refunded (4);
- ``edit_address``, ``edit_line``, ``edit_note``: the shipping address, the
  products and totals, ``customer_message``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC
from email.utils import format_datetime
from typing import Any

from orderupd_tui.demo import order_facts as facts
from orderupd_tui.demo.totals import cents

Order = dict[str, Any]

#: status_id -> name, as ``GET /v2/order_statuses`` lists them.
STATUS_NAMES = {
    0: "Incomplete", 1: "Pending", 2: "Shipped", 3: "Partially Shipped", 4: "Refunded",
    5: "Cancelled", 6: "Declined", 7: "Awaiting Payment", 8: "Awaiting Pickup",
    9: "Awaiting Shipment", 10: "Completed", 11: "Awaiting Fulfillment",
    12: "Manual Verification Required", 13: "Disputed", 14: "Partially Refunded",
}
#: Shopify financial_status -> the gateway's payment_status.
PAYMENT_STATUSES = {
    "pending": "pending", "authorized": "authorized", "paid": "captured",
    "partially_paid": "captured", "partially_refunded": "partially refunded",
    "refunded": "refunded", "voided": "void",
}
#: Shopify gateway -> payment_method.
GATEWAYS = {"manual": "Bank Deposit", "shopify_payments": "Credit Card", "paypal": "PayPal"}


@dataclass(frozen=True)
class Shaped:
    """An order as V2 serves it, and the two sub-resource lists it links to."""

    order: Order
    products: list[Order]
    shipping_addresses: list[Order]


def status_id(cancelled: bool, closed: bool, financial: str, fulfillment: str | None) -> int:
    """The V2 ``status_id`` of an order in this state."""
    if cancelled or financial == "voided":
        return 5
    if financial == "refunded":
        return 4
    if financial == "partially_refunded":
        return 14
    if fulfillment == "fulfilled":
        return 10 if closed else 2
    if fulfillment == "partial":
        return 3
    return 7 if financial == "pending" else 11


def four(value: int) -> str:
    """Cents as BigCommerce's four-decimal money string ("12.3000")."""
    sign = "-" if value < 0 else ""
    value = abs(value)
    return f"{sign}{value // 100}.{value % 100:02d}00"


def rfc2822(value: str | None) -> str:
    """A Shopify timestamp as V2 writes dates: RFC 2822 in UTC; ``""`` for none."""
    if not value:
        return ""
    return format_datetime(facts.when(value).astimezone(UTC))


def shape(order: Order, base_url: str, store_hash: str) -> Shaped:
    """The V2 order with its products and shipping addresses; links are under ``base_url``."""
    order_id = order["id"]
    api = f"{base_url}/stores/{store_hash}/v2"
    status = status_id(bool(order["cancelled_at"]), bool(order["closed_at"]),
                       order["financial_status"], order["fulfillment_status"])
    shipped = facts.shipped_by_line(order)
    refunded = facts.refunded_by_line(order)
    items_total = sum(li["quantity"] for li in order["line_items"])
    items_shipped = sum(shipped.values())
    tax = cents(order["total_tax"])
    total = cents(order["total_price"])
    lines = cents(order["total_line_items_price"])
    shipping_cost = facts.shipping(order)
    first, last = facts.buyer(order)
    customer = order["customer"]
    address_id = order["order_number"]
    addresses = ([_shipping_address(order, address_id, items_total, items_shipped,
                                    shipping_cost, api)]
                 if order["shipping_address"] else [])
    date_shipped = order["fulfillments"][-1]["created_at"] if order["fulfillments"] else None
    shaped = {
        "id": order_id,
        "customer_id": customer["id"] if customer else 0,
        "date_created": rfc2822(order["created_at"]),
        "date_modified": rfc2822(order["updated_at"]),
        "date_shipped": rfc2822(date_shipped),
        "status_id": status,
        "status": STATUS_NAMES[status],
        "subtotal_ex_tax": four(lines),
        "subtotal_inc_tax": four(lines + tax),
        "subtotal_tax": four(tax),
        "base_shipping_cost": four(shipping_cost),
        "shipping_cost_ex_tax": four(shipping_cost),
        "shipping_cost_inc_tax": four(shipping_cost),
        "shipping_cost_tax": four(0),
        "shipping_cost_tax_class_id": 0,
        "base_handling_cost": four(0),
        "handling_cost_ex_tax": four(0),
        "handling_cost_inc_tax": four(0),
        "handling_cost_tax": four(0),
        "handling_cost_tax_class_id": 0,
        "base_wrapping_cost": four(0),
        "wrapping_cost_ex_tax": four(0),
        "wrapping_cost_inc_tax": four(0),
        "wrapping_cost_tax": four(0),
        "wrapping_cost_tax_class_id": 0,
        "total_ex_tax": four(total - tax),
        "total_inc_tax": four(total),
        "total_tax": four(tax),
        "is_tax_inclusive_pricing": bool(order["taxes_included"]),
        "items_total": items_total,
        "items_shipped": items_shipped,
        "payment_method": GATEWAYS.get(order["payment_gateway_names"][0], "Manual"),
        "payment_provider_id": "",
        "payment_status": PAYMENT_STATUSES.get(order["financial_status"], ""),
        "refunded_amount": four(facts.refunded(order)),
        "order_is_digital": False,
        "store_credit_amount": four(0),
        "gift_certificate_amount": four(0),
        "ip_address": "",
        "ip_address_v6": "",
        "geoip_country": "",
        "geoip_country_iso2": "",
        "currency_id": 1,
        "currency_code": order["currency"],
        "currency_exchange_rate": "1.0000000000",
        "default_currency_id": 1,
        "default_currency_code": order["currency"],
        "staff_notes": "",
        "customer_message": order["note"] or "",
        "discount_amount": four(cents(order["total_discounts"])),
        "coupon_discount": four(cents(order["total_discounts"])),
        "shipping_address_count": len(addresses),
        "is_deleted": False,
        "ebay_order_id": "0",
        "cart_id": _uuid(order["token"]),
        "billing_address": {**_address(order["billing_address"], first, last),
                            "email": order["email"], "form_fields": []},
        "is_email_opt_in": False,
        "credit_card_type": None,
        "order_source": "www",
        "channel_id": 1,
        "external_source": None,
        "products": {"url": f"{api}/orders/{order_id}/products",
                     "resource": f"/orders/{order_id}/products"},
        "shipping_addresses": {"url": f"{api}/orders/{order_id}/shippingaddresses",
                               "resource": f"/orders/{order_id}/shippingaddresses"},
        "coupons": {"url": f"{api}/orders/{order_id}/coupons",
                    "resource": f"/orders/{order_id}/coupons"},
        "external_id": None,
        "external_merchant_id": None,
        "tax_provider_id": "BasicTaxProvider",
        "store_default_currency_code": order["currency"],
        "store_default_to_transactional_exchange_rate": "1.0000000000",
        "custom_status": STATUS_NAMES[status],
        "customer_locale": "en",
        "external_order_id": "",
        "fees": [],
    }
    products = [_product(li, order_id, address_id, shipped.get(li["id"], 0),
                         refunded.get(li["id"], 0)) for li in order["line_items"]]
    return Shaped(shaped, products, addresses)


def _uuid(token: str) -> str:
    return f"{token[:8]}-{token[8:12]}-{token[12:16]}-{token[16:20]}-{token[20:32]}"


def _address(address: Order | None, first: str, last: str) -> Order:
    a = address or {}
    return {
        "first_name": a.get("first_name") or first,
        "last_name": a.get("last_name") or last,
        "company": a.get("company") or "",
        "street_1": a.get("address1") or "",
        "street_2": a.get("address2") or "",
        "city": a.get("city") or "",
        "state": a.get("province") or "",
        "zip": a.get("zip") or "",
        "country": a.get("country") or "",
        "country_iso2": a.get("country_code") or "",
        "phone": a.get("phone") or "",
    }


def _shipping_address(order: Order, address_id: int, items_total: int, items_shipped: int,
                      cost: int, api: str) -> Order:
    first, last = facts.buyer(order)
    line = order["shipping_lines"][0] if order["shipping_lines"] else {"title": "None"}
    resource = f"/orders/{order['id']}/shippingaddresses/{address_id}/shippingquotes"
    return {
        "id": address_id,
        "order_id": order["id"],
        **_address(order["shipping_address"], first, last),
        "email": order["email"],
        "items_total": items_total,
        "items_shipped": items_shipped,
        "shipping_method": line["title"],
        "base_cost": four(cost),
        "cost_ex_tax": four(cost),
        "cost_inc_tax": four(cost),
        "cost_tax": four(0),
        "cost_tax_class_id": 0,
        "base_handling_cost": four(0),
        "handling_cost_ex_tax": four(0),
        "handling_cost_inc_tax": four(0),
        "handling_cost_tax": four(0),
        "handling_cost_tax_class_id": 0,
        "shipping_zone_id": 1,
        "shipping_zone_name": "Everywhere",
        "shipping_quotes": {"url": f"{api}{resource}", "resource": resource},
        "form_fields": [],
    }


def _product(li: Order, order_id: int, address_id: int, shipped: int, refunded: int) -> Order:
    price = cents(li["price"])
    quantity = li["quantity"]
    tax = facts.line_tax(li)
    unit_tax = tax // quantity if quantity else 0
    discount = facts.line_discount(li)
    return {
        "id": li["id"],
        "order_id": order_id,
        "product_id": li["product_id"],
        "variant_id": li["variant_id"],
        "order_address_id": address_id,
        "name": li["name"],
        "name_customer": li["name"],
        "name_merchant": li["name"],
        "sku": li["sku"],
        "upc": "",
        "type": "digital" if li["gift_card"] else "physical",
        "base_price": four(price),
        "price_ex_tax": four(price),
        "price_inc_tax": four(price + unit_tax),
        "price_tax": four(unit_tax),
        "base_total": four(price * quantity),
        "total_ex_tax": four(price * quantity),
        "total_inc_tax": four(price * quantity + tax),
        "total_tax": four(tax),
        "discounted_total_inc_tax": four(price * quantity - discount + tax),
        "weight": f"{li['grams'] / 1000:.4f}",
        "width": "0.0000",
        "height": "0.0000",
        "depth": "0.0000",
        "quantity": quantity,
        "base_cost_price": four(0),
        "cost_price_inc_tax": four(0),
        "cost_price_ex_tax": four(0),
        "cost_price_tax": four(0),
        "is_refunded": refunded >= quantity > 0,
        "quantity_refunded": refunded,
        "refund_amount": four(refunded * price),
        "return_id": 0,
        "wrapping_id": 0,
        "wrapping_name": "",
        "base_wrapping_cost": four(0),
        "wrapping_cost_ex_tax": four(0),
        "wrapping_cost_inc_tax": four(0),
        "wrapping_cost_tax": four(0),
        "wrapping_message": "",
        "quantity_shipped": shipped,
        "fixed_shipping_cost": four(0),
        "ebay_item_id": "",
        "ebay_transaction_id": "",
        "option_set_id": None,
        "parent_order_product_id": None,
        "is_bundled_product": False,
        "bin_picking_number": "",
        "external_id": None,
        "brand": li["vendor"],
        "applied_discounts": [{"id": "coupon", "amount": four(discount), "name": "Coupon",
                               "code": None, "target": "order"}] if discount else [],
        "product_options": [],
        "configurable_fields": [],
        "gift_certificate_id": None,
    }
