"""BigCommerce (Orders V2): order payloads normalized, and the client that pages through them.

A V2 order names its lines and shipping addresses only by sub-resource
links, so the client fetches ``/orders/{id}/products`` and
``/orders/{id}/shippingaddresses`` (the links the order gives) and embeds
the lists in the raw payload under the same keys; :func:`normalize` reads
them from there.  Money comes
as strings with four decimals and dates as RFC 2822.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from email.utils import parsedate_to_datetime
from typing import Any

from orderupd_tui.domain.order import Address, LineItem, NormalizedOrder, money, utc

#: status_id -> (payment, fulfillment, order), the fallbacks used when
#: ``payment_status`` is empty (older and manual orders) and the shipped counts
#: do not settle fulfilment.  Declined (6) is the seller refusing the order for
#: lack of payment, so it is cancelled like 5.
STATUSES: dict[int, tuple[str, str, str]] = {
    0: ("pending", "unfulfilled", "open"),  # Incomplete
    1: ("pending", "unfulfilled", "open"),  # Pending
    2: ("paid", "fulfilled", "closed"),  # Shipped
    3: ("paid", "partial", "open"),  # Partially Shipped
    4: ("refunded", "unknown", "closed"),  # Refunded
    5: ("voided", "unfulfilled", "cancelled"),  # Cancelled
    6: ("failed", "unfulfilled", "cancelled"),  # Declined
    7: ("pending", "unfulfilled", "open"),  # Awaiting Payment
    8: ("paid", "unfulfilled", "open"),  # Awaiting Pickup
    9: ("paid", "unfulfilled", "open"),  # Awaiting Shipment
    10: ("paid", "fulfilled", "closed"),  # Completed
    11: ("paid", "unfulfilled", "open"),  # Awaiting Fulfillment
    12: ("pending", "unfulfilled", "open"),  # Manual Verification Required
    13: ("unknown", "unknown", "open"),  # Disputed
    14: ("partially_refunded", "unknown", "open"),  # Partially Refunded
}
UNKNOWN_STATUS = ("unknown", "unknown", "open")

#: payment_status as the payment gateways report it; it is more precise than
#: the status table, which is used only when this is empty or unheard of.
PAYMENTS: dict[str, str] = {
    "authorized": "authorized",
    "capture pending": "authorized",
    "captured": "paid",
    "paid": "paid",
    "pending": "pending",
    "held for review": "pending",
    "declined": "failed",
    "partially refunded": "partially_refunded",
    "refunded": "refunded",
    "void": "voided",
    "void pending": "voided",
}

#: Statuses whose fulfilment is fixed whatever the shipped counts say
#: (Completed is typically a digital order that never ships).
FIXED_FULFILLMENT = {2, 3, 5, 6, 10}


def normalize(
    raw: dict[str, Any],
    products: list[dict[str, Any]] | None = None,
    shipping_addresses: list[dict[str, Any]] | None = None,
) -> NormalizedOrder:
    """Map one V2 order, with its products and shipping addresses, onto :class:`NormalizedOrder`.

    ``products``/``shipping_addresses`` default to the lists embedded in
    ``raw`` by the client; when ``raw`` only has the links (a bare order from
    the API), the order has no lines and no shipping address.  Raises
    ``ValueError`` with one line naming the order on a missing or malformed field.
    """
    try:
        return _normalize(raw, _embedded(raw, "products", products),
                          _embedded(raw, "shipping_addresses", shipping_addresses))
    except (KeyError, TypeError, ValueError) as exc:
        raise ValueError(f"BigCommerce order {raw.get('id', '?')}: {_problem(exc)}") from exc


def _embedded(
    raw: dict[str, Any], key: str, given: list[dict[str, Any]] | None
) -> list[dict[str, Any]]:
    if given is not None:
        return given
    value = raw.get(key)
    return value if isinstance(value, list) else []


def _normalize(
    raw: dict[str, Any], products: list[dict[str, Any]], addresses: list[dict[str, Any]]
) -> NormalizedOrder:
    status_id = int(raw["status_id"])
    payment, fulfillment, order_status = STATUSES.get(status_id, UNKNOWN_STATUS)
    total = money(raw["total_inc_tax"])
    refunded = money(raw.get("refunded_amount"))
    payment = _payment(status_id, str(raw.get("payment_status") or "").lower(), payment,
                       refunded, total)
    if status_id not in FIXED_FULFILLMENT:
        fulfillment = _shipped(raw, fulfillment)
    inclusive = bool(raw.get("is_tax_inclusive_pricing"))
    billing = raw.get("billing_address") or {}
    return NormalizedOrder(
        remote_id=str(raw["id"]),
        number=str(raw["id"]),
        created_at=_rfc2822(raw["date_created"]),
        updated_at=_rfc2822(raw.get("date_modified") or raw["date_created"]),
        currency=_currency(raw),
        total=total,
        subtotal=money(raw.get("subtotal_inc_tax" if inclusive else "subtotal_ex_tax")),
        tax=money(raw.get("total_tax")),
        shipping=money(raw.get("shipping_cost_inc_tax" if inclusive else "shipping_cost_ex_tax")),
        discount=money(raw.get("discount_amount")),
        refunded=refunded,
        payment_status=payment,
        fulfillment_status=fulfillment,
        order_status=order_status,
        platform_status=str(raw.get("status") or status_id),
        customer=_person(billing),
        email=str(billing.get("email") or ""),
        line_items=tuple(_line(p, inclusive) for p in products),
        shipping_address=_address(addresses[0]) if addresses else None,
        billing_address=_address(billing) if billing else None,
        note=str(raw.get("customer_message") or ""),
        extra=_extra(raw, addresses),
    )


def _payment(status_id: int, gateway: str, fallback: str, refunded: Decimal,
             total: Decimal) -> str:
    """Refunds first (the status and the amount agree on them), then the gateway's word."""
    if status_id == 4 or (refunded > 0 and refunded >= total):
        return "refunded"
    if status_id == 14 or refunded > 0:
        return "partially_refunded"
    return PAYMENTS.get(gateway, fallback)


