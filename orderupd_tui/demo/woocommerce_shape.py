"""A demo order (Shopify-shaped) as WooCommerce REST v3 sends it, per ``/wp-json/wc/v3/orders``.

WooCommerce has one ``status`` where Shopify has three, so each change kind
shows as follows (the shape follows the published examples in the fixtures):

- ``capture_payment``: ``pending``/``on-hold`` -> ``processing``, ``date_paid`` set;
- ``fulfil``: a paid order -> ``completed`` (``date_completed`` set); a partial
  shipment has no WooCommerce status and shows only in ``date_modified``;
- ``cancel``: -> ``cancelled``, with a refund in ``refunds`` if it had been paid;
- ``refund``: a refund in ``refunds`` (negative ``total``), and ``refunded``
  once everything is given back;
- ``edit_address``, ``edit_line``, ``edit_note``: ``shipping``, ``line_items`` and
  totals, ``customer_note``;
- ``close``, ``touch``: WooCommerce has no archive, so only ``date_modified`` moves.

Dates come twice: ``date_created`` in the shop's zone and ``date_created_gmt``
in UTC, both without a zone mark, as WordPress writes them.
"""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo
from typing import Any

from orderupd_tui.demo import order_facts as facts
from orderupd_tui.demo.totals import cents, fmt

Order = dict[str, Any]
WC_VERSION = "9.1.2"

#: Shopify gateway -> (payment_method, payment_method_title).
GATEWAYS = {
    "manual": ("bacs", "Direct bank transfer"),
    "shopify_payments": ("stripe", "Credit Card (Stripe)"),
    "paypal": ("ppcp-gateway", "PayPal"),
}
#: Shopify shipping code -> WooCommerce shipping method id.
SHIPPING_METHODS = {"STANDARD": "flat_rate", "EXPRESS": "flat_rate", "FREE": "free_shipping",
                    "PICKUP": "local_pickup"}


def status_of(cancelled: bool, financial: str, fulfillment: str | None) -> str:
    """The WooCommerce status of an order in this state (one word for payment and shipping).

    ``authorized`` is ``on-hold``, as gateways leave an order whose payment
    is only authorized; a paid order is ``processing`` until all of it ships.
    """
    if cancelled or financial == "voided":
        return "cancelled"
    if financial == "refunded":
        return "refunded"
    if financial == "pending":
        return "pending"
    if financial == "authorized":
        return "on-hold"
    return "completed" if fulfillment == "fulfilled" else "processing"


