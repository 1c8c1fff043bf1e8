"""Deterministic Shopify-shaped demo orders, about 3 KB each.

Orders have the field names, key order and value types of Shopify's Admin
REST API (2026-07), as in the published fixtures: money as strings,
timestamps with the shop's UTC offset, ``fulfillment_status`` null while
unfulfilled, refunds with transactions. Each order is born pending,
authorized or paid and then lives through the same changes the store applies
later (capture, fulfilment, refund, cancellation, archiving), so its history
is consistent and it adds up to the cent.

Given the same seed and the same ``now`` the output is identical.
"""

from __future__ import annotations

import itertools
import random
import unicodedata
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from orderupd_tui.demo import catalog
from orderupd_tui.demo.mutations import ChangeContext, IdSource, apply_change, fulfil_lines
from orderupd_tui.demo.totals import cents, fmt, reprice

FIRST_ORDER_ID = 6_130_000_000_001
FIRST_ORDER_NUMBER = 1001
HISTORY_DAYS = 30

# (weight, birth status, later changes): every financial and fulfilment status appears.
_SCENARIOS: tuple[tuple[int, str, tuple[str, ...]], ...] = (
    (8, "pending", ()),
    (2, "pending", ("cancel",)),
    (8, "authorized", ()),
    (3, "authorized", ("fulfil_some",)),
    (4, "authorized", ("cancel",)),
    (4, "partially_paid", ()),
    (20, "paid", ()),
    (16, "paid", ("fulfil",)),
    (6, "paid", ("fulfil_some",)),
    (10, "paid", ("fulfil", "close")),
    (8, "paid", ("fulfil", "refund")),
    (4, "paid", ("refund", "refund", "refund", "refund")),
    (5, "paid", ("cancel",)),
    (2, "paid", ("edit_note",)),
)
_SCENARIO_CUMULATIVE = list(itertools.accumulate(w for w, _, _ in _SCENARIOS))
_LINE_COUNTS, _LINE_COUNTS_CUMULATIVE = (1, 2, 3, 4), (50, 80, 94, 100)
_QUANTITIES, _QUANTITIES_CUMULATIVE = (1, 2, 3), (70, 90, 100)
# How long after the previous event each change typically happens, in seconds (min, max).
_DELAYS = {
    "cancel": (600, 2 * 86400),
    "fulfil": (4 * 3600, 3 * 86400),
    "fulfil_some": (4 * 3600, 2 * 86400),
    "refund": (86400, 5 * 86400),
    "close": (1, 60),
    "edit_note": (300, 86400),
}


def shop_timezone(offset_minutes: int) -> timezone:
    """The fixed UTC offset the shop renders its timestamps in."""
    return timezone(timedelta(minutes=offset_minutes))


def iso(ts: float, tz: timezone) -> str:
    """A Unix time as Shopify renders it: whole seconds with the shop's offset."""
    return datetime.fromtimestamp(int(ts), tz).isoformat()