def _shipped(raw: dict[str, Any], fallback: str) -> str:
    total = int(raw.get("items_total") or 0)
    shipped = int(raw.get("items_shipped") or 0)
    if total <= 0:
        return fallback
    if shipped >= total:
        return "fulfilled"
    return "partial" if shipped > 0 else "unfulfilled"


def _currency(raw: dict[str, Any]) -> str:
    """The transaction currency, else the store default (one documented example drops the key)."""
    for key in ("currency_code", "default_currency_code", "store_default_currency_code"):
        if raw.get(key):
            return str(raw[key])
    raise ValueError("no currency_code")


def _rfc2822(value: str) -> datetime:
    try:
        return utc(parsedate_to_datetime(value))
    except (TypeError, ValueError) as exc:
        raise ValueError(f"not an RFC 2822 date: {value!r}") from exc


def _line(product: dict[str, Any], inclusive: bool) -> LineItem:
    suffix = "inc_tax" if inclusive else "ex_tax"
    return LineItem(
        sku=str(product.get("sku") or ""),
        title=str(product.get("name") or ""),
        quantity=int(product.get("quantity") or 0),
        unit_price=money(product.get(f"price_{suffix}")),
        total=money(product.get(f"total_{suffix}")),
    )


def _person(part: dict[str, Any]) -> str:
    name = " ".join(str(part.get(k) or "").strip() for k in ("first_name", "last_name")).strip()
    return name or str(part.get("company") or "")


def _address(part: dict[str, Any]) -> Address:
    return Address(
        name=" ".join(str(part.get(k) or "").strip()
                      for k in ("first_name", "last_name")).strip(),
        company=str(part.get("company") or ""),
        line1=str(part.get("street_1") or ""),
        line2=str(part.get("street_2") or ""),
        city=str(part.get("city") or ""),
        region=str(part.get("state") or ""),
        postal_code=str(part.get("zip") or ""),
        country=str(part.get("country_iso2") or part.get("country") or ""),
        phone=str(part.get("phone") or ""),
    )


def _extra(raw: dict[str, Any], addresses: list[dict[str, Any]]) -> dict[str, str]:
    extra = {k: str(raw[k]) for k in ("payment_method", "payment_status", "staff_notes",
                                      "customer_id") if raw.get(k) not in (None, "", 0)}
    if len(addresses) > 1:
        extra["shipping_addresses"] = str(len(addresses))
    if raw.get("is_deleted"):
        extra["is_deleted"] = "yes"
    return extra


def _problem(exc: Exception) -> str:
    if isinstance(exc, KeyError):
        return f"missing field {exc.args[0]!r}"
    return str(exc) or type(exc).__name__
