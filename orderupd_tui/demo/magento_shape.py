"""A demo order (Shopify-shaped) as Magento 2's REST API sends it (``/V1/orders``).

Magento keeps a fixed ``state`` and a merchant-editable ``status`` label
(the same words here), money as JSON numbers, and times as ``Y-m-d H:i:s``
in UTC whatever the store's locale. Payment is read off the amounts
(``total_paid``, ``total_refunded``, ``payment.amount_authorized``) and
shipping off each item's ``qty_shipped``. Each change kind shows as:

- ``capture_payment``: ``new``/``pending`` -> ``processing`` (an authorized
  order is already ``processing``), ``total_paid`` set;
- ``fulfil``: ``qty_shipped``, and ``complete`` once a paid order has all shipped;
- ``cancel``: -> ``canceled``, with ``total_refunded`` if it had been paid;
- ``refund``: ``total_refunded`` and the items' ``qty_refunded``; ``closed`` once
  everything is given back;
- ``edit_address``, ``edit_line``, ``edit_note``: the shipping assignment's
  address, the items and totals (``total_due`` then owed), ``customer_note``;
- ``close``, ``touch``: Magento has no archive; only ``updated_at`` moves.
"""

from __future__ import annotations

from datetime import UTC
from typing import Any

from orderupd_tui.demo import order_facts as facts
from orderupd_tui.demo.totals import cents

Order = dict[str, Any]
TIME_FORMAT = "%Y-%m-%d %H:%M:%S"

#: Shopify gateway -> (Magento payment method code, its title).
GATEWAYS = {
    "manual": ("banktransfer", "Bank Transfer Payment"),
    "shopify_payments": ("braintree", "Credit Card (Braintree)"),
    "paypal": ("paypal_express", "PayPal Express Checkout"),
}
SHIPPING_METHODS = {"STANDARD": "flatrate_flatrate", "EXPRESS": "tablerate_bestway",
                    "FREE": "freeshipping_freeshipping", "PICKUP": "instore_pickup"}


def state_of(cancelled: bool, financial: str, fulfillment: str | None) -> str:
    """The Magento ``state`` (and ``status``, the same word here) of an order in this state."""
    if cancelled or financial == "voided":
        return "canceled"
    if financial == "refunded":
        return "closed"
    if financial == "pending":
        return "new"
    if financial == "authorized":
        return "processing"
    return "complete" if fulfillment == "fulfilled" else "processing"


def status_of(state: str) -> str:
    """The default status label of each state (``new`` orders are ``pending``)."""
    return "pending" if state == "new" else state


def number(cents_value: int) -> float | int:
    """Cents as the JSON number Magento writes: ``165`` when whole, else ``33.11``."""
    return cents_value // 100 if cents_value % 100 == 0 else cents_value / 100


def stamp(value: str) -> str:
    """A Shopify timestamp as Magento's ``Y-m-d H:i:s`` in UTC."""
    return facts.when(value).astimezone(UTC).strftime(TIME_FORMAT)


def increment_id(order_number: int) -> str:
    return f"{order_number:09d}"