def shape(order: Order, base_url: str, tz: tzinfo) -> Order:
    """The WooCommerce order for a demo order; ``tz`` is the shop's zone (for local dates)."""
    currency = order["currency"]
    order_id = order["id"]
    status = status_of(bool(order["cancelled_at"]), order["financial_status"],
                       order["fulfillment_status"])
    method, title = GATEWAYS.get(order["payment_gateway_names"][0], ("other", "Other"))
    paid_at = facts.paid_at(order)
    done_at = facts.completed_at(order) if status == "completed" else None
    created_local, created_gmt = _dates(order["created_at"], tz)
    modified_local, modified_gmt = _dates(order["updated_at"], tz)
    paid_local, paid_gmt = _dates(paid_at, tz)
    done_local, done_gmt = _dates(done_at, tz)
    customer = order["customer"]
    return {
        "id": order_id,
        "parent_id": 0,
        "status": status,
        "currency": currency,
        "version": WC_VERSION,
        "prices_include_tax": bool(order["taxes_included"]),
        "date_created": created_local,
        "date_modified": modified_local,
        "discount_total": order["total_discounts"],
        "discount_tax": "0.00",
        "shipping_total": fmt(facts.shipping(order)),
        "shipping_tax": "0.00",
        "cart_tax": order["total_tax"],
        "total": order["total_price"],
        "total_tax": order["total_tax"],
        "customer_id": customer["id"] if customer else 0,
        "order_key": f"wc_order_{order['token'][:13]}",
        "billing": _address(order["billing_address"], order["email"]),
        "shipping": _address(order["shipping_address"], None),
        "payment_method": method,
        "payment_method_title": title,
        "transaction_id": f"txn_{order['token'][:24]}" if paid_at and method != "bacs" else "",
        "customer_ip_address": "",
        "customer_user_agent": "",
        "created_via": "checkout",
        "customer_note": order["note"] or "",
        "date_completed": done_local,
        "date_paid": paid_local,
        "cart_hash": order["token"],
        "number": str(order["order_number"]),
        "meta_data": [],
        "line_items": [_line(li) for li in order["line_items"]],
        "tax_lines": [
            {"id": order["order_number"] * 100 + i, "rate_code": f"{t['title']}-1",
             "rate_id": i + 1, "label": t["title"], "compound": False, "tax_total": t["price"],
             "shipping_tax_total": "0.00", "rate_percent": round(t["rate"] * 100, 3),
             "meta_data": []}
            for i, t in enumerate(order["tax_lines"])
        ],
        "shipping_lines": [
            {"id": s["id"], "method_title": s["title"],
             "method_id": SHIPPING_METHODS.get(s["code"], "flat_rate"), "instance_id": "1",
             "total": s["price"], "total_tax": "0.00", "taxes": [], "meta_data": []}
            for s in order["shipping_lines"]
        ],
        "fee_lines": [],
        "coupon_lines": [
            {"id": order["order_number"] * 100 + 90 + i, "code": c["code"].lower(),
             "discount": c["amount"], "discount_tax": "0.00", "meta_data": []}
            for i, c in enumerate(order["discount_codes"])
        ],
        "refunds": [
            {"id": r["id"], "reason": r["note"] or "",
             "total": fmt(-sum(cents(t["amount"]) for t in r["transactions"]
                               if t["kind"] == "refund" and t["status"] == "success"))}
            for r in order["refunds"]
        ],
        "payment_url": f"{base_url}/checkout/order-pay/{order_id}/?pay_for_order=true"
                       f"&key=wc_order_{order['token'][:13]}",
        "is_editable": status in ("pending", "on-hold"),
        "needs_payment": status in ("pending", "failed"),
        "needs_processing": True,
        "date_created_gmt": created_gmt,
        "date_modified_gmt": modified_gmt,
        "date_completed_gmt": done_gmt,
        "date_paid_gmt": paid_gmt,
        "currency_symbol": "$" if currency in ("USD", "CAD") else currency,
        "_links": {
            "self": [{"href": f"{base_url}/wp-json/wc/v3/orders/{order_id}"}],
            "collection": [{"href": f"{base_url}/wp-json/wc/v3/orders"}],
            **({"customer": [{"href": f"{base_url}/wp-json/wc/v3/customers/{customer['id']}"}]}
               if customer else {}),
        },
    }


def local_and_gmt(moment: datetime, tz: tzinfo) -> tuple[str, str]:
    """WordPress's pair of zone-less stamps: in the shop's zone, and in UTC."""
    return (moment.astimezone(tz).strftime("%Y-%m-%dT%H:%M:%S"),
            moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S"))


def _dates(value: str | None, tz: tzinfo) -> tuple[str | None, str | None]:
    if value is None:
        return None, None
    return local_and_gmt(facts.when(value), tz)


def _address(address: Order | None, email: str | None) -> Order:
    """WooCommerce's flat address; every field is an empty string when there is none."""
    a = address or {}
    shaped = {
        "first_name": a.get("first_name") or "",
        "last_name": a.get("last_name") or "",
        "company": a.get("company") or "",
        "address_1": a.get("address1") or "",
        "address_2": a.get("address2") or "",
        "city": a.get("city") or "",
        "state": a.get("province_code") or "",
        "postcode": a.get("zip") or "",
        "country": a.get("country_code") or "",
    }
    if email is not None:
        shaped["email"] = email
    shaped["phone"] = a.get("phone") or ""
    return shaped


def _line(li: Order) -> Order:
    gross = cents(li["price"]) * li["quantity"]
    net = gross - facts.line_discount(li)
    tax = facts.line_tax(li)
    return {
        "id": li["id"],
        "name": li["name"],
        "product_id": li["product_id"],
        "variation_id": li["variant_id"],
        "quantity": li["quantity"],
        "tax_class": "",
        "subtotal": fmt(gross),
        "subtotal_tax": fmt(tax),
        "total": fmt(net),
        "total_tax": fmt(tax),
        "taxes": [{"id": i + 1, "total": t["price"], "subtotal": t["price"]}
                  for i, t in enumerate(li["tax_lines"])],
        "meta_data": [],
        "sku": li["sku"],
        # WooCommerce's line price is the discounted unit price, as a JSON number.
        "price": net / 100 / li["quantity"] if li["quantity"] else 0,
        "image": {"id": "", "src": ""},
        "parent_name": li["title"] if li["name"] != li["title"] else None,
    }
