"""Magento 2 (REST V1): order payloads normalized, and the client that searches them.

Magento's ``state`` is the fixed lifecycle stage and ``status`` a label the
merchant can rename or add to, so the mapping reads ``state`` and keeps
``status`` as the platform status.  Payment and fulfilment are taken from
the amounts paid and refunded and the quantities shipped, which say more
than the state (``processing`` covers both "invoiced" and "half shipped").
Money arrives as JSON numbers; the client parses them as ``Decimal`` so no
float error reaches a total.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from orderupd_tui.domain.order import Address, LineItem, NormalizedOrder, money, utc

#: state -> (payment, fulfillment, order): the fallbacks when the amounts and
#: quantities do not decide.  ``holded`` (on hold) and ``payment_review`` are
#: still open orders.
STATES: dict[str, tuple[str, str, str]] = {
    "new": ("pending", "unfulfilled", "open"),
    "pending_payment": ("pending", "unfulfilled", "open"),
    "payment_review": ("pending", "unfulfilled", "open"),
    "processing": ("paid", "unfulfilled", "open"),
    "holded": ("unknown", "unfulfilled", "open"),
    "complete": ("paid", "fulfilled", "closed"),
    "closed": ("refunded", "unknown", "closed"),
    "canceled": ("voided", "unfulfilled", "cancelled"),
}
UNKNOWN_STATE = ("unknown", "unknown", "open")

#: The ``Y-m-d H:i:s`` form Magento uses for times, always in UTC over REST.
TIME_FORMAT = "%Y-%m-%d %H:%M:%S"


def normalize(raw: dict[str, Any]) -> NormalizedOrder:
    """Map one order of ``GET /rest/{store}/V1/orders`` onto :class:`NormalizedOrder`.

    Raises ``ValueError`` with one line naming the order when a field the
    program relies on is missing or malformed (a ``fields=`` projection, say).
    """
    try:
        return _normalize(raw)
    except (KeyError, TypeError, ValueError, ArithmeticError) as exc:
        ref = raw.get("increment_id") or raw.get("entity_id") or "?"
        raise ValueError(f"Magento order {ref}: {_problem(exc)}") from exc


def parse_time(value: str) -> datetime:
    """A Magento ``Y-m-d H:i:s`` time, which the REST API gives in UTC."""
    return utc(datetime.strptime(value, TIME_FORMAT))


def format_time(value: datetime) -> str:
    """The ``Y-m-d H:i:s`` UTC form that a ``searchCriteria`` date filter expects."""
    return utc(value).strftime(TIME_FORMAT)


def _normalize(raw: dict[str, Any]) -> NormalizedOrder:
    state = str(raw["state"])
    payment, fulfillment, order_status = STATES.get(state, UNKNOWN_STATE)
    total = money(raw["grand_total"])
    refunded = money(raw.get("total_refunded"))
    paid = money(raw.get("total_paid"))
    items = [i for i in raw.get("items") or () if not i.get("parent_item_id")]
    if state != "canceled":
        payment = _payment(payment, total, paid, refunded, raw.get("payment") or {})
    if state not in ("complete", "closed", "canceled"):
        fulfillment = _shipped(items, fulfillment)
    billing = raw.get("billing_address") or {}
    return NormalizedOrder(
        remote_id=str(raw["entity_id"]),
        number=str(raw.get("increment_id") or raw["entity_id"]),
        created_at=parse_time(raw["created_at"]),
        updated_at=parse_time(raw.get("updated_at") or raw["created_at"]),
        currency=str(raw.get("order_currency_code") or raw["base_currency_code"]),
        total=total,
        subtotal=money(raw.get("subtotal")),
        tax=money(raw.get("tax_amount")),
        shipping=money(raw.get("shipping_amount")),
        discount=abs(money(raw.get("discount_amount"))),  # Magento stores discounts negative
        refunded=refunded,
        payment_status=payment,
        fulfillment_status=fulfillment,
        order_status=order_status,
        platform_status=str(raw.get("status") or state),
        customer=_customer(raw, billing),
        email=str(raw.get("customer_email") or billing.get("email") or ""),
        line_items=tuple(_line(i) for i in items),
        shipping_address=_shipping_address(raw),
        billing_address=_address(billing) if billing else None,
        note=str(raw.get("customer_note") or ""),
        extra=_extra(raw),
    )


def _payment(fallback: str, total: Decimal, paid: Decimal, refunded: Decimal,
             payment: dict[str, Any]) -> str:
    if refunded > 0:
        return "refunded" if refunded >= total else "partially_refunded"
    if paid > 0:
        return "paid" if paid >= total else "partially_paid"
    if money(payment.get("amount_authorized")) > 0:
        return "authorized"
    return fallback


def _shipped(items: list[dict[str, Any]], fallback: str) -> str:
    ordered = sum((_qty(i.get("qty_ordered")) - _qty(i.get("qty_canceled")) for i in items),
                  Decimal(0))
    shipped = sum((_qty(i.get("qty_shipped")) for i in items), Decimal(0))
    if ordered <= 0:
        return fallback
    if shipped >= ordered:
        return "fulfilled"
    return "partial" if shipped > 0 else "unfulfilled"


def _qty(value: Any) -> Decimal:
    return Decimal(str(value)) if value not in (None, "") else Decimal(0)


def _line(item: dict[str, Any]) -> LineItem:
    return LineItem(
        sku=str(item.get("sku") or ""),
        title=str(item.get("name") or ""),
        quantity=int(_qty(item.get("qty_ordered"))),
        unit_price=money(item.get("price")),
        total=money(item.get("row_total")),
    )


def _customer(raw: dict[str, Any], billing: dict[str, Any]) -> str:
    """The account's name; guests have none, so the billing name stands in."""
    parts = [raw.get("customer_firstname"), raw.get("customer_lastname")]
    name = " ".join(str(p).strip() for p in parts if p).strip()
    return name or _name(billing) or str(billing.get("company") or "")


def _name(part: dict[str, Any]) -> str:
    return " ".join(str(part.get(k) or "").strip() for k in ("firstname", "lastname")).strip()


def _shipping_address(raw: dict[str, Any]) -> Address | None:
    assignments = (raw.get("extension_attributes") or {}).get("shipping_assignments") or ()
    for assignment in assignments:
        address = (assignment.get("shipping") or {}).get("address")
        if address:
            return _address(address)
    return None


def _address(part: dict[str, Any]) -> Address:
    street = [str(s) for s in part.get("street") or () if s]
    return Address(
        name=_name(part),
        company=str(part.get("company") or ""),
        line1=street[0] if street else "",
        line2=", ".join(street[1:]),
        city=str(part.get("city") or ""),
        region=str(part.get("region_code") or part.get("region") or ""),
        postal_code=str(part.get("postcode") or ""),
        country=str(part.get("country_id") or ""),
        phone=str(part.get("telephone") or ""),
    )


def _extra(raw: dict[str, Any]) -> dict[str, str]:
    extra = {"state": str(raw["state"])}
    method = (raw.get("payment") or {}).get("method")
    if method:
        extra["payment_method"] = str(method)
    if raw.get("store_id") is not None:
        extra["store_id"] = str(raw["store_id"])
    return extra


def _problem(exc: Exception) -> str:
    if isinstance(exc, KeyError):
        return f"missing field {exc.args[0]!r}"
    return str(exc) or type(exc).__name__