def shape(order: Order, base_url: str) -> Order:
    """The Magento order for a demo order (``base_url`` is unused: Magento sends no links)."""
    del base_url
    order_id = order["id"]
    state = state_of(bool(order["cancelled_at"]), order["financial_status"],
                     order["fulfillment_status"])
    total = cents(order["total_price"])
    tax = cents(order["total_tax"])
    discount = cents(order["total_discounts"])
    shipping = facts.shipping(order)
    subtotal = cents(order["total_line_items_price"])
    paid = facts.paid(order)
    refunded = facts.refunded(order)
    method, title = GATEWAYS.get(order["payment_gateway_names"][0], ("checkmo", "Check / Money"))
    created, updated = stamp(order["created_at"]), stamp(order["updated_at"])
    customer = order["customer"]
    shipped = facts.shipped_by_line(order)
    back = facts.refunded_by_line(order)
    cancelled = facts.cancelled_by_line(order)
    items = [_item(li, order_id, created, updated, shipped.get(li["id"], 0),
                   back.get(li["id"], 0), cancelled.get(li["id"], 0), paid > 0)
             for li in order["line_items"]]
    billing = _address(order["billing_address"], order, "billing", order["order_number"] * 2)
    shaped: Order = {
        "applied_rule_ids": "1" if discount else "",
        "base_currency_code": order["currency"],
        "base_discount_amount": number(-discount),
        "base_discount_tax_compensation_amount": 0,
        "base_grand_total": number(total),
        "base_shipping_amount": number(shipping),
        "base_shipping_discount_amount": 0,
        "base_shipping_incl_tax": number(shipping),
        "base_shipping_tax_amount": 0,
        "base_subtotal": number(subtotal),
        "base_subtotal_incl_tax": number(subtotal + tax),
        "base_tax_amount": number(tax),
        "base_total_due": number(total - paid),
        "base_to_global_rate": 1,
        "base_to_order_rate": 1,
        "billing_address_id": billing["entity_id"],
        "created_at": created,
        "customer_email": order["email"],
        "customer_group_id": 1 if customer else 0,
        "customer_is_guest": 0 if customer else 1,
        "customer_note_notify": 1,
        "discount_amount": number(-discount),
        "discount_tax_compensation_amount": 0,
        "email_sent": 1,
        "entity_id": order_id,
        "global_currency_code": order["currency"],
        "grand_total": number(total),
        "increment_id": increment_id(order["order_number"]),
        "is_virtual": 0,
        "order_currency_code": order["currency"],
        "protect_code": order["token"][:6],
        "quote_id": order["order_number"] + 3,
        "shipping_amount": number(shipping),
        "shipping_description": _shipping_title(order),
        "shipping_discount_amount": 0,
        "shipping_discount_tax_compensation_amount": 0,
        "shipping_incl_tax": number(shipping),
        "shipping_tax_amount": 0,
        "state": state,
        "status": status_of(state),
        "store_currency_code": order["currency"],
        "store_id": 1,
        "store_name": "Main Website\nMain Website Store\nDefault Store View",
        "store_to_base_rate": 0,
        "store_to_order_rate": 0,
        "subtotal": number(subtotal),
        "subtotal_incl_tax": number(subtotal + tax),
        "tax_amount": number(tax),
        "total_due": number(total - paid),
        "total_item_count": len(items),
        "total_qty_ordered": sum(li["quantity"] for li in order["line_items"]),
        "updated_at": updated,
        "weight": order["total_weight"] / 1000,
        "items": items,
        "billing_address": billing,
        "payment": {
            "account_status": None,
            "additional_information": [title, ""],
            "amount_ordered": number(total),
            "base_amount_ordered": number(total),
            "base_shipping_amount": number(shipping),
            "cc_last4": None,
            "entity_id": order["order_number"],
            "method": method,
            "parent_id": order_id,
            "shipping_amount": number(shipping),
        },
        "status_histories": [],
        "extension_attributes": {"shipping_assignments": [{
            "shipping": {
                **({"address": _address(order["shipping_address"], order, "shipping",
                                        order["order_number"] * 2 + 1)}
                   if order["shipping_address"] else {}),
                "method": _shipping_method(order),
                "total": {"base_shipping_amount": number(shipping),
                          "base_shipping_incl_tax": number(shipping),
                          "base_shipping_tax_amount": 0, "shipping_amount": number(shipping),
                          "shipping_incl_tax": number(shipping), "shipping_tax_amount": 0},
            },
            "items": items,
        }]},
    }
    if customer:
        shaped["customer_id"] = customer["id"]
        shaped["customer_firstname"] = customer["first_name"]
        shaped["customer_lastname"] = customer["last_name"]
    if order["note"]:
        shaped["customer_note"] = order["note"]
    # Magento leaves out the amounts that never happened rather than sending zeros.
    if paid:
        shaped.update(total_paid=number(paid), base_total_paid=number(paid),
                      total_invoiced=number(paid), base_total_invoiced=number(paid))
        shaped["payment"].update(amount_paid=number(paid), base_amount_paid=number(paid))
    elif order["financial_status"] == "authorized":
        shaped["payment"].update(amount_authorized=number(total),
                                 base_amount_authorized=number(total))
    if refunded:
        shaped.update(total_refunded=number(refunded), base_total_refunded=number(refunded),
                      total_online_refunded=number(refunded))
        shaped["payment"]["amount_refunded"] = number(refunded)
    if state == "canceled":
        shaped["total_canceled"] = number(total - refunded)
    return shaped