class OrderFactory:
    """Makes the orders of one demo shop; keeps the customers and ids they share."""

    def __init__(self, seed: int = 1, tz: timezone = UTC, currency: str = "USD") -> None:
        self.rng = random.Random(seed)
        self.ids = IdSource()
        self.tz = tz
        self.currency = currency
        self._customers: list[dict[str, Any]] = []

    def batch(self, count: int, first_id: int, first_number: int, start_ts: float,
              end_ts: float, now_ts: float) -> Iterator[dict[str, Any]]:
        """``count`` orders created between ``start_ts`` and ``end_ts``, ids and numbers rising.

        A generator, so a store of 200,000 orders never holds them all as dicts.
        """
        rng = self.rng
        span = max(end_ts - start_ts, 0.0)
        created = sorted(start_ts + rng.random() * span for _ in range(count))
        order_id = first_id
        for index, ts in enumerate(created):
            yield self.order(order_id, first_number + index, int(ts), now_ts)
            order_id += rng.randint(1, 2000)

    def order(self, order_id: int, number: int, created_ts: int, now_ts: float) -> dict[str, Any]:
        """One order, created at ``created_ts``, with the part of its history that is past.

        Steps that would fall after now are left for later rather than piled
        up at the present moment, so a freshly generated store is quiet.
        """
        rng = self.rng
        _, birth, history = rng.choices(_SCENARIOS, cum_weights=_SCENARIO_CUMULATIVE)[0]
        order = self._new_order(order_id, number, created_ts, birth)
        last = created_ts
        latest = max(int(now_ts) - 1, created_ts)
        for step in history:
            low, high = _DELAYS[step]
            last += rng.randint(low, high)
            if last > latest:
                break
            ctx = ChangeContext(iso(last, self.tz), rng, self.ids)
            if step == "fulfil_some":
                live = [li["id"] for li in order["line_items"] if li["fulfillable_quantity"]]
                fulfil_lines(order, ctx, set(live[: max(1, len(live) // 2)]))
                order["updated_at"] = ctx.when
            elif step == "refund" and order["financial_status"] == "refunded":
                break
            else:
                apply_change(order, step, ctx)
        return order

    def _new_order(self, order_id: int, number: int, created_ts: int,
                   status: str) -> dict[str, Any]:
        rng = self.rng
        currency = self.currency
        created = iso(created_ts, self.tz)
        customer = self._customer(created_ts)
        person = customer or self._guest()
        place = catalog.place_of(person["default_address"])
        first, last = person["first_name"], person["last_name"]
        billing = catalog.postal_address(rng, first, last, place, person["phone"])
        if rng.random() < 0.8:
            shipping_address: dict[str, Any] | None = dict(billing)
        else:
            shipping_address = catalog.postal_address(rng, first, last, place, person["phone"])
        shipping_title, shipping_code, shipping_price = rng.choice(catalog.SHIPPING)
        if shipping_code == "PICKUP":
            shipping_address = None
        tax_exempt = bool(customer and customer["tax_exempt"])
        taxes = () if tax_exempt else place.taxes
        line_items = [
            self._line(product, taxes)
            for product in rng.sample(
                catalog.PRODUCTS, rng.choices(_LINE_COUNTS, cum_weights=_LINE_COUNTS_CUMULATIVE)[0])
        ]
        discount_codes: list[dict[str, Any]] = []
        discount_applications: list[dict[str, Any]] = []
        if rng.random() < 0.3:
            code, kind, value = rng.choice(catalog.DISCOUNTS)
            discount_codes.append({"code": code, "amount": "0.00", "type": kind})
            discount_applications.append({
                "target_type": "line_item",
                "type": "discount_code",
                "value": f"{value}.0" if kind == "percentage" else fmt(value),
                "value_type": kind,
                "allocation_method": "across",
                "target_selection": "all",
                "code": code,
            })
        gateway = "manual" if status == "pending" else rng.choice(catalog.GATEWAYS)
        token = f"{rng.getrandbits(128):032x}"
        email = person["email"]
        order: dict[str, Any] = {
            "id": order_id,
            "admin_graphql_api_id": f"gid://shopify/Order/{order_id}",
            "cancel_reason": None,
            "cancelled_at": None,
            "closed_at": None,
            "created_at": created,
            "currency": currency,
            "current_subtotal_price": "0.00",
            "current_total_discounts": "0.00",
            "current_total_price": "0.00",
            "current_total_tax": "0.00",
            "discount_codes": discount_codes,
            "email": email,
            "financial_status": "paid" if status == "partially_paid" else status,
            "fulfillment_status": None,
            "name": f"#{number}",
            "note": rng.choice(catalog.NOTES) if rng.random() < 0.15 else None,
            "number": number - 1000,
            "order_number": number,
            "payment_gateway_names": [gateway],
            "phone": None,
            "processed_at": created,
            "source_name": "web",
            "subtotal_price": "0.00",
            "tags": rng.choice(("", "", "", "wholesale", "vip", "gift")),
            "tax_exempt": tax_exempt,
            "tax_lines": [],
            "taxes_included": False,
            "token": token,
            "total_discounts": "0.00",
            "total_line_items_price": "0.00",
            "total_outstanding": "0.00",
            "total_price": "0.00",
            "total_shipping_price_set": None,
            "total_tax": "0.00",
            "total_weight": 0,
            "updated_at": created,
            "billing_address": billing,
            "customer": customer,
            "discount_applications": discount_applications,
            "fulfillments": [],
            "line_items": line_items,
            "refunds": [],
            "shipping_address": shipping_address,
            "shipping_lines": [{
                "id": self.ids.next("shipping_line"),
                "code": shipping_code,
                "price": fmt(shipping_price),
                "title": shipping_title,
                "tax_lines": [],
            }],
        }
        reprice(order)
        total = cents(order["total_price"])
        if status in ("pending", "authorized"):
            order["total_outstanding"] = fmt(total)
        elif status == "partially_paid":
            order["financial_status"] = "partially_paid"
            order["total_outstanding"] = fmt(total - total * rng.randint(20, 60) // 100)
        return order

    def _line(self, product: catalog.Product, taxes: tuple[tuple[str, float], ...]
              ) -> dict[str, Any]:
        line_id = self.ids.next("line_item")
        quantity = self.rng.choices(_QUANTITIES, cum_weights=_QUANTITIES_CUMULATIVE)[0]
        gift_card = product.sku.startswith("GIFT")
        title = product.title
        name = title if product.variant_title == "Default Title" else (
            f"{title} - {product.variant_title}")
        return {
            "id": line_id,
            "current_quantity": quantity,
            "fulfillable_quantity": quantity,
            "fulfillment_status": None,
            "gift_card": gift_card,
            "grams": product.grams,
            "name": name,
            "price": fmt(product.price_cents),
            "product_id": product.product_id,
            "quantity": quantity,
            "sku": product.sku,
            "title": title,
            "variant_id": product.variant_id,
            "vendor": product.vendor,
            "tax_lines": [] if gift_card else [
                {"price": "0.00", "rate": rate, "title": tax_title}
                for tax_title, rate in taxes
            ],
            "discount_allocations": [],
        }

    def _customer(self, created_ts: int) -> dict[str, Any] | None:
        """A returning customer, a new one, or (rarely) none: a guest checkout."""
        rng = self.rng
        if rng.random() < 0.04:
            return None
        # Returning customers grow more common as the shop gains customers, so the
        # first orders are not all the same few people.
        if self._customers and rng.random() < min(0.55, len(self._customers) / 40):
            return rng.choice(self._customers)
        customer = self._person(created_ts - rng.randint(60, 900))
        self._customers.append(customer)
        return customer

    def _guest(self) -> dict[str, Any]:
        """The buyer of a guest checkout: has an email and an address, but no customer record."""
        return self._person(0)

    def _person(self, created_ts: int) -> dict[str, Any]:
        rng = self.rng
        first, last = rng.choice(catalog.FIRST_NAMES), rng.choice(catalog.LAST_NAMES)
        place = rng.choice(catalog.PLACES)
        customer_id = 8_200_000_000_000 + len(self._customers) * 7 + rng.randint(1, 6)
        phone = f"+1613{rng.randint(1000000, 9999999)}" if rng.random() < 0.6 else None
        address = catalog.postal_address(rng, first, last, place, phone)
        local = unicodedata.normalize("NFKD", f"{first}.{last}").encode("ascii", "ignore")
        created = iso(created_ts, self.tz)
        return {
            "id": customer_id,
            "email": f"{local.decode().lower()}@example.com",
            "created_at": created,
            "updated_at": created,
            "first_name": first,
            "last_name": last,
            "state": "enabled" if rng.random() < 0.7 else "disabled",
            "tax_exempt": rng.random() < 0.03,
            "phone": phone,
            "admin_graphql_api_id": f"gid://shopify/Customer/{customer_id}",
            "default_address": {
                "city": address["city"],
                "province_code": address["province_code"],
                "country_code": address["country_code"],
                "default": True,
            },
        }


def generate_orders(count: int, *, seed: int = 1, now: datetime | None = None,
                    tz_offset_minutes: int = -300) -> list[dict[str, Any]]:
    """``count`` orders created over the ~30 days before ``now``, numbered from #1001."""
    now_ts = (now or datetime.now(UTC)).timestamp()
    factory = OrderFactory(seed, shop_timezone(tz_offset_minutes))
    return list(factory.batch(count, FIRST_ORDER_ID, FIRST_ORDER_NUMBER,
                              now_ts - HISTORY_DAYS * 86400, now_ts - 60, now_ts))