def _shipping_title(order: Order) -> str:
    line = order["shipping_lines"][0] if order["shipping_lines"] else None
    return f"{line['title']} - {line['code'].title()}" if line else ""


def _shipping_method(order: Order) -> str:
    line = order["shipping_lines"][0] if order["shipping_lines"] else None
    return SHIPPING_METHODS.get(line["code"], "flatrate_flatrate") if line else ""


def _address(address: Order | None, order: Order, kind: str, entity_id: int) -> Order:
    a = address or {}
    first, last = facts.buyer(order)
    street = [s for s in (a.get("address1"), a.get("address2")) if s]
    return {
        "address_type": kind,
        "city": a.get("city") or "",
        "company": a.get("company") or "",
        "country_id": a.get("country_code") or "",
        "email": order["email"],
        "entity_id": entity_id,
        "firstname": a.get("first_name") or first,
        "lastname": a.get("last_name") or last,
        "parent_id": order["id"],
        "postcode": a.get("zip") or "",
        "region": a.get("province") or "",
        "region_code": a.get("province_code") or "",
        "street": street,
        "telephone": a.get("phone") or "",
    }


def _item(li: Order, order_id: int, created: str, updated: str, shipped: int, refunded: int,
          cancelled: int, invoiced: bool) -> Order:
    price = cents(li["price"])
    quantity = li["quantity"]
    row = price * quantity
    tax = facts.line_tax(li)
    discount = facts.line_discount(li)
    percent = li["tax_lines"][0]["rate"] * 100 if li["tax_lines"] else 0
    return {
        "amount_refunded": number(refunded * price),
        "applied_rule_ids": "1" if discount else "",
        "base_amount_refunded": number(refunded * price),
        "base_discount_amount": number(discount),
        "base_discount_invoiced": number(discount if invoiced else 0),
        "base_discount_tax_compensation_amount": 0,
        "base_original_price": number(price),
        "base_price": number(price),
        "base_price_incl_tax": number(price + (tax // quantity if quantity else 0)),
        "base_row_invoiced": number(row if invoiced else 0),
        "base_row_total": number(row),
        "base_row_total_incl_tax": number(row + tax),
        "base_tax_amount": number(tax),
        "base_tax_invoiced": number(tax if invoiced else 0),
        "created_at": created,
        "discount_amount": number(discount),
        "discount_invoiced": number(discount if invoiced else 0),
        "discount_percent": 0,
        "discount_tax_compensation_amount": 0,
        "free_shipping": 0,
        "is_qty_decimal": 0,
        "is_virtual": 1 if li["gift_card"] else 0,
        "item_id": li["id"],
        "name": li["name"],
        "no_discount": 0,
        "order_id": order_id,
        "original_price": number(price),
        "price": number(price),
        "price_incl_tax": number(price + (tax // quantity if quantity else 0)),
        "product_id": li["product_id"],
        "product_type": "virtual" if li["gift_card"] else "simple",
        "qty_canceled": cancelled,
        "qty_invoiced": quantity if invoiced else 0,
        "qty_ordered": quantity,
        "qty_refunded": refunded,
        "qty_shipped": shipped,
        "quote_item_id": li["id"] % 1_000_000,
        "row_invoiced": number(row if invoiced else 0),
        "row_total": number(row),
        "row_total_incl_tax": number(row + tax),
        "row_weight": li["grams"] * quantity / 1000,
        "sku": li["sku"],
        "store_id": 1,
        "tax_amount": number(tax),
        "tax_invoiced": number(tax if invoiced else 0),
        "tax_percent": round(percent, 4),
        "updated_at": updated,
        "weight": li["grams"] / 1000,
    }
